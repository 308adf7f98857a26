import { Inject, Injectable, Logger } from '@nestjs/common';
import { jobIds, type SyncUserResult } from '@doorman/contracts';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { transition } from '../access-requests/request-state';
import { AuditService } from '../audit/audit.service';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { OutboxService } from '../outbox/outbox.service';
import type { DatabaseUserEntity } from './database-user.entity';
import { FaultMetrics } from './fault-metrics';
import { GrantSyncService } from './grant-sync.service';

type SyncError = NonNullable<SyncUserResult['error']>;

/**
 * What a sync that went wrong leaves behind: the failure on the requests it carried, a grant
 * that can never be applied failed, a revoke tried again for ever (and alerted on), a
 * password issued but lost on the way back issued anew. In the result's ambient transaction.
 */
@Injectable()
export class SyncFailuresService {
  private readonly logger = new Logger(SyncFailuresService.name);

  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly grantSync: GrantSyncService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly metrics: FaultMetrics,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** A failed sync; `text` is already the database user's last error. */
  async recordFailure(
    du: DatabaseUserEntity,
    r: SyncUserResult,
    pending: readonly AccessRequestEntity[],
    error: SyncError,
    text: string,
  ): Promise<void> {
    for (const req of pending)
      await this.requests.update(req.id, { lastError: text, syncAttempts: r.attempt });
    if (r.attempt === 1 || !error.retryable || r.attempt % 10 === 0) {
      await this.audit.record({
        action: 'sync.failed',
        actorType: 'connector',
        channel: 'connector',
        integrationId: r.integrationId,
        requestId: pending.length === 1 ? pending[0].id : null,
        details: { username: r.username, generation: r.generation, attempt: r.attempt, error },
      });
    }
    // A sync that takes access away: a request being revoked, or a correction with none pending.
    const revoking = pending.length === 0 || pending.some((p) => p.status === 'REVOKING');
    if (revoking) await this.alertRevoke(du, r, error, pending);
    if (error.retryable) return;
    // A grant that can never be applied fails; a revoke never gives up: a new generation is
    // tried again later (the connector's error may be fixed by then).
    const failing = pending.filter((p) => p.status === 'GRANTING');
    if (failing.length === 0) {
      await this.outbox.add({
        job: { kind: 'retry-sync', databaseUserId: du.id, generation: r.generation },
        jobId: jobIds.retrySync(du.id, r.generation),
        runAt: new Date(Date.now() + this.config.REVOKE_REFUSED_RETRY_MS),
      });
      return;
    }
    for (const req of failing) {
      await this.requests.update(req.id, {
        status: transition(req.status, 'fail'),
        statusReason: text,
        endedAt: new Date(),
      });
    }
    await this.grantSync.schedule(r.integrationId, r.personId, { correlationId: r.correlationId });
  }

  /** The password of a generation was issued but its result lost: nobody holds it. */
  async notePasswordLost(r: SyncUserResult): Promise<void> {
    this.metrics.passwordsLost++;
    await this.audit.record({
      action: 'password.lost',
      actorType: 'connector',
      channel: 'connector',
      integrationId: r.integrationId,
      details: { username: r.username, generation: r.generation },
    });
  }

  /** Another password at once, forced even in the middle of access. */
  async reissuePassword(r: SyncUserResult): Promise<void> {
    await this.grantSync.schedule(r.integrationId, r.personId, {
      correlationId: r.correlationId,
      forcePassword: true,
    });
  }

  /**
   * A revoke still failing after REVOKE_ALERT_AFTER_ATTEMPTS attempts (or refused for good):
   * an error log on every such attempt, an audit event and a counter at the threshold and
   * every hundred attempts after it. The retries go on regardless.
   */
  private async alertRevoke(
    du: DatabaseUserEntity,
    r: SyncUserResult,
    error: SyncError,
    pending: readonly AccessRequestEntity[],
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
    await this.audit.record({
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
    });
  }
}
