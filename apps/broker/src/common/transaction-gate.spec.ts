import { TransactionGate } from './transaction-gate';

describe('TransactionGate', () => {
  const tick = () => new Promise((r) => setImmediate(r));

  it('admits at most `limit` at once and lets the next in as one finishes', async () => {
    const gate = new TransactionGate(2);
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const runs = Array.from({ length: 5 }, () =>
      gate.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
      }),
    );
    await tick();
    expect(running).toBe(2);
    while (releases.length) {
      releases.shift()!();
      await tick();
      await tick();
    }
    await Promise.all(runs);
    expect(peak).toBe(2);
  });

  it('admits work marked first ahead of what was already waiting', async () => {
    const gate = new TransactionGate(1);
    const order: string[] = [];
    let release!: () => void;
    const held = gate.run(() => new Promise<void>((r) => (release = r)));
    const later = gate.run(async () => {
      order.push('queued');
    });
    const urgent = gate.run(async () => {
      order.push('first');
    }, true);
    await tick();
    release();
    await Promise.all([held, later, urgent]);
    expect(order).toEqual(['first', 'queued']);
  });

  it('is re-entrant: a nested run inside a held slot does not wait', async () => {
    const gate = new TransactionGate(1);
    await expect(gate.run(() => gate.run(() => Promise.resolve('inner')))).resolves.toBe('inner');
  });

  it('frees the slot when the work throws', async () => {
    const gate = new TransactionGate(1);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(() => Promise.resolve(1))).resolves.toBe(1);
  });
});
