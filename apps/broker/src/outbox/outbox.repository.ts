import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { OutboxEntity } from './outbox.entity';

export type OutboxRow = Pick<OutboxEntity, 'queue' | 'jobName' | 'jobId' | 'payload' | 'runAt'>;

/** The outbox table: rows written with the change that implies them, taken by the relay. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  /** Inserts in the ambient transaction; returns the new rows' ids in order. */
  async insert(rows: readonly OutboxRow[]): Promise<string[]> {
    const ids: string[] = [];
    // Bounded statements: 5 parameters a row, PostgreSQL binds at most 65,535.
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows
        .slice(i, i + 1000)
        .map((r): QueryDeepPartialEntity<OutboxEntity> => ({ ...r, payload: r.payload as object }));
      const result = await this.tx.getRepository(OutboxEntity).insert(chunk);
      for (const ident of result.identifiers) ids.push(String(ident?.id));
    }
    return ids;
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.tx.getRepository(OutboxEntity).delete([...ids]);
  }

  /** The oldest rows no other relay holds, locked until the ambient transaction ends. */
  async lockOldest(limit: number): Promise<OutboxEntity[]> {
    return this.tx
      .getRepository(OutboxEntity)
      .createQueryBuilder('o')
      .orderBy('o.id', 'ASC')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
  }

  /** The ambient transaction the rows joined, for the work that follows its commit. */
  manager(): EntityManager {
    return this.tx;
  }
}
