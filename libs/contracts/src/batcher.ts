/**
 * Gathers items that arrive while earlier ones are being handled and hands them over in
 * batches (the broker's connector results and expiries, the connector's revokes).
 * No timer and no added wait: an item arriving when nothing is in flight is flushed on the
 * next turn of the event loop, with whatever arrived in the same turn; items arriving meanwhile
 * form the next batch. Each `add` settles only with its own outcome, so a queue job is
 * acknowledged only after its item's work is durable.
 */
export class Batcher<T, R = null> {
  private readonly waiting: Array<{ item: T; done: (outcome: R | Error) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  /**
   * @param flush handles one batch; returns one outcome per item, in order (an Error fails it)
   * @param maxBatch the most items one flush takes
   * @param maxInFlight how many flushes may run at once
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<Array<R | Error>>,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({
        item,
        done: (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)),
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.next();
    });
  }

  private next(): void {
    if (this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.maxBatch);
    this.inFlight++;
    this.flush(batch.map((b) => b.item))
      .then(
        (outcomes) =>
          batch.forEach((b, k) =>
            // No outcome is no proof of durability: the item fails (and its job is retried).
            b.done(k < outcomes.length ? outcomes[k] : new Error('no outcome for a batched item')),
          ),
        (err: unknown) => {
          const error = err instanceof Error ? err : new Error(String(err));
          batch.forEach((b) => b.done(error));
        },
      )
      .finally(() => {
        this.inFlight--;
        this.schedule();
      });
    this.schedule();
  }
}
