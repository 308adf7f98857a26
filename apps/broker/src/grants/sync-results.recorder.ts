import { Injectable, Logger } from '@nestjs/common';
import type { SyncUserResult } from '@doorman/contracts';
import { type EntityManager, In } from 'typeorm';
import { AuditService, type AuditInput } from '../audit/audit.service';
import { IntegrationEntity } from '../integrations/integration.entity';
import { OutboxService, type OutboxJob } from '../outbox/outbox.service';
import { AccessRequestEntity } from '../access-requests/access-request.entity';
import { transition } from '../access-requests/request-state';
import { DatabaseUserEntity } from './database-user.entity';
import {
  appliedAtOf,
  cleanupTimer,
  expiryTimer,
  grantActivatedEvent,
  grantRevokedEvent,
  passwordLost,
} from './grant-events';
import { GrantsService } from './grants.service';

const personKey = (integrationId: string, personId: string) => `${integrationId}/${personId}`;

/**
 * Records many connector results in one transaction with set-based statements (issue #8): one
 * at a time, each cost a transaction of ~8 statements and capped the broker at ~45 results a
 * second. The common case — a grant applied or a revoke done, one result per person — is a
 * fixed handful of statements for the whole batch; everything else (failures, grants the
 * connector could not apply, a lost password, a second result for the same person) goes through `GrantsService.applySyncResult` in the same
 * transaction. If the batch's transaction fails, each result is recorded on its own, so one bad
 * result never loses the others.
 */
@Injectable()
export class SyncResultsRecorder {
  private readonly logger = new Logger(SyncResultsRecorder.name);

  constructor(
    private readonly grants: GrantsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  /** One outcome per result, in order: null once it is durable, or why it could not be. */
  async record(results: readonly SyncUserResult[]): Promise<Array<Error | null>> {
    if (results.length === 1) return [await this.recordOne(results[0])];
    try {
      // A result finishes work under way: it goes ahead of new approvals waiting for a slot.
      await this.grants.inTransaction(async (em) => {
        const rest = await this.recordCommon(em, results);
        for (const r of rest) await this.grants.applySyncResult(em, r);
      }, true);
      return results.map(() => null);
    } catch (err) {
      this.logger.warn(
        { err, results: results.length },
        'recording a batch of results failed; recording them one by one',
      );
      const outcomes: Array<Error | null> = [];
      for (const r of results) outcomes.push(await this.recordOne(r));
      return outcomes;
    }
  }

  private async recordOne(r: SyncUserResult): Promise<Error | null> {
    try {
      await this.grants.onSyncResult(r);
      return null;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /**
   * Records the common results set-based and returns the others, in arrival order, for the
   * one-by-one path. Same effects as `applySyncResult` for each result it takes.
   */
  private async recordCommon(
    em: EntityManager,
    results: readonly SyncUserResult[],
  ): Promise<SyncUserResult[]> {
    const firstOf = new Map<string, SyncUserResult>();
    for (const r of results) {
      const k = personKey(r.integrationId, r.personId);
      // Grants left out (issue 18) fail one by one, each with its own error.
      const partial = (r.failedGroups ?? []).length > 0;
      if (r.status !== 'failed' && !partial && !firstOf.has(k)) firstOf.set(k, r);
    }
    if (firstOf.size === 0) return [...results];
    const candidates = [...firstOf.values()];

    // Locked in id order in one statement: two batches never wait for each other in a cycle.
    const locked = await em
      .getRepository(DatabaseUserEntity)
      .createQueryBuilder('d')
      .where(
        '(d.integration_id, d.user_id) IN (SELECT * FROM unnest(CAST(:ints AS uuid[]), CAST(:people AS uuid[])))',
        {
          ints: candidates.map((r) => r.integrationId),
          people: candidates.map((r) => r.personId),
        },
      )
      .orderBy('d.id', 'ASC')
      .setLock('pessimistic_write')
      .getMany();
    const duOf = new Map(locked.map((du) => [personKey(du.integrationId, du.userId), du]));

    const taken = new Set<SyncUserResult>();
    const common: Array<{ r: SyncUserResult; du: DatabaseUserEntity }> = [];
    for (const r of candidates) {
      const du = duOf.get(personKey(r.integrationId, r.personId));
      if (!du) {
        this.logger.warn({ jobId: r.jobId }, 'result for an unknown database user ignored');
        taken.add(r);
        continue;
      }
      // A lost password issues another one at once: the one-by-one path does that.
      if (passwordLost(r, du)) continue;
      taken.add(r);
      common.push({ r, du });
    }
    const rest = results.filter((r) => !taken.has(r));
    if (common.length === 0) return rest;

    const requests = await em.getRepository(AccessRequestEntity).find({
      where: {
        requesterId: In(common.map((c) => c.r.personId)),
        status: In(['GRANTING', 'REVOKING']),
      },
    });
    const now = new Date();
    const audits: AuditInput[] = [];
    const jobs: OutboxJob[] = [];
    const userRows = {
      id: [] as string[],
      generation: [] as number[],
      sealed: [] as Array<string | null>,
      issuedAt: [] as Array<string | null>,
      appliedAt: [] as Array<string | null>,
    };
    const requestRows = {
      id: [] as string[],
      status: [] as string[],
      grantedAt: [] as Array<string | null>,
      expiresAt: [] as Array<string | null>,
      endedAt: [] as Array<string | null>,
      attempts: [] as Array<number | null>,
    };
    const mayEnd: Array<{ r: SyncUserResult; du: DatabaseUserEntity }> = [];

    for (const { r, du } of common) {
      const pending = requests.filter(
        (q) =>
          q.integrationId === r.integrationId &&
          q.requesterId === r.personId &&
          q.syncGeneration !== null &&
          q.syncGeneration <= r.generation,
      );
      const started = r.startedAt ? new Date(r.startedAt) : now;
      const sealed = r.sealedPassword && r.status === 'applied' ? r.sealedPassword : null;
      userRows.id.push(du.id);
      userRows.generation.push(r.generation);
      userRows.sealed.push(sealed ? JSON.stringify(sealed) : null);
      userRows.issuedAt.push(sealed ? (r.passwordIssuedAt ?? now.toISOString()) : null);
      userRows.appliedAt.push(appliedAtOf(r)?.toISOString() ?? null);
      for (const req of pending) {
        if (req.status === 'GRANTING') {
          const expiresAt = new Date(started.getTime() + req.durationSeconds * 1000);
          requestRows.id.push(req.id);
          requestRows.status.push(transition(req.status, 'activate'));
          requestRows.grantedAt.push(started.toISOString());
          requestRows.expiresAt.push(expiresAt.toISOString());
          requestRows.endedAt.push(null);
          requestRows.attempts.push(r.attempt);
          jobs.push(expiryTimer(req.id, expiresAt));
          audits.push(grantActivatedEvent(req, r, started, expiresAt));
        } else {
          requestRows.id.push(req.id);
          requestRows.status.push(transition(req.status, 'revoked'));
          requestRows.grantedAt.push(null);
          requestRows.expiresAt.push(null);
          requestRows.endedAt.push(now.toISOString());
          requestRows.attempts.push(null);
          audits.push(grantRevokedEvent(req, r));
        }
      }
      // As `maybeEndAccess`: the newest state applied, nothing being granted by it.
      if (
        !pending.some((p) => p.status === 'GRANTING') &&
        r.generation === du.generation &&
        du.state === 'active'
      )
        mayEnd.push({ r, du });
    }

    await em.query(
      `UPDATE database_users d
          SET applied_generation = GREATEST(d.applied_generation, v.generation),
              last_error = NULL,
              sealed_password = COALESCE(v.sealed::jsonb, d.sealed_password),
              password_issued_at = CASE WHEN v.sealed IS NULL THEN d.password_issued_at ELSE v.issued_at END,
              password_pending_generation = CASE
                WHEN v.sealed IS NOT NULL AND v.generation >= d.password_pending_generation THEN NULL
                ELSE d.password_pending_generation END,
              last_applied_at = GREATEST(d.last_applied_at, v.applied_at)
         FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[])
              AS v(id, generation, sealed, issued_at, applied_at)
        WHERE d.id = v.id`,
      [userRows.id, userRows.generation, userRows.sealed, userRows.issuedAt, userRows.appliedAt],
    );
    if (requestRows.id.length > 0)
      await em.query(
        `UPDATE access_requests r
            SET status = v.status,
                granted_at = COALESCE(v.granted_at, r.granted_at),
                expires_at = COALESCE(v.expires_at, r.expires_at),
                ended_at = COALESCE(v.ended_at, r.ended_at),
                sync_attempts = COALESCE(v.attempts, r.sync_attempts),
                last_error = NULL,
                updated_at = now()
           FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                       $5::timestamptz[], $6::int[])
                AS v(id, status, granted_at, expires_at, ended_at, attempts)
          WHERE r.id = v.id`,
        [
          requestRows.id,
          requestRows.status,
          requestRows.grantedAt,
          requestRows.expiresAt,
          requestRows.endedAt,
          requestRows.attempts,
        ],
      );
    jobs.push(...(await this.endAccess(em, mayEnd, now)));
    await this.audit.recordMany(audits, em);
    await this.outbox.addMany(jobs);
    return rest;
  }

  /**
   * People with nothing granted, active or being revoked any more: their database user turns
   * inactive and the clock of cleanup starts (DESIGN §3.5). Returns the cleanup timers.
   */
  private async endAccess(
    em: EntityManager,
    candidates: ReadonlyArray<{ du: DatabaseUserEntity }>,
    now: Date,
  ): Promise<OutboxJob[]> {
    if (candidates.length === 0) return [];
    const open = await em.query<Array<{ integration_id: string; requester_id: string }>>(
      `SELECT DISTINCT integration_id::text AS integration_id, requester_id::text AS requester_id
         FROM access_requests
        WHERE requester_id = ANY($1::uuid[]) AND status IN ('GRANTING', 'ACTIVE', 'REVOKING')`,
      [candidates.map((c) => c.du.userId)],
    );
    const stillOpen = new Set(open.map((o) => personKey(o.integration_id, o.requester_id)));
    const ending = candidates
      .map((c) => c.du)
      .filter((du) => !stillOpen.has(personKey(du.integrationId, du.userId)));
    if (ending.length === 0) return [];
    const integrations = await em.getRepository(IntegrationEntity).find({
      select: { id: true, cleanupDays: true },
      where: { id: In([...new Set(ending.map((du) => du.integrationId))]) },
    });
    const cleanupDays = new Map(integrations.map((i) => [i.id, i.cleanupDays]));
    const dueAt = ending.map(
      (du) => new Date(now.getTime() + (cleanupDays.get(du.integrationId) ?? 0) * 86400_000),
    );
    await em.query(
      `UPDATE database_users d
          SET state = 'inactive', access_ended_at = $2, cleanup_due_at = v.due_at
         FROM unnest($1::uuid[], $3::timestamptz[]) AS v(id, due_at)
        WHERE d.id = v.id`,
      [ending.map((du) => du.id), now.toISOString(), dueAt.map((d) => d.toISOString())],
    );
    return ending.map((du, k) => cleanupTimer(du.id, dueAt[k]));
  }
}
