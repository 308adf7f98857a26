import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';
import type { DoormanRole } from '../identity/doorman-roles';
import { BrowserSessionEntity } from './browser-session.entity';

export type NewSession = Pick<
  BrowserSessionEntity,
  'tokenHash' | 'userId' | 'authTime' | 'acr' | 'amr' | 'lastSeenAt' | 'expiresAt'
>;

/** A session with the person it belongs to, as every cookie-authenticated call needs it. */
export type SessionWithPerson = Pick<
  BrowserSessionEntity,
  'id' | 'userId' | 'authTime' | 'acr' | 'amr' | 'lastSeenAt' | 'expiresAt'
> & { email: string; name: string; roles: DoormanRole[]; deactivatedAt: Date | null };

/** The browser_sessions table. */
@Injectable()
export class SessionRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  async insert(row: NewSession): Promise<BrowserSessionEntity> {
    const repo = this.tx.getRepository(BrowserSessionEntity);
    return repo.save(repo.create(row));
  }

  /** The session of this hash with its person: every cookie-authenticated call, one round trip. */
  async findWithPerson(tokenHash: string): Promise<SessionWithPerson | null> {
    const [row] = await this.tx.query<SessionWithPerson[]>(
      `SELECT s.id, s.user_id AS "userId", s.auth_time AS "authTime", s.acr, s.amr,
              s.last_seen_at AS "lastSeenAt", s.expires_at AS "expiresAt",
              u.email, u.name, u.roles, u.deactivated_at AS "deactivatedAt"
         FROM browser_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1`,
      [tokenHash],
    );
    return row ?? null;
  }

  async deleteByHash(tokenHash: string): Promise<void> {
    await this.tx.getRepository(BrowserSessionEntity).delete({ tokenHash });
  }

  /** Ends every session of the person (deactivation). */
  async deleteAllOf(userId: string): Promise<number> {
    const res = await this.tx.getRepository(BrowserSessionEntity).delete({ userId });
    return res.affected ?? 0;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.tx.getRepository(BrowserSessionEntity).update(id, { lastSeenAt: at });
  }

  /** Deletes the session; true when it was there. */
  async delete(id: string): Promise<boolean> {
    const res = await this.tx.getRepository(BrowserSessionEntity).delete(id);
    return (res.affected ?? 0) > 0;
  }

  /** Sessions past their absolute end, however idle ones were counted. */
  async deleteEndedBefore(at: Date): Promise<void> {
    await this.tx
      .getRepository(BrowserSessionEntity)
      .createQueryBuilder()
      .delete()
      .where('expires_at <= :at', { at })
      .execute();
  }
}
