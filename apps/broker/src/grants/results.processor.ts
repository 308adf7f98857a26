import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import {
  Batcher,
  RESULTS_QUEUE,
  parseConnectorMessage,
  type SyncUserResult,
} from '@doorman/contracts';
import { type Job, UnrecoverableError } from 'bullmq';
import { AdminRotationService } from '../admin-rotation/admin-rotation.service';
import { CatalogService } from '../catalog/catalog.service';
import { ConnectorsService } from '../connectors/connectors.service';
import { GrantsService } from './grants.service';
import { ReconcileService } from './reconcile.service';
import { SyncResultsRecorder } from './sync-results.recorder';

/**
 * Jobs taken at once. Sync results wait in the batcher (a promise, no connection) until their
 * batch commits, so the worker must hold many to form batches; other messages run as before.
 */
const RESULTS_CONCURRENCY = 128;
/** Results recorded in one transaction, and such transactions at once (of the gate's 10). */
const RESULTS_BATCH = 100;
const RESULT_BATCHES_IN_FLIGHT = 2;

/**
 * A broker killed while it holds results leaves them locked (issue 20): with BullMQ's defaults
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

/**
 * Results and heartbeats from every connector, on a durable queue: a broker that was down
 * when the connector finished still learns the result (DESIGN §5). Thin: parse, one call.
 * Sync results are recorded in batches; a job completes (is acknowledged) only once its
 * result's transaction has committed.
 */
@Processor(RESULTS_QUEUE, { concurrency: RESULTS_CONCURRENCY, ...RESULTS_STALL_SETTINGS })
export class ResultsProcessor extends WorkerHost {
  private readonly errorLogger = new Logger(ResultsProcessor.name);

  /** A worker's Redis connection failing is logged; unheard, the 'error' event would be thrown. */
  @OnWorkerEvent('error')
  onWorkerError(err: Error): void {
    this.errorLogger.warn({ err }, 'results worker connection error');
  }

  /** A result held by a consumer that died (or froze past its lock) is taken again. */
  @OnWorkerEvent('stalled')
  onStalled(jobId: string, prev: string): void {
    this.errorLogger.warn({ jobId, prev }, 'results job stalled: its consumer died, taken again');
  }

  private readonly logger = new Logger(ResultsProcessor.name);
  private readonly syncResults: Batcher<SyncUserResult>;

  constructor(
    private readonly grants: GrantsService,
    recorder: SyncResultsRecorder,
    private readonly connectors: ConnectorsService,
    private readonly reconciler: ReconcileService,
    private readonly adminRotations: AdminRotationService,
    private readonly catalog: CatalogService,
  ) {
    super();
    this.syncResults = new Batcher(
      (results) => recorder.record(results),
      RESULTS_BATCH,
      RESULT_BATCHES_IN_FLIGHT,
    );
  }

  async process(job: Job<unknown>): Promise<void> {
    const parsed = parseConnectorMessage(job.data);
    if (!parsed.ok) {
      this.logger.error(
        { jobId: job.id, reason: parsed.reason },
        'refused a malformed connector message',
      );
      throw new UnrecoverableError(`malformed connector message: ${parsed.reason}`);
    }
    const message = parsed.value;
    switch (message.kind) {
      case 'sync-user':
        this.logger.log(
          {
            jobId: message.jobId,
            correlationId: message.correlationId,
            status: message.status,
            attempt: message.attempt,
          },
          'sync result received',
        );
        await this.syncResults.add(message);
        return;
      case 'cleanup-user':
        return this.grants.onCleanupResult(message);
      case 'heartbeat':
        return this.connectors.recordHeartbeat(message);
      case 'inventory':
        await this.reconciler.onInventory(message);
        return;
      case 'rotate-admin':
        return this.adminRotations.onResult(message);
      case 'discover':
        return this.catalog.onResult(message);
    }
  }
}
