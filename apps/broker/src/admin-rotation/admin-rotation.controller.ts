import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { AdminRotationService } from './admin-rotation.service';

/** The connector's own login per integration: last rotated, due, rotate now. */
@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations')
export class AdminRotationController {
  constructor(private readonly rotations: AdminRotationService) {}

  @Get(':id/admin-credentials')
  @Roles('admin', 'security', 'auditor')
  async view(@Param('id', new IdPipe('integration')) id: string) {
    return this.rotations.view(id);
  }

  @Post(':id/admin-credentials/rotate')
  @HttpCode(202)
  @Roles('admin', 'security')
  async rotate(@CurrentActor() actor: Actor, @Param('id', new IdPipe('integration')) id: string) {
    return this.rotations.rotateNow(actor, id);
  }
}
