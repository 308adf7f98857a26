import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { mayRevoke } from '../access-flows/access-flow.policy';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import type { RequestStatus } from '../access-requests/request-state';
import { assertAllowed, nextStatus } from '../access-requests/request-transitions';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { hasAnyRole, type Actor } from '../identity/actor';
import { IntegrationsService } from '../integrations/integrations.service';
import { DatabaseUserRepository } from './database-user.repository';
import { GrantSyncService } from './grant-sync.service';

export interface RevokeAllOutcome {
  revoked: number;
  denied: number;
  people: number;
}

/**
 * Taking access back: one grant now (sessions included), every grant on an integration at
 * once (the incident button), and a revoke the target refused, tried again — a revoke never
 * gives up.
 */
@Injectable()
export class RevocationService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly users: DatabaseUserRepository,
    private readonly grantSync: GrantSyncService,
    private readonly audit: AuditService,
    private readonly integrations: IntegrationsService,
  ) {}

  /** Revoke now: the access ends at once, sessions included. */
  @Transactional()
  async revoke(actor: Actor, id: string, reason?: string): Promise<void> {
    const req = await this.requests.lockForUpdate(id);
    if (!req) throw DomainError.notFound('access request', id);
    assertAllowed(mayRevoke(req.approverIds, req.requesterId, actor));
    await this.end(req, actor, reason);
  }

  /**
   * The rules no longer allow the grant (rule-changes/): it ends now by the same transition and
   * sync as a revoke, sessions included. The change's author may not hold the right to revoke
   * (a Slack user group sync has no author): the rules decided, not a person.
   */
  @Transactional()
  async revokeDisallowed(
    id: string,
    reason: string,
    changedBy: Actor | null,
    channel: Actor['channel'],
  ): Promise<void> {
    const req = await this.requests.lockForUpdate(id);
    if (!req) throw DomainError.notFound('access request', id);
    await this.end(req, changedBy, reason, channel);
  }

  private async end(
    req: AccessRequestEntity,
    actor: Actor | null,
    reason: string | undefined,
    channel?: Actor['channel'],
  ): Promise<void> {
    const to = nextStatus(req, 'revoke');
    await this.requests.update(req.id, {
      status: to,
      statusReason: reason ?? 'revoked',
      endedAt: new Date(),
      endedBy: actor?.id ?? null,
      syncGeneration: null,
    });
    await this.audit.record({
      action: 'grant.revoke_requested',
      actor,
      channel,
      requestId: req.id,
      integrationId: req.integrationId,
      details: reason ? { reason } : {},
    });
    if (to === 'REVOKING')
      await this.grantSync.schedule(req.integrationId, req.requesterId, { correlationId: req.id });
  }

  /**
   * The incident button: every grant on the integration ends now, approved-but-not-granted ones
   * too, and pending requests are denied. One sync per person.
   */
  async revokeAll(actor: Actor, integrationId: string, reason: string): Promise<RevokeAllOutcome> {
    if (!hasAnyRole(actor, ['admin', 'security'])) {
      throw DomainError.forbidden(
        'only security or an admin may revoke everything on an integration',
      );
    }
    await this.integrations.get(integrationId);
    return this.revokeAllNow(actor, integrationId, reason);
  }

  @Transactional()
  private async revokeAllNow(
    actor: Actor,
    integrationId: string,
    reason: string,
  ): Promise<RevokeAllOutcome> {
    const open = await this.requests.lockOpenOnIntegration(integrationId);
    const now = new Date();
    const pending = open.filter((r) => r.status === 'PENDING');
    // Grants by the state each one moves to (the state machine decides), one UPDATE each.
    const ending = new Map<RequestStatus, AccessRequestEntity[]>();
    for (const req of open.filter((r) => r.status !== 'PENDING')) {
      const to = nextStatus(req, 'revoke');
      ending.set(to, [...(ending.get(to) ?? []), req]);
    }
    if (pending.length > 0) {
      await this.requests.updateMany(
        pending.map((r) => r.id),
        {
          status: nextStatus(pending[0], 'deny'),
          statusReason: `revoke-all: ${reason}`,
          decidedBy: actor.id,
          decidedAt: now,
          endedAt: now,
        },
      );
      // A decision like any other: audited per request, so its approvers' messages are updated.
      await this.audit.recordMany(
        pending.map((req) => ({
          action: 'request.denied',
          actor,
          requestId: req.id,
          integrationId,
          details: { reason: `revoke-all: ${reason}`, revokeAll: true },
        })),
      );
    }
    for (const [to, reqs] of ending) {
      await this.requests.updateMany(
        reqs.map((r) => r.id),
        {
          status: to,
          statusReason: `revoke-all: ${reason}`,
          endedAt: now,
          endedBy: actor.id,
          syncGeneration: null,
        },
      );
    }
    const denied = pending.length;
    const revoked = open.length - denied;
    const people = new Set((ending.get('REVOKING') ?? []).map((r) => r.requesterId));
    await this.grantSync.scheduleMany(integrationId, [...people]);
    await this.audit.record({
      action: 'integration.revoke_all',
      actor,
      integrationId,
      details: { reason, revoked, denied, people: people.size },
    });
    return { revoked, denied, people: people.size };
  }

  /** A permanently refused revoke, tried again as a new generation (never given up). */
  @Transactional()
  async retrySync(databaseUserId: string, generation: number): Promise<boolean> {
    const du = await this.users.lockById(databaseUserId);
    // Something newer was sent, or this one went through after all.
    if (!du || du.generation !== generation || du.appliedGeneration >= generation) return false;
    await this.grantSync.schedule(du.integrationId, du.userId);
    return true;
  }
}
