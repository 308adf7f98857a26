import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { connectorQueueName } from '@doorman/contracts';
import { CONNECTOR_CONFIG, type ConnectorConfig } from './config/connector.config';
import { redisConnectionOptions } from './config/redis';
import { LOGGER } from './logging/logger';
import { ConnectorMetrics } from './metrics/connector-metrics';
import { ConnectorTargets, integrationHint } from './targets/connector-targets';
import type { Target } from './targets/target';
import { connectorBackoffStrategy } from './jobs/backoff';
import { ConnectorJobsService } from './jobs/connector-jobs.service';
import { HeartbeatService } from './jobs/heartbeat.service';
import { promoteRetries, TargetReachability } from './jobs/target-reachability';

/**
 * A connector killed mid-job leaves the job locked: it runs again once its lock lapses (the
 * lock is renewed every lockDuration/2 while the job runs, so long jobs are safe). Jobs are
 * idempotent, so a job may stall any number of times: BullMQ's default of one would fail a
 * revoke for good after two crashes, and revokes never give up.
 */
const STALL_SETTINGS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 1_000_000 };

/** How long a job waits before it is offered again when its target holds all it may. */
const DEFER_MS = 250;

/** Ending access: a sync-user job that logs nobody in. Only a scheduling hint; the payload is validated later. */
function endsAccess(name: string, data: unknown): boolean {
  if (name !== 'sync-user' || typeof data !== 'object' || data === null) return false;
  const d = data as { login?: unknown; groups?: unknown };
  return d.login === false && Array.isArray(d.groups) && d.groups.length === 0;
}

/**
 * The BullMQ worker on this connector's queue (thin: every job goes to
 * ConnectorJobsService.process). The queue name comes from config at runtime, which is
 * why this is a plain Worker rather than a decorator-bound @Processor. Each job passes its
 * target's gate first: per target at most CONNECTOR_CONCURRENCY run and HELD_PER_SLOT times that
 * are held, so a slow or absent target never takes the worker's room from the others; its
 * failing jobs retry with backoff (in Redis, holding nothing) while the others keep flowing.
 */
@Injectable()
export class ConnectorProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private worker: Worker | null = null;
  /** The same queue, to promote retries when the target answers again (TargetReachability). */
  private queue: Queue | null = null;
  private readonly reachability = new Map<Target, TargetReachability>();

  constructor(
    @Inject(CONNECTOR_CONFIG) private readonly config: ConnectorConfig,
    @Inject(ConnectorJobsService) private readonly jobs: ConnectorJobsService,
    @Inject(HeartbeatService) private readonly heartbeat: HeartbeatService,
    @Inject(ConnectorTargets) private readonly targets: ConnectorTargets,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ConnectorMetrics) private readonly metrics: ConnectorMetrics,
  ) {}

  /** One job: through its target's gate, or back to the queue for a moment when it is full. */
  private async take(job: Job, token: string | undefined): Promise<string> {
    const target = this.targets.forIntegration(integrationHint(job.data));
    // Not served (or no integration at all): the boundary reports it; it takes no target's room.
    if (!target) return this.metrics.track(job.name, 'unknown', () => this.jobs.process(job));
    const run = target.gate.tryRun(
      () => this.metrics.track(job.name, target.label, () => this.jobs.process(job)),
      !endsAccess(job.name, job.data),
    );
    if (run) return run;
    // Not an attempt: attemptsMade stays, and the job comes back after DEFER_MS.
    await job.moveToDelayed(Date.now() + DEFER_MS, token);
    throw new DelayedError();
  }

  onApplicationBootstrap(): void {
    this.jobs.assertHandlers();
    const queue = connectorQueueName(this.config.connectorId);
    // Room for what every target may hold at once, and a little for jobs no target serves.
    const held = this.targets.all.reduce((n, t) => n + t.gate.holdLimit, 0);
    const worker = new Worker(queue, (job, token) => this.take(job, token), {
      connection: redisConnectionOptions(this.config.redisUrl),
      prefix: this.config.redisPrefix,
      concurrency: held + this.config.concurrency,
      settings: { backoffStrategy: connectorBackoffStrategy },
      ...STALL_SETTINGS,
    });
    worker.on('error', (err) => this.logger.error({ err }, 'worker error'));
    const ownQueue = new Queue(queue, {
      connection: redisConnectionOptions(this.config.redisUrl),
      prefix: this.config.redisPrefix,
    });
    ownQueue.on('error', (err) => this.logger.warn({ err }, 'queue connection error'));
    for (const target of this.targets.all) {
      const mine = (j: Job) => this.targets.forIntegration(integrationHint(j.data)) === target;
      this.reachability.set(
        target,
        new TargetReachability(
          () => target.client.serverVersion(),
          () => promoteRetries(ownQueue, mine),
          target.logger,
        ),
      );
    }
    worker.on('failed', (job, err) => {
      const target = job && this.targets.forIntegration(integrationHint(job.data));
      if (target) this.reachability.get(target)?.onJobFailed(err);
    });
    this.worker = worker;
    this.queue = ownQueue;
    this.heartbeat.start();
    this.targets.start();
    this.logger.info(
      {
        queue,
        prefix: this.config.redisPrefix,
        concurrency: this.config.concurrency,
        targets: this.targets.all.length,
      },
      'worker listening',
    );
  }

  /** Lets running jobs finish before the pools close (onApplicationShutdown). */
  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.heartbeat.stop(), this.targets.stop()]);
    for (const r of this.reachability.values()) r.close();
    await this.worker?.close();
    await this.queue?.close();
    this.worker = null;
    this.queue = null;
  }
}
