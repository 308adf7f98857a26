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

  /**
   * Deletes relayed rows without waiting for the WAL flush (`synchronous_commit` off for this
   * transaction only, set by the statement itself: one round trip). Losing such a delete to a
   * database crash leaves the row, which the relay enqueues again under the same job id — the
   * case of a broker that dies between enqueue and delete, which the outbox already accepts.
   * Every relay used to be one more synchronous commit per decision and per result recorded,
   * queueing behind the others' `WALSync`.
   */
  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.tx
      .getRepository(OutboxEntity)
      .createQueryBuilder()
      .delete()
      .where('id IN (:...ids)', { ids: [...ids] })
      .andWhere(`(SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL`)
      .execute();
  }

  /**
   * The oldest rows no other relay holds, written at least `minAgeMs` ago (their transaction's
   * start, by the database's clock), locked until the ambient transaction ends.
   */
  async lockOldest(limit: number, minAgeMs = 0): Promise<OutboxEntity[]> {
    const q = this.tx.getRepository(OutboxEntity).createQueryBuilder('o');
    if (minAgeMs > 0)
      q.where(`"o"."created_at" <= now() - make_interval(secs => :age)`, { age: minAgeMs / 1000 });
    return q
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
