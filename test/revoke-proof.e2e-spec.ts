import { waitFor } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { startStack, type Stack } from './support/stack';
import type { TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

/**
 * Proof that access ended, end to end: broker and connector processes and a target cluster.
 * While alice's grant is active, the table's owner grants her database user SELECT on another
 * table directly. Revoking the grant takes Doorman's group away, and the connector's check of
 * the target finds that privilege too, removes it, and the broker audits revoke.residue with it.
 */
describe('a revoke that finds residue and removes it', () => {
  let stack: Stack;
  let target: TargetPostgres;
  let w: World;

  beforeAll(async () => {
    stack = await startStack({
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        await t.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
        await t.query("INSERT INTO public.orders VALUES (1, 'book')", [], 'app');
        await t.query('CREATE SCHEMA payroll', [], 'app');
        await t.query('CREATE TABLE payroll.salaries (who text, amount int)', [], 'app');
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
    stack.startConnector(w.connectorId);
    await stack.connectorHealthy(w.connectorId);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const status = async (id: string) =>
    (await w.alice.api.get(`/api/v1/access-requests/${id}`)).body;

  it('revokes the grant, finds the direct grant beside it, removes it and audits both', async () => {
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
      `GRANT SELECT ON payroll.salaries TO "${username}"; GRANT USAGE ON SCHEMA payroll TO "${username}"`,
      [],
      'app',
    );

    expect((await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, {})).status).toBe(200);
    await waitFor('grant revoked', async () =>
      (await status(id)).status === 'REVOKED' ? true : undefined,
    );

    const [priv] = (
      await target.query<{ t: boolean; s: boolean }>(
        `SELECT has_table_privilege($1, 'payroll.salaries', 'SELECT') AS t,
                has_schema_privilege($1, 'payroll', 'USAGE') AS s`,
        [username],
        'app',
      )
    ).rows;
    expect(priv).toEqual({ t: false, s: false });

    const trail = await w.security.api.get(`/api/v1/audit-events?requestId=${id}`);
    expect(trail.status).toBe(200);
    const residue = (
      trail.body as Array<{ action: string; details: Record<string, unknown> }>
    ).find((e) => e.action === 'revoke.residue');
    expect(residue?.details).toMatchObject({
      username,
      counts: { found: 2, fixed: 2, left: 0 },
    });
    expect(
      (residue?.details.fixed as Array<{ object: string }>).map((r) => r.object).sort(),
    ).toEqual([
      'schema "payroll" in database "app"',
      'table "payroll"."salaries" in database "app"',
    ]);
  });
});
