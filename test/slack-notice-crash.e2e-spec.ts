import { Queue } from 'bullmq';
import { Client } from 'pg';
import { NOTIFICATIONS_QUEUE } from '../apps/broker/src/outbox/broker-jobs';
import { ApiClient } from './support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { FakeSlack } from './support/fake-slack';
import { createWorld, type World } from './support/fixtures';
import { AppProcess, freePort } from './support/processes';

jest.setTimeout(180_000);

const SLACK_TOKEN = 'xoxb-notice-crash-test';

/**
 * The broker SIGKILLed between a request's commit and its Slack notice. The notice is a job
 * written with the request, so the broker that starts next delivers it: each approver asked
 * once, the requester told once. Deterministic: Slack holds the broker's first post until the
 * test has killed it, so the kill always lands mid-notice.
 */
describe('a broker killed between a request and its Slack notice', () => {
  let env: BrokerTestEnv;
  let fake: FakeSlack;
  let api: ApiClient;
  let port: number;
  let w: World;
  let db: Client;
  let notices: Queue;
  const processes: AppProcess[] = [];

  const startBroker = async (): Promise<AppProcess> => {
    const broker = AppProcess.start('broker', 'apps/broker/src/main.js', {
      ...env.env,
      PORT: String(port),
      LOG_LEVEL: 'info',
      SLACK_SIGNING_SECRET: 'notice-crash-signing-secret-0123456',
      SLACK_BOT_TOKEN: SLACK_TOKEN,
      SLACK_API_URL: fake.url,
    });
    processes.push(broker);
    await waitFor(
      'the broker',
      async () => {
        if (!broker.running) throw new Error(`the broker exited:\n${broker.output.slice(-2000)}`);
        return (await api.get('/health').catch(() => ({ status: 0 }))).status === 200;
      },
      30_000,
      100,
    );
    return broker;
  };

  beforeAll(async () => {
    fake = await FakeSlack.start(SLACK_TOKEN);
    env = await createBrokerTestEnv();
    port = await freePort();
    api = new ApiClient(`http://127.0.0.1:${port}`, env.adminToken);
    await startBroker();
    w = await createWorld(api);
    fake.addUser('UALICE', w.alice.email);
    fake.addUser('UBOB', w.bob.email);
    fake.addUser('UCAROL', w.carol.email);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    notices = new Queue(NOTIFICATIONS_QUEUE, {
      connection: { url: env.env.REDIS_URL },
      prefix: env.redisPrefix,
    });
  });

  afterAll(async () => {
    if (process.env.E2E_DEBUG)
      for (const p of processes)
        process.stdout.write(`--- ${p.name}\n${p.lines.slice(-60).join('\n')}\n`);
    await notices?.close();
    await db?.end();
    for (const p of processes) await p.stop();
    await env?.dispose();
    await fake?.close();
  });

  /** Posts Slack took (a held call never counts), to `user`'s DM, naming the request. */
  const postsTo = (user: string, requestId: string, what: RegExp) =>
    fake
      .callsOf('chat.postMessage')
      .filter(
        (c) =>
          c.ok &&
          c.args.channel === fake.dmOf(user) &&
          what.test(JSON.stringify(c.args)) &&
          JSON.stringify(c.args).includes(requestId),
      );
  const asked = (user: string, id: string) => postsTo(user, id, /decide:/);

  it('delivers the notice once, from the broker that starts next', async () => {
    const held = fake.hangNext('chat.postMessage');
    const res = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
    });
    expect(res.status).toBe(201);
    const id = res.body.id as string;

    // The request is committed and its notice is being delivered: the first approver's DM is
    // in Slack's hands, unanswered. The broker dies now.
    const call = await held.arrived;
    expect(JSON.stringify(call.args)).toContain(`decide:${id}`);
    await processes[0].kill();
    held.release();
    const [{ id: eventId }] = (
      await db.query(
        `SELECT id::text AS id FROM audit_events WHERE request_id = $1 AND action = 'request.created'`,
        [id],
      )
    ).rows as Array<{ id: string }>;
    const job = await notices.getJob(`notify-${eventId}`);
    expect(await job?.getState()).toBe('active');
    // Nothing was delivered: the dead broker's notice is all there is.
    expect(asked('UBOB', id).length + asked('UCAROL', id).length).toBe(0);

    await startBroker();
    await waitFor(
      'the notice delivered by the new broker',
      async () => (await (await notices.getJob(`notify-${eventId}`))?.getState()) === 'completed',
      60_000,
      250,
    );
    expect(asked('UBOB', id)).toHaveLength(1);
    expect(asked('UCAROL', id)).toHaveLength(1);
    // The requester's "submitted" DM, with its Cancel button, once.
    expect(postsTo('UALICE', id, /cancel/i)).toHaveLength(1);
    const rows = (
      await db.query(
        `SELECT recipient_user_id, ts FROM slack_messages WHERE request_id = $1 AND kind = 'approval'`,
        [id],
      )
    ).rows as Array<{ recipient_user_id: string; ts: string | null }>;
    expect(rows.map((r) => r.recipient_user_id).sort()).toEqual([w.bob.id, w.carol.id].sort());
    expect(rows.every((r) => r.ts)).toBe(true);

    // Deciding afterwards updates the copies the new broker posted, in place.
    expect((await w.bob.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
    await waitFor("carol's copy shows the decision", async () =>
      JSON.stringify(fake.messagesTo('UCAROL').at(-1)?.blocks).includes('*approved* by <@UBOB>'),
    );
    expect(asked('UBOB', id)).toHaveLength(1);
    expect(asked('UCAROL', id)).toHaveLength(1);
  });
});
