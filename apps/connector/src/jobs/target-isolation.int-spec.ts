import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import { connectorQueueName } from '@doorman/contracts';
import { generateSealKeyPair } from '@doorman/crypto';
import { deleteRedisPrefix } from '../../../../test/support/broker-env';
import { person, syncJob } from '../../../../test/support/connector-jobs';
import { startTargetPostgres, type TargetPostgres } from '../../../../test/support/target-postgres';
import { bootstrap } from '../main';

jest.setTimeout(60_000);

const REDIS_URL = 'redis://127.0.0.1:6379';

/** A server that takes connections and never answers: a target that hangs, not one that is down. */
async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * One connector, two targets, one of which hangs every connection until its 10 s timeout.
 * Each target's jobs pass its own gate (CONNECTOR_CONCURRENCY running, 8× held), so the hung
 * target's backlog fills only its own room: the other target's jobs are taken and done at once,
 * and the hung target's extra jobs wait in Redis, not in the worker.
 */
describe('connector with a hung target', () => {
  const prefix = `{doorman-test-${randomUUID().slice(0, 8)}}`;
  const connectorId = randomUUID();
  const hungId = randomUUID();
  const liveId = randomUUID();
  const dir = mkdtempSync(join(tmpdir(), 'doorman-isolation-'));
  let live: TargetPostgres;
  let hung: Awaited<ReturnType<typeof blackHole>>;
  let app: INestApplicationContext;
  let jobs: Queue;

  beforeAll(async () => {
    [live, hung] = await Promise.all([startTargetPostgres(), blackHole()]);
    await live.createDatabase('app');
    await live.query('CREATE TABLE public.t (id int)', [], 'app');
    const file = join(dir, 'targets.json');
    writeFileSync(
      file,
      JSON.stringify({
        targets: [
          {
            integrationId: hungId,
            url: `postgres://postgres@127.0.0.1:${hung.port}/postgres?sslmode=disable`,
            adminSecret: { env: 'HUNG_PASSWORD' },
          },
          {
            integrationId: liveId,
            url: `postgres://postgres@127.0.0.1:${live.port}/postgres?sslmode=verify-full`,
            sslrootcert: live.caFile,
            adminSecret: { env: 'LIVE_PASSWORD' },
          },
        ],
      }),
    );
    jobs = new Queue(connectorQueueName(connectorId), {
      connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null },
      prefix,
    });
    app = await bootstrap({
      env: {
        REDIS_URL,
        REDIS_PREFIX: prefix,
        CONNECTOR_ID: connectorId,
        CONNECTOR_TARGETS_FILE: file,
        HUNG_PASSWORD: 'never-checked',
        LIVE_PASSWORD: live.superuserPassword,
        BROKER_SEAL_PUBLIC_KEY: generateSealKeyPair().publicKey,
        CONNECTOR_CONCURRENCY: '1',
        HEARTBEAT_INTERVAL_MS: '60000',
        RECONCILE_INTERVAL_MS: '60000',
        SESSION_OBSERVE_INTERVAL_MS: '60000',
        METRICS_PORT: '0',
        LOG_LEVEL: 'silent',
      },
    });
  });

  afterAll(async () => {
    // Refused from now on, the hung target's jobs fail at once and the worker can close.
    await hung?.close();
    await app?.close();
    await jobs?.close();
    await deleteRedisPrefix(prefix);
    await live?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const grant = (integrationId: string) =>
    syncJob(person({ integrationId }), 1, [
      { database: 'app', schema: 'public', permission: 'read' },
    ]);

  it("the live target's jobs complete while the hung one holds all it may", async () => {
    // Twenty jobs on the hung target first: one connects (and hangs), seven wait for its slot,
    // the rest are put back in Redis.
    await jobs.addBulk(
      Array.from({ length: 20 }, () => ({ name: 'sync-user', data: grant(hungId) })),
    );
    const liveJobs: Job[] = await jobs.addBulk(
      Array.from({ length: 4 }, () => ({ name: 'sync-user', data: grant(liveId) })),
    );
    const started = Date.now();
    for (;;) {
      const states = await Promise.all(liveJobs.map((j) => jobs.getJobState(j.id!)));
      if (states.every((s) => s === 'completed')) break;
      if (states.some((s) => s === 'failed'))
        throw new Error(`a live job failed: ${states.join(', ')}`);
      // Well before the hung target's first connection gives up (10 s).
      if (Date.now() - started > 8000) throw new Error(`live jobs still ${states.join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // What the hung target holds is bounded (1 running + 7 waiting): the others are not
    // attempted, only put back for later.
    const active = await jobs.getActive();
    expect(
      active.filter((j) => (j.data as { integrationId: string }).integrationId === hungId).length,
    ).toBeLessThanOrEqual(8);
    const delayed = await jobs.getDelayed();
    const putBack = delayed.filter(
      (j) => (j.data as { integrationId: string }).integrationId === hungId && j.attemptsMade === 0,
    );
    expect(putBack.length).toBeGreaterThan(0);
  });
});
