import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessFlowsModule } from '../access-flows/access-flows.module';
import { AuditController } from '../audit/audit.controller';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { DatabaseUserEntity } from '../grants/database-user.entity';
import { GrantsModule } from '../grants/grants.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { AccessHistoryService } from './access-history.service';
import { AccessRequestEntity } from '../access-requests/access-request.entity';
import { ApprovalEntity } from '../approvals/approval.entity';
import { CredentialsRevealService } from './credentials-reveal.service';
import { IncidentsController } from './incidents.controller';
import { RequestTimersProcessor } from './request-timers.processor';
import { RequestsSweeperService } from './requests-sweeper.service';
import { RequestsController } from './requests.controller';
import { ResealService } from './reseal.service';
import { REQUEST_TIMERS_QUEUE, RequestsService } from './requests.service';

/** The audit API lives here: reading a request's trail needs the request's visibility rules. */
@Module({
  imports: [
    TypeOrmModule.forFeature([AccessRequestEntity, ApprovalEntity, DatabaseUserEntity]),
    BullModule.registerQueue({ name: REQUEST_TIMERS_QUEUE }),
    AccessFlowsModule,
    IntegrationsModule,
    IdentityModule,
    GrantsModule,
    AuditModule,
    OutboxModule,
    CatalogModule,
  ],
  controllers: [RequestsController, IncidentsController, AuditController],
  providers: [
    RequestsService,
    CredentialsRevealService,
    RequestTimersProcessor,
    RequestsSweeperService,
    AccessHistoryService,
    ResealService,
  ],
  exports: [RequestsService, CredentialsRevealService, RequestsSweeperService],
})
export class RequestsModule {}
