import { Injectable, Logger } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { SyncUserResult } from '@doorman/contracts';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { transition } from '../access-requests/request-state';
import { AuditService } from '../audit/audit.service';
import { OutboxService } from '../outbox/outbox.service';
import { AccessEndService } from './access-end.service';
import { DatabaseUserRepository } from './database-user.repository';
import {
  appliedAtOf,
  expiryTimer,
  failedGroupOf,
  failedGroupText,
  grantActivatedEvent,
  grantFailedEvent,
  grantRevokedEvent,
  laterOf,
  passwordLost,
} from './grant-events';
import { residueEvent, verificationColumns } from './revoke-verification';
import { SyncFailuresService } from './sync-failures.service';

/**
 * A connector's sync result, one at a time, back into grant states: requests being granted
 * turn ACTIVE (or fail alone, with their own error), requests being revoked end, the
 * database user records the generation applied and its sealed password. Idempotent: a
 * redelivered or stale result finds its requests already moved on and its generation applied.
 */
@Injectable()
export class SyncResultsService {
  private readonly logger = new Logger(SyncResultsService.name);

  constructor(
    private readonly users: DatabaseUserRepository,
    private readonly requests: AccessRequestRepository,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly accessEnd: AccessEndService,
    private readonly failures: SyncFailuresService,
  ) {}

  /** Records one result in the ambient transaction (opening one if none is open). */
  @Transactional()
  async onSyncResult(r: SyncUserResult): Promise<void> {
    const du = await this.users.lockOf(r.integrationId, r.personId);
    if (!du) {
      this.logger.warn({ jobId: r.jobId }, 'result for an unknown database user ignored');
      return;
    }
    const pending = await this.requests.realisedBy(r.integrationId, r.personId, r.generation);
    if (r.status === 'failed') {
      const error = r.error ?? {
        code: 'UNKNOWN',
        message: 'the connector reported a failure',
        retryable: true,
      };
      const text = `${error.code}: ${error.message}${error.retryable ? ` (attempt ${r.attempt}, retrying)` : ''}`;
      await this.users.update(du.id, { lastError: text });
      await this.failures.recordFailure(du, r, pending, error, text);
      return;
    }
    // Stale: the database already holds a newer generation, which realises every transition
    // up to this one too (a result lost after its commit lands here on retry).
    const now = new Date();
    const started = r.startedAt ? new Date(r.startedAt) : now;
    // Grants the connector could not apply fail alone, with their own error.
    const failedOf = new Map(pending.map((req) => [req, failedGroupOf(req, r)]));
    const failures = (r.failedGroups ?? []).map(failedGroupText);
    await this.users.update(du.id, {
      appliedGeneration: Math.max(du.appliedGeneration, r.generation),
      lastAppliedAt: laterOf(du.lastAppliedAt, appliedAtOf(r)),
      lastError: failures.length > 0 ? failures.join('; ').slice(0, 2000) : null,
      // The connector's check of the target after the revoke: the latest proof, kept.
      ...verificationColumns(r),
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
      await this.users.update(du.id, { passwordPendingGeneration: null });
      await this.failures.notePasswordLost(r);
    }
    for (const req of pending) {
      const failed = failedOf.get(req);
      if (req.status === 'GRANTING' && failed) {
        const text = failedGroupText(failed);
        await this.requests.update(req.id, {
          status: transition(req.status, 'fail'),
          statusReason: text,
          lastError: text,
          endedAt: now,
          syncAttempts: r.attempt,
        });
        await this.audit.record(grantFailedEvent(req, r, failed));
      } else if (req.status === 'GRANTING') {
        // A flow counting from the first login: until then it runs to wait + duration (usage/).
        const expiresAt = new Date(
          started.getTime() + (req.durationSeconds + (req.firstLoginWaitSeconds ?? 0)) * 1000,
        );
        await this.requests.update(req.id, {
          status: transition(req.status, 'activate'),
          grantedAt: started,
          expiresAt,
          lastError: null,
          syncAttempts: r.attempt,
        });
        await this.outbox.add(expiryTimer(req.id, expiresAt));
        await this.audit.record(grantActivatedEvent(req, r, started, expiresAt));
      } else {
        await this.requests.update(req.id, {
          status: transition(req.status, 'revoked'),
          endedAt: now,
          lastError: null,
        });
        await this.audit.record(grantRevokedEvent(req, r));
      }
    }
    // What the check found left behind (and removed) is audited; a clean check is not news.
    const residue = residueEvent(
      r,
      pending.filter((p) => p.status !== 'GRANTING').map((p) => p.id),
    );
    if (residue) await this.audit.record(residue);
    // An active grant whose group could not be applied again (a membership lost with its
    // schema): it stays ACTIVE until it ends, and says why it does not work.
    if (failures.length > 0) await this.noteActiveFailures(r);
    // A grant this result activated is held: access has not ended (no count needed).
    if (!pending.some((p) => p.status === 'GRANTING' && !failedOf.get(p)))
      await this.accessEnd.endIfIdle(du, r.generation, now);
    if (lost) await this.failures.reissuePassword(r);
  }

  private async noteActiveFailures(r: SyncUserResult): Promise<void> {
    for (const req of await this.requests.activeOf(r.integrationId, r.personId)) {
      const failed = failedGroupOf(req, r);
      if (failed) await this.requests.update(req.id, { lastError: failedGroupText(failed) });
    }
  }
}
