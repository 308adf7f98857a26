import { Injectable, Logger } from '@nestjs/common';
import { sweepDuration } from './sweep-timings';
import { CleanupService } from './cleanup.service';
import { ExpiryService } from './expiry.service';

/**
 * The safety net behind the delayed jobs: overdue grants and due cleanups.
 * Safe on several replicas: each grant is ended under its row lock, once. Run every
 * SWEEP_INTERVAL_MS by the `grants-sweep` schedule (scheduling/).
 */
@Injectable()
export class SweeperService {
  private readonly logger = new Logger(SweeperService.name);
  private busy = false;

  constructor(
    private readonly expiry: ExpiryService,
    private readonly cleanup: CleanupService,
  ) {}

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const timer = sweepDuration.startTimer();
      const { expired, cleanups } = await this.sweep();
      timer();
      if (expired || cleanups)
        this.logger.log({ expired, cleanups }, 'sweeper caught overdue work');
    } catch (err) {
      this.logger.warn({ err }, 'sweep failed; next tick retries');
    } finally {
      this.busy = false;
    }
  }

  /** Catches what timers missed (a flushed Redis, a broker down at the time): cheap, indexed. */
  async sweep(now = new Date()): Promise<{ expired: number; cleanups: number }> {
    const expired = await this.expiry.sweepOverdue(now);
    const cleanups = await this.cleanup.sweepDue(now);
    return { expired, cleanups };
  }
}
