import { Injectable, Logger } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { lapsedEvent, transition } from '../access-requests/request-state';
import { AuditService } from '../audit/audit.service';
import { GrantSyncService } from './grant-sync.service';

/**
 * Expiry: an ACTIVE grant whose time is up ends (audited, its role revoked by the next sync).
 * Its delayed job, the sweeper and any reader that finds it past its time may each come
 * first; the row lock makes the first one the only one.
 */
@Injectable()
export class ExpiryService {
  private readonly logger = new Logger(ExpiryService.name);

  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly grantSync: GrantSyncService,
    private readonly audit: AuditService,
  ) {}

  @Transactional()
  async expireGrant(requestId: string, now = new Date()): Promise<boolean> {
    const req = await this.requests.lockForUpdate(requestId);
    if (!req || req.status !== 'ACTIVE' || !req.expiresAt || req.expiresAt > now) return false;
    await this.requests.update(req.id, {
      status: transition(req.status, 'expire'),
      statusReason: 'expired',
      endedAt: now,
      syncGeneration: null,
    });
    await this.audit.record({
      action: 'grant.expired',
      requestId: req.id,
      integrationId: req.integrationId,
      details: { expiresAt: req.expiresAt.toISOString() },
    });
    await this.grantSync.schedule(req.integrationId, req.requesterId);
    return true;
  }

  /**
   * `expireGrant` for many grants at once (expiry timers firing together, the sweeper): one
   * transaction, a handful of statements. Returns the ids it ended.
   */
  @Transactional()
  async expireGrants(requestIds: readonly string[], now = new Date()): Promise<Set<string>> {
    if (requestIds.length === 0) return new Set();
    // Locked in id order: two batches never wait for each other in a cycle.
    const due = (await this.requests.lockMany(requestIds)).filter(
      (req) => req.status === 'ACTIVE' && req.expiresAt && req.expiresAt <= now,
    );
    return this.endAll(due, 'expired', now);
  }

  /**
   * Grants whose flow counts from the first login and that nobody used within its wait: they
   * end at `now` as `unused`, audited and told as an expiry, their role revoked by the next sync.
   */
  @Transactional()
  async expireUnused(requestIds: readonly string[], now = new Date()): Promise<Set<string>> {
    if (requestIds.length === 0) return new Set();
    const due = (await this.requests.lockMany(requestIds)).filter(
      (req) =>
        req.status === 'ACTIVE' &&
        req.firstLoginWaitSeconds !== null &&
        req.firstUsedAt === null &&
        req.grantedAt !== null &&
        req.grantedAt.getTime() + req.firstLoginWaitSeconds * 1000 <= now.getTime(),
    );
    return this.endAll(due, 'unused', now);
  }

  private async endAll(
    due: AccessRequestEntity[],
    reason: 'expired' | 'unused',
    now: Date,
  ): Promise<Set<string>> {
    if (due.length === 0) return new Set<string>();
    await this.requests.updateMany(
      due.map((req) => req.id),
      {
        status: transition('ACTIVE', 'expire'),
        statusReason: reason,
        endedAt: now,
        syncGeneration: null,
      },
    );
    await this.audit.recordMany(
      due.map((req) => ({
        action: 'grant.expired',
        requestId: req.id,
        integrationId: req.integrationId,
        details: {
          expiresAt: req.expiresAt!.toISOString(),
          ...(reason === 'unused' ? { reason, endedAt: now.toISOString() } : {}),
        },
      })),
    );
    const people = new Map<string, Set<string>>();
    for (const req of due)
      people.set(
        req.integrationId,
        (people.get(req.integrationId) ?? new Set()).add(req.requesterId),
      );
    for (const [integrationId, ids] of people)
      await this.grantSync.scheduleMany(integrationId, [...ids]);
    return new Set(due.map((req) => req.id));
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
   * A grant whose time is up is ended now by the expiry path (audited, its role revoked), even
   * if its expiry timer has not fired. Returns why the access is over, or null while it runs.
   */
  async endIfLapsed(
    req: Pick<AccessRequestEntity, 'id' | 'status' | 'pendingExpiresAt' | 'expiresAt'>,
    now = new Date(),
  ): Promise<string | null> {
    if (lapsedEvent(req, now) !== 'expire') return null;
    await this.expireGrant(req.id, now);
    return `this access ended at ${req.expiresAt!.toISOString()}`;
  }

  /** Grants past their time on one integration (reconciliation ends them before it judges). */
  async expireOverdueOn(integrationId: string, now = new Date()): Promise<number> {
    let expired = 0;
    for (const id of await this.requests.overdueGrantIds(now, { integrationId }))
      if (await this.expireGrant(id, now)) expired++;
    return expired;
  }

  /** Overdue grants whose timers were lost (a flushed Redis, a broker down at the time). */
  async sweepOverdue(now = new Date()): Promise<number> {
    const overdue = await this.requests.overdueGrantIds(now, { limit: 500 });
    return (await this.expireGrants(overdue, now)).size;
  }
}
