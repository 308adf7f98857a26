import { SlackRateLimiter, slackUserOf } from './slack-rate-limit';

describe('Slack rate limit per user', () => {
  it('allows the limit in a minute, refuses beyond it, and starts again the next minute', () => {
    const l = new SlackRateLimiter(3);
    const t = 1_000_000;
    expect([1, 2, 3, 4].map(() => l.allow('U1', t))).toEqual([true, true, true, false]);
    expect(l.allow('U2', t)).toBe(true);
    expect(l.allow('U1', t + 60_000)).toBe(true);
  });

  it('finds the user in commands, actions and events', () => {
    expect(slackUserOf({ user_id: 'U1' })).toBe('U1');
    expect(slackUserOf({ user: { id: 'U2' } })).toBe('U2');
    expect(slackUserOf({ event: { user: 'U3' } })).toBe('U3');
    expect(slackUserOf({})).toBeNull();
    expect(slackUserOf(null)).toBeNull();
  });
});
