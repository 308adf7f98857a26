import { Logger } from '@nestjs/common';
import { Batcher } from '@doorman/contracts';
import { Propagation, Transactional } from '@nestjs-cls/transactional';
import { DomainError } from '../common/errors';

/** The most decisions one transaction takes. */
export const MAX_DECISIONS_PER_COMMIT = 50;
/**
 * Group commits in flight at once on one broker: more than one keeps the pool's connections
 * (and PostgreSQL's cores) busy while a batch waits on its round trips. Batches in flight are
 * kept from deadlocking by the locks they take up front (see `lockAll`).
 */
const COMMITS_IN_FLIGHT = 4;

/** One call's decision, and the request it is about (none for a request being opened). */
export interface BatchedItem {
  requestId?: string;
}

/** What the batch does with its items: lock their requests, decide one. */
export interface DecisionSteps<T extends BatchedItem, R> {
  /**
   * Takes the batch's locks up front, in the ambient transaction: the requests (FOR UPDATE, in
   * id order), then what their decisions will lock (each person's database user, in id order),
   * so a batch and other transactions (another replica's batch) queue instead of deadlocking.
   */
  lockAll?(requestIds: string[], items: readonly T[]): Promise<unknown>;
  /** Decides one item in the ambient transaction (or opens its own when there is none). */
  decideOne(item: T): Promise<R>;
}

/** How the group commit has gone on this broker (for tests and metrics). */
export interface GroupCommitStats {
  /** Transactions that took more than one decision and committed. */
  groupCommits: number;
  /** Decisions those transactions took. */
  groupedDecisions: number;
  largest: number;
  /** Batches whose transaction failed and were decided again one at a time. */
  retriedOneByOne: number;
}

/**
 * Group commit of decisions. Decisions arriving while earlier ones are being committed are
 * decided together in one transaction: their requests locked in id order, each decision under
 * its own savepoint, so a refused one (403/409) rolls back alone and answers its own call with
 * its own error; one commit, after which each call gets its answer and each decision's
 * after-commit work (enqueue, publish) runs. A batch whose transaction fails (a write that
 * failed, a deadlock, the commit) is decided again one item at a time, each in its own
 * transaction as a lone decision is. A lone decision takes the unbatched path unchanged.
 */
export class DecisionBatch<T extends BatchedItem, R> {
  readonly stats: GroupCommitStats = {
    groupCommits: 0,
    groupedDecisions: 0,
    largest: 0,
    retriedOneByOne: 0,
  };
  private readonly batcher: Batcher<T, R> | null;
  private readonly logger = new Logger(DecisionBatch.name);

  /** @param enabled false: every call is decided at once in its own transaction, unbatched */
  constructor(
    private readonly steps: DecisionSteps<T, R>,
    enabled: boolean,
    maxBatch = MAX_DECISIONS_PER_COMMIT,
  ) {
    this.batcher = enabled
      ? new Batcher((items) => this.flush(items), maxBatch, COMMITS_IN_FLIGHT)
      : null;
  }

  /** Settles with this item's own outcome, once it is committed (or with its own error). */
  add(item: T): Promise<R> {
    return this.batcher ? this.batcher.add(item) : this.steps.decideOne(item);
  }

  private async flush(items: T[]): Promise<Array<R | Error>> {
    if (items.length === 1) return [await settle(() => this.steps.decideOne(items[0]))];
    try {
      const outcomes = await this.together(items);
      this.stats.groupCommits++;
      this.stats.groupedDecisions += items.length;
      this.stats.largest = Math.max(this.stats.largest, items.length);
      return outcomes;
    } catch (err) {
      // Nothing of the batch was committed: each decision again, alone, in arrival order.
      this.stats.retriedOneByOne++;
      this.logger.warn(
        { err, decisions: items.length },
        'group commit failed; deciding one at a time',
      );
      const outcomes: Array<R | Error> = [];
      for (const item of items) outcomes.push(await settle(() => this.steps.decideOne(item)));
      return outcomes;
    }
  }

  /**
   * One transaction of its own (never a caller's: the batch runs in the first caller's
   * context). Decisions in request id order, as the locks were taken; calls about one request
   * (or about none: requests being opened) in the order they came, so a second click sees what
   * the first did.
   */
  @Transactional(Propagation.RequiresNew)
  private async together(items: T[]): Promise<Array<R | Error>> {
    const order = items.map((item, k) => ({ item, k, id: item.requestId ?? '' }));
    order.sort((a, b) => (a.id === b.id ? a.k - b.k : a.id < b.id ? -1 : 1));
    const ids = [...new Set(order.flatMap((o) => (o.id ? [o.id] : [])))];
    await this.steps.lockAll?.(ids, items);
    const outcomes = new Array<R | Error>(items.length);
    for (const { item, k } of order) {
      try {
        outcomes[k] = await this.inSavepoint(item);
      } catch (e) {
        // A refusal is the item's own answer; anything else fails the batch (retried alone).
        if (!(e instanceof DomainError)) throw e;
        outcomes[k] = e;
      }
    }
    return outcomes;
  }

  @Transactional(Propagation.Nested)
  private inSavepoint(item: T): Promise<R> {
    return this.steps.decideOne(item);
  }
}

async function settle<R>(run: () => Promise<R>): Promise<R | Error> {
  try {
    return await run();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}
