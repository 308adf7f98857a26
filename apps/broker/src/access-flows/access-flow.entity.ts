import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { PermissionLevel } from '@doorman/contracts';

@Entity({ name: 'access_flows' })
export class AccessFlowEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Index()
  @Column({ name: 'integration_id', type: 'uuid' })
  integrationId!: string;

  @Column({ name: 'requestor_user_ids', type: 'uuid', array: true, default: () => "'{}'" })
  requestorUserIds!: string[];

  @Column({ name: 'requestor_group_ids', type: 'uuid', array: true, default: () => "'{}'" })
  requestorGroupIds!: string[];

  @Column({ type: 'jsonb' })
  resources!: Array<{ database: string; schema: string }>;

  @Column({ type: 'text', array: true })
  permissions!: PermissionLevel[];

  @Column({ name: 'approver_user_ids', type: 'uuid', array: true, default: () => "'{}'" })
  approverUserIds!: string[];

  @Column({ name: 'default_duration_seconds', type: 'int' })
  defaultDurationSeconds!: number;

  @Column({ name: 'max_duration_seconds', type: 'int' })
  maxDurationSeconds!: number;

  @Column({ name: 'justification_required', type: 'boolean', default: false })
  justificationRequired!: boolean;

  @Column({ type: 'int', default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
