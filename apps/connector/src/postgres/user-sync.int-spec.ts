import { escapeIdentifier as ident, type Client } from 'pg';
import pino from 'pino';
import { parseRoleComment, type GroupGrant } from '@doorman/contracts';
import { generateSealKeyPair, loadSealPrivateKey, loadSealPublicKey, open } from '@doorman/crypto';
import { cleanupJob, person, syncJob, type Person } from '../../../../test/support/connector-jobs';
import {
  startTargetPostgres,
  type TargetPostgres,
  type TargetVersion,
} from '../../../../test/support/target-postgres';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import { sslOptions } from '../config/connector.config';
import { classifyError } from './sqlstate';
import { groupRoleName, INHERITOR_ROLE, MARKER_ROLE } from './group-role';
import { GroupRolesService } from './group-roles.service';
import { TargetClient } from './target-client';
import { UserCleanupService } from './user-cleanup.service';
import { UserSyncService, type SyncOutcome } from './user-sync.service';

jest.setTimeout(60_000);

/**
 * The sync and cleanup services against a real throwaway cluster (scram-sha-256, TLS):
 * every assertion is an outcome in PostgreSQL — a login that works or fails, a privilege
 * held or refused, a role in pg_roles.
 */
// 15 from Debian's packages, 17 from npm: from 16 a user holds its groups WITH INHERIT TRUE, SET FALSE.
describe.each<TargetVersion>([15, 17])('user sync and cleanup on PostgreSQL %i', (version) => {
  const pg16 = version >= 16;
  const NASTY = 'Ünïcode "Sales" Ω schema';
  const READ_PUBLIC: GroupGrant = { database: 'app', schema: 'public', permission: 'read' };
  const WRITE_PUBLIC: GroupGrant = { database: 'app', schema: 'public', permission: 'write' };
  const READ_SALES: GroupGrant = { database: 'app', schema: 'sales', permission: 'read' };
  const WRITE_SALES: GroupGrant = { database: 'app', schema: 'sales', permission: 'write' };
  const ADMIN_SALES: GroupGrant = { database: 'app', schema: 'sales', permission: 'admin' };
  const READ_NASTY: GroupGrant = { database: 'app', schema: NASTY, permission: 'read' };

  const keys = generateSealKeyPair();
  const privateKey = loadSealPrivateKey(keys.privateKey);
  let target: TargetPostgres;
  let client: TargetClient;
  let sync: UserSyncService;
  let cleanup: UserCleanupService;
  let n = 0;

  const run = (job: Parameters<UserSyncService['sync']>[0]) =>
    sync.sync(job, { kind: job.kind, shortId: `t${++n}` });
  const passwordOf = (out: SyncOutcome): string => {
    if (!out.sealedPassword) throw new Error('no password issued');
    return open(out.sealedPassword, privateKey);
  };
  const sql = async <R extends Record<string, unknown>>(
    text: string,
    db = 'postgres',
    params: unknown[] = [],
  ) => (await target.query<R>(text, params, db)).rows;
  const roleRow = async (name: string) =>
    (
      await sql<{ oid: string; rolcanlogin: boolean; comment: string | null }>(
        "SELECT oid::text, rolcanlogin, shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = $1",
        'postgres',
        [name],
      )
    )[0];
  const login = (who: Person, password: string) => target.connect(who.username, password, 'app');
  const loginFails = async (who: Person, password: string): Promise<unknown> => {
    try {
      const c = await login(who, password);
      await c.end();
      return null;
    } catch (err) {
      return err;
    }
  };
  /** Before 16 a member may SET ROLE to its group; from 16 its membership says SET FALSE. */
  const setRoleToGroup = async (c: Client, grant: GroupGrant) => {
    const setRole = c.query(`SET ROLE ${ident(groupRoleName(grant))}`);
    if (pg16) await expect(setRole).rejects.toMatchObject({ code: '42501' });
    else await setRole;
  };
  const isClosed = async (c: Client) => {
    try {
      await c.query('SELECT 1');
      return false;
    } catch {
      return true;
    }
  };

  beforeAll(async () => {
    target = await startTargetPostgres({ version });
    await target.createDatabase('app');
    await sql('CREATE ROLE app_owner NOLOGIN');
    for (const s of [
      'CREATE TABLE public.orders (id serial PRIMARY KEY, item text)',
      "INSERT INTO public.orders (item) VALUES ('book')",
      'CREATE SCHEMA sales AUTHORIZATION app_owner',
      'SET ROLE app_owner',
      'CREATE TABLE sales.leads (id serial PRIMARY KEY, name text)',
      "INSERT INTO sales.leads (name) VALUES ('acme')",
      'RESET ROLE',
      `CREATE SCHEMA ${ident(NASTY)}`,
      `CREATE TABLE ${ident(NASTY)}.${ident('Tâble "1"')} (v text)`,
      `INSERT INTO ${ident(NASTY)}.${ident('Tâble "1"')} VALUES ('ünïcode')`,
    ]) {
      await sql(s, 'app');
    }
    client = new TargetClient(
      {
        host: target.host,
        port: target.port,
        user: 'postgres',
        password: target.superuserPassword,
        database: 'postgres',
        sslMode: 'verify-full',
        ssl: sslOptions(
          'verify-full',
          (await import('node:fs')).readFileSync(target.caFile, 'utf8'),
        ),
      },
      15000,
      10,
      pino({ level: 'silent' }),
    );
    const groups = new GroupRolesService(client);
    sync = new UserSyncService(client, groups, loadSealPublicKey(keys.publicKey));
    cleanup = new UserCleanupService(client, groups);
  });

  afterAll(async () => {
    await client?.close();
    await target?.stop();
  });

  it('issues a password that logs in over TLS with scram and holds exactly the permitted privilege', async () => {
    const reader = person();
    const out = await run(syncJob(reader, 1, [READ_PUBLIC], { connectionLimit: 3 }));
    expect(out.status).toBe('applied');
    const password = passwordOf(out);
    expect(out.passwordIssuedAt).toBe(out.startedAt);

    const c = await login(reader, password);
    const [tls] = (await c.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows;
    expect(tls.ssl).toBe(true);
    expect((await c.query('SELECT item FROM public.orders')).rows).toEqual([{ item: 'book' }]);
    await expect(c.query("INSERT INTO public.orders (item) VALUES ('pen')")).rejects.toMatchObject({
      code: '42501',
    });
    await expect(c.query('SELECT * FROM sales.leads')).rejects.toMatchObject({ code: '42501' });
    await c.end();

    // Stored as a SCRAM verifier, in the marker role, commented with person and generation.
    const [stored] = await sql<{ rolpassword: string; rolconnlimit: number; managed: boolean }>(
      `SELECT rolpassword, rolconnlimit, pg_has_role(rolname, '${MARKER_ROLE}', 'MEMBER') AS managed
         FROM pg_authid WHERE rolname = $1`,
      'postgres',
      [reader.username],
    );
    expect(stored.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(stored).toMatchObject({ rolconnlimit: 3, managed: true });
    expect(parseRoleComment((await roleRow(reader.username)).comment)).toEqual({
      person: reader.personId,
      email: reader.personEmail,
      gen: 1,
    });

    const writer = person();
    const w = await login(writer, passwordOf(await run(syncJob(writer, 1, [WRITE_PUBLIC]))));
    await w.query("INSERT INTO public.orders (item) VALUES ('pen')"); // sequence usage included
    await w.query("UPDATE public.orders SET item = 'pens' WHERE item = 'pen'");
    await expect(w.query('TRUNCATE public.orders')).rejects.toMatchObject({ code: '42501' });
    await w.end();
  });

  it("covers a table the schema's owner creates after the grant", async () => {
    const who = person();
    const password = passwordOf(await run(syncJob(who, 1, [READ_SALES])));
    await sql(
      'SET ROLE app_owner; CREATE TABLE sales.tomorrow (x int); INSERT INTO sales.tomorrow VALUES (42); RESET ROLE',
      'app',
    );
    const c = await login(who, password);
    expect((await c.query('SELECT x FROM sales.tomorrow')).rows).toEqual([{ x: 42 }]);
    await c.end();
  });

  it('ends access: new logins refused, open sessions (also one that ran SET ROLE) terminated', async () => {
    const who = person();
    const password = passwordOf(await run(syncJob(who, 1, [READ_PUBLIC])));
    const plain = await login(who, password);
    const escalated = await login(who, password);
    await setRoleToGroup(escalated, READ_PUBLIC);

    const out = await run(syncJob(who, 2, []));
    expect(out.status).toBe('applied');
    expect(out.sessionsTerminated).toBe(2);
    expect(await isClosed(plain)).toBe(true);
    expect(await isClosed(escalated)).toBe(true);
    // VALID UNTIL in the past fails the password check (28P01) before NOLOGIN (28000) is seen.
    expect(await loginFails(who, password)).toMatchObject({ code: expect.stringMatching(/^28/) });
    const [row] = await sql<{ rolcanlogin: boolean; expired: boolean; groups: number }>(
      `SELECT rolcanlogin, rolvaliduntil < now() AS expired,
              (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS groups
         FROM pg_roles r WHERE rolname = $1`,
      'postgres',
      [who.username],
    );
    expect(row).toEqual({ rolcanlogin: false, expired: true, groups: 1 }); // only the marker left
  });

  it('ends access for several users at once, each with its own outcome', async () => {
    const [a, b, c, clash] = [person(), person(), person(), person()];
    const pa = passwordOf(await run(syncJob(a, 1, [READ_PUBLIC])));
    const pb = passwordOf(await run(syncJob(b, 1, [READ_PUBLIC])));
    const pc = passwordOf(await run(syncJob(c, 1, [READ_PUBLIC])));
    const sessions = [await login(a, pa), await login(b, pb), await login(b, pb)];
    await sql(`CREATE ROLE ${ident(clash.username)} LOGIN PASSWORD 'theirs'`);

    // Started in one turn of the event loop: recorded as one batch.
    const outcomes = await Promise.allSettled([
      run(syncJob(a, 2, [])),
      run(syncJob(b, 2, [])),
      run(syncJob(b, 2, [])), // the same job delivered twice
      run(syncJob(c, 1, [])), // an older generation than the one applied: stale
      run(syncJob(clash, 1, [])), // an unmanaged role: refused, alone
    ]);
    expect(outcomes[0]).toMatchObject({
      status: 'fulfilled',
      value: { status: 'applied', sessionsTerminated: 1 },
    });
    expect(outcomes[1]).toMatchObject({
      status: 'fulfilled',
      value: { status: 'applied', sessionsTerminated: 2 },
    });
    expect(outcomes[2]).toMatchObject({ status: 'fulfilled', value: { status: 'stale' } });
    expect(outcomes[3]).toMatchObject({
      status: 'fulfilled',
      value: { status: 'stale', sessionsTerminated: 0 },
    });
    expect(outcomes[4]).toMatchObject({
      status: 'rejected',
      reason: { code: ConnectorErrorCode.NameClash, retryable: false },
    });
    for (const session of sessions) expect(await isClosed(session)).toBe(true);
    expect(await loginFails(a, pa)).toMatchObject({ code: expect.stringMatching(/^28/) });
    expect(await loginFails(b, pb)).toMatchObject({ code: expect.stringMatching(/^28/) });
    expect(await loginFails(c, pc)).toBeNull();
    expect((await roleRow(a.username)).rolcanlogin).toBe(false);
    expect((await roleRow(clash.username)).rolcanlogin).toBe(true);
  });

  it('ending one of two overlapping grants leaves the other working', async () => {
    const who = person();
    const password = passwordOf(await run(syncJob(who, 1, [READ_PUBLIC, WRITE_SALES])));
    const escalated = await login(who, password);
    await setRoleToGroup(escalated, READ_PUBLIC);
    await escalated.query('SELECT * FROM public.orders');

    const out = await run(syncJob(who, 2, [WRITE_SALES]));
    expect(out.effects).toContain(`revoked ${groupRoleName(READ_PUBLIC)}`);
    expect(out.sealedPassword).toBeUndefined();
    if (pg16) {
      // 16+: no SET ROLE was possible, so the open session just loses the revoked privileges.
      expect(out.sessionsTerminated).toBe(0);
      await expect(escalated.query('SELECT * FROM public.orders')).rejects.toMatchObject({
        code: '42501',
      });
      await escalated.query("INSERT INTO sales.leads (name) VALUES ('hooli')");
      await escalated.end();
    } else {
      // PostgreSQL < 16: the SET ROLE session would keep reading, so it is ended.
      expect(out.sessionsTerminated).toBe(1);
      expect(await isClosed(escalated)).toBe(true);
    }

    const c = await login(who, password);
    await c.query("INSERT INTO sales.leads (name) VALUES ('globex')");
    await expect(c.query('SELECT * FROM public.orders')).rejects.toMatchObject({ code: '42501' });
    await c.end();
  });

  it("reuses a person's database user, with a new password when access begins again", async () => {
    const who = person();
    const first = passwordOf(await run(syncJob(who, 1, [READ_PUBLIC])));
    const oid = (await roleRow(who.username)).oid;
    await run(syncJob(who, 2, []));

    const again = await run(syncJob(who, 3, [READ_SALES], { rotatePassword: true }));
    const second = passwordOf(again);
    expect(second).not.toBe(first);
    expect((await roleRow(who.username)).oid).toBe(oid);
    expect(await loginFails(who, first)).toMatchObject({ code: '28P01' });
    const c = await login(who, second);
    expect((await c.query('SELECT name FROM sales.leads ORDER BY id LIMIT 1')).rows).toEqual([
      { name: 'acme' },
    ]);
    await c.end();
  });

  it('cleanup reassigns what the user owned to doorman_inheritor, reports it and drops the role', async () => {
    const who = person();
    const password = passwordOf(await run(syncJob(who, 1, [ADMIN_SALES])));
    const c = await login(who, password);
    await c.query('CREATE TABLE sales.scratch (v int)');
    await c.query('CREATE FUNCTION sales.answer() RETURNS int LANGUAGE sql AS $$ SELECT 42 $$');
    await c.end();
    await run(syncJob(who, 2, []));

    const out = await cleanup.cleanup(cleanupJob(who, 2, ['app', 'gone_db']), {
      kind: 'cleanup-user',
      shortId: 'c1',
    });
    expect(out.status).toBe('applied');
    expect(out.reassigned).toEqual(
      expect.arrayContaining(['app: table sales.scratch', 'app: function sales.answer()']),
    );
    expect(out.effects).toContain('database gone_db does not exist; skipped');
    expect(await roleRow(who.username)).toBeUndefined();
    const owners = await sql<{ owner: string }>(
      "SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'sales.scratch'::regclass",
      'app',
    );
    expect(owners).toEqual([{ owner: INHERITOR_ROLE }]);

    const again = await cleanup.cleanup(cleanupJob(who, 2, ['app']), {
      kind: 'cleanup-user',
      shortId: 'c2',
    });
    expect(again.status).toBe('skipped');
  });

  it('cleanup keeps a role that a newer sync brought back', async () => {
    const who = person();
    await run(syncJob(who, 1, [READ_PUBLIC]));
    await run(syncJob(who, 3, [READ_PUBLIC]));
    const out = await cleanup.cleanup(cleanupJob(who, 2, ['app']), {
      kind: 'cleanup-user',
      shortId: 'c3',
    });
    expect(out.status).toBe('skipped');
    expect(await roleRow(who.username)).toBeDefined();
  });

  it('is idempotent: a sync applied twice, or an older one after a newer, changes nothing', async () => {
    const who = person();
    const snapshot = async () =>
      (
        await sql(
          `SELECT r.rolcanlogin, r.rolvaliduntil, r.rolconnlimit, a.rolpassword, shobj_description(r.oid, 'pg_authid') AS comment,
                  ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                         WHERE m.member = r.oid ORDER BY 1) AS groups
             FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1`,
          'postgres',
          [who.username],
        )
      )[0];
    const gen1 = syncJob(who, 1, [READ_PUBLIC, READ_SALES]);
    const password = passwordOf(await run(gen1));
    const after1 = await snapshot();
    const twice = await run(gen1);
    expect(twice.status).toBe('stale');
    expect(twice.sealedPassword).toBeUndefined();
    expect(await snapshot()).toEqual(after1);

    const gen3 = syncJob(who, 3, [READ_SALES]);
    await run(gen3);
    const after3 = await snapshot();
    expect(after3).not.toEqual(after1);
    // gen 2 arrives late: it would re-grant public, but the database keeps what gen 3 says.
    expect(
      (await run(syncJob(who, 2, [READ_PUBLIC, WRITE_SALES], { rotatePassword: true }))).status,
    ).toBe('stale');
    expect((await run(gen3)).status).toBe('stale');
    expect(await snapshot()).toEqual(after3);
    const c = await login(who, password);
    await expect(c.query('SELECT * FROM public.orders')).rejects.toMatchObject({ code: '42501' });
    await c.end();

    // Ending access late and twice: still NOLOGIN afterwards.
    await run(syncJob(who, 4, []));
    expect((await run(syncJob(who, 4, []))).status).toBe('stale');
    expect((await roleRow(who.username)).rolcanlogin).toBe(false);
  });

  it('refuses a name clash with an unmanaged role and leaves it untouched', async () => {
    const who = person();
    await sql(`CREATE ROLE ${ident(who.username)} LOGIN PASSWORD 'theirs' CONNECTION LIMIT 7`);
    const before = await sql(
      `SELECT a.*, shobj_description(a.oid, 'pg_authid') AS comment,
              (SELECT count(*) FROM pg_auth_members WHERE member = a.oid) AS memberships
         FROM pg_authid a WHERE rolname = $1`,
      'postgres',
      [who.username],
    );
    const err = await run(syncJob(who, 1, [READ_PUBLIC], { rotatePassword: true })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: ConnectorErrorCode.NameClash, retryable: false });
    expect((err as Error).message).toMatch(/unmanaged role/);
    const cleanupErr = await cleanup
      .cleanup(cleanupJob(who, 1, ['app']), { kind: 'cleanup-user', shortId: 'c4' })
      .catch((e: unknown) => e);
    expect(cleanupErr).toMatchObject({ code: ConnectorErrorCode.NameClash });
    expect(
      await sql(
        `SELECT a.*, shobj_description(a.oid, 'pg_authid') AS comment,
                (SELECT count(*) FROM pg_auth_members WHERE member = a.oid) AS memberships
           FROM pg_authid a WHERE rolname = $1`,
        'postgres',
        [who.username],
      ),
    ).toEqual(before);
  });

  it('works end to end with a schema named with quotes, spaces and non-ASCII', async () => {
    const who = person();
    const password = passwordOf(await run(syncJob(who, 1, [READ_NASTY])));
    const c = await login(who, password);
    expect((await c.query(`SELECT v FROM ${ident(NASTY)}.${ident('Tâble "1"')}`)).rows).toEqual([
      { v: 'ünïcode' },
    ]);
    await c.end();
    await run(syncJob(who, 2, []));
    expect(await loginFails(who, password)).toBeTruthy();
  });

  it('reports a missing schema or database as a permanent error', async () => {
    const who = person();
    await expect(
      run(syncJob(who, 1, [{ database: 'app', schema: 'nope', permission: 'read' }])).catch(
        (e: unknown) => Promise.reject(classifyError(e)),
      ),
    ).rejects.toMatchObject({
      code: ConnectorErrorCode.SchemaMissing,
      retryable: false,
    });
    await expect(
      run(syncJob(who, 1, [{ database: 'nope', schema: 'public', permission: 'read' }])).catch(
        (e: unknown) => Promise.reject(classifyError(e)),
      ),
    ).rejects.toMatchObject({
      code: ConnectorErrorCode.DatabaseMissing,
      retryable: false,
      sqlstate: '3D000',
    });
    expect(await roleRow(who.username)).toBeUndefined();
  });

  it('a dropped database under a held grant does not block revoking another grant', async () => {
    await target.createDatabase('app2');
    const READ_APP2: GroupGrant = { database: 'app2', schema: 'public', permission: 'read' };
    const who = person();
    const password = passwordOf(await run(syncJob(who, 1, [READ_PUBLIC, READ_APP2])));
    await sql('DROP DATABASE app2 WITH (FORCE)');

    const out = await run(syncJob(who, 2, [READ_APP2]));
    expect(out.status).toBe('applied');
    expect(out.effects).toContain(`revoked ${groupRoleName(READ_PUBLIC)}`);
    expect(out.effects.join('\n')).toMatch(
      /could not check group roles in database app2 \(DATABASE_MISSING\)/,
    );
    const c = await login(who, password);
    await expect(c.query('SELECT * FROM public.orders')).rejects.toMatchObject({ code: '42501' });
    await c.end();

    // A grant not held yet still needs its database.
    await expect(
      run(syncJob(person(), 1, [READ_APP2])).catch((e: unknown) =>
        Promise.reject(classifyError(e)),
      ),
    ).rejects.toMatchObject({ code: ConnectorErrorCode.DatabaseMissing });
  });

  it('serialises concurrent syncs of many people onto shared group roles', async () => {
    const people = Array.from({ length: 12 }, () => person());
    const outs = await Promise.all(
      people.map((p) => run(syncJob(p, 1, [WRITE_SALES, READ_PUBLIC]))),
    );
    expect(outs.every((o) => o.status === 'applied')).toBe(true);
    const c = await login(people[5], passwordOf(outs[5]));
    await c.query('SELECT 1 FROM sales.leads');
    await c.end();
  });
});
