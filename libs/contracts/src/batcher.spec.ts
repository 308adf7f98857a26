import { Batcher } from './batcher';

describe('Batcher', () => {
  const tick = () => new Promise((r) => setImmediate(r));

  it('flushes what arrived in one turn together, and what arrives meanwhile as the next batch', async () => {
    const batches: number[][] = [];
    const releases: Array<() => void> = [];
    const batcher = new Batcher<number>(
      async (items) => {
        batches.push(items);
        await new Promise<void>((r) => releases.push(r));
        return items.map(() => null);
      },
      100,
      1,
    );
    const first = [1, 2, 3].map((n) => batcher.add(n));
    await tick();
    const second = [4, 5].map((n) => batcher.add(n));
    await tick();
    expect(batches).toEqual([[1, 2, 3]]);
    releases.shift()!();
    await Promise.all(first);
    await tick();
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    releases.shift()!();
    await Promise.all(second);
  });

  it('caps a batch and runs at most maxInFlight flushes at once', async () => {
    const batches: number[][] = [];
    let running = 0;
    let peak = 0;
    const batcher = new Batcher<number>(
      async (items) => {
        batches.push(items);
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return items.map(() => null);
      },
      2,
      2,
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.add(n)));
    expect(batches.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(Math.max(...batches.map((b) => b.length))).toBe(2);
    expect(peak).toBe(2);
  });

  it('settles each item with its own outcome, and fails them all when the flush throws', async () => {
    const batcher = new Batcher<string>(
      async (items) => {
        if (items.includes('boom')) throw new Error('flush failed');
        return items.map((i) => (i === 'bad' ? new Error(`refused ${i}`) : null));
      },
      10,
      1,
    );
    const [ok, bad] = await Promise.allSettled([batcher.add('good'), batcher.add('bad')]);
    expect(ok.status).toBe('fulfilled');
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: 'refused bad' } });
    const [a, b] = await Promise.allSettled([batcher.add('boom'), batcher.add('x')]);
    expect(a).toMatchObject({ status: 'rejected', reason: { message: 'flush failed' } });
    expect(b).toMatchObject({ status: 'rejected', reason: { message: 'flush failed' } });
  });

  it('never acknowledges an item the flush gave no outcome for', async () => {
    const batcher = new Batcher<number>(async () => [], 10, 1);
    await expect(batcher.add(1)).rejects.toThrow('no outcome');
  });
  it("hands each caller its own item's value", async () => {
    const batcher = new Batcher<number, number>(async (items) => items.map((i) => i * 2), 10, 1);
    expect(await Promise.all([1, 2, 3].map((n) => batcher.add(n)))).toEqual([2, 4, 6]);
  });
});
