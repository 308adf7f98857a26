import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import {
  CONTRACT_VERSION,
  connectorAclSetUser,
  connectorQueueName,
  connectorResultsQueueName,
} from '@doorman/contracts';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { ApiClient } from './support/api-client';
import { startBrokerApp } from './support/apps';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { TestRedis } from './support/redis-server';
import { promoteRetries } from '../apps/connector/src/jobs/target-reachability';

const PREFIX = '{doorman}';

/**
 * Each connector's own Redis user, on a Redis of the test's own: it works its own
 * queue and writes results back, and cannot read another connector's jobs.
 */
describe('Redis ACL per connector', () => {
  let redis: TestRedis;
  let admin: IORedis;
  const a = randomUUID();
  const b = randomUUID();
  const password = 'connector-a-password-0123456789';
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new IORedis(redis.url, { maxRetriesPerRequest: null });
    await admin.call('ACL', 'SETUSER', ...connectorAclSetUser(a, password, PREFIX));
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    admin?.disconnect();
    await redis?.stop();
  });

  const asA = () => ({
    host: '127.0.0.1',
    port: redis.port,
    username: `connector-${a}`,
    password,
    maxRetriesPerRequest: null,
  });

  it('lets the connector consume its own queue and send results back', async () => {
    const jobs = new Queue(connectorQueueName(a), { connection: admin, prefix: PREFIX });
    const results = new Queue(connectorResultsQueueName(a), { connection: asA(), prefix: PREFIX });
    closers.push(
      () => jobs.close(),
      () => results.close(),
    );
    const seen: string[] = [];
    const worker = new Worker(
      connectorQueueName(a),
      async (job) => {
        seen.push(job.id!);
        await results.add('heartbeat', { from: a }, { jobId: `result-${job.id}` });
      },
      { connection: asA(), prefix: PREFIX },
    );
    closers.push(() => worker.close());
    await jobs.add('sync-user', { x: 1 }, { jobId: 'job-1' });
    await waitFor('the job to run', async () => seen.includes('job-1'));
    const back = new Queue(connectorResultsQueueName(a), { connection: admin, prefix: PREFIX });
    closers.push(() => back.close());
    await waitFor('the result', async () => (await back.getJob('result-job-1')) !== undefined);
    await worker.close(); // the next cases use this queue with workers of their own
  });

  it("cannot read another connector's jobs, nor the broker's other keys", async () => {
    const other = new Queue(connectorQueueName(b), { connection: admin, prefix: PREFIX });
    closers.push(() => other.close());
    await other.add('sync-user', { secretish: 'for b only' }, { jobId: 'job-b' });
    const c = new IORedis(asA());
    closers.push(async () => c.disconnect());
    await expect(c.hgetall(`${PREFIX}:${connectorQueueName(b)}:job-b`)).rejects.toThrow(/NOPERM/);
    await expect(c.get(`${PREFIX}:broker-timers:id`)).rejects.toThrow(/NOPERM/);
    await expect(c.keys('*')).rejects.toThrow(/NOPERM/);
    await expect(c.flushall()).rejects.toThrow(/NOPERM/);
    const stolen = new Queue(connectorQueueName(b), { connection: asA(), prefix: PREFIX });
    closers.push(() => stolen.close());
    await expect(stolen.getJob('job-b')).rejects.toThrow(/NOPERM/);
  });

  it('lets the connector wake its own waiting retries when its target is back', async () => {
    const own = new Queue(connectorQueueName(a), { connection: asA(), prefix: PREFIX });
    closers.push(() => own.close());
    const worker = new Worker(
      connectorQueueName(a),
      async () => {
        throw new Error('target unreachable');
      },
      { connection: asA(), prefix: PREFIX, autorun: true },
    );
    closers.push(() => worker.close());
    await own.add('sync-user', { x: 2 }, { jobId: 'job-retry', attempts: 5, backoff: 600_000 });
    await waitFor(
      'the retry to wait',
      async () => (await own.getJobState('job-retry')) === 'delayed',
    );
    await worker.close();
    expect(await promoteRetries(own)).toBe(1);
    expect(await own.getJobState('job-retry')).toBe('waiting');
  });

  it("cannot write another connector's results queue", async () => {
    const forged = new Queue(connectorResultsQueueName(b), { connection: asA(), prefix: PREFIX });
    closers.push(() => forged.close());
    await expect(forged.add('heartbeat', { from: a }, { jobId: 'forged' })).rejects.toThrow(
      /NOPERM/,
    );
    const c = new IORedis(asA());
    closers.push(async () => c.disconnect());
    await expect(c.set(`${PREFIX}:${connectorResultsQueueName(b)}:id`, '1')).rejects.toThrow(
      /NOPERM/,
    );
  });

  it('cannot list key names, nor flush or kill scripts and functions', async () => {
    const c = new IORedis(asA());
    closers.push(async () => c.disconnect());
    await expect(c.scan('0')).rejects.toThrow(/NOPERM/);
    await expect(c.randomkey()).rejects.toThrow(/NOPERM/);
    await expect(c.call('SCRIPT', 'FLUSH')).rejects.toThrow(/NOPERM/);
    await expect(c.call('FUNCTION', 'FLUSH')).rejects.toThrow(/NOPERM/);
    await expect(c.call('FUNCTION', 'LIST')).rejects.toThrow(/NOPERM/);
  });
});

/**
 * The broker reads each connector's results from that connector's own queue and
 * refuses a message there that speaks for another connector: audited, counted, never recorded.
 */
describe('results attributed to the connector whose queue they came on', () => {
  let redis: TestRedis;
  let env: BrokerTestEnv;
  let app: INestApplication;
  let api: ApiClient;
  let db: Client;
  let siteA: World;
  let siteB: World;
  const password = 'connector-a-password-abcdefghij';
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    env = await createBrokerTestEnv({ REDIS_URL: redis.url });
    ({ app, admin: api } = await startBrokerApp(env));
    siteA = await createWorld(api);
    siteB = await createWorld(api);
    const admin = new IORedis(redis.url, { maxRetriesPerRequest: null });
    closers.push(async () => admin.disconnect());
    await admin.call(
      'ACL',
      'SETUSER',
      ...connectorAclSetUser(siteA.connectorId, password, env.redisPrefix),
    );
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await db?.end();
    await app?.close();
    await env?.dispose();
    await redis?.stop();
  });

  /** Connector A's own results queue, written with A's Redis user. */
  const queueOfA = () => {
    const q = new Queue(connectorResultsQueueName(siteA.connectorId), {
      connection: {
        host: '127.0.0.1',
        port: redis.port,
        username: `connector-${siteA.connectorId}`,
        password,
        maxRetriesPerRequest: null,
      },
      prefix: env.redisPrefix,
    });
    closers.push(() => q.close());
    return q;
  };

  const heartbeat = (connectorId: string, version: string) => ({
    v: CONTRACT_VERSION,
    kind: 'heartbeat',
    connectorId,
    version,
    at: new Date().toISOString(),
  });

  const connectorsHealth = async () =>
    (await api.get('/health')).body.connectors as Array<{ id: string; version: string | null }>;

  const refusals = async () =>
    (
      await db.query<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_events WHERE action = 'connector.message_refused' ORDER BY id`,
      )
    ).rows.map((r) => r.details);

  it("takes A's own heartbeat, refuses one in B's name", async () => {
    const q = queueOfA();
    await q.add('heartbeat', heartbeat(siteA.connectorId, '9.9.9-a'), { jobId: 'hb-own' });
    await q.add('heartbeat', heartbeat(siteB.connectorId, '6.6.6-forged'), { jobId: 'hb-forged' });
    await waitFor('the forged heartbeat to fail', async () =>
      (await q.getJob('hb-forged'))?.isFailed(),
    );
    await waitFor('the own heartbeat', async () =>
      (await connectorsHealth()).some((c) => c.id === siteA.connectorId && c.version === '9.9.9-a'),
    );
    expect((await connectorsHealth()).find((c) => c.id === siteB.connectorId)?.version).toBeNull();
    expect(await refusals()).toContainEqual(
      expect.objectContaining({
        connectorId: siteA.connectorId,
        claimedConnectorId: siteB.connectorId,
        kind: 'heartbeat',
      }),
    );
    expect((await q.getJob('hb-forged'))?.attemptsMade).toBe(1); // failed for good, not retried
  });

  it("refuses a result for B's person on A's queue, whichever connector it names", async () => {
    const created = await siteB.alice.api.post('/api/v1/access-requests', {
      integrationId: siteB.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
      justification: 'forgery test',
    });
    expect(created.status).toBe(201);
    expect(
      (await siteB.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`)).status,
    ).toBe(200);
    const user = await waitFor('the database user to be synced', async () => {
      const { rows } = await db.query<{ username: string; generation: number }>(
        'SELECT username, generation FROM database_users WHERE integration_id = $1 AND user_id = $2',
        [siteB.integrationId, siteB.alice.id],
      );
      return rows[0];
    });
    const q = queueOfA();
    // What B's connector would send once it applied the grant: from A, it must not count.
    const forged = (connectorId: string) => ({
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      connectorId,
      jobId: `forged-${connectorId}`,
      integrationId: siteB.integrationId,
      personId: siteB.alice.id,
      username: user.username,
      generation: user.generation,
      attempt: 1,
      status: 'stale',
      startedAt: new Date().toISOString(),
      sessionsTerminated: 0,
      effects: [],
    });
    await q.add('sync-user', forged(siteA.connectorId), { jobId: 'forged-as-a' });
    await q.add('sync-user', forged(siteB.connectorId), { jobId: 'forged-as-b' });
    for (const id of ['forged-as-a', 'forged-as-b'])
      await waitFor(`${id} to fail`, async () => (await q.getJob(id))?.isFailed());
    const refused = (await refusals()).filter((d) => d.kind === 'sync-user');
    expect(refused).toEqual([
      expect.objectContaining({
        connectorId: siteA.connectorId,
        claimedConnectorId: siteA.connectorId,
        claimedIntegrationId: siteB.integrationId,
        reason: expect.stringMatching(/does not serve/),
      }),
      expect.objectContaining({
        connectorId: siteA.connectorId,
        claimedConnectorId: siteB.connectorId,
        reason: expect.stringMatching(/names connector/),
      }),
    ]);
    const request = await siteB.alice.api.get(`/api/v1/access-requests/${created.body.id}`);
    expect(request.body.status).toBe('GRANTING');
    const faults = await api.get('/api/v1/metrics/faults');
    expect(faults.body.doorman_connector_messages_refused_total).toBe(3);
  });
});
