import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
  TransactionStartEvent,
} from 'typeorm';

const PENDING = 'doormanAfterCommit';
/** How much work was pending when each open transaction or savepoint began, innermost last. */
const MARKS = 'doormanAfterCommitMarks';

type Pending = Array<() => void>;

function pendingOf(runner: QueryRunner): Pending | undefined {
  return (runner.data as Record<string, Pending | undefined>)[PENDING];
}

function marksOf(runner: QueryRunner): number[] {
  const data = runner.data as Record<string, number[] | undefined>;
  return (data[MARKS] ??= []);
}

/**
 * Work that must follow a commit and never a rollback — enqueueing the outbox rows a
 * transaction wrote, publishing what it recorded — without running inside the transaction,
 * where a slow call would hold its row locks. Kept on the transaction's query runner, so it
 * needs no bookkeeping of its own and dies with a rolled-back transaction.
 */
@Injectable()
export class AfterCommit implements EntitySubscriberInterface {
  private readonly logger = new Logger(AfterCommit.name);

  constructor(@InjectDataSource() dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  /** Runs `work` once `em`'s transaction commits, or right away when `em` is in none. */
  run(em: EntityManager, work: () => void): void {
    const runner = em.queryRunner;
    if (!runner?.isTransactionActive) {
      this.safely(work);
      return;
    }
    const data = runner.data as Record<string, Pending | undefined>;
    (data[PENDING] ??= []).push(work);
  }

  afterTransactionStart(e: TransactionStartEvent): void {
    marksOf(e.queryRunner).push(pendingOf(e.queryRunner)?.length ?? 0);
  }

  afterTransactionCommit(e: TransactionCommitEvent): void {
    marksOf(e.queryRunner).pop();
    // A released savepoint reports a commit too; the work waits for the outermost one.
    if (e.queryRunner.isTransactionActive) return;
    const pending = pendingOf(e.queryRunner) ?? [];
    delete (e.queryRunner.data as Record<string, unknown>)[PENDING];
    for (const work of pending) this.safely(work);
  }

  afterTransactionRollback(e: TransactionRollbackEvent): void {
    const mark = marksOf(e.queryRunner).pop() ?? 0;
    // A savepoint rolled back (one decision of a group commit) drops only the work queued
    // since it began: what it wrote is gone, so nothing may be enqueued or published for it.
    if (e.queryRunner.isTransactionActive) {
      pendingOf(e.queryRunner)?.splice(mark);
      return;
    }
    delete (e.queryRunner.data as Record<string, unknown>)[PENDING];
  }

  private safely(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.logger.error({ err }, 'after-commit work failed');
    }
  }
}
