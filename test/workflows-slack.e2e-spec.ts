import type { Client } from 'pg';
import {
  canRead as canReadAs,
  roleOf,
  untilStatus,
  validUntilIs as validUntilFollows,
  type Creds,
} from './support/access-checks';
import { waitFor } from './support/broker-env';
import type { FakeSlack } from './support/fake-slack';
import { createPerson, type Person } from './support/fixtures';
import type { SlackDriver } from './support/slack-driver';
import { startSlackStack, type SlackStack } from './support/stack';
import type { TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

const SCHEMAS = ['quorum', 'escalate', 'extend', 'overlap_a', 'overlap_b', 'glass', 'incident'];

/** A message the fake Slack holds; chat.update changes this very object. */
interface Posted {
  channel: string;
  ts: string;
  text?: string;
  blocks?: any[];
}

/**
 * Approval workflows through Slack only (the REST half is workflows.e2e-spec.ts): requests by `/access`,
 * decisions by Approve / Deny clicked by different Slack users, Extend, `/access revoke-all`,
 * `/access break-glass` and Close review — with real broker and connector processes and a
 * throwaway target cluster, checked on the target itself. People, groups and flows are set up
 * through the REST admin API.
 */
describe('approval workflows through Slack', () => {
  let stack: SlackStack;
  let fake: FakeSlack;
  let slack: SlackDriver;
  let target: TargetPostgres;
  let alice: Person, gina: Person, hugo: Person, bob: Person, carol: Person, dora: Person;
  let erin: Person, frank: Person, sec: Person;
  let integrationId: string;
  let integrationName: string;
  let dbaGroupId: string;
  let serverVersion: number;
  const openClients: Client[] = [];

  beforeAll(async () => {
    stack = await startSlackStack({
      broker: {
        SWEEP_INTERVAL_MS: '500',
        // Every grant here is shorter than this, so each gets its "expiring soon" DM at once.
        SLACK_EXPIRY_WARNING_SECONDS: '3600',
        SLACK_EXPIRY_CHECK_MS: '500',
      },
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        for (const s of SCHEMAS) {
          await t.query(`CREATE SCHEMA ${s}`, [], 'app');
          await t.query(`CREATE TABLE ${s}.t (id int)`, [], 'app');
          await t.query(`INSERT INTO ${s}.t VALUES (1)`, [], 'app');
        }
      },
    });
    ({ fake, slack, target } = stack);
    const admin = stack.admin;
    alice = await createPerson(admin, 'alice');
    gina = await createPerson(admin, 'gina');
    hugo = await createPerson(admin, 'hugo');
    bob = await createPerson(admin, 'bob', ['approver']);
    carol = await createPerson(admin, 'carol', ['approver']);
    dora = await createPerson(admin, 'dora', ['approver']);
    erin = await createPerson(admin, 'erin', ['approver']);
    frank = await createPerson(admin, 'frank', ['approver']);
    sec = await createPerson(admin, 'sec', ['security']);
    // Slack knows them by email; the broker links each Slack id on first contact.
    for (const [id, p] of Object.entries({
      UALICE: alice,
      UGINA: gina,
      UHUGO: hugo,
      UBOB: bob,
      UCAROL: carol,
      UDORA: dora,
      UERIN: erin,
      UFRANK: frank,
      USEC: sec,
    }))
      fake.addUser(id, p.email);
    dbaGroupId = (await sec.api.post('/api/v1/groups', { name: 'dba', memberIds: [dora.id] })).body
      .id;
    const connectorId = (await sec.api.post('/api/v1/connectors', { name: 'wf-slack-site' })).body
      .id;
    integrationName = `wf-slack-${Date.now().toString(36)}`;
    const integration = await sec.api.post('/api/v1/integrations', {
      name: integrationName,
      connectorId,
      host: '127.0.0.1',
      port: target.port,
      databases: ['app'],
      sslMode: 'verify-full',
      // Ended users stay (NOLOGIN) for a day, so the end of access can be read in pg_roles.
      cleanupDays: 1,
      ownerIds: [sec.id],
    });
    integrationId = integration.body.id;
    stack.startConnector(connectorId);
    await stack.connectorHealthy(connectorId);
    serverVersion = (
      await target.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v")
    ).rows[0].v;
  });

  afterAll(async () => {
    await Promise.allSettled(openClients.map((c) => c.end()));
    await stack?.stop();
  });

  // ---- set-up through REST -------------------------------------------------------------

  const flow = async (schema: string, body: Record<string, unknown>) => {
    const res = await sec.api.post('/api/v1/access-flows', {
      name: `flow-${schema}`,
      integrationId,
      requestors: { userIds: [alice.id, gina.id, hugo.id] },
      resources: [{ database: 'app', schema }],
      permissions: ['read'],
      defaultDuration: '10m',
      maxDuration: '1h',
      ...body,
    });
    if (res.status !== 201) throw new Error(`flow ${schema}: ${JSON.stringify(res.body)}`);
  };

  // ---- what Slack shows --------------------------------------------------------------------

  const buttons = (m: Posted) =>
    (m.blocks ?? []).flatMap((b) => b.elements ?? []).filter((e: any) => e.type === 'button');
  const valueOf = (m: Posted, actionId: string): string => {
    const b = buttons(m).find((e: any) => e.action_id === actionId);
    if (!b) throw new Error(`no ${actionId} button on ${JSON.stringify(m.blocks)}`);
    return b.value as string;
  };
  const shown = (m: Posted) => JSON.stringify(m.blocks ?? m.text ?? '');

  /** The live copy of a DM to `user` (updated in place by chat.update), found by its content. */
  const dm = (user: string, match: (shown: string) => boolean, what: string, ms = 30000) =>
    waitFor(
      `a DM to ${user}: ${what}`,
      async () => fake.messagesTo(user).find((m) => match(shown(m))),
      ms,
      100,
    );
  const dmsTo = (user: string, match: (shown: string) => boolean) =>
    fake.messagesTo(user).filter((m) => match(shown(m)));

  /** The approval message an approver got for the request with this justification. */
  const approvalFor = (user: string, reason: string) =>
    dm(user, (s) => s.includes('doorman_approve') && s.includes(reason), `approval of ${reason}`);

  /**
   * What only `user` was shown (through the response_url, ephemeral, or a DM that is not an
   * approval) after the first `since` things they were shown.
   */
  const answersTo = (user: string, since: number) =>
    fake
      .seenBy(user)
      .slice(since)
      .filter((a) => !JSON.stringify(a.blocks ?? '').includes('doorman_approve'))
      .map((a) => JSON.stringify(a));

  /** The first such answer containing `fragment`; a timeout names what was said instead. */
  const answerTo = async (user: string, since: number, fragment: string) => {
    try {
      return await waitFor(
        `an answer to ${user} saying "${fragment}"`,
        async () => answersTo(user, since).find((a) => a.includes(fragment)),
        30000,
        100,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; was told: ${answersTo(user, since).join(' | ')}`);
    }
  };

  /** A click, and what the broker answered the clicker. */
  const clickAndHear = async (user: string, actionId: string, id: string, fragment: string) => {
    const since = fake.seenBy(user).length;
    expect((await slack.click(user, actionId, id)).status).toBe(200);
    return answerTo(user, since, fragment);
  };

  /** `/access …` as `user`; resolves with the broker's answer. */
  const command = async (user: string, text: string, fragment: string) => {
    const since = fake.seenBy(user).length;
    expect((await slack.command(user, text)).status).toBe(200);
    return answerTo(user, since, fragment);
  };
  const ask = (user: string, schema: string, duration: string, reason: string) =>
    command(
      user,
      `${integrationName} app.${schema} read ${duration} ${reason}`,
      'Request submitted',
    );

  /** A click that opens a modal; resolves with the views.open call carrying it. */
  const clickForModal = async (user: string, actionId: string, id: string, callbackId: string) => {
    const since = fake.calls.length;
    expect((await slack.click(user, actionId, id)).status).toBe(200);
    return waitFor(`the ${callbackId} modal`, async () =>
      fake.calls
        .slice(since)
        .find((c) => c.ok && c.method === 'views.open' && c.args.view.callback_id === callbackId),
    );
  };

  /** Reveal credentials: the modal Slack opens for the click, read as a person would. */
  const reveal = async (user: string, id: string): Promise<Creds> => {
    const modal = await clickForModal(user, 'doorman_reveal', id, 'doorman_credentials');
    const fields: string[] = modal.args.view.blocks[0].fields.map((f: any) => f.text);
    const field = (name: string) =>
      /`([^`]*)`/.exec(fields.find((f) => f.startsWith(`*${name}*`))!)![1];
    return { username: field('User'), password: field('Password') };
  };

  // ---- what is true on the broker and the target --------------------------------------

  const request = async (id: string) => (await sec.api.get(`/api/v1/access-requests/${id}`)).body;
  const until = (id: string, want: string, ms = 30000) => untilStatus(sec.api, id, want, ms);
  const role = async (username: string) => (await roleOf(target, username))!;
  const validUntilIs = (username: string, expiresAt: string) =>
    validUntilFollows(target, username, expiresAt);
  const canRead = (schema: string, creds: Creds) => canReadAs(target, schema, creds);
  /** A session kept open (closed after all tests); null when the login is refused. */
  const login = async (creds: Creds): Promise<Client | null> => {
    try {
      const c = await target.connect(creds.username, creds.password, 'app', {
        applicationName: 'wf-slack-e2e',
      });
      openClients.push(c);
      return c;
    } catch {
      return null;
    }
  };
  const sessionAlive = async (pid: number) =>
    (await target.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;

  // ---- the six scenarios ------------------------------------------------------------------

  it('two steps, quorum 2 then the dba group: each click counts once, every copy shows who decided', async () => {
    await flow('quorum', {
      steps: [
        { approvers: { userIds: [bob.id, carol.id] }, quorum: 2 },
        { approvers: { groupIds: [dbaGroupId] }, quorum: 1 },
      ],
    });
    await ask('UALICE', 'quorum', '10m', 'quorum-check');
    const bobs = await approvalFor('UBOB', 'quorum-check');
    const carols = await approvalFor('UCAROL', 'quorum-check');
    const id = valueOf(bobs, 'doorman_approve');
    expect(valueOf(carols, 'doorman_approve')).toBe(id);
    expect(dmsTo('UDORA', (s) => s.includes('quorum-check'))).toEqual([]); // step 2 not reached

    await clickAndHear('UDORA', 'doorman_approve', id, 'not an approver of step 1');
    await clickAndHear('UALICE', 'doorman_approve', id, 'Not allowed');
    await slack.click('UBOB', 'doorman_approve', id);
    // One approval of two: both copies say so and keep their buttons; the request waits.
    await waitFor('the progress on both copies', async () =>
      [bobs, carols].every(
        (m) => shown(m).includes('approved by <@UBOB> (step 1)') && buttons(m).length === 2,
      ),
    );
    expect(await request(id)).toMatchObject({ status: 'PENDING', currentStep: 1 });
    await clickAndHear('UBOB', 'doorman_approve', id, 'already decided step 1');
    expect(await request(id)).toMatchObject({ status: 'PENDING', currentStep: 1 });

    // The second approver completes step 1: now the dba group is asked, with the approvals so far.
    await slack.click('UCAROL', 'doorman_approve', id);
    const doras = await approvalFor('UDORA', 'quorum-check');
    expect(shown(doras)).toContain('approved by <@UBOB> (step 1)');
    expect(shown(doras)).toContain('approved by <@UCAROL> (step 1)');
    expect(await request(id)).toMatchObject({ status: 'PENDING', currentStep: 2 });

    await slack.click('UDORA', 'doorman_approve', id);
    const granted = await until(id, 'ACTIVE');
    for (const m of [bobs, carols, doras])
      await waitFor(
        'every copy to show the decision',
        async () => shown(m).includes('*approved* by <@UDORA>') && buttons(m).length === 0,
      );
    await dm('UALICE', (s) => s.includes('quorum') && s.includes('by <@UDORA>'), 'approved');
    await clickAndHear('UCAROL', 'doorman_approve', id, 'already approved by <@UDORA>');

    const approvals = (await sec.api.get(`/api/v1/access-requests/${id}/approvals`)).body;
    expect(
      approvals.map((a: { step: number; approverId: string; channel: string }) => [
        a.step,
        a.approverId,
        a.channel,
      ]),
    ).toEqual([
      [1, bob.id, 'slack'],
      [1, carol.id, 'slack'],
      [2, dora.id, 'slack'],
    ]);

    await dm('UALICE', (s) => s.includes('is ready') && s.includes(id), 'ready');
    const creds = await reveal('UALICE', id);
    expect(await canRead('quorum', creds)).toBe(true);
    expect((await role(creds.username)).rolcanlogin).toBe(true);
    await validUntilIs(creds.username, granted.expiresAt);
  });

  it('a step that times out escalates: the fallback is asked in Slack and decides', async () => {
    await flow('escalate', {
      steps: [
        {
          approvers: { userIds: [erin.id] },
          // Long enough for frank's early click below to land before the escalation.
          timeout: '15s',
          onTimeout: 'escalate',
          fallback: { userIds: [frank.id] },
        },
      ],
    });
    // This one through the form: /access opens it, the submission makes the request.
    const trigger = slack.trigger();
    await slack.command('UALICE', '', trigger);
    const form = await waitFor('the request form', async () =>
      fake.callsOf('views.open').find((c) => c.args.trigger_id === trigger),
    );
    expect(JSON.stringify(form.args.view)).toContain(`${integrationId}|app|escalate`);
    const submitted = await slack.submitView('UALICE', 'doorman_request', {
      resource: { resource: { selected_option: { value: `${integrationId}|app|escalate` } } },
      permission: { permission: { selected_option: { value: 'read' } } },
      duration: { duration: { value: '10m' } },
      justification: { justification: { value: 'escalation-check' } },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.json?.errors).toBeUndefined();

    const erins = await approvalFor('UERIN', 'escalation-check');
    const id = valueOf(erins, 'doorman_approve');
    await clickAndHear('UFRANK', 'doorman_approve', id, 'Not allowed');
    expect((await request(id)).status).toBe('PENDING');

    const franks = await approvalFor('UFRANK', 'escalation-check');
    expect((await request(id)).escalated).toBe(true);
    await slack.click('UFRANK', 'doorman_approve', id);
    await until(id, 'ACTIVE');
    for (const m of [erins, franks])
      await waitFor(
        'both copies to show the fallback decided',
        async () => shown(m).includes('*approved* by <@UFRANK>') && buttons(m).length === 0,
      );
    const creds = await reveal('UALICE', id);
    expect(await canRead('escalate', creds)).toBe(true);
    const trail = (await sec.api.get(`/api/v1/audit-events?requestId=${id}`)).body;
    expect(trail.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['request.created', 'request.escalated', 'request.approved']),
    );
    expect(trail.find((e: { action: string }) => e.action === 'request.approved')).toMatchObject({
      actorId: frank.id,
      channel: 'slack',
    });
  });

  it('Extend on the expiring-soon message: approved in Slack, the expiry and VALID UNTIL move', async () => {
    await flow('extend', {
      approvers: { userIds: [bob.id] },
      extensions: { maxCount: 1, maxDuration: '30m' },
    });
    await ask('UHUGO', 'extend', '5m', 'extend-base');
    const id = valueOf(await approvalFor('UBOB', 'extend-base'), 'doorman_approve');
    await slack.click('UBOB', 'doorman_approve', id);
    const active = await until(id, 'ACTIVE');
    const creds = await reveal('UHUGO', id);
    await validUntilIs(creds.username, active.expiresAt);

    const warning = await dm(
      'UHUGO',
      (s) => s.includes('expires') && s.includes('doorman_extend') && s.includes(id),
      'expiring soon, with Extend',
    );
    const form = await clickForModal(
      'UHUGO',
      'doorman_extend',
      valueOf(warning, 'doorman_extend'),
      'doorman_extend_modal',
    );
    expect(form.args.view.private_metadata).toBe(id);
    const extended = await slack.submitView(
      'UHUGO',
      'doorman_extend_modal',
      {
        duration: { duration: { value: '20m' } },
        justification: { justification: { value: 'extend-more' } },
      },
      id,
    );
    expect(extended.status).toBe(200);
    expect(extended.json?.errors).toBeUndefined();

    const bobs = await approvalFor('UBOB', 'extend-more');
    expect(shown(bobs)).toContain('asks to extend');
    await clickAndHear('UHUGO', 'doorman_approve', valueOf(bobs, 'doorman_approve'), 'Not allowed');
    await slack.click('UBOB', 'doorman_approve', valueOf(bobs, 'doorman_approve'));
    await dm('UHUGO', (s) => s.includes('was extended'), 'extended');
    const expected = new Date(new Date(active.expiresAt).getTime() + 20 * 60_000).toISOString();
    const moved = await waitFor('the expiry to move', async () => {
      const r = await request(id);
      return new Date(r.expiresAt).getTime() === new Date(expected).getTime() ? r : undefined;
    });
    expect(moved).toMatchObject({ status: 'ACTIVE', extensionCount: 1 });
    await validUntilIs(creds.username, expected);
    expect(await canRead('extend', creds)).toBe(true);
    await waitFor('bob’s copy to show his decision', async () =>
      shown(bobs).includes('*approved* by <@UBOB>'),
    );

    // The flow allows one extension: the second is refused on the form itself.
    await slack.click('UHUGO', 'doorman_extend', id);
    const again = await slack.submitView(
      'UHUGO',
      'doorman_extend_modal',
      { duration: { duration: { value: '5m' } }, justification: { justification: { value: '' } } },
      id,
    );
    expect(again.json).toMatchObject({ response_action: 'errors' });
    expect(again.json.errors.duration).toContain("flow's maximum");
  });

  it('overlapping requests: the first expiry leaves the other access (and the login) working', async () => {
    await flow('overlap_a', { approvers: { userIds: [bob.id] } });
    await flow('overlap_b', { approvers: { userIds: [bob.id] } });
    await ask('UGINA', 'overlap_b', '30m', 'overlap-long');
    const long = valueOf(await approvalFor('UBOB', 'overlap-long'), 'doorman_approve');
    await slack.click('UBOB', 'doorman_approve', long);
    const b = await until(long, 'ACTIVE');
    const creds = await reveal('UGINA', long);

    await ask('UGINA', 'overlap_a', '15s', 'overlap-short');
    const short = valueOf(await approvalFor('UBOB', 'overlap-short'), 'doorman_approve');
    await slack.click('UBOB', 'doorman_approve', short);
    const a = await until(short, 'ACTIVE');
    expect(new Date(a.expiresAt).getTime()).toBeLessThan(new Date(b.expiresAt).getTime());
    // One database user, both memberships, the same password; VALID UNTIL is the later expiry.
    expect((await reveal('UGINA', short)).password).toBe(creds.password);
    expect(await canRead('overlap_a', creds)).toBe(true);
    expect(await canRead('overlap_b', creds)).toBe(true);
    await validUntilIs(creds.username, b.expiresAt);
    const session = (await login(creds))!;
    const pid = Number((await session.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);

    await until(short, 'REVOKED', 45000);
    await dm(
      'UGINA',
      (s) =>
        s.includes('has ended (expired)') &&
        s.includes('overlap_a') &&
        s.includes(`Your other access to ${integrationName} continues`),
      'the short access ended, the other continuing',
    );
    expect(await canRead('overlap_a', creds)).toBe(false);
    expect(await canRead('overlap_b', creds)).toBe(true);
    expect((await role(creds.username)).rolcanlogin).toBe(true);
    await validUntilIs(creds.username, b.expiresAt);
    expect((await request(long)).status).toBe('ACTIVE');
    // Before PostgreSQL 16 a session could SET ROLE to the revoked group and keep reading, so
    // the connector ends the person's sessions (no grant left on its database user); from 16 on they live on.
    await waitFor('the session check', async () =>
      serverVersion < 160000 ? !(await sessionAlive(pid)) : await sessionAlive(pid),
    );
  });

  it('break-glass from Slack: granted at once, announced, and closed by security from the notice', async () => {
    await flow('glass', { approvers: { userIds: [bob.id] }, breakGlass: { userIds: [alice.id] } });
    const line = `break-glass ${integrationName} app.glass read 10m`;
    expect(await command('UGINA', `${line} glass-gina`, 'Not allowed')).toContain(
      'break-glass refused',
    );
    expect(await command('UALICE', `${line}`, 'not in the expected form')).toContain('a reason');
    await command('UALICE', `${line} glass-incident prod down`, 'Break-glass access granted');

    const notice = await dm(
      'USEC',
      (s) => s.includes('*break-glass*') && s.includes('glass-incident'),
      'the break-glass notice',
    );
    const id = valueOf(notice, 'doorman_review_open');
    await dm('UALICE', (s) => s.includes('is ready') && s.includes(id), 'ready');
    await dm('UALICE', (s) => s.includes('by break-glass'), 'how it was approved');
    const creds = await reveal('UALICE', id);
    expect(await canRead('glass', creds)).toBe(true);
    const row = await until(id, 'ACTIVE');
    expect(row).toMatchObject({ breakGlass: true, review: { status: 'open' } });
    // Nobody was asked to approve it.
    expect(dmsTo('UBOB', (s) => s.includes('glass-incident'))).toEqual([]);

    // Only security or an admin closes the review, whoever clicks.
    await clickAndHear('UALICE', 'doorman_review_open', id, 'only security or an admin');
    await clickAndHear('UBOB', 'doorman_review_open', id, 'only security or an admin');
    const form = await clickForModal('USEC', 'doorman_review_open', id, 'doorman_review_modal');
    expect(form.args.view.private_metadata).toBe(id);
    const forged = await slack.submitView(
      'UALICE',
      'doorman_review_modal',
      { note: { note: { value: 'nothing to see' } } },
      id,
    );
    expect(forged.json?.errors?.note).toContain('only security or an admin');
    const closed = await slack.submitView(
      'USEC',
      'doorman_review_modal',
      { note: { note: { value: 'checked the session log' } } },
      id,
    );
    expect(closed.status).toBe(200);
    expect(closed.json?.errors).toBeUndefined();
    await waitFor(
      'the notice to show the closed review',
      async () =>
        shown(notice).includes('*Review closed* by <@USEC>') &&
        shown(notice).includes('checked the session log') &&
        buttons(notice).length === 0,
    );
    expect((await request(id)).review).toMatchObject({
      status: 'closed',
      closedBy: sec.id,
      note: 'checked the session log',
    });
    await clickAndHear('USEC', 'doorman_review_open', id, 'already closed by <@USEC>');
    const trail = (await sec.api.get(`/api/v1/audit-events?requestId=${id}`)).body;
    expect(trail.find((e: { action: string }) => e.action === 'request.break_glass')).toMatchObject(
      { actorId: alice.id, channel: 'slack' },
    );
    expect(
      trail.find((e: { action: string }) => e.action === 'break_glass.review_closed'),
    ).toMatchObject({ actorId: sec.id, channel: 'slack' });
  });

  it('/access revoke-all by security ends every grant on the integration, sessions included', async () => {
    await flow('incident', { approvers: { userIds: [bob.id] } });
    await ask('UALICE', 'incident', '30m', 'incident-grant');
    const id = valueOf(await approvalFor('UBOB', 'incident-grant'), 'doorman_approve');
    await slack.click('UBOB', 'doorman_approve', id);
    await until(id, 'ACTIVE');
    const creds = await reveal('UALICE', id);
    const session = (await login(creds))!;
    const pid = Number((await session.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    await ask('UGINA', 'incident', '30m', 'incident-pending');
    const pendingCopy = await approvalFor('UBOB', 'incident-pending');
    const pending = valueOf(pendingCopy, 'doorman_approve');

    expect(await command('UALICE', `revoke-all ${integrationName} nope`, 'Not allowed')).toContain(
      'only security or an admin may revoke everything',
    );
    expect((await request(id)).status).toBe('ACTIVE');

    const answer = await command(
      'USEC',
      `revoke-all ${integrationName} suspected leak`,
      'Revoke-all on',
    );
    expect(answer).toContain('1 pending request(s) denied');
    await until(id, 'REVOKED');
    await until(pending, 'DENIED');
    const everything = (await sec.api.get('/api/v1/access-requests?limit=500')).body.filter(
      (r: { integrationId: string }) => r.integrationId === integrationId,
    );
    await waitFor('every grant on the integration to end', async () => {
      const now = await Promise.all(everything.map((r: { id: string }) => request(r.id)));
      return now.every(
        (r) => !['ACTIVE', 'APPROVED', 'GRANTING', 'REVOKING', 'PENDING'].includes(r.status),
      );
    });

    // On the target: nobody Doorman manages can log in, and the open session is gone.
    const managed = await target.query<{ rolname: string; rolcanlogin: boolean; ms: string }>(
      `SELECT r.rolname, r.rolcanlogin, extract(epoch FROM r.rolvaliduntil) * 1000 AS ms
         FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid
         JOIN pg_roles g ON g.oid = m.roleid AND g.rolname = 'doorman_managed'`,
    );
    expect(managed.rows.length).toBeGreaterThanOrEqual(2); // alice's and gina's users
    for (const r of managed.rows) {
      expect(r.rolcanlogin).toBe(false);
      expect(Number(r.ms)).toBeLessThanOrEqual(Date.now());
    }
    expect(await login(creds)).toBeNull();
    await waitFor('the session to be terminated', async () => !(await sessionAlive(pid)));
    expect(
      (await target.query('SELECT 1 FROM pg_stat_activity WHERE usename = $1', [creds.username]))
        .rowCount,
    ).toBe(0);

    // In Slack: the requester is told who ended it; the pending request's copy says who denied it.
    await dm(
      'UALICE',
      (s) => s.includes('has ended (revoked by <@USEC>)') && s.includes('incident'),
      'ended by security',
    );
    await waitFor(
      'the pending copy to show the denial',
      async () =>
        shown(pendingCopy).includes('*denied* by <@USEC>') && buttons(pendingCopy).length === 0,
    );
    await dm('UGINA', (s) => s.includes('*denied*') && s.includes('<@USEC>'), 'denied');
    const trail = (await sec.api.get('/api/v1/audit-events?action=integration.revoke_all')).body;
    expect(trail[0]).toMatchObject({ actorId: sec.id, channel: 'slack' });
  });
});
