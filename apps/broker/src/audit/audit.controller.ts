import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainError } from '../common/errors';
import { ZodPipe } from '../common/zod';
import { hasAnyRole, type Actor } from '../identity/actor';
import { CurrentActor } from '../identity/auth.decorators';
import { AUDIT_READERS } from '../identity/doorman-roles';
import { RequestsService } from '../requests/requests.service';
import { AuditService } from './audit.service';

const AuditQuerySchema = z.strictObject({
  requestId: z.string().uuid().optional(),
  integrationId: z.string().uuid().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit-events')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly requests: RequestsService,
  ) {}

  /** Security, admins and auditors see everything; a requester sees the trail of their own request. */
  @Get()
  async list(
    @CurrentActor() actor: Actor,
    @Query(new ZodPipe(AuditQuerySchema)) q: z.infer<typeof AuditQuerySchema>,
  ) {
    if (!hasAnyRole(actor, AUDIT_READERS)) {
      if (!q.requestId)
        throw DomainError.forbidden('only admin, security and auditors may list all audit events');
      const request = await this.requests.get(q.requestId);
      if (request.requesterId !== actor.id)
        throw DomainError.forbidden('you may read the audit trail of your own requests only');
    }
    const events = await this.audit.list(q);
    return events.map((e) => ({
      id: e.id,
      at: e.at,
      action: e.action,
      actorId: e.actorId,
      actorType: e.actorType,
      channel: e.channel,
      requestId: e.requestId,
      integrationId: e.integrationId,
      details: e.details,
    }));
  }
}
