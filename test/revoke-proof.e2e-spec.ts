import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdmin, type AdminShape } from './support/admin-shapes';
import { waitFor } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { startStack, type Stack } from './support/stack';
import type { TargetPostgres, TargetVersion } from './support/target-postgres';

jest.setTimeout(120_000);

const ADMIN = 'doorman_admin';
const INITIAL = 'revoke-proof-admin-0123456789';

/**
 * Proof that access ended, end to end: broker and connector processes and a target cluster, on
 * PostgreSQL 15 and 17, the connector logged in as a superuser and as IBM Cloud Databases'
 * manager (CREATEROLE, no superuser). While alice's grant is active, the table's owner grants
 * her database user SELECT on another table directly (and, on 17, MAINTAIN), and another admin
 * makes her a member of its reporting role. Revoking the grant takes Doorman's group away; the
 * connector's check of the target finds the rest too, removes it as each grantor, and the
 * broker audits revoke.residue with it.
 */
describe.each<[TargetVersion, AdminShape]>([
  [15, 'superuser'],
  [15, 'ibm-manager'],
  [17, 'superuser'],
  [17, 'ibm-manager'],
])('PostgreSQL %i, a %s admin: a revoke that finds residue and removes it', (version, shape) => {
  let stack: Stack;
  let target: TargetPostgres;
  let w: World;

  beforeAll(async () => {
    stack = await startStack({
      target: { version },
      prepareTarget: async (t) => {
        await createAdmin(t, shape, ADMIN, INITIAL);
        // As on managed services, the application's owner and the other admin are roles the
        // connector's admin created.
        await t.query(
          `SET ROLE ${ADMIN}; CREATE ROLE app_owner NOLOGIN; CREATE ROLE ops_admin NOLOGIN CREATEROLE; RESET ROLE`,
        );
        await t.query('SET ROLE ops_admin; CREATE ROLE reporting NOLOGIN; RESET ROLE');
        await t.createDatabase('app');
        await t.query('ALTER DATABASE app OWNER TO app_owner');
        await t.query(
          [
            'SET ROLE app_owner',
            'CREATE TABLE public.orders (id int PRIMARY KEY, item text)',
            "INSERT INTO public.orders VALUES (1, 'book')",
            'CREATE SCHEMA payroll',
            'CREATE TABLE payroll.salaries (who text, amount int)',
            'RESET ROLE',
          ].join(';\n'),
          [],
          'app',
        );
      },
    });
    target = stack.target;
    w = await createWorld(stack.admin, {
      host: '127.0.0.1',
      port: target.port,
      sslMode: 'verify-full',
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['read'],
      maxDuration: '2h',
      // The database user stays after access ends, so what it still holds can be read.
      cleanupDays: 30,
    });
    stack.startConnector(w.connectorId, {
      TARGET_DATABASE_URL: `postgresql://${ADMIN}:${INITIAL}@127.0.0.1:${target.port}/postgres`,
      ADMIN_SECRET_FILE: join(mkdtempSync(join(tmpdir(), 'doorman-revoke-proof-')), 'admin.json'),
    });
    await stack.connectorHealthy(w.connectorId);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const status = async (id: string) =>
    (await w.alice.api.get(`/api/v1/access-requests/${id}`)).body;

  it('revokes the grant, finds what was granted beside it, removes it and audits both', async () => {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '30m',
      justification: 'revoke proof e2e',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await w.bob.api.post(`/api/v1/access-requests/${id}/approve`)).status).toBe(200);
    await waitFor('grant active', async () =>
      (await status(id)).status === 'ACTIVE' ? true : undefined,
    );
    const creds = await w.alice.api.post(`/api/v1/access-requests/${id}/credentials`);
    expect(creds.status).toBe(200);
    const username = creds.body.username as string;
    // "Just give her access": straight to the temporary user, outside Doorman.
    await target.query(
      [
        'SET ROLE app_owner',
        `GRANT SELECT ON payroll.salaries TO "${username}"`,
        `GRANT USAGE ON SCHEMA payroll TO "${username}"`,
        ...(version >= 17 ? [`GRANT MAINTAIN ON public.orders TO "${username}"`] : []),
        'RESET ROLE',
      ].join(';\n'),
      [],
      'app',
    );
    await target.query(`SET ROLE ops_admin; GRANT reporting TO "${username}"; RESET ROLE`);

    expect((await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, {})).status).toBe(200);
    await waitFor('grant revoked', async () =>
      (await status(id)).status === 'REVOKED' ? true : undefined,
    );

    const [priv] = (
      await target.query<{ t: boolean; s: boolean; m: boolean; r: boolean }>(
        `SELECT has_table_privilege($1, 'payroll.salaries', 'SELECT') AS t,
                has_schema_privilege($1, 'payroll', 'USAGE') AS s,
                has_table_privilege($1, 'public.orders', $2) AS m,
                pg_has_role($1, 'reporting', 'MEMBER') AS r`,
        [username, version >= 17 ? 'MAINTAIN' : 'SELECT'],
        'app',
      )
    ).rows;
    expect(priv).toEqual({ t: false, s: false, m: false, r: false });

    const trail = await w.security.api.get(`/api/v1/audit-events?requestId=${id}`);
    expect(trail.status).toBe(200);
    const residue = (
      trail.body as Array<{ action: string; details: Record<string, unknown> }>
    ).find((e) => e.action === 'revoke.residue');
    const expected = [
      'role "reporting"',
      'schema "payroll" in database "app"',
      'table "payroll"."salaries" in database "app"',
      ...(version >= 17 ? ['table "public"."orders" in database "app"'] : []),
    ];
    expect(residue?.details).toMatchObject({
      username,
      counts: { found: expected.length, fixed: expected.length, left: 0 },
    });
    expect(
      (residue?.details.fixed as Array<{ object: string }>).map((r) => r.object).sort(),
    ).toEqual(expected);
  });
});
