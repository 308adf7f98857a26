import { CAPPED_EXPONENTIAL, cappedExponentialDelay, connectorBackoffStrategy } from './backoff';

describe('capped-exponential backoff', () => {
  const mid = () => 0.5;

  it('doubles from one second', () => {
    expect([1, 2, 3, 4, 5].map((n) => cappedExponentialDelay(n, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000,
    ]);
  });

  it('caps at one minute, even after very many attempts', () => {
    expect(cappedExponentialDelay(7, mid)).toBe(60000);
    expect(cappedExponentialDelay(Number.MAX_SAFE_INTEGER, mid)).toBe(60000);
  });

  it('jitters by at most ±20 %', () => {
    expect(cappedExponentialDelay(3, () => 0)).toBe(3200);
    expect(cappedExponentialDelay(3, () => 0.999999)).toBe(4800);
    for (let i = 0; i < 200; i++) {
      const d = cappedExponentialDelay(20);
      expect(d).toBeGreaterThanOrEqual(48000);
      expect(d).toBeLessThanOrEqual(72000);
    }
  });

  it('is what the worker uses for the capped-exponential type only', async () => {
    expect(await connectorBackoffStrategy(1, CAPPED_EXPONENTIAL)).toBeGreaterThanOrEqual(800);
    expect(await connectorBackoffStrategy(1, 'something-else')).toBe(-1);
  });
});
