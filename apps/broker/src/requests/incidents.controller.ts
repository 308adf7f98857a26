import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { requestView } from '../access-requests/request-view';
import { BreakGlassReviewService } from '../grants/break-glass-review.service';
import { RevocationService } from '../grants/revocation.service';

const RevokeAllSchema = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
const ReviewQuerySchema = z.strictObject({ status: z.enum(['open', 'closed']).default('open') });

/** Taking access back at scale, and the follow-up of break-glass grants. */
@ApiTags('incidents')
@ApiBearerAuth()
@Controller()
export class IncidentsController {
  constructor(
    private readonly revocation: RevocationService,
    private readonly reviews: BreakGlassReviewService,
  ) {}

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
    return this.revocation.revokeAll(actor, id, body.reason);
  }

  @Get('break-glass-reviews')
  @Roles('admin', 'security')
  async listReviews(@Query(new ZodPipe(ReviewQuerySchema)) q: z.infer<typeof ReviewQuerySchema>) {
    return (await this.reviews.reviews(q.status)).map(requestView);
  }
}
