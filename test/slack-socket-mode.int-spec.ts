import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { FakeSlack } from './support/fake-slack';
import { createWorld, type World } from './support/fixtures';
import { SlackDriver } from './support/slack-driver';

jest.setTimeout(30_000);

const TOKEN = 'xoxb-socket-bot-token';
const APP_TOKEN = 'xapp-socket-app-token';

/** Socket Mode: no public endpoint; Slack's envelopes arrive over a WebSocket the broker opens. */
describe('Slack over Socket Mode (broker in-process, fake Slack)', () => {
  let fake: FakeSlack;
  let env: BrokerTestEnv;
  let app: INestApplication;
  let url: string;
  let w: World;
  let db: Client;
  // Builds payloads only: nothing is posted over HTTP in this mode.
  const payloads = new SlackDriver('http://127.0.0.1:9/unused', 'unused-secret');

  beforeAll(async () => {
    fake = await FakeSlack.start(TOKEN);
    fake.enableSocketMode(APP_TOKEN);
    env = await createBrokerTestEnv({
      SLACK_SIGNING_SECRET: 'socket-mode-signing-secret',
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: fake.url,
      SLACK_SOCKET_MODE: 'true',
      SLACK_APP_TOKEN: APP_TOKEN,
    });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    w = await createWorld(new ApiClient(url, env.adminToken));
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('UBOB', w.bob.email);
    fake.addUser('UCAROL', w.carol.email);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    await waitFor('the socket', async () => fake.socketConnected);
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
    await fake?.close();
  });

  it('serves no HTTP endpoint for Slack', async () => {
    const res = await fetch(`${url}/slack/events`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(404);
  });

  it('takes /access over the socket: the request is created and approvers are asked', async () => {
    const name = (await w.security.api.get(`/api/v1/integrations/${w.integrationId}`)).body.name;
    await fake.deliver(
      'slash_commands',
      payloads.commandFields('UALICE', `${name} app.public read 30m over the socket`),
    );
    const id = await waitFor('the request', async () => {
      const r = await db.query(`SELECT id FROM access_requests WHERE requester_id = $1`, [
        w.alice.id,
      ]);
      return r.rows[0]?.id as string | undefined;
    });
    const audit = await db.query(
      `SELECT channel FROM audit_events WHERE request_id = $1 AND action = 'request.created'`,
      [id],
    );
    expect(audit.rows).toEqual([{ channel: 'slack' }]);
    await waitFor('the approval message', async () =>
      fake
        .callsOf('chat.postMessage')
        .find((c) => c.args.channel === fake.dmOf('UBOB') && JSON.stringify(c.args).includes(id)),
    );
    await fake.deliver('interactive', payloads.clickPayload('UBOB', 'doorman_approve', id));
    await waitFor('GRANTING', async () => {
      const r = await db.query('SELECT status FROM access_requests WHERE id = $1', [id]);
      return r.rows[0].status === 'GRANTING';
    });
  });
});
