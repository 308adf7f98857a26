import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import {
  CONTRACT_VERSION,
  CleanupUserJobSchema,
  SyncUserJobSchema,
  jobIds,
  type CleanupUserResult,
  type SyncUserResult,
} from '@doorman/contracts';
import { DataSource, type EntityManager, In, LessThanOrEqual } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { currentCorrelationId } from '../common/correlation';
import { TransactionGate } from '../common/transaction-gate';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { UserEntity } from '../identity/user.entity';
import { IntegrationEntity } from '../integrations/integration.entity';
import { OutboxService, type OutboxJob } from '../outbox/outbox.service';
import { AccessRequestEntity } from '../access-requests/access-request.entity';
import { HELD_STATUSES, transition } from '../access-requests/request-state';
import { DatabaseUserEntity } from './database-user.entity';
import { FaultMetrics } from './fault-metrics';
import { desiredState, type DesiredState, type HeldGrant } from './desired-state';
import { baseUsername, chooseUsername, hashedUsername } from './username';
import {
  appliedAtOf,
  cleanupTimer,
  expiryTimer,
  failedGroupOf,
  failedGroupText,
  grantActivatedEvent,
  grantFailedEvent,
  grantRevokedEvent,
  laterOf,
  passwordLost,
} from './grant-events';

export interface SyncOptions {
  /** A new password now, even in the middle of access (reset, or a lost password). */
  forcePassword?: boolean;
}

/** How many ids one IN list binds (PostgreSQL takes at most 65,535 parameters a statement). */
export const IN_LIST_CHUNK = 5000;

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
  };

export { expiryTimer };

/**
 * Turns changes to a person's grants into desired states for the connector, and the
 * connector's results back into grant states (DESIGN §3, §5). Every method that changes
 * state writes its jobs to the outbox in the same transaction.
 */
@Injectable()
export class GrantsService {
  private readonly logger = new Logger(GrantsService.name);
  /** Half the broker's pool (data-source.ts, max 20): see TransactionGate. */
  private readonly gate = new TransactionGate(10);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly metrics: FaultMetrics,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /**
   * Runs `work` in the ambient transaction (opening one if none is open), handing it the
   * transaction's manager. A bridge while services still pass the manager by hand; the outbox
   * rows it writes are enqueued once it commits.
   */
  async inTransaction<T>(work: (em: EntityManager) => Promise<T>, first = false): Promise<T> {
    return this.gate.run(() => this.txHost.withTransaction(() => work(this.txHost.tx)), first);
  }

  /**
   * Computes the person's desired state on the integration from every grant they hold,
   * bumps the generation, stamps the requests whose transition this sync realises, and
   * writes one `sync-user` job. Call inside the transaction that changed the grants.
   */
  async scheduleSync(
    em: EntityManager,
    integration: IntegrationEntity,
    person: Pick<UserEntity, 'id' | 'email'>,
    correlationId?: string,
    opts: SyncOptions = {},
  ): Promise<number> {
    const du = await this.lockDatabaseUser(em, integration.id, person);
    const desired = await this.desiredFor(em, integration, du, opts.forcePassword === true);
    const generation = du.generation + 1;
    // The user's new generation and the stamp on the requests it realises: one round trip.
    await em.query(
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
      [du.id, generation, desired.login, desired.rotatePassword, integration.id, person.id],
    );
    await this.outbox.add(
      this.syncJob(integration, person, du.username, generation, desired, correlationId),
    );
    return generation;
  }

  /**
   * `scheduleSync` for many people on one integration at once (revoke-all): the same desired
   * states, generations, stamps and jobs, in a handful of statements instead of ~8 a person.
   * Their database user rows are locked in id order.
   */
  async syncPeople(
    em: EntityManager,
    integrationId: string,
    personIds: readonly string[],
  ): Promise<void> {
    // In chunks: an IN list is bound parameters, and PostgreSQL takes at most 65,535.
    for (let i = 0; i < personIds.length; i += IN_LIST_CHUNK)
      await this.syncPeopleChunk(em, integrationId, personIds.slice(i, i + IN_LIST_CHUNK));
  }

  private async syncPeopleChunk(
    em: EntityManager,
    integrationId: string,
    personIds: readonly string[],
  ): Promise<void> {
    if (personIds.length === 0) return;
    const integration = await em
      .getRepository(IntegrationEntity)
      .findOneByOrFail({ id: integrationId });
    const people = await em.getRepository(UserEntity).find({
      select: { id: true, email: true },
      where: { id: In([...personIds]) },
    });
    const locked = await em.getRepository(DatabaseUserEntity).find({
      where: { integrationId, userId: In([...personIds]) },
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    const byPerson = new Map(locked.map((du) => [du.userId, du]));
    // A person without a database user row yet (never synced) goes the one-by-one way.
    for (const person of people)
      if (!byPerson.has(person.id)) await this.scheduleSync(em, integration, person);
    const held = await em.getRepository(AccessRequestEntity).find({
      where: {
        integrationId,
        requesterId: In([...byPerson.keys()]),
        status: In([...HELD_STATUSES]),
      },
    });
    const heldBy = new Map<string, AccessRequestEntity[]>();
    for (const r of held) heldBy.set(r.requesterId, [...(heldBy.get(r.requesterId) ?? []), r]);
    const now = new Date();
    const plans = people
      .filter((p) => byPerson.has(p.id))
      .map((person) => {
        const du = byPerson.get(person.id)!;
        const desired = desiredState((heldBy.get(person.id) ?? []).map(heldGrant), {
          now,
          rotationDays: integration.rotationDays,
          hasSealedPassword: du.sealedPassword !== null,
          passwordIssuedAt: du.passwordIssuedAt,
          accessEndedAt: du.accessEndedAt,
        });
        return { person, du, desired, generation: du.generation + 1 };
      });
    if (plans.length === 0) return;
    await em.query(
      `UPDATE database_users d
          SET generation = v.generation,
              state = CASE WHEN v.login THEN 'active' ELSE d.state END,
              cleanup_due_at = CASE WHEN v.login THEN NULL ELSE d.cleanup_due_at END,
              password_pending_generation =
                CASE WHEN v.rotate THEN v.generation ELSE d.password_pending_generation END
         FROM unnest($1::uuid[], $2::int[], $3::bool[], $4::bool[]) AS v(id, generation, login, rotate)
        WHERE d.id = v.id`,
      [
        plans.map((x) => x.du.id),
        plans.map((x) => x.generation),
        plans.map((x) => x.desired.login),
        plans.map((x) => x.desired.rotatePassword),
      ],
    );
    await em.query(
      `UPDATE access_requests r SET sync_generation = v.generation, updated_at = now()
         FROM unnest($2::uuid[], $3::int[]) AS v(person, generation)
        WHERE r.integration_id = $1 AND r.requester_id = v.person
          AND r.status IN ('GRANTING', 'REVOKING') AND r.sync_generation IS NULL`,
      [integrationId, plans.map((x) => x.person.id), plans.map((x) => x.generation)],
    );
    await this.outbox.addMany(
      plans.map((x) => this.syncJob(integration, x.person, x.du.username, x.generation, x.desired)),
    );
  }

  /**
   * Sends the current generation again under its own job id (DESIGN §5): a no-op while the job
   * is still in Redis, a recovery when it was lost (a flushed Redis). Never bumps the generation.
   */
  async resendSync(
    em: EntityManager,
    integration: IntegrationEntity,
    person: Pick<UserEntity, 'id' | 'email'>,
    du: DatabaseUserEntity,
  ): Promise<void> {
    if (du.generation === 0) return;
    if (du.state === 'deleting') {
      await this.enqueueCleanup(em, integration, person, du, du.generation);
      return;
    }
    const desired = await this.desiredFor(em, integration, du, false);
    await this.outbox.add(
      this.syncJob(integration, person, du.username, du.generation, {
        ...desired,
        rotatePassword: desired.rotatePassword || du.passwordPendingGeneration === du.generation,
      }),
    );
  }

  /** The person's desired state on the integration from every grant they hold (DESIGN §3). */
  async desiredFor(
    em: EntityManager,
    integration: IntegrationEntity,
    du: DatabaseUserEntity,
    forceNewPassword: boolean,
  ): Promise<DesiredState & { held: HeldGrant[] }> {
    const rows = await em.getRepository(AccessRequestEntity).find({
      where: {
        integrationId: integration.id,
        requesterId: du.userId,
        status: In([...HELD_STATUSES]),
      },
    });
    const held = rows.map(heldGrant);
    const desired = desiredState(held, {
      now: new Date(),
      rotationDays: integration.rotationDays,
      hasSealedPassword: du.sealedPassword !== null,
      passwordIssuedAt: du.passwordIssuedAt,
      accessEndedAt: du.accessEndedAt,
      forceNewPassword,
    });
    return { ...desired, held };
  }

  /** The `sync-user` job of a desired state, as an outbox row (no secret in it: DESIGN §4). */
  private syncJob(
    integration: IntegrationEntity,
    person: Pick<UserEntity, 'id' | 'email'>,
    username: string,
    generation: number,
    desired: DesiredState,
    correlationId?: string,
  ): OutboxJob {
    const job = SyncUserJobSchema.parse({
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      integrationId: integration.id,
      personId: person.id,
      personEmail: person.email,
      username,
      generation,
      login: desired.login,
      groups: desired.groups,
      validUntil: desired.validUntil?.toISOString() ?? null,
      startingDurationSeconds: desired.startingDurationSeconds,
      connectionLimit: integration.connectionLimit,
      rotatePassword: desired.rotatePassword,
      groupTimes: desired.groupTimes?.map((t) => ({
        ...t,
        validUntil: t.validUntil?.toISOString() ?? null,
      })),
      // The HTTP request's id when there is one (REST, Slack), so one id follows it end to end.
      correlationId: currentCorrelationId() ?? correlationId,
    });
    return {
      job: { kind: 'connector', connectorId: integration.connectorId, job },
      jobId: jobIds.sync(integration.id, person.id, generation),
    };
  }

  private async enqueueCleanup(
    _em: EntityManager,
    integration: IntegrationEntity,
    person: Pick<UserEntity, 'id' | 'email'>,
    du: DatabaseUserEntity,
    generation: number,
  ): Promise<void> {
    const job = CleanupUserJobSchema.parse({
      v: CONTRACT_VERSION,
      kind: 'cleanup-user',
      integrationId: du.integrationId,
      personId: du.userId,
      personEmail: person.email,
      username: du.username,
      generation,
      databases: integration.databases,
    });
    await this.outbox.add({
      job: { kind: 'connector', connectorId: integration.connectorId, job },
      jobId: jobIds.cleanup(du.integrationId, du.userId, generation),
    });
  }

  /** Locks (creating if needed) the person's database user row on the integration. */
  private async lockDatabaseUser(
    em: EntityManager,
    integrationId: string,
    person: Pick<UserEntity, 'id' | 'email'>,
  ): Promise<DatabaseUserEntity> {
    const repo = em.getRepository(DatabaseUserEntity);
    const find = () =>
      repo.findOne({
        where: { integrationId, userId: person.id },
        lock: { mode: 'pessimistic_write' },
      });
    const existing = await find();
    if (existing) return existing;
    // ON CONFLICT DO NOTHING: a concurrent first request of the same person wins the insert.
    const insert = async (username: string) => {
      const inserted = await repo
        .createQueryBuilder()
        .insert()
        .values({ integrationId, userId: person.id, username })
        .orIgnore()
        .execute();
      // Ours (and locked by this transaction until it ends): no need to read it back.
      const id = (inserted.identifiers[0] as { id?: string } | undefined)?.id;
      return id
        ? repo.create({
            ...NEW_DATABASE_USER,
            ...(inserted.generatedMaps[0] as Partial<DatabaseUserEntity>),
            id,
            integrationId,
            userId: person.id,
            username,
          })
        : null;
    };
    // The plain name first: usually free, and then the only statement needed.
    const plain = await insert(baseUsername(person.email));
    if (plain) return plain;
    // Only the two names this person could get are looked up (unique index), not every user.
    const taken = await repo.find({
      select: { username: true, userId: true },
      where: {
        integrationId,
        username: In([baseUsername(person.email), hashedUsername(person.email)]),
      },
    });
    const username = chooseUsername(person.email, (n) =>
      taken.some((t) => t.username === n && t.userId !== person.id),
    );
    const created = await insert(username);
    if (created) return created;
    const row = await find();
    if (!row)
      throw new Error(`database user name ${username} is taken on integration ${integrationId}`);
    return row;
  }

  async onSyncResult(r: SyncUserResult): Promise<void> {
    // A result finishes work under way: it goes ahead of new approvals waiting for a slot.
    const finishesWork = true;
    await this.inTransaction((em) => this.applySyncResult(em, r), finishesWork);
  }

  /**
   * Records one connector result inside the caller's transaction. Idempotent: a redelivered or
   * stale result finds its requests already moved on and its generation already applied.
   */
  async applySyncResult(em: EntityManager, r: SyncUserResult): Promise<void> {
    const users = em.getRepository(DatabaseUserEntity);
    const du = await users.findOne({
      where: { integrationId: r.integrationId, userId: r.personId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!du) {
      this.logger.warn({ jobId: r.jobId }, 'result for an unknown database user ignored');
      return;
    }
    const requests = em.getRepository(AccessRequestEntity);
    const pending = await requests.find({
      where: {
        integrationId: r.integrationId,
        requesterId: r.personId,
        status: In(['GRANTING', 'REVOKING']),
        syncGeneration: LessThanOrEqual(r.generation),
      },
    });
    if (r.status === 'failed') {
      await this.recordSyncFailure(em, du, r, pending);
      return;
    }
    // Stale: the database already holds a newer generation, which realises every transition
    // up to this one too (a result lost after its commit lands here on retry).
    const now = new Date();
    const started = r.startedAt ? new Date(r.startedAt) : now;
    // Grants the connector could not apply fail alone, with their own error (issue 18).
    const failedOf = new Map(pending.map((req) => [req, failedGroupOf(req, r)]));
    const failures = (r.failedGroups ?? []).map(failedGroupText);
    await users.update(du.id, {
      appliedGeneration: Math.max(du.appliedGeneration, r.generation),
      lastAppliedAt: laterOf(du.lastAppliedAt, appliedAtOf(r)),
      lastError: failures.length > 0 ? failures.join('; ').slice(0, 2000) : null,
      // No password was issued because no grant could be applied: none is pending any more.
      ...(r.status === 'applied' &&
      !r.sealedPassword &&
      failures.length > 0 &&
      du.passwordPendingGeneration === r.generation
        ? { passwordPendingGeneration: null }
        : {}),
      ...(r.sealedPassword && r.status === 'applied'
        ? {
            sealedPassword: r.sealedPassword,
            passwordIssuedAt: r.passwordIssuedAt ? new Date(r.passwordIssuedAt) : now,
            ...(du.passwordPendingGeneration !== null &&
            r.generation >= du.passwordPendingGeneration
              ? { passwordPendingGeneration: null }
              : {}),
          }
        : {}),
    });
    // A lost password: issue another one at once (forced, even mid-access).
    const lost = passwordLost(r, du);
    if (lost) {
      this.metrics.passwordsLost++;
      await users.update(du.id, { passwordPendingGeneration: null });
      await this.audit.record(
        {
          action: 'password.lost',
          actorType: 'connector',
          channel: 'connector',
          integrationId: r.integrationId,
          details: { username: r.username, generation: r.generation },
        },
        em,
      );
    }
    for (const req of pending) {
      const failed = failedOf.get(req);
      if (req.status === 'GRANTING' && failed) {
        const text = failedGroupText(failed);
        await requests.update(req.id, {
          status: transition(req.status, 'fail'),
          statusReason: text,
          lastError: text,
          endedAt: now,
          syncAttempts: r.attempt,
        });
        await this.audit.record(grantFailedEvent(req, r, failed), em);
      } else if (req.status === 'GRANTING') {
        const expiresAt = new Date(started.getTime() + req.durationSeconds * 1000);
        await requests.update(req.id, {
          status: transition(req.status, 'activate'),
          grantedAt: started,
          expiresAt,
          lastError: null,
          syncAttempts: r.attempt,
        });
        await this.outbox.add(expiryTimer(req.id, expiresAt));
        await this.audit.record(grantActivatedEvent(req, r, started, expiresAt), em);
      } else {
        await requests.update(req.id, {
          status: transition(req.status, 'revoked'),
          endedAt: now,
          lastError: null,
        });
        await this.audit.record(grantRevokedEvent(req, r), em);
      }
    }
    // An active grant whose group could not be applied again (a membership lost with its
    // schema): it stays ACTIVE until it ends, and says why it does not work.
    if (failures.length > 0) await this.noteActiveFailures(em, r);
    // A grant this result activated is held: access has not ended (no count needed).
    if (!pending.some((p) => p.status === 'GRANTING' && !failedOf.get(p)))
      await this.maybeEndAccess(em, du, r.generation, now);
    if (lost)
      await this.syncPerson(em, r.integrationId, r.personId, r.correlationId, {
        forcePassword: true,
      });
  }

  private async noteActiveFailures(em: EntityManager, r: SyncUserResult): Promise<void> {
    const requests = em.getRepository(AccessRequestEntity);
    const active = await requests.find({
      where: { integrationId: r.integrationId, requesterId: r.personId, status: 'ACTIVE' },
    });
    for (const req of active) {
      const failed = failedGroupOf(req, r);
      if (failed) await requests.update(req.id, { lastError: failedGroupText(failed) });
    }
  }

  /** After the newest state was applied with nothing held or being revoked: the clock of cleanup starts. */
  private async maybeEndAccess(
    em: EntityManager,
    du: DatabaseUserEntity,
    generation: number,
    now: Date,
  ): Promise<void> {
    if (generation !== du.generation || du.state !== 'active') return;
    const open = await em.getRepository(AccessRequestEntity).count({
      where: {
        integrationId: du.integrationId,
        requesterId: du.userId,
        status: In(['GRANTING', 'ACTIVE', 'REVOKING']),
      },
    });
    if (open > 0) return;
    const integration = await em
      .getRepository(IntegrationEntity)
      .findOneByOrFail({ id: du.integrationId });
    const cleanupDueAt = new Date(now.getTime() + integration.cleanupDays * 86400_000);
    await em
      .getRepository(DatabaseUserEntity)
      .update(du.id, { state: 'inactive', accessEndedAt: now, cleanupDueAt });
    await this.outbox.add(cleanupTimer(du.id, cleanupDueAt));
  }

  private async recordSyncFailure(
    em: EntityManager,
    du: DatabaseUserEntity,
    r: SyncUserResult,
    pending: AccessRequestEntity[],
  ): Promise<void> {
    const error = r.error ?? {
      code: 'UNKNOWN',
      message: 'the connector reported a failure',
      retryable: true,
    };
    const text = `${error.code}: ${error.message}${error.retryable ? ` (attempt ${r.attempt}, retrying)` : ''}`;
    await em.getRepository(DatabaseUserEntity).update(du.id, { lastError: text });
    const requests = em.getRepository(AccessRequestEntity);
    for (const req of pending) {
      await requests.update(req.id, { lastError: text, syncAttempts: r.attempt });
    }
    if (r.attempt === 1 || !error.retryable || r.attempt % 10 === 0) {
      await this.audit.record(
        {
          action: 'sync.failed',
          actorType: 'connector',
          channel: 'connector',
          integrationId: r.integrationId,
          requestId: pending.length === 1 ? pending[0].id : null,
          details: { username: r.username, generation: r.generation, attempt: r.attempt, error },
        },
        em,
      );
    }
    // A sync that takes access away: a request being revoked, or a correction with none pending.
    const revoking = pending.length === 0 || pending.some((p) => p.status === 'REVOKING');
    if (revoking) await this.alertRevoke(em, du, r, error, pending);
    if (error.retryable) return;
    // A grant that can never be applied fails; a revoke never gives up (DESIGN §5): a new
    // generation is tried again later (the connector's error may be fixed by then).
    const failing = pending.filter((p) => p.status === 'GRANTING');
    if (failing.length === 0) {
      const runAt = new Date(Date.now() + this.config.REVOKE_REFUSED_RETRY_MS);
      await this.outbox.add({
        job: { kind: 'retry-sync', databaseUserId: du.id, generation: r.generation },
        jobId: jobIds.retrySync(du.id, r.generation),
        runAt,
      });
      return;
    }
    for (const req of failing) {
      await requests.update(req.id, {
        status: transition(req.status, 'fail'),
        statusReason: text,
        endedAt: new Date(),
      });
    }
    await this.syncPerson(em, r.integrationId, r.personId, r.correlationId);
  }

  /**
   * A revoke still failing after REVOKE_ALERT_AFTER_ATTEMPTS attempts (or refused for good):
   * an error log on every such attempt, an audit event and a counter at the threshold and
   * every hundred attempts after it. The retries go on regardless.
   */
  private async alertRevoke(
    em: EntityManager,
    du: DatabaseUserEntity,
    r: SyncUserResult,
    error: NonNullable<SyncUserResult['error']>,
    pending: AccessRequestEntity[],
  ): Promise<void> {
    const threshold = this.config.REVOKE_ALERT_AFTER_ATTEMPTS;
    if (error.retryable && r.attempt < threshold) return;
    this.logger.error(
      { username: r.username, generation: r.generation, attempt: r.attempt, error },
      'revoke still failing; retrying',
    );
    const due = !error.retryable || r.attempt === threshold || (r.attempt - threshold) % 100 === 0;
    if (!due) return;
    this.metrics.revokeAlerts++;
    await this.audit.record(
      {
        action: 'revoke.alert',
        actorType: 'system',
        integrationId: du.integrationId,
        requestId: pending.length === 1 ? pending[0].id : null,
        details: {
          username: r.username,
          generation: r.generation,
          attempt: r.attempt,
          threshold,
          error,
          retrying: true,
        },
      },
      em,
    );
  }

  /** A permanently refused revoke, tried again as a new generation (never given up). */
  async retrySync(databaseUserId: string, generation: number): Promise<boolean> {
    return this.inTransaction(async (em) => {
      const du = await em.getRepository(DatabaseUserEntity).findOne({
        where: { id: databaseUserId },
        lock: { mode: 'pessimistic_write' },
      });
      // Something newer was sent, or this one went through after all.
      if (!du || du.generation !== generation || du.appliedGeneration >= generation) return false;
      await this.syncPerson(em, du.integrationId, du.userId);
      return true;
    });
  }

  async onCleanupResult(r: CleanupUserResult): Promise<void> {
    await this.inTransaction(async (em) => {
      const users = em.getRepository(DatabaseUserEntity);
      const du = await users.findOne({
        where: { integrationId: r.integrationId, userId: r.personId },
        lock: { mode: 'pessimistic_write' },
      });
      // A newer generation means access began again after this cleanup was scheduled.
      if (!du || du.generation !== r.generation) return;
      if (r.status === 'failed') {
        const error = r.error;
        const reason = error ? `${error.code}: ${error.message}` : 'cleanup failed';
        await users.update(du.id, { lastError: reason });
        if (error && !error.retryable) {
          // The connector gave this job up (e.g. objects it may not reassign): the user stays
          // NOLOGIN, is listed as waiting for cleanup with the reason, and is tried again.
          const cleanupDueAt = new Date(Date.now() + this.config.CLEANUP_RETRY_MS);
          await users.update(du.id, { state: 'inactive', cleanupDueAt });
          await this.outbox.add(cleanupTimer(du.id, cleanupDueAt));
        }
        if (r.attempt === 1 || r.attempt % 10 === 0 || !error?.retryable) {
          await this.audit.record(
            {
              action: 'database_user.cleanup_failed',
              actorType: 'connector',
              channel: 'connector',
              integrationId: r.integrationId,
              details: { username: r.username, attempt: r.attempt, error },
            },
            em,
          );
        }
        return;
      }
      await users.update(du.id, {
        state: 'deleted',
        sealedPassword: null,
        passwordIssuedAt: null,
        cleanupDueAt: null,
        lastError: null,
      });
      await this.audit.record(
        {
          action: 'database_user.deleted',
          actorType: 'connector',
          channel: 'connector',
          integrationId: r.integrationId,
          details: {
            username: r.username,
            personId: r.personId,
            status: r.status,
            reassigned: r.reassigned,
            effects: r.effects,
          },
        },
        em,
      );
    });
  }

  /** Ends an ACTIVE grant whose time is up (delayed job or sweeper; either may come first). */
  async expireGrant(requestId: string, now = new Date()): Promise<boolean> {
    // Time is up: ending access goes ahead of new approvals waiting for a slot.
    const urgent = true;
    return this.inTransaction(async (em) => {
      const requests = em.getRepository(AccessRequestEntity);
      const req = await requests.findOne({
        where: { id: requestId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!req || req.status !== 'ACTIVE' || !req.expiresAt || req.expiresAt > now) return false;
      await requests.update(req.id, {
        status: transition(req.status, 'expire'),
        statusReason: 'expired',
        endedAt: now,
        syncGeneration: null,
      });
      await this.audit.record(
        {
          action: 'grant.expired',
          requestId: req.id,
          integrationId: req.integrationId,
          details: { expiresAt: req.expiresAt.toISOString() },
        },
        em,
      );
      await this.syncPerson(em, req.integrationId, req.requesterId);
      return true;
    }, urgent);
  }

  /**
   * `expireGrant` for many grants at once (expiry timers firing together, the sweeper): one
   * transaction, a handful of statements. Returns the ids it ended.
   */
  async expireGrants(requestIds: readonly string[], now = new Date()): Promise<Set<string>> {
    if (requestIds.length === 0) return new Set();
    const urgent = true;
    return this.inTransaction(async (em) => {
      const requests = em.getRepository(AccessRequestEntity);
      // Locked in id order: two batches never wait for each other in a cycle.
      const due = (
        await requests.find({
          where: { id: In([...requestIds]) },
          lock: { mode: 'pessimistic_write' },
          order: { id: 'ASC' },
        })
      ).filter((req) => req.status === 'ACTIVE' && req.expiresAt && req.expiresAt <= now);
      if (due.length === 0) return new Set<string>();
      await requests.update(
        { id: In(due.map((req) => req.id)) },
        {
          status: transition('ACTIVE', 'expire'),
          statusReason: 'expired',
          endedAt: now,
          syncGeneration: null,
        },
      );
      await this.audit.recordMany(
        due.map((req) => ({
          action: 'grant.expired',
          requestId: req.id,
          integrationId: req.integrationId,
          details: { expiresAt: req.expiresAt!.toISOString() },
        })),
        em,
      );
      const people = new Map<string, Set<string>>();
      for (const req of due)
        people.set(
          req.integrationId,
          (people.get(req.integrationId) ?? new Set()).add(req.requesterId),
        );
      for (const [integrationId, ids] of people) await this.syncPeople(em, integrationId, [...ids]);
      return new Set(due.map((req) => req.id));
    }, urgent);
  }

  /**
   * Expiry timers that fired together: ended in one transaction, or — if that fails — one by
   * one, so one bad grant never holds back the others. One outcome per id (null = done).
   */
  async expireTogether(requestIds: readonly string[]): Promise<Array<Error | null>> {
    try {
      await this.expireGrants(requestIds);
      return requestIds.map(() => null);
    } catch (err) {
      this.logger.warn({ err, grants: requestIds.length }, 'expiring a batch failed; one by one');
      const outcomes: Array<Error | null> = [];
      for (const id of requestIds) {
        try {
          await this.expireGrant(id);
          outcomes.push(null);
        } catch (e) {
          outcomes.push(e instanceof Error ? e : new Error(String(e)));
        }
      }
      return outcomes;
    }
  }

  /**
   * Re-computes and sends the person's desired state (inside the caller's transaction).
   * `known`: the integration, when the caller has just read it.
   */
  async syncPerson(
    em: EntityManager,
    integrationId: string,
    personId: string,
    correlationId?: string,
    opts: SyncOptions = {},
    known?: IntegrationEntity,
  ): Promise<number> {
    const integration =
      known?.id === integrationId
        ? known
        : await em.getRepository(IntegrationEntity).findOneByOrFail({ id: integrationId });
    const person = await em.getRepository(UserEntity).findOneByOrFail({ id: personId });
    return this.scheduleSync(em, integration, person, correlationId, opts);
  }

  /** `cleanupDays` after the last access ended, unless access began again (DESIGN §3.5). */
  async cleanupDue(databaseUserId: string, now = new Date()): Promise<boolean> {
    return this.inTransaction(async (em) => {
      const users = em.getRepository(DatabaseUserEntity);
      const du = await users.findOne({
        where: { id: databaseUserId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!du || du.state !== 'inactive' || !du.cleanupDueAt || du.cleanupDueAt > now) return false;
      const integration = await em
        .getRepository(IntegrationEntity)
        .findOneByOrFail({ id: du.integrationId });
      const person = await em.getRepository(UserEntity).findOneByOrFail({ id: du.userId });
      const generation = du.generation + 1;
      await users.update(du.id, { generation, state: 'deleting', cleanupDueAt: null });
      await this.enqueueCleanup(em, integration, person, du, generation);
      await this.audit.record(
        {
          action: 'database_user.cleanup_scheduled',
          integrationId: du.integrationId,
          details: { username: du.username, generation },
        },
        em,
      );
      return true;
    });
  }

  /** Catches what timers missed (a flushed Redis, a broker down at the time): cheap, indexed. */
  async sweep(now = new Date()): Promise<{ expired: number; cleanups: number }> {
    const overdue = await this.dataSource.getRepository(AccessRequestEntity).find({
      select: { id: true },
      where: { status: 'ACTIVE', expiresAt: LessThanOrEqual(now) },
      take: 500,
    });
    const expired = (
      await this.expireGrants(
        overdue.map((r) => r.id),
        now,
      )
    ).size;
    const due = await this.dataSource.getRepository(DatabaseUserEntity).find({
      select: { id: true },
      where: { state: 'inactive', cleanupDueAt: LessThanOrEqual(now) },
      take: 500,
    });
    let cleanups = 0;
    for (const d of due) if (await this.cleanupDue(d.id, now)) cleanups++;
    return { expired, cleanups };
  }
}

function heldGrant(r: AccessRequestEntity): HeldGrant {
  return {
    database: r.database,
    schema: r.schema,
    permission: r.permission,
    status: r.status as HeldGrant['status'],
    expiresAt: r.expiresAt,
    durationSeconds: r.durationSeconds,
  };
}
