import { Injectable } from '@nestjs/common';
import { SessionObservationsService } from '../usage/session-observations.service';
import type { ReceiptSession } from './receipt';

/**
 * The sessions a receipt lists: what the connector saw in pg_stat_activity for the database
 * user while the access was active, from its periodic reports (a session shorter than one
 * report interval can pass unseen, and an end is an upper bound).
 */
@Injectable()
export class ReceiptSessionsService {
  constructor(private readonly observations: SessionObservationsService) {}

  async sessionsFor(
    databaseUserId: string,
    from: Date,
    to: Date,
  ): Promise<{ observed: boolean; sessions: ReceiptSession[] }> {
    const seen = await this.observations.sessionsFor(databaseUserId, from, to);
    return {
      observed: true,
      sessions: seen.map((s) => ({
        pid: s.pid,
        database: s.database,
        clientAddr: s.clientAddr,
        applicationName: s.applicationName,
        startedAt: s.startedAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        endedAt: s.endedAt?.toISOString() ?? null,
      })),
    };
  }
}
