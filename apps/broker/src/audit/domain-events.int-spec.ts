import 'reflect-metadata';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  createBrokerTestEnv,
  waitFor,
  type BrokerTestEnv,
} from '../../../../test/support/broker-env';
import { AuditModule } from './audit.module';
import { AuditService } from './audit.service';
import { BrokerConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { NOTIFICATIONS_QUEUE } from '../outbox/broker-jobs';
import { QueueRegistry } from '../outbox/queue-registry';
import { DomainEventBus, type DomainEvent } from './domain-events';

/** A broker's audit trail and outbox, not bootstrapped: only the after-commit path moves rows. */
async function auditApp(env: BrokerTestEnv): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [BrokerConfigModule.forRoot(env.config), DatabaseModule, AuditModule],
  }).compile();
}

describe('domain events and Slack notice jobs of audited changes (real PostgreSQL, Redis)', () => {
  let env: BrokerTestEnv;
  let app: TestingModule;
  let audit: AuditService;
  let txHost: TransactionHost<TransactionalAdapterTypeOrm>;
  const seen: DomainEvent[] = [];

  beforeAll(async () => {
    env = await createBrokerTestEnv({
      SLACK_SIGNING_SECRET: 's'.repeat(32),
      SLACK_BOT_TOKEN: 'xoxb-domain-events',
    });
    app = await auditApp(env);
    const bus = app.get(DomainEventBus);
    bus.subscribe(async (e) => {
      seen.push(e);
    });
    // A failing subscriber is logged, never felt by the caller or the other subscribers.
    bus.subscribe(async () => {
      throw new Error('subscriber down');
    });
    audit = app.get(AuditService);
    txHost = app.get(TransactionHost);
  });
  afterAll(async () => {
    await app?.get(QueueRegistry).onApplicationShutdown();
    await app?.close();
    await env?.dispose();
  });
  beforeEach(() => (seen.length = 0));

  const noticeJobs = async () =>
    (await app.get(QueueRegistry).get(NOTIFICATIONS_QUEUE).getJobs(['waiting', 'active']))
      .map((j) => ({ id: j.id, data: j.data as unknown }))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const eventIdsOf = async (requestId: string) =>
    (
      await txHost.tx.query('SELECT id::text AS id FROM audit_events WHERE request_id = $1', [
        requestId,
      ])
    ).map((r: { id: string }) => r.id);
  const outboxRows = async () =>
    (await txHost.tx.query('SELECT count(*)::int AS n FROM outbox'))[0].n as number;

  it('publishes a change made in a transaction after it commits, with its notice job', async () => {
    const requestId = randomUUID();
    await txHost.withTransaction(async () => {
      await audit.record({ action: 'request.created', requestId, details: { n: 1 } });
      // Neither the event nor the notice leaves before the commit.
      expect(seen).toEqual([]);
      expect(await noticeJobs()).toEqual([]);
    });
    await waitFor('the event published', async () => seen.length === 1);
    expect(seen).toEqual([expect.objectContaining({ action: 'request.created', requestId })]);
    const [eventId] = await eventIdsOf(requestId);
    await waitFor('the notice relayed', async () => (await outboxRows()) === 0);
    // Only the event's id travels: the processor reads the rest when it runs.
    expect(await noticeJobs()).toEqual([
      { id: `notify-${eventId}`, data: { kind: 'notify', auditEventId: eventId } },
    ]);
  });

  it('writes notice jobs only for what Slack tells people about', async () => {
    const before = (await noticeJobs()).length;
    const requestId = randomUUID();
    await audit.recordMany([
      { action: 'credentials.revealed', requestId },
      { action: 'grant.activated', requestId },
    ]);
    await waitFor('both events published', async () => seen.length === 2);
    await waitFor('the notice relayed', async () => (await outboxRows()) === 0);
    const [, activated] = await eventIdsOf(requestId);
    const jobs = await noticeJobs();
    expect(jobs).toHaveLength(before + 1);
    expect(jobs.map((j) => j.id)).toContain(`notify-${activated}`);
  });

  it('publishes nothing and keeps no notice for a rolled-back transaction', async () => {
    const before = await noticeJobs();
    await expect(
      txHost.withTransaction(async () => {
        await audit.record({ action: 'request.denied', requestId: randomUUID() });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await outboxRows()).toBe(0);
    // A later event is published alone: the rolled-back one never was.
    await audit.record({ action: 'user.updated' });
    await waitFor('the later event', async () => seen.length === 1);
    expect(seen.map((e) => e.action)).toEqual(['user.updated']);
    expect(await noticeJobs()).toEqual(before);
  });

  it('writes no notice jobs when Slack is not configured', async () => {
    const plain = await createBrokerTestEnv();
    const other = await auditApp(plain);
    try {
      const tx = other.get<TransactionHost<TransactionalAdapterTypeOrm>>(TransactionHost);
      await other.get(AuditService).record({ action: 'request.created', requestId: randomUUID() });
      expect((await tx.tx.query('SELECT count(*)::int AS n FROM outbox'))[0].n).toBe(0);
      expect(await other.get(QueueRegistry).get(NOTIFICATIONS_QUEUE).getJobCounts()).toEqual(
        expect.objectContaining({ waiting: 0, delayed: 0, active: 0 }),
      );
    } finally {
      await other.get(QueueRegistry).onApplicationShutdown();
      await other.close();
      await plain.dispose();
    }
  });
});
