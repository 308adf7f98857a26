import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { REQUEST_TIMER_JOBS, REQUEST_TIMERS_QUEUE, RequestsService } from './requests.service';

const Payload = z.object({ requestId: z.string().uuid(), step: z.number().int().min(0) });

/** Timers of pending requests: a step's timeout and the pending TTL. Thin: parse, one call. */
@Processor(REQUEST_TIMERS_QUEUE, { concurrency: 8 })
export class RequestTimersProcessor extends WorkerHost {
  private readonly errorLogger = new Logger(RequestTimersProcessor.name);

  /** A worker's Redis connection failing is logged; unheard, the 'error' event would be thrown. */
  @OnWorkerEvent('error')
  onWorkerError(err: Error): void {
    this.errorLogger.warn({ err }, 'request timers worker connection error');
  }

  constructor(private readonly requests: RequestsService) {
    super();
  }

  async process(job: Job<unknown>): Promise<void> {
    const p = Payload.safeParse(job.data);
    if (!p.success) throw new UnrecoverableError(`malformed ${job.name} payload`);
    const early = job.timestamp + (job.opts.delay ?? 0) - Date.now();
    if (early > 0 && early < 5000) await sleep(early);
    switch (job.name) {
      case REQUEST_TIMER_JOBS.stepTimeout:
        await this.requests.stepTimedOut(p.data.requestId, p.data.step);
        return;
      case REQUEST_TIMER_JOBS.pendingExpire:
        await this.requests.pendingExpired(p.data.requestId);
        return;
      default:
        throw new UnrecoverableError(`unknown request timer ${job.name}`);
    }
  }
}
