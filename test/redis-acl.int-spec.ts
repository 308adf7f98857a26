import { connectorAclSetUser, connectorQueueName, RESULTS_QUEUE } from '@doorman/contracts';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { waitFor } from './support/broker-env';
import { TestRedis } from './support/redis-server';

const PREFIX = '{doorman}';

/**
 * Each connector's own Redis user (issue 6), on a Redis of the test's own: it works its own
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
    const results = new Queue(RESULTS_QUEUE, { connection: asA(), prefix: PREFIX });
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
    const back = new Queue(RESULTS_QUEUE, { connection: admin, prefix: PREFIX });
    closers.push(() => back.close());
    await waitFor('the result', async () => (await back.getJob('result-job-1')) !== undefined);
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
});
