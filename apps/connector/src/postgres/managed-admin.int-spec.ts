import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Client } from 'pg';
import type { GroupGrant } from '@doorman/contracts';
import { generateSealKeyPair, loadSealPrivateKey, loadSealPublicKey, open } from '@doorman/crypto';
import { createAdmin, type AdminShape } from '../../../../test/support/admin-shapes';
import { cleanupJob, person, syncJob } from '../../../../test/support/connector-jobs';
import {
  startTargetPostgres,
  type TargetPostgres,
  type TargetVersion,
} from '../../../../test/support/target-postgres';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import { sslOptions } from '../config/connector.config';
import { InventoryService } from '../jobs/inventory.service';
import type { ResultsPublisher } from '../jobs/results.publisher';
import { AdminRotationService } from './admin-rotation.service';
import { readCapabilities } from './capabilities';
import { doctorReport, renderDoctorReport } from './doctor-report';
import { GroupRolesService } from './group-roles.service';
import { INHERITOR_ROLE } from './group-role';
import { TargetClient } from './target-client';
import { UserCleanupService } from './user-cleanup.service';
import { UserSyncService } from './user-sync.service';

jest.setTimeout(90_000);

const ADMIN = 'doorman_admin';
const PASSWORD = 'managed-admin-password-0123456789';
const READ_PUBLIC: GroupGrant = { database: 'app', schema: 'public', permission: 'read' };
const ADMIN_SALES: GroupGrant = { database: 'app', schema: 'sales', permission: 'admin' };
const READ_LEGACY: GroupGrant = { database: 'app', schema: 'legacy', permission: 'read' };
const READ_VENDOR: GroupGrant = { database: 'app', schema: 'vendor', permission: 'read' };

/**
 * Managed services: the whole lifecycle with the logins managed services hand out — IBM Cloud
 * Databases' manager, OVHcloud's avnadmin, a manager without pg_signal_backend — and a
 * superuser, on PostgreSQL 15 (Debian's) and 17 (npm's), whose CREATEROLE differ: from 16 it
 * acts only on roles the admin holds ADMIN OPTION on. The application's objects belong to
 * `app_owner`, a non-superuser role the admin created, as on those services; `vendor` belongs
 * to a role the cluster's superuser created (16+: the admin has no ADMIN OPTION on it);
 * `legacy` to the superuser itself, which only a superuser admin can grant on.
 */
const SHAPES: AdminShape[] = [
  'ibm-manager',
  'ovh-avnadmin',
  'rds-master',
  'no-signal-backend',
  'superuser',
];
const CASES = ([15, 17] as const).flatMap((v) =>
  SHAPES.map((shape): [TargetVersion, AdminShape] => [v, shape]),
);
describe.each<[TargetVersion, AdminShape]>(CASES)(
  'PostgreSQL %i: lifecycle with a %s admin',
  (version, shape) => {
    const pg16 = version >= 16;
    const managed = shape !== 'superuser';
    const keys = generateSealKeyPair();
    const privateKey = loadSealPrivateKey(keys.privateKey);
    const logger = pino({ level: 'silent' });
    let target: TargetPostgres;
    let client: TargetClient;
    let sync: UserSyncService;
    let cleanup: UserCleanupService;
    let n = 0;
    const run = (job: Parameters<UserSyncService['sync']>[0]) =>
      sync.sync(job, { kind: job.kind, shortId: `m${++n}` });
    const sql = async <R extends Record<string, unknown>>(
      text: string,
      db = 'postgres',
      params: unknown[] = [],
    ) => (await target.query<R>(text, params, db)).rows;
    /**
     * Roles whose privileges the admin holds, beyond what it was given: must stay empty.
     * From 16 the admin keeps an ADMIN OPTION-only membership (no INHERIT, no SET) in each
     * role it created, which gives no privileges and is left out.
     */
    const adminMemberships = async () =>
      (
        await sql<{ name: string }>(
          `SELECT g.rolname::text AS name FROM pg_auth_members m
             JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles a ON a.oid = m.member
            WHERE a.rolname = $1 AND g.rolname NOT LIKE 'pg\\_%' AND g.rolname <> 'rds_superuser'
              ${pg16 ? 'AND (m.inherit_option OR m.set_option)' : ''} ORDER BY 1`,
          'postgres',
          [ADMIN],
        )
      ).map((r) => r.name);
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
      expect(target.majorVersion).toBe(version);
      await createAdmin(target, shape, ADMIN, PASSWORD);
      // The application's owner is created by the admin, as on the providers' services.
      await sql(`SET ROLE ${ADMIN}; CREATE ROLE app_owner NOLOGIN; RESET ROLE`);
      // So is a reporting role (an existing role a security team may offer).
      await sql(`SET ROLE ${ADMIN}; CREATE ROLE reporting NOLOGIN; RESET ROLE`);
      await sql('CREATE ROLE vendor_owner NOLOGIN');
      await target.createDatabase('app');
      await sql('ALTER DATABASE app OWNER TO app_owner');
      for (const s of [
        'SET ROLE app_owner',
        'CREATE TABLE public.orders (id serial PRIMARY KEY, item text)',
        "INSERT INTO public.orders (item) VALUES ('book')",
        'RESET ROLE',
        'CREATE SCHEMA sales AUTHORIZATION app_owner',
        'SET ROLE app_owner',
        'CREATE TABLE sales.leads (id serial PRIMARY KEY, name text)',
        "INSERT INTO sales.leads (name) VALUES ('acme')",
        'RESET ROLE',
        'CREATE SCHEMA legacy',
        'CREATE TABLE legacy.ledger (v int)',
        'CREATE SCHEMA vendor AUTHORIZATION vendor_owner',
        'SET ROLE vendor_owner',
        'CREATE TABLE vendor.parts (v int)',
        'RESET ROLE',
        // Existing roles a security team may offer (and some it must not be able to).
        'GRANT USAGE ON SCHEMA sales TO reporting',
        'GRANT SELECT ON sales.leads TO reporting',
        'CREATE ROLE root_group NOLOGIN SUPERUSER',
        'CREATE ROLE app_login LOGIN',
        'CREATE ROLE via_root NOLOGIN IN ROLE root_group',
      ]) {
        await sql(s, 'app');
      }
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
        logger,
      );
      const groups = new GroupRolesService(client);
      sync = new UserSyncService(client, groups, loadSealPublicKey(keys.publicKey));
      cleanup = new UserCleanupService(client, groups);
    });

    afterAll(async () => {
      await client?.close();
      await target?.stop();
    });

    it('grant → login → later table → revoke with a live session → cleanup of an owner → rotation', async () => {
      const who = person();
      const granted = await run(
        syncJob(who, 1, [READ_PUBLIC, ADMIN_SALES], { rotatePassword: true }),
      );
      expect(granted.status).toBe('applied');
      const password = open(granted.sealedPassword!, privateKey);
      const session = await target.connect(who.username, password, 'app');
      expect((await session.query('SELECT item FROM public.orders')).rows).toEqual([
        { item: 'book' },
      ]);
      await session.query("INSERT INTO sales.leads (name) VALUES ('globex')");
      await session.query('CREATE TABLE sales.mine (v int)');
      // A table the application creates after the grant is covered (default privileges).
      await sql('SET ROLE app_owner; CREATE TABLE public.later (v int); RESET ROLE', 'app');
      await session.query('SELECT * FROM public.later');
      await expect(session.query('INSERT INTO public.orders (item) VALUES (1)')).rejects.toThrow();
      expect(await adminMemberships()).toEqual([]);

      // Revoke: logins refused at once, the open session ended.
      const revoked = await run(syncJob(who, 2, []));
      expect(revoked.status).toBe('applied');
      expect(revoked.sessionsTerminated).toBe(1);
      expect(await isClosed(session)).toBe(true);
      await expect(target.connect(who.username, password, 'app')).rejects.toThrow();
      expect(await adminMemberships()).toEqual([]);

      // Inventory (reconciliation) reads the managed role.
      const inventory = await new InventoryService(
        'c',
        60_000,
        client,
        {} as ResultsPublisher,
        logger,
      ).read();
      expect(inventory.roles.map((r) => r.name)).toContain(who.username);

      // Cleanup: what the person owned goes to doorman_inheritor, the role is dropped.
      const cleaned = await cleanup.cleanup(cleanupJob(who, 2, ['app']), {
        kind: 'cleanup-user',
        shortId: `m${++n}`,
      });
      expect(cleaned.status).toBe('applied');
      expect(cleaned.reassigned).toContain('app: table sales.mine');
      expect(
        await sql(
          "SELECT pg_get_userbyid(relowner)::text AS o FROM pg_class WHERE relname = 'mine'",
          'app',
        ),
      ).toEqual([{ o: INHERITOR_ROLE }]);
      expect(
        await sql('SELECT 1 FROM pg_roles WHERE rolname = $1', 'postgres', [who.username]),
      ).toEqual([]);
      expect(await adminMemberships()).toEqual([]);

      // Rotation of the admin's own password. PostgreSQL 15 lets only a superuser alter a
      // REPLICATION role, even its own password: OVHcloud's avnadmin rotates through the
      // provider, and the failure leaves the old password working. From 16 it may.
      const rotated = await new AdminRotationService(
        client,
        join(mkdtempSync(join(tmpdir(), 'doorman-managed-')), 'admin.json'),
        PASSWORD,
        logger,
      ).rotate();
      const oldWorks = await target.connect(ADMIN, PASSWORD).then(
        (c) => c.end().then(() => true),
        () => false,
      );
      if (shape === 'ovh-avnadmin' && !pg16) {
        expect(rotated.status).toBe('failed');
        expect(rotated.error?.code).toBe(ConnectorErrorCode.InsufficientPrivilege);
        expect(oldWorks).toBe(true);
      } else {
        expect([rotated.status, rotated.error?.message]).toEqual(['applied', undefined]);
        expect(oldWorks).toBe(false);
      }
    });

    it('the doctor says what works, what is missing and how to fix it', async () => {
      const lines = doctorReport(await readCapabilities(client, 'verify-full'));
      const line = (check: string) => {
        const l = lines.find((x) => x.check === check);
        if (!l) throw new Error(`no doctor line ${check}: ${renderDoctorReport(lines)}`);
        return l;
      };
      expect(line('login').detail).toContain(ADMIN);
      expect(line('tls')).toMatchObject({ status: 'ok' });
      expect(line('tls').detail).toMatch(/TLS in use \(TLSv1\.[23]\)/);
      expect(line('createrole').status).toBe('ok');
      expect(line('reassign and drop').status).toBe('ok');
      expect(line('grantable app.sales')).toMatchObject({ status: 'ok' });
      expect(line('grantable app.sales').detail).toMatch(/^read, write, admin/);
      expect(line('grantable app.public').status).toBe('ok');
      // PostgreSQL 15: CREATEROLE suffices; 16+: the ADMIN OPTION the provider gave.
      expect(line('grant pg_read_all_data').status).toBe('ok');
      expect(line('grant pg_write_all_data').status).toBe('ok');
      if (managed && pg16) {
        expect(line('grantable app.vendor')).toMatchObject({
          status: 'missing',
          fix: `GRANT "vendor_owner" TO "${ADMIN}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`,
        });
        expect(line('grantable app.vendor').detail).toContain('ADMIN OPTION');
      } else {
        expect(line('grantable app.vendor').status).toBe('ok');
      }
      // Existing roles: the app's reporting and pg_monitor are offered, root_group is not.
      // (OVHcloud's avnadmin on 16+ holds no ADMIN OPTION on pg_monitor.)
      expect(line('existing roles').detail).toMatch(
        shape === 'ovh-avnadmin' && pg16
          ? /^grantable as member: .*reporting.*; refused: .*pg_monitor \(PostgreSQL 16\+ lets .* grant only roles it holds ADMIN OPTION on/
          : /^grantable as member: .*pg_monitor.*reporting.*; refused: .*root_group \(root_group has SUPERUSER\)/,
      );
      // The harness's pg_hba.conf has no rule for +doorman_managed (its `all` rules apply); only a superuser reads it.
      expect(line('pg_hba.conf').status).toBe('info');
      expect(line('pg_hba.conf').detail).toContain(
        shape === 'superuser' ? 'hostssl all all 127.0.0.1 scram-sha-256' : 'not readable',
      );
      if (shape === 'superuser') {
        expect(line('grantable app.legacy').status).toBe('ok');
      } else {
        expect(line('grantable app.legacy')).toMatchObject({ status: 'missing' });
        expect(line('grantable app.legacy').detail).toContain('superuser postgres');
        expect(line('grantable app.legacy').fix).toContain('ALTER SCHEMA "legacy" OWNER TO');
      }
      const terminate = line('terminate sessions');
      if (shape === 'ovh-avnadmin' || shape === 'no-signal-backend') {
        expect(terminate).toMatchObject({
          status: 'warn',
          fix: `GRANT pg_signal_backend TO "${ADMIN}";`,
        });
      } else {
        expect(terminate.status).toBe('ok');
      }
      const rotate = line('rotate own password');
      if (shape === 'ovh-avnadmin' && !pg16) {
        expect(rotate.status).toBe('missing');
        expect(rotate.fix).toContain('NOREPLICATION');
      } else {
        expect(rotate.status).toBe('ok');
      }
      // The rendered report names every check, one a line.
      expect(
        renderDoctorReport(lines)
          .split('\n')
          .filter((l) => !l.startsWith(' ')).length,
      ).toBe(lines.length);
    });

    (shape === 'no-signal-backend' ? it : it.skip)(
      'a revoke whose sessions cannot be ended still blocks logins and says so',
      async () => {
        const who = person();
        const password = open(
          (await run(syncJob(who, 1, [READ_PUBLIC], { rotatePassword: true }))).sealedPassword!,
          privateKey,
        );
        const session = await target.connect(who.username, password, 'app');
        // As on PostgreSQL 16+ without ADMIN OPTION on the user: ending sessions is refused.
        const query = client.query.bind(client);
        const spy = jest
          .spyOn(client, 'query')
          .mockImplementation((s, db) =>
            s.text.includes('pg_terminate_backend')
              ? Promise.reject(Object.assign(new Error('permission denied'), { code: '42501' }))
              : query(s, db),
          );
        try {
          const revoked = await run(syncJob(who, 2, []));
          expect(revoked.status).toBe('applied');
          expect(revoked.sessionsTerminated).toBe(0);
          expect(revoked.effects.join('\n')).toContain('open sessions could not be ended');
        } finally {
          spy.mockRestore();
        }
        await expect(target.connect(who.username, password, 'app')).rejects.toThrow();
        expect(await isClosed(session)).toBe(false);
        await session.end();
        expect(await adminMemberships()).toEqual([]);
      },
    );

    it('read and write on everything through pg_read_all_data / pg_write_all_data, superuser-owned tables included', async () => {
      const who = person();
      const readAll: GroupGrant = { database: '*', schema: '*', permission: 'read' };
      const writeAll: GroupGrant = { database: '*', schema: '*', permission: 'write' };
      const granted = await run(syncJob(who, 1, [readAll], { rotatePassword: true }));
      expect(granted.status).toBe('applied');
      const password = open(granted.sealedPassword!, privateKey);
      const session = await target.connect(who.username, password, 'app');
      await session.query('SELECT * FROM legacy.ledger');
      await session.query('SELECT * FROM sales.leads');
      await expect(session.query('INSERT INTO legacy.ledger VALUES (1)')).rejects.toThrow();
      await session.end();

      if (managed && pg16) {
        // 16+: giving pg_write_all_data takes ADMIN OPTION on it. Without: the doctor names the
        // GRANT to run, and the ask is refused whole. (RDS's master holds it through rds_superuser.)
        const holder = shape === 'rds-master' ? 'rds_superuser' : ADMIN;
        await sql(`REVOKE ADMIN OPTION FOR pg_write_all_data FROM ${holder}`);
        try {
          const caps = await readCapabilities(client, 'verify-full');
          expect(caps.admin.grantablePredefined).toEqual(['pg_read_all_data']);
          expect(
            doctorReport(caps).find((l) => l.check === 'grant pg_write_all_data'),
          ).toMatchObject({
            status: 'info',
            fix: `GRANT pg_write_all_data TO "${ADMIN}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`,
          });
          const err = await run(syncJob(who, 2, [writeAll])).catch((e: unknown) => e);
          expect((err as ConnectorError).code).toBe(ConnectorErrorCode.NotGrantable);
          expect((err as ConnectorError).message).toContain('WITH ADMIN OPTION');
        } finally {
          await sql(`GRANT pg_write_all_data TO ${holder} WITH ADMIN OPTION`);
        }
      }

      expect((await run(syncJob(who, 2, [writeAll]))).status).toBe('applied');
      const writer = await target.connect(who.username, password, 'app');
      await writer.query('INSERT INTO legacy.ledger VALUES (2)');
      await writer.query("INSERT INTO sales.leads (name) VALUES ('initech')");
      await writer.end();
      expect(await adminMemberships()).toEqual([]);

      // Admin on everything is refused whole, before anything is created for the person.
      const other = person();
      const err = await run(
        syncJob(other, 1, [{ database: '*', schema: '*', permission: 'admin' }]),
      ).catch((e: unknown) => e);
      expect((err as ConnectorError).code).toBe(ConnectorErrorCode.InvalidRequest);

      const revoked = await run(syncJob(who, 3, []));
      expect(revoked.status).toBe('applied');
      await expect(target.connect(who.username, password, 'app')).rejects.toThrow();
    });

    it(
      shape === 'superuser'
        ? 'grants on a schema the cluster superuser owns'
        : 'refuses, whole and with the reason, a schema owned by a superuser',
      async () => {
        const who = person();
        if (shape === 'superuser') {
          expect((await run(syncJob(who, 1, [READ_LEGACY]))).status).toBe('applied');
          return;
        }
        const err = await run(syncJob(who, 1, [READ_PUBLIC, READ_LEGACY])).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConnectorError);
        expect((err as ConnectorError).code).toBe(ConnectorErrorCode.NotGrantable);
        expect((err as ConnectorError).message).toContain('superuser');
        // Never half-granted: the person's role was not created at all.
        expect(
          await sql('SELECT 1 FROM pg_roles WHERE rolname = $1', 'postgres', [who.username]),
        ).toEqual([]);
        expect(await adminMemberships()).toEqual([]);
      },
    );

    it(
      managed && pg16
        ? 'refuses a schema whose owner it holds no ADMIN OPTION on, until the provider grants it'
        : 'grants on a schema whose owner another role created',
      async () => {
        const who = person();
        if (managed && pg16) {
          const err = await run(syncJob(who, 1, [READ_PUBLIC, READ_VENDOR])).catch(
            (e: unknown) => e,
          );
          expect((err as ConnectorError).code).toBe(ConnectorErrorCode.NotGrantable);
          expect((err as ConnectorError).message).toContain(
            `GRANT "vendor_owner" TO "${ADMIN}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`,
          );
          expect(
            await sql('SELECT 1 FROM pg_roles WHERE rolname = $1', 'postgres', [who.username]),
          ).toEqual([]);
          expect(await adminMemberships()).toEqual([]);
          // What the doctor's fix says; the ADMIN OPTION membership also gives its privileges.
          await sql(`GRANT vendor_owner TO ${ADMIN} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`);
        }
        const granted = await run(syncJob(who, 1, [READ_VENDOR], { rotatePassword: true }));
        expect(granted.status).toBe('applied');
        const session = await target.connect(
          who.username,
          open(granted.sealedPassword!, privateKey),
          'app',
        );
        await sql('SET ROLE vendor_owner; CREATE TABLE vendor.later (v int); RESET ROLE', 'app');
        await session.query('SELECT * FROM vendor.parts, vendor.later');
        await session.end();
        expect(await adminMemberships()).toEqual([]);
        expect((await run(syncJob(who, 2, []))).status).toBe('applied');
      },
    );

    it('existing roles: member of pg_monitor and of an app role, revoked; dangerous roles refused whole', async () => {
      const who = person();
      const monitor: GroupGrant = { database: '*', schema: 'pg_monitor', permission: 'member' };
      const reporting: GroupGrant = { database: '*', schema: 'reporting', permission: 'member' };
      if (shape === 'ovh-avnadmin' && pg16) {
        // 16+: a role the admin holds no ADMIN OPTION on is refused whole, naming the fix.
        const err = await run(
          syncJob(who, 1, [monitor, reporting], { rotatePassword: true }),
        ).catch((e: unknown) => e);
        expect([(err as ConnectorError).code, (err as ConnectorError).message]).toEqual([
          ConnectorErrorCode.NotGrantable,
          expect.stringContaining(
            `GRANT "pg_monitor" TO "${ADMIN}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`,
          ),
        ]);
        expect(
          await sql('SELECT 1 FROM pg_roles WHERE rolname = $1', 'postgres', [who.username]),
        ).toEqual([]);
        await sql(`GRANT pg_monitor TO ${ADMIN} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`);
      }
      const granted = await run(syncJob(who, 1, [monitor, reporting], { rotatePassword: true }));
      expect(granted.status).toBe('applied');
      const password = open(granted.sealedPassword!, privateKey);
      const session = await target.connect(who.username, password, 'app');
      // What reporting may do, the person may do; nothing more.
      expect((await session.query('SELECT name FROM sales.leads ORDER BY id')).rows[0]).toEqual({
        name: 'acme',
      });
      await expect(session.query("INSERT INTO sales.leads (name) VALUES ('x')")).rejects.toThrow();
      await expect(session.query('SELECT * FROM public.orders')).rejects.toThrow();
      // pg_monitor: the WAL directory listing is for superusers and pg_monitor only.
      await session.query('SELECT count(*) FROM pg_ls_waldir()');
      await session.end();
      expect(await adminMemberships()).toEqual([]);

      const revoked = await run(syncJob(who, 2, []));
      expect(revoked.status).toBe('applied');
      await expect(target.connect(who.username, password, 'app')).rejects.toThrow();
      expect(
        await sql<{ monitor: boolean; reporting: boolean }>(
          "SELECT pg_has_role($1, 'pg_monitor', 'MEMBER') AS monitor, pg_has_role($1, 'reporting', 'MEMBER') AS reporting",
          'postgres',
          [who.username],
        ),
      ).toEqual([{ monitor: false, reporting: false }]);

      // Refused whole, with the reason, before anything is created: no user, no group.
      const groupsBefore = await sql(
        "SELECT rolname FROM pg_roles WHERE rolname LIKE 'doorman\\_member\\_%' ORDER BY 1",
      );
      for (const [role, why] of [
        ['root_group', 'SUPERUSER'],
        ['app_login', 'LOGIN'],
        ['via_root', 'member of root_group, which has SUPERUSER'],
        ['pg_execute_server_program', 'file system'],
        ['doorman_managed', "Doorman's own"],
        ['no_such_role', 'does not exist'],
      ]) {
        const other = person();
        const err = await run(
          syncJob(other, 1, [READ_PUBLIC, { database: '*', schema: role, permission: 'member' }], {
            rotatePassword: true,
          }),
        ).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConnectorError);
        expect([(err as ConnectorError).code, (err as ConnectorError).message]).toEqual([
          ConnectorErrorCode.NotGrantable,
          expect.stringContaining(why),
        ]);
        expect(
          await sql('SELECT 1 FROM pg_roles WHERE rolname = $1', 'postgres', [other.username]),
        ).toEqual([]);
      }
      expect(
        await sql(
          "SELECT rolname FROM pg_roles WHERE rolname LIKE 'doorman\\_member\\_%' ORDER BY 1",
        ),
      ).toEqual(groupsBefore);
      expect(await adminMemberships()).toEqual([]);
    });
  },
);
