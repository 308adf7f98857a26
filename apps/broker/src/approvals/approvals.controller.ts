import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { requestView } from '../access-requests/request-view';
import { DomainError } from '../common/errors';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor } from '../identity/auth.decorators';
import { ApprovalDecisionsService } from './approval-decisions.service';

const ReasonSchema = z.strictObject({ reason: z.string().trim().max(1000).optional() });

/** Decisions on a pending request's current step. Thin: parse, decide, show the request. */
@ApiTags('access-requests')
@ApiBearerAuth()
@Controller('access-requests')
export class ApprovalsController {
  constructor(
    private readonly decisions: ApprovalDecisionsService,
    private readonly requests: AccessRequestRepository,
  ) {}

  @Post(':id/approve')
  @HttpCode(200)
  async approve(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
  ) {
    await this.decisions.approve(actor, id);
    return this.view(id);
  }

  @Post(':id/deny')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(ReasonSchema), required: false })
  async deny(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
    @Body(new ZodPipe(ReasonSchema)) body: z.infer<typeof ReasonSchema>,
  ) {
    await this.decisions.deny(actor, id, body.reason);
    return this.view(id);
  }

  private async view(id: string) {
    const row = await this.requests.findById(id);
    if (!row) throw DomainError.notFound('access request', id);
    return requestView(row);
  }
}
