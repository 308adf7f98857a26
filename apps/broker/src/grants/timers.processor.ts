import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Batcher, TIMERS_QUEUE } from '@doorman/contracts';
import { type Job, UnrecoverableError } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrantTimerJobSchema, timerData } from '../outbox/broker-jobs';
import { CleanupService } from './cleanup.service';
import { ExpiryService } from './expiry.service';
import { RevocationService } from './revocation.service';

/**
 * The broker's delayed jobs: a grant's expiry and a database user's cleanup date. Expiries
 * that fire together are ended together (one transaction; a job completes once it commits), so
 * the worker holds many jobs at once.
 */
@Processor(TIMERS_QUEUE, { concurrency: 128 })
export class TimersProcessor extends WorkerHost {
  private readonly errorLogger = new Logger(TimersProcessor.name);

  /** A worker's Redis connection failing is logged; unheard, the 'error' event would be thrown. */
  @OnWorkerEvent('error')
  onWorkerError(err: Error): void {
    this.errorLogger.warn({ err }, 'timers worker connection error');
  }

  private readonly expiries: Batcher<string>;

  constructor(
    expiry: ExpiryService,
    private readonly cleanup: CleanupService,
    private readonly revocation: RevocationService,
  ) {
    super();
    this.expiries = new Batcher((ids) => expiry.expireTogether(ids), 200, 2);
  }

  async process(job: Job<unknown>): Promise<void> {
    // A delayed job may fire a few milliseconds before its time by this process's clock.
    const due = job.timestamp + (job.opts.delay ?? 0);
    const early = due - Date.now();
    if (early > 0 && early < 5000) await sleep(early);
    const p = GrantTimerJobSchema.safeParse(timerData(job.name, job.data));
    if (!p.success) throw new UnrecoverableError(`malformed ${job.name} job`);
    const timer = p.data;
    switch (timer.kind) {
      case 'expire-grant':
        await this.expiries.add(timer.requestId);
        return;
      case 'cleanup-due':
        await this.cleanup.cleanupDue(timer.databaseUserId);
        return;
      case 'retry-sync':
        await this.revocation.retrySync(timer.databaseUserId, timer.generation);
        return;
    }
  }
}
