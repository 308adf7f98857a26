import { Injectable } from '@nestjs/common';
import type { ReceiptSession } from './receipt';

/**
 * The sessions a receipt lists: what the connector saw in pg_stat_activity for the database
 * user while the access was active. Until session observations are recorded, a receipt says
 * none were observed (`observed: false`) rather than "none happened".
 */
@Injectable()
export class ReceiptSessionsService {
  sessionsFor(
    _databaseUserId: string,
    _from: Date,
    _to: Date,
  ): Promise<{ observed: boolean; sessions: ReceiptSession[] }> {
    return Promise.resolve({ observed: false, sessions: [] });
  }
}
