import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { NOTIFICATIONS_QUEUE } from '../outbox/broker-jobs';
import { SlackModule } from '../slack/slack.module';
import { NotificationsProcessor } from './notifications.processor';
import { NotificationsService } from './notifications.service';

/**
 * Notices of audited changes, delivered from the outbox: the audit trail writes a notify job
 * with each change Slack tells people about, in the change's transaction; this module runs them.
 */
@Module({
  imports: [BullModule.registerQueue({ name: NOTIFICATIONS_QUEUE }), AuditModule, SlackModule],
  providers: [NotificationsService, NotificationsProcessor],
})
export class NotificationsModule {}
