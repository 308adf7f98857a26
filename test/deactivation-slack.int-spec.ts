import 'reflect-metadata';
import { waitFor } from './support/broker-env';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';

jest.setTimeout(60_000);

/**
 * Deactivation on the other channel: Slack resolves people itself, so a deactivated person
 * must be refused there too — neither approving with a click nor asking with /access.
 */
describe('a deactivated person in Slack', () => {
  let b: SlackBroker;
  const ALICE = 'UALICE';
  const CAROL = 'UCAROL';

  beforeAll(async () => {
    b = await startSlackBroker();
    b.fake.addUser(ALICE, b.w.alice.email);
    b.fake.addUser(CAROL, b.w.carol.email);
  });

  afterAll(async () => {
    await b?.close();
  });

  const saw = (user: string, since: number, text: string) =>
    waitFor(`${user} to be told "${text}"`, async () =>
      b.fake
        .seenBy(user)
        .slice(since)
        .find((a) => a.text.includes(text) || JSON.stringify(a.blocks ?? []).includes(text)),
    );
  const requestsOf = async (userId: string) =>
    (
      await b.db.query<{ id: string; status: string }>(
        'SELECT id, status FROM access_requests WHERE requester_id = $1',
        [userId],
      )
    ).rows;

  it('cannot approve with a click', async () => {
    const req = await b.w.alice.api.post('/api/v1/access-requests', {
      integrationId: b.w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
    });
    expect(req.status).toBe(201);
    expect((await b.w.security.api.post(`/api/v1/users/${b.w.carol.id}/deactivate`)).status).toBe(
      200,
    );
    const since = b.fake.seenBy(CAROL).length;
    await b.slack.click(CAROL, 'doorman_approve', req.body.id);
    await saw(CAROL, since, 'is deactivated');
    const approvals = await b.db.query('SELECT 1 FROM approvals WHERE request_id = $1', [
      req.body.id,
    ]);
    expect(approvals.rows).toEqual([]);
    expect((await requestsOf(b.w.alice.id)).map((r) => r.status)).toEqual(['PENDING']);
  });

  it('cannot ask with /access', async () => {
    expect((await b.w.security.api.post(`/api/v1/users/${b.w.alice.id}/deactivate`)).status).toBe(
      200,
    );
    const since = b.fake.seenBy(ALICE).length;
    await b.slack.command(ALICE, `${b.integrationName} app.public read 30m because`);
    await saw(ALICE, since, 'is deactivated');
    // The pending request was cancelled by the deactivation; nothing new was opened.
    expect((await requestsOf(b.w.alice.id)).map((r) => r.status)).toEqual(['CANCELLED']);
  });
});
