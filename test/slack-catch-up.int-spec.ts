import type { Client } from 'pg';
import { waitFor } from './support/broker-env';
import type { FakeSlack } from './support/fake-slack';
import type { World } from './support/fixtures';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';

/**
 * Slack notices follow committed changes in-process; a broker that stops between the commit
 * and the Slack call must not leave a pending request with nobody asked.
 */
describe('Slack catch-up of approvers never asked (broker in-process, fake Slack)', () => {
  let stack: SlackBroker;
  let fake: FakeSlack;
  let w: World;
  let db: Client;

  beforeAll(async () => {
    // The interval is also the grace after which an unposted claim counts as abandoned: at
    // 300 ms a loaded machine (Slack calls slower than that) released claims still in flight
    // and asked twice; 1 s keeps several rounds per test without that race.
    stack = await startSlackBroker({ SLACK_CATCH_UP_MS: '1000' });
    ({ fake, w, db } = stack);
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('UBOB', w.bob.email);
    fake.addUser('UCAROL', w.carol.email);
  });

  afterAll(async () => stack?.close());

  const asksTo = (user: string, requestId: string) =>
    fake
      .callsOf('chat.postMessage')
      .filter(
        (c) =>
          c.args.channel === fake.dmOf(user) &&
          JSON.stringify(c.args.blocks ?? []).includes(`decide:${requestId}`),
      );
  const request = async () => {
    const res = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  it('asks each approver once, however many catch-up rounds pass', async () => {
    const id = await request();
    await waitFor('bob asked', async () => asksTo('UBOB', id).length === 1);
    await new Promise((r) => setTimeout(r, 3500));
    expect(asksTo('UBOB', id)).toHaveLength(1);
    expect(asksTo('UCAROL', id)).toHaveLength(1);
  });

  it('asks again after Slack failed for an approver', async () => {
    fake.failNext('chat.postMessage', 'fatal_error');
    const id = await request();
    await waitFor(
      'both asked in the end',
      async () => asksTo('UBOB', id).length === 1 && asksTo('UCAROL', id).length === 1,
    );
    expect(fake.calls.some((c) => c.error === 'fatal_error')).toBe(true);
  });

  it('asks again when the round never completed: messages lost, or only claimed', async () => {
    const id = await request();
    await waitFor(
      'both asked',
      async () => asksTo('UBOB', id).length + asksTo('UCAROL', id).length === 2,
    );
    await waitFor(
      'the round recorded',
      async () =>
        (
          await db.query(
            `SELECT 1 FROM slack_messages WHERE request_id = $1 AND kind = 'approval_round'`,
            [id],
          )
        ).rows.length === 1,
    );
    // As if the broker had stopped after claiming carol's message, before posting it, having
    // never recorded bob's (e.g. another replica, mid-way): the round is not complete.
    await db.query('BEGIN');
    await db.query(
      `DELETE FROM slack_messages WHERE request_id = $1 AND (kind = 'approval_round' OR recipient_user_id = $2)`,
      [id, w.bob.id],
    );
    await db.query(
      `UPDATE slack_messages SET ts = NULL, channel = NULL WHERE request_id = $1 AND recipient_user_id = $2`,
      [id, w.carol.id],
    );
    await db.query('COMMIT');
    await waitFor('bob asked again', async () => asksTo('UBOB', id).length === 2);
    await waitFor('carol asked again', async () => asksTo('UCAROL', id).length === 2);
    // Deciding updates the new copies in place.
    expect((await w.bob.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
    // The copies posted by the catch-up are the ones kept up to date.
    for (const user of ['UBOB', 'UCAROL'])
      await waitFor(`${user}'s new copy shows the decision`, async () =>
        JSON.stringify(fake.messagesTo(user).at(-1)?.blocks).includes('*approved* by <@UBOB>'),
      );
  });
});
