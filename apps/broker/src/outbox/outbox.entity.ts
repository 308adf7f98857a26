import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Jobs written in the same transaction as the state change that implies them, so neither is
 * lost without the other; the relay enqueues them with their deterministic ids and deletes
 * the row.
 */
@Entity({ name: 'outbox' })
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  queue!: string;

  @Column({ name: 'job_name', type: 'text' })
  jobName!: string;

  @Column({ name: 'job_id', type: 'text' })
  jobId!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ name: 'run_at', type: 'timestamptz', nullable: true })
  runAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
