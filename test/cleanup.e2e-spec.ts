import { waitFor } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { startStack, type Stack } from './support/stack';
import type { TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

/**
 * Cleanup after the last grant: a user that cannot be dropped is reported with the reason,
 * stays NOLOGIN, is listed as waiting for cleanup, and is retried until it goes.
 */
describe('cleanup and refused revokes end to end', () => {
  let stack: Stack;
  let w: World;
  let target: TargetPostgres;

  beforeAll(async () => {
    stack = await startStack({
      broker: { CLEANUP_RETRY_MS: '1500', REVOKE_REFUSED_RETRY_MS: '1500' },
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        // A database the integration does not list: cleanup does not look there.
        await t.createDatabase('elsewhere');
        await t.query('CREATE TABLE public.orders (id int PRIMARY KEY)', [], 'app');
      },
    });
    target = stack.target;
    w = await createWorld(stack.admin, {
      port: target.port,
      sslMode: 'verify-full',
      cleanupDays: 0,
    });
    stack.startConnector(w.connectorId, { LOG_LEVEL: 'warn' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const status = async (id: string) =>
    (await w.alice.api.get(`/api/v1/access-requests/${id}`)).body;
  const databaseUsers = async () =>
    (await w.security.api.get(`/api/v1/integrations/${w.integrationId}/database-users`))
      .body as Array<{
      username: string;
      state: string;
      cleanupDueAt: string | null;
      lastError: string | null;
    }>;
  const auditEvents = async () =>
    (await stack.admin.get(`/api/v1/audit-events?integrationId=${w.integrationId}&limit=1000`))
      .body as Array<{ action: string; details: { username?: string } }>;
  const auditActions = async () => (await auditEvents()).map((e) => e.action);
  const cleanupFailures = async (username: string) =>
    (await auditEvents()).filter(
      (e) => e.action === 'database_user.cleanup_failed' && e.details.username === username,
    ).length;
  const role = async (name: string) =>
    (
      await target.query<{ rolcanlogin: boolean }>(
        'SELECT rolcanlogin FROM pg_roles WHERE rolname = $1',
        [name],
      )
    ).rows[0];

  it('a user owning objects where cleanup cannot reach stays NOLOGIN with the reason, and goes once they are gone', async () => {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
      justification: 'cleanup test',
    });
    await w.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`);
    await waitFor('ACTIVE', async () => (await status(created.body.id)).status === 'ACTIVE');
    const creds = await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/credentials`);
    const username = creds.body.username as string;
    // Something of the user's in a database the integration does not list: DROP ROLE fails (2BP01).
    await target.query(`CREATE TABLE public.keep (id int)`, [], 'elsewhere');
    await target.query(`ALTER TABLE public.keep OWNER TO "${username}"`, [], 'elsewhere');

    await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(created.body.id)).status === 'REVOKED');
    const stuck = await waitFor('the cleanup failure to be reported', async () => {
      const u = (await databaseUsers()).find((x) => x.username === username);
      return u?.lastError ? u : undefined;
    });
    expect(stuck.lastError).toMatch(/DATABASE_ERROR|depend/i);
    expect((await role(username)).rolcanlogin).toBe(false);
    const events = (await stack.admin.get(`/api/v1/audit-events?integrationId=${w.integrationId}`))
      .body as Array<{ action: string }>;
    expect(events.map((e) => e.action)).toContain('database_user.cleanup_failed');
    // Retried (CLEANUP_RETRY_MS 1.5 s here) and still refused while the object is there: a
    // refusal for good is audited every time, so a second event is the retry's answer.
    await waitFor(
      'the cleanup to be retried and refused again',
      async () => (await cleanupFailures(username)) >= 2,
      30000,
      200,
    );
    expect(await role(username)).toBeDefined();
    expect((await role(username)).rolcanlogin).toBe(false);

    await target.query('DROP TABLE public.keep', [], 'elsewhere');
    await waitFor(
      'the role to be dropped',
      async () => (await role(username)) === undefined,
      30000,
      200,
    );
    await waitFor(
      'state deleted',
      async () => (await databaseUsers()).find((x) => x.username === username)?.state === 'deleted',
    );
  });

  it('a revoke the connector refuses for good alerts at once and is retried until it goes through', async () => {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
      justification: 'refused revoke test',
    });
    await w.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`);
    await waitFor('ACTIVE', async () => (await status(created.body.id)).status === 'ACTIVE');
    const creds = await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/credentials`);
    const username = creds.body.username as string;
    const comment = (
      await target.query<{ c: string }>(
        "SELECT shobj_description(oid, 'pg_authid') AS c FROM pg_roles WHERE rolname = $1",
        [username],
      )
    ).rows[0].c;
    // Someone rewrote the role's comment: the connector refuses to touch "another person's" role.
    const foreign = comment.replace(
      /"person":"[^"]+"/,
      '"person":"00000000-0000-4000-8000-000000000099"',
    );
    await target.query(`COMMENT ON ROLE "${username}" IS '${foreign.replace(/'/g, "''")}'`);

    await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/revoke`, { reason: 'done' });
    const alert = await waitFor('revoke.alert', async () => {
      const events = (
        await stack.admin.get(`/api/v1/audit-events?integrationId=${w.integrationId}&limit=1000`)
      ).body as Array<{ action: string; details: { error?: { code?: string } } }>;
      return events.find((e) => e.action === 'revoke.alert');
    });
    expect(alert.details.error?.code).toBe('ROLE_BELONGS_TO_ANOTHER_PERSON');
    // Retried (1.5 s here) and refused again: each refusal for good alerts.
    await waitFor(
      'the revoke to be retried and refused again',
      async () => (await auditActions()).filter((a) => a === 'revoke.alert').length >= 2,
      30000,
      200,
    );
    expect((await status(created.body.id)).status).toBe('REVOKING');

    await target.query(`COMMENT ON ROLE "${username}" IS '${comment.replace(/'/g, "''")}'`);
    await waitFor(
      'REVOKED',
      async () => (await status(created.body.id)).status === 'REVOKED',
      30000,
      200,
    );
    await waitFor(
      'the role to be gone (cleanupDays 0)',
      async () => (await role(username)) === undefined,
    );
  });
});
