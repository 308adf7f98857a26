import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { CONNECTOR_CONFIG, type ConnectorConfig } from './config/connector.config';
import { ConnectorProcessor } from './connector.processor';
import { ConnectorJobsService } from './jobs/connector-jobs.service';
import { HeartbeatService } from './jobs/heartbeat.service';
import { ResultsPublisher } from './jobs/results.publisher';
import { LOGGER } from './logging/logger';
import { ConnectorMetrics, HEARTBEAT_CLOCK } from './metrics/connector-metrics';
import { ConnectorTargets } from './targets/connector-targets';

/** Closes connections last, after the worker has drained (ConnectorProcessor.onModuleDestroy). */
@Injectable()
class ConnectionsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(ConnectorTargets) private readonly targets: ConnectorTargets,
    @Inject(ResultsPublisher) private readonly results: ResultsPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    await Promise.allSettled([this.results.close(), this.targets.close()]);
    this.logger.info({ signal }, 'connector stopped');
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
        { provide: ResultsPublisher, useFactory: () => new ResultsPublisher(config) },
        {
          // Every target with its own pools, admin rotation, discovery, inventory and job gate.
          provide: ConnectorTargets,
          useFactory: (r: ResultsPublisher) => ConnectorTargets.build(config, r, logger),
          inject: [ResultsPublisher],
        },
        {
          provide: ConnectorJobsService,
          useFactory: (t: ConnectorTargets, r: ResultsPublisher) =>
            new ConnectorJobsService(config.connectorId, t, r, logger),
          inject: [ConnectorTargets, ResultsPublisher],
        },
        {
          provide: HeartbeatService,
          useFactory: (t: ConnectorTargets, r: ResultsPublisher) =>
            new HeartbeatService(config.connectorId, config.heartbeatIntervalMs, t.all, r, logger),
          inject: [ConnectorTargets, ResultsPublisher],
        },
        { provide: HEARTBEAT_CLOCK, useExisting: HeartbeatService },
        ConnectorProcessor,
        ConnectorMetrics,
        ConnectionsCloser,
      ],
      exports: [ConnectorTargets, ConnectorJobsService],
    };
  }
}
