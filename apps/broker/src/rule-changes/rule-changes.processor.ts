import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { RULE_CHANGES_QUEUE, RuleChangeJobSchema } from '../outbox/broker-jobs';
import { ruleChangeOf } from './rule-change-cause';
import { RuleChangesService } from './rule-changes.service';

/** Rule changes, judged against the access they allowed. Thin: parse, one call. */
@Processor(RULE_CHANGES_QUEUE, { concurrency: 2 })
export class RuleChangesProcessor extends WorkerHost {
  private readonly errorLogger = new Logger(RuleChangesProcessor.name);

  /** A worker's Redis connection failing is logged; unheard, the 'error' event would be thrown. */
  @OnWorkerEvent('error')
  onWorkerError(err: Error): void {
    this.errorLogger.warn({ err }, 'rule changes worker connection error');
  }

  constructor(private readonly changes: RuleChangesService) {
    super();
  }

  async process(job: Job<unknown>): Promise<void> {
    const p = RuleChangeJobSchema.safeParse(job.data);
    if (!p.success) throw new UnrecoverableError(`malformed ${job.name} job`);
    await this.changes.apply(ruleChangeOf(p.data));
  }
}
