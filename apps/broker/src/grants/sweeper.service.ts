import { Injectable, Logger } from '@nestjs/common';
import { sweepDuration } from '../metrics/operation-timings';
import { GrantsService } from './grants.service';

/**
 * The safety net behind the delayed jobs (DESIGN §5): overdue grants and due cleanups.
 * Safe on several replicas: each grant is ended under its row lock, once. Run every
 * SWEEP_INTERVAL_MS by the `grants-sweep` schedule (scheduling/).
 */
@Injectable()
export class SweeperService {
  private readonly logger = new Logger(SweeperService.name);
  private busy = false;

  constructor(private readonly grants: GrantsService) {}

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const timer = sweepDuration.startTimer();
      const { expired, cleanups } = await this.grants.sweep();
      timer();
      if (expired || cleanups)
        this.logger.log({ expired, cleanups }, 'sweeper caught overdue work');
    } catch (err) {
      this.logger.warn({ err }, 'sweep failed; next tick retries');
    } finally {
      this.busy = false;
    }
  }
}
