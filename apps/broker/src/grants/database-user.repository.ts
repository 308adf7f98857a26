import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { SealedBox } from '@doorman/contracts';
import { type EntityManager, In, IsNull, LessThanOrEqual, Not, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DatabaseUserEntity, type DatabaseUserState } from './database-user.entity';

export type DatabaseUserChanges = QueryDeepPartialEntity<DatabaseUserEntity>;

/** A database user row as first inserted (the columns' defaults). */
const NEW_DATABASE_USER: Omit<DatabaseUserEntity, 'id' | 'integrationId' | 'userId' | 'username'> =
  {
    state: 'none',
    generation: 0,
    appliedGeneration: 0,
    sealedPassword: null,
    passwordIssuedAt: null,
    passwordPendingGeneration: null,
    accessEndedAt: null,
    cleanupDueAt: null,
    lastAppliedAt: null,
    lastError: null,
    revokeVerification: null,
    revokeVerifiedAt: null,
    lastUsedAt: null,
  };

/** The next generation of one database user, as a row of a set-based UPDATE. */
export interface GenerationPlan {
  id: string;
  generation: number;
  /** The desired state lets the person log in: the user is active again. */
  login: boolean;
  /** The sync issues a new password: remember which generation owes it. */
  rotate: boolean;
}

/** A connector's applied sync of one database user, as a row of a set-based UPDATE. */
export interface AppliedSync {
  id: string;
  generation: number;
  sealed: string | null;
  issuedAt: string | null;
  appliedAt: string | null;
  /** The connector's check of the target after a revoke (JSON), the latest proof kept. */
  verification: string | null;
  verifiedAt: string | null;
}

/**
 * The database_users table: one row per person per integration, its generations and sealed
 * password. Rows are locked for the ambient transaction; several always in id order.
 */
@Injectable()
export class DatabaseUserRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  private get rows(): Repository<DatabaseUserEntity> {
    return this.tx.getRepository(DatabaseUserEntity);
  }

  findOf(integrationId: string, userId: string): Promise<DatabaseUserEntity | null> {
    return this.rows.findOneBy({ integrationId, userId });
  }

  lockOf(integrationId: string, userId: string): Promise<DatabaseUserEntity | null> {
    return this.rows.findOne({
      where: { integrationId, userId },
      lock: { mode: 'pessimistic_write' },
    });
  }

  lockById(id: string): Promise<DatabaseUserEntity | null> {
    return this.rows.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async lockManyOf(
    integrationId: string,
    userIds: readonly string[],
  ): Promise<DatabaseUserEntity[]> {
    if (userIds.length === 0) return [];
    return this.rows.find({
      where: { integrationId, userId: In([...userIds]) },
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** The rows of these (integration, person) pairs, locked in id order in one statement. */
  async lockPairs(
    pairs: ReadonlyArray<{ integrationId: string; personId: string }>,
  ): Promise<DatabaseUserEntity[]> {
    if (pairs.length === 0) return [];
    return this.rows
      .createQueryBuilder('d')
      .where(
        '(d.integration_id, d.user_id) IN (SELECT * FROM unnest(CAST(:ints AS uuid[]), CAST(:people AS uuid[])))',
        { ints: pairs.map((p) => p.integrationId), people: pairs.map((p) => p.personId) },
      )
      .orderBy('d.id', 'ASC')
      .setLock('pessimistic_write')
      .getMany();
  }

  lockAllOnIntegration(integrationId: string): Promise<DatabaseUserEntity[]> {
    return this.rows.find({ where: { integrationId }, lock: { mode: 'pessimistic_write' } });
  }

  listOnIntegration(
    integrationId: string,
    state?: DatabaseUserState,
  ): Promise<DatabaseUserEntity[]> {
    return this.rows.find({
      where: { integrationId, ...(state ? { state } : {}) },
      order: { username: 'ASC' },
    });
  }

  namesOnIntegration(
    integrationId: string,
  ): Promise<Array<Pick<DatabaseUserEntity, 'id' | 'username'>>> {
    return this.rows.find({ select: { id: true, username: true }, where: { integrationId } });
  }

  /**
   * Inserts the person's row under this name unless the person or the name already has one
   * (ON CONFLICT DO NOTHING: a concurrent first request of the same person wins). Returns the
   * new row — ours, locked by this transaction until it ends — or null.
   */
  async insertIfAbsent(
    integrationId: string,
    userId: string,
    username: string,
  ): Promise<DatabaseUserEntity | null> {
    const inserted = await this.rows
      .createQueryBuilder()
      .insert()
      .values({ integrationId, userId, username })
      .orIgnore()
      .execute();
    const id = (inserted.identifiers[0] as { id?: string } | undefined)?.id;
    if (!id) return null;
    return this.rows.create({
      ...NEW_DATABASE_USER,
      ...(inserted.generatedMaps[0] as Partial<DatabaseUserEntity>),
      id,
      integrationId,
      userId,
      username,
    });
  }

  /** Who holds any of these names on the integration. */
  holdersOf(
    integrationId: string,
    usernames: readonly string[],
  ): Promise<Array<Pick<DatabaseUserEntity, 'username' | 'userId'>>> {
    return this.rows.find({
      select: { username: true, userId: true },
      where: { integrationId, username: In([...usernames]) },
    });
  }

  async update(id: string, changes: DatabaseUserChanges): Promise<void> {
    await this.rows.update(id, changes);
  }

  /**
   * The user's next generation, and the stamp on the person's requests it realises (being
   * granted or revoked, not yet part of a sync): one round trip.
   */
  async advanceGeneration(
    plan: GenerationPlan,
    person: { integrationId: string; personId: string },
  ): Promise<void> {
    await this.tx.query(
      `WITH du AS (
         UPDATE database_users
            SET generation = $2,
                state = CASE WHEN $3::bool THEN 'active' ELSE state END,
                cleanup_due_at = CASE WHEN $3::bool THEN NULL ELSE cleanup_due_at END,
                password_pending_generation =
                  CASE WHEN $4::bool THEN $2 ELSE password_pending_generation END
          WHERE id = $1)
       UPDATE access_requests SET sync_generation = $2, updated_at = now()
        WHERE integration_id = $5 AND requester_id = $6
          AND status IN ('GRANTING', 'REVOKING') AND sync_generation IS NULL`,
      [plan.id, plan.generation, plan.login, plan.rotate, person.integrationId, person.personId],
    );
  }

  /** `advanceGeneration` of many users' rows in one statement (their requests: the caller). */
  async advanceGenerations(plans: readonly GenerationPlan[]): Promise<void> {
    await this.tx.query(
      `UPDATE database_users d
          SET generation = v.generation,
              state = CASE WHEN v.login THEN 'active' ELSE d.state END,
              cleanup_due_at = CASE WHEN v.login THEN NULL ELSE d.cleanup_due_at END,
              password_pending_generation =
                CASE WHEN v.rotate THEN v.generation ELSE d.password_pending_generation END
         FROM unnest($1::uuid[], $2::int[], $3::bool[], $4::bool[]) AS v(id, generation, login, rotate)
        WHERE d.id = v.id`,
      [
        plans.map((x) => x.id),
        plans.map((x) => x.generation),
        plans.map((x) => x.login),
        plans.map((x) => x.rotate),
      ],
    );
  }

  /** Many applied syncs in one statement: generations, sealed passwords, times. */
  async recordApplied(rows: readonly AppliedSync[]): Promise<void> {
    if (rows.length === 0) return;
    await this.tx.query(
      `UPDATE database_users d
          SET applied_generation = GREATEST(d.applied_generation, v.generation),
              last_error = NULL,
              sealed_password = COALESCE(v.sealed::jsonb, d.sealed_password),
              password_issued_at = CASE WHEN v.sealed IS NULL THEN d.password_issued_at ELSE v.issued_at END,
              password_pending_generation = CASE
                WHEN v.sealed IS NOT NULL AND v.generation >= d.password_pending_generation THEN NULL
                ELSE d.password_pending_generation END,
              last_applied_at = GREATEST(d.last_applied_at, v.applied_at),
              revoke_verification = COALESCE(v.verification::jsonb, d.revoke_verification),
              revoke_verified_at = CASE WHEN v.verification IS NULL THEN d.revoke_verified_at
                                        ELSE v.verified_at END
         FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                     $6::text[], $7::timestamptz[])
              AS v(id, generation, sealed, issued_at, applied_at, verification, verified_at)
        WHERE d.id = v.id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.generation),
        rows.map((r) => r.sealed),
        rows.map((r) => r.issuedAt),
        rows.map((r) => r.appliedAt),
        rows.map((r) => r.verification),
        rows.map((r) => r.verifiedAt),
      ],
    );
  }

  /** Access ended for these users: inactive, each with its cleanup date. */
  async endAccess(
    ids: readonly string[],
    endedAt: Date,
    cleanupDueAt: readonly Date[],
  ): Promise<void> {
    await this.tx.query(
      `UPDATE database_users d
          SET state = 'inactive', access_ended_at = $2, cleanup_due_at = v.due_at
         FROM unnest($1::uuid[], $3::timestamptz[]) AS v(id, due_at)
        WHERE d.id = v.id`,
      [[...ids], endedAt.toISOString(), cleanupDueAt.map((d) => d.toISOString())],
    );
  }

  async cleanupDueIds(now: Date, limit: number): Promise<string[]> {
    const rows = await this.rows.find({
      select: { id: true },
      where: { state: 'inactive', cleanupDueAt: LessThanOrEqual(now) },
      take: limit,
    });
    return rows.map((r) => r.id);
  }

  /** Every stored sealed password, with its row's id. */
  sealedPasswords(): Promise<Array<Pick<DatabaseUserEntity, 'id' | 'sealedPassword'>>> {
    return this.rows.find({
      select: { id: true, sealedPassword: true },
      where: { sealedPassword: Not(IsNull()) },
    });
  }

  /** Replaces a sealed box only if it is still `old` (a password issued meanwhile is kept). */
  async replaceSealed(id: string, old: SealedBox, next: SealedBox): Promise<number> {
    const result = await this.rows
      .createQueryBuilder()
      .update()
      .set({ sealedPassword: next })
      .where('id = :id AND sealed_password = :old', { id, old: JSON.stringify(old) })
      .execute();
    return result.affected ?? 0;
  }
}
