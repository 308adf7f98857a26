import { formatDuration, MAX_DURATION_SECONDS, parseDuration } from './durations';

describe('durations', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['2h', 7200],
    ['7d', 604800],
    ['3650d', 3650 * 86400],
  ])('parses %s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each(['', '0s', '10', '5w', '-1h', '1.5h', 'h', '99999999d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  // 24856d is the first day count whose seconds overflow a PostgreSQL integer (once a 500).
  it.each(['3651d', '24856d', '9999999d', '87601h', '5256001m', '9999999h'])(
    'refuses %s, past the ten-year maximum',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );

  it('keeps the maximum far inside a PostgreSQL integer', () => {
    expect(MAX_DURATION_SECONDS).toBe(315_360_000);
    expect(MAX_DURATION_SECONDS * 6).toBeLessThan(2 ** 31 - 1);
  });
});
