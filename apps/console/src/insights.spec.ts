import { approvalLatency, expiryOverstay, grantsPerDay, histogram } from './insights';

const at = (iso: string) => new Date(iso).toISOString();
const req = (o: Partial<Record<string, string | null>>) => ({
  createdAt: at('2026-01-10T10:00:00'),
  decidedAt: null,
  grantedAt: null,
  expiresAt: null,
  endedAt: null,
  statusReason: null,
  ...o,
});

describe('console insights', () => {
  it('counts grants per local day, oldest first, ignoring those outside the window', () => {
    const now = new Date('2026-01-10T18:00:00').getTime();
    const bars = grantsPerDay(
      [
        req({ grantedAt: at('2026-01-10T09:00:00') }),
        req({ grantedAt: at('2026-01-10T23:59:00') }),
        req({ grantedAt: at('2026-01-08T00:01:00') }),
        req({ grantedAt: at('2025-12-01T12:00:00') }),
        req({ grantedAt: null }),
      ],
      3,
      now,
    );
    expect(bars).toEqual([
      { label: '1/8', value: 1 },
      { label: '1/9', value: 0 },
      { label: '1/10', value: 2 },
    ]);
  });

  it('puts each span in the first bucket it fits, the rest in "longer"', () => {
    expect(
      histogram(
        [0, 10, 11, 99],
        [
          [10, 'a'],
          [50, 'b'],
        ],
        'c',
      ),
    ).toEqual([
      { label: 'a', value: 2 },
      { label: 'b', value: 1 },
      { label: 'c', value: 1 },
    ]);
  });

  it('approval latency from request to decision; overstay of expired grants past their end', () => {
    const latency = approvalLatency([
      req({ decidedAt: at('2026-01-10T10:00:30') }),
      req({ decidedAt: at('2026-01-10T12:00:00') }),
      req({}),
    ]);
    expect(latency.find((b) => b.label === '≤ 1m')?.value).toBe(1);
    expect(latency.find((b) => b.label === '≤ 4h')?.value).toBe(1);
    const overstay = expiryOverstay([
      req({
        statusReason: 'expired',
        expiresAt: at('2026-01-10T11:00:00'),
        endedAt: at('2026-01-10T11:00:01.500'),
      }),
      req({
        statusReason: 'revoked',
        expiresAt: at('2026-01-10T11:00:00'),
        endedAt: at('2026-01-10T10:00:00'),
      }),
    ]);
    expect(overstay.find((b) => b.label === '≤ 2s')?.value).toBe(1);
    expect(overstay.reduce((n, b) => n + b.value, 0)).toBe(1);
  });
});
