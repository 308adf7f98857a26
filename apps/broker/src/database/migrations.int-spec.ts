import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createBrokerTestEnv, type BrokerTestEnv } from '../../../../test/support/broker-env';
import { UserEntity } from '../identity/user.entity';
import { dataSourceOptions, migrate } from './data-source';

describe('migrations (real PostgreSQL)', () => {
  let env: BrokerTestEnv;
  beforeAll(async () => {
    env = await createBrokerTestEnv();
  });
  afterAll(async () => env.dispose());

  it('apply once under concurrent starts, and entities match them exactly (no drift)', async () => {
    const a = await new DataSource(dataSourceOptions(env.databaseUrl)).initialize();
    const b = await new DataSource(dataSourceOptions(env.databaseUrl)).initialize();
    try {
      const [ranA, ranB] = await Promise.all([migrate(a), migrate(b)]);
      expect([...ranA, ...ranB]).toHaveLength(a.migrations.length);
      const pending = await a.driver.createSchemaBuilder().log();
      // Any query here means an entity changed without a migration: migrations are reviewed code, never synchronize.
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      expect(await migrate(a)).toEqual([]);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });

  it('refuses a lookup by a missing value instead of answering the first row', async () => {
    const ds = await new DataSource(dataSourceOptions(env.databaseUrl)).initialize();
    try {
      await migrate(ds);
      const users = ds.getRepository(UserEntity);
      await users.insert({ email: 'first@example.com', name: 'first', roles: ['admin'] });
      await expect(users.findOneBy({ id: undefined as unknown as string })).rejects.toThrow();
      await expect(users.findOneBy({ id: null as unknown as string })).rejects.toThrow();
    } finally {
      await ds.destroy();
    }
  });
});
