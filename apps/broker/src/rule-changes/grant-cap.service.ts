import { Injectable } from '@nestjs/common';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { expiryTimer } from '../grants/grant-events';
import { GrantSyncService } from '../grants/grant-sync.service';
import { OutboxService } from '../outbox/outbox.service';

/**
 * A grant kept under rules with a shorter maximum ends at the new maximum: its expiry, its
 * expiry timer and its role's VALID UNTIL (a new generation) move earlier, in the ambient
 * transaction. The timer already set for the later time finds nothing to do.
 */
@Injectable()
export class GrantCapService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly grantSync: GrantSyncService,
    private readonly outbox: OutboxService,
  ) {}

  async capAt(
    grant: { id: string; integrationId: string; requesterId: string },
    expiresAt: Date,
  ): Promise<void> {
    await this.requests.update(grant.id, { expiresAt });
    await this.outbox.add(expiryTimer(grant.id, expiresAt));
    await this.grantSync.schedule(grant.integrationId, grant.requesterId, {
      correlationId: grant.id,
    });
  }
}
