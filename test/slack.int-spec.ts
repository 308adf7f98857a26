import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { CONTRACT_VERSION, jobIds } from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { Client } from 'pg';
import { createBrokerApp } from '../apps/broker/src/bootstrap';
import { NOTIFICATIONS_QUEUE } from '../apps/broker/src/outbox/broker-jobs';
import { QueueRegistry } from '../apps/broker/src/outbox/queue-registry';
import { SyncResultsService } from '../apps/broker/src/grants/sync-results.service';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { FakeSlack } from './support/fake-slack';
import { createPerson, createWorld, type World } from './support/fixtures';
import { SlackDriver, slackSignature } from './support/slack-driver';

const SECRET = 'test-signing-secret-0123456789';
const TOKEN = 'xoxb-test-bot-token';
const PASSWORD = 'Sup3r-Secret-Revealed-Only-In-A-Modal';

jest.setTimeout(30_000);

/**
 * The Slack app in the broker, in-process on real PostgreSQL and Redis, driven only through
 * signed HTTP requests to /slack/events, with a fake Slack Web API on loopback.
 */
describe('Slack app (broker in-process, fake Slack Web API)', () => {
  let fake: FakeSlack;
  let env: BrokerTestEnv;
  let app: INestApplication;
  let slack: SlackDriver;
  let w: World;
  let db: Client;
  let integrationName: string;
  let admin: ApiClient;

  const ALICE = 'UALICE';
  const BOB = 'UBOB';
  const CAROL = 'UCAROL';
  const STRANGER = 'USTRANGER';
  const SECURITY = 'USECURITY';
  const MALLORY = 'UMALLORY';

  beforeAll(async () => {
    fake = await FakeSlack.start(TOKEN);
    env = await createBrokerTestEnv({
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: fake.url,
      // Every grant is "expiring soon" at once, so the warning shows up in this test.
      SLACK_EXPIRY_WARNING_SECONDS: '86400',
      SLACK_EXPIRY_CHECK_MS: '200',
    });
    app = await createBrokerApp(env.config);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    slack = new SlackDriver(`${url}/slack/events`, SECRET);
    admin = new ApiClient(url, env.adminToken);
    w = await createWorld(admin, { maxDuration: '2h', defaultDuration: '1h' });
    integrationName = (await w.security.api.get(`/api/v1/integrations/${w.integrationId}`)).body
      .name;
    fake.addUser(ALICE, w.alice.email);
    fake.addUser(BOB, w.bob.email);
    fake.addUser(CAROL, w.carol.email);
    fake.addUser(STRANGER, 'stranger@elsewhere.example');
    fake.addUser(SECURITY, w.security.email);
    fake.addUser(MALLORY, w.mallory.email);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await env?.dispose();
    await fake?.close();
  });

  const requestRow = async (id: string) =>
    (await db.query('SELECT * FROM access_requests WHERE id = $1', [id])).rows[0];
  const ephemeralTo = (user: string, contains: string) =>
    waitFor(`an ephemeral message to ${user} containing "${contains}"`, async () =>
      fake
        .callsOf('chat.postEphemeral')
        .find((c) => c.args.user === user && String(c.args.text).includes(contains)),
    );
  const dmTo = (user: string, match: (text: string) => boolean, what: string) =>
    waitFor(`a DM to ${user}: ${what}`, async () =>
      fake
        .callsOf('chat.postMessage')
        .find((c) => c.args.channel === fake.dmOf(user) && match(JSON.stringify(c.args))),
    );
  /**
   * Every notice job written so far has run: none left in the outbox, none waiting, delayed or
   * running. After it, a message that was not sent is not merely late.
   */
  const noticesSettled = () =>
    waitFor('every notice job run', async () => {
      const outbox = (await db.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n;
      const counts = await app
        .get(QueueRegistry)
        .get(NOTIFICATIONS_QUEUE)
        .getJobCounts('wait', 'prioritized', 'delayed', 'active');
      return outbox === 0 && Object.values(counts).every((n) => n === 0);
    });
  const buttonsOf = (blocks: any[] | undefined): any[] =>
    (blocks ?? []).flatMap((b) => [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])]);
  const oneLiner = (rest: string) => `${integrationName} ${rest}`;

  /** Stands in for the connector's result for a person's newest sync (the e2e drives a real one). */
  async function activate(requestId: string, password = PASSWORD): Promise<string> {
    const row = await requestRow(requestId);
    const du = (
      await db.query('SELECT username FROM database_users WHERE user_id = $1', [row.requester_id])
    ).rows[0];
    await app.get(SyncResultsService).onSyncResult({
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      connectorId: w.connectorId,
      jobId: jobIds.sync(w.integrationId, row.requester_id, row.sync_generation),
      integrationId: w.integrationId,
      personId: row.requester_id,
      username: du.username,
      generation: row.sync_generation,
      attempt: 1,
      status: 'applied',
      startedAt: new Date().toISOString(),
      sealedPassword: seal(password, loadSealPublicKey(env.env.BROKER_SEAL_PUBLIC_KEY)),
      passwordIssuedAt: new Date().toISOString(),
      sessionsTerminated: 0,
      effects: [],
    });
    return du.username as string;
  }

  async function requestFromSlack(user: string, rest: string): Promise<string> {
    const before = (await db.query('SELECT id FROM access_requests')).rows.map((r) => r.id);
    expect((await slack.command(user, oneLiner(rest))).status).toBe(200);
    return waitFor('the request row', async () => {
      const rows = await db.query('SELECT id FROM access_requests ORDER BY created_at DESC');
      return rows.rows.map((r) => r.id as string).find((id) => !before.includes(id));
    });
  }

  describe('request authenticity', () => {
    it('refuses unsigned, badly signed and stale requests with 401 and oversized ones with 413, and does nothing', async () => {
      const body = slack.commandBody(ALICE, oneLiner('app.public read 30m sneaky'));
      const form = 'application/x-www-form-urlencoded';
      expect((await slack.send(body, form, { signature: null })).status).toBe(401);
      expect((await slack.send(body, form, { signature: 'v0=deadbeef' })).status).toBe(401);
      const stale = Math.floor(Date.now() / 1000) - 10 * 60;
      const staleRes = await slack.send(body, form, {
        timestamp: stale,
        signature: slackSignature(SECRET, stale, body),
      });
      expect(staleRes.status).toBe(401);
      const huge = slack.commandBody(ALICE, `list ${'x'.repeat(300 * 1024)}`);
      expect((await slack.send(huge, form)).status).toBe(413);
      // Refused before any listener saw them (the answer is the refusal): nothing is in flight.
      expect((await db.query('SELECT count(*)::int AS n FROM access_requests')).rows[0].n).toBe(0);
      expect(fake.calls.filter((c) => c.method.startsWith('chat.'))).toEqual([]);
    });
  });

  describe('people and commands', () => {
    it('tells an unknown Slack user, in an ephemeral message, that it does not know them', async () => {
      expect((await slack.command(STRANGER, 'list')).status).toBe(200);
      const msg = await ephemeralTo(STRANGER, "I don't know you yet");
      expect(msg.args.text).not.toMatch(/error|stack|at /i);
    });

    it('answers a malformed one-line request with the usage, and links the person by email', async () => {
      await slack.command(ALICE, 'pg app read');
      await ephemeralTo(ALICE, 'Usage');
      await slack.command(ALICE, oneLiner('app-without-schema read 30m x'));
      await ephemeralTo(ALICE, 'is not <database>.<schema>');
      const linked = await db.query('SELECT slack_user_id FROM users WHERE id = $1', [w.alice.id]);
      expect(linked.rows[0].slack_user_id).toBe(ALICE);
    });

    it('several first contacts of one unlinked person at once are all answered as that person', async () => {
      const dana = await createPerson(admin, 'dana');
      fake.addUser('UDANA', dana.email);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => slack.command('UDANA', 'list')),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      await waitFor('eight answers to dana', async () =>
        fake.callsOf('chat.postEphemeral').filter((c) => c.args.user === 'UDANA').length >= 8
          ? true
          : undefined,
      );
      const texts = fake
        .callsOf('chat.postEphemeral')
        .filter((c) => c.args.user === 'UDANA')
        .map((c) => String(c.args.text));
      expect(texts.filter((t) => t.includes("I don't know you"))).toEqual([]);
      const linked = await db.query('SELECT slack_user_id FROM users WHERE id = $1', [dana.id]);
      expect(linked.rows[0].slack_user_id).toBe('UDANA');
    });
  });

  describe('a request from Slack, decided in Slack', () => {
    let first: string;
    let approverMessages: Array<{ channel: string; ts: string }>;

    it('/access <one line> creates the request, audited as slack, and asks every approver', async () => {
      first = await requestFromSlack(ALICE, 'app.public read 30m debugging INC-1');
      const row = await requestRow(first);
      expect(row).toMatchObject({ status: 'PENDING', permission: 'read', duration_seconds: 1800 });
      const audit = await db.query(
        `SELECT channel, actor_id FROM audit_events WHERE request_id = $1 AND action = 'request.created'`,
        [first],
      );
      expect(audit.rows).toEqual([{ channel: 'slack', actor_id: w.alice.id }]);

      approverMessages = [];
      for (const approver of [BOB, CAROL]) {
        const call = await dmTo(approver, (t) => t.includes(first), 'the approval message');
        const buttons = buttonsOf(call.args.blocks);
        expect(buttons.map((b) => [b.action_id, b.value])).toEqual([
          ['doorman_approve', first],
          ['doorman_deny_open', first],
        ]);
        expect(JSON.stringify(call.args.blocks)).toContain('debugging INC-1');
        const ts = fake
          .messagesTo(approver)
          .find((m) => JSON.stringify(m.blocks).includes(first))!.ts;
        approverMessages.push({ channel: fake.dmOf(approver), ts });
      }
      const submitted = await dmTo(ALICE, (t) => t.includes('was submitted'), 'submitted');
      expect(JSON.stringify(submitted.args)).toContain(`<@${BOB}>`);
      expect(JSON.stringify(submitted.args)).toContain(`<@${CAROL}>`);
    });

    it('refuses the requester approving their own request, by the same rule as the REST API', async () => {
      const rest = await w.alice.api.post(`/api/v1/access-requests/${first}/approve`);
      expect(rest.status).toBe(403);
      await slack.click(ALICE, 'doorman_approve', first);
      await ephemeralTo(ALICE, rest.body.message);
      expect((await requestRow(first)).status).toBe('PENDING');
    });

    it("an approver's click approves it; every approver's copy is updated in place", async () => {
      await slack.click(BOB, 'doorman_approve', first, approverMessages[0]);
      await waitFor('GRANTING', async () => (await requestRow(first)).status === 'GRANTING');
      for (const m of approverMessages) {
        const update = await waitFor(`chat.update of ${m.channel}`, async () =>
          fake
            .callsOf('chat.update')
            .find((c) => c.args.channel === m.channel && c.args.ts === m.ts),
        );
        const text = JSON.stringify(update.args.blocks);
        expect(text).toContain('*approved* by <@UBOB>');
        expect(buttonsOf(update.args.blocks).filter((b) => b.type === 'button')).toEqual([]);
      }
      await dmTo(ALICE, (t) => t.includes('was *approved* by <@UBOB>'), 'approved');
      const audit = await db.query(
        `SELECT channel FROM audit_events WHERE request_id = $1 AND action = 'request.approved'`,
        [first],
      );
      expect(audit.rows).toEqual([{ channel: 'slack' }]);
    });

    it('a second click answers "already approved by X" and changes nothing', async () => {
      await slack.click(CAROL, 'doorman_approve', first, approverMessages[1]);
      await ephemeralTo(CAROL, 'already approved by <@UBOB>');
      const approvals = await db.query('SELECT approver_id FROM approvals WHERE request_id = $1', [
        first,
      ]);
      expect(approvals.rows).toEqual([{ approver_id: w.bob.id }]);
      expect((await requestRow(first)).status).toBe('GRANTING');
    });

    it('ready: Reveal opens a modal with the password, never a message; audited as slack', async () => {
      const username = await activate(first);
      expect((await requestRow(first)).status).toBe('ACTIVE');
      const ready = await dmTo(ALICE, (t) => t.includes('is ready'), 'ready');
      expect(buttonsOf(ready.args.blocks).map((b) => b.action_id)).toEqual([
        'doorman_reveal',
        'doorman_revoke',
      ]);

      // Someone else's click reveals nothing.
      await slack.click(BOB, 'doorman_reveal', first);
      await ephemeralTo(BOB, 'only the requester may reveal credentials');

      await slack.click(ALICE, 'doorman_reveal', first);
      const modal = await waitFor('the credentials modal', async () =>
        fake.callsOf('views.open').find((c) => c.args.view.callback_id === 'doorman_credentials'),
      );
      const shown = JSON.stringify(modal.args.view);
      expect(shown).toContain(PASSWORD);
      expect(shown).toContain(username);
      expect(shown).toContain('psql');
      expect(shown).toContain('Use the VPN first.');
      const audit = await db.query(
        `SELECT channel FROM audit_events WHERE request_id = $1 AND action = 'credentials.revealed'`,
        [first],
      );
      expect(audit.rows).toEqual([{ channel: 'slack' }]);
    });

    it('warns before expiry with Revoke now (no Extend: this flow allows no extensions)', async () => {
      const warning = await dmTo(
        ALICE,
        (t) => t.includes('expires') && t.includes(first),
        'expiring soon',
      );
      expect(buttonsOf(warning.args.blocks).map((b) => b.action_id)).toEqual(['doorman_revoke']);
    });

    it('Revoke now ends the access through the same service', async () => {
      await slack.click(ALICE, 'doorman_revoke', first);
      await waitFor('REVOKING', async () => (await requestRow(first)).status === 'REVOKING');
      await ephemeralTo(ALICE, 'Revoking now');
      const audit = await db.query(
        `SELECT channel FROM audit_events WHERE request_id = $1 AND action = 'grant.revoke_requested'`,
        [first],
      );
      expect(audit.rows).toEqual([{ channel: 'slack' }]);
    });

    it('never posts the password in any message', () => {
      expect(fake.posted()).not.toContain(PASSWORD);
      expect(fake.posted(['views.publish'])).not.toContain(PASSWORD);
    });
  });

  describe('self-approval and extensions', () => {
    const flow = async (body: Record<string, unknown>) => {
      const res = await w.security.api.post('/api/v1/access-flows', {
        name: `flow-${Math.random().toString(36).slice(2)}`,
        integrationId: w.integrationId,
        permissions: ['read'],
        defaultDuration: '1h',
        maxDuration: '2h',
        ...body,
      });
      expect(res.status).toBe(201);
    };

    it('an approver cannot approve their own request from Slack either', async () => {
      // Asking needs the requester role: bob holds it beside approver here.
      const roles = await w.security.api.request('PATCH', `/api/v1/users/${w.bob.id}`, {
        roles: ['approver', 'requester'],
      });
      expect(roles.status).toBe(200);
      await flow({
        requestors: { userIds: [w.bob.id], groupIds: [] },
        resources: [{ database: 'app', schema: 'reports' }],
        approvers: { userIds: [w.bob.id, w.carol.id] },
      });
      const own = await requestFromSlack(BOB, 'app.reports read 30m month-end report');
      const rest = await w.bob.api.post(`/api/v1/access-requests/${own}/approve`);
      expect(rest.status).toBe(403);
      expect(rest.body.message).toMatch(/own request/);
      await slack.click(BOB, 'doorman_approve', own);
      await ephemeralTo(BOB, rest.body.message);
      expect((await requestRow(own)).status).toBe('PENDING');
    });

    it('a multi-step flow asks each step in turn, and every copy shows the progress', async () => {
      await flow({
        requestors: { userIds: [w.alice.id], groupIds: [] },
        resources: [{ database: 'app', schema: 'steps' }],
        steps: [{ approvers: { userIds: [w.bob.id] } }, { approvers: { userIds: [w.carol.id] } }],
      });
      const id = await requestFromSlack(ALICE, 'app.steps read 30m two-step');
      await dmTo(BOB, (t) => t.includes(id), 'step 1 approval message');
      const bobsCopy = fake.messagesTo(BOB).find((m) => JSON.stringify(m.blocks).includes(id))!;
      await noticesSettled();
      const toCarol = () =>
        fake
          .callsOf('chat.postMessage')
          .filter(
            (c) => c.args.channel === fake.dmOf(CAROL) && JSON.stringify(c.args).includes(id),
          );
      expect(toCarol()).toEqual([]);

      await slack.click(BOB, 'doorman_approve', id);
      const ask = await dmTo(CAROL, (t) => t.includes(id), 'step 2 approval message');
      expect(JSON.stringify(ask.args.blocks)).toContain('approved by <@UBOB> (step 1)');
      expect((await requestRow(id)).status).toBe('PENDING');

      await slack.click(CAROL, 'doorman_approve', id);
      await waitFor('GRANTING', async () => (await requestRow(id)).status === 'GRANTING');
      await waitFor("bob's copy updated", async () =>
        JSON.stringify(fake.messagesTo(BOB).find((m) => m.ts === bobsCopy.ts)?.blocks).includes(
          '*approved* by <@UCAROL>',
        ),
      );
    });

    it("a flow with a Slack channel asks there, step by step, naming who may decide; others' clicks change nothing", async () => {
      fake.addChannel('CAPPROVALS');
      await flow({
        requestors: { userIds: [w.mallory.id], groupIds: [] },
        resources: [{ database: 'app', schema: 'chan' }],
        steps: [{ approvers: { userIds: [w.bob.id] } }, { approvers: { userIds: [w.carol.id] } }],
        slackChannel: 'CAPPROVALS',
      });
      const id = await requestFromSlack(MALLORY, 'app.chan read 30m channel flow');
      const postsAbout = () =>
        fake.messagesIn('CAPPROVALS').filter((m) => JSON.stringify(m.blocks).includes(id));
      await waitFor('the step 1 post in the channel', async () => postsAbout().length === 1);
      expect(JSON.stringify(postsAbout()[0].blocks)).toContain('Can decide: <@UBOB>');
      await dmTo(MALLORY, (t) => t.includes('<@UBOB>'), 'submitted, naming bob');
      const dmAbout = (u: string) =>
        fake
          .callsOf('chat.postMessage')
          .filter(
            (c) =>
              c.args.channel === fake.dmOf(u) &&
              JSON.stringify(c.args).includes(id) &&
              JSON.stringify(c.args).includes('doorman_approve'),
          );
      expect(dmAbout(BOB)).toEqual([]);

      // Carol is in the channel but decides step 2, not step 1.
      await slack.click(CAROL, 'doorman_approve', id, { channel: 'CAPPROVALS' });
      await waitFor('a refusal to carol', async () =>
        fake
          .callsOf('chat.postEphemeral')
          .find((c) => c.args.user === CAROL && c.args.channel === 'CAPPROVALS'),
      );
      expect((await requestRow(id)).status).toBe('PENDING');
      expect((await db.query('SELECT 1 FROM approvals WHERE request_id = $1', [id])).rows).toEqual(
        [],
      );

      await slack.click(BOB, 'doorman_approve', id, { channel: 'CAPPROVALS' });
      await waitFor('the step 2 post', async () => postsAbout().length === 2);
      const second = JSON.stringify(postsAbout()[1].blocks);
      expect(second).toContain('Can decide: <@UCAROL>');
      expect(second).toContain('approved by <@UBOB> (step 1)');
      expect(dmAbout(CAROL)).toEqual([]);

      await slack.click(CAROL, 'doorman_approve', id, { channel: 'CAPPROVALS' });
      await waitFor('GRANTING', async () => (await requestRow(id)).status === 'GRANTING');
      await waitFor('both posts updated in place', async () =>
        postsAbout().every((m) => JSON.stringify(m.blocks).includes('*approved* by <@UCAROL>')),
      );
      expect(postsAbout().flatMap((m) => buttonsOf(m.blocks))).toEqual([]);
    });

    it('a channel Doorman cannot post to falls back to asking the approvers by DM', async () => {
      await flow({
        requestors: { userIds: [w.mallory.id], groupIds: [] },
        resources: [{ database: 'app', schema: 'nochan' }],
        approvers: { userIds: [w.bob.id] },
        slackChannel: 'CARCHIVED',
      });
      const id = await requestFromSlack(MALLORY, 'app.nochan read 30m lost channel');
      await dmTo(BOB, (t) => t.includes(id) && t.includes('doorman_approve'), 'the approval DM');
      expect(
        fake.calls.some((c) => c.args.channel === 'CARCHIVED' && c.error === 'channel_not_found'),
      ).toBe(true);
    });

    it('refuses a flow whose Slack channel is not a channel id', async () => {
      const res = await w.security.api.post('/api/v1/access-flows', {
        name: 'bad-channel',
        integrationId: w.integrationId,
        permissions: ['read'],
        defaultDuration: '1h',
        maxDuration: '2h',
        requestors: { userIds: [w.alice.id], groupIds: [] },
        resources: [{ database: 'app', schema: 'x' }],
        approvers: { userIds: [w.bob.id] },
        slackChannel: '#approvals',
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/slackChannel.*Slack channel id/);
    });

    it('Extend on the expiry warning asks for a duration and extends under the flow rules', async () => {
      await flow({
        requestors: { userIds: [w.alice.id], groupIds: [] },
        resources: [{ database: 'app', schema: 'ext' }],
        approvers: { userIds: [w.bob.id] },
        extensions: { maxCount: 1, maxDuration: '1h', auto: true },
      });
      const grant = await requestFromSlack(ALICE, 'app.ext read 30m nightly job');
      await slack.click(BOB, 'doorman_approve', grant);
      await waitFor('GRANTING', async () => (await requestRow(grant)).status === 'GRANTING');
      await activate(grant);
      const before = (await requestRow(grant)).expires_at as Date;
      const warning = await dmTo(
        ALICE,
        (t) => t.includes('expires') && t.includes(grant),
        'expiring soon',
      );
      expect(buttonsOf(warning.args.blocks).map((b) => b.action_id)).toEqual([
        'doorman_extend',
        'doorman_revoke',
      ]);
      await slack.click(ALICE, 'doorman_extend', grant);
      const modal = await waitFor('the extend modal', async () =>
        fake.callsOf('views.open').find((c) => c.args.view.callback_id === 'doorman_extend_modal'),
      );
      expect(modal.args.view.private_metadata).toBe(grant);
      const values = (d: string) => ({
        duration: { duration: { value: d } },
        justification: { justification: { value: 'job overran' } },
      });
      const tooMuch = await slack.submitView(ALICE, 'doorman_extend_modal', values('3h'), grant);
      expect(tooMuch.json?.response_action).toBe('errors');
      const ok = await slack.submitView(ALICE, 'doorman_extend_modal', values('30m'), grant);
      expect(ok.status).toBe(200);
      await waitFor('the new expiry', async () => {
        const r = await requestRow(grant);
        return (r.expires_at as Date).getTime() === before.getTime() + 30 * 60 * 1000;
      });
      await dmTo(ALICE, (t) => t.includes('was extended'), 'extended');
      const audit = await db.query(
        `SELECT channel FROM audit_events WHERE action = 'extension.requested' AND actor_id = $1`,
        [w.alice.id],
      );
      expect(audit.rows).toEqual([{ channel: 'slack' }]);
    });
  });

  describe('notices to owners and security', () => {
    it('a break-glass grant is announced to the integration owners and security', async () => {
      const res = await w.security.api.post('/api/v1/access-flows', {
        name: `glass-${Math.random().toString(36).slice(2)}`,
        integrationId: w.integrationId,
        requestors: { userIds: [w.alice.id], groupIds: [] },
        resources: [{ database: 'app', schema: 'glass' }],
        permissions: ['write'],
        approvers: { userIds: [w.bob.id] },
        defaultDuration: '1h',
        maxDuration: '2h',
        breakGlass: { userIds: [w.alice.id] },
      });
      expect(res.status).toBe(201);
      const req = await w.alice.api.post('/api/v1/access-requests', {
        integrationId: w.integrationId,
        database: 'app',
        schema: 'glass',
        permission: 'write',
        duration: '30m',
        justification: 'prod incident 7',
        breakGlass: true,
      });
      expect(req.status).toBe(201);
      const notice = await dmTo(SECURITY, (t) => t.includes('break-glass'), 'break-glass notice');
      expect(JSON.stringify(notice.args)).toContain('prod incident 7');
      // Decided before anyone could be asked: no approval messages for it.
      await noticesSettled();
      expect(fake.posted(['chat.postMessage'])).not.toContain(
        `"action_id":"doorman_approve","value":"${req.body.id}"`,
      );

      // Close review on the notice: security only, through the same service as REST.
      await slack.click(ALICE, 'doorman_review_open', req.body.id);
      await ephemeralTo(ALICE, 'only security or an admin may close a break-glass review');
      await slack.click(SECURITY, 'doorman_review_open', req.body.id);
      await waitFor('the review form', async () =>
        fake
          .callsOf('views.open')
          .find(
            (c) =>
              c.args.view.callback_id === 'doorman_review_modal' &&
              c.args.view.private_metadata === req.body.id,
          ),
      );
      const blank = await slack.submitView(
        SECURITY,
        'doorman_review_modal',
        { note: { note: { value: '   ' } } },
        req.body.id,
      );
      expect(blank.json.errors.note).toContain('say what the review found');
      const done = await slack.submitView(
        SECURITY,
        'doorman_review_modal',
        { note: { note: { value: 'session log checked' } } },
        req.body.id,
      );
      expect(done.json?.errors).toBeUndefined();
      expect(await requestRow(req.body.id)).toMatchObject({
        review_status: 'closed',
        review_note: 'session log checked',
        review_closed_by: w.security.id,
      });
      await waitFor('the notice updated in place', async () =>
        fake
          .callsOf('chat.update')
          .find(
            (c) =>
              c.args.channel === fake.dmOf(SECURITY) &&
              JSON.stringify(c.args).includes('*Review closed* by <@USECURITY>'),
          ),
      );
      await slack.click(SECURITY, 'doorman_review_open', req.body.id);
      await ephemeralTo(SECURITY, 'already closed by <@USECURITY>');
    });

    it('a grant that can never be applied is reported to the requester and the owners', async () => {
      const id = await requestFromSlack(ALICE, 'app.public write 20m bulk fix');
      await slack.click(BOB, 'doorman_approve', id);
      await waitFor('GRANTING', async () => (await requestRow(id)).status === 'GRANTING');
      const row = await requestRow(id);
      const du = (
        await db.query('SELECT username FROM database_users WHERE user_id = $1', [w.alice.id])
      ).rows[0];
      await app.get(SyncResultsService).onSyncResult({
        v: CONTRACT_VERSION,
        kind: 'sync-user',
        connectorId: w.connectorId,
        jobId: jobIds.sync(w.integrationId, w.alice.id, row.sync_generation),
        integrationId: w.integrationId,
        personId: w.alice.id,
        username: du.username,
        generation: row.sync_generation,
        attempt: 1,
        status: 'failed',
        sessionsTerminated: 0,
        effects: [],
        error: { code: 'SCHEMA_MISSING', message: 'schema "public" is gone', retryable: false },
      });
      expect((await requestRow(id)).status).toBe('FAILED');
      for (const who of [ALICE, SECURITY]) {
        const msg = await dmTo(
          who,
          (t) => t.includes('could not be granted') && t.includes('is gone'),
          'failure',
        );
        expect(msg).toBeDefined();
      }
    });
  });

  describe('the modal, deny with a reason, App Home', () => {
    let second: string;

    it('/access opens a form with what my flows offer; refusals land on its fields', async () => {
      const trigger = slack.trigger();
      await slack.command(ALICE, '', trigger);
      const open = await waitFor('the request modal', async () =>
        fake.callsOf('views.open').find((c) => c.args.trigger_id === trigger),
      );
      const view = open.args.view;
      expect(view.callback_id).toBe('doorman_request');
      const resource = view.blocks.find((b: any) => b.block_id === 'resource');
      // Only what alice's flows offer, not bob's reports schema.
      expect(resource.element.options.map((o: any) => o.value)).toEqual([
        `${w.integrationId}|app|ext`,
        `${w.integrationId}|app|glass`,
        `${w.integrationId}|app|public`,
        `${w.integrationId}|app|steps`,
      ]);
      const values = (duration: string) => ({
        resource: { resource: { selected_option: { value: `${w.integrationId}|app|public` } } },
        permission: { permission: { selected_option: { value: 'write' } } },
        duration: { duration: { value: duration } },
        justification: { justification: { value: 'migration dry run' } },
      });
      const tooLong = await slack.submitView(ALICE, 'doorman_request', values('5h'));
      expect(tooLong.status).toBe(200);
      expect(tooLong.json).toEqual({
        response_action: 'errors',
        errors: { duration: expect.stringContaining('exceeds the maximum of 2h') },
      });
      const ok = await slack.submitView(ALICE, 'doorman_request', values('15m'));
      expect(ok.status).toBe(200);
      expect(ok.text).toBe('');
      second = await waitFor('the request from the form', async () => {
        const r = await db.query(
          `SELECT id FROM access_requests WHERE justification = 'migration dry run' AND requester_id = $1`,
          [w.alice.id],
        );
        return r.rows[0]?.id as string | undefined;
      });
      expect((await requestRow(second)).duration_seconds).toBe(900);
    });

    it('App Home shows an approver what waits for them, and follows changes', async () => {
      await dmTo(CAROL, (t) => t.includes(second), 'the approval message');
      const published = fake.callsOf('views.publish').length;
      await slack.event({ type: 'app_home_opened', user: CAROL, channel: 'DHOME', tab: 'home' });
      const home = await waitFor('the home tab', async () =>
        fake
          .callsOf('views.publish')
          .slice(published)
          .find((c) => c.args.user_id === CAROL),
      );
      const text = JSON.stringify(home.args.view);
      expect(text).toContain('Waiting for my approval');
      expect(buttonsOf(home.args.view.blocks).map((b) => [b.action_id, b.value])).toContainEqual([
        'doorman_approve',
        second,
      ]);
      // Refreshed without being opened: the request arrives in bob's list too (its own notice
      // job, which may run after carol's).
      await waitFor("bob's home with the request", async () =>
        fake
          .callsOf('views.publish')
          .some((c) => c.args.user_id === BOB && JSON.stringify(c.args.view).includes(second)),
      );
    });

    it('Deny asks for a reason, and the requester is told who denied and why', async () => {
      await slack.click(CAROL, 'doorman_deny_open', second);
      const modal = await waitFor('the deny modal', async () =>
        fake.callsOf('views.open').find((c) => c.args.view.callback_id === 'doorman_deny'),
      );
      expect(modal.args.view.private_metadata).toBe(second);
      const res = await slack.submitView(
        CAROL,
        'doorman_deny',
        { reason: { reason: { value: 'not during the release freeze' } } },
        second,
      );
      expect(res.status).toBe(200);
      const row = await requestRow(second);
      expect(row).toMatchObject({
        status: 'DENIED',
        status_reason: 'not during the release freeze',
      });
      await dmTo(
        ALICE,
        (t) => t.includes('*denied* by <@UCAROL>') && t.includes('not during the release freeze'),
        'denied with the reason',
      );
      // A late approval is refused and says who decided.
      await slack.click(BOB, 'doorman_approve', second);
      await ephemeralTo(BOB, 'already denied by <@UCAROL>');
    });

    it('/access list shows my requests', async () => {
      await slack.command(ALICE, 'list');
      const msg = await ephemeralTo(ALICE, 'Your access requests');
      expect(msg.args.text).toMatch(/\*write\* on .* · denied/);
      expect(msg.args.text).toMatch(/\*read\* on .* · active until <!date\^\d+\^.*\(\d+m left\)/);
      // The first grant ended when the connector's next result realised its revoke.
      expect(msg.args.text).toMatch(/\*read\* on .* · ended/);
      // Slack's words, not the API's statuses.
      expect(msg.args.text).not.toMatch(/DENIED|ACTIVE|REVOKED/);
      const ended = await dmTo(ALICE, (t) => t.includes('has ended (revoked by you)'), 'ended');
      // It links to the grant's signed receipt: the console's page, which checks its signature.
      expect(JSON.stringify(ended.args)).toMatch(
        /<http[^|>]+\/console\/requests\/[0-9a-f-]{36}\/receipt\|Signed access receipt>/,
      );
    });
  });
});
