import { eventHash, GENESIS, verifyRun, type ChainRow } from './audit-chain';

const content = (id: string, action: string) => ({
  id,
  at: '2026-11-21T10:00:00.000000Z',
  action,
  actor_id: null,
  actor_type: 'system',
  channel: 'system',
  request_id: null,
  integration_id: null,
  details: '{"a": 1}',
  source_address: null,
});

function chain(n: number): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = GENESIS;
  for (let i = 1; i <= n; i++) {
    const c = content(String(i), `a${i}`);
    const hash = eventHash(prev, c);
    rows.push({ ...c, seq: String(i), prev_hash: prev, hash });
    prev = hash;
  }
  return rows;
}

describe('audit hash chain', () => {
  it('proves an intact chain', () => {
    expect(verifyRun(chain(5), 0n, GENESIS, 0)).toMatchObject({
      ok: true,
      checked: 5,
      lastSeq: '5',
    });
  });
  it('names the first event whose content changed', () => {
    const rows = chain(5);
    rows[2] = { ...rows[2], details: '{"a": 2}' };
    expect(verifyRun(rows, 0n, GENESIS, 0)).toEqual({
      ok: false,
      checked: 2,
      brokenAt: { id: '3', seq: '3' },
      reason: 'content does not match its hash',
    });
  });
  it('catches a deleted event', () => {
    const rows = chain(5);
    rows.splice(1, 1);
    expect(verifyRun(rows, 0n, GENESIS, 0)).toMatchObject({
      ok: false,
      brokenAt: { id: '3' },
      reason: 'event(s) missing before seq 3',
    });
  });
  it('catches a rehashed event whose successor still links to the old hash', () => {
    const rows = chain(3);
    const forged = { ...rows[1], details: '{"a": 9}' };
    forged.hash = eventHash(forged.prev_hash!, forged);
    rows[1] = forged;
    expect(verifyRun(rows, 0n, GENESIS, 0)).toMatchObject({
      ok: false,
      brokenAt: { id: '3' },
      reason: 'does not link to the previous event',
    });
  });
  it('depends on every field', () => {
    const base = content('1', 'x');
    const h = eventHash(GENESIS, base);
    for (const key of Object.keys(base) as Array<keyof typeof base>) {
      expect(eventHash(GENESIS, { ...base, [key]: `${String(base[key])}!` })).not.toBe(h);
    }
  });
});
