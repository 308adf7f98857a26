import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import {
  describeResource,
  isRoleResource,
  PermissionLevelSchema,
  ROLE_LEVEL,
  roleResource,
} from '@doorman/contracts';
import { z } from 'zod';
import { formatDuration } from '../common/durations';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import { REQUEST_STATUSES } from '../access-requests/request-state';
import { CredentialsRevealService } from './credentials-reveal.service';
import { RequestsService } from './requests.service';
import { PgNameSchema } from '../common/input-schemas';

/** The body as written: (database, schema, permission), or `role` for an existing role. */
const CreateRequestBody = z
  .strictObject({
    integrationId: z.string().uuid(),
    database: PgNameSchema,
    schema: PgNameSchema,
    permission: PermissionLevelSchema,
    /** An existing role (issue 7): sugar for database "*", schema the role, permission member. */
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

export const requestView = (r: AccessRequestEntity) => ({
  id: r.id,
  status: r.status,
  statusReason: r.statusReason,
  requesterId: r.requesterId,
  integrationId: r.integrationId,
  flowId: r.flowId,
  flowVersion: r.flowVersion,
  /** The name of the flow that judged the request, at that version. */
  flowName: r.flowName,
  database: r.database,
  schema: r.schema,
  permission: r.permission,
  /** The existing role asked for (database "*", schema its name), or null. */
  role: isRoleResource(r) ? r.schema : null,
  resource: describeResource(r),
  duration: formatDuration(r.durationSeconds),
  durationSeconds: r.durationSeconds,
  justification: r.justification,
  decidedBy: r.decidedBy,
  decidedAt: r.decidedAt,
  grantedAt: r.grantedAt,
  expiresAt: r.expiresAt,
  endedAt: r.endedAt,
  lastError: r.lastError,
  syncAttempts: r.syncAttempts,
  kind: r.kind,
  extendsRequestId: r.extendsRequestId,
  approverIds: r.approverIds,
  currentStep: r.currentStep + 1,
  escalated: r.escalated,
  pendingExpiresAt: r.pendingExpiresAt,
  extensionCount: r.extensionCount,
  breakGlass: r.breakGlass,
  review: r.breakGlass
    ? {
        status: r.reviewStatus,
        note: r.reviewNote,
        closedBy: r.reviewClosedBy,
        closedAt: r.reviewClosedAt,
      }
    : null,
  createdAt: r.createdAt,
});

@ApiTags('access-requests')
@ApiBearerAuth()
@Controller('access-requests')
export class RequestsController {
  constructor(
    private readonly requests: RequestsService,
    private readonly reveals: CredentialsRevealService,
  ) {}

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
    return (await this.requests.list(actor, q)).map(requestView);
  }

  @Get(':id')
  async get(@CurrentActor() actor: Actor, @Param('id', new IdPipe('access request')) id: string) {
    return requestView(await this.requests.getVisible(actor, id));
  }

  @Post(':id/approve')
  @HttpCode(200)
  async approve(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
  ) {
    return requestView(await this.requests.approve(actor, id));
  }

  @Post(':id/deny')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(ReasonSchema), required: false })
  async deny(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access request')) id: string,
    @Body(new ZodPipe(ReasonSchema)) body: z.infer<typeof ReasonSchema>,
  ) {
    return requestView(await this.requests.deny(actor, id, body.reason));
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
