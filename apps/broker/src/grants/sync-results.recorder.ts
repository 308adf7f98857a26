import { Injectable, Logger } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { SyncUserResult } from '@doorman/contracts';
import {
  AccessRequestRepository,
  type RequestOutcome,
} from '../access-requests/access-request.repository';
import { transition } from '../access-requests/request-state';
import { AuditService, type AuditInput } from '../audit/audit.service';
import { OutboxService, type OutboxJob } from '../outbox/outbox.service';
import { AccessEndService } from './access-end.service';
import type { DatabaseUserEntity } from './database-user.entity';
import { DatabaseUserRepository, type AppliedSync } from './database-user.repository';
import {
  appliedAtOf,
  expiryTimer,
  grantActivatedEvent,
  grantRevokedEvent,
  passwordLost,
} from './grant-events';
import { SyncResultsService } from './sync-results.service';

const personKey = (integrationId: string, personId: string) => `${integrationId}/${personId}`;

/**
 * Records many connector results in one transaction with set-based statements: one at a time,
 * each cost a transaction of ~8 statements and capped the broker at ~45 results a second. The
 * common case — a grant applied or a revoke done, one result per person — is a fixed handful
 * of statements for the whole batch; everything else (failures, grants the connector could not
 * apply, a lost password, a second result for the same person) goes through
 * `SyncResultsService.onSyncResult` in the same transaction. If the batch's transaction fails,
 * each result is recorded on its own, so one bad result never loses the others.
 */
@Injectable()
export class SyncResultsRecorder {
  private readonly logger = new Logger(SyncResultsRecorder.name);

  constructor(
    private readonly results: SyncResultsService,
    private readonly users: DatabaseUserRepository,
    private readonly requests: AccessRequestRepository,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly accessEnd: AccessEndService,
  ) {}

  /** One outcome per result, in order: null once it is durable, or why it could not be. */
  async record(results: readonly SyncUserResult[]): Promise<Array<Error | null>> {
    if (results.length === 1) return [await this.recordOne(results[0])];
    try {
      await this.recordBatch(results);
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

  @Transactional()
  private async recordBatch(results: readonly SyncUserResult[]): Promise<void> {
    const rest = await this.recordCommon(results);
    for (const r of rest) await this.results.onSyncResult(r);
  }

  private async recordOne(r: SyncUserResult): Promise<Error | null> {
    try {
      await this.results.onSyncResult(r);
      return null;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /**
   * Records the common results set-based and returns the others, in arrival order, for the
   * one-by-one path. Same effects as `SyncResultsService.onSyncResult` for each it takes.
   */
  private async recordCommon(results: readonly SyncUserResult[]): Promise<SyncUserResult[]> {
    const firstOf = new Map<string, SyncUserResult>();
    for (const r of results) {
      const k = personKey(r.integrationId, r.personId);
      // Grants the connector left out fail one by one, each with its own error.
      // So do results whose check of the target after a revoke found something: the one-by-one
      // path audits it (revoke.residue); a clean check is stored here, with the grant.revoked event.
      const partial =
        (r.failedGroups ?? []).length > 0 ||
        (r.verification !== undefined && !r.verification.clean);
      if (r.status !== 'failed' && !partial && !firstOf.has(k)) firstOf.set(k, r);
    }
    if (firstOf.size === 0) return [...results];
    const candidates = [...firstOf.values()];

    // Locked in id order in one statement: two batches never wait for each other in a cycle.
    const locked = await this.users.lockPairs(candidates);
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

    const requests = await this.requests.inFlightOf(common.map((c) => c.r.personId));
    const now = new Date();
    const audits: AuditInput[] = [];
    const jobs: OutboxJob[] = [];
    const userRows: AppliedSync[] = [];
    const requestRows: RequestOutcome[] = [];
    const mayEnd: DatabaseUserEntity[] = [];

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
      userRows.push({
        id: du.id,
        generation: r.generation,
        sealed: sealed ? JSON.stringify(sealed) : null,
        issuedAt: sealed ? (r.passwordIssuedAt ?? now.toISOString()) : null,
        appliedAt: appliedAtOf(r)?.toISOString() ?? null,
        verification: r.verification ? JSON.stringify(r.verification) : null,
        verifiedAt: r.verification?.checkedAt ?? null,
      });
      for (const req of pending) {
        if (req.status === 'GRANTING') {
          // A flow counting from the first login: until then it runs to wait + duration (usage/).
          const expiresAt = new Date(
            started.getTime() + (req.durationSeconds + (req.firstLoginWaitSeconds ?? 0)) * 1000,
          );
          requestRows.push({
            id: req.id,
            status: transition(req.status, 'activate'),
            grantedAt: started.toISOString(),
            expiresAt: expiresAt.toISOString(),
            endedAt: null,
            attempts: r.attempt,
          });
          jobs.push(expiryTimer(req.id, expiresAt));
          audits.push(grantActivatedEvent(req, r, started, expiresAt));
        } else {
          requestRows.push({
            id: req.id,
            status: transition(req.status, 'revoked'),
            grantedAt: null,
            expiresAt: null,
            endedAt: now.toISOString(),
            attempts: null,
          });
          audits.push(grantRevokedEvent(req, r));
        }
      }
      // As `AccessEndService.endIfIdle`: the newest state applied, nothing being granted by it.
      if (
        !pending.some((p) => p.status === 'GRANTING') &&
        r.generation === du.generation &&
        du.state === 'active'
      )
        mayEnd.push(du);
    }

    await this.users.recordApplied(userRows);
    await this.requests.applyOutcomes(requestRows);
    await this.accessEnd.endIdle(mayEnd, now);
    await this.audit.recordMany(audits);
    await this.outbox.addMany(jobs);
    return rest;
  }
}
