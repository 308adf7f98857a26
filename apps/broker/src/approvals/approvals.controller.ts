import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { requestView } from '../access-requests/request-view';
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
  constructor(private readonly decisions: ApprovalDecisionsService) {}

  @Post(':id/approve')
  @HttpCode(200)
  async approve(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
  ) {
    return requestView(await this.decisions.approve(actor, id));
  }

  @Post(':id/deny')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(ReasonSchema), required: false })
  async deny(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
    @Body(new ZodPipe(ReasonSchema)) body: z.infer<typeof ReasonSchema>,
  ) {
    return requestView(await this.decisions.deny(actor, id, body.reason));
  }
}
