import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { NOTIFICATIONS_QUEUE, NotifyJobSchema } from '../outbox/broker-jobs';
import { NoticeEventMissing, NotificationsService } from './notifications.service';

/**
 * Slack notices of audited changes. Thin: parse, one call. A short lock, renewed while a notice
 * runs, so the notice of a broker that stopped mid-way is taken up by another within seconds;
 * a stalled notice is retried, not failed (running one again sends nothing twice).
 */
@Processor(NOTIFICATIONS_QUEUE, {
  concurrency: 8,
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 20,
})
export class NotificationsProcessor extends WorkerHost {
  private readonly logger = new Logger(NotificationsProcessor.name);

  constructor(private readonly notifications: NotificationsService) {
    super();
  }

  /** A worker's Redis connection failing is logged; unheard, the 'error' event would be thrown. */
  @OnWorkerEvent('error')
  onWorkerError(err: Error): void {
    this.logger.warn({ err }, 'notifications worker connection error');
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): void {
    this.logger.warn(
      { err, jobId: job?.id, attempt: job?.attemptsMade },
      'Slack notice failed; retried with backoff',
    );
  }

  async process(job: Job<unknown>): Promise<void> {
    const p = NotifyJobSchema.safeParse(job.data);
    if (!p.success || !job.id) throw new UnrecoverableError(`malformed ${job.name} job`);
    try {
      await this.notifications.deliver(p.data.auditEventId, job.id, job.attemptsMade + 1);
    } catch (err) {
      if (err instanceof NoticeEventMissing) throw new UnrecoverableError(err.message);
      throw err;
    }
  }
}
