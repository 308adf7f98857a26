import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { NOTIFICATIONS_QUEUE } from '../apps/broker/src/outbox/broker-jobs';
import { NotificationsService } from '../apps/broker/src/notifications/notifications.service';
import { SHARED_REDIS, waitFor } from './support/broker-env';
import type { FakeSlack } from './support/fake-slack';
import type { World } from './support/fixtures';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';

/**
 * Slack notices are jobs written with the change they tell about: retried with backoff while
 * Slack fails, and idempotent per message, so a notice run again sends nothing twice and a
 * retry finishes what an attempt that died mid-way began.
 */
describe('durable Slack notices (broker in-process, fake Slack)', () => {
  let stack: SlackBroker;
  let fake: FakeSlack;
  let w: World;
  let db: Client;
  let queue: Queue;

  beforeAll(async () => {
    stack = await startSlackBroker();
    ({ fake, w, db } = stack);
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('UBOB', w.bob.email);
    fake.addUser('UCAROL', w.carol.email);
    queue = new Queue(NOTIFICATIONS_QUEUE, {
      connection: { url: SHARED_REDIS },
      prefix: stack.env.redisPrefix,
    });
  });

  afterAll(async () => {
    await queue?.close();
    await stack?.close();
  });

  const asksTo = (user: string, requestId: string) =>
    fake
      .callsOf('chat.postMessage')
      .filter(
        (c) =>
          c.ok &&
          c.args.channel === fake.dmOf(user) &&
          JSON.stringify(c.args.blocks ?? []).includes(`decide:${requestId}`),
      );
  const dmsTo = (user: string) =>
    fake.callsOf('chat.postMessage').filter((c) => c.ok && c.args.channel === fake.dmOf(user));
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
  /** The request's audit events that Slack is told about, with their notice jobs' ids. */
  const noticesOf = async (requestId: string) =>
    (
      await db.query(
        `SELECT id::text AS id, action FROM audit_events WHERE request_id = $1 ORDER BY id`,
        [requestId],
      )
    ).rows.map((r: { id: string; action: string }) => ({ ...r, key: `notify-${r.id}` }));
  /** Every notice job of the request done (completed), whatever it sent. */
  const allDelivered = async (requestId: string, actions: string[]) => {
    const notices = (await noticesOf(requestId)).filter((n) => actions.includes(n.action));
    if (notices.length < actions.length) return false;
    for (const n of notices)
      if ((await (await queue.getJob(n.key))?.getState()) !== 'completed') return false;
    return true;
  };

  it('asks each approver once, and the requester is told once', async () => {
    const id = await request();
    await waitFor('the notice delivered', () => allDelivered(id, ['request.created']));
    expect(asksTo('UBOB', id)).toHaveLength(1);
    expect(asksTo('UCAROL', id)).toHaveLength(1);
    expect(dmsTo('UALICE').filter((c) => JSON.stringify(c.args).includes(id))).toHaveLength(1);
  });

  it('retries a notice while Slack fails, and asks everyone in the end', async () => {
    await stack.noticesSettled();
    fake.failNext('chat.postMessage', 'fatal_error');
    fake.failNext('chat.postMessage', 'service_unavailable');
    const id = await request();
    await waitFor(
      'both asked in the end',
      async () => asksTo('UBOB', id).length === 1 && asksTo('UCAROL', id).length === 1,
    );
    expect(fake.calls.filter((c) => c.error === 'fatal_error').length).toBeGreaterThan(0);
    const [created] = await noticesOf(id);
    // Failed attempts went through BullMQ's retries, not a timer of the broker's.
    expect((await queue.getJob(created.key))?.attemptsMade).toBeGreaterThanOrEqual(1);
  });

  it('a notice run again sends nothing twice, decided or not', async () => {
    const id = await request();
    await waitFor('asked', () => allDelivered(id, ['request.created']));
    const denied = await w.bob.api.post(`/api/v1/access-requests/${id}/deny`, {
      reason: 'not now',
    });
    expect(denied.status).toBe(200);
    await waitFor('the decision delivered', () =>
      allDelivered(id, ['request.created', 'request.denied']),
    );
    const before = fake.callsOf('chat.postMessage').length;
    // As if each job had been retried after Slack took its messages (its broker stopped before
    // the job completed): the same job ids run again.
    const notifications = stack.app.get(NotificationsService);
    for (const n of await noticesOf(id)) await notifications.deliver(n.id, n.key, 2);
    expect(fake.callsOf('chat.postMessage').length).toBe(before);
  });

  it("a retry takes back its own attempt's unposted claim; another job's claim is left to it", async () => {
    const id = await request();
    await waitFor('asked', () => allDelivered(id, ['request.created']));
    const [created] = await noticesOf(id);
    // As if the attempt had stopped after claiming bob's message, before posting it, and
    // carol's claim were another notice job's, still posting.
    await db.query(
      `UPDATE slack_messages SET ts = NULL, channel = NULL WHERE request_id = $1 AND kind = 'approval' AND recipient_user_id = $2`,
      [id, w.bob.id],
    );
    await db.query(
      `UPDATE slack_messages SET ts = NULL, channel = NULL, claimed_by = 'notify-0' WHERE request_id = $1 AND kind = 'approval' AND recipient_user_id = $2`,
      [id, w.carol.id],
    );
    await stack.app.get(NotificationsService).deliver(created.id, created.key, 2);
    expect(asksTo('UBOB', id)).toHaveLength(2);
    expect(asksTo('UCAROL', id)).toHaveLength(1);
    // Deciding updates bob's new copy in place.
    const denied = await w.bob.api.post(`/api/v1/access-requests/${id}/deny`, { reason: 'no' });
    expect(denied.status).toBe(200);
    await waitFor("bob's new copy shows the decision", async () =>
      JSON.stringify(fake.messagesTo('UBOB').at(-1)?.blocks).includes('*denied* by <@UBOB>'),
    );
  });
});
