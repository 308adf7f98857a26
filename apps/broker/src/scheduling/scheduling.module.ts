import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AdminRotationModule } from '../admin-rotation/admin-rotation.module';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { GrantsModule } from '../grants/grants.module';
import { OutboxModule } from '../outbox/outbox.module';
import { RequestsModule } from '../requests/requests.module';
import { RuleChangesModule } from '../rule-changes/rule-changes.module';
import { SlackModule } from '../slack/slack.module';
import { SchedulerService } from './scheduler.service';
import { SCHEDULES_QUEUE } from './schedules';
import { SchedulesProcessor } from './schedules.processor';
import { SlackSchedules } from './slack-schedules';
import { SweepSchedules } from './sweep-schedules';

/** Every periodic job of the broker, declared and run in one place. */
@Module({
  imports: [
    BullModule.registerQueue({ name: SCHEDULES_QUEUE }),
    AdminRotationModule,
    AuditModule,
    CatalogModule,
    GrantsModule,
    OutboxModule,
    RequestsModule,
    RuleChangesModule,
    SlackModule,
  ],
  providers: [SchedulerService, SchedulesProcessor, SlackSchedules, SweepSchedules],
})
export class SchedulingModule {}
