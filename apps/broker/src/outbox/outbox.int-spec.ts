import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createBrokerTestEnv, type BrokerTestEnv } from '../../../../test/support/broker-env';
import { dataSourceOptions, migrate } from '../database/data-source';
import { OutboxEntity } from './outbox.entity';
import { OutboxService } from './outbox.service';
import { QueueRegistry } from './queue-registry';

describe('outbox direct relay (real PostgreSQL and Redis)', () => {
  let env: BrokerTestEnv;
  let ds: DataSource;
  let queues: QueueRegistry;
  let outbox: OutboxService;

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    ds = await new DataSource(dataSourceOptions(env.databaseUrl)).initialize();
    await migrate(ds);
    queues = new QueueRegistry(env.config);
    // Not bootstrapped: no polling relay, so only the direct path can move the rows.
    outbox = new OutboxService(ds, queues);
  });

  afterAll(async () => {
    await queues.onApplicationShutdown();
    await ds.destroy();
    await env.dispose();
  });

  const job = (jobId: string) => ({
    queue: 'direct-relay-test',
    jobName: 'noop',
    jobId,
    payload: { jobId },
  });

  it('enqueues what a committed transaction wrote, under its job ids, and deletes the rows', async () => {
    let written: ReturnType<OutboxService['takeWritten']> = [];
    await ds.transaction(async (em) => {
      await outbox.add(em, job('a'));
      await outbox.addMany(em, [job('b'), job('c')]);
      written = outbox.takeWritten(em);
    });
    expect(written.map((w) => w.jobId)).toEqual(['a', 'b', 'c']);
    await outbox.relayWritten(written);
    expect(await ds.getRepository(OutboxEntity).count()).toBe(0);
    const q = queues.get('direct-relay-test');
    expect((await q.getJobs(['waiting'])).map((j) => j.id).sort()).toEqual(['a', 'b', 'c']);
    // A second enqueue of the same rows (the relay racing the direct path) adds nothing.
    await outbox.relayWritten(written);
    expect((await q.getJobCounts('waiting')).waiting).toBe(3);
  });
});
