import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { CatalogService } from './catalog.service';

/** What exists on an integration's server and what its admin can grant there. */
@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get(':id/catalog')
  @ApiOperation({
    summary:
      'Databases, schemas and tables with their owners, and the levels the connector’s admin can grant on each',
  })
  async view(@Param('id', new IdPipe('integration')) id: string) {
    return this.catalog.view(id);
  }

  @Post(':id/discover')
  @HttpCode(202)
  @Roles('admin', 'security')
  @ApiOperation({ summary: 'Read the catalog (and the doctor’s report) again now' })
  async discover(@CurrentActor() actor: Actor, @Param('id', new IdPipe('integration')) id: string) {
    return this.catalog.discoverNow(actor, id);
  }

  @Get(':id/doctor')
  @Roles('admin', 'security', 'auditor')
  @ApiOperation({
    summary: 'The connector’s doctor report for this integration, from the latest discovery',
  })
  async doctor(@Param('id', new IdPipe('integration')) id: string) {
    return this.catalog.doctor(id);
  }
}
