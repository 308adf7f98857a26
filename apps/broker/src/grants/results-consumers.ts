import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { connectorResultsQueueName, parseConnectorMessage } from '@doorman/contracts';
import { AsyncResource } from 'node:async_hooks';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { redisConnectionOptions } from '../config/redis';
import { ConnectorsService } from '../connectors/connectors.service';
import { FaultMetrics } from './fault-metrics';
import { ResultsProcessor } from './results.processor';

/**
 * Jobs taken at once from each queue. Sync results wait in the batcher (a promise, no
 * connection) until their batch commits, so the worker must hold many to form batches.
 */
const RESULTS_CONCURRENCY = 128;

/**
 * A broker killed while it holds results leaves them locked: with BullMQ's defaults
 * (30 s lock, 30 s check, one stall allowed) they came back after up to a minute, or failed for
 * good and waited for reconciliation. Here a dead consumer's jobs return to the queue within
 * lockDuration + 2 × stalledInterval (the check marks, then moves), about 9 s, and never fail for
 * stalling: recording a result twice is a no-op (generations, and only GRANTING/REVOKING
 * requests move). The lock of every held job, a batched one waiting too, is renewed every
 * lockDuration / 2 while the worker lives.
 */
export const RESULTS_STALL_SETTINGS = {
  lockDuration: 5_000,
  stalledInterval: 2_000,
  maxStalledCount: 1_000_000,
} as const;

/** How often the registered connectors are listed again (one made by another replica). */
const REFRESH_MS = 5_000;

/**
 * One BullMQ worker per registered connector, on that connector's results queue.
 * Only that connector's Redis user may write its queue, so the queue names the sender: a
 * message naming another connector, or an integration the sender does not serve, is refused
 * (audited, counted, failed for good) before anything is recorded.
 */
@Injectable()
export class ResultsConsumers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ResultsConsumers.name);
  private readonly workers = new Map<string, Worker>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly connectors: ConnectorsService,
    private readonly processor: ResultsProcessor,
    private readonly faults: FaultMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A connector created by a request starts its worker outside that request's context
    // (made here, at boot), or every result's log line would carry that request's id.
    const boot = new AsyncResource('results-consumers');
    this.connectors.onCreated((id) => boot.runInAsyncScope(() => this.consume(id)));
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  /** Lets held jobs finish (their batches commit) before the database pool closes. */
  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.workers.values()].map((w) => w.close()));
    this.workers.clear();
  }

  private async refresh(): Promise<void> {
    try {
      for (const id of await this.connectors.ids()) this.consume(id);
    } catch (err) {
      this.logger.warn({ err }, 'could not list connectors for their results queues');
    }
  }

  private consume(connectorId: string): void {
    if (this.closed || this.workers.has(connectorId)) return;
    const queue = connectorResultsQueueName(connectorId);
    const worker = new Worker(queue, (job) => this.take(connectorId, job), {
      connection: redisConnectionOptions(this.config.REDIS_URL),
      prefix: this.config.REDIS_PREFIX,
      concurrency: RESULTS_CONCURRENCY,
      ...RESULTS_STALL_SETTINGS,
    });
    // Unheard, the 'error' event would be thrown.
    worker.on('error', (err) => this.logger.warn({ err, queue }, 'results worker error'));
    worker.on('stalled', (jobId, prev) =>
      this.logger.warn(
        { jobId, prev, queue },
        'results job stalled: its consumer died or froze, taken again',
      ),
    );
    this.workers.set(connectorId, worker);
  }

  private async take(connectorId: string, job: Job<unknown>): Promise<void> {
    const parsed = parseConnectorMessage(job.data);
    if (!parsed.ok) {
      this.logger.error(
        { jobId: job.id, connectorId, reason: parsed.reason },
        'refused a malformed connector message',
      );
      throw new UnrecoverableError(`malformed connector message: ${parsed.reason}`);
    }
    const refusal = await this.connectors.refusal(connectorId, parsed.value);
    if (refusal !== null) {
      this.faults.refusedMessages++;
      await this.connectors.recordRefusal(connectorId, parsed.value, refusal);
      this.logger.error(
        { jobId: job.id, connectorId, kind: parsed.value.kind, reason: refusal },
        'refused a connector message speaking for another connector',
      );
      throw new UnrecoverableError(`connector message refused: ${refusal}`);
    }
    await this.processor.process(parsed.value);
  }
}
