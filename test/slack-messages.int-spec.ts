import { CONTRACT_VERSION, jobIds } from '@doorman/contracts';
import { loadSealPublicKey, seal } from '@doorman/crypto';
import { SyncResultsService } from '../apps/broker/src/grants/sync-results.service';
import { waitFor } from './support/broker-env';
import type { FakeSlack, SeenAnswer } from './support/fake-slack';
import type { World } from './support/fixtures';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';
import type { SlackDriver } from './support/slack-driver';

jest.setTimeout(30_000);

const SLACK_DATE = /<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>/;

/**
 * What a Slack user sees speaks Slack (dates as Slack renders them, buttons, words
 * instead of routes and statuses), a request can be cancelled in Slack, messages stay true
 * after access ended, and refused decisions from Slack are audited.
 */
describe('Slack messages speak Slack and stay true (strict fake Slack)', () => {
  let stack: SlackBroker;
  let fake: FakeSlack;
  let slack: SlackDriver;
  let w: World;
  let integrationName: string;

  const ALICE = 'UALICE';
  const BOB = 'UBOB';
  const MALLORY = 'UMALLORY';
  const ROOM = 'G0PRIVATE';

  beforeAll(async () => {
    stack = await startSlackBroker();
    ({ fake, slack, w, integrationName } = stack);
    fake.addUser(ALICE, w.alice.email);
    fake.addUser(BOB, w.bob.email);
    fake.addUser(MALLORY, w.mallory.email);
    fake.addPrivateChannel(ROOM, [ALICE, BOB, MALLORY]);
    // Alice may extend what she gets on app.sales once.
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: `sales-${Date.now().toString(36)}`,
      integrationId: w.integrationId,
      requestors: { userIds: [w.alice.id], groupIds: [] },
      resources: [{ database: 'app', schema: 'sales' }],
      permissions: ['read'],
      approvers: { userIds: [w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
      extensions: { maxCount: 1, maxDuration: '1h', auto: false },
    });
    expect(flow.status).toBe(201);
  });

  afterAll(async () => stack?.close());

  const row = async (id: string) =>
    (await stack.db.query('SELECT * FROM access_requests WHERE id = $1', [id])).rows[0];
  const buttonsOf = (blocks: any[] | undefined): any[] =>
    (blocks ?? [])
      .flatMap((b) => [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])])
      .filter((e) => e.type === 'button');
  const seen = (user: string, since: number, text: string): Promise<SeenAnswer> =>
    waitFor(`${user} to be shown "${text}"`, async () =>
      fake
        .seenBy(user)
        .slice(since)
        .find((a) => JSON.stringify(a).includes(text)),
    );
  /** A DM to `user` as it stands now (updates applied). */
  const dmNow = (
    user: string,
    match: (m: { ts: string; text?: string; blocks?: any[] }) => boolean,
  ) => fake.messagesTo(user).find(match);

  async function request(rest: string): Promise<string> {
    const before = (await stack.db.query('SELECT id FROM access_requests')).rows.map((r) => r.id);
    await slack.commandIn(ROOM, ALICE, `${integrationName} ${rest}`);
    return waitFor('the request row', async () => {
      const rows = await stack.db.query('SELECT id FROM access_requests ORDER BY created_at DESC');
      return rows.rows.map((r) => r.id as string).find((id) => !before.includes(id));
    });
  }

  /** Stands in for the connector's result of the person's newest sync. */
  async function activate(requestId: string): Promise<void> {
    const r = await row(requestId);
    const du = (
      await stack.db.query('SELECT username FROM database_users WHERE user_id = $1', [
        r.requester_id,
      ])
    ).rows[0];
    await stack.app.get(SyncResultsService).onSyncResult({
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      connectorId: w.connectorId,
      jobId: jobIds.sync(w.integrationId, r.requester_id, r.sync_generation),
      integrationId: w.integrationId,
      personId: r.requester_id,
      username: du.username,
      generation: r.sync_generation,
      attempt: 1,
      status: 'applied',
      startedAt: new Date().toISOString(),
      sealedPassword: seal(
        'Pw-For-Slack-Messages-1',
        loadSealPublicKey(stack.env.env.BROKER_SEAL_PUBLIC_KEY),
      ),
      passwordIssuedAt: new Date().toISOString(),
      sessionsTerminated: 0,
      effects: [],
      failedGroups: [],
    } as never);
    await waitFor('ACTIVE', async () => (await row(requestId)).status === 'ACTIVE');
  }

  let grant: string;

  it('Cancel on the "submitted" DM cancels through the same service, and the DM loses its button', async () => {
    const id = await request('app.sales read 30m to be cancelled');
    const submitted = await waitFor('the submitted DM', async () =>
      dmNow(ALICE, (m) => JSON.stringify(m.blocks ?? []).includes(`submitted:${id}`)),
    );
    const bobsCopy = await waitFor("Bob's approval copy", async () =>
      fake.messagesTo(BOB).find((m) => JSON.stringify(m.blocks ?? []).includes(`decide:${id}`)),
    );
    const cancel = buttonsOf(submitted.blocks).find((b) => b.action_id === 'doorman_cancel');
    expect(cancel?.value).toBe(id);
    const since = fake.seenBy(ALICE).length;
    await slack.click(ALICE, 'doorman_cancel', id, { messageTs: submitted.ts });
    await waitFor('CANCELLED', async () => (await row(id)).status === 'CANCELLED');
    await seen(ALICE, since, 'Cancelled your request');
    await waitFor('the submitted DM without Cancel', async () => {
      const now = dmNow(ALICE, (m) => m.ts === submitted.ts);
      return now && buttonsOf(now.blocks).length === 0 && JSON.stringify(now).includes('cancelled');
    });
    // Bob's approval copy shows it was cancelled, with no buttons left.
    await waitFor("Bob's copy updated", async () => {
      const copy = fake.messagesTo(BOB).find((m) => m.ts === bobsCopy.ts);
      return (
        copy &&
        JSON.stringify(copy.blocks).includes('*cancelled*') &&
        !buttonsOf(copy.blocks).length
      );
    });
    const audit = await stack.db.query(
      "SELECT channel FROM audit_events WHERE action = 'request.cancelled' AND request_id = $1",
      [id],
    );
    expect(audit.rows).toEqual([{ channel: 'slack' }]);
  });

  it('/access cancel <id as /access list shows it> cancels from any channel; a second time says why not', async () => {
    const id = await request('app.sales read 30m cancel by command');
    let since = fake.seenBy(ALICE).length;
    await slack.commandIn(ROOM, ALICE, 'list');
    // The list itself (the "submitted" DM also names the request).
    const list = await seen(ALICE, since, 'Your access requests');
    expect(list.text).toContain(`\`${id.slice(0, 8)}\``);
    expect(list.text).toContain('waiting for approval');
    expect(list.text).not.toMatch(/PENDING|CANCELLED/);
    since = fake.seenBy(ALICE).length;
    await slack.commandIn(ROOM, ALICE, `cancel ${id.slice(0, 8)}`);
    await seen(ALICE, since, 'Cancelled your request');
    expect((await row(id)).status).toBe('CANCELLED');
    since = fake.seenBy(ALICE).length;
    await slack.commandIn(ROOM, ALICE, `cancel ${id}`);
    const again = await seen(ALICE, since, 'can no longer be cancelled');
    expect(again.text).toContain('it was cancelled');
    since = fake.seenBy(ALICE).length;
    await slack.commandIn(ROOM, ALICE, 'cancel 00000000');
    await seen(ALICE, since, 'None of your requests has the id');
  });

  it('App Home lists a pending request with Cancel', async () => {
    const id = await request('app.sales read 30m home cancel');
    await slack.event({ type: 'app_home_opened', user: ALICE, tab: 'home' });
    await waitFor('a Home with Cancel', async () =>
      fake
        .callsOf('views.publish')
        .filter((c) => c.args.user_id === ALICE)
        .at(-1)
        ?.args.view.blocks.some(
          (b: any) => b.accessory?.action_id === 'doorman_cancel' && b.accessory.value === id,
        ),
    );
    await slack.click(ALICE, 'doorman_cancel', id, { home: true });
    await waitFor('CANCELLED', async () => (await row(id)).status === 'CANCELLED');
  });

  it('a refused self-approval or non-approver click is audited, with the channel', async () => {
    grant = await request('app.sales read 30m reporting');
    const since = fake.seenBy(MALLORY).length;
    await slack.click(MALLORY, 'doorman_approve', grant, { channel: fake.dmOf(MALLORY) });
    await seen(MALLORY, since, 'Not allowed');
    await slack.click(ALICE, 'doorman_approve', grant);
    const refused = await waitFor('two refusals in the audit', async () => {
      const r = await stack.db.query(
        "SELECT actor_id, channel, details FROM audit_events WHERE action = 'decision.refused' AND request_id = $1 ORDER BY id",
        [grant],
      );
      return r.rows.length === 2 && r.rows;
    });
    expect(refused).toEqual([
      expect.objectContaining({
        actor_id: w.mallory.id,
        channel: 'slack',
        details: expect.objectContaining({ decision: 'approve' }),
      }),
      expect.objectContaining({
        actor_id: w.alice.id,
        channel: 'slack',
        details: expect.objectContaining({ decision: 'approve' }),
      }),
    ]);
    // REST refusals are the same record, channel rest.
    const rest = await w.mallory.api.post(`/api/v1/access-requests/${grant}/deny`, {
      reason: 'nope',
    });
    expect(rest.status).toBe(403);
    const restAudit = await stack.db.query(
      "SELECT channel FROM audit_events WHERE action = 'decision.refused' AND request_id = $1 AND channel <> 'slack'",
      [grant],
    );
    expect(restAudit.rows).toHaveLength(1);
    expect((await row(grant)).status).toBe('PENDING');
  });

  it('asking again for access already held offers Extend with the end as Slack shows dates, not a REST route', async () => {
    await slack.click(BOB, 'doorman_approve', grant);
    await waitFor('GRANTING', async () => (await row(grant)).status === 'GRANTING');
    await activate(grant);
    const since = fake.seenBy(ALICE).length;
    await slack.commandIn(ROOM, ALICE, `${integrationName} app.sales read 30m again`);
    const offer = await seen(ALICE, since, 'You already have');
    expect(offer.via).toBe('response_url');
    const text = JSON.stringify(offer.blocks);
    expect(text).toMatch(SLACK_DATE);
    expect(text).toContain('extend it instead?');
    expect(JSON.stringify(offer)).not.toMatch(/\/api\/v1|POST|T\d\d:\d\d:\d\d/);
    expect(buttonsOf(offer.blocks).map((b) => [b.action_id, b.value])).toEqual([
      ['doorman_extend', grant],
    ]);
  });

  it('the request form for access already held closes, and a DM offers Extend', async () => {
    const since = fake.seenBy(ALICE).length;
    const res = await slack.submitView(ALICE, 'doorman_request', {
      resource: { resource: { selected_option: { value: `${w.integrationId}|app|sales` } } },
      permission: { permission: { selected_option: { value: 'read' } } },
      duration: { duration: { value: '30m' } },
      justification: { justification: { value: 'from the form' } },
    });
    expect(res.status).toBe(200);
    expect(res.json?.response_action).toBeUndefined();
    const offer = await seen(ALICE, since, 'You already have');
    expect(offer.via).toBe('dm');
    expect(JSON.stringify(offer.blocks)).toMatch(SLACK_DATE);
    expect(JSON.stringify(offer)).not.toMatch(/\/api\/v1|POST/);
    expect(buttonsOf(offer.blocks).map((b) => b.action_id)).toEqual(['doorman_extend']);
  });

  it('the credentials modal shows its end in Slack date formatting', async () => {
    const ready = await waitFor('the ready DM', async () =>
      dmNow(ALICE, (m) => JSON.stringify(m.blocks ?? []).includes(`access:${grant}`)),
    );
    expect(buttonsOf(ready.blocks).map((b) => b.action_id)).toEqual([
      'doorman_reveal',
      'doorman_revoke',
    ]);
    await slack.click(ALICE, 'doorman_reveal', grant, { messageTs: ready.ts });
    const modal = await waitFor('the credentials modal', async () =>
      fake.callsOf('views.open').find((c) => c.args.view.callback_id === 'doorman_credentials'),
    );
    const text = JSON.stringify(modal.args.view.blocks);
    expect(text).toMatch(/Valid until <!date\^\d+\^/);
    expect(text).not.toMatch(/T\d\d:\d\d:\d\d/);
  });

  it('after access ended, the "ready" DM says so in place, and Reveal answers in words', async () => {
    const ready = dmNow(ALICE, (m) => JSON.stringify(m.blocks ?? []).includes(`access:${grant}`))!;
    await slack.click(ALICE, 'doorman_revoke', grant, { messageTs: ready.ts });
    await waitFor('revoked', async () =>
      ['REVOKING', 'REVOKED'].includes((await row(grant)).status),
    );
    await waitFor('the ready DM updated in place', async () => {
      const now = dmNow(ALICE, (m) => m.ts === ready.ts);
      return (
        now && buttonsOf(now.blocks).length === 0 && JSON.stringify(now.blocks).includes('ended')
      );
    });
    const updated = dmNow(ALICE, (m) => m.ts === ready.ts)!;
    expect(JSON.stringify(updated.blocks)).toMatch(SLACK_DATE);
    // A Reveal on the old message (a stale client) answers in words.
    const since = fake.seenBy(ALICE).length;
    await slack.click(ALICE, 'doorman_reveal', grant, { messageTs: ready.ts });
    const answer = await seen(ALICE, since, 'ended');
    expect(answer.text).toContain('app.sales');
    expect(answer.text).toMatch(SLACK_DATE);
    expect(answer.text).not.toMatch(/REVOKED|REVOKING|ACTIVE/);
  });
});
