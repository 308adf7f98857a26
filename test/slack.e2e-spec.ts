import { waitFor } from './support/broker-env';
import type { FakeSlack } from './support/fake-slack';
import { createWorld, type World } from './support/fixtures';
import { slackSignature, type SlackDriver } from './support/slack-driver';
import { startSlackStack, type SlackStack } from './support/stack';
import type { TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

/**
 * Only through Slack, with real broker and connector processes, the broker's PostgreSQL and
 * Redis, and a throwaway target cluster: ask in a modal, approve, reveal, log in, revoke.
 */
describe('Slack end to end', () => {
  let stack: SlackStack;
  let target: TargetPostgres;
  let fake: FakeSlack;
  let slack: SlackDriver;
  let w: World;

  beforeAll(async () => {
    stack = await startSlackStack({
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        await t.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
        await t.query("INSERT INTO public.orders VALUES (1, 'book')", [], 'app');
      },
    });
    ({ target, fake, slack } = stack);
    w = await createWorld(stack.admin, {
      port: target.port,
      sslMode: 'verify-full',
      maxDuration: '1h',
    });
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('UBOB', w.bob.email);
    fake.addUser('UCAROL', w.carol.email);
    stack.startConnector(w.connectorId);
  });

  afterAll(async () => stack?.stop());

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
    expect([stack.broker, ...stack.connectors].map((p) => p.output).join('\n')).not.toContain(
      password,
    );
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
          signature: slackSignature(stack.signingSecret, stale, body),
        })
      ).status,
    ).toBe(401);

    fake.addUser('USTRANGER', 'stranger@elsewhere.example');
    // Typed in a private channel the bot is not in: the answers come through the response_url.
    fake.addPrivateChannel('G0E2EROOM', ['USTRANGER', 'UALICE']);
    const shown = (user: string, text: string) =>
      waitFor(`${user} shown "${text}"`, async () =>
        fake.seenBy(user).find((a) => a.text.includes(text)),
      );
    await slack.commandIn('G0E2EROOM', 'USTRANGER', 'list');
    expect((await shown('USTRANGER', "I don't know you yet")).via).toBe('response_url');
    await slack.commandIn('G0E2EROOM', 'UALICE', 'only three words');
    expect((await shown('UALICE', 'Usage')).via).toBe('response_url');

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
    await shown('UALICE', 'Not allowed');
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
    await shown('UBOB', 'already denied by <@UCAROL>');
    const row = await w.alice.api.get(`/api/v1/access-requests/${id}`);
    expect(row.body).toMatchObject({ status: 'DENIED' });
  });
});
