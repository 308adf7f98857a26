import { slackRefused, slackUnavailable } from './slack-errors';

const platform = (error: string) => ({ code: 'slack_webapi_platform_error', data: { error } });
const http = (statusCode: number) => ({ code: 'slack_webapi_http_error', statusCode });

describe('Slack errors: retry later, or refused for good', () => {
  it.each([
    ['a network failure', { code: 'slack_webapi_request_error' }],
    ['a rate limit the client gave up on', { code: 'slack_webapi_rate_limited' }],
    ['an HTTP 503', http(503)],
    ['an HTTP 429', http(429)],
    ["Slack's fatal_error", platform('fatal_error')],
    ['ratelimited', platform('ratelimited')],
  ])('%s is retried later', (_what, err) => {
    expect(slackUnavailable(err)).toBe(true);
    expect(slackRefused(err)).toBe(false);
  });

  it.each([
    ['channel_not_found', platform('channel_not_found')],
    ['invalid_blocks', platform('invalid_blocks')],
    ['an HTTP 404', http(404)],
  ])('%s is a refusal', (_what, err) => {
    expect(slackUnavailable(err)).toBe(false);
    expect(slackRefused(err)).toBe(true);
  });

  it('anything else is neither (a database error is not Slack refusing)', () => {
    for (const err of [new Error('connection terminated'), null, undefined, 'x']) {
      expect(slackUnavailable(err)).toBe(false);
      expect(slackRefused(err)).toBe(false);
    }
  });
});
