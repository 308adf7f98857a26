import 'reflect-metadata';
import { Writable } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import { escapeIdentifier as ident } from 'pg';
import { bootstrap as startConnector } from '../apps/connector/src/main';
import { createAdmin } from './support/admin-shapes';
import { waitFor } from './support/broker-env';
import { startSlackBroker, type SlackBroker } from './support/slack-broker';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(180_000);

const ADMIN = 'avnadmin';
const PASSWORD = 'catalog-admin-password-0123456789';
const ALICE = 'UALICE';

/**
 * Issue 7 with real parts: a throwaway target whose connector logs in as OVHcloud's
 * `avnadmin` (CREATEROLE, not a superuser), a connector and a broker in-process, a fake
 * Slack. Discover → the catalog and the doctor's report over the API → the Slack form offers
 * what exists and can be granted → a request the admin cannot grant is refused before anyone
 * is asked to approve, with the reason.
 */
describe('integration catalog (real target, connector and broker)', () => {
  let target: TargetPostgres;
  let b: SlackBroker;
  let connector: INestApplicationContext;

  beforeAll(async () => {
    target = await startTargetPostgres();
    await createAdmin(target, 'ovh-avnadmin', ADMIN, PASSWORD);
    await target.query('CREATE ROLE app_owner NOLOGIN');
    await target.createDatabase('app');
    await target.query('ALTER DATABASE app OWNER TO app_owner');
    for (const s of [
      'CREATE SCHEMA sales AUTHORIZATION app_owner',
      'SET ROLE app_owner',
      'CREATE TABLE sales.leads (id serial PRIMARY KEY, name text)',
      'RESET ROLE',
      // Owned by the superuser: avnadmin cannot act for it, so nothing can be granted here.
      'CREATE SCHEMA legacy',
      'CREATE TABLE legacy.ledger (v int)',
      // Existing roles: one to offer, one Doorman must refuse.
      'CREATE ROLE reporting NOLOGIN',
      'GRANT USAGE ON SCHEMA sales TO reporting',
      'GRANT SELECT ON sales.leads TO reporting',
      'CREATE ROLE root_group NOLOGIN SUPERUSER',
    ])
      await target.query(s, [], 'app');

    b = await startSlackBroker();
    b.fake.addUser(ALICE, b.w.alice.email);
    const flow = await b.w.security.api.post('/api/v1/access-flows', {
      name: 'catalog-flow',
      integrationId: b.w.integrationId,
      requestors: { userIds: [b.w.alice.id], groupIds: [] },
      resources: [
        ...['sales', 'legacy', 'ghost'].map((schema) => ({ database: 'app', schema })),
        { database: '*', schema: '*' },
      ],
      permissions: ['read', 'write'],
      approvers: { userIds: [b.w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
    });
    expect(flow.status).toBe(201);

    connector = await startConnector({
      env: {
        CONNECTOR_ID: b.w.connectorId,
        REDIS_URL: b.env.env.REDIS_URL,
        REDIS_PREFIX: b.env.redisPrefix,
        TARGET_DATABASE_URL: `postgresql://${ADMIN}:${PASSWORD}@127.0.0.1:${target.port}/postgres`,
        PGSSLMODE: 'verify-full',
        PGSSLROOTCERT: target.caFile,
        BROKER_SEAL_PUBLIC_KEY: b.env.env.BROKER_SEAL_PUBLIC_KEY,
        LOG_LEVEL: 'warn',
      },
      logDestination: new Writable({ write: (_chunk, _enc, cb) => cb() }),
    });
  });

  afterAll(async () => {
    await connector?.close();
    await b?.close();
    await target?.stop();
  });

  const catalogPath = () => `/api/v1/integrations/${b.w.integrationId}/catalog`;

  it('discovers on demand and serves the catalog: schemas, tables, owners, grantable levels', async () => {
    const started = await b.w.security.api.post(
      `/api/v1/integrations/${b.w.integrationId}/discover`,
    );
    expect(started.status).toBe(202);
    expect(started.body.discoveryId).toEqual(expect.any(String));

    const catalog = await waitFor(
      'the discovered catalog',
      async () => {
        const res = await b.w.alice.api.get(catalogPath());
        return res.body.discoveredAt && !res.body.pending ? res.body : undefined;
      },
      60_000,
      200,
    );
    expect(catalog).toMatchObject({
      fresh: true,
      lastError: null,
      // PostgreSQL 15: CREATEROLE may grant the predefined roles (16+ needs ADMIN OPTION).
      admin: {
        name: ADMIN,
        superuser: false,
        createrole: true,
        grantablePredefined: ['pg_read_all_data', 'pg_write_all_data'],
      },
    });
    expect(catalog.databases).toHaveLength(1);
    const app = catalog.databases[0];
    expect(app).toMatchObject({ name: 'app', owner: 'app_owner', publicConnect: true });
    const schema = (name: string) => app.schemas.find((s: { schema: string }) => s.schema === name);
    expect(schema('sales')).toEqual({
      schema: 'sales',
      owner: 'app_owner',
      grantable: ['read', 'write', 'admin'],
      reason: null,
      tables: [{ name: 'leads', owner: 'app_owner' }],
      tableCount: 1,
    });
    expect(schema('legacy')).toMatchObject({
      owner: 'postgres',
      grantable: [],
      reason: expect.stringContaining('superuser postgres'),
      tables: [{ name: 'ledger', owner: 'postgres' }],
    });
    expect(schema('ghost')).toBeUndefined();

    const rows = await b.db.query(
      'SELECT schema, grantable FROM integration_catalog_schemas WHERE integration_id = $1 ORDER BY schema',
      [b.w.integrationId],
    );
    expect(rows.rows.map((r) => r.schema)).toEqual(['legacy', 'public', 'sales']);
  });

  it("serves the doctor's report per integration, to security, admin and auditors only", async () => {
    const doctor = await b.w.security.api.get(`/api/v1/integrations/${b.w.integrationId}/doctor`);
    expect(doctor.status).toBe(200);
    expect(doctor.body.admin.name).toBe(ADMIN);
    const line = (check: string) =>
      doctor.body.lines.find((l: { check: string }) => l.check === check);
    expect(line('login')).toMatchObject({ status: 'ok' });
    expect(line('grantable app.legacy')).toMatchObject({
      status: 'missing',
      fix: expect.stringContaining(`ALTER SCHEMA ${ident('legacy')} OWNER TO`),
    });
    expect(line('rotate own password')).toMatchObject({ status: 'missing' });
    expect(doctor.body.summary.missing).toBeGreaterThanOrEqual(2);
    expect(
      (await b.w.alice.api.get(`/api/v1/integrations/${b.w.integrationId}/doctor`)).status,
    ).toBe(403);
  });

  it('the Slack form offers only schemas that exist and can be granted, with their levels', async () => {
    const trigger = b.slack.trigger();
    await b.slack.command(ALICE, '', trigger);
    const open = await waitFor('the request modal', async () =>
      b.fake.callsOf('views.open').find((c) => c.args.trigger_id === trigger),
    );
    const resource = open.args.view.blocks.find(
      (x: { block_id: string }) => x.block_id === 'resource',
    );
    const options = resource.element.options as Array<{ text: { text: string }; value: string }>;
    // public comes from the world's flow; legacy (not grantable) and ghost (absent) are left out.
    expect(options.map((o) => o.value)).toEqual([
      `${b.w.integrationId}|*|*`,
      `${b.w.integrationId}|app|public`,
      `${b.w.integrationId}|app|sales`,
    ]);
    expect(options[0].text.text).toBe(`${b.integrationName} › everything (read, write)`);
    expect(options[2].text.text).toBe(`${b.integrationName} › app.sales (read, write)`);
  });

  it('refuses before approval, with the reason, what the admin cannot grant (REST and Slack)', async () => {
    const ask = (schema: string) => ({
      integrationId: b.w.integrationId,
      database: 'app',
      schema,
      permission: 'read',
      duration: '30m',
      justification: 'catalog test',
    });
    const refused = await b.w.alice.api.post('/api/v1/access-requests', ask('legacy'));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      error: 'NOT_GRANTABLE',
      field: 'schema',
      message: expect.stringMatching(
        /^avnadmin cannot grant anything on app\.legacy: owned \(in part\) by superuser postgres/,
      ),
    });

    const submitted = await b.slack.submitView(ALICE, 'doorman_request', {
      resource: {
        resource: { selected_option: { value: `${b.w.integrationId}|app|legacy` } },
      },
      permission: { permission: { selected_option: { value: 'write' } } },
      duration: { duration: { value: '30m' } },
      justification: { justification: { value: 'catalog test' } },
    });
    expect(submitted.json).toEqual({
      response_action: 'errors',
      errors: { resource: expect.stringContaining('avnadmin cannot grant anything on app.legacy') },
    });

    const stored = await b.db.query(
      `SELECT count(*)::int AS n FROM access_requests WHERE schema = 'legacy'`,
    );
    expect(stored.rows[0].n).toBe(0);

    // What can be granted goes to the approvers as before.
    const ok = await b.w.alice.api.post('/api/v1/access-requests', ask('sales'));
    expect(ok.status).toBe(201);
    expect(ok.body.status).toBe('PENDING');
    // Read on everything (pg_read_all_data), which this admin may grant; never admin.
    const everything = await b.w.alice.api.post('/api/v1/access-requests', {
      ...ask('*'),
      database: '*',
    });
    expect(everything.status).toBe(201);
    const adminAll = await b.w.alice.api.post('/api/v1/access-requests', {
      ...ask('*'),
      database: '*',
      permission: 'admin',
    });
    expect(adminAll.status).toBe(400);
    expect(adminAll.body.message).toContain('read (pg_read_all_data) or write');
    // A schema the catalog does not know (created since, or a typo): the grant is the check.
    const unknown = await b.w.alice.api.post('/api/v1/access-requests', ask('ghost'));
    expect(unknown.status).toBe(201);
  });

  it('existing roles: catalogued with why not, offered in a flow as { role }, requested with role, refused before approval when not grantable, granted as member', async () => {
    const catalog = (await b.w.alice.api.get(catalogPath())).body;
    const role = (name: string) =>
      (catalog.roles as Array<{ name: string }>).find((r) => r.name === name);
    expect(role('pg_monitor')).toEqual({ name: 'pg_monitor', grantable: true });
    expect(role('reporting')).toEqual({ name: 'reporting', grantable: true });
    expect(role('root_group')).toEqual({
      name: 'root_group',
      grantable: false,
      reason: 'root_group has SUPERUSER',
    });
    expect(role('pg_execute_server_program')).toMatchObject({ grantable: false });
    expect(role(ADMIN)).toBeUndefined(); // LOGIN roles are never offered
    const doctor = await b.w.security.api.get(`/api/v1/integrations/${b.w.integrationId}/doctor`);
    expect(
      doctor.body.lines.find((l: { check: string }) => l.check === 'existing roles').detail,
    ).toMatch(/^grantable as member: .*pg_monitor.*reporting/);

    const flow = await b.w.security.api.post('/api/v1/access-flows', {
      name: 'catalog-roles',
      integrationId: b.w.integrationId,
      requestors: { userIds: [b.w.alice.id], groupIds: [] },
      resources: [{ role: 'pg_monitor' }, { role: 'reporting' }, { role: 'root_group' }],
      approvers: { userIds: [b.w.bob.id] },
      defaultDuration: '1h',
      maxDuration: '2h',
    });
    expect(flow.status).toBe(201);
    expect(flow.body.permissions).toEqual(['member']);
    expect(flow.body.resources[0]).toEqual({
      database: '*',
      schema: 'pg_monitor',
      ownerIds: [],
      role: 'pg_monitor',
    });

    // "Why" takes the role by name, as requests do.
    const why = await b.w.alice.api.get(
      `/api/v1/access-flows/why?integrationId=${b.w.integrationId}&role=pg_monitor`,
    );
    expect(why.status).toBe(200);
    expect(why.body).toMatchObject({ allowed: true });
    expect(
      (
        await b.w.alice.api.get(
          `/api/v1/access-flows/why?integrationId=${b.w.integrationId}&role=pg_monitor&schema=x`,
        )
      ).status,
    ).toBe(400);

    // The Slack form: grantable roles only, as `role <name> (member)`.
    const trigger = b.slack.trigger();
    await b.slack.command(ALICE, '', trigger);
    const open = await waitFor('the request modal', async () =>
      b.fake.callsOf('views.open').find((c) => c.args.trigger_id === trigger),
    );
    const labels = (
      open.args.view.blocks.find((x: { block_id: string }) => x.block_id === 'resource').element
        .options as Array<{ text: { text: string } }>
    ).map((o) => o.text.text);
    expect(labels).toContain(`${b.integrationName} › role pg_monitor (member)`);
    expect(labels).toContain(`${b.integrationName} › role reporting (member)`);
    expect(labels.join('\n')).not.toContain('root_group');

    const ask = (role: string, over: Record<string, unknown> = {}) =>
      b.w.alice.api.post('/api/v1/access-requests', {
        integrationId: b.w.integrationId,
        role,
        duration: '30m',
        justification: 'roles test',
        ...over,
      });
    const refused = await ask('root_group');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      error: 'NOT_GRANTABLE',
      message: expect.stringMatching(
        /^avnadmin cannot grant role root_group: root_group has SUPERUSER/,
      ),
    });
    expect(
      (
        await b.db.query(
          `SELECT count(*)::int AS n FROM access_requests WHERE schema = 'root_group'`,
        )
      ).rows[0].n,
    ).toBe(0);
    expect((await ask('pg_monitor', { permission: 'read' })).status).toBe(400);
    expect((await ask('*')).status).toBe(400);

    const ok = await ask('pg_monitor');
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      status: 'PENDING',
      database: '*',
      schema: 'pg_monitor',
      permission: 'member',
      role: 'pg_monitor',
      resource: 'role pg_monitor',
    });
    // The triple works as well as the sugar.
    const triple = await b.w.alice.api.post('/api/v1/access-requests', {
      integrationId: b.w.integrationId,
      database: '*',
      schema: 'reporting',
      permission: 'member',
      duration: '30m',
      justification: 'roles test',
    });
    expect(triple.status).toBe(201);

    // Approved: the connector makes the person's user a member of pg_monitor (through a group).
    expect((await b.w.bob.api.post(`/api/v1/access-requests/${ok.body.id}/approve`)).status).toBe(
      200,
    );
    await waitFor(
      'the pg_monitor grant to be ACTIVE',
      async () => {
        const r = await b.w.alice.api.get(`/api/v1/access-requests/${ok.body.id}`);
        if (r.body.status === 'FAILED') throw new Error(`grant failed: ${r.body.lastError}`);
        return r.body.status === 'ACTIVE' ? r.body : undefined;
      },
      60_000,
      200,
    );
    const members = await target.query<{ name: string }>(
      `SELECT r.rolname::text AS name FROM pg_roles r
        WHERE NOT r.rolsuper AND r.rolcanlogin
          AND pg_has_role(r.oid, 'doorman_managed', 'MEMBER')
          AND pg_has_role(r.oid, 'pg_monitor', 'MEMBER')`,
    );
    expect(members.rows).toEqual([{ name: expect.stringMatching(/_doorman$/) }]);
  });
});
