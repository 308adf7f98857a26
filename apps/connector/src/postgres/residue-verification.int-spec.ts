import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { Client } from 'pg';
import type { GroupGrant, Residue, SyncUserJob } from '@doorman/contracts';
import { generateSealKeyPair, loadSealPrivateKey, loadSealPublicKey, open } from '@doorman/crypto';
import { createAdmin, type AdminShape } from '../../../../test/support/admin-shapes';
import { person, syncJob } from '../../../../test/support/connector-jobs';
import {
  startTargetPostgres,
  type TargetPostgres,
  type TargetVersion,
} from '../../../../test/support/target-postgres';
import { sslOptions } from '../config/connector.config';
import { readCapabilities } from './capabilities';
import { doctorReport } from './doctor-report';
import { GroupRolesService } from './group-roles.service';
import { TargetClient } from './target-client';
import { UserSyncService } from './user-sync.service';

jest.setTimeout(120_000);

const ADMIN = 'doorman_admin';
const PASSWORD = 'residue-admin-password-0123456789';
const READ_SHOP: GroupGrant = { database: 'app', schema: 'shop', permission: 'read' };
const READ_EXTRA: GroupGrant = { database: 'app', schema: 'extra', permission: 'read' };
const ADMIN_WORK: GroupGrant = { database: 'app', schema: 'work', permission: 'admin' };

/**
 * Proof that access ended: residue made the way real systems make it — the table owner
 * granting SELECT straight to the temporary user, another admin adding a membership, a session
 * that SET ROLE to it, an object the user created — is found in the target's catalogs after
 * the revoke and removed (objects owned: reported, never dropped), and a revoke that leaves
 * nothing is reported clean. Under a superuser and under each managed-service admin shape
 * (IBM Cloud Databases' manager, OVHcloud's avnadmin without pg_signal_backend, an RDS-like
 * master user), on PostgreSQL 15 and 17 — one cluster per version and shape. Outcomes are
 * read back from PostgreSQL itself: ACLs, pg_auth_members, pg_stat_activity, logins.
 */
const SHAPES: AdminShape[] = ['superuser', 'ibm-manager', 'ovh-avnadmin', 'rds-master'];
const CASES = ([17, 15] as TargetVersion[]).flatMap((v) =>
  SHAPES.map((shape): [TargetVersion, AdminShape] => [v, shape]),
);
describe.each(CASES)('PostgreSQL %i, a %s admin: residue after a revoke', (version, shape) => {
  const keys = generateSealKeyPair();
  const privateKey = loadSealPrivateKey(keys.privateKey);
  let target: TargetPostgres;
  let client: TargetClient;
  let sync: UserSyncService;
  let n = 0;
  const run = (job: SyncUserJob) => sync.sync(job, { kind: job.kind, shortId: `r${++n}` });
  const sql = async <R extends Record<string, unknown>>(
    text: string,
    db = 'app',
    params: unknown[] = [],
  ) => (await target.query<R>(text, params, db)).rows;
  const kinds = (rs: readonly Residue[] | undefined) => (rs ?? []).map((r) => r.kind).sort();
  /** Every ACL entry naming the role as grantee, in `app` and on shared objects. */
  const aclEntries = async (role: string) =>
    sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_shdepend s
        WHERE s.refobjid = $1::regrole AND s.deptype = 'a'`,
      'app',
      [role],
    ).then((rows) => rows[0].n);
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
    await createAdmin(target, shape, ADMIN, PASSWORD);
    // As on managed services, the application's owner is a role the admin created.
    await sql(`SET ROLE ${ADMIN}; CREATE ROLE app_owner NOLOGIN; RESET ROLE`, 'postgres');
    // Another administrator of the same server, with its own role to hand out.
    await sql(
      `SET ROLE ${ADMIN}; CREATE ROLE ops_admin NOLOGIN CREATEROLE; RESET ROLE`,
      'postgres',
    );
    await sql('SET ROLE ops_admin; CREATE ROLE reporting NOLOGIN; RESET ROLE', 'postgres');
    await target.createDatabase('app');
    await sql('ALTER DATABASE app OWNER TO app_owner', 'postgres');
    for (const s of [
      'CREATE SCHEMA shop AUTHORIZATION app_owner',
      'CREATE SCHEMA extra AUTHORIZATION app_owner',
      'CREATE SCHEMA work AUTHORIZATION app_owner',
      'SET ROLE app_owner',
      'CREATE TABLE shop.orders (id serial PRIMARY KEY, item text)',
      "INSERT INTO shop.orders (item) VALUES ('book')",
      'CREATE TABLE shop.prices (item text, cost int, margin int)',
      'CREATE TABLE extra.notes (v int)',
      'CREATE FUNCTION shop.total() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      'RESET ROLE',
    ])
      await sql(s);
    client = new TargetClient(
      {
        host: target.host,
        port: target.port,
        user: ADMIN,
        password: PASSWORD,
        database: 'postgres',
        sslMode: 'verify-full',
        ssl: sslOptions('verify-full', readFileSync(target.caFile, 'utf8')),
      },
      15000,
      4,
      pino({ level: 'silent' }),
    );
    sync = new UserSyncService(
      client,
      new GroupRolesService(client),
      loadSealPublicKey(keys.publicKey),
    );
  });

  afterAll(async () => {
    await client?.close();
    await target?.stop();
  });

  it('reports a revoke that leaves nothing behind as clean, and checks nothing on a grant', async () => {
    const who = person();
    const granted = await run(syncJob(who, 1, [READ_SHOP, READ_EXTRA]));
    expect(granted.verification).toBeUndefined();
    const partly = await run(syncJob(who, 2, [READ_SHOP]));
    expect(partly.verification).toEqual({
      checkedAt: expect.any(String) as unknown,
      clean: true,
      found: [],
      fixed: [],
    });
    const ended = await run(syncJob(who, 3, []));
    expect(ended.verification).toMatchObject({ clean: true, found: [], fixed: [] });
  });

  it('finds privileges the table owner granted straight to the user, in every catalog, and revokes them', async () => {
    const who = person();
    const u = who.username;
    await run(syncJob(who, 1, [READ_SHOP], { rotatePassword: true }));
    // What an application owner does to "just give the temporary user access" (and a
    // superuser, on the database).
    const lo = 424242;
    // One round trip, so SET ROLE and RESET ROLE run on the same pooled connection.
    const grants = [
      'SET ROLE app_owner',
      `SELECT lo_create(${lo})`,
      `GRANT SELECT, UPDATE ON shop.orders TO "${u}"`,
      // PostgreSQL 17's MAINTAIN (`m` in the ACL): VACUUM, ANALYZE, REINDEX, REFRESH, LOCK.
      ...(version >= 17 ? [`GRANT MAINTAIN ON shop.orders TO "${u}"`] : []),
      `GRANT SELECT (item, cost) ON shop.prices TO "${u}"`,
      `GRANT USAGE ON SCHEMA extra TO "${u}"`,
      // The public schema belongs to pg_database_owner (15+): its grants are made as that role.
      `GRANT CREATE ON SCHEMA public TO "${u}"`,
      `GRANT EXECUTE ON FUNCTION shop.total() TO "${u}"`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA shop GRANT SELECT ON TABLES TO "${u}"`,
      `GRANT SELECT ON LARGE OBJECT ${lo} TO "${u}"`,
      'RESET ROLE',
      `GRANT CONNECT, CREATE ON DATABASE app TO "${u}"`,
    ];
    await sql(grants.join(';\n'));
    expect(await aclEntries(u)).toBeGreaterThan(0);

    const ended = await run(syncJob(who, 2, []));
    const v = ended.verification!;
    expect(v.clean).toBe(false);
    expect(kinds(v.found)).toEqual(['default-privilege', ...Array<string>(8).fill('privilege')]);
    const objects = v.found.map((r) => r.object);
    expect(objects).toEqual(
      expect.arrayContaining([
        'table "shop"."orders" in database "app"',
        'column "shop"."prices"."cost" in database "app"',
        'column "shop"."prices"."item" in database "app"',
        'schema "extra" in database "app"',
        'schema "public" in database "app"',
        'routine "shop"."total"() in database "app"',
        `large object ${lo} in database "app"`,
        'database "app"',
      ]),
    );
    expect(v.found.find((r) => r.object.includes('"public"'))?.detail).toBe(
      'CREATE granted by "pg_database_owner"',
    );
    expect(v.found.find((r) => r.object.startsWith('table'))?.detail).toBe(
      version >= 17
        ? 'MAINTAIN, SELECT, UPDATE granted by "app_owner"'
        : 'SELECT, UPDATE granted by "app_owner"',
    );
    // Every one removed, as PostgreSQL itself now says.
    expect(kinds(v.fixed)).toEqual(kinds(v.found));
    expect(await aclEntries(u)).toBe(0);
    const [priv] = await sql<{ t: boolean; m: boolean; c: boolean; db: boolean }>(
      `SELECT has_table_privilege($1, 'shop.orders', 'SELECT') AS t,
              has_table_privilege($1, 'shop.orders', $2) AS m,
              has_column_privilege($1, 'shop.prices', 'item', 'SELECT') AS c,
              has_database_privilege($1, 'app', 'CREATE') AS db`,
      'app',
      [u, version >= 17 ? 'MAINTAIN' : 'UPDATE'],
    );
    expect(priv).toEqual({ t: false, m: false, c: false, db: false });
    // Nothing ties the role to any database any more: it could be dropped.
    expect(await sql(`SELECT 1 FROM pg_shdepend WHERE refobjid = $1::regrole`, 'app', [u])).toEqual(
      [],
    );
  });

  it('revokes a membership another admin added and ends the session that SET ROLE to it', async () => {
    const who = person();
    const u = who.username;
    const granted = await run(syncJob(who, 1, [READ_SHOP, READ_EXTRA], { rotatePassword: true }));
    const password = open(granted.sealedPassword!, privateKey);
    await sql(`SET ROLE ops_admin; GRANT reporting TO "${u}"; RESET ROLE`, 'postgres');
    const session = await target.connect(u, password, 'app');
    await session.query('SET ROLE reporting');
    expect((await session.query<{ r: string }>('SELECT current_user AS r')).rows).toEqual([
      { r: 'reporting' },
    ]);

    // Partly: extra goes, shop stays, the user still logs in.
    const out = await run(syncJob(who, 2, [READ_SHOP]));
    const v = out.verification!;
    expect(v.clean).toBe(false);
    // Before 16 the sync itself ends the sessions when it takes a group away (memberships
    // there always allow SET ROLE); from 16 its own memberships do not, so sessions stay, and
    // the one acting as reporting is the check's to end.
    const expected = version >= 16 ? ['membership', 'session'] : ['membership'];
    expect(kinds(v.found)).toEqual(expected);
    expect(v.found.find((r) => r.kind === 'membership')).toEqual({
      kind: 'membership',
      object: 'role "reporting"',
      detail: expect.stringContaining('granted by "ops_admin"') as unknown,
    });
    // The session was ended: it could act as reporting until it did.
    await expect(isClosed(session)).resolves.toBe(true);
    const sessions = await sql('SELECT pid FROM pg_stat_activity WHERE usename = $1', 'postgres', [
      u,
    ]);
    expect(sessions).toEqual([]);

    const members = await sql(
      `SELECT 1 FROM pg_auth_members WHERE member = $1::regrole AND roleid = 'reporting'::regrole`,
      'postgres',
      [u],
    );
    // From 16 a managed admin may revoke only grants made by roles whose privileges it holds
    // or may take (ADMIN OPTION on them): ops_admin is its own creation, so it can.
    expect(kinds(v.fixed)).toEqual(expected);
    expect(members).toEqual([]);

    // The access that is left still works; the membership does not.
    const again = await target.connect(u, password, 'app');
    expect((await again.query('SELECT item FROM shop.orders')).rows).toEqual([{ item: 'book' }]);
    await expect(again.query('SET ROLE reporting')).rejects.toThrow(/permission denied/);
    await again.end();
  });

  it("revokes every grantor's row of a membership, and what the user passed on WITH ADMIN OPTION", async () => {
    const who = person();
    const u = who.username;
    await run(syncJob(who, 1, [READ_SHOP]));
    const lead = `team_lead_${n}`;
    const friend = `friend_${n}`;
    await sql(
      [
        // A role the connector's admin made, which another admin lets hand reporting out.
        `SET ROLE ${ADMIN}`,
        `CREATE ROLE "${lead}" NOLOGIN`,
        `CREATE ROLE "${friend}" NOLOGIN`,
        'SET ROLE ops_admin',
        `GRANT reporting TO "${lead}" WITH ADMIN OPTION`,
        // 16+: options of their own (the user inherits nothing, may still SET ROLE).
        `GRANT reporting TO "${u}" WITH ADMIN OPTION${version >= 16 ? ', INHERIT FALSE' : ''}`,
        `SET ROLE "${lead}"`,
        // 16+: a second row, this grantor's; 15: "already a member", one row.
        `GRANT reporting TO "${u}"`,
        `SET ROLE "${u}"`,
        `GRANT reporting TO "${friend}"`,
        'RESET ROLE',
      ].join(';\n'),
      'postgres',
    );

    const v = (await run(syncJob(who, 2, []))).verification!;
    const memberships = v.found.filter((r) => r.kind === 'membership');
    expect(memberships.map((r) => `${r.object}: ${r.detail}`)).toEqual(
      version >= 16
        ? [
            'role "reporting": member WITH ADMIN OPTION, INHERIT FALSE, granted by "ops_admin"',
            `role "reporting": member, granted by "${lead}"`,
          ]
        : ['role "reporting": member WITH ADMIN OPTION, granted by "ops_admin"'],
    );
    expect(v.fixed.filter((r) => r.kind === 'membership')).toEqual(memberships);
    const rows = await sql<{ member: string; grantor: string }>(
      `SELECT member::regrole::text AS member, grantor::regrole::text AS grantor
         FROM pg_auth_members WHERE roleid = 'reporting'::regrole AND member = ANY($1::regrole[])
        ORDER BY 1`,
      'postgres',
      [[u, friend]],
    );
    // 16+ ties the friend's membership to the user's ADMIN OPTION (REVOKE … CASCADE takes it
    // too); 15 keeps it, with the user named as its grantor.
    expect(rows).toEqual(version >= 16 ? [] : [{ member: friend, grantor: u }]);
  });

  it("revokes the user's role from roles made its members, which would inherit its next access", async () => {
    const who = person();
    const u = who.username;
    await run(syncJob(who, 1, [READ_SHOP]));
    const app = `batch_app_${n}`;
    // Someone with the admin's login lets a service account "be" the temporary user (16+: only
    // a role holding ADMIN OPTION on the user may, the admin that created it).
    await sql(
      `SET ROLE ops_admin; CREATE ROLE "${app}" NOLOGIN; SET ROLE ${ADMIN}; GRANT "${u}" TO "${app}"; RESET ROLE`,
      'postgres',
    );
    const [{ grantor }] = await sql<{ grantor: string }>(
      `SELECT grantor::regrole::text AS grantor FROM pg_auth_members
        WHERE roleid = $1::regrole AND member = $2::regrole`,
      'postgres',
      [u, app],
    );
    const v = (await run(syncJob(who, 2, []))).verification!;
    const found = {
      kind: 'membership',
      object: `role "${app}"`,
      detail: `a member of "${u}" (it would take on the user's next access), granted by "${grantor}"`,
    };
    expect(v.found).toEqual([found]);
    expect(v.fixed).toEqual([found]);
    const [after] = await sql<{ member: boolean }>(
      `SELECT pg_has_role($1, $2, 'MEMBER') AS member`,
      'postgres',
      [app, u],
    );
    expect(after.member).toBe(false);
    // The next grant reuses the role: the service account gets none of it.
    await run(syncJob(who, 3, [READ_SHOP]));
    const [next] = await sql<{ t: boolean }>(
      `SELECT has_table_privilege($1, 'shop.orders', 'SELECT') AS t`,
      'app',
      [app],
    );
    expect(next.t).toBe(false);
  });

  it('says which memberships the admin may not remove, and why (16+: no ADMIN OPTION on the grantor)', async () => {
    const who = person();
    const u = who.username;
    await run(syncJob(who, 1, [READ_SHOP]));
    const vendor = `vendor_admin_${n}`;
    const ro = `vendor_ro_${n}`;
    await sql(
      [
        // An administrator the cluster's superuser made, not the connector's admin.
        `CREATE ROLE "${vendor}" NOLOGIN CREATEROLE`,
        `SET ROLE "${vendor}"`,
        `CREATE ROLE "${ro}" NOLOGIN`,
        `GRANT "${ro}" TO "${u}"`,
        'RESET ROLE',
        // 17: the predefined role for VACUUM, ANALYZE, REINDEX … on every table.
        ...(version >= 17 ? [`GRANT pg_maintain TO "${u}"`] : []),
      ].join(';\n'),
      'postgres',
    );
    const ending = syncJob(who, 2, []);
    const v = (await run(ending)).verification!;
    const objects = v.found.map((r) => r.object).sort();
    expect(objects).toEqual(
      version >= 17 ? ['role "pg_maintain"', `role "${ro}"`] : [`role "${ro}"`],
    );
    const held = async () =>
      (
        await sql<{ role: string }>(
          `SELECT roleid::regrole::text AS role FROM pg_auth_members
            WHERE member = $1::regrole AND roleid <> 'doorman_managed'::regrole ORDER BY 1`,
          'postgres',
          [u],
        )
      ).map((r) => r.role);
    if (shape === 'superuser') {
      expect(v.fixed.map((r) => r.object).sort()).toEqual(objects);
      expect(await held()).toEqual([]);
      return;
    }
    const vendorRow = v.found.find((r) => r.object === `role "${ro}"`)!;
    if (version < 16) {
      // 15: CREATEROLE acts for any role that is not a superuser.
      expect(v.fixed.map((r) => r.object)).toEqual([`role "${ro}"`]);
      expect(await held()).toEqual([]);
      return;
    }
    const fix = `GRANT "${vendor}" TO "${ADMIN}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`;
    expect(vendorRow.detail).toContain(`granted by "${vendor}"; still there`);
    expect(vendorRow.detail).toContain(`holds no ADMIN OPTION on "${vendor}"`);
    expect(vendorRow.detail).toContain(fix);
    expect(v.found.find((r) => r.object === 'role "pg_maintain"')?.detail).toMatch(
      /granted by "postgres"; still there \(the connector's admin was refused: NOT_GRANTABLE: .*superuser "postgres"/,
    );
    expect(v.fixed).toEqual([]);
    expect(await held()).toEqual(['pg_maintain', ro]);

    // The fix it printed, run by the superuser; the ending retried is checked again.
    await sql(fix, 'postgres');
    const again = (await run(ending)).verification!;
    expect(again.fixed.map((r) => r.object)).toEqual([`role "${ro}"`]);
    expect(await held()).toEqual(['pg_maintain']);
  });

  it('removes a grant passed on by a grantee, and says which grants its admin may not remove', async () => {
    const who = person();
    const u = who.username;
    await run(syncJob(who, 1, [READ_SHOP]));
    await sql(
      [
        // A colleague holding GRANT OPTION passes SELECT on to the temporary user.
        'GRANT USAGE ON SCHEMA shop TO ops_admin',
        'GRANT SELECT ON shop.prices TO ops_admin WITH GRANT OPTION',
        'SET ROLE ops_admin',
        `GRANT SELECT ON shop.prices TO "${u}"`,
        'RESET ROLE',
        // The superuser's own table, granted by the superuser.
        'CREATE TABLE IF NOT EXISTS public.ledger (v int)',
        `GRANT SELECT ON public.ledger TO "${u}"`,
        // A superuser-only setting (15+: only a superuser may grant it, so it is theirs).
        `GRANT SET ON PARAMETER log_statement TO "${u}"`,
      ].join(';\n'),
    );

    const v = (await run(syncJob(who, 2, []))).verification!;
    expect(v.found.map((r) => `${r.object}: ${r.detail.split(';')[0]}`).sort()).toEqual([
      'parameter "log_statement": SET granted by "postgres"',
      'table "public"."ledger" in database "app": SELECT granted by "postgres"',
      'table "shop"."prices" in database "app": SELECT granted by "ops_admin"',
    ]);
    if (shape === 'superuser') {
      expect(v.fixed).toHaveLength(3);
    } else {
      // A managed admin cannot act for the cluster's superuser: reported, with the reason.
      expect(v.fixed.map((r) => r.object)).toEqual(['table "shop"."prices" in database "app"']);
      for (const r of v.found.filter((x) => x.detail.includes('by "postgres"')))
        expect(r.detail).toMatch(/still there \(the connector's admin was refused: NOT_GRANTABLE/);
    }
    const [left] = await sql<{ prices: boolean; ledger: boolean; param: boolean }>(
      `SELECT has_table_privilege($1, 'shop.prices', 'SELECT') AS prices,
              has_table_privilege($1, 'public.ledger', 'SELECT') AS ledger,
              has_parameter_privilege($1, 'log_statement', 'SET') AS param`,
      'app',
      [u],
    );
    const managed = shape !== 'superuser';
    expect(left).toEqual({ prices: false, ledger: managed, param: managed });
  });

  it('reports objects the user owns and leaves them in place', async () => {
    const who = person();
    const granted = await run(syncJob(who, 1, [ADMIN_WORK], { rotatePassword: true }));
    const c = await target.connect(who.username, open(granted.sealedPassword!, privateKey), 'app');
    await c.query('CREATE TABLE work.scratch (v int)');
    await c.query('INSERT INTO work.scratch VALUES (42)');
    await c.end();

    const ended = await run(syncJob(who, 2, []));
    const v = ended.verification!;
    expect(v.clean).toBe(false);
    const owned = v.found.filter((r) => r.kind === 'owned');
    expect(owned.map((r) => r.object)).toContain('table work.scratch in database "app"');
    expect(owned[0].detail).toContain('REASSIGN OWNED BY');
    expect(v.fixed.filter((r) => r.kind === 'owned')).toEqual([]);
    expect(await sql('SELECT v FROM work.scratch')).toEqual([{ v: 42 }]);
  });

  it('the doctor counts crowded ACLs, direct grants and roles left behind, with fix-it SQL', async () => {
    // What piles up without Doorman: twelve people granted SELECT one by one, and a Vault-style
    // temporary user whose VALID UNTIL passed long ago but whose role (and grant) stayed.
    const people = Array.from({ length: 12 }, (_, i) => `analyst_${version}_${i}`);
    const vault = `v-token-readonly-${'A'.repeat(20)}-1700000000`;
    await sql(
      [
        ...people.map((p) => `CREATE ROLE "${p}" LOGIN`),
        `CREATE ROLE "${vault}" LOGIN VALID UNTIL '2024-01-01T00:00:00Z'`,
        'SET ROLE app_owner',
        `GRANT SELECT ON shop.orders TO ${people.map((p) => `"${p}"`).join(', ')}, "${vault}"`,
        'RESET ROLE',
        // 17: a login role holding nothing but MAINTAIN (`m`) is a direct grant all the same.
        ...(version >= 17
          ? [
              'CREATE ROLE maintainer LOGIN',
              'SET ROLE app_owner',
              'GRANT MAINTAIN ON shop.prices TO maintainer',
              'RESET ROLE',
            ]
          : []),
      ].join(';\n'),
    );
    const lines = new Map(
      doctorReport(await readCapabilities(client, 'verify-full', ['app'])).map((l) => [l.check, l]),
    );
    const crowded = lines.get('crowded ACLs app')!;
    expect(crowded.status).toBe('warn');
    expect(crowded.detail).toContain('"shop"."orders" (13 users)');
    expect(crowded.fix).toContain('REVOKE ALL ON TABLE "shop"."orders" FROM <each user>');
    const direct = lines.get('direct grants app')!;
    expect(direct.detail).toMatch(
      new RegExp(
        `^${version >= 17 ? 14 : 13} login role\\(s\\) hold privileges granted to them directly`,
      ),
    );
    if (version >= 17) expect(direct.detail).toContain('maintainer (1 object(s))');
    expect(direct.fix).toContain(`REVOKE ALL ON ALL TABLES IN SCHEMA "shop" FROM "${people[0]}";`);
    const left = lines.get('roles left behind')!;
    expect(left.status).toBe('warn');
    expect(left.detail).toContain(`${vault} (expired, Vault-style name, 1 grant(s) or object(s))`);
    expect(left.fix).toContain(`DROP ROLE "${vault}";`);
    // Doorman's own users never count: they are granted through groups and end on time.
    expect(direct.detail).not.toContain('_doorman');
  });
});
