import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { GroupGrant, GroupTimes, SyncUserJob } from '@doorman/contracts';
import { generateSealKeyPair, loadSealPrivateKey, loadSealPublicKey, open } from '@doorman/crypto';
import { person, syncJob, type Person } from '../../../../test/support/connector-jobs';
import { startTargetPostgres, type TargetPostgres } from '../../../../test/support/target-postgres';
import { ConnectorErrorCode } from '../common/connector.error';
import { sslOptions } from '../config/connector.config';
import { GROUP_COMMENT_PREFIX, groupRoleName } from './group-role';
import { GroupRolesService } from './group-roles.service';
import { TargetClient } from './target-client';
import { UserSyncService, type SyncOutcome } from './user-sync.service';

jest.setTimeout(60_000);

/**
 * Partial syncs: a group that cannot be made (a missing schema, a role that does not exist) is left
 * out of the sync with its own error; the person's other grants are applied, and LOGIN and
 * VALID UNTIL count only those. Outcomes in PostgreSQL: logins, privileges, pg_roles.
 */
describe('a sync with groups that cannot be applied', () => {
  const READ_PUBLIC: GroupGrant = { database: 'app', schema: 'public', permission: 'read' };
  const READ_MISSING: GroupGrant = {
    database: 'app',
    schema: 'no_such_schema',
    permission: 'read',
  };
  const MISSING_ROLE: GroupGrant = { database: '*', schema: 'no_such_role', permission: 'member' };
  const IN_MISSING_DB: GroupGrant = {
    database: 'no_such_db',
    schema: 'public',
    permission: 'read',
  };

  const keys = generateSealKeyPair();
  const privateKey = loadSealPrivateKey(keys.privateKey);
  let target: TargetPostgres;
  let client: TargetClient;
  let sync: UserSyncService;
  let n = 0;

  const run = (job: SyncUserJob) => sync.sync(job, { kind: job.kind, shortId: `p${++n}` });
  const passwordOf = (out: SyncOutcome): string => {
    if (!out.sealedPassword) throw new Error('no password issued');
    return open(out.sealedPassword, privateKey);
  };
  const roleOf = async (name: string) =>
    (
      await target.query<{ rolcanlogin: boolean; valid_until_ms: number | null }>(
        `SELECT rolcanlogin, floor(extract(epoch FROM rolvaliduntil) * 1000)::float8 AS valid_until_ms
           FROM pg_roles WHERE rolname = $1`,
        [name],
        'postgres',
      )
    ).rows[0];
  const memberships = async (name: string) =>
    (
      await target.query<{ g: string }>(
        `SELECT g.rolname AS g FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
           JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1 AND starts_with(shobj_description(g.oid, 'pg_authid'), $2)`,
        [name, GROUP_COMMENT_PREFIX],
        'postgres',
      )
    ).rows.map((r) => r.g);

  /** A job as today's broker sends it: per group, the grants' expiry and starting duration. */
  const jobWithTimes = (
    who: Person,
    generation: number,
    groups: Array<{ grant: GroupGrant; validUntil?: string; startingDurationSeconds?: number }>,
  ): SyncUserJob => {
    const groupTimes: GroupTimes[] = groups.map((g) => ({
      ...g.grant,
      validUntil: g.validUntil ?? null,
      startingDurationSeconds: g.startingDurationSeconds ?? null,
    }));
    const validUntils = groupTimes.flatMap((t) => (t.validUntil ? [Date.parse(t.validUntil)] : []));
    const durations = groupTimes.flatMap((t) =>
      t.startingDurationSeconds ? [t.startingDurationSeconds] : [],
    );
    return syncJob(
      who,
      generation,
      groups.map((g) => g.grant),
      {
        groupTimes,
        validUntil: validUntils.length ? new Date(Math.max(...validUntils)).toISOString() : null,
        startingDurationSeconds: durations.length ? Math.max(...durations) : null,
      },
    );
  };

  beforeAll(async () => {
    target = await startTargetPostgres({ version: 17 });
    await target.createDatabase('app');
    await target.query('CREATE TABLE public.orders (id serial PRIMARY KEY, item text)', [], 'app');
    await target.query("INSERT INTO public.orders (item) VALUES ('book')", [], 'app');
    client = new TargetClient(
      {
        host: target.host,
        port: target.port,
        user: 'postgres',
        password: target.superuserPassword,
        database: 'postgres',
        sslMode: 'verify-full',
        ssl: sslOptions('verify-full', readFileSync(target.caFile, 'utf8')),
      },
      15000,
      10,
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

  it('applies the grant that can be, and reports the missing schema as its own failure', async () => {
    const who = person();
    const out = await run(
      jobWithTimes(who, 1, [
        { grant: READ_PUBLIC, startingDurationSeconds: 600 },
        // The longer grant cannot be applied: it must not lengthen VALID UNTIL.
        { grant: READ_MISSING, startingDurationSeconds: 7200 },
      ]),
    );
    expect(out.status).toBe('applied');
    expect(out.failedGroups).toEqual([
      {
        ...READ_MISSING,
        error: expect.objectContaining({
          code: ConnectorErrorCode.SchemaMissing,
          retryable: false,
        }) as unknown,
      },
    ]);
    expect(out.failedGroups?.[0].error.message).toContain('no_such_schema');
    expect(out.effects).toContain(`not granted ${groupRoleName(READ_MISSING)} (SCHEMA_MISSING)`);

    const role = await roleOf(who.username);
    expect(role.rolcanlogin).toBe(true);
    const validFor = role.valid_until_ms! - Date.parse(out.startedAt);
    expect(validFor).toBeGreaterThan(590_000);
    expect(validFor).toBeLessThanOrEqual(600_000);
    expect(await memberships(who.username)).toEqual([groupRoleName(READ_PUBLIC)]);

    const c = await target.connect(who.username, passwordOf(out), 'app');
    expect((await c.query('SELECT item FROM public.orders')).rows).toEqual([{ item: 'book' }]);
    await c.end();
  });

  it('leaves out a role that does not exist and a database that does not, each with its own error', async () => {
    const who = person();
    const out = await run(
      jobWithTimes(who, 1, [
        { grant: READ_PUBLIC, startingDurationSeconds: 600 },
        { grant: MISSING_ROLE, startingDurationSeconds: 600 },
        { grant: IN_MISSING_DB, startingDurationSeconds: 600 },
      ]),
    );
    expect(out.status).toBe('applied');
    const codes = new Map(
      (out.failedGroups ?? []).map((f) => [f.schema + '@' + f.database, f.error.code]),
    );
    expect(codes).toEqual(
      new Map([
        ['no_such_role@*', ConnectorErrorCode.NotGrantable],
        ['public@no_such_db', ConnectorErrorCode.DatabaseMissing],
      ]),
    );
    expect(await memberships(who.username)).toEqual([groupRoleName(READ_PUBLIC)]);
  });

  it('creates no login when no grant can be applied', async () => {
    const who = person();
    const out = await run(
      jobWithTimes(who, 1, [{ grant: READ_MISSING, startingDurationSeconds: 600 }]),
    );
    expect(out.status).toBe('applied');
    expect(out.sealedPassword).toBeUndefined();
    expect(out.failedGroups?.map((f) => f.error.code)).toEqual([ConnectorErrorCode.SchemaMissing]);
    expect(await roleOf(who.username)).toBeUndefined();
  });

  it('takes LOGIN away when the only grant left cannot be applied', async () => {
    const who = person();
    await run(jobWithTimes(who, 1, [{ grant: READ_PUBLIC, startingDurationSeconds: 600 }]));
    // The public grant ended; a new one on a missing schema is all the person asks for now.
    const out = await run(
      jobWithTimes(who, 2, [{ grant: READ_MISSING, startingDurationSeconds: 600 }]),
    );
    expect(out.failedGroups?.map((f) => f.schema)).toEqual(['no_such_schema']);
    const role = await roleOf(who.username);
    expect(role.rolcanlogin).toBe(false);
    expect(role.valid_until_ms!).toBeLessThan(Date.now());
    expect(await memberships(who.username)).toEqual([]);
  });

  it('reports the failed group again when the job turns out stale', async () => {
    const who = person();
    const job = jobWithTimes(who, 1, [
      { grant: READ_PUBLIC, startingDurationSeconds: 600 },
      { grant: READ_MISSING, startingDurationSeconds: 600 },
    ]);
    await run(job);
    const again = await run(job);
    expect(again.status).toBe('stale');
    expect(again.failedGroups?.map((f) => f.schema)).toEqual(['no_such_schema']);
  });

  it('a group that outlived its schema is left out for a newcomer and kept for who holds it', async () => {
    await target.query('CREATE SCHEMA brief', [], 'app');
    const READ_BRIEF: GroupGrant = { database: 'app', schema: 'brief', permission: 'read' };
    const holder = person();
    await run(jobWithTimes(holder, 1, [{ grant: READ_BRIEF, startingDurationSeconds: 600 }]));
    expect(await memberships(holder.username)).toEqual([groupRoleName(READ_BRIEF)]);
    await target.query('DROP SCHEMA brief', [], 'app');

    const newcomer = person();
    const out = await run(
      jobWithTimes(newcomer, 1, [
        { grant: READ_PUBLIC, startingDurationSeconds: 600 },
        { grant: READ_BRIEF, startingDurationSeconds: 600 },
      ]),
    );
    expect(out.failedGroups?.map((f) => [f.schema, f.error.code])).toEqual([
      ['brief', ConnectorErrorCode.SchemaMissing],
    ]);
    expect(await memberships(newcomer.username)).toEqual([groupRoleName(READ_PUBLIC)]);

    const kept = await run(
      jobWithTimes(holder, 2, [
        { grant: READ_BRIEF, validUntil: new Date(Date.now() + 600_000).toISOString() },
        { grant: READ_PUBLIC, startingDurationSeconds: 600 },
      ]),
    );
    expect(kept.failedGroups).toEqual([]);
    expect(kept.effects.join('\n')).toMatch(/kept the memberships already held/);
    expect((await memberships(holder.username)).sort()).toEqual(
      [groupRoleName(READ_BRIEF), groupRoleName(READ_PUBLIC)].sort(),
    );
  });

  it('reports when it applied, by the server clock, after the transaction started', async () => {
    const out = await run(
      jobWithTimes(person(), 1, [{ grant: READ_PUBLIC, startingDurationSeconds: 60 }]),
    );
    expect(Date.parse(out.appliedAt!)).toBeGreaterThanOrEqual(Date.parse(out.startedAt));
  });
});
