import { TargetGate } from './target-gate';

/** A job that runs until released. */
function pending() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { work: () => done, release };
}

describe('TargetGate', () => {
  it('runs at most `limit` jobs at once; the next waits for a slot', async () => {
    const gate = new TargetGate(2, 10);
    const jobs = [pending(), pending(), pending()];
    let started = 0;
    const runs = jobs.map((j) => {
      const run = gate.tryRun(async () => {
        started++;
        await j.work();
      }, true);
      if (!run) throw new Error('refused');
      return run;
    });
    await Promise.resolve();
    expect(started).toBe(2);
    jobs[0].release();
    await runs[0];
    await Promise.resolve();
    expect(started).toBe(3);
    jobs[1].release();
    jobs[2].release();
    await Promise.all(runs);
    expect(gate.holding).toBe(0);
  });

  it('refuses a job beyond what the target may hold, and takes jobs again once they finish', async () => {
    const gate = new TargetGate(1, 2);
    const a = pending();
    const b = pending();
    const first = gate.tryRun(a.work, true);
    // Unlimited (a batched ending) still counts towards what the target holds.
    const second = gate.tryRun(b.work, false);
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(gate.tryRun(async () => 'no', true)).toBeNull();
    a.release();
    await first;
    await expect(gate.tryRun(async () => 'yes', false)).resolves.toBe('yes');
    b.release();
    await second;
    expect(gate.holding).toBe(0);
  });

  it('frees the slot of a job that fails', async () => {
    const gate = new TargetGate(1, 1);
    await expect(gate.tryRun(() => Promise.reject(new Error('refused')), true)).rejects.toThrow(
      'refused',
    );
    await expect(gate.tryRun(async () => 1, true)).resolves.toBe(1);
  });
});
