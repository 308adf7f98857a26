import { Injectable, Logger } from '@nestjs/common';
import { ApprovalTimersService } from '../approvals/approval-timers.service';

/**
 * Safety net for pending requests whose timers were lost (a flushed Redis, a broker down); run
 * every SWEEP_INTERVAL_MS by the `requests-sweep` schedule (scheduling/).
 */
@Injectable()
export class RequestsSweeperService {
  private readonly logger = new Logger(RequestsSweeperService.name);
  private busy = false;

  constructor(private readonly timers: ApprovalTimersService) {}

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const changed = await this.timers.sweepPending();
      if (changed) this.logger.log({ changed }, 'pending sweep caught overdue timers');
    } catch (err) {
      this.logger.warn({ err }, 'pending sweep failed; next tick retries');
    } finally {
      this.busy = false;
    }
  }
}
