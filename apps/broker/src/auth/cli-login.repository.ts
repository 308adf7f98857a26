import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ApiTokenEntity } from '../identity/api-token.entity';
import { CliLoginCodeEntity } from './cli-login-code.entity';

/** The cli_login_codes table, and the expiring api_tokens rows a code is exchanged for. */
@Injectable()
export class CliLoginRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async insertCode(
    row: Pick<CliLoginCodeEntity, 'codeHash' | 'challenge' | 'userId' | 'expiresAt'>,
  ): Promise<void> {
    await this.txHost.tx.getRepository(CliLoginCodeEntity).insert(row);
  }

  /** Removes and returns a live code, so it is exchanged once at most, however many race. */
  async takeCode(
    codeHash: string,
    now: Date,
  ): Promise<{ challenge: string; userId: string } | null> {
    const res = await this.txHost.tx
      .getRepository(CliLoginCodeEntity)
      .createQueryBuilder()
      .delete()
      .where('code_hash = :codeHash AND expires_at > :now', { codeHash, now })
      .returning('*')
      .execute();
    const row = (res.raw as Array<{ challenge: string; user_id: string }>)[0];
    return row ? { challenge: row.challenge, userId: row.user_id } : null;
  }

  async deleteExpiredCodes(now: Date): Promise<void> {
    await this.txHost.tx
      .getRepository(CliLoginCodeEntity)
      .createQueryBuilder()
      .delete()
      .where('expires_at <= :now', { now })
      .execute();
  }

  async insertToken(
    row: Pick<ApiTokenEntity, 'userId' | 'tokenHash' | 'name' | 'createdById' | 'expiresAt'>,
  ): Promise<ApiTokenEntity> {
    const tokens = this.txHost.tx.getRepository(ApiTokenEntity);
    return tokens.save(tokens.create(row));
  }
}
