import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One session a connector saw in pg_stat_activity: a database user's backend, named by its pid
 * and backend_start (pids are reused). `lastSeenAt` is the last report that held it; `endedAt`
 * the first complete report that did not — an upper bound: it ended at or before then.
 */
@Entity({ name: 'observed_sessions' })
@Index('UQ_observed_sessions_session', ['integrationId', 'databaseUserId', 'pid', 'startedAt'], {
  unique: true,
})
@Index('IDX_observed_sessions_user_started', ['databaseUserId', 'startedAt'])
@Index('IDX_observed_sessions_open', ['integrationId'], { where: '"ended_at" IS NULL' })
export class ObservedSessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'integration_id', type: 'uuid' })
  integrationId!: string;

  @Column({ name: 'database_user_id', type: 'uuid' })
  databaseUserId!: string;

  @Column({ type: 'int' })
  pid!: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ type: 'text', nullable: true })
  database!: string | null;

  @Column({ name: 'client_addr', type: 'text', nullable: true })
  clientAddr!: string | null;

  @Column({ name: 'application_name', type: 'text', default: '' })
  applicationName!: string;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}
