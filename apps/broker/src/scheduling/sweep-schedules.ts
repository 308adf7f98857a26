import { Injectable } from '@nestjs/common';
import { SweeperService } from '../grants/sweeper.service';
import { RequestsSweeperService } from '../requests/requests-sweeper.service';

/** The sweepers that tidy up after lost timers, for the schedules processor. */
@Injectable()
export class SweepSchedules {
  constructor(
    private readonly grants: SweeperService,
    private readonly requests: RequestsSweeperService,
  ) {}

  /** Grants past their expiry, cleanups due, syncs whose jobs a flushed Redis lost. */
  sweepGrants(): Promise<void> {
    return this.grants.tick();
  }

  /** Pending requests past their step timeout or pending TTL. */
  sweepRequests(): Promise<void> {
    return this.requests.tick();
  }
}
