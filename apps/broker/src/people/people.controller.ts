import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { DeactivationService } from './deactivation.service';

const personView = (u: { id: string; email: string; deactivatedAt: Date | null }) => ({
  id: u.id,
  email: u.email,
  deactivatedAt: u.deactivatedAt,
});

@ApiTags('identity')
@ApiBearerAuth()
@Controller('users')
export class PeopleController {
  constructor(private readonly deactivation: DeactivationService) {}

  /** Cuts a person off: tokens dead, grants revoked, pending requests cancelled, no approvals. */
  @Post(':id/deactivate')
  @HttpCode(200)
  @Roles('admin', 'security')
  async deactivate(@CurrentActor() actor: Actor, @Param('id', new IdPipe('user')) id: string) {
    const r = await this.deactivation.deactivate(actor, id);
    return { ...personView(r.user), revoked: r.revoked, cancelled: r.cancelled };
  }

  @Post(':id/reactivate')
  @HttpCode(200)
  @Roles('admin', 'security')
  async reactivate(@CurrentActor() actor: Actor, @Param('id', new IdPipe('user')) id: string) {
    return personView(await this.deactivation.reactivate(actor, id));
  }
}
