import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { ConnectorsService } from './connectors.service';

const CreateConnectorSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore only'),
});

@ApiTags('connectors')
@ApiBearerAuth()
@Controller('connectors')
export class ConnectorsController {
  constructor(private readonly connectors: ConnectorsService) {}

  /** Returns the id a connector is started with (`CONNECTOR_ID`). */
  @Post()
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(CreateConnectorSchema) })
  async create(
    @CurrentActor() actor: Actor,
    @Body(new ZodPipe(CreateConnectorSchema)) body: z.infer<typeof CreateConnectorSchema>,
  ) {
    const c = await this.connectors.create(actor, body.name);
    return { id: c.id, name: c.name, createdAt: c.createdAt };
  }

  @Get()
  @Roles('admin', 'security', 'auditor')
  async list() {
    return this.connectors.list();
  }
}
