import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AuditChannel = 'api' | 'slack' | 'system' | 'connector';

/** Append-only record of every decision and every effect (DESIGN §2). */
@Entity({ name: 'audit_events' })
@Index(['requestId', 'id'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ name: 'actor_type', type: 'text' })
  actorType!: 'user' | 'system' | 'connector';

  @Column({ type: 'text' })
  channel!: AuditChannel;

  @Column({ name: 'request_id', type: 'uuid', nullable: true })
  requestId!: string | null;

  @Index()
  @Column({ name: 'integration_id', type: 'uuid', nullable: true })
  integrationId!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: Record<string, unknown>;
}
