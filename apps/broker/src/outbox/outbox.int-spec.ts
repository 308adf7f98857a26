import 'reflect-metadata';
import { TIMERS_QUEUE } from '@doorman/contracts';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  createBrokerTestEnv,
  waitFor,
  type BrokerTestEnv,
} from '../../../../test/support/broker-env';

import { BrokerConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import type { OutboxJob } from './broker-jobs';
import { OutboxModule } from './outbox.module';
import { OutboxRepository } from './outbox.repository';
import { OutboxService, POLL_GRACE_MS } from './outbox.service';
import { QueueRegistry } from './queue-registry';

describe('outbox: rows written in the ambient transaction, enqueued once it commits', () => {
  let env: BrokerTestEnv;
  let app: TestingModule;
  let outbox: OutboxService;
  let txHost: TransactionHost<TransactionalAdapterTypeOrm>;
  let queues: QueueRegistry;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    // Not bootstrapped (no init): no polling relay, so only the after-commit path moves rows.
    app = await Test.createTestingModule({
      imports: [BrokerConfigModule.forRoot(env.config), DatabaseModule, OutboxModule],
    }).compile();
    outbox = app.get(OutboxService);
    txHost = app.get(TransactionHost);
    queues = app.get(QueueRegistry);
  });

  afterAll(async () => {
    await queues.onApplicationShutdown();
    await app.close();
    await env.dispose();
  });

  const expiry = (requestId = randomUUID()): OutboxJob => ({
    job: { kind: 'expire-grant', requestId },
    jobId: `expire-${requestId}`,
    runAt: new Date(Date.now() + 3_600_000),
  });
  const rowsLeft = async () =>
    (await txHost.tx.query('SELECT count(*)::int AS n FROM outbox'))[0].n as number;
  const jobIdsIn = async () =>
    (await queues.get(TIMERS_QUEUE).getJobs(['delayed', 'waiting'])).map((j) => j.id).sort();

  it('enqueues what a committed transaction wrote, under its job ids, and deletes the rows', async () => {
    const [a, b, c] = [expiry(), expiry(), expiry()];
    await txHost.withTransaction(async () => {
      await outbox.add(a);
      await outbox.addMany([b, c]);
      // Inside the transaction nothing has left yet.
      expect(await jobIdsIn()).toEqual([]);
    });
    await waitFor('the rows relayed', async () => (await rowsLeft()) === 0);
    expect(await jobIdsIn()).toEqual([a.jobId, b.jobId, c.jobId].sort());
    const job = await queues.get(TIMERS_QUEUE).getJob(a.jobId);
    expect(job?.name).toBe('expire-grant');
    expect(job?.data).toEqual(a.job);
  });

  it('enqueues nothing and keeps nothing for a transaction that rolls back', async () => {
    const before = await jobIdsIn();
    const d = expiry();
    await expect(
      txHost.withTransaction(async () => {
        await outbox.add(d);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await rowsLeft()).toBe(0);
    expect(await jobIdsIn()).toEqual(before);
  });

  /** A row committed whose after-commit enqueue never ran (the broker died in between). */
  const leftBehind = async (e: OutboxJob, ageMs: number) => {
    const [id] = await app.get(OutboxRepository).insert([
      {
        queue: TIMERS_QUEUE,
        jobName: e.job.kind,
        jobId: e.jobId,
        payload: e.job as unknown as Record<string, unknown>,
        runAt: e.runAt!,
      },
    ]);
    await txHost.tx.query(
      `UPDATE outbox SET created_at = now() - make_interval(secs => $2) WHERE id = $1`,
      [id, ageMs / 1000],
    );
  };

  it('the relay moves rows a stopped broker left behind, once each', async () => {
    const e = expiry();
    await leftBehind(e, POLL_GRACE_MS + 1000);
    await outbox.poll();
    expect(await rowsLeft()).toBe(0);
    expect(await jobIdsIn()).toContain(e.jobId);
  });

  it('the scheduled poll leaves a row just written to its direct relay; a kicked relay takes it', async () => {
    const e = expiry();
    await leftBehind(e, 0);
    await outbox.poll();
    expect(await rowsLeft()).toBe(1);
    expect(await jobIdsIn()).not.toContain(e.jobId);
    // Booting, or a direct relay that failed: every row at once.
    outbox.kick();
    await waitFor('the kicked relay', async () => (await rowsLeft()) === 0);
    expect(await jobIdsIn()).toContain(e.jobId);
  });

  it('deletes relayed rows without waiting for the WAL flush, in that transaction only', async () => {
    const e = expiry();
    await leftBehind(e, 0);
    const [{ id }] = await txHost.tx.query<Array<{ id: string }>>(
      'SELECT id FROM outbox WHERE job_id = $1',
      [e.jobId],
    );
    const sql = `SELECT current_setting('synchronous_commit') AS s`;
    const setting = async () => (await txHost.tx.query<Array<{ s: string }>>(sql))[0].s;
    await txHost.withTransaction(async () => {
      expect(await setting()).toBe('on');
      await app.get(OutboxRepository).delete([id]);
      expect(await setting()).toBe('off');
    });
    expect(await rowsLeft()).toBe(0);
    // Only that transaction: the next one (on any pooled connection) commits synchronously.
    await txHost.withTransaction(async () => expect(await setting()).toBe('on'));
  });
});
