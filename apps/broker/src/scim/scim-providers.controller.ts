import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Actor } from '../common/actor';
import { CurrentActor, Roles } from '../common/auth.decorators';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import { ScimProvidersService } from './scim-providers.service';

const CreateScimProviderSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .describe('Which identity provider this is, e.g. "okta" or "entra"'),
});

/** An admin lets an identity provider in: a provider per IdP, its SCIM token shown once. */
@ApiTags('scim')
@ApiBearerAuth()
@Controller('scim/providers')
export class ScimProvidersController {
  constructor(private readonly providers: ScimProvidersService) {}

  @Post()
  @Roles('admin')
  @ApiBody({ schema: openApiSchema(CreateScimProviderSchema) })
  create(
    @CurrentActor() actor: Actor,
    @Body(new ZodPipe(CreateScimProviderSchema)) body: z.infer<typeof CreateScimProviderSchema>,
  ) {
    return this.providers.create(actor, body.name);
  }

  @Get()
  @Roles('admin')
  list() {
    return this.providers.list();
  }

  /** A new token, shown once; the old one stops working at once. */
  @Post(':id/rotate')
  @HttpCode(200)
  @Roles('admin')
  rotate(@CurrentActor() actor: Actor, @Param('id', new IdPipe('SCIM provider')) id: string) {
    return this.providers.rotate(actor, id);
  }
}
