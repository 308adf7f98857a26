import {
  discoveryDue,
  everythingFacts,
  isFresh,
  judgeGrantability,
  roleFacts,
  schemaKey,
} from './catalog.policy';

const now = new Date('2026-11-22T12:00:00Z');
const HOUR = 3600_000;
const ago = (ms: number) => new Date(now.getTime() - ms);
const ask = { database: 'app', schema: 'legacy', permission: 'read' as const };
const catalog = (discoveredAt: Date | null) => ({ discoveredAt, adminName: 'avnadmin' });

describe('judgeGrantability', () => {
  it('lets the request go on (grant-time check) without a catalog, with a stale one, or for an unknown schema', () => {
    expect(judgeGrantability(null, null, ask, now, HOUR)).toEqual({
      ok: true,
      basis: 'no-catalog',
    });
    expect(judgeGrantability(catalog(null), null, ask, now, HOUR)).toEqual({
      ok: true,
      basis: 'no-catalog',
    });
    expect(
      judgeGrantability(catalog(ago(2 * HOUR)), { grantable: [], reason: 'x' }, ask, now, HOUR),
    ).toEqual({ ok: true, basis: 'stale-catalog' });
    expect(judgeGrantability(catalog(ago(1000)), null, ask, now, HOUR)).toEqual({
      ok: true,
      basis: 'not-in-catalog',
    });
  });

  it('accepts a level the fresh catalog says can be granted', () => {
    expect(
      judgeGrantability(
        catalog(ago(1000)),
        { grantable: ['read', 'write'], reason: null },
        ask,
        now,
        HOUR,
      ),
    ).toEqual({ ok: true, basis: 'catalog' });
  });

  it('refuses a schema where nothing can be granted, naming the admin, the reason and the catalog time', () => {
    const v = judgeGrantability(
      catalog(ago(1000)),
      { grantable: [], reason: 'owned (in part) by superuser postgres' },
      ask,
      now,
      HOUR,
    );
    expect(v).toEqual({
      ok: false,
      field: 'schema',
      reason:
        'avnadmin cannot grant anything on app.legacy: owned (in part) by superuser postgres (catalog read 2026-11-22T11:59:59.000Z)',
    });
  });

  it('refuses a level beyond what can be granted there, on the permission', () => {
    const v = judgeGrantability(
      { discoveredAt: ago(0), adminName: null },
      { grantable: ['read'], reason: null },
      { ...ask, permission: 'admin' },
      now,
      HOUR,
    );
    expect(v).toMatchObject({ ok: false, field: 'permission' });
    expect(!v.ok && v.reason).toMatch(
      /^the integration's admin cannot grant admin on app\.legacy, only read \(catalog read /,
    );
  });
});

describe('everything on the server (pg_read_all_data / pg_write_all_data)', () => {
  const everything = { database: '*', schema: '*' };

  it('offers read with pg_read_all_data, write only with both, never admin', () => {
    expect(everythingFacts(['pg_read_all_data', 'pg_write_all_data'])).toEqual({
      grantable: ['read', 'write'],
      reason: null,
    });
    expect(everythingFacts(['pg_read_all_data']).grantable).toEqual(['read']);
    expect(everythingFacts(['pg_write_all_data']).grantable).toEqual([]);
  });

  it('refuses with the reason when the admin may not grant them', () => {
    const v = judgeGrantability(
      catalog(ago(0)),
      everythingFacts([]),
      { ...everything, permission: 'read' },
      now,
      HOUR,
    );
    expect(!v.ok && v.reason).toMatch(
      /^avnadmin cannot grant read on everything: it may not grant pg_read_all_data/,
    );
    expect(
      judgeGrantability(
        catalog(ago(0)),
        everythingFacts(['pg_read_all_data', 'pg_write_all_data']),
        { ...everything, permission: 'write' },
        now,
        HOUR,
      ),
    ).toEqual({ ok: true, basis: 'catalog' });
  });
});

describe('isFresh, discoveryDue, schemaKey', () => {
  it('is fresh up to the bound, inclusive', () => {
    expect(isFresh(ago(HOUR), now, HOUR)).toBe(true);
    expect(isFresh(ago(HOUR + 1), now, HOUR)).toBe(false);
    expect(isFresh(null, now, HOUR)).toBe(false);
  });

  it('is due at once when never read, else a period after the last success or failure', () => {
    expect(discoveryDue(null, null, HOUR).getTime()).toBe(0);
    expect(discoveryDue(ago(HOUR), ago(10), HOUR)).toEqual(new Date(now.getTime() - 10 + HOUR));
    expect(discoveryDue(ago(10), null, HOUR)).toEqual(new Date(now.getTime() - 10 + HOUR));
  });

  it('keeps database and schema apart', () => {
    expect(schemaKey('a.b', 'c')).not.toBe(schemaKey('a', 'b.c'));
  });
});

describe('existing roles in the catalog', () => {
  const roles = [
    { name: 'pg_monitor', grantable: true },
    { name: 'root_group', grantable: false, reason: 'root_group has SUPERUSER' },
  ];
  const role = (name: string) => ({ database: '*', schema: name, permission: 'member' as const });

  it('offers member on a grantable role, refuses the others with the reason, leaves unknown roles to the connector', () => {
    expect(roleFacts(roles, 'pg_monitor')).toEqual({ grantable: ['member'], reason: null });
    expect(
      judgeGrantability(
        catalog(ago(1000)),
        roleFacts(roles, 'pg_monitor'),
        role('pg_monitor'),
        now,
        HOUR,
      ),
    ).toEqual({ ok: true, basis: 'catalog' });
    const refused = judgeGrantability(
      catalog(ago(1000)),
      roleFacts(roles, 'root_group'),
      role('root_group'),
      now,
      HOUR,
    );
    expect(refused).toEqual({
      ok: false,
      field: 'schema',
      reason: `avnadmin cannot grant role root_group: root_group has SUPERUSER (catalog read ${ago(1000).toISOString()})`,
    });
    expect(roleFacts(roles, 'app_login')).toBeNull();
    expect(roleFacts(null, 'pg_monitor')).toBeNull();
    expect(judgeGrantability(catalog(ago(1000)), null, role('app_login'), now, HOUR)).toEqual({
      ok: true,
      basis: 'not-in-catalog',
    });
  });
});
