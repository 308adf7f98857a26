import { Body, Controller, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { EVERYTHING, PermissionLevelSchema, ROLE_LEVEL, roleResource } from '@doorman/contracts';
import { z } from 'zod';
import { PgNameSchema } from '../common/input-schemas';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { AccessFlowsService } from './access-flows.service';
import { FlowInputSchema, flowView, type FlowInput } from './flow-definition';
import { WhyService } from './why.service';

const whoAndWhere = {
  userId: z.string().uuid().optional(),
  integrationId: z.string().uuid(),
};
/** The triple, or `role=<name>` for an existing role (database "*", schema the role, member). */
const WhyQuerySchema = z.union([
  z.strictObject({
    ...whoAndWhere,
    database: PgNameSchema,
    schema: PgNameSchema,
    permission: PermissionLevelSchema,
  }),
  z
    .strictObject({
      ...whoAndWhere,
      role: PgNameSchema.refine((r) => r !== EVERYTHING, 'must name a role ("*" is everything)'),
    })
    .transform(({ role, ...q }) => ({ ...q, ...roleResource(role), permission: ROLE_LEVEL })),
]);

@ApiTags('access-flows')
@ApiBearerAuth()
@Controller('access-flows')
export class AccessFlowsController {
  constructor(
    private readonly flows: AccessFlowsService,
    private readonly why: WhyService,
  ) {}

  @Post()
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(FlowInputSchema) })
  async create(@CurrentActor() actor: Actor, @Body(new ZodPipe(FlowInputSchema)) body: FlowInput) {
    return flowView(await this.flows.create(actor, body));
  }

  /** Replaces the definition: a new version when anything changed. */
  @Put(':id')
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(FlowInputSchema) })
  async update(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('access flow')) id: string,
    @Body(new ZodPipe(FlowInputSchema)) body: FlowInput,
  ) {
    return flowView((await this.flows.update(actor, id, body)).flow);
  }

  @Get()
  async list() {
    return (await this.flows.list()).map(flowView);
  }

  /**
   * Why may (or may not) this person have this access: which flows allow it, who would
   * approve, the longest duration — or, when nothing allows it, why not.
   */
  @Get('why')
  async explain(
    @CurrentActor() actor: Actor,
    @Query(new ZodPipe(WhyQuerySchema)) q: z.infer<typeof WhyQuerySchema>,
  ) {
    return this.why.explain(actor, { ...q, userId: q.userId ?? actor.id });
  }

  @Get(':id')
  async get(@Param('id', new IdPipe('access flow')) id: string) {
    return flowView(await this.flows.get(id));
  }

  @Get(':id/versions/:version')
  async version(
    @Param('id', new IdPipe('access flow')) id: string,
    @Param('version', new ZodPipe(z.coerce.number().int().min(1))) version: number,
  ) {
    return flowView(await this.flows.getVersion(id, version));
  }
}
