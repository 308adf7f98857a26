import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { loadSealPublicKey } from '@doorman/crypto';
import { CONNECTOR_CONFIG, type ConnectorConfig } from './config/connector.config';
import { ConnectorProcessor } from './jobs/connector.processor';
import { ConnectorJobsService } from './jobs/connector-jobs.service';
import { DiscoveryService } from './jobs/discovery.service';
import { HeartbeatService } from './jobs/heartbeat.service';
import { InventoryService } from './jobs/inventory.service';
import { ResultsPublisher } from './jobs/results.publisher';
import { SessionObserverService } from './jobs/session-observer.service';
import { LOGGER } from './logging/logger';
import { ConnectorMetrics, HEARTBEAT_CLOCK } from './metrics/connector-metrics';
import { AdminRotationService } from './postgres/admin-rotation.service';
import { GroupRolesService } from './postgres/group-roles.service';
import { TargetClient } from './postgres/target-client';
import { UserCleanupService } from './postgres/user-cleanup.service';
import { UserSyncService } from './postgres/user-sync.service';

/** Closes connections last, after the worker has drained (ConnectorProcessor.onModuleDestroy). */
@Injectable()
class ConnectionsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(TargetClient) private readonly target: TargetClient,
    @Inject(ResultsPublisher) private readonly results: ResultsPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    await Promise.allSettled([this.results.close(), this.target.close()]);
    this.logger.info({ signal }, 'connector stopped');
  }
}

/** Observes sessions once the application is up; stops before the pools close. */
@Injectable()
class SessionObserverLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(SessionObserverService) private readonly observer: SessionObserverService) {}

  onApplicationBootstrap(): void {
    this.observer.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.observer.stop();
  }
}

@Module({})
export class ConnectorModule {
  static forRoot(config: ConnectorConfig, logger: Logger): DynamicModule {
    return {
      module: ConnectorModule,
      providers: [
        { provide: CONNECTOR_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        {
          provide: TargetClient,
          // Room for every concurrent job plus the nested per-database and termination queries.
          useFactory: () =>
            new TargetClient(
              config.target,
              config.statementTimeoutMs,
              config.concurrency + 2,
              logger,
            ),
        },
        { provide: ResultsPublisher, useFactory: () => new ResultsPublisher(config) },
        {
          provide: GroupRolesService,
          useFactory: (t: TargetClient) => new GroupRolesService(t),
          inject: [TargetClient],
        },
        {
          provide: UserSyncService,
          useFactory: (t: TargetClient, g: GroupRolesService) =>
            new UserSyncService(t, g, loadSealPublicKey(config.sealPublicKey)),
          inject: [TargetClient, GroupRolesService],
        },
        {
          provide: UserCleanupService,
          useFactory: (t: TargetClient, g: GroupRolesService) => new UserCleanupService(t, g),
          inject: [TargetClient, GroupRolesService],
        },
        {
          provide: AdminRotationService,
          useFactory: (t: TargetClient) =>
            new AdminRotationService(t, config.adminSecretFile, config.target.password, logger),
          inject: [TargetClient],
        },
        {
          provide: DiscoveryService,
          useFactory: (t: TargetClient) => new DiscoveryService(t, config.target.sslMode),
          inject: [TargetClient],
        },
        {
          provide: ConnectorJobsService,
          useFactory: (
            s: UserSyncService,
            c: UserCleanupService,
            r: ResultsPublisher,
            a: AdminRotationService,
            d: DiscoveryService,
          ) => new ConnectorJobsService(config.connectorId, s, c, r, logger, a, d),
          inject: [
            UserSyncService,
            UserCleanupService,
            ResultsPublisher,
            AdminRotationService,
            DiscoveryService,
          ],
        },
        {
          provide: HeartbeatService,
          useFactory: (t: TargetClient, r: ResultsPublisher) =>
            new HeartbeatService(config.connectorId, config.heartbeatIntervalMs, t, r, logger),
          inject: [TargetClient, ResultsPublisher],
        },
        { provide: HEARTBEAT_CLOCK, useExisting: HeartbeatService },
        {
          provide: InventoryService,
          useFactory: (t: TargetClient, r: ResultsPublisher) =>
            new InventoryService(config.connectorId, config.reconcileIntervalMs, t, r, logger),
          inject: [TargetClient, ResultsPublisher],
        },
        {
          provide: SessionObserverService,
          useFactory: (t: TargetClient, r: ResultsPublisher) =>
            new SessionObserverService(
              config.connectorId,
              config.sessionObserveIntervalMs,
              t,
              r,
              logger,
            ),
          inject: [TargetClient, ResultsPublisher],
        },
        SessionObserverLifecycle,
        ConnectorProcessor,
        ConnectorMetrics,
        ConnectionsCloser,
      ],
      exports: [TargetClient, UserSyncService, UserCleanupService, ConnectorJobsService],
    };
  }
}
