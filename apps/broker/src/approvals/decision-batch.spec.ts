import { TransactionHost } from '@nestjs-cls/transactional';
import { DomainError, ErrorCode } from '../common/errors';
import { DecisionBatch } from './decision-batch';

// Transactions as a log: what the batch begins, savepoints, commits and rolls back.
const log: string[] = [];
let failCommit = false;
new TransactionHost({
  wrapWithTransaction: async (
    _o: unknown,
    fn: () => Promise<unknown>,
    setClient: (c: unknown) => void,
  ) => {
    setClient({});
    log.push('begin');
    try {
      const r = await fn();
      if (failCommit) throw new Error('commit failed');
      log.push('commit');
      return r;
    } catch (e) {
      log.push('rollback');
      throw e;
    }
  },
  wrapWithNestedTransaction: async (
    _o: unknown,
    fn: () => Promise<unknown>,
    setClient: (c: unknown) => void,
  ) => {
    setClient({});
    log.push('savepoint');
    try {
      const r = await fn();
      log.push('release');
      return r;
    } catch (e) {
      log.push('rollback to savepoint');
      throw e;
    }
  },
  getFallbackInstance: () => null,
} as never);

interface Call {
  requestId: string;
  who: string;
  outcome?: 'refuse' | 'break';
}

function batch() {
  const locked: string[][] = [];
  const decided: string[] = [];
  const b = new DecisionBatch<Call, string>(
    {
      lockAll: async (ids) => {
        locked.push(ids);
        log.push(`lock ${ids.join(',')}`);
      },
      decideOne: async (c) => {
        decided.push(`${c.requestId}:${c.who}`);
        log.push(`decide ${c.requestId}:${c.who}`);
        if (c.outcome === 'refuse') throw DomainError.forbidden(`${c.who} may not`);
        if (c.outcome === 'break') throw new Error('a write failed');
        return `${c.requestId} by ${c.who}`;
      },
    },
    true,
  );
  return { b, locked, decided };
}

beforeEach(() => {
  log.length = 0;
  failCommit = false;
});

describe('DecisionBatch', () => {
  it('decides a lone call in its own transaction, without a batch lock or savepoint', async () => {
    const { b } = batch();
    await expect(b.add({ requestId: 'r1', who: 'bob' })).resolves.toBe('r1 by bob');
    expect(log).toEqual(['decide r1:bob']);
    expect(b.stats.groupCommits).toBe(0);
  });

  it('takes the calls of one turn together: locks in id order, a savepoint each, one commit; a refusal answers alone', async () => {
    const { b, locked, decided } = batch();
    const out = await Promise.allSettled([
      b.add({ requestId: 'r3', who: 'bob' }),
      b.add({ requestId: 'r1', who: 'alice', outcome: 'refuse' }),
      b.add({ requestId: 'r1', who: 'carol' }),
      b.add({ requestId: 'r2', who: 'bob' }),
      b.add({ requestId: 'r1', who: 'dave' }),
    ]);
    expect(
      out.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
    ).toEqual(['r3 by bob', 'alice may not', 'r1 by carol', 'r2 by bob', 'r1 by dave']);
    expect((out[1] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.Forbidden });
    expect(locked).toEqual([['r1', 'r2', 'r3']]);
    // One request's calls in the order they came; requests in id order.
    expect(decided).toEqual(['r1:alice', 'r1:carol', 'r1:dave', 'r2:bob', 'r3:bob']);
    const grouped = log.slice(log.indexOf('begin'));
    expect(grouped[0]).toBe('begin');
    expect(grouped[1]).toBe('lock r1,r2,r3');
    expect(grouped.filter((l) => l === 'rollback to savepoint')).toHaveLength(1);
    expect(grouped.filter((l) => l === 'release')).toHaveLength(4);
    expect(grouped.at(-1)).toBe('commit');
    expect(b.stats).toMatchObject({ groupCommits: 1, groupedDecisions: 5, largest: 5 });
  });

  it('decides a failed batch again one at a time: only the broken call fails', async () => {
    const { b, decided } = batch();
    const out = await Promise.allSettled([
      b.add({ requestId: 'r1', who: 'bob' }),
      b.add({ requestId: 'r2', who: 'bob', outcome: 'break' }),
      b.add({ requestId: 'r3', who: 'bob' }),
    ]);
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((out[1] as PromiseRejectedResult).reason.message).toBe('a write failed');
    // The batch stopped at the broken call and rolled back; then each alone, in arrival order.
    expect(decided).toEqual(['r1:bob', 'r2:bob', 'r1:bob', 'r2:bob', 'r3:bob']);
    expect(log).toContain('rollback');
    expect(b.stats).toMatchObject({ groupCommits: 0, retriedOneByOne: 1 });
  });

  it('decides again one at a time when the commit itself fails', async () => {
    const { b, decided } = batch();
    failCommit = true;
    const both = Promise.all([
      b.add({ requestId: 'r1', who: 'bob' }),
      b.add({ requestId: 'r2', who: 'bob' }),
    ]);
    await expect(both).resolves.toEqual(['r1 by bob', 'r2 by bob']);
    expect(decided).toEqual(['r1:bob', 'r2:bob', 'r1:bob', 'r2:bob']);
    expect(b.stats.retriedOneByOne).toBe(1);
  });
});
