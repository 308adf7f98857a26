import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { IsNull, type Repository } from 'typeorm';
import { ApiTokenEntity } from './api-token.entity';
import type { DoormanRole } from './doorman-roles';

/** A live token with the person it speaks for. */
export interface TokenHolder {
  id: string;
  name: string;
  lastUsedAt: Date | null;
  createdById: string | null;
  userId: string;
  email: string;
  roles: DoormanRole[];
}

/** API tokens, by SHA-256 hash only. */
@Injectable()
export class ApiTokenRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tokens(): Repository<ApiTokenEntity> {
    return this.txHost.tx.getRepository(ApiTokenEntity);
  }

  /** Inserts unless the hash is known already (the bootstrap token on every start). */
  async ensure(token: Pick<ApiTokenEntity, 'userId' | 'tokenHash' | 'name'>): Promise<void> {
    await this.tokens.createQueryBuilder().insert().values(token).orIgnore().execute();
  }

  async insert(
    token: Pick<ApiTokenEntity, 'userId' | 'tokenHash' | 'name' | 'createdById'>,
  ): Promise<ApiTokenEntity> {
    return this.tokens.save(this.tokens.create(token));
  }

  /** The token and its person in one round trip (every API call starts here): live ones only. */
  async holderOf(tokenHash: string): Promise<TokenHolder | null> {
    const [row] = await this.txHost.tx.query<TokenHolder[]>(
      `SELECT t.id, t.name, t.last_used_at AS "lastUsedAt", t.created_by_id AS "createdById",
              u.id AS "userId", u.email, u.roles
         FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.deactivated_at IS NULL
          AND (t.expires_at IS NULL OR t.expires_at > now())`,
      [tokenHash],
    );
    return row ?? null;
  }

  /** Moves last_used_at to `now` unless it is after `since`: true for the one call that did. */
  async claimUse(id: string, now: Date, since: Date): Promise<boolean> {
    const claimed = await this.tokens
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: now })
      .where('id = :id AND (last_used_at IS NULL OR last_used_at < :since)', { id, since })
      .execute();
    return (claimed.affected ?? 0) > 0;
  }

  /** A person's tokens, newest first. */
  listOf(userId: string, limit: number): Promise<ApiTokenEntity[]> {
    return this.tokens.find({ where: { userId }, order: { createdAt: 'DESC' }, take: limit });
  }

  byIdOf(id: string, userId: string): Promise<ApiTokenEntity | null> {
    return this.tokens.findOneBy({ id, userId });
  }

  async markRevoked(id: string, revokedAt: Date): Promise<void> {
    await this.tokens.update({ id, revokedAt: IsNull() }, { revokedAt });
  }
}
