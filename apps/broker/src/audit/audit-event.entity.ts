import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AuditChannel } from '../common/actor';
import type { AuditAction } from './audit-action';

export type { AuditChannel };

/** Append-only record of every decision and every effect: who did what, when, through which edge. */
@Entity({ name: 'audit_events' })
@Index(['requestId', 'id'])
// The sealer's work list: events not yet in the hash chain.
@Index('audit_events_unsealed', ['id'], { where: '"seq" IS NULL' })
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  /** Only the broker writes here, and only AuditAction values (older rows included). */
  @Column({ type: 'text' })
  action!: AuditAction;

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

  /** Where the actor's request came from (IP address), when it came over the network. */
  @Column({ name: 'source_address', type: 'text', nullable: true })
  sourceAddress!: string | null;

  /** Position in the hash chain, assigned by the sealer shortly after commit. */
  @Column({ type: 'bigint', nullable: true, unique: true })
  seq!: string | null;

  @Column({ name: 'prev_hash', type: 'text', nullable: true })
  prevHash!: string | null;

  /** sha256(prev_hash ‖ the event's canonical content): tampering breaks every later link. */
  @Column({ type: 'text', nullable: true })
  hash!: string | null;
}
