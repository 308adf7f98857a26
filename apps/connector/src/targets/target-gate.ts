/**
 * How many jobs of one target run, and are held, at once. Each target has its own, so a target
 * that is slow or away (connections hanging until their timeout) fills only its own slots: the
 * other targets' jobs keep running. A job beyond what its target may hold is not taken at all
 * (the caller puts it back for later), so one target's backlog cannot fill the worker either.
 */
export class TargetGate {
  private running = 0;
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param limit jobs that run at once (the target's pool is sized for them)
   * @param holdLimit jobs held at once, running or waiting for a slot or a batch
   */
  constructor(
    readonly limit: number,
    readonly holdLimit: number,
  ) {}

  get holding(): number {
    return this.held;
  }

  /**
   * Runs `work` when a slot is free (`limited`) or at once (jobs that wait in a batch of their
   * own take no slot); null, and nothing runs, when the target already holds holdLimit jobs.
   */
  tryRun<T>(work: () => Promise<T>, limited: boolean): Promise<T> | null {
    if (this.held >= this.holdLimit) return null;
    this.held++;
    return (limited ? this.inSlot(work) : work()).finally(() => this.held--);
  }

  private async inSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter; `running` counts it still.
      if (next) next();
      else this.running--;
    }
  }
}
