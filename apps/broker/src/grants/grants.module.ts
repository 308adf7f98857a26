import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TIMERS_QUEUE } from '@doorman/contracts';
import { AccessRequestsModule } from '../access-requests/access-requests.module';
import { AdminRotationModule } from '../admin-rotation/admin-rotation.module';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { ConnectorsModule } from '../connectors/connectors.module';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { AccessEndService } from './access-end.service';
import { BreakGlassReviewService } from './break-glass-review.service';
import { CleanupService } from './cleanup.service';
import { CredentialsService } from './credentials.service';
import { DatabaseUserRepository } from './database-user.repository';
import { DatabaseUsersController } from './database-users.controller';
import { ExpiryService } from './expiry.service';
import { ExtensionsService } from './extensions.service';
import { FaultMetrics } from './fault-metrics';
import { GrantSyncService } from './grant-sync.service';
import { ReconcileService } from './reconcile.service';
import { ResultsConsumers } from './results-consumers';
import { ResultsProcessor } from './results.processor';
import { RevocationService } from './revocation.service';
import { SweeperService } from './sweeper.service';
import { SyncFailuresService } from './sync-failures.service';
import { SyncResultsRecorder } from './sync-results.recorder';
import { SyncResultsService } from './sync-results.service';
import { TimersProcessor } from './timers.processor';

/**
 * Grants: desired-state sync to the connectors and their results, expiry, cleanup, the grant
 * lifecycle (revoke, revoke-all, extensions, break-glass review), database users and their
 * credentials, reconciliation.
 */
@Module({
  imports: [
    BullModule.registerQueue({ name: TIMERS_QUEUE }),
    AccessRequestsModule,
    OutboxModule,
    AuditModule,
    ConnectorsModule,
    AdminRotationModule,
    CatalogModule,
    IntegrationsModule,
    IdentityModule,
  ],
  controllers: [DatabaseUsersController],
  providers: [
    DatabaseUserRepository,
    GrantSyncService,
    SyncResultsService,
    SyncFailuresService,
    SyncResultsRecorder,
    AccessEndService,
    ExpiryService,
    CleanupService,
    RevocationService,
    ExtensionsService,
    BreakGlassReviewService,
    CredentialsService,
    ReconcileService,
    FaultMetrics,
    ResultsProcessor,
    ResultsConsumers,
    TimersProcessor,
    SweeperService,
  ],
  exports: [
    DatabaseUserRepository,
    GrantSyncService,
    SyncResultsService,
    ExpiryService,
    RevocationService,
    ExtensionsService,
    BreakGlassReviewService,
    FaultMetrics,
    SweeperService,
    ResultsProcessor,
  ],
})
export class GrantsModule {}
