import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { FakeSlack } from './support/fake-slack';
import { createWorld, type World } from './support/fixtures';
import { SlackDriver } from './support/slack-driver';

const SECRET = 'rate-limit-signing-secret-012345';
const TOKEN = 'xoxb-rate-limit';

/** A Slack user over SLACK_RATE_LIMIT_PER_MINUTE is acknowledged but not acted on; others go on. */
describe('Slack rate limit per user (broker in-process, fake Slack)', () => {
  let fake: FakeSlack;
  let env: BrokerTestEnv;
  let app: INestApplication;
  let slack: SlackDriver;
  let w: World;
  let db: Client;
  let integrationName: string;

  beforeAll(async () => {
    fake = await FakeSlack.start(TOKEN);
    env = await createBrokerTestEnv({
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: fake.url,
      SLACK_RATE_LIMIT_PER_MINUTE: '3',
    });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    slack = new SlackDriver(`${url}/slack/events`, SECRET);
    w = await createWorld(new ApiClient(url, env.adminToken));
    integrationName = (await w.security.api.get(`/api/v1/integrations/${w.integrationId}`)).body
      .name;
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('UBOB', w.bob.email);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
    await fake?.close();
  });

  const requestsOf = async (userId: string) =>
    (
      await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM access_requests WHERE requester_id = $1',
        [userId],
      )
    ).rows[0].n;

  it('acts on the first requests of a minute and not on the rest', async () => {
    const command = async (i: number) =>
      expect(
        (
          await slack.command(
            'UALICE',
            `${integrationName} app.public read 30m rate limit test ${i}`,
          )
        ).status,
      ).toBe(200);
    // The first one links alice's Slack account; then a burst within the same minute.
    await command(0);
    await waitFor('the first request', async () => (await requestsOf(w.alice.id)) === 1);
    for (let i = 1; i < 5; i++) await command(i);
    // Handling happens after the acknowledgement: wait for the three, then make sure no more come.
    await waitFor('three requests', async () => (await requestsOf(w.alice.id)) === 3);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await requestsOf(w.alice.id)).toBe(3);
    // Another person is not held back by alice's burst.
    fake.addUser('UCAROL', w.carol.email);
    expect((await slack.command('UBOB', 'list')).status).toBe(200);
    expect(
      fake.calls.some(
        (c) => JSON.stringify(c.args).includes(fake.dmOf('UBOB')) || c.args.user === 'UBOB',
      ),
    ).toBe(true);
  });
});
