import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/zod';
import { Roles } from '../identity/auth.decorators';
import { SlackGroupSyncService } from './slack-group-sync.service';

/** Groups that follow a Slack user group: catch up now instead of at the next periodic sync. */
@ApiTags('identity')
@ApiBearerAuth()
@Controller()
export class SlackGroupsController {
  constructor(private readonly sync: SlackGroupSyncService) {}

  @Post('groups/:id/sync')
  @HttpCode(200)
  @Roles('admin', 'security')
  async syncGroup(@Param('id', new IdPipe('group')) id: string) {
    return this.sync.syncById(id);
  }
}
