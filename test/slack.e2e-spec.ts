import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { FakeSlack } from './support/fake-slack';
import { createWorld, type World } from './support/fixtures';
import { AppProcess, freePort } from './support/processes';
import { SlackDriver, slackSignature } from './support/slack-driver';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

const SECRET = 'e2e-signing-secret-0123456789';
const TOKEN = 'xoxb-e2e-bot-token';

/**
 * Only through Slack, with real broker and connector processes, the broker's PostgreSQL and
 * Redis, and a throwaway target cluster: ask in a modal, approve, reveal, log in, revoke.
 */
describe('Slack end to end', () => {
  let target: TargetPostgres;
  let env: BrokerTestEnv;
  let fake: FakeSlack;
  let broker: AppProcess;
  let connector: AppProcess;
  let slack: SlackDriver;
  let w: World;

  beforeAll(async () => {
    target = await startTargetPostgres();
    await target.createDatabase('app');
    await target.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
    await target.query("INSERT INTO public.orders VALUES (1, 'book')", [], 'app');
    fake = await FakeSlack.start(TOKEN);
    env = await createBrokerTestEnv();
    const port = await freePort();
    broker = AppProcess.start('broker', 'apps/broker/src/main.js', {
      ...env.env,
      PORT: String(port),
      LOG_LEVEL: 'info',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: fake.url,
    });
    const api = new ApiClient(`http://127.0.0.1:${port}`, env.adminToken);
    await waitFor('the broker', async () => (await api.get('/health')).status === 200, 30000, 200);
    slack = new SlackDriver(`http://127.0.0.1:${port}/slack/events`, SECRET);
    w = await createWorld(api, {
      port: target.port,
      sslMode: 'verify-full',
      maxDuration: '1h',
    });
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('UBOB', w.bob.email);
    fake.addUser('UCAROL', w.carol.email);
    connector = AppProcess.start('connector', 'apps/connector/src/main.js', {
      REDIS_URL: env.env.REDIS_URL,
      REDIS_PREFIX: env.redisPrefix,
      CONNECTOR_ID: w.connectorId,
      TARGET_DATABASE_URL: target.superuserUrl('postgres'),
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: target.caFile,
      BROKER_SEAL_PUBLIC_KEY: env.env.BROKER_SEAL_PUBLIC_KEY,
      HEARTBEAT_INTERVAL_MS: '1000',
      LOG_LEVEL: 'info',
    });
  });

  afterAll(async () => {
    if (process.env.E2E_DEBUG) {
      for (const p of [broker, connector])
        if (p)
          process.stdout.write(
            `--- ${p.name}\n${p.lines.slice(-(Number(process.env.E2E_DEBUG) || 40)).join('\n')}\n`,
          );
    }
    await connector?.stop();
    await broker?.stop();
    await env?.dispose();
    await fake?.close();
    await target?.stop();
  });

  const dmTo = (user: string, match: (json: string) => boolean, what: string, ms = 30000) =>
    waitFor(
      `a DM to ${user}: ${what}`,
      async () =>
        fake
          .callsOf('chat.postMessage')
          .find((c) => c.args.channel === fake.dmOf(user) && match(JSON.stringify(c.args))),
      ms,
      100,
    );

  async function loginWorks(username: string, password: string): Promise<boolean> {
    try {
      const c = await target.connect(username, password, 'app');
      try {
        const rows = await c.query('SELECT item FROM public.orders');
        return rows.rows[0]?.item === 'book';
      } finally {
        await c.end();
      }
    } catch {
      return false;
    }
  }

  it('/access form → Approve → Reveal → the password logs in → Revoke now → login refused', async () => {
    const trigger = slack.trigger();
    expect((await slack.command('UALICE', '', trigger)).status).toBe(200);
    await waitFor('the request form', async () =>
      fake.callsOf('views.open').find((c) => c.args.trigger_id === trigger),
    );
    const submitted = await slack.submitView('UALICE', 'doorman_request', {
      resource: { resource: { selected_option: { value: `${w.integrationId}|app|public` } } },
      permission: { permission: { selected_option: { value: 'read' } } },
      duration: { duration: { value: '10m' } },
      justification: { justification: { value: 'e2e through Slack' } },
    });
    expect(submitted.status).toBe(200);

    const ask = await dmTo('UBOB', (j) => j.includes('doorman_approve'), 'approval message');
    const requestId = ask.args.blocks
      .flatMap((b: any) => b.elements ?? [])
      .find((e: any) => e.action_id === 'doorman_approve').value as string;
    expect((await slack.click('UBOB', 'doorman_approve', requestId)).status).toBe(200);

    await dmTo('UALICE', (j) => j.includes('is ready') && j.includes('doorman_reveal'), 'ready');
    await slack.click('UALICE', 'doorman_reveal', requestId);
    const modal = await waitFor('the credentials modal', async () =>
      fake.callsOf('views.open').find((c) => c.args.view.callback_id === 'doorman_credentials'),
    );
    const fields: string[] = modal.args.view.blocks[0].fields.map((f: any) => f.text);
    const field = (name: string) =>
      /`([^`]*)`/.exec(fields.find((f) => f.startsWith(`*${name}*`))!)![1];
    const username = field('User');
    const password = field('Password');
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(await loginWorks(username, password)).toBe(true);

    await slack.click('UALICE', 'doorman_revoke', requestId);
    await dmTo('UALICE', (j) => j.includes('has ended (revoked by you)'), 'ended');
    expect(await loginWorks(username, password)).toBe(false);

    // The password went out in the modal only: no message, no log line.
    expect(fake.posted()).not.toContain(password);
    expect([...broker.lines, ...connector.lines].join('\n')).not.toContain(password);
  });

  it('refuses forged and stale requests; tells strangers and malformed lines; deny, self-approval and double clicks', async () => {
    const form = 'application/x-www-form-urlencoded';
    const body = slack.commandBody('UALICE', 'list');
    expect((await slack.send(body, form, { signature: null })).status).toBe(401);
    expect((await slack.send(body, form, { signature: `v0=${'0'.repeat(64)}` })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 600;
    expect(
      (
        await slack.send(body, form, {
          timestamp: stale,
          signature: slackSignature(SECRET, stale, body),
        })
      ).status,
    ).toBe(401);

    fake.addUser('USTRANGER', 'stranger@elsewhere.example');
    await slack.command('USTRANGER', 'list');
    await waitFor('the stranger told', async () =>
      fake.callsOf('chat.postEphemeral').find((c) => c.args.user === 'USTRANGER'),
    );
    await slack.command('UALICE', 'only three words');
    await waitFor('the usage', async () =>
      fake
        .callsOf('chat.postEphemeral')
        .find((c) => c.args.user === 'UALICE' && String(c.args.text).includes('Usage')),
    );

    const name = (await w.security.api.get(`/api/v1/integrations/${w.integrationId}`)).body.name;
    await slack.command('UALICE', `${name} app.public write 5m schema change`);
    const ask = await dmTo(
      'UCAROL',
      (j) => j.includes('doorman_deny_open') && j.includes('schema change'),
      'approval message',
    );
    const id = ask.args.blocks
      .flatMap((b: any) => b.elements ?? [])
      .find((e: any) => e.action_id === 'doorman_deny_open').value as string;
    await slack.click('UALICE', 'doorman_approve', id);
    await waitFor('self-approval refused', async () =>
      fake
        .callsOf('chat.postEphemeral')
        .find((c) => c.args.user === 'UALICE' && String(c.args.text).includes('Not allowed')),
    );
    await slack.click('UCAROL', 'doorman_deny_open', id);
    await waitFor('the deny form', async () =>
      fake.callsOf('views.open').find((c) => c.args.view.private_metadata === id),
    );
    await slack.submitView(
      'UCAROL',
      'doorman_deny',
      { reason: { reason: { value: 'use a migration' } } },
      id,
    );
    await dmTo(
      'UALICE',
      (j) => j.includes('*denied* by <@UCAROL>') && j.includes('use a migration'),
      'denied',
    );
    await slack.click('UBOB', 'doorman_approve', id);
    await waitFor('already denied', async () =>
      fake
        .callsOf('chat.postEphemeral')
        .find(
          (c) =>
            c.args.user === 'UBOB' && String(c.args.text).includes('already denied by <@UCAROL>'),
        ),
    );
    const row = await w.alice.api.get(`/api/v1/access-requests/${id}`);
    expect(row.body).toMatchObject({ status: 'DENIED' });
  });
});
