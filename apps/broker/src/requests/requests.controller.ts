import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { PermissionLevelSchema, ROLE_LEVEL, roleResource } from '@doorman/contracts';
import { z } from 'zod';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { requestView } from '../access-requests/request-view';
import { REQUEST_STATUSES } from '../access-requests/request-state';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { IdentityService } from '../identity/identity.service';
import { CredentialsRevealService } from './credentials-reveal.service';
import { RequestsService } from './requests.service';
import { PgNameSchema } from '../common/input-schemas';
import {
  MAX_WAIT_MS,
  RequestWaiterService,
  waitOutcome,
  type WaitOutcome,
  type WaitTarget,
} from './request-waiter.service';

/** The body as written: (database, schema, permission), or `role` for an existing role. */
const CreateRequestBody = z
  .strictObject({
    integrationId: z.string().uuid(),
    database: PgNameSchema,
    schema: PgNameSchema,
    permission: PermissionLevelSchema,
    /** An existing role: sugar for database "*", schema the role, permission member. */
    role: PgNameSchema.refine((r) => r !== '*', 'must name a role ("*" is everything)').optional(),
    duration: z.string().max(12).optional(),
    justification: z.string().max(2000).nullable().optional(),
    breakGlass: z.boolean().optional(),
    /** Which flow judges the request, when several match it equally (see docs/access-flows.md). */
    flowId: z.string().uuid().optional(),
  })
  .superRefine((b, ctx) => {
    if (b.role !== undefined && (b.database !== '*' || b.schema !== b.role))
      ctx.addIssue({
        code: 'custom',
        path: ['role'],
        message: 'give either role, or database and schema, not both',
      });
  });

const CreateRequestSchema = z.preprocess(
  (v) =>
    typeof v === 'object' && v !== null && 'role' in v && !('database' in v) && !('schema' in v)
      ? { permission: ROLE_LEVEL, ...v, ...roleSlots(v.role) }
      : v,
  CreateRequestBody.transform(({ role: _role, ...ask }) => ask),
);

/** Where `{ role }` goes in the triple; anything but a usable name is left to validation. */
function roleSlots(role: unknown): { database?: string; schema?: unknown } {
  return typeof role === 'string' && role !== '*' && role.length > 0
    ? roleResource(role)
    : { schema: role };
}

const ExtendSchema = z.strictObject({
  duration: z.string().max(12),
  justification: z.string().max(2000).optional(),
});

const ReviewSchema = z.strictObject({ note: z.string().trim().min(1).max(2000) });

const ReasonSchema = z.strictObject({ reason: z.string().trim().max(1000).optional() });

const ListSchema = z.strictObject({
  mine: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  status: z.enum(REQUEST_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * `?waitFor=ACTIVE&timeout=30s`: answer once the request reaches that status (or `decided`:
 * leaves PENDING), or a status from which it can no longer get there, or at the timeout.
 */
const WaitSchema = z
  .strictObject({
    waitFor: z.enum(['decided', ...REQUEST_STATUSES]).optional(),
    timeout: z
      .string()
      .regex(/^\d{1,6}(ms|s)$/, 'use a duration like 30s or 500ms')
      .transform((t) => (t.endsWith('ms') ? Number(t.slice(0, -2)) : Number(t.slice(0, -1)) * 1000))
      .refine((ms) => ms <= MAX_WAIT_MS, `at most ${MAX_WAIT_MS / 1000}s`)
      .optional(),
  })
  .refine((q) => q.timeout === undefined || q.waitFor !== undefined, {
    path: ['timeout'],
    message: 'timeout needs waitFor',
  });

/** How a wait ended, on the answer: `reached`, `unreachable` (a final status) or `timeout`. */
export const WAIT_HEADER = 'Doorman-Wait';

@ApiTags('access-requests')
@ApiBearerAuth()
@Controller('access-requests')
export class RequestsController {
  constructor(
    private readonly requests: RequestsService,
    private readonly reveals: CredentialsRevealService,
    private readonly identity: IdentityService,
    private readonly waiters: RequestWaiterService,
  ) {}

  /** Views that name who asked, so an approver sees a person, not an id. */
  private async withRequesters(rows: AccessRequestEntity[]) {
    const ids = [...new Set(rows.map((r) => r.requesterId))];
    const people = ids.length ? await this.identity.findByIds(ids) : [];
    const emails = new Map(people.map((p) => [p.id, p.email]));
    return rows.map((r) => ({
      ...requestView(r),
      requesterEmail: emails.get(r.requesterId) ?? null,
    }));
  }

  @Post()
  @ApiBody({ schema: openApiSchema(CreateRequestBody) })
  async create(
    @CurrentActor() actor: Actor,
    @Body(new ZodPipe(CreateRequestSchema)) body: z.infer<typeof CreateRequestSchema>,
  ) {
    return requestView(await this.requests.create(actor, body));
  }

  @Get()
  async list(
    @CurrentActor() actor: Actor,
    @Query(new ZodPipe(ListSchema)) q: z.infer<typeof ListSchema>,
  ) {
    return this.withRequesters(await this.requests.list(actor, q));
  }

  @Get(':id')
  async get(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
    @Query(new ZodPipe(WaitSchema)) q: z.infer<typeof WaitSchema>,
    @Res({ passthrough: true }) res: Response,
  ) {
    let row = await this.requests.getVisible(actor, id);
    if (q.waitFor) {
      // Already there (or never getting there): answered at once, no wait held.
      const outcome =
        waitOutcome(row.status, q.waitFor) ??
        (await this.waitOn(actor, id, q.waitFor, q.timeout ?? 30_000, res, (r) => {
          row = r;
        }));
      res.setHeader(WAIT_HEADER, outcome);
    }
    const [view] = await this.withRequesters([row]);
    return view;
  }

  /**
   * Holds the call until the request's status ends the wait (each committed change of it wakes
   * the wait, one read each) or the timeout; a caller that hangs up frees its wait at once.
   */
  private async waitOn(
    actor: Actor,
    id: string,
    target: WaitTarget,
    ms: number,
    res: Response,
    seen: (r: AccessRequestEntity) => void,
  ): Promise<WaitOutcome> {
    if (this.waiters.full) {
      res.setHeader('Retry-After', '1');
      throw new HttpException(
        { statusCode: 503, error: 'busy', message: 'too many waits on this broker: retry' },
        503,
      );
    }
    let outcome: WaitOutcome = 'timeout';
    const hangUp = new AbortController();
    const onClose = () => hangUp.abort();
    // The answer's 'close' before it was sent: the caller hung up (the socket is gone).
    res.on('close', onClose);
    try {
      await this.waiters.wait(
        id,
        ms,
        async () => {
          // The last read is the answer: visibility checked again, the view as it stands.
          const r = await this.requests.getVisible(actor, id);
          seen(r);
          const o = waitOutcome(r.status, target);
          if (o) outcome = o;
          return o !== null;
        },
        hangUp.signal,
      );
    } finally {
      res.off('close', onClose);
    }
    return outcome;
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
  ) {
    return requestView(await this.requests.cancel(actor, id));
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(ReasonSchema), required: false })
  async revoke(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
    @Body(new ZodPipe(ReasonSchema)) body: z.infer<typeof ReasonSchema>,
  ) {
    return requestView(await this.requests.revoke(actor, id, body.reason));
  }

  /** Ask for more time: an extension request that follows the flow's rules. */
  @Post(':id/extend')
  @ApiBody({ schema: openApiSchema(ExtendSchema) })
  async extend(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
    @Body(new ZodPipe(ExtendSchema)) body: z.infer<typeof ExtendSchema>,
  ) {
    return requestView(await this.requests.extend(actor, id, body.duration, body.justification));
  }

  /** Each decision on each approval step. */
  @Get(':id/approvals')
  async approvals(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
  ) {
    await this.requests.getVisible(actor, id);
    return (await this.requests.approvalsOf(id)).map((a) => ({
      step: a.step + 1,
      approverId: a.approverId,
      decision: a.decision,
      reason: a.reason,
      channel: a.channel,
      at: a.at,
    }));
  }

  /** Security closes the follow-up review of a break-glass grant. */
  @Post(':id/review')
  @HttpCode(200)
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(ReviewSchema) })
  async closeReview(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
    @Body(new ZodPipe(ReviewSchema)) body: z.infer<typeof ReviewSchema>,
  ) {
    return requestView(await this.requests.closeReview(actor, id, body.note));
  }

  /** Shown once to the requester, never logged; each reveal is audited. */
  @Post(':id/credentials')
  @HttpCode(200)
  async credentials(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
  ) {
    return this.reveals.reveal(actor, id);
  }
}
