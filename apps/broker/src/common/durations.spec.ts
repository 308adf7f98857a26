import { formatDuration, parseDuration } from './durations';

describe('durations', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['2h', 7200],
    ['7d', 604800],
  ])('parses %s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each(['', '0s', '10', '5w', '-1h', '1.5h', 'h', '99999999d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
