import { connectorResultsQueueName } from '@doorman/contracts';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { ApiClient } from './support/api-client';
import { connectorHealthy, startBrokerProcess, startConnectorProcess } from './support/apps';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createPerson, createWorld, type Person, type World } from './support/fixtures';
import { AppProcess, freePort } from './support/processes';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(240_000);

const BURST = 20;
/** Every approved request is ACTIVE at most this long after the broker is back. */
const ACTIVE_WITHIN_MS = 15_000;

/**
 * The broker SIGKILLed in the middle of a burst of approvals. Results it had
 * taken from the durable results queue are held by a dead consumer; the restarted broker must
 * take them again within seconds (the results worker's lock and stall settings), and record
 * each exactly once.
 */
describe('the broker killed during a burst of approvals', () => {
  let target: TargetPostgres;
  let env: BrokerTestEnv;
  let brokerPort: number;
  let broker: AppProcess;
  let connector: AppProcess;
  let api: ApiClient;
  let w: World;
  let results: Queue;
  let db: Client;
  const processes: AppProcess[] = [];

  const startBroker = async () => {
    broker = await startBrokerProcess(env, brokerPort, { LOG_LEVEL: 'info' });
    processes.push(broker);
  };

  const startConnector = () => {
    connector = startConnectorProcess(env, target, w.connectorId, { LOG_LEVEL: 'warn' });
    processes.push(connector);
  };

  beforeAll(async () => {
    target = await startTargetPostgres();
    await target.createDatabase('app');
    env = await createBrokerTestEnv();
    brokerPort = await freePort();
    api = new ApiClient(`http://127.0.0.1:${brokerPort}`, env.adminToken);
    await startBroker();
    w = await createWorld(api, { port: target.port, sslMode: 'verify-full' });
    startConnector();
    await connectorHealthy(api, w.connectorId);
    results = new Queue(connectorResultsQueueName(w.connectorId), {
      connection: { url: env.env.REDIS_URL },
      prefix: env.redisPrefix,
    });
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    if (process.env.E2E_DEBUG)
      for (const p of processes)
        process.stdout.write(`--- ${p.name}\n${p.lines.slice(-40).join('\n')}\n`);
    await db?.end();
    await results?.close();
    for (const p of processes) await p.stop();
    await env?.dispose();
    await target?.stop();
  });

  /** BURST new requesters, each with a pending request on a flow of their own. */
  async function pendingBurst(): Promise<Array<{ person: Person; id: string }>> {
    const people: Person[] = [];
    for (let i = 0; i < BURST; i++) people.push(await createPerson(api, `burst${i}`));
    const flow = await w.security.api.post('/api/v1/access-flows', {
      name: `burst-${Date.now().toString(36)}`,
      integrationId: w.integrationId,
      requestors: { userIds: people.map((p) => p.id), groupIds: [] },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['read'],
      approvers: { userIds: [w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
      justificationRequired: false,
    });
    expect(flow.status).toBe(201);
    return Promise.all(
      people.map(async (person) => {
        const created = await person.api.post('/api/v1/access-requests', {
          integrationId: w.integrationId,
          database: 'app',
          schema: 'public',
          permission: 'read',
          duration: '1h',
          justification: 'burst',
        });
        expect(created.status).toBe(201);
        return { person, id: created.body.id as string };
      }),
    );
  }

  async function approveAll(ids: string[]): Promise<void> {
    const answers = await Promise.all(
      ids.map((id) => w.bob.api.post(`/api/v1/access-requests/${id}/approve`)),
    );
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
  }

  const countActive = async (ids: string[]) =>
    (
      await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM access_requests WHERE id = ANY($1::uuid[]) AND status = 'ACTIVE'`,
        [ids],
      )
    ).rows[0].n;

  /** The broker restarted; every request ACTIVE in time, each with one grant.activated. */
  async function restartAndExpectAllActive(ids: string[]): Promise<void> {
    await startBroker();
    const backAt = Date.now();
    await waitFor(
      `all ${ids.length} requests ACTIVE`,
      async () => (await countActive(ids)) === ids.length,
      ACTIVE_WITHIN_MS,
      100,
    );
    process.stdout.write(`all ACTIVE ${Date.now() - backAt} ms after the broker was back\n`);
    const activated = await db.query<{ request_id: string; n: number }>(
      `SELECT request_id::text, count(*)::int AS n FROM audit_events
        WHERE action = 'grant.activated' AND request_id = ANY($1::uuid[]) GROUP BY request_id`,
      [ids],
    );
    expect(activated.rows).toHaveLength(ids.length);
    expect(activated.rows.filter((r) => r.n !== 1)).toEqual([]);
    for (const id of ids) {
      const answer = await w.bob.api.get(`/api/v1/access-requests/${id}`);
      expect(answer.body.status).toBe('ACTIVE');
    }
  }

  it('killed right after the approvals answered', async () => {
    const burst = await pendingBurst();
    const ids = burst.map((b) => b.id);
    await approveAll(ids);
    await broker.kill();
    await restartAndExpectAllActive(ids);
  });

  it('killed while the results are being recorded (held by the dead broker), and the restart says so', async () => {
    const burst = await pendingBurst();
    const ids = burst.map((b) => b.id);
    // Recording locks each person's database user: holding those rows (once the approvals
    // have made them, with the connector away) keeps every result the broker takes in flight,
    // so the kill lands exactly while it holds them.
    await connector.stop();
    await approveAll(ids);
    const holder = new Client({ connectionString: env.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      const locked = await holder.query(
        `SELECT d.id FROM database_users d WHERE d.integration_id = $1 AND d.user_id = ANY($2::uuid[])
          FOR UPDATE`,
        [w.integrationId, burst.map((b) => b.person.id)],
      );
      expect(locked.rowCount).toBe(BURST);
      startConnector();
      await waitFor(
        'the broker to hold every result',
        async () => (await results.getActiveCount()) >= BURST,
        60000,
        100,
      );
      await broker.kill();
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(await countActive(ids)).toBe(0);
    await restartAndExpectAllActive(ids);
    expect(broker.output).toMatch(/results job stalled/);
  });

  it('killed halfway through recording the burst', async () => {
    const burst = await pendingBurst();
    const ids = burst.map((b) => b.id);
    await approveAll(ids);
    await waitFor('a first request ACTIVE', async () => (await countActive(ids)) > 0, 60000, 20);
    await broker.kill();
    await restartAndExpectAllActive(ids);
  });
});
