import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { FlowDefinition } from './flow-definition';

/** Every version of every flow, as it was: requests are judged under the version they record. */
@Entity({ name: 'access_flow_versions' })
export class AccessFlowVersionEntity {
  @PrimaryColumn({ name: 'flow_id', type: 'uuid' })
  flowId!: string;

  @PrimaryColumn({ type: 'int' })
  version!: number;

  @Column({ type: 'jsonb' })
  definition!: FlowDefinition;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
