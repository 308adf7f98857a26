import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** One person's decision on one step of one request; nobody counts twice toward a step. */
@Entity({ name: 'approvals' })
@Unique(['requestId', 'step', 'approverId'])
export class ApprovalEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ name: 'request_id', type: 'uuid' })
  requestId!: string;

  @Column({ type: 'int' })
  step!: number;

  @Column({ name: 'approver_id', type: 'uuid' })
  approverId!: string;

  @Column({ type: 'text' })
  decision!: 'approve' | 'deny';

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ type: 'text' })
  channel!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at!: Date;
}
