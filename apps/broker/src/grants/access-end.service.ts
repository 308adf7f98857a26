import { Injectable } from '@nestjs/common';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { IntegrationsService } from '../integrations/integrations.service';
import { OutboxService } from '../outbox/outbox.service';
import type { DatabaseUserEntity } from './database-user.entity';
import { DatabaseUserRepository } from './database-user.repository';
import { cleanupTimer } from './grant-events';

const DAY_MS = 86400_000;

/**
 * When a person's newest state was applied with nothing granted, active or being revoked any
 * more, their access has ended: the database user turns inactive and the clock of its cleanup
 * starts (`cleanupDays` of the integration). Runs in the ambient transaction of the result.
 */
@Injectable()
export class AccessEndService {
  constructor(
    private readonly users: DatabaseUserRepository,
    private readonly requests: AccessRequestRepository,
    private readonly integrations: IntegrationsService,
    private readonly outbox: OutboxService,
  ) {}

  /** One database user, after its generation `generation` was applied. */
  async endIfIdle(du: DatabaseUserEntity, generation: number, now: Date): Promise<void> {
    if (generation !== du.generation || du.state !== 'active') return;
    if (await this.requests.hasAccessUnderWay(du.integrationId, du.userId)) return;
    const integration = await this.integrations.get(du.integrationId);
    const cleanupDueAt = new Date(now.getTime() + integration.cleanupDays * DAY_MS);
    await this.users.update(du.id, { state: 'inactive', accessEndedAt: now, cleanupDueAt });
    await this.outbox.add(cleanupTimer(du.id, cleanupDueAt));
  }

  /** `endIfIdle` for many users whose newest state was just applied, in a few statements. */
  async endIdle(candidates: readonly DatabaseUserEntity[], now: Date): Promise<void> {
    if (candidates.length === 0) return;
    const underWay = await this.requests.accessUnderWay(candidates.map((du) => du.userId));
    const ending = candidates.filter((du) => !underWay.has(`${du.integrationId}/${du.userId}`));
    if (ending.length === 0) return;
    const cleanupDays = new Map<string, number>();
    for (const id of new Set(ending.map((du) => du.integrationId)))
      cleanupDays.set(id, (await this.integrations.get(id)).cleanupDays);
    const dueAt = ending.map(
      (du) => new Date(now.getTime() + (cleanupDays.get(du.integrationId) ?? 0) * DAY_MS),
    );
    await this.users.endAccess(
      ending.map((du) => du.id),
      now,
      dueAt,
    );
    await this.outbox.addMany(ending.map((du, k) => cleanupTimer(du.id, dueAt[k])));
  }
}
