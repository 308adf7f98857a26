import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { requestView } from './requests.controller';
import { RequestsService } from './requests.service';

const RevokeAllSchema = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
const ReviewQuerySchema = z.strictObject({ status: z.enum(['open', 'closed']).default('open') });

/** Taking access back at scale, and the follow-up of break-glass grants. */
@ApiTags('incidents')
@ApiBearerAuth()
@Controller()
export class IncidentsController {
  constructor(private readonly requests: RequestsService) {}

  /** The incident button: every grant on the integration ends now. */
  @Post('integrations/:id/revoke-all')
  @HttpCode(200)
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(RevokeAllSchema) })
  async revokeAll(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('integration')) id: string,
    @Body(new ZodPipe(RevokeAllSchema)) body: z.infer<typeof RevokeAllSchema>,
  ) {
    return this.requests.revokeAll(actor, id, body.reason);
  }

  @Get('break-glass-reviews')
  @Roles('admin', 'security')
  async reviews(@Query(new ZodPipe(ReviewQuerySchema)) q: z.infer<typeof ReviewQuerySchema>) {
    return (await this.requests.reviews(q.status)).map(requestView);
  }
}
