import { CATALOG_LIMITS, CatalogDatabaseEntrySchema } from '@doorman/contracts';
import { grantableLevels, type AdminProfile, type Capabilities } from './capabilities';
import { catalogReport } from './catalog-report';
import { doctorReport } from './doctor-report';

const admin: AdminProfile = {
  name: 'avnadmin',
  superuser: false,
  createrole: true,
  replication: true,
  signalBackend: false,
  readAllStats: false,
  versionNum: 150004,
  serverVersion: '15.4',
  ssl: true,
  sslVersion: 'TLSv1.3',
  grantablePredefined: [],
};

const caps = (tables = 1): Capabilities => ({
  configuredSslMode: 'verify-full',
  admin,
  databases: [
    {
      name: 'app',
      owner: 'app_owner',
      publicConnect: true,
      schemas: [
        {
          schema: 'sales',
          owner: 'app_owner',
          tables: Array.from({ length: tables }, (_, i) => ({ name: `t${i}`, owner: 'app_owner' })),
          ...grantableLevels(admin, []),
        },
        {
          schema: 'legacy',
          owner: 'postgres',
          tables: [{ name: 'ledger', owner: 'postgres' }],
          ...grantableLevels(admin, ['postgres']),
        },
      ],
    },
    {
      name: 'broken',
      owner: 'app_owner',
      publicConnect: false,
      schemas: [],
      error: 'INSUFFICIENT_PRIVILEGE',
    },
  ],
  roles: [
    { name: 'pg_monitor', grantable: true },
    { name: 'root_group', grantable: false, reason: 'root_group has SUPERUSER' },
  ],
  hbaRules: null,
});

describe('catalogReport', () => {
  it('reports the requested databases in order, a missing one with an error, each schema with its levels', () => {
    const c = caps();
    const r = catalogReport(c, doctorReport(c), ['missing', 'app', 'broken']);
    expect(r.databases.map((d) => [d.name, d.error ?? null])).toEqual([
      ['missing', 'database missing does not exist, or avnadmin may not connect to it'],
      ['app', null],
      ['broken', 'INSUFFICIENT_PRIVILEGE'],
    ]);
    expect(r.databases[1].schemas).toEqual([
      {
        schema: 'sales',
        owner: 'app_owner',
        grantable: ['read', 'write', 'admin'],
        tables: [{ name: 't0', owner: 'app_owner' }],
        tableCount: 1,
      },
      {
        schema: 'legacy',
        owner: 'postgres',
        grantable: [],
        reason: 'owned (in part) by superuser postgres, which avnadmin cannot act for',
        tables: [{ name: 'ledger', owner: 'postgres' }],
        tableCount: 1,
      },
    ]);
    expect(r.admin).toEqual({
      name: 'avnadmin',
      superuser: false,
      createrole: true,
      serverVersion: '15.4',
      versionNum: 150004,
      grantablePredefined: [],
    });
    expect(r.doctor.find((l) => l.check === 'grantable app.legacy')?.status).toBe('missing');
    expect(r.roles).toEqual([
      { name: 'pg_monitor', grantable: true },
      { name: 'root_group', grantable: false, reason: 'root_group has SUPERUSER' },
    ]);
    expect(r.doctor.find((l) => l.check === 'existing roles')?.detail).toBe(
      'grantable as member: pg_monitor; refused: root_group (root_group has SUPERUSER)',
    );
  });

  it('clips long table lists to the contract and keeps the count', () => {
    const c = caps(CATALOG_LIMITS.tables + 5);
    const [app] = catalogReport(c, [], ['app']).databases;
    expect(app.schemas[0].tables).toHaveLength(CATALOG_LIMITS.tables);
    expect(app.schemas[0].tableCount).toBe(CATALOG_LIMITS.tables + 5);
    expect(CatalogDatabaseEntrySchema.safeParse(app).success).toBe(true);
  });
});
