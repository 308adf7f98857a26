import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { IdPipe, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { CredentialsService } from './credentials.service';
import { FaultMetrics } from './fault-metrics';

const ListSchema = z.strictObject({
  state: z.enum(['none', 'active', 'inactive', 'deleting', 'deleted']).optional(),
});

/** Database users per integration, credential resets, and fault counters. Thin. */
@ApiTags('database-users')
@ApiBearerAuth()
@Controller()
export class DatabaseUsersController {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly metrics: FaultMetrics,
  ) {}

  /** "Reset my credentials": a new password now for the caller's own database user. */
  @Post('integrations/:id/credentials/reset')
  @HttpCode(202)
  async resetMine(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('integration')) id: string,
  ) {
    return this.credentials.resetMine(actor, id);
  }

  @Post('integrations/:id/credentials/reset-all')
  @HttpCode(202)
  @Roles('admin', 'security')
  async resetAll(@CurrentActor() actor: Actor, @Param('id', new IdPipe('integration')) id: string) {
    return this.credentials.resetAll(actor, id);
  }

  /** Password age, state and cleanup due date of every database user (`?state=inactive`: waiting for cleanup). */
  @Get('integrations/:id/database-users')
  @Roles('admin', 'security', 'auditor')
  async list(
    @Param('id', new IdPipe('integration')) id: string,
    @Query(new ZodPipe(ListSchema)) q: z.infer<typeof ListSchema>,
  ) {
    return this.credentials.listDatabaseUsers(id, q);
  }

  @Get('metrics/faults')
  @Roles('admin', 'security', 'auditor')
  faults() {
    return this.metrics.snapshot();
  }
}
