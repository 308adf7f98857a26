import { Module } from '@nestjs/common';
import { AccessFlowsModule } from '../access-flows/access-flows.module';
import { AccessRequestsModule } from '../access-requests/access-requests.module';
import { ApprovalsModule } from '../approvals/approvals.module';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { GrantsModule } from '../grants/grants.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { CredentialsRevealService } from './credentials-reveal.service';
import { IncidentsController } from './incidents.controller';
import { RequestIntakeService } from './request-intake.service';
import { RequestJudgeService } from './request-judge.service';
import { RequestOpeningService } from './request-opening.service';
import { RequestsSweeperService } from './requests-sweeper.service';
import { RequestsController } from './requests.controller';
import { RequestsService } from './requests.service';
import { RequestWaiterService } from './request-waiter.service';
import { ResealService } from './reseal.service';

/**
 * Requests: intake (judged, opened), the REST routes of a request's life, credentials reveal,
 * re-sealing stored credentials, incidents.
 */
@Module({
  imports: [
    AccessRequestsModule,
    ApprovalsModule,
    GrantsModule,
    AccessFlowsModule,
    IntegrationsModule,
    IdentityModule,
    AuditModule,
    CatalogModule,
  ],
  controllers: [RequestsController, IncidentsController],
  providers: [
    RequestsService,
    RequestIntakeService,
    RequestJudgeService,
    RequestOpeningService,
    CredentialsRevealService,
    RequestsSweeperService,
    ResealService,
    RequestWaiterService,
  ],
  exports: [RequestsService, CredentialsRevealService, RequestsSweeperService],
})
export class RequestsModule {}
