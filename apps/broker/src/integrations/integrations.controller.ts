import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { SslModeSchema } from '@doorman/contracts';
import { z } from 'zod';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { CaCertificateSchema } from './ca-certificate';
import { IntegrationsService } from './integrations.service';
import { PgNameSchema } from '../common/input-schemas';

/** The settings that may also change after creation: one definition, so POST and PATCH agree. */
const days = z.number().int().min(0).max(3650);
const settings = {
  sslMode: SslModeSchema,
  rotationDays: days,
  cleanupDays: days,
  adminRotationDays: days,
  customAccessDetails: z.string().max(400).nullable(),
  ownerIds: z.array(z.string().uuid()).max(100),
  connectionLimit: z.number().int().min(1).max(1000),
  /** false: credentials are never revealed to a token minted for the person by someone else. */
  revealToMintedTokens: z.boolean(),
  /** PEM of the CA that signed the server's certificate, handed out with credentials (verify-full). */
  caCertificate: CaCertificateSchema.nullable(),
};

const CreateIntegrationSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  connectorId: z.string().uuid(),
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(5432),
  databases: z.array(PgNameSchema).min(1).max(500),
  sslMode: settings.sslMode.default('prefer'),
  rotationDays: settings.rotationDays.default(0),
  cleanupDays: settings.cleanupDays.default(0),
  adminRotationDays: settings.adminRotationDays.default(0),
  customAccessDetails: settings.customAccessDetails.optional(),
  ownerIds: settings.ownerIds.default([]),
  connectionLimit: settings.connectionLimit.default(10),
  revealToMintedTokens: settings.revealToMintedTokens.default(true),
  caCertificate: settings.caCertificate.optional(),
});

const UpdateIntegrationSchema = z
  .strictObject(settings)
  .partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one setting');

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations')
export class IntegrationsController {
  constructor(private readonly integrations: IntegrationsService) {}

  @Post()
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(CreateIntegrationSchema) })
  async create(
    @CurrentActor() actor: Actor,
    @Body(new ZodPipe(CreateIntegrationSchema)) body: z.infer<typeof CreateIntegrationSchema>,
  ) {
    return this.integrations.create(actor, body);
  }

  /**
   * What may change on an integration after it was created: its settings (the CA's null
   * removes it). Its name, connector, host, port and databases stay as created.
   */
  @Patch(':id')
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(UpdateIntegrationSchema) })
  async update(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('integration')) id: string,
    @Body(new ZodPipe(UpdateIntegrationSchema)) body: z.infer<typeof UpdateIntegrationSchema>,
  ) {
    return this.integrations.update(actor, id, body);
  }

  @Get()
  async list() {
    return this.integrations.list();
  }

  @Get(':id')
  async get(@Param('id', new IdPipe('integration')) id: string) {
    return this.integrations.get(id);
  }
}
