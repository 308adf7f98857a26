import { Queue } from 'bullmq';
import { CONTRACT_VERSION, connectorResultsQueueName } from '@doorman/contracts';
import { waitFor } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import type { AppProcess } from './support/processes';
import { startStack, type Stack } from './support/stack';
import type { TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

/**
 * Reconciliation with real processes: the target is changed behind
 * Doorman's back and the broker puts it right from the connector's inventory.
 */
describe('reconciliation and credentials end to end', () => {
  let stack: Stack;
  let target: TargetPostgres;
  let connector: AppProcess;
  let w: World;

  beforeAll(async () => {
    stack = await startStack({
      prepareTarget: async (t) => {
        await t.createDatabase('app');
        await t.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
      },
    });
    target = stack.target;
    // Cleanup far away: revoked roles stay (NOLOGIN) for the tampering below.
    w = await createWorld(stack.admin, {
      port: target.port,
      sslMode: 'verify-full',
      cleanupDays: 30,
    });
    startConnector();
    await stack.connectorHealthy(w.connectorId);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  function startConnector() {
    connector = stack.startConnector(w.connectorId, {
      RECONCILE_INTERVAL_MS: '500',
      LOG_LEVEL: 'warn',
    });
  }

  const status = async (id: string) =>
    (await w.alice.api.get(`/api/v1/access-requests/${id}`)).body;

  async function grant(duration = '1h') {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration,
      justification: 'reconciliation test',
    });
    expect(created.status).toBe(201);
    await w.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`);
    await waitFor('ACTIVE', async () => (await status(created.body.id)).status === 'ACTIVE');
    const creds = await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/credentials`);
    expect(creds.status).toBe(200);
    return {
      id: created.body.id as string,
      username: creds.body.username as string,
      password: creds.body.password as string,
    };
  }

  const role = async (name: string) =>
    (
      await target.query<{ rolcanlogin: boolean; groups: string[]; valid_until: Date | null }>(
        `SELECT r.rolcanlogin, r.rolvaliduntil AS valid_until,
                ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                       WHERE m.member = r.oid AND g.rolname <> 'doorman_managed') AS groups
           FROM pg_roles r WHERE r.rolname = $1`,
        [name],
      )
    ).rows[0];

  const corrections = async (username: string) => {
    const events = await stack.admin.get(
      `/api/v1/audit-events?integrationId=${w.integrationId}&limit=1000`,
    );
    return (
      events.body as Array<{ action: string; details: { username?: string; drift?: string[] } }>
    )
      .filter((e) => e.action === 'reconcile.corrected' && e.details.username === username)
      .flatMap((e) => e.details.drift ?? []);
  };

  async function canLogin(username: string, password: string): Promise<boolean> {
    try {
      const c = await target.connect(username, password, 'app');
      await c.end();
      return true;
    } catch {
      return false;
    }
  }

  it('a revoked user given LOGIN again behind Doorman’s back is made NOLOGIN again, and audited', async () => {
    const g = await grant();
    await w.alice.api.post(`/api/v1/access-requests/${g.id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED');
    expect((await role(g.username)).rolcanlogin).toBe(false);

    await target.query(`ALTER ROLE "${g.username}" LOGIN VALID UNTIL 'infinity'`);
    const started = Date.now();
    await waitFor(
      'the orphan login to be taken away',
      async () => !(await role(g.username)).rolcanlogin,
    );
    const ms = Date.now() - started;
    expect(await canLogin(g.username, g.password)).toBe(false);
    const drift = await waitFor('the audit event', async () => {
      const d = await corrections(g.username);
      return d.length ? d : undefined;
    });
    expect(drift).toContain('can log in without an active grant');
    process.stdout.write(`orphan login corrected in ${ms} ms\n`);
  });

  it('a group membership revoked behind Doorman’s back comes back while the grant is active', async () => {
    const g = await grant();
    const held = (await role(g.username)).groups;
    expect(held).toHaveLength(1);
    await target.query(`REVOKE "${held[0]}" FROM "${g.username}"`);
    await waitFor('the membership to return', async () =>
      (await role(g.username)).groups.includes(held[0]),
    );
    const drift = await corrections(g.username);
    expect(drift.some((d) => d.startsWith('missing membership read app.public'))).toBe(true);
    expect(await canLogin(g.username, g.password)).toBe(true);
    await w.alice.api.post(`/api/v1/access-requests/${g.id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED');
  });

  it('a role dropped while a grant is active is created again with a new password', async () => {
    const g = await grant();
    await target.query(`DROP ROLE "${g.username}"`);
    await waitFor(
      'the role to be back',
      async () => (await role(g.username))?.rolcanlogin === true,
    );
    expect(await corrections(g.username)).toContain('role missing while a grant is active');
    const creds = await waitFor('new credentials', async () => {
      const c = await w.alice.api.post(`/api/v1/access-requests/${g.id}/credentials`);
      return c.status === 200 && c.body.password !== g.password ? c.body : undefined;
    });
    expect(await canLogin(g.username, creds.password)).toBe(true);
    expect(await canLogin(g.username, g.password)).toBe(false);
    await w.alice.api.post(`/api/v1/access-requests/${g.id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED');
  });

  it('roles outside the marker role are never touched', async () => {
    // A managed role given LOGIN behind Doorman's back at the same moment: once that is
    // corrected, a reconciliation pass has seen the target with the bystander in it.
    const g = await grant();
    await w.alice.api.post(`/api/v1/access-requests/${g.id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED');
    await target.query(
      "CREATE ROLE bystander LOGIN PASSWORD 'bystander-pass' VALID UNTIL 'infinity'",
    );
    await target.query(`ALTER ROLE "${g.username}" LOGIN VALID UNTIL 'infinity'`);
    await waitFor(
      'a reconciliation pass (the orphan login taken away)',
      async () => !(await role(g.username)).rolcanlogin,
    );
    expect((await role('bystander')).rolcanlogin).toBe(true);
    expect(await canLogin('bystander', 'bystander-pass')).toBe(true);
  });

  const auditActions = async () =>
    (
      (await stack.admin.get(`/api/v1/audit-events?integrationId=${w.integrationId}&limit=1000`))
        .body as Array<{ action: string; details: Record<string, unknown> }>
    ).map((e) => e.action);

  const databaseUser = async (username: string) =>
    (
      (await w.security.api.get(`/api/v1/integrations/${w.integrationId}/database-users`))
        .body as Array<Record<string, unknown>>
    ).find((u) => u.username === username);

  it('reset my credentials: a new password now, the old one stops working, audited', async () => {
    const g = await grant();
    const reset = await w.alice.api.post(
      `/api/v1/integrations/${w.integrationId}/credentials/reset`,
    );
    expect(reset.status).toBe(202);
    const fresh = await waitFor('a new password', async () => {
      const c = await w.alice.api.post(`/api/v1/access-requests/${g.id}/credentials`);
      return c.status === 200 && c.body.password !== g.password ? c.body : undefined;
    });
    expect(await canLogin(g.username, fresh.password)).toBe(true);
    expect(await canLogin(g.username, g.password)).toBe(false);
    expect(await auditActions()).toContain('credentials.reset');
    // Nobody else's, and not without access.
    const none = await w.mallory.api.post(
      `/api/v1/integrations/${w.integrationId}/credentials/reset`,
    );
    expect(none.status).toBe(409);
    const notAllowed = await w.alice.api.post(
      `/api/v1/integrations/${w.integrationId}/credentials/reset-all`,
    );
    expect(notAllowed.status).toBe(403);

    const all = await w.security.api.post(
      `/api/v1/integrations/${w.integrationId}/credentials/reset-all`,
    );
    expect(all.status).toBe(202);
    expect(all.body.rotatedNow).toBe(1);
    const third = await waitFor('another new password', async () => {
      const c = await w.alice.api.post(`/api/v1/access-requests/${g.id}/credentials`);
      return c.status === 200 && c.body.password !== fresh.password ? c.body : undefined;
    });
    expect(await canLogin(g.username, third.password)).toBe(true);
    expect(await canLogin(g.username, fresh.password)).toBe(false);

    const listed = await databaseUser(g.username);
    expect(listed).toMatchObject({
      state: 'active',
      personEmail: expect.stringContaining('alice'),
    });
    expect(listed?.passwordAgeDays).toBe(0);
    await w.alice.api.post(`/api/v1/access-requests/${g.id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED');
    // Waiting for cleanup, with its due date (cleanupDays 30).
    const inactive = (
      await w.security.api.get(
        `/api/v1/integrations/${w.integrationId}/database-users?state=inactive`,
      )
    ).body as Array<{ username: string; cleanupDueAt: string }>;
    const due = inactive.find((u) => u.username === g.username)?.cleanupDueAt;
    expect(Date.parse(due!) - Date.now()).toBeGreaterThan(29 * 86400_000);
    expect(
      (await w.alice.api.get(`/api/v1/integrations/${w.integrationId}/database-users`)).status,
    ).toBe(403);
  });

  it('a password lost on the way back (stale result without it) is replaced by a forced new one', async () => {
    await connector.stop();
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
      justification: 'lost password test',
    });
    await w.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`);
    const before = await waitFor('the sync to be sent', async () => {
      const all = (
        await w.security.api.get(`/api/v1/integrations/${w.integrationId}/database-users`)
      ).body as Array<Record<string, unknown>>;
      const u = all.find((x) => String(x.personEmail).startsWith('alice'));
      return u && (u.generation as number) > (u.appliedGeneration as number) ? u : undefined;
    });
    // What the broker would see if the connector applied it, lost the result, and retried.
    const results = new Queue(connectorResultsQueueName(w.connectorId), {
      connection: {
        host: '127.0.0.1',
        port: Number(new URL(stack.env.env.REDIS_URL).port || 6379),
      },
      prefix: stack.env.redisPrefix,
    });
    await results.add('sync-user', {
      v: CONTRACT_VERSION,
      kind: 'sync-user',
      connectorId: w.connectorId,
      jobId: 'lost-result-retry',
      integrationId: w.integrationId,
      personId: before.personId,
      username: before.username,
      generation: before.generation,
      attempt: 2,
      status: 'stale',
      startedAt: new Date().toISOString(),
      sessionsTerminated: 0,
      effects: [],
    });
    await results.close();
    await waitFor('password.lost', async () => (await auditActions()).includes('password.lost'));
    startConnector();
    await waitFor('the forced generation applied', async () => {
      const u = await databaseUser(before.username as string);
      return (
        (u?.appliedGeneration as number) > (before.generation as number) &&
        u?.generation === u?.appliedGeneration
      );
    });
    const creds = await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/credentials`);
    expect(creds.status).toBe(200);
    expect(await canLogin(creds.body.username, creds.body.password)).toBe(true);
    await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(created.body.id)).status === 'REVOKED');
  });
});
