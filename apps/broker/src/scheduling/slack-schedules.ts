import { Injectable } from '@nestjs/common';
import { SlackExpiryWarningsService } from '../slack/slack-expiry-warnings.service';
import { SlackGroupSyncService } from '../slack/slack-group-sync.service';

/** The Slack app's periodic work, for the schedules processor (scheduled only with Slack on). */
@Injectable()
export class SlackSchedules {
  constructor(
    private readonly expiryWarnings: SlackExpiryWarningsService,
    private readonly groupSync: SlackGroupSyncService,
  ) {}

  async warnExpiring(): Promise<void> {
    await this.expiryWarnings.warnDue(new Date());
  }

  syncGroups(): Promise<void> {
    return this.groupSync.syncAll();
  }
}
