import { allowedResponseUrl } from './slack-response-url';

describe('allowedResponseUrl', () => {
  const slack = ['https://hooks.slack.com'];

  it('takes the response_urls Slack hands out', () => {
    expect(allowedResponseUrl('https://hooks.slack.com/commands/T0/123/abc', slack)?.pathname).toBe(
      '/commands/T0/123/abc',
    );
    expect(allowedResponseUrl('https://hooks.slack.com/actions/T0/1/x', slack)).not.toBeNull();
  });

  it.each([
    ['plain http', 'http://hooks.slack.com/commands/T0/1/x'],
    ['a look-alike host', 'https://hooks.slack.com.evil.example/commands/T0/1/x'],
    ['a subdomain', 'https://x.hooks.slack.com/commands/T0/1/x'],
    ['another port', 'https://hooks.slack.com:8443/commands/T0/1/x'],
    ['credentials in the URL', 'https://user:pw@hooks.slack.com/commands/T0/1/x'],
    ['loopback', 'http://127.0.0.1:9/unused'],
    ['not a URL', 'hooks.slack.com/commands'],
    ['nothing', undefined],
  ])('refuses %s', (_what, url) => {
    expect(allowedResponseUrl(url, slack)).toBeNull();
  });

  it('takes a configured test origin, and only that one', () => {
    const origins = ['http://127.0.0.1:4000'];
    expect(allowedResponseUrl('http://127.0.0.1:4000/response/ab', origins)).not.toBeNull();
    expect(allowedResponseUrl('http://127.0.0.1:4001/response/ab', origins)).toBeNull();
    expect(allowedResponseUrl('https://hooks.slack.com/commands/T0/1/x', origins)).toBeNull();
  });
});
