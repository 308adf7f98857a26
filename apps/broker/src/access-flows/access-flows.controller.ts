import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { PermissionLevelSchema } from '@doorman/contracts';
import { z } from 'zod';
import { formatDuration } from '../common/durations';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import type { AccessFlowEntity } from './access-flow.entity';
import { AccessFlowsService } from './access-flows.service';

const pgName = z
  .string()
  .min(1)
  .refine(
    (s) => Buffer.byteLength(s) <= 63 && !s.includes('\0'),
    'must be a PostgreSQL name (1-63 bytes, no NUL)',
  );
const duration = z.string().max(12);

const CreateFlowSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  integrationId: z.string().uuid(),
  requestors: z.strictObject({
    userIds: z.array(z.string().uuid()).max(10000).default([]),
    groupIds: z.array(z.string().uuid()).max(1000).default([]),
  }),
  resources: z
    .array(z.strictObject({ database: pgName, schema: pgName }))
    .min(1)
    .max(1000),
  permissions: z.array(PermissionLevelSchema).min(1).max(3),
  approvers: z.strictObject({ userIds: z.array(z.string().uuid()).min(1).max(1000) }),
  defaultDuration: duration,
  maxDuration: duration,
  justificationRequired: z.boolean().default(false),
});

const flowView = (f: AccessFlowEntity) => ({
  id: f.id,
  name: f.name,
  version: f.version,
  integrationId: f.integrationId,
  requestors: { userIds: f.requestorUserIds, groupIds: f.requestorGroupIds },
  resources: f.resources,
  permissions: f.permissions,
  approvers: { userIds: f.approverUserIds },
  defaultDuration: formatDuration(f.defaultDurationSeconds),
  maxDuration: formatDuration(f.maxDurationSeconds),
  justificationRequired: f.justificationRequired,
  createdAt: f.createdAt,
});

@ApiTags('access-flows')
@ApiBearerAuth()
@Controller('access-flows')
export class AccessFlowsController {
  constructor(private readonly flows: AccessFlowsService) {}

  @Post()
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(CreateFlowSchema) })
  async create(
    @CurrentActor() actor: Actor,
    @Body(new ZodPipe(CreateFlowSchema)) body: z.infer<typeof CreateFlowSchema>,
  ) {
    return flowView(await this.flows.create(actor, body));
  }

  @Get()
  async list() {
    return (await this.flows.list()).map(flowView);
  }

  @Get(':id')
  async get(@Param('id', new IdPipe('access flow')) id: string) {
    return flowView(await this.flows.get(id));
  }
}
