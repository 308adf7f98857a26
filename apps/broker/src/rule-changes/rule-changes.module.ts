import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AccessFlowsModule } from '../access-flows/access-flows.module';
import { AccessRequestsModule } from '../access-requests/access-requests.module';
import { ApprovalsModule } from '../approvals/approvals.module';
import { AuditModule } from '../audit/audit.module';
import { GrantsModule } from '../grants/grants.module';
import { IdentityModule } from '../identity/identity.module';
import { RULE_CHANGES_QUEUE } from '../outbox/broker-jobs';
import { OutboxModule } from '../outbox/outbox.module';
import { ApproverPruningService } from './approver-pruning.service';
import { GrantCapService } from './grant-cap.service';
import { RuleChangeRepository } from './rule-change.repository';
import { RuleChangesProcessor } from './rule-changes.processor';
import { RuleChangesService } from './rule-changes.service';
import { RuleVerdictsService } from './rule-verdicts.service';

/**
 * Access follows the rules as they change: a flow edited, a group losing a member, a person
 * losing a Doorman role is judged against the open requests and grants it touches.
 */
@Module({
  imports: [
    BullModule.registerQueue({ name: RULE_CHANGES_QUEUE }),
    AccessRequestsModule,
    AccessFlowsModule,
    ApprovalsModule,
    IdentityModule,
    GrantsModule,
    AuditModule,
    OutboxModule,
  ],
  providers: [
    RuleChangeRepository,
    RuleVerdictsService,
    ApproverPruningService,
    GrantCapService,
    RuleChangesService,
    RuleChangesProcessor,
  ],
  exports: [RuleChangesService],
})
export class RuleChangesModule {}
