import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { connectorQueueName } from '@doorman/contracts';
import { CONNECTOR_CONFIG, type ConnectorConfig } from '../config/connector.config';
import { redisConnectionOptions } from '../config/redis';
import { LOGGER } from '../logging/logger';
import { TargetClient } from '../postgres/target-client';
import { ConnectorMetrics } from '../metrics/connector-metrics';
import { connectorBackoffStrategy } from './backoff';
import { ConnectorJobsService } from './connector-jobs.service';
import { HeartbeatService } from './heartbeat.service';
import { InventoryService } from './inventory.service';
import { promoteRetries, TargetReachability } from './target-reachability';

/**
 * A connector killed mid-job leaves the job locked: it runs again once its lock lapses (the
 * lock is renewed every lockDuration/2 while the job runs, so long jobs are safe). Jobs are
 * idempotent, so a job may stall any number of times: BullMQ's default of one would fail a
 * revoke for good after two crashes, and revokes never give up.
 */
const STALL_SETTINGS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 1_000_000 };

/**
 * Jobs held at once, as a multiple of CONNECTOR_CONCURRENCY. Syncs that end access wait to be
 * applied together (UserSyncService), so the worker takes more jobs than it runs; every other
 * job still runs at most CONNECTOR_CONCURRENCY at a time (the target pool is sized for that).
 */
const HELD_PER_WORKER = 8;

/** Ending access: a sync-user job that logs nobody in. Only a scheduling hint; the payload is validated later. */
function endsAccess(name: string, data: unknown): boolean {
  if (name !== 'sync-user' || typeof data !== 'object' || data === null) return false;
  const d = data as { login?: unknown; groups?: unknown };
  return d.login === false && Array.isArray(d.groups) && d.groups.length === 0;
}

/** At most `limit` callers at a time; the others wait in order. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.free = limit;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * The BullMQ worker on this connector's queue (thin: every job goes to
 * ConnectorJobsService.process). The queue name comes from config at runtime, which is
 * why this is a plain Worker rather than a decorator-bound @Processor.
 */
@Injectable()
export class ConnectorProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private worker: Worker | null = null;
  /** The same queue, to promote retries when the target answers again (TargetReachability). */
  private queue: Queue | null = null;
  private reachability: TargetReachability | null = null;

  constructor(
    @Inject(CONNECTOR_CONFIG) private readonly config: ConnectorConfig,
    @Inject(ConnectorJobsService) private readonly jobs: ConnectorJobsService,
    @Inject(HeartbeatService) private readonly heartbeat: HeartbeatService,
    @Inject(InventoryService) private readonly inventory: InventoryService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ConnectorMetrics) private readonly metrics: ConnectorMetrics,
    @Inject(TargetClient) private readonly target: TargetClient,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.assertHandlers();
    const queue = connectorQueueName(this.config.connectorId);
    const slots = new Slots(this.config.concurrency);
    const worker = new Worker(
      queue,
      (job) =>
        endsAccess(job.name, job.data)
          ? this.metrics.track(job.name, () => this.jobs.process(job))
          : slots.run(() => this.metrics.track(job.name, () => this.jobs.process(job))),
      {
        connection: redisConnectionOptions(this.config.redisUrl),
        prefix: this.config.redisPrefix,
        concurrency: this.config.concurrency * HELD_PER_WORKER,
        settings: { backoffStrategy: connectorBackoffStrategy },
        ...STALL_SETTINGS,
      },
    );
    worker.on('error', (err) => this.logger.error({ err }, 'worker error'));
    const ownQueue = new Queue(queue, {
      connection: redisConnectionOptions(this.config.redisUrl),
      prefix: this.config.redisPrefix,
    });
    ownQueue.on('error', (err) => this.logger.warn({ err }, 'queue connection error'));
    const reachability = new TargetReachability(
      () => this.target.serverVersion(),
      () => promoteRetries(ownQueue),
      this.logger,
    );
    worker.on('failed', (_job, err) => reachability.onJobFailed(err));
    this.worker = worker;
    this.queue = ownQueue;
    this.reachability = reachability;
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
    this.reachability?.close();
    await this.worker?.close();
    await this.queue?.close();
    this.worker = null;
    this.queue = null;
  }
}
