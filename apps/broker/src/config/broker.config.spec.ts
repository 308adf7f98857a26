import { ConfigError, loadBrokerConfig, slackSettings } from './broker.config';

const base = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/doorman',
  REDIS_URL: 'redis://127.0.0.1:6379',
  BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(30),
  BROKER_SEAL_PUBLIC_KEY: 'p'.repeat(44),
  BROKER_SEAL_PRIVATE_KEY: 'k'.repeat(44),
};

describe('broker config: Slack', () => {
  it('leaves Slack off, with the reason, when nothing is set (or set empty)', () => {
    for (const env of [base, { ...base, SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '' }]) {
      const s = slackSettings(loadBrokerConfig(env));
      expect(s).toEqual({
        enabled: false,
        reason: expect.stringContaining('SLACK_SIGNING_SECRET'),
      });
    }
  });

  it('turns Slack on with both secrets, and normalises the API base to end with a slash', () => {
    const s = slackSettings(
      loadBrokerConfig({
        ...base,
        SLACK_SIGNING_SECRET: 'signing-secret',
        SLACK_BOT_TOKEN: 'xoxb-token',
        SLACK_API_URL: 'http://127.0.0.1:9999/api',
      }),
    );
    expect(s).toMatchObject({
      enabled: true,
      apiUrl: 'http://127.0.0.1:9999/api/',
      socketMode: false,
    });
  });

  it('names what is missing from half a configuration', () => {
    expect(() => loadBrokerConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-token' })).toThrow(
      /SLACK_SIGNING_SECRET: required/,
    );
    expect(() =>
      loadBrokerConfig({
        ...base,
        SLACK_BOT_TOKEN: 'xoxb-token',
        SLACK_SIGNING_SECRET: 'signing-secret',
        SLACK_SOCKET_MODE: 'true',
      }),
    ).toThrow(ConfigError);
    expect(() =>
      loadBrokerConfig({
        ...base,
        SLACK_BOT_TOKEN: 'xoxb-token',
        SLACK_SIGNING_SECRET: 'signing-secret',
        SLACK_SOCKET_MODE: 'true',
      }),
    ).toThrow(/SLACK_APP_TOKEN: required/);
  });
});
