import { randomUUID } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import IORedis from 'ioredis';
import type { INestApplicationContext } from '@nestjs/common';
import {
  CONTRACT_VERSION,
  connectorQueueName,
  connectorResultsQueueName,
  parseConnectorMessage,
  type ConnectorMessage,
  type SyncUserResult,
} from '@doorman/contracts';
import { generateSealKeyPair, loadSealPrivateKey, open } from '@doorman/crypto';
import { cleanupJob, person, syncJob } from '../../../../test/support/connector-jobs';
import { startTargetPostgres, type TargetPostgres } from '../../../../test/support/target-postgres';
import { ConnectorErrorCode } from '../common/connector.error';
import { bootstrap } from '../main';
import { CAPPED_EXPONENTIAL } from './backoff';
import { resultJobId } from './connector-jobs.service';

jest.setTimeout(60_000);

const REDIS_URL = 'redis://127.0.0.1:6379';

/** Every key under the prefix with its value(s) flattened to text. */
async function redisDump(redis: IORedis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      out.set(key, JSON.stringify(value));
    }
  } while (cursor !== '0');
  return out;
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  ms = 15000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The real connector (Nest application context, BullMQ worker) against real Redis and a
 * throwaway target cluster: jobs go in on the connector's queue, results come out on the
 * results queue, exactly as the broker sees them.
 */
describe('connector worker', () => {
  const prefix = `{doorman-test-${randomUUID().slice(0, 8)}}`;
  const connectorId = randomUUID();
  const keys = generateSealKeyPair();
  const privateKey = loadSealPrivateKey(keys.privateKey);
  const logLines: string[] = [];
  const issued: string[] = [];
  let target: TargetPostgres;
  let app: INestApplicationContext;
  let jobs: Queue;
  let results: Queue;
  let redis: IORedis;

  const env = (over: Record<string, string> = {}) => ({
    REDIS_URL,
    REDIS_PREFIX: prefix,
    CONNECTOR_ID: connectorId,
    TARGET_DATABASE_URL: target.superuserUrl('postgres'),
    PGSSLMODE: 'verify-full',
    PGSSLROOTCERT: target.caFile,
    BROKER_SEAL_PUBLIC_KEY: keys.publicKey,
    HEARTBEAT_INTERVAL_MS: '200',
    LOG_LEVEL: 'trace',
    ...over,
  });

  async function resultOf(
    jobId: string,
    attempt = 1,
    from: Queue = results,
  ): Promise<ConnectorMessage> {
    const job = await waitFor(`result of ${jobId}#${attempt}`, () =>
      from.getJob(resultJobId(jobId, attempt)),
    );
    const parsed = parseConnectorMessage(job.data);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  }

  async function settled(job: Job): Promise<string> {
    return waitFor(`job ${job.id} to settle`, async () => {
      const state = await jobs.getJobState(job.id!);
      return state === 'completed' || state === 'failed' ? state : undefined;
    });
  }

  beforeAll(async () => {
    target = await startTargetPostgres();
    await target.createDatabase('app');
    await target.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
    await target.query("INSERT INTO public.orders VALUES (1, 'book')", [], 'app');
    redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
    const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
    jobs = new Queue(connectorQueueName(connectorId), { connection, prefix });
    results = new Queue(connectorResultsQueueName(connectorId), { connection, prefix });
    app = await bootstrap({
      env: env(),
      logDestination: { write: (line: string) => logLines.push(line) },
    });
  });

  afterAll(async () => {
    await app?.close();
    await jobs?.close();
    await results?.close();
    if (redis) {
      const all = await redisDump(redis, prefix);
      if (all.size) await redis.del(...all.keys());
      redis.disconnect();
    }
    await target?.stop();
  });

  it('issues a sealed password through the queue that logs in over TLS', async () => {
    const who = person();
    const job = await jobs.add(
      'sync-user',
      syncJob(who, 1, [{ database: 'app', schema: 'public', permission: 'read' }], {
        rotatePassword: true,
      }),
      {
        jobId: `sync-${who.integrationId}-${who.personId}-1`,
      },
    );
    expect(await settled(job)).toBe('completed');
    const result = (await resultOf(job.id!)) as SyncUserResult;
    expect(result).toMatchObject({
      kind: 'sync-user',
      status: 'applied',
      connectorId,
      jobId: job.id,
      attempt: 1,
      generation: 1,
    });
    const password = open(result.sealedPassword!, privateKey);
    issued.push(password);
    const c = await target.connect(who.username, password, 'app');
    expect((await c.query('SELECT item FROM public.orders')).rows).toEqual([{ item: 'book' }]);
    await c.end();

    // Ending access through the queue as well, then cleanup.
    const end = await jobs.add('sync-user', syncJob(who, 2, []));
    expect(await settled(end)).toBe('completed');
    expect(await resultOf(end.id!)).toMatchObject({ status: 'applied' });
    const gone = await jobs.add('cleanup-user', cleanupJob(who, 2, ['app']));
    expect(await settled(gone)).toBe('completed');
    expect(await resultOf(gone.id!)).toMatchObject({ kind: 'cleanup-user', status: 'applied' });
    expect(
      (await target.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [who.username])).rows,
    ).toEqual([]);
  });

  it('fails a malformed or unknown-version payload as unrecoverable and keeps working', async () => {
    const bad = await jobs.add(
      'sync-user',
      { v: CONTRACT_VERSION, kind: 'sync-user', username: 'x' },
      { attempts: 5 },
    );
    const future = await jobs.add(
      'sync-user',
      { ...syncJob(person(), 1, []), v: 99 },
      { attempts: 5 },
    );
    const who = person();
    const good = await jobs.add(
      'sync-user',
      syncJob(who, 1, [{ database: 'app', schema: 'public', permission: 'read' }]),
    );

    expect(await settled(bad)).toBe('failed');
    expect(await settled(future)).toBe('failed');
    const badJob = (await jobs.getJob(bad.id!))!;
    expect(badJob.failedReason).toMatch(/^invalid job payload: .*integrationId/);
    expect(badJob.attemptsMade).toBe(1); // not retried despite attempts: 5
    const futureJob = (await jobs.getJob(future.id!))!;
    expect(futureJob.failedReason).toMatch(/unsupported contract version 99/);
    // Enough of it parses to tell the broker which job failed.
    expect(await resultOf(future.id!)).toMatchObject({
      status: 'failed',
      error: { code: 'INVALID_PAYLOAD', retryable: false },
    });

    expect(await settled(good)).toBe('completed');
    const r = (await resultOf(good.id!)) as SyncUserResult;
    expect(r.status).toBe('applied');
    issued.push(open(r.sealedPassword!, privateKey));
  });

  it('reports a name clash as a permanent failure and leaves the role alone', async () => {
    const who = person();
    await target.query(`CREATE ROLE ${who.username} LOGIN`);
    const job = await jobs.add(
      'sync-user',
      syncJob(who, 1, [{ database: 'app', schema: 'public', permission: 'read' }]),
      {
        attempts: 5,
        backoff: { type: CAPPED_EXPONENTIAL },
      },
    );
    expect(await settled(job)).toBe('failed');
    expect((await jobs.getJob(job.id!))!.attemptsMade).toBe(1);
    expect(await resultOf(job.id!)).toMatchObject({
      status: 'failed',
      error: { code: ConnectorErrorCode.NameClash, retryable: false },
    });
    const [row] = (
      await target.query(
        "SELECT rolcanlogin, shobj_description(oid, 'pg_authid') AS comment, (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS n FROM pg_roles r WHERE rolname = $1",
        [who.username],
      )
    ).rows;
    expect(row).toEqual({ rolcanlogin: true, comment: null, n: 0 });
  });

  it('retries a transient failure with the capped-exponential backoff, one result per attempt', async () => {
    // A second connector instance whose target is unreachable (a closed port).
    const otherId = randomUUID();
    const other = await bootstrap({
      env: env({
        CONNECTOR_ID: otherId,
        TARGET_DATABASE_URL: target.superuserUrl('postgres').replace(`:${target.port}/`, ':1/'),
        HEARTBEAT_INTERVAL_MS: '60000',
      }),
      logDestination: { write: (line: string) => logLines.push(line) },
    });
    const queue = new Queue(connectorQueueName(otherId), {
      connection: { host: '127.0.0.1', port: 6379 },
      prefix,
    });
    const otherResults = new Queue(connectorResultsQueueName(otherId), {
      connection: { host: '127.0.0.1', port: 6379 },
      prefix,
    });
    try {
      const job = await queue.add('sync-user', syncJob(person(), 1, []), {
        attempts: 2,
        backoff: { type: CAPPED_EXPONENTIAL },
      });
      const first = await resultOf(job.id!, 1, otherResults);
      expect(first).toMatchObject({
        status: 'failed',
        attempt: 1,
        error: { code: ConnectorErrorCode.ConnectionFailed, retryable: true },
      });
      const second = await resultOf(job.id!, 2, otherResults);
      expect(second).toMatchObject({ status: 'failed', attempt: 2 });
      expect(
        await waitFor(
          'the job to fail for good',
          async () => (await queue.getJobState(job.id!)) === 'failed',
        ),
      ).toBe(true);
      expect((await queue.getJob(job.id!))!.attemptsMade).toBe(2);
      // The first retry waits 1 s ± 20 % (capped-exponential, attempt 1).
      const t1 = (await otherResults.getJob(resultJobId(job.id!, 1)))!.timestamp;
      const t2 = (await otherResults.getJob(resultJobId(job.id!, 2)))!.timestamp;
      expect(t2 - t1).toBeGreaterThanOrEqual(750);
      expect(t2 - t1).toBeLessThan(3000);
    } finally {
      await queue.close();
      await otherResults.close();
      await other.close();
    }
  });

  it('sends heartbeats with the target server version', async () => {
    const beat = await waitFor('a heartbeat', async () => {
      const waiting = await results.getJobs(['waiting'], 0, 1000);
      return waiting.find((j) => j.data.kind === 'heartbeat' && j.data.connectorId === connectorId);
    });
    const parsed = parseConnectorMessage(beat.data);
    expect(parsed.ok).toBe(true);
    expect(beat.data.serverVersion).toMatch(/^\d+\.\d+/);
  });

  it('never lets a plain password into a log line or a Redis key', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect(logLines.length).toBeGreaterThan(10);
    for (const line of logLines) JSON.parse(line); // JSON lines
    const dump = await redisDump(redis, prefix);
    expect(dump.size).toBeGreaterThan(0);
    // Neither issued passwords nor the connector's own superuser password.
    for (const password of [...issued, target.superuserPassword]) {
      for (const line of logLines) expect(line).not.toContain(password);
      for (const [key, value] of dump) {
        expect(key).not.toContain(password);
        expect(value).not.toContain(password);
      }
    }
  });
});
