import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { REQUEST_TIMERS_QUEUE, RequestTimerJobSchema, timerData } from '../outbox/broker-jobs';
import { ApprovalTimersService } from './approval-timers.service';

/** Timers of pending requests: a step's timeout and the pending TTL. Thin: parse, one call. */
@Processor(REQUEST_TIMERS_QUEUE, { concurrency: 8 })
export class RequestTimersProcessor extends WorkerHost {
  private readonly errorLogger = new Logger(RequestTimersProcessor.name);

  /** A worker's Redis connection failing is logged; unheard, the 'error' event would be thrown. */
  @OnWorkerEvent('error')
  onWorkerError(err: Error): void {
    this.errorLogger.warn({ err }, 'request timers worker connection error');
  }

  constructor(private readonly timers: ApprovalTimersService) {
    super();
  }

  async process(job: Job<unknown>): Promise<void> {
    const p = RequestTimerJobSchema.safeParse(timerData(job.name, job.data));
    if (!p.success) throw new UnrecoverableError(`malformed ${job.name} job`);
    const early = job.timestamp + (job.opts.delay ?? 0) - Date.now();
    if (early > 0 && early < 5000) await sleep(early);
    const timer = p.data;
    switch (timer.kind) {
      case 'step-timeout':
        await this.timers.stepTimedOut(timer.requestId, timer.step);
        return;
      case 'pending-expire':
        await this.timers.pendingExpired(timer.requestId);
        return;
    }
  }
}
