import { auditChanges, psqlCommand, shellQuote, span, timeLeft } from './format';

describe('console formatting', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');

  it('counts down the time left in its two largest units', () => {
    expect(timeLeft('2026-01-01T13:05:30Z', now)).toBe('1h 5m left');
    expect(timeLeft('2026-01-01T12:00:09Z', now)).toBe('9s left');
    expect(timeLeft('2026-01-03T15:00:00Z', now)).toBe('2d 3h left');
    expect(timeLeft('2026-01-01T11:59:59Z', now)).toBe('expired');
    expect(timeLeft(null, now)).toBe('no expiry');
    expect(span(3_600_000)).toBe('1h');
  });

  it('quotes the connection string for a shell, whatever the password holds', () => {
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(psqlCommand('postgresql://u:p%27w@db:5432/app?sslmode=require')).toBe(
      `psql 'postgresql://u:p%27w@db:5432/app?sslmode=require'`,
    );
  });

  it('says what an audit event changed, from its before-and-after entries only', () => {
    expect(
      auditChanges({
        cleanupDays: { from: 0, to: 14 },
        ownerIds: { from: [], to: ['a', 'b'] },
        customAccessDetails: { from: 'VPN', to: null },
        requestId: 'r1',
      }),
    ).toBe('cleanupDays: 0 → 14; ownerIds: none → a, b; customAccessDetails: VPN → —');
    expect(auditChanges(null)).toBe('');
    expect(auditChanges({ reason: 'drill' })).toBe('');
  });
});
