import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Bounds how many service transactions run at once. A transaction holds one pool connection and
 * may read through a plain repository meanwhile (a second one): with every connection held by
 * a transaction waiting for a second, the pool deadlocks — measured by `npm run bench` with
 * 50 concurrent approvals on a pool of 20 (issue #8). Admitting at most half the pool as
 * transactions leaves a connection for each nested read. Re-entrant: a transaction started
 * inside another one is not counted twice.
 */
export class TransactionGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly waitingFirst: Array<() => void> = [];
  private readonly inside = new AsyncLocalStorage<true>();

  constructor(private readonly limit: number) {}

  /**
   * `first`: ahead of everything waiting (work that finishes what is already under way, such
   * as a connector's result, is not queued behind new work that would only add more of it).
   */
  async run<T>(work: () => Promise<T>, first = false): Promise<T> {
    if (this.inside.getStore()) return work();
    if (this.active >= this.limit)
      await new Promise<void>((r) => (first ? this.waitingFirst : this.waiting).push(r));
    else this.active++;
    try {
      return await this.inside.run(true, work);
    } finally {
      const next = this.waitingFirst.shift() ?? this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
