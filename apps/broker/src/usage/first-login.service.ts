import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { expiryTimer } from '../grants/grant-events';
import { ExpiryService } from '../grants/expiry.service';
import { GrantSyncService } from '../grants/grant-sync.service';
import { OutboxService } from '../outbox/outbox.service';
import { firstLoginOutcome } from './first-login.policy';
import { UsageRepository } from './usage.repository';

/**
 * Grants whose flow counts the duration from the first login. Called inside the transaction
 * of a sessions report (SessionObservationsService): the first session seen moves the end to
 * first login + duration (audited `grant.first_used`, VALID UNTIL moved by a sync); no session
 * by the end of the wait and the access ends as unused.
 */
@Injectable()
export class FirstLoginService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly expiry: ExpiryService,
    private readonly grantSync: GrantSyncService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  async onSessions(
    integrationId: string,
    at: Date,
    firstStarts: ReadonlyMap<string, Date>,
  ): Promise<void> {
    const candidates = await this.usage.lockFirstLoginCandidates(integrationId, at, firstStarts);
    const moved: Array<{ id: string; requesterId: string; firstUsedAt: Date; expiresAt: Date }> =
      [];
    for (const c of candidates) {
      const out = firstLoginOutcome(
        {
          grantedAt: c.grantedAt,
          durationSeconds: c.durationSeconds,
          waitSeconds: c.waitSeconds,
          expiresAt: c.expiresAt,
        },
        c.firstStart,
        at,
      );
      if (out.kind === 'first-use') moved.push({ id: c.id, requesterId: c.requesterId, ...out });
    }
    if (moved.length === 0) return;
    await this.usage.moveExpiry(moved);
    await this.outbox.addMany(moved.map((m) => expiryTimer(m.id, m.expiresAt)));
    await this.audit.recordMany(
      moved.map((m) => ({
        action: 'grant.first_used',
        requestId: m.id,
        integrationId,
        details: { firstUsedAt: m.firstUsedAt.toISOString(), expiresAt: m.expiresAt.toISOString() },
      })),
    );
    // VALID UNTIL follows the new end (desired state: the latest end of the active grants).
    await this.grantSync.scheduleMany(integrationId, [...new Set(moved.map((m) => m.requesterId))]);
  }

  async expireUnused(integrationId: string, at: Date): Promise<void> {
    const ids = await this.usage.unusedPastWait(integrationId, at);
    if (ids.length > 0) await this.expiry.expireUnused(ids, at);
  }
}
