import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createBrokerTestEnv, type BrokerTestEnv } from '../../../../test/support/broker-env';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { dataSourceOptions, migrate } from '../database/data-source';
import { DomainEventBus, type DomainEvent } from './domain-events';

describe('domain events (real PostgreSQL)', () => {
  let env: BrokerTestEnv;
  let ds: DataSource;
  let audit: AuditService;
  const seen: DomainEvent[] = [];
  const settle = () => new Promise((r) => setTimeout(r, 20));

  beforeAll(async () => {
    env = await createBrokerTestEnv();
    ds = await new DataSource(dataSourceOptions(env.databaseUrl)).initialize();
    await migrate(ds);
    const bus = new DomainEventBus(ds);
    bus.subscribe(async (e) => {
      seen.push(e);
    });
    // A failing subscriber is logged, never felt by the caller or the other subscribers.
    bus.subscribe(async () => {
      throw new Error('subscriber down');
    });
    audit = new AuditService(ds.getRepository(AuditEventEntity), bus);
  });
  afterAll(async () => {
    await ds?.destroy();
    await env?.dispose();
  });
  beforeEach(() => (seen.length = 0));

  it('publishes an audited change made in a transaction only after it commits', async () => {
    await ds.transaction(async (em) => {
      await audit.record({ action: 'test.inside', details: { n: 1 } }, em);
      await settle();
      expect(seen).toEqual([]);
    });
    await settle();
    expect(seen).toEqual([expect.objectContaining({ action: 'test.inside', details: { n: 1 } })]);
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    await expect(
      ds.transaction(async (em) => {
        await audit.record({ action: 'test.rolled_back' }, em);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await settle();
    expect(seen).toEqual([]);
  });

  it('publishes at once outside a transaction', async () => {
    await audit.record({ action: 'test.outside' });
    await settle();
    expect(seen.map((e) => e.action)).toEqual(['test.outside']);
  });
});
