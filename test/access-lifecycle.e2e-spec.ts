import { Client } from 'pg';
import { redisKeysAndValues, waitFor } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { freePort, type AppProcess } from './support/processes';
import { startStack, type Stack } from './support/stack';
import type { TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

/**
 * The whole slice with nothing stubbed: broker and connector as real processes, the broker's
 * PostgreSQL and Redis, and a throwaway target cluster with scram-sha-256 and TLS.
 */
describe('access lifecycle end to end', () => {
  let stack: Stack;
  let target: TargetPostgres;
  let connector: AppProcess;
  let w: World;
  const issuedPasswords: string[] = [];
  const startConnector = (overrides: Record<string, string> = {}) =>
    stack.startConnector(w.connectorId, overrides);

  beforeAll(async () => {
    stack = await startStack({
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        await t.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
        await t.query("INSERT INTO public.orders VALUES (1, 'book')", [], 'app');
      },
    });
    target = stack.target;
    w = await createWorld(stack.admin, {
      host: '127.0.0.1',
      port: target.port,
      sslMode: 'verify-full',
      maxDuration: '1h',
      cleanupDays: 0,
    });
    connector = startConnector();
    await stack.connectorHealthy(w.connectorId);
  });

  // E2E_DEBUG=<lines> prints the tail of every process's output and the target's server log.
  afterAll(async () => {
    await stack?.stop();
  });

  const status = async (id: string) =>
    (await w.alice.api.get(`/api/v1/access-requests/${id}`)).body;

  async function grant(permission: string, duration: string) {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission,
      duration,
      justification: 'end-to-end test',
    });
    expect(created.status).toBe(201);
    const approved = await w.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`);
    expect(approved.status).toBe(200);
    const active = await waitFor('ACTIVE', async () => {
      const r = await status(created.body.id);
      return r.status === 'ACTIVE' ? r : undefined;
    });
    const creds = await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/credentials`);
    expect(creds.status).toBe(200);
    issuedPasswords.push(creds.body.password);
    return { id: created.body.id as string, request: active, creds: creds.body };
  }

  /**
   * Waits for the wall clock to reach `at`. Time running out IS the behaviour under test here
   * (a grant ends on its own at expiresAt, with no call to poll for), so this is the one wait
   * that is not for a state; what follows polls for the state expiry leads to.
   */
  async function untilTheClockPasses(at: number): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
  }

  async function loginFails(username: string, password: string): Promise<boolean> {
    try {
      const c = await target.connect(username, password, 'app');
      await c.end();
      return false;
    } catch {
      return true;
    }
  }

  it('request → approve → reveal → a real login → a 10s grant expires → login refused and sessions gone → audited', async () => {
    const { id, request, creds } = await grant('read', '10s');
    expect(creds).toMatchObject({
      host: '127.0.0.1',
      port: target.port,
      database: 'app',
      sslMode: 'verify-full',
      customAccessDetails: 'Use the VPN first.',
    });
    expect(creds.connectionString).toContain(`@127.0.0.1:${target.port}/app?sslmode=verify-full`);
    const expiresAt = new Date(request.expiresAt).getTime();
    expect(expiresAt - new Date(request.grantedAt).getTime()).toBe(10_000);

    // A real login over TLS with scram-sha-256, with exactly the permitted privilege.
    const session: Client = await target.connect(creds.username, creds.password, 'app');
    // The harness's client already listens for 'error': a terminated session cannot crash the test.
    expect((await session.query('SELECT item FROM public.orders WHERE id = 1')).rows).toEqual([
      { item: 'book' },
    ]);
    await expect(
      session.query("INSERT INTO public.orders VALUES (2, 'pen')"),
    ).rejects.toMatchObject({ code: '42501' });

    // Expiry: the next login is refused and the open session is gone within 2 s of expiresAt.
    await untilTheClockPasses(expiresAt);
    const refusedAt = await waitFor(
      'login refused',
      async () => ((await loginFails(creds.username, creds.password)) ? Date.now() : undefined),
      5000,
      20,
    );
    const sessionGoneAt = await waitFor(
      'the open session terminated',
      async () => {
        try {
          await session.query('SELECT 1');
          return undefined;
        } catch {
          return Date.now();
        }
      },
      5000,
      20,
    );
    expect(refusedAt - expiresAt).toBeLessThanOrEqual(2000);
    expect(sessionGoneAt - expiresAt).toBeLessThanOrEqual(2000);
    await session.end().catch(() => undefined);

    const ended = await waitFor('REVOKED', async () => {
      const r = await status(id);
      return r.status === 'REVOKED' ? r : undefined;
    });
    expect(ended.statusReason).toBe('expired');

    const trail = await w.alice.api.get(`/api/v1/audit-events?requestId=${id}`);
    const actions = trail.body.map((e: { action: string }) => e.action);
    expect(actions).toEqual([
      'request.created',
      'request.approved',
      'grant.requested',
      'grant.activated',
      'credentials.revealed',
      'grant.expired',
      'grant.revoked',
    ]);
    const revoked = trail.body.find((e: { action: string }) => e.action === 'grant.revoked');
    expect(revoked.details.sessionsTerminated).toBeGreaterThanOrEqual(1);
    for (const e of trail.body) expect(e.at).toBeTruthy();

    // cleanupDays 0: the database user is dropped once access has ended.
    await waitFor('the role to be dropped', async () => {
      const r = await target.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [creds.username]);
      return r.rows.length === 0;
    });
  });

  it('a second grant gets a new password, revoke now ends it at once', async () => {
    const first = issuedPasswords[0];
    const { id, creds } = await grant('write', '30m');
    expect(creds.password).not.toBe(first);
    const c = await target.connect(creds.username, creds.password, 'app');
    await c.query("INSERT INTO public.orders VALUES (3, 'lamp')");
    await c.end();

    const revoked = await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, {
      reason: 'done',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('REVOKING');
    await waitFor('REVOKED', async () => (await status(id)).status === 'REVOKED');
    expect(await loginFails(creds.username, creds.password)).toBe(true);
  });

  it('target unreachable: the grant is retried with backoff, the request shows why, and nothing is lost', async () => {
    await connector.stop();
    const closedPort = await freePort();
    connector = startConnector({
      TARGET_DATABASE_URL: target
        .superuserUrl('postgres')
        .replace(`:${target.port}/`, `:${closedPort}/`),
    });
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '5m',
    });
    await w.carol.api.post(`/api/v1/access-requests/${created.body.id}/approve`);
    const failing = await waitFor(
      'the request to show the failure',
      async () => {
        const r = await status(created.body.id);
        return r.lastError ? r : undefined;
      },
      30000,
      100,
    );
    expect(failing.status).toBe('GRANTING');
    expect(failing.lastError).toMatch(/retrying/);

    // The target comes back (here: the connector is pointed at it again) and the grant lands.
    await connector.stop();
    connector = startConnector();
    await waitFor(
      'ACTIVE after recovery',
      async () => (await status(created.body.id)).status === 'ACTIVE',
      60000,
      200,
    );
    const creds = await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/credentials`);
    issuedPasswords.push(creds.body.password);
    const c = await target.connect(creds.body.username, creds.body.password, 'app');
    await c.end();
    await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/revoke`);
    await waitFor('REVOKED', async () => (await status(created.body.id)).status === 'REVOKED');
  });

  it('no issued password appears in any log line, any Redis key or any broker table', async () => {
    expect(issuedPasswords.length).toBeGreaterThanOrEqual(3);
    const logs = [stack.broker, ...stack.connectors].map((p) => p.output).join('\n');
    const redis = JSON.stringify(await redisKeysAndValues(stack.env.redisPrefix));
    // Every row of every table of the broker's database, as text.
    const db = new Client({ connectionString: stack.env.databaseUrl });
    await db.connect();
    let tables = '';
    try {
      const names = await db.query<{ t: string }>(
        "SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      );
      expect(names.rows.length).toBeGreaterThan(5);
      for (const { t } of names.rows) {
        const rows = await db.query<{ r: string }>(`SELECT x::text AS r FROM ${t} x`);
        tables += rows.rows.map((row) => row.r).join('\n');
      }
    } finally {
      await db.end();
    }
    // The dump really holds the rows of this test (cleanup has dropped the sealed boxes by now).
    expect(tables).toContain(w.alice.email);
    expect(tables).toContain('grant.revoked');
    for (const p of issuedPasswords) {
      expect(logs.includes(p)).toBe(false);
      expect(redis.includes(p)).toBe(false);
      expect(tables.includes(p)).toBe(false);
    }
    expect(stack.broker.lines.length).toBeGreaterThan(0);
  });
});
