import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { MetricsTime, UnrecoverableError, type Job } from 'bullmq';
import { AdminRotationService } from '../admin-rotation/admin-rotation.service';
import { AuditChainService } from '../audit/audit-chain.service';
import { CatalogService } from '../catalog/catalog.service';
import { OutboxService } from '../outbox/outbox.service';
import { RuleChangesService } from '../rule-changes/rule-changes.service';
import { isScheduleName, SCHEDULE_NAMES, SCHEDULES_QUEUE, type ScheduleName } from './schedules';
import { SlackSchedules } from './slack-schedules';
import { SweepSchedules } from './sweep-schedules';

/**
 * Runs each schedule's job: one service call. Different schedules run side by side (a slow
 * group sync does not hold the outbox poll); one schedule never overlaps itself here. A run
 * longer than its period may meet the next one on another replica: the work is safe for that
 * (row locks, the chain's advisory lock, claimed Slack messages).
 */
@Processor(SCHEDULES_QUEUE, {
  concurrency: SCHEDULE_NAMES.length,
  metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
})
export class SchedulesProcessor extends WorkerHost {
  private readonly logger = new Logger(SchedulesProcessor.name);
  private readonly running = new Set<ScheduleName>();

  constructor(
    private readonly catalog: CatalogService,
    private readonly sweeps: SweepSchedules,
    private readonly adminRotation: AdminRotationService,
    private readonly outbox: OutboxService,
    private readonly auditChain: AuditChainService,
    private readonly slack: SlackSchedules,
    private readonly ruleChanges: RuleChangesService,
  ) {
    super();
  }

  /** A worker's Redis connection failing is logged; unheard, the 'error' event would be thrown. */
  @OnWorkerEvent('error')
  onWorkerError(err: Error): void {
    this.logger.warn({ err }, 'schedules worker connection error');
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): void {
    this.logger.warn({ err, schedule: job?.name }, 'scheduled run failed; the next period retries');
  }

  async process(job: Job): Promise<void> {
    const name = job.name;
    if (!isScheduleName(name)) throw new UnrecoverableError(`unknown schedule ${name}`);
    if (this.running.has(name)) return; // the run still going covers this period
    this.running.add(name);
    try {
      await this.run(name);
    } finally {
      this.running.delete(name);
    }
  }

  private async run(name: ScheduleName): Promise<void> {
    switch (name) {
      case 'catalog-refresh':
        return this.catalog.tick();
      case 'grants-sweep':
        return this.sweeps.sweepGrants();
      case 'requests-sweep':
        return this.sweeps.sweepRequests();
      case 'admin-rotation':
        return this.adminRotation.tick();
      case 'outbox-poll':
        return this.outbox.poll();
      case 'audit-seal':
        await this.auditChain.seal();
        return;
      case 'audit-checkpoint':
        await this.auditChain.checkpoint({ onlyIfMoved: true });
        return;
      case 'slack-expiry-warnings':
        return this.slack.warnExpiring();
      case 'slack-group-sync':
        return this.slack.syncGroups();
      case 'rule-review':
        // A rule change whose job Redis lost is applied here; what is already applied, or told, is not again.
        await this.ruleChanges.review();
        return;
    }
  }
}
