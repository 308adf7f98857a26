import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { SlackExpiryWarningsService } from '../slack/slack-expiry-warnings.service';
import { SlackGroupSyncService } from '../slack/slack-group-sync.service';
import { SlackNotifierService } from '../slack/slack-notifier.service';

/** The Slack app's periodic work, for the schedules processor (scheduled only with Slack on). */
@Injectable()
export class SlackSchedules {
  constructor(
    private readonly expiryWarnings: SlackExpiryWarningsService,
    private readonly groupSync: SlackGroupSyncService,
    private readonly notifier: SlackNotifierService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async warnExpiring(): Promise<void> {
    await this.expiryWarnings.warnDue(new Date());
  }

  syncGroups(): Promise<void> {
    return this.groupSync.syncAll();
  }

  /** Approvals never asked for longer than one period are asked now. */
  catchUp(): Promise<void> {
    return this.notifier.catchUp(this.config.SLACK_CATCH_UP_MS);
  }
}
