import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { untilStatus, roleOf } from './support/access-checks';
import { createAdmin, type AdminShape } from './support/admin-shapes';
import { waitFor } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { startStack, type Stack } from './support/stack';
import type { TargetPostgres, TargetVersion } from './support/target-postgres';

jest.setTimeout(120_000);

const ADMIN = 'doorman_admin';
const INITIAL = 'managed-admin-initial-0123456789';

/**
 * Issue 7 with real processes: the connector logs in as the admin a managed service hands out
 * (IBM Cloud Databases' manager, OVHcloud's avnadmin), never a superuser, and the broker drives
 * the whole lifecycle through it — grant → login → revoke with a live session → cleanup of a
 * user who owned a table → rotation of the connector's own password. PostgreSQL 15 (Debian's)
 * and 17 (npm's), whose CREATEROLE differ.
 */
describe.each<[TargetVersion, AdminShape]>([
  [15, 'ibm-manager'],
  [15, 'ovh-avnadmin'],
  [17, 'ovh-avnadmin'],
])('PostgreSQL %i, the connector logged in as a %s admin, end to end', (version, shape) => {
  let stack: Stack;
  let target: TargetPostgres;
  let w: World;

  beforeAll(async () => {
    stack = await startStack({
      target: { version },
      prepareTarget: async (t) => {
        await createAdmin(t, shape, ADMIN, INITIAL);
        // As on the providers' services, the application's objects belong to a role the admin made.
        await t.query(`SET ROLE ${ADMIN}; CREATE ROLE app_owner NOLOGIN; RESET ROLE`);
        await t.createDatabase('app');
        await t.query('ALTER DATABASE app OWNER TO app_owner');
        await t.query(
          "SET ROLE app_owner; CREATE TABLE public.orders (id int PRIMARY KEY, item text); INSERT INTO public.orders VALUES (1, 'book'); RESET ROLE",
          [],
          'app',
        );
      },
    });
    target = stack.target;
    w = await createWorld(stack.admin, {
      port: target.port,
      sslMode: 'verify-full',
      cleanupDays: 0,
      permissions: ['read', 'write', 'admin'],
    });
    stack.startConnector(w.connectorId, {
      TARGET_DATABASE_URL: `postgresql://${ADMIN}:${INITIAL}@127.0.0.1:${target.port}/postgres`,
      ADMIN_SECRET_FILE: join(mkdtempSync(join(tmpdir(), 'doorman-managed-e2e-')), 'admin.json'),
    });
    await stack.connectorHealthy(w.connectorId);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function grant(permission: string) {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission,
      duration: '30m',
    });
    expect(created.status).toBe(201);
    expect(
      (await w.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`)).status,
    ).toBe(200);
    await untilStatus(w.alice.api, created.body.id, 'ACTIVE');
    const creds = await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/credentials`);
    expect(creds.status).toBe(200);
    return {
      id: created.body.id as string,
      username: creds.body.username,
      password: creds.body.password,
    };
  }

  it('grant → login → revoke with a live session → cleanup of a user who owned a table', async () => {
    const g = await grant('admin');
    const session = await target.connect(g.username, g.password, 'app');
    expect((await session.query('SELECT item FROM public.orders')).rows).toEqual([
      { item: 'book' },
    ]);
    await session.query('CREATE TABLE public.mine (v int)');

    await w.alice.api.post(`/api/v1/access-requests/${g.id}/revoke`, { reason: 'done' });
    await untilStatus(w.alice.api, g.id, 'REVOKED');
    // The live session is ended (OVHcloud's avnadmin has no pg_signal_backend: it ends them as a
    // momentary member of the user's role), and no new login is let in.
    await waitFor('the session to be ended', () =>
      session.query('SELECT 1').then(
        () => false,
        () => true,
      ),
    );
    await expect(target.connect(g.username, g.password, 'app')).rejects.toThrow();

    // cleanupDays 0: the user goes at once, its table to doorman_inheritor.
    await waitFor(
      'the user to be dropped',
      async () => (await roleOf(target, g.username)) === undefined,
      60000,
      200,
    );
    const owner = await target.query<{ tableowner: string }>(
      "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'mine'",
      [],
      'app',
    );
    expect(owner.rows).toEqual([{ tableowner: 'doorman_inheritor' }]);
  });

  it('rotates its own password where the service allows it, and keeps granting with the new one', async () => {
    const rotate = await w.security.api.post(
      `/api/v1/integrations/${w.integrationId}/admin-credentials/rotate`,
    );
    expect(rotate.status).toBe(202);
    const view = await waitFor('the rotation to finish', async () => {
      const v = (
        await w.security.api.get(`/api/v1/integrations/${w.integrationId}/admin-credentials`)
      ).body;
      return !v.pending && (v.lastRotatedAt || v.lastError) ? v : undefined;
    });
    const oldWorks = await target.connect(ADMIN, INITIAL).then(
      (c) => c.end().then(() => true),
      () => false,
    );
    if (shape === 'ovh-avnadmin' && version < 16) {
      // PostgreSQL 15: only a superuser may alter a REPLICATION role, even its own password.
      expect(view.lastRotatedAt).toBeNull();
      expect(view.lastError).toMatch(/REPLICATION|superuser|permission/i);
      expect(oldWorks).toBe(true);
    } else {
      expect(view).toMatchObject({ lastError: null });
      expect(oldWorks).toBe(false);
    }
    // Either way the connector still works: a new grant goes through.
    const g = await grant('read');
    const c = await target.connect(g.username, g.password, 'app');
    await c.query('SELECT * FROM public.orders');
    await c.end();
  });
});
