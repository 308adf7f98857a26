import { waitFor } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { startStack, type Stack } from './support/stack';
import type { TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

/**
 * Issue 18: one grant that cannot be applied must not fail the person's others. Alice asks
 * for a schema that exists and for one dropped since she asked; both are approved at the same
 * moment. The whole slice runs for real: broker and connector processes, a target cluster.
 */
describe('a grant that cannot be applied beside one that can', () => {
  let stack: Stack;
  let target: TargetPostgres;
  let w: World;

  beforeAll(async () => {
    stack = await startStack({
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        await t.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
        await t.query("INSERT INTO public.orders VALUES (1, 'book')", [], 'app');
        await t.query('CREATE SCHEMA doomed', [], 'app');
      },
    });
    target = stack.target;
    w = await createWorld(stack.admin, {
      host: '127.0.0.1',
      port: target.port,
      sslMode: 'verify-full',
      resources: [
        { database: 'app', schema: 'public' },
        { database: 'app', schema: 'doomed' },
      ],
      permissions: ['read'],
      maxDuration: '2h',
      cleanupDays: 0,
    });
    stack.startConnector(w.connectorId);
    await stack.connectorHealthy(w.connectorId);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const status = async (id: string) =>
    (await w.alice.api.get(`/api/v1/access-requests/${id}`)).body;

  async function ask(schema: string, duration: string): Promise<string> {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema,
      permission: 'read',
      duration,
      justification: 'partial grants e2e',
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  /**
   * Asks for both, drops the schema, approves both at the same moment; checks that the good
   * one logs in and reads, the bad one failed with its own error. Returns the good one's id.
   */
  async function race(): Promise<string> {
    await target.query('CREATE SCHEMA IF NOT EXISTS doomed', [], 'app');
    const good = await ask('public', '10m');
    // The longer grant cannot be applied: it must not lengthen VALID UNTIL either.
    const bad = await ask('doomed', '2h');
    // Gone between the request (the catalog said yes) and the approval.
    await target.query('DROP SCHEMA doomed', [], 'app');

    const approvals = await Promise.all(
      [good, bad].map((id) => w.bob.api.post(`/api/v1/access-requests/${id}/approve`)),
    );
    expect(approvals.map((a) => a.status)).toEqual([200, 200]);

    const settled = async (id: string) =>
      waitFor(`request ${id} settled`, async () => {
        const r = await status(id);
        return r.status === 'ACTIVE' || r.status === 'FAILED' ? r : undefined;
      });
    const [g, b] = await Promise.all([settled(good), settled(bad)]);
    expect(g).toMatchObject({ status: 'ACTIVE', lastError: null });
    expect(b.status).toBe('FAILED');
    expect(b.lastError).toMatch(/^SCHEMA_MISSING: .*doomed/);
    expect(b.statusReason).toBe(b.lastError);

    const creds = await w.alice.api.post(`/api/v1/access-requests/${good}/credentials`);
    expect(creds.status).toBe(200);
    const session = await target.connect(creds.body.username, creds.body.password, 'app');
    expect((await session.query('SELECT item FROM public.orders WHERE id = 1')).rows).toEqual([
      { item: 'book' },
    ]);
    await session.end();

    // VALID UNTIL is the good grant's expiry, not the failed one's.
    const [role] = (
      await target.query<{ valid_until_ms: number }>(
        'SELECT floor(extract(epoch FROM rolvaliduntil) * 1000)::float8 AS valid_until_ms FROM pg_roles WHERE rolname = $1',
        [creds.body.username],
      )
    ).rows;
    expect(Math.abs(role.valid_until_ms - Date.parse(g.expiresAt as string))).toBeLessThanOrEqual(
      1000,
    );

    const trail = await w.alice.api.get(`/api/v1/audit-events?requestId=${bad}`);
    const actions = trail.body.map((e: { action: string }) => e.action);
    expect(actions).toContain('sync.failed');
    expect(actions).not.toContain('grant.activated');
    return good;
  }

  it('approved at the same moment: the good one ACTIVE and its login reads, the bad one FAILED with its own error', async () => {
    await race();
  });

  it('the same when the database user already exists (access ended before)', async () => {
    const active = await w.alice.api.get('/api/v1/access-requests?mine=true&status=ACTIVE');
    expect(active.status).toBe(200);
    const ids = (active.body as Array<{ id: string }>).map((r) => r.id);
    for (const id of ids) {
      expect((await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, {})).status).toBe(200);
      await waitFor(`request ${id} revoked`, async () =>
        (await status(id)).status === 'REVOKED' ? true : undefined,
      );
    }
    expect(ids.length).toBeGreaterThan(0);
    await race();
  });
});
