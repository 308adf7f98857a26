import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiClient } from './support/api-client';
import {
  createBrokerTestEnv,
  redisKeysAndValues,
  waitFor,
  type BrokerTestEnv,
} from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { AppProcess, freePort } from './support/processes';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';

jest.setTimeout(120_000);

const INITIAL = 'initial-admin-password-0123456789';

/**
 * Rotation of the connector's own login with real processes: on demand
 * through the API, verified, kept in a 0600 secret file across a restart; a failure leaves the
 * old password working and is reported.
 */
describe('admin rotation end to end', () => {
  let target: TargetPostgres;
  let env: BrokerTestEnv;
  let broker: AppProcess;
  let connector: AppProcess;
  let api: ApiClient;
  let w: World;
  const dir = mkdtempSync(join(tmpdir(), 'doorman-admin-'));
  const secretFile = join(dir, 'admin.json');
  const outputs: AppProcess[] = [];

  const startConnector = (file: string) => {
    connector = AppProcess.start('connector', 'apps/connector/src/main.js', {
      REDIS_URL: env.env.REDIS_URL,
      REDIS_PREFIX: env.redisPrefix,
      CONNECTOR_ID: w.connectorId,
      TARGET_DATABASE_URL: `postgresql://doorman_admin:${INITIAL}@127.0.0.1:${target.port}/postgres`,
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: target.caFile,
      ADMIN_SECRET_FILE: file,
      BROKER_SEAL_PUBLIC_KEY: env.env.BROKER_SEAL_PUBLIC_KEY,
      HEARTBEAT_INTERVAL_MS: '1000',
      LOG_LEVEL: 'info',
    });
    outputs.push(connector);
  };

  beforeAll(async () => {
    target = await startTargetPostgres();
    await target.createDatabase('app');
    await target.query('CREATE TABLE public.orders (id int PRIMARY KEY)', [], 'app');
    await target.query(`CREATE ROLE doorman_admin SUPERUSER LOGIN PASSWORD '${INITIAL}'`);
    env = await createBrokerTestEnv();
    const port = await freePort();
    broker = AppProcess.start('broker', 'apps/broker/src/main.js', {
      ...env.env,
      PORT: String(port),
    });
    api = new ApiClient(`http://127.0.0.1:${port}`, env.adminToken);
    await waitFor('the broker', async () => (await api.get('/health')).status === 200, 30000, 200);
    w = await createWorld(api, { port: target.port, sslMode: 'verify-full' });
  });

  afterAll(async () => {
    await connector?.stop();
    await broker?.stop();
    await env?.dispose();
    await target?.stop();
  });

  const adminLogin = async (password: string) => {
    try {
      const c = await target.connect('doorman_admin', password, 'postgres');
      await c.end();
      return true;
    } catch {
      return false;
    }
  };
  const view = async () =>
    (await w.security.api.get(`/api/v1/integrations/${w.integrationId}/admin-credentials`)).body;
  const actions = async () =>
    (
      (await api.get(`/api/v1/audit-events?integrationId=${w.integrationId}`)).body as Array<{
        action: string;
      }>
    ).map((e) => e.action);

  async function grantWorks(): Promise<void> {
    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
      justification: 'admin rotation test',
    });
    await w.bob.api.post(`/api/v1/access-requests/${created.body.id}/approve`);
    const status = async () =>
      (await w.alice.api.get(`/api/v1/access-requests/${created.body.id}`)).body.status;
    await waitFor('ACTIVE', async () => (await status()) === 'ACTIVE', 30000, 100);
    await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/revoke`, { reason: 'ok' });
    await waitFor('REVOKED', async () => (await status()) === 'REVOKED', 30000, 100);
  }

  it('a rotation that cannot keep its secret leaves the old password working, reported and audited', async () => {
    startConnector(join(dir, 'missing-directory', 'admin.json'));
    const r = await w.security.api.post(
      `/api/v1/integrations/${w.integrationId}/admin-credentials/rotate`,
    );
    expect(r.status).toBe(202);
    const failed = await waitFor('the failure', async () => {
      const v = await view();
      return v.lastError ? v : undefined;
    });
    expect(failed).toMatchObject({ lastRotatedAt: null, pending: false });
    expect(await adminLogin(INITIAL)).toBe(true);
    expect(await actions()).toContain('admin_rotation.failed');
    await grantWorks();
    await connector.stop();
  });

  it('on demand: new password verified, secret file 0600, pools switched, kept across a restart', async () => {
    startConnector(secretFile);
    const before = Date.now();
    const r = await w.security.api.post(
      `/api/v1/integrations/${w.integrationId}/admin-credentials/rotate`,
    );
    expect(r.status).toBe(202);
    // Refused while one is in flight, or already done.
    const rotated = await waitFor('the rotation', async () => {
      const v = await view();
      return v.lastRotatedAt ? v : undefined;
    });
    expect(Date.parse(rotated.lastRotatedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(rotated).toMatchObject({ lastError: null, pending: false, adminRotationDays: 0 });
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = JSON.parse(readFileSync(secretFile, 'utf8')) as { password: string };
    expect(secret.password).not.toBe(INITIAL);
    expect(await adminLogin(secret.password)).toBe(true);
    expect(await adminLogin(INITIAL)).toBe(false);
    expect(await actions()).toContain('admin_rotation.rotated');
    await grantWorks();

    // A restart reads the secret file (the URL still holds the old password).
    await connector.stop();
    startConnector(secretFile);
    await grantWorks();

    // The admin password appears in no log line and no Redis key.
    for (const p of outputs) expect(p.output).not.toContain(secret.password);
    expect(broker.output).not.toContain(secret.password);
    for (const { value } of await redisKeysAndValues(env.redisPrefix))
      expect(value).not.toContain(secret.password);
  });

  it('scheduled: due after adminRotationDays (with jitter), rotated once by the sweep, next due set', async () => {
    const db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    try {
      await db.query('UPDATE integrations SET admin_rotation_days = 1 WHERE id = $1', [
        w.integrationId,
      ]);
      const first = await view();
      const lastBefore = first.lastRotatedAt as string;
      // The time has come (as if a day had passed).
      await db.query(
        "UPDATE admin_rotations SET due_at = now() - interval '1 second' WHERE integration_id = $1",
        [w.integrationId],
      );
      const rotated = await waitFor('the scheduled rotation', async () => {
        const v = await view();
        return v.lastRotatedAt !== lastBefore && !v.pending ? v : undefined;
      });
      const nextDue = Date.parse(rotated.dueAt) - Date.parse(rotated.lastRotatedAt);
      expect(nextDue).toBeGreaterThanOrEqual(86400_000);
      expect(nextDue).toBeLessThan(86400_000 * 1.1);
      const secret = JSON.parse(readFileSync(secretFile, 'utf8')) as { password: string };
      expect(await adminLogin(secret.password)).toBe(true);
      const requested = (
        (await api.get(`/api/v1/audit-events?integrationId=${w.integrationId}`)).body as Array<{
          action: string;
          details: { reason?: string };
        }>
      ).filter((e) => e.action === 'admin_rotation.requested' && e.details.reason === 'scheduled');
      expect(requested).toHaveLength(1);
      await grantWorks();
    } finally {
      await db.end();
    }
  });
});
