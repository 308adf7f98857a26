import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { transition } from '../access-requests/request-state';
import { AuditService } from '../audit/audit.service';
import { formatDuration } from '../common/durations';
import type { Actor } from '../identity/actor';
import { OutboxService } from '../outbox/outbox.service';
import { expiryTimer } from './grant-events';
import { GrantSyncService } from './grant-sync.service';

/**
 * Extensions once approved: the grant's expiry moves, with its expiry timer and the role's
 * VALID UNTIL (a new generation). An extension of a grant that ended meanwhile is cancelled.
 */
@Injectable()
export class ExtensionsService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly grantSync: GrantSyncService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  /** `ext` is APPROVED (its decision written in the ambient transaction). */
  @Transactional()
  async apply(ext: AccessRequestEntity, actor: Actor | null, now: Date): Promise<void> {
    const grant = await this.requests.lockForUpdate(ext.extendsRequestId!);
    // A grant past its expiry has ended, whether or not its expiry timer has fired yet.
    if (!grant || grant.status !== 'ACTIVE' || !grant.expiresAt || grant.expiresAt <= now) {
      await this.requests.update(ext.id, {
        status: transition(ext.status, 'cancel'),
        statusReason: 'the access it extends has ended',
        endedAt: now,
      });
      return;
    }
    const expiresAt = new Date(grant.expiresAt.getTime() + ext.durationSeconds * 1000);
    await this.requests.update(grant.id, {
      status: transition(grant.status, 'extend'),
      expiresAt,
      extensionCount: grant.extensionCount + 1,
    });
    await this.requests.update(ext.id, {
      status: transition(ext.status, 'applyExtension'),
      grantedAt: now,
      expiresAt,
    });
    await this.outbox.add(expiryTimer(grant.id, expiresAt));
    const generation = await this.grantSync.schedule(grant.integrationId, grant.requesterId, {
      correlationId: grant.id,
    });
    await this.audit.record({
      action: 'grant.extended',
      actor,
      requestId: grant.id,
      integrationId: grant.integrationId,
      details: {
        extensionId: ext.id,
        by: formatDuration(ext.durationSeconds),
        previousExpiresAt: grant.expiresAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        generation,
      },
    });
  }
}
