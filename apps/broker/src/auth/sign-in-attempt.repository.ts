import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';
import { SignInAttemptEntity } from './sign-in-attempt.entity';

export type NewSignInAttempt = Omit<SignInAttemptEntity, 'id' | 'createdAt'>;

/** The sign_in_attempts table: written at /auth/login, taken once at /auth/callback. */
@Injectable()
export class SignInAttemptRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  async insert(row: NewSignInAttempt): Promise<void> {
    await this.tx.getRepository(SignInAttemptEntity).insert(row);
  }

  /** Removes and returns the attempt, so a callback can be completed once only. */
  async take(bindingHash: string, now: Date): Promise<SignInAttemptEntity | null> {
    const res = await this.tx
      .getRepository(SignInAttemptEntity)
      .createQueryBuilder()
      .delete()
      .where('binding_hash = :bindingHash AND expires_at > :now', { bindingHash, now })
      .returning('*')
      .execute();
    const row = (res.raw as Array<Record<string, unknown>>)[0];
    if (!row) return null;
    return {
      id: row.id as string,
      bindingHash,
      state: row.state as string,
      nonce: row.nonce as string,
      codeVerifier: row.code_verifier as string,
      returnTo: row.return_to as string,
      maxAge: row.max_age as number | null,
      createdAt: now,
      expiresAt: row.expires_at as Date,
    };
  }

  async deleteExpired(now: Date): Promise<void> {
    await this.tx
      .getRepository(SignInAttemptEntity)
      .createQueryBuilder()
      .delete()
      .where('expires_at <= :now', { now })
      .execute();
  }
}
