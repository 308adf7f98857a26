import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TIMERS_QUEUE } from '@doorman/contracts';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminRotationModule } from '../admin-rotation/admin-rotation.module';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { ConnectorsModule } from '../connectors/connectors.module';
import { OutboxModule } from '../outbox/outbox.module';
import { DatabaseUserEntity } from './database-user.entity';
import { CredentialsService } from './credentials.service';
import { DatabaseUsersController } from './database-users.controller';
import { FaultMetrics } from './fault-metrics';
import { GrantsService } from './grants.service';
import { ReconcileService } from './reconcile.service';
import { ResultsConsumers } from './results-consumers';
import { ResultsProcessor } from './results.processor';
import { SweeperService } from './sweeper.service';
import { SyncResultsRecorder } from './sync-results.recorder';
import { TimersProcessor } from './timers.processor';

@Module({
  imports: [
    TypeOrmModule.forFeature([DatabaseUserEntity]),
    BullModule.registerQueue({ name: TIMERS_QUEUE }),
    OutboxModule,
    AuditModule,
    ConnectorsModule,
    AdminRotationModule,
    CatalogModule,
  ],
  controllers: [DatabaseUsersController],
  providers: [
    GrantsService,
    CredentialsService,
    ReconcileService,
    FaultMetrics,
    ResultsProcessor,
    ResultsConsumers,
    SyncResultsRecorder,
    TimersProcessor,
    SweeperService,
  ],
  exports: [GrantsService, FaultMetrics, SweeperService],
})
export class GrantsModule {}
