import { waitFor } from './support/broker-env';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';

const PUBLIC_URL = 'https://doorman.example.com';
const BOB = 'UBOB';

jest.setTimeout(30_000);

/**
 * Step-up flows in Slack (broker in-process on real PostgreSQL and Redis, a fake Slack Web
 * API): a click cannot show a recent sign-in, so the approval message links to the console
 * instead of approving, and a click on an Approve button is answered with that link.
 */
describe('step-up flows in Slack', () => {
  let b: SlackBroker;

  beforeAll(async () => {
    b = await startSlackBroker({ PUBLIC_URL });
    b.fake.addUser(BOB, b.w.bob.email);
    for (const [schema, over] of [
      ['risky', { approverAuthentication: { maxAgeMinutes: 10 } }],
      ['plain', {}],
    ] as const) {
      const res = await b.w.security.api.post('/api/v1/access-flows', {
        name: `slack-step-up-${schema}`,
        integrationId: b.w.integrationId,
        requestors: { userIds: [b.w.alice.id], groupIds: [] },
        resources: [{ database: 'app', schema }],
        permissions: ['read'],
        approvers: { userIds: [b.w.bob.id] },
        defaultDuration: '30m',
        maxDuration: '1h',
        ...over,
      });
      expect(res.status).toBe(201);
    }
  });

  afterAll(async () => {
    await b?.close();
  });

  async function request(schema: string): Promise<string> {
    const res = await b.w.alice.api.post('/api/v1/access-requests', {
      integrationId: b.w.integrationId,
      database: 'app',
      schema,
      permission: 'read',
      duration: '30m',
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }
  /** The buttons of the approval message bob was sent for request `id`. */
  const buttonsAskedOf = (id: string) =>
    waitFor(`bob asked to approve ${id}`, async () => {
      const m = b.fake
        .messagesTo(BOB)
        .find((x) => JSON.stringify(x.blocks ?? []).includes(`decide:${id}`));
      return m?.blocks
        ?.filter((x: { type: string }) => x.type === 'actions')
        .flatMap((x: { elements: unknown[] }) => x.elements) as
        Array<{ action_id: string; url?: string; value?: string }> | undefined;
    });
  const statusOf = async (id: string): Promise<string> =>
    (await b.db.query('SELECT status FROM access_requests WHERE id = $1', [id])).rows[0].status;

  it('asks with a link to the console instead of Approve; Deny stays', async () => {
    const id = await request('risky');
    const buttons = await buttonsAskedOf(id);
    expect(buttons.map((x) => x.action_id)).toEqual(['doorman_open_console', 'doorman_deny_open']);
    expect(buttons[0].url).toBe(`${PUBLIC_URL}/console/inbox`);
    expect(buttons.some((x) => x.action_id === 'doorman_approve')).toBe(false);
    // Following the link is the browser's business: the click is only acknowledged.
    const click = await b.slack.click(BOB, 'doorman_open_console', id);
    expect(click.status).toBe(200);
    expect(await statusOf(id)).toBe('PENDING');
  });

  it('a flow without the rule still asks with Approve', async () => {
    const id = await request('plain');
    const buttons = await buttonsAskedOf(id);
    expect(buttons.map((x) => x.action_id)).toEqual(['doorman_approve', 'doorman_deny_open']);
  });

  it('an Approve click (an older message) is answered with the reason and the link; nothing approved', async () => {
    const id = await request('risky');
    await buttonsAskedOf(id);
    expect((await b.slack.click(BOB, 'doorman_approve', id)).status).toBe(200);
    const answer = await waitFor('bob told where to approve', async () =>
      b.fake.seenBy(BOB).find((a) => a.text.includes('recent sign-in')),
    );
    expect(answer.text).toContain(`${PUBLIC_URL}/console/inbox`);
    expect(JSON.stringify(answer.blocks)).toContain(`"url":"${PUBLIC_URL}/console/inbox"`);
    expect(await statusOf(id)).toBe('PENDING');
    const refused = await b.db.query(
      `SELECT channel, details FROM audit_events WHERE request_id = $1 AND action = 'decision.refused'`,
      [id],
    );
    expect(refused.rows).toEqual([
      expect.objectContaining({
        channel: 'slack',
        details: expect.objectContaining({ decision: 'approve' }),
      }),
    ]);
  });
});
