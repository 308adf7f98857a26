import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { FlowDefinition } from './flow-definition';

/**
 * The current version of an access flow. Editing a flow creates a new version; every
 * version's definition is kept in access_flow_versions, and each request records the version
 * it was judged under.
 */
@Entity({ name: 'access_flows' })
export class AccessFlowEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Index()
  @Column({ name: 'integration_id', type: 'uuid' })
  integrationId!: string;

  @Column({ type: 'int', default: 1 })
  version!: number;

  @Column({ type: 'jsonb' })
  definition!: FlowDefinition;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
