import { Inject, Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { CleanupUserResult } from '@doorman/contracts';
import { AuditService } from '../audit/audit.service';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { OutboxService } from '../outbox/outbox.service';
import { DatabaseUserRepository } from './database-user.repository';
import { cleanupTimer } from './grant-events';
import { GrantSyncService } from './grant-sync.service';

/**
 * Cleanup: `cleanupDays` after a person's last access on an integration ended, unless access
 * began again, their database user is dropped by the connector (its objects reassigned), and
 * the sealed password forgotten.
 */
@Injectable()
export class CleanupService {
  constructor(
    private readonly users: DatabaseUserRepository,
    private readonly grantSync: GrantSyncService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** The cleanup date of an inactive database user came: send its `cleanup-user` job. */
  @Transactional()
  async cleanupDue(databaseUserId: string, now = new Date()): Promise<boolean> {
    const du = await this.users.lockById(databaseUserId);
    if (!du || du.state !== 'inactive' || !du.cleanupDueAt || du.cleanupDueAt > now) return false;
    const generation = du.generation + 1;
    await this.users.update(du.id, { generation, state: 'deleting', cleanupDueAt: null });
    await this.grantSync.sendCleanup(du, generation);
    await this.audit.record({
      action: 'database_user.cleanup_scheduled',
      integrationId: du.integrationId,
      details: { username: du.username, generation },
    });
    return true;
  }

  /** Cleanups whose timers were lost (a flushed Redis, a broker down at the time). */
  async sweepDue(now = new Date()): Promise<number> {
    let cleanups = 0;
    for (const id of await this.users.cleanupDueIds(now, 500))
      if (await this.cleanupDue(id, now)) cleanups++;
    return cleanups;
  }

  @Transactional()
  async onCleanupResult(r: CleanupUserResult): Promise<void> {
    const du = await this.users.lockOf(r.integrationId, r.personId);
    // A newer generation means access began again after this cleanup was scheduled.
    if (!du || du.generation !== r.generation) return;
    if (r.status === 'failed') {
      const error = r.error;
      const reason = error ? `${error.code}: ${error.message}` : 'cleanup failed';
      await this.users.update(du.id, { lastError: reason });
      if (error && !error.retryable) {
        // The connector gave this job up (e.g. objects it may not reassign): the user stays
        // NOLOGIN, is listed as waiting for cleanup with the reason, and is tried again.
        const cleanupDueAt = new Date(Date.now() + this.config.CLEANUP_RETRY_MS);
        await this.users.update(du.id, { state: 'inactive', cleanupDueAt });
        await this.outbox.add(cleanupTimer(du.id, cleanupDueAt));
      }
      if (r.attempt === 1 || r.attempt % 10 === 0 || !error?.retryable) {
        await this.audit.record({
          action: 'database_user.cleanup_failed',
          actorType: 'connector',
          channel: 'connector',
          integrationId: r.integrationId,
          details: { username: r.username, attempt: r.attempt, error },
        });
      }
      return;
    }
    await this.users.update(du.id, {
      state: 'deleted',
      sealedPassword: null,
      passwordIssuedAt: null,
      cleanupDueAt: null,
      lastError: null,
    });
    await this.audit.record({
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
    });
  }
}
