import { grantableLevels, type AdminProfile, type Capabilities } from './capabilities';
import { doctorReport, renderDoctorReport } from './doctor-report';

const admin = (over: Partial<AdminProfile> = {}): AdminProfile => ({
  name: 'manager',
  superuser: false,
  createrole: true,
  replication: false,
  signalBackend: true,
  readAllStats: true,
  versionNum: 150004,
  serverVersion: '15.4',
  ssl: true,
  sslVersion: 'TLSv1.3',
  grantablePredefined: ['pg_read_all_data', 'pg_write_all_data'],
  ...over,
});
const caps = (a: AdminProfile, over: Partial<Capabilities> = {}): Capabilities => ({
  configuredSslMode: 'verify-full',
  admin: a,
  databases: [
    {
      name: 'app',
      owner: 'app_owner',
      publicConnect: false,
      schemas: [
        { schema: 'sales', owner: 'app_owner', tables: [], ...grantableLevels(a, []) },
        { schema: 'legacy', owner: 'postgres', tables: [], ...grantableLevels(a, ['postgres']) },
      ],
    },
  ],
  roles: [],
  hbaRules: null,
  ...over,
});
const byCheck = (c: Capabilities) => new Map(doctorReport(c).map((l) => [l.check, l]));

describe('grantable levels', () => {
  it('a superuser grants everything, even on superuser-owned schemas', () => {
    expect(grantableLevels(admin({ superuser: true }), ['postgres'])).toEqual({
      grantable: ['read', 'write', 'admin'],
    });
  });
  it('CREATEROLE grants where no superuser owns anything, with the reason otherwise', () => {
    expect(grantableLevels(admin(), []).grantable).toEqual(['read', 'write', 'admin']);
    expect(grantableLevels(admin(), ['postgres'])).toEqual({
      grantable: [],
      reason: 'owned (in part) by superuser postgres, which manager cannot act for',
    });
    expect(grantableLevels(admin({ createrole: false }), []).grantable).toEqual([]);
  });
  it('PostgreSQL 16+: nothing on a schema whose owner the admin holds no ADMIN OPTION on', () => {
    expect(grantableLevels(admin(), [], ['vendor_owner'])).toEqual({
      grantable: [],
      reason:
        'owned (in part) by vendor_owner, on which manager holds no ADMIN OPTION (PostgreSQL 16+ needs it to act as a role it did not create)',
      needsAdminOption: ['vendor_owner'],
    });
  });
});

describe('doctor report', () => {
  it('an IBM manager: everything works except the superuser-owned schema', () => {
    const lines = byCheck(caps(admin()));
    expect(lines.get('terminate sessions')?.status).toBe('ok');
    expect(lines.get('rotate own password')?.status).toBe('ok');
    expect(lines.get('grantable app.sales')?.status).toBe('ok');
    expect(lines.get('grantable app.legacy')).toMatchObject({ status: 'missing' });
    expect(lines.get('pg_hba.conf')?.fix).toContain('hostssl all +doorman_managed');
  });

  it('OVHcloud avnadmin on 15: no pg_signal_backend, no rotation, each with its fix', () => {
    const lines = byCheck(
      caps(admin({ name: 'avnadmin', replication: true, signalBackend: false })),
    );
    expect(lines.get('terminate sessions')).toMatchObject({
      status: 'warn',
      fix: 'GRANT pg_signal_backend TO "avnadmin";',
    });
    expect(lines.get('rotate own password')?.status).toBe('missing');
    // PostgreSQL 16 lets a REPLICATION role change its own password.
    expect(
      byCheck(caps(admin({ replication: true, versionNum: 160002 }))).get('rotate own password')
        ?.status,
    ).toBe('ok');
  });

  it('without pg_read_all_stats: sessions cannot be observed, a warning with the GRANT', () => {
    expect(byCheck(caps(admin())).get('observe sessions')?.status).toBe('ok');
    expect(byCheck(caps(admin({ readAllStats: false }))).get('observe sessions')).toMatchObject({
      status: 'warn',
      fix: 'GRANT pg_read_all_stats TO "manager";',
    });
  });

  it('PostgreSQL 16+: the ADMIN OPTION to ask for, without the privileges that come with it', () => {
    const a = admin({ versionNum: 170010, serverVersion: '17.10', grantablePredefined: [] });
    const c = caps(a);
    c.databases[0].schemas.push({
      schema: 'vendor',
      owner: 'vendor_owner',
      tables: [],
      ...grantableLevels(a, [], ['vendor_owner']),
    });
    const lines = byCheck(c);
    expect(lines.get('grantable app.vendor')).toMatchObject({
      status: 'missing',
      fix: 'GRANT "vendor_owner" TO "manager" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;',
    });
    expect(lines.get('grant pg_read_all_data')?.fix).toBe(
      'GRANT pg_read_all_data TO "manager" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;',
    );
  });

  it('no CREATEROLE, no TLS: missing, with the SQL and the setting that fix it', () => {
    const lines = byCheck(
      caps(admin({ createrole: false, signalBackend: false, ssl: false }), {
        configuredSslMode: 'prefer',
      }),
    );
    expect(lines.get('createrole')).toMatchObject({
      status: 'missing',
      fix: 'ALTER ROLE "manager" CREATEROLE;',
    });
    expect(lines.get('terminate sessions')?.status).toBe('missing');
    expect(lines.get('tls')).toMatchObject({ status: 'missing' });
    expect(lines.get('tls')?.fix).toContain('PGSSLMODE=verify-full');
  });

  it('quotes identifiers in the SQL it suggests', () => {
    const c = caps(admin({ name: 'we"ird', grantablePredefined: [] }));
    c.databases[0].publicConnect = true;
    c.databases[0].name = 'a"b';
    const text = renderDoctorReport(doctorReport(c));
    expect(text).toContain('GRANT pg_read_all_data TO "we""ird" WITH ADMIN OPTION;');
    expect(text).toContain('REVOKE CONNECT ON DATABASE "a""b" FROM PUBLIC;');
  });
});
