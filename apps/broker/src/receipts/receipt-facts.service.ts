import { Injectable } from '@nestjs/common';
import type { AuditEventEntity } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { DatabaseUserRepository } from '../grants/database-user.repository';
import type { Actor } from '../identity/actor';
import { IdentityService } from '../identity/identity.service';
import { IntegrationsService } from '../integrations/integrations.service';
import { RequestsService } from '../requests/requests.service';
import type { ReceiptFacts } from './receipt';
import { ReceiptSessionsService } from './receipt-sessions.service';

/**
 * Everything the broker recorded about one request, for its receipt: the request (with the
 * same visibility rule as reading it), its approvals and audit events, the people they name,
 * the integration, the database user and the sessions seen while access was active.
 */
@Injectable()
export class ReceiptFactsService {
  constructor(
    private readonly requests: RequestsService,
    private readonly audit: AuditService,
    private readonly identity: IdentityService,
    private readonly integrations: IntegrationsService,
    private readonly databaseUsers: DatabaseUserRepository,
    private readonly sessions: ReceiptSessionsService,
  ) {}

  async of(
    actor: Actor,
    requestId: string,
    issuer: string,
    now = new Date(),
  ): Promise<ReceiptFacts> {
    const request = await this.requests.getVisible(actor, requestId);
    const [approvals, events, integration, du] = await Promise.all([
      this.requests.approvalsOf(request.id),
      this.eventsOf(request.id),
      this.integrations.get(request.integrationId).catch(() => null),
      this.databaseUsers.findOf(request.integrationId, request.requesterId),
    ]);
    const ids = new Set<string>([request.requesterId, ...approvals.map((a) => a.approverId)]);
    for (const id of [request.endedBy, request.decidedBy, ...events.map((e) => e.actorId)])
      if (id) ids.add(id);
    const people = await this.identity.findByIds([...ids]);
    const sessions =
      du && request.grantedAt
        ? await this.sessions.sessionsFor(du.id, request.grantedAt, request.endedAt ?? now)
        : { observed: false, sessions: [] };
    return {
      issuer,
      request,
      integration: integration ? { id: integration.id, name: integration.name } : null,
      approvals,
      events,
      emails: new Map(people.map((p) => [p.id, p.email])),
      databaseUser: du
        ? { username: du.username, revokeVerification: du.revokeVerification }
        : null,
      sessions,
    };
  }

  private async eventsOf(requestId: string): Promise<AuditEventEntity[]> {
    const events: AuditEventEntity[] = [];
    for await (const e of this.audit.iterate({ requestId })) events.push(e);
    return events;
  }
}
