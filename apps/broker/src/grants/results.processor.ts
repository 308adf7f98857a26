import { Injectable, Logger } from '@nestjs/common';
import {
  Batcher,
  type ConnectorMessage,
  type SessionsReport,
  type SyncUserResult,
} from '@doorman/contracts';
import { AdminRotationService } from '../admin-rotation/admin-rotation.service';
import { CatalogService } from '../catalog/catalog.service';
import { ConnectorsService } from '../connectors/connectors.service';
import { CleanupService } from './cleanup.service';
import { ReconcileService } from './reconcile.service';
import { SyncResultsRecorder } from './sync-results.recorder';

/** Records a sessions report (the usage module registers it: it depends on grants, not back). */
export type SessionsHandler = (report: SessionsReport) => Promise<void>;

/** Results recorded in one transaction, and such transactions at once. */
const RESULTS_BATCH = 100;
const RESULT_BATCHES_IN_FLIGHT = 2;

/**
 * What came from connectors on their results queues, already parsed and attributed to its
 * sender (ResultsConsumers): one call each. Sync results are recorded in batches; a job
 * completes (is acknowledged) only once its result's transaction has committed.
 */
@Injectable()
export class ResultsProcessor {
  private readonly logger = new Logger(ResultsProcessor.name);
  private readonly syncResults: Batcher<SyncUserResult>;
  private sessionsHandler: SessionsHandler | null = null;

  constructor(
    private readonly cleanup: CleanupService,
    recorder: SyncResultsRecorder,
    private readonly connectors: ConnectorsService,
    private readonly reconciler: ReconcileService,
    private readonly adminRotations: AdminRotationService,
    private readonly catalog: CatalogService,
  ) {
    this.syncResults = new Batcher(
      (results) => recorder.record(results),
      RESULTS_BATCH,
      RESULT_BATCHES_IN_FLIGHT,
    );
  }

  onSessions(handler: SessionsHandler): void {
    this.sessionsHandler = handler;
  }

  async process(message: ConnectorMessage): Promise<void> {
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
        return this.cleanup.onCleanupResult(message);
      case 'heartbeat':
        return this.connectors.recordHeartbeat(message);
      case 'inventory':
        await this.reconciler.onInventory(message);
        return;
      case 'rotate-admin':
        return this.adminRotations.onResult(message);
      case 'discover':
        return this.catalog.onResult(message);
      case 'sessions':
        // Registered at module init; a report taken before then is retried, not dropped.
        if (!this.sessionsHandler) throw new Error('sessions reports are not handled yet');
        return this.sessionsHandler(message);
    }
  }
}
