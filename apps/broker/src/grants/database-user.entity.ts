import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { RevokeVerification, SealedBox } from '@doorman/contracts';

export type DatabaseUserState = 'none' | 'active' | 'inactive' | 'deleting' | 'deleted';

/**
 * One database user per person per integration. `generation` counts the desired states sent
 * to the connector; the password is held only sealed to the broker's key, never in the clear.
 */
@Entity({ name: 'database_users' })
@Unique(['integrationId', 'userId'])
@Unique(['integrationId', 'username'])
export class DatabaseUserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'integration_id', type: 'uuid' })
  integrationId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  username!: string;

  @Column({ type: 'text', default: 'none' })
  state!: DatabaseUserState;

  @Column({ type: 'int', default: 0 })
  generation!: number;

  @Column({ name: 'applied_generation', type: 'int', default: 0 })
  appliedGeneration!: number;

  @Column({ name: 'sealed_password', type: 'jsonb', nullable: true })
  sealedPassword!: SealedBox | null;

  @Column({ name: 'password_issued_at', type: 'timestamptz', nullable: true })
  passwordIssuedAt!: Date | null;

  /**
   * The generation whose sync was sent asking for a new password, until a result brings one
   * back: a stale result for it without a password means the password was lost.
   */
  @Column({ name: 'password_pending_generation', type: 'int', nullable: true })
  passwordPendingGeneration!: number | null;

  @Column({ name: 'access_ended_at', type: 'timestamptz', nullable: true })
  accessEndedAt!: Date | null;

  @Column({ name: 'cleanup_due_at', type: 'timestamptz', nullable: true })
  cleanupDueAt!: Date | null;

  /**
   * The target's clock when the newest applied (or found applied) sync finished:
   * an inventory read before it cannot show that sync's effects, so it is not judged.
   */
  @Column({ name: 'last_applied_at', type: 'timestamptz', nullable: true })
  lastAppliedAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** The latest check of the target after a revoke: what was left, what was removed. */
  @Column({ name: 'revoke_verification', type: 'jsonb', nullable: true })
  revokeVerification!: RevokeVerification | null;

  @Column({ name: 'revoke_verified_at', type: 'timestamptz', nullable: true })
  revokeVerifiedAt!: Date | null;

  /** The last sessions report that held a session of this user (usage/). */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
