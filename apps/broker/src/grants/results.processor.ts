import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { RESULTS_QUEUE, parseConnectorMessage } from '@doorman/contracts';
import { type Job, UnrecoverableError } from 'bullmq';
import { AdminRotationService } from '../admin-rotation/admin-rotation.service';
import { CatalogService } from '../catalog/catalog.service';
import { ConnectorsService } from '../connectors/connectors.service';
import { GrantsService } from './grants.service';
import { ReconcileService } from './reconcile.service';

/**
 * Results and heartbeats from every connector, on a durable queue: a broker that was down
 * when the connector finished still learns the result (DESIGN §5). Thin: parse, one call.
 */
@Processor(RESULTS_QUEUE, { concurrency: 8 })
export class ResultsProcessor extends WorkerHost {
  private readonly errorLogger = new Logger(ResultsProcessor.name);

  /** A worker's Redis connection failing is logged; unheard, the 'error' event would be thrown. */
  @OnWorkerEvent('error')
  onWorkerError(err: Error): void {
    this.errorLogger.warn({ err }, 'results worker connection error');
  }

  private readonly logger = new Logger(ResultsProcessor.name);

  constructor(
    private readonly grants: GrantsService,
    private readonly connectors: ConnectorsService,
    private readonly reconciler: ReconcileService,
    private readonly adminRotations: AdminRotationService,
    private readonly catalog: CatalogService,
  ) {
    super();
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
        return this.grants.onSyncResult(message);
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
