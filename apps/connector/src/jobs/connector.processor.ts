import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { connectorQueueName } from '@doorman/contracts';
import { CONNECTOR_CONFIG, type ConnectorConfig } from '../config/connector.config';
import { redisConnectionOptions } from '../config/redis';
import { LOGGER } from '../logging/logger';
import { ConnectorMetrics } from '../metrics/connector-metrics';
import { connectorBackoffStrategy } from './backoff';
import { ConnectorJobsService } from './connector-jobs.service';
import { HeartbeatService } from './heartbeat.service';
import { InventoryService } from './inventory.service';

/**
 * A connector killed mid-job leaves the job locked: it runs again once its lock lapses (the
 * lock is renewed every lockDuration/2 while the job runs, so long jobs are safe). Jobs are
 * idempotent, so a job may stall any number of times: BullMQ's default of one would fail a
 * revoke for good after two crashes, and revokes never give up (DESIGN §5).
 */
const STALL_SETTINGS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 1_000_000 };

/**
 * The BullMQ worker on this connector's queue (thin: every job goes to
 * ConnectorJobsService.process). The queue name comes from config at runtime, which is
 * why this is a plain Worker rather than a decorator-bound @Processor.
 */
@Injectable()
export class ConnectorProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private worker: Worker | null = null;

  constructor(
    @Inject(CONNECTOR_CONFIG) private readonly config: ConnectorConfig,
    @Inject(ConnectorJobsService) private readonly jobs: ConnectorJobsService,
    @Inject(HeartbeatService) private readonly heartbeat: HeartbeatService,
    @Inject(InventoryService) private readonly inventory: InventoryService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ConnectorMetrics) private readonly metrics: ConnectorMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.assertHandlers();
    const queue = connectorQueueName(this.config.connectorId);
    const worker = new Worker(
      queue,
      (job) => this.metrics.track(job.name, () => this.jobs.process(job)),
      {
        connection: redisConnectionOptions(this.config.redisUrl),
        prefix: this.config.redisPrefix,
        concurrency: this.config.concurrency,
        settings: { backoffStrategy: connectorBackoffStrategy },
        ...STALL_SETTINGS,
      },
    );
    worker.on('error', (err) => this.logger.error({ err }, 'worker error'));
    this.worker = worker;
    this.heartbeat.start();
    this.inventory.start();
    this.logger.info(
      { queue, prefix: this.config.redisPrefix, concurrency: this.config.concurrency },
      'worker listening',
    );
  }

  /** Lets running jobs finish before the pools close (onApplicationShutdown). */
  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.heartbeat.stop(), this.inventory.stop()]);
    await this.worker?.close();
    this.worker = null;
  }
}
