import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** The one DataSource definition, used by the app, the CLI and tests, so they cannot drift. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+; no extension to install on managed servers.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    migrationsRun: false,
    logging: false,
    // TypeORM drops a null or undefined value from a find's WHERE by default, so
    // `findOneBy({ id: undefined })` answers the first row of the table (a sign-in once came
    // back as the admin that way). Such a lookup is a bug: refuse it.
    invalidWhereValuesBehavior: { null: 'throw', undefined: 'throw' },
    extra: { max: 20, application_name: 'doorman-broker' },
  };
}

/** Arbitrary but fixed: only one broker replica migrates at a time. */
const MIGRATION_LOCK_KEY = 0x646f6f72; // "door"

/** Applies pending migrations under a session advisory lock, so concurrent replicas wait. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((m) => m.name);
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await runner.release();
  }
}
