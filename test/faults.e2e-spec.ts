import { ApiClient } from './support/api-client';
import { connectorHealthy, startBrokerProcess, startConnectorProcess } from './support/apps';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { AppProcess, freePort } from './support/processes';
import { TestRedis } from './support/redis-server';
import { outboxBacklog, scheduledRunsSince } from './support/queues';
import { TcpProxy } from './support/tcp-proxy';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(180_000);

/**
 * Faults on purpose, with real processes: a Redis of this test's own (flushed), the
 * target behind a proxy that is cut, and a broker stopped between approval and result. Each
 * case ends with the target's pg_roles and pg_stat_activity checked against the grants.
 */
describe('faults end to end', () => {
  let target: TargetPostgres;
  let redis: TestRedis;
  let proxy: TcpProxy;
  let env: BrokerTestEnv;
  let brokerPort: number;
  let broker: AppProcess;
  let connector: AppProcess;
  let api: ApiClient;
  let w: World;
  const processes: AppProcess[] = [];

  const startBroker = async () => {
    broker = await startBrokerProcess(env, brokerPort);
    processes.push(broker);
  };
  const startConnector = () => {
    // Through the proxy this test cuts.
    connector = startConnectorProcess(env, target, w.connectorId, {
      TARGET_DATABASE_URL: `postgresql://postgres:${encodeURIComponent(target.superuserPassword)}@127.0.0.1:${proxy.port}/postgres`,
      RECONCILE_INTERVAL_MS: '500',
      STATEMENT_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'warn',
    });
    processes.push(connector);
  };

  beforeAll(async () => {
    target = await startTargetPostgres();
    await target.createDatabase('app');
    await target.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
    redis = await TestRedis.start({ persistent: true });
    proxy = new TcpProxy(await freePort(), target.port);
    await proxy.up();
    env = await createBrokerTestEnv({ REDIS_URL: redis.url, REVOKE_ALERT_AFTER_ATTEMPTS: '2' });
    brokerPort = await freePort();
    api = new ApiClient(`http://127.0.0.1:${brokerPort}`, env.adminToken);
    await startBroker();
    w = await createWorld(api, { port: target.port, sslMode: 'verify-full', cleanupDays: 30 });
    startConnector();
    await connectorHealthy(api, w.connectorId);
  });

  afterAll(async () => {
    if (process.env.E2E_DEBUG)
      for (const p of processes)
        process.stdout.write(`--- ${p.name}\n${p.lines.slice(-30).join('\n')}\n`);
    for (const p of processes) await p.stop();
    await proxy?.down();
    await redis?.dispose();
    await env?.dispose();
    await target?.stop();
  });

  const status = async (id: string) =>
    (await w.alice.api.get(`/api/v1/access-requests/${id}`)).body;

  /** The highest attempt of a failing revoke the broker has logged for `username`. */
  const revokeAttemptsLogged = (username: string): number =>
    broker.lines.reduce((most, line) => {
      if (!line.includes('revoke still failing') || !line.includes(username)) return most;
      const attempt = /"attempt":(\d+)/.exec(line);
      return attempt ? Math.max(most, Number(attempt[1])) : most;
    }, 0);

  async function request(duration: string, permission = 'read'): Promise<string> {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission,
      duration,
      justification: 'fault test',
    });
    expect(created.status).toBe(201);
    const approved = await w.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`);
    expect(approved.status).toBe(200);
    return created.body.id as string;
  }

  async function activeGrant(duration: string) {
    const id = await request(duration);
    await waitFor('ACTIVE', async () => (await status(id)).status === 'ACTIVE', 30000);
    const creds = await w.alice.api.post(`/api/v1/access-requests/${id}/credentials`);
    expect(creds.status).toBe(200);
    return { id, username: creds.body.username as string, password: creds.body.password as string };
  }

  async function loginWorks(username: string, password: string): Promise<boolean> {
    try {
      const c = await target.connect(username, password, 'app');
      await c.end();
      return true;
    } catch {
      return false;
    }
  }

  /** Zero managed roles that can log in without an active grant, zero sessions of revoked users. */
  async function assertTargetMatchesGrants(): Promise<void> {
    const requests = (await w.alice.api.get('/api/v1/access-requests?mine=true')).body;
    const list = (Array.isArray(requests) ? requests : (requests.items ?? [])) as Array<{
      status: string;
    }>;
    const active = list.filter((r) => r.status === 'ACTIVE').length;
    const { rows } = await target.query<{ rolname: string; sessions: number }>(
      `SELECT r.rolname::text, (SELECT count(*)::int FROM pg_stat_activity a WHERE a.usename = r.rolname) AS sessions
         FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid
         JOIN pg_roles mk ON mk.oid = m.roleid AND mk.rolname = 'doorman_managed'
        WHERE r.rolcanlogin`,
    );
    if (active === 0) expect(rows).toEqual([]);
    const nologinSessions = await target.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
        WHERE NOT r.rolcanlogin AND pg_has_role(r.oid, 'doorman_managed', 'MEMBER')`,
    );
    expect(nologinSessions.rows[0].n).toBe(0);
  }

  it('the target down across an expiry: the password stops at expiry (VALID UNTIL), the revoke alerts, retries and completes when it returns', async () => {
    const g = await activeGrant('8s');
    const session = await target.connect(g.username, g.password, 'app');
    session.on('error', () => undefined);
    await proxy.down();
    // The database's own safety net: no connector needed for the password to stop working.
    await waitFor(
      'the password to stop at expiry',
      async () => !(await loginWorks(g.username, g.password)),
      30000,
      200,
    );
    await waitFor('REVOKING', async () => (await status(g.id)).status === 'REVOKING', 30000, 200);
    const alert = await waitFor(
      'revoke.alert',
      async () => {
        const events = await api.get(
          `/api/v1/audit-events?integrationId=${w.integrationId}&limit=1000`,
        );
        return (events.body as Array<{ action: string; details: Record<string, unknown> }>).find(
          (e) => e.action === 'revoke.alert',
        );
      },
      30000,
      200,
    );
    expect(alert.details).toMatchObject({ username: g.username, retrying: true });
    expect((await status(g.id)).lastError).toBeTruthy();
    expect(broker.output).toMatch(/revoke still failing/);
    // Down until the revoke's backoff has reached its 60 s cap (attempts at 0, 1, 3, 7, 15, 31,
    // 63 s after the expiry; the one after the seventh ~60 s later), then back: the revoke runs
    // at once, not when its backoff runs out.
    await waitFor(
      'the seventh failed revoke attempt',
      async () => revokeAttemptsLogged(g.username) >= 7,
      100_000,
      500,
    );
    await proxy.up();
    const upAt = Date.now();
    await waitFor(
      'NOLOGIN',
      async () =>
        (
          await target.query<{ rolcanlogin: boolean }>(
            'SELECT rolcanlogin FROM pg_roles WHERE rolname = $1',
            [g.username],
          )
        ).rows[0]?.rolcanlogin === false,
      5000,
      100,
    );
    process.stdout.write(`NOLOGIN ${Date.now() - upAt} ms after the target came back\n`);
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED', 30000, 200);
    await session.end().catch(() => undefined);
    await assertTargetMatchesGrants();
  });

  it('Redis flushed: an ACTIVE grant whose expiry job was lost is still revoked (sweeper)', async () => {
    const g = await activeGrant('5s');
    await redis.flush();
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED', 30000, 200);
    expect(await loginWorks(g.username, g.password)).toBe(false);
    await assertTargetMatchesGrants();
  });

  it('Redis flushed: a GRANTING request whose job was lost is granted (reconciler resends it)', async () => {
    await connector.stop();
    const id = await request('1h');
    await waitFor('GRANTING', async () => (await status(id)).status === 'GRANTING');
    await waitFor(
      'the outbox relay to move the job to Redis',
      async () => (await outboxBacklog(env.databaseUrl)) === 0,
    );
    await redis.flush();
    startConnector();
    await waitFor('ACTIVE', async () => (await status(id)).status === 'ACTIVE', 30000, 200);
    const creds = await w.alice.api.post(`/api/v1/access-requests/${id}/credentials`);
    expect(await loginWorks(creds.body.username, creds.body.password)).toBe(true);
    await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(id)).status === 'REVOKED', 30000);
    await assertTargetMatchesGrants();
  });

  it('the broker stopped between approval and result learns the result when it returns (durable results queue)', async () => {
    await connector.stop();
    const id = await request('1h');
    await waitFor(
      'the outbox relay to move the job to Redis',
      async () => (await outboxBacklog(env.databaseUrl)) === 0,
    );
    await broker.stop();
    startConnector();
    // The connector applies the grant while the broker is away.
    await waitFor(
      'the role to log in',
      async () =>
        (
          await target.query<{ rolcanlogin: boolean }>(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname LIKE 'alice%'",
          )
        ).rows[0]?.rolcanlogin === true,
      30000,
      200,
    );
    await startBroker();
    await waitFor('ACTIVE', async () => (await status(id)).status === 'ACTIVE', 30000, 200);
    const creds = await w.alice.api.post(`/api/v1/access-requests/${id}/credentials`);
    expect(await loginWorks(creds.body.username, creds.body.password)).toBe(true);
    await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(id)).status === 'REVOKED', 30000);
    await assertTargetMatchesGrants();
  });

  const auditEvents = async () =>
    (await api.get(`/api/v1/audit-events?integrationId=${w.integrationId}&limit=1000`))
      .body as Array<{ action: string; requestId: string | null }>;

  it('the connector killed (SIGKILL) in the middle of grants: each ends ACTIVE exactly once, no stray roles', async () => {
    const ids = [await request('1h'), await request('1h', 'write')];
    // Permissions differ so the two grants are distinct memberships of one role.
    await connector.kill();
    startConnector();
    for (const id of ids)
      await waitFor('ACTIVE', async () => (await status(id)).status === 'ACTIVE', 60000, 100);
    const events = await auditEvents();
    for (const id of ids)
      expect(
        events.filter((e) => e.action === 'grant.activated' && e.requestId === id),
      ).toHaveLength(1);
    const managed = await target.query<{ rolname: string }>(
      `SELECT r.rolname::text FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid
         JOIN pg_roles mk ON mk.oid = m.roleid AND mk.rolname = 'doorman_managed'`,
    );
    expect(managed.rows).toHaveLength(1);
    for (const id of ids) {
      await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, { reason: 'done' });
      await waitFor('REVOKED', async () => (await status(id)).status === 'REVOKED', 30000);
    }
    await assertTargetMatchesGrants();
  });

  it('the broker killed while a grant is due to expire: revoked within seconds of the restart', async () => {
    const g = await activeGrant('4s');
    const expiresAt = Date.parse((await status(g.id)).expiresAt);
    await broker.kill();
    // VALID UNTIL: the password stops with no broker; the expiry itself waits for the restart.
    await waitFor(
      'the password to stop at expiry',
      async () => !(await loginWorks(g.username, g.password)),
      30000,
      200,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    await startBroker();
    const restartedAt = Date.now();
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED', 30000, 100);
    process.stdout.write(
      `expired grant revoked ${Date.now() - restartedAt} ms after the broker restart\n`,
    );
    await assertTargetMatchesGrants();
  });

  it('two broker replicas: an expiry is ended and revoked once', async () => {
    const second = await startBrokerProcess(env, await freePort(), {}, 'broker-2');
    processes.push(second);
    const g = await activeGrant('3s');
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED', 30000, 100);
    const revokedAt = Date.now();
    // The sweep (once per cluster, either replica) has run twice since: it found nothing more to end.
    await waitFor(
      'two sweeps after the revoke',
      async () =>
        (await scheduledRunsSince(
          { url: redis.url, prefix: env.redisPrefix },
          'grants-sweep',
          revokedAt,
        )) >= 2,
      30000,
      200,
    );
    const events = (await auditEvents()).filter((e) => e.requestId === g.id);
    expect(events.filter((e) => e.action === 'grant.expired')).toHaveLength(1);
    expect(events.filter((e) => e.action === 'grant.revoked')).toHaveLength(1);
    await second.stop();
    await assertTargetMatchesGrants();
  });

  it('Redis restarted (with persistence) across an expiry and an approval: nothing is lost', async () => {
    const g = await activeGrant('4s');
    const expiresAt = Date.parse((await status(g.id)).expiresAt);
    await redis.stop();
    // While Redis is down: an approval (its job waits in the outbox) and the expiry.
    const id = await request('1h', 'write');
    // VALID UNTIL: the password stops at expiry with Redis away.
    await waitFor(
      'the password to stop at expiry',
      async () => !(await loginWorks(g.username, g.password)),
      30000,
      200,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    await redis.restart(0);
    await waitFor('REVOKED', async () => (await status(g.id)).status === 'REVOKED', 60000, 200);
    await waitFor('ACTIVE', async () => (await status(id)).status === 'ACTIVE', 60000, 200);
    await w.alice.api.post(`/api/v1/access-requests/${id}/revoke`, { reason: 'done' });
    await waitFor('REVOKED', async () => (await status(id)).status === 'REVOKED', 30000);
    await assertTargetMatchesGrants();
  });
});
