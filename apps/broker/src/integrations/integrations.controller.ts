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

const CreateIntegrationSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  connectorId: z.string().uuid(),
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(5432),
  databases: z.array(PgNameSchema).min(1).max(500),
  sslMode: SslModeSchema.default('prefer'),
  rotationDays: z.number().int().min(0).max(3650).default(0),
  cleanupDays: z.number().int().min(0).max(3650).default(0),
  adminRotationDays: z.number().int().min(0).max(3650).default(0),
  customAccessDetails: z.string().max(400).nullable().optional(),
  ownerIds: z.array(z.string().uuid()).max(100).default([]),
  connectionLimit: z.number().int().min(1).max(1000).default(10),
  /** false: credentials are never revealed to a token minted for the person by someone else. */
  revealToMintedTokens: z.boolean().default(true),
  /** PEM of the CA that signed the server's certificate, handed out with credentials (verify-full). */
  caCertificate: CaCertificateSchema.nullable().optional(),
});

const UpdateIntegrationSchema = z
  .strictObject({
    caCertificate: CaCertificateSchema.nullable().optional(),
    revealToMintedTokens: z.boolean().optional(),
  })
  .refine(
    (b) => b.caCertificate !== undefined || b.revealToMintedTokens !== undefined,
    'give caCertificate or revealToMintedTokens',
  );

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
   * What may change on an integration after it was created: its CA certificate (null removes
   * it) and whether credentials are revealed to tokens minted by someone else.
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
