import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AccessFlowsModule } from '../access-flows/access-flows.module';
import { AccessRequestsModule } from '../access-requests/access-requests.module';
import { AuditModule } from '../audit/audit.module';
import { GrantsModule } from '../grants/grants.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { REQUEST_TIMERS_QUEUE } from '../outbox/broker-jobs';
import { OutboxModule } from '../outbox/outbox.module';
import { ApprovalDecisionsService } from './approval-decisions.service';
import { ApprovalOutcomeService } from './approval-outcome.service';
import { ApprovalRepository } from './approval.repository';
import { ApprovalTimersService } from './approval-timers.service';
import { ApprovalsController } from './approvals.controller';
import { ApproversService } from './approvers.service';
import { DecisionBatchRepository } from './decision-batch.repository';
import { RequestTimersProcessor } from './request-timers.processor';

/** Approvals: who may decide, decisions and quorum, step timeouts and the pending TTL. */
@Module({
  imports: [
    BullModule.registerQueue({ name: REQUEST_TIMERS_QUEUE }),
    AccessRequestsModule,
    AccessFlowsModule,
    IntegrationsModule,
    IdentityModule,
    AuditModule,
    OutboxModule,
    GrantsModule,
  ],
  controllers: [ApprovalsController],
  providers: [
    ApprovalRepository,
    ApproversService,
    ApprovalDecisionsService,
    ApprovalOutcomeService,
    ApprovalTimersService,
    RequestTimersProcessor,
    DecisionBatchRepository,
  ],
  exports: [
    ApproversService,
    ApprovalDecisionsService,
    ApprovalOutcomeService,
    ApprovalTimersService,
    DecisionBatchRepository,
  ],
})
export class ApprovalsModule {}
