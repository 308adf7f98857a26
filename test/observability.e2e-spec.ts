import { randomBytes } from 'node:crypto';
import { ApiClient } from './support/api-client';
import { connectorHealthy, startBrokerProcess, startConnectorProcess } from './support/apps';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from './support/broker-env';
import { createWorld, type World } from './support/fixtures';
import { AppProcess, freePort } from './support/processes';
import { startTargetPostgres, type TargetPostgres } from './support/target-postgres';
import { TcpProxy } from './support/tcp-proxy';

jest.setTimeout(120_000);

/** The value of one Prometheus series (`name{labels}` exactly as exposed), or undefined. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    if (line.slice(0, at) === series) return Number(line.slice(at + 1));
  }
  return undefined;
}

/**
 * Operators' view: /metrics on the broker and the connector's own port move when a
 * grant comes and goes, liveness and readiness answer the right codes (readiness 503 once the
 * broker's database is cut, through a proxy, never the shared server), and one correlation id
 * follows an approval from REST through the job to the connector's log and back.
 */
describe('metrics, health and correlation ids', () => {
  let target: TargetPostgres;
  let env: BrokerTestEnv;
  let dbProxy: TcpProxy;
  let broker: AppProcess;
  let connector: AppProcess;
  let api: ApiClient;
  let base: string;
  let connectorMetricsUrl: string;
  let w: World;

  beforeAll(async () => {
    target = await startTargetPostgres();
    await target.createDatabase('app');
    env = await createBrokerTestEnv();
    // The broker reaches its database through a proxy this test can cut.
    const shared = new URL(env.databaseUrl);
    dbProxy = new TcpProxy(await freePort(), Number(shared.port || 5432));
    await dbProxy.up();
    shared.host = `127.0.0.1:${dbProxy.port}`;
    const port = await freePort();
    broker = await startBrokerProcess(env, port, {
      DATABASE_URL: shared.toString(),
      LOG_LEVEL: 'info',
    });
    base = `http://127.0.0.1:${port}`;
    api = new ApiClient(base, env.adminToken);
    w = await createWorld(api, { port: target.port, sslMode: 'verify-full' });
    const metricsPort = await freePort();
    connectorMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    connector = startConnectorProcess(env, target, w.connectorId, {
      HEARTBEAT_INTERVAL_MS: '500',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
    });
    await connectorHealthy(api, w.connectorId);
  });

  afterAll(async () => {
    if (process.env.E2E_DEBUG)
      for (const p of [broker, connector])
        if (p) process.stdout.write(`--- ${p.name}\n${p.lines.slice(-80).join('\n')}\n`);
    await connector?.stop();
    await broker?.stop();
    await dbProxy?.down();
    await env?.dispose();
    await target?.stop();
  });

  const scrape = async (url = `${base}/metrics`) => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };
  const status = async (id: string) =>
    (await w.alice.api.get(`/api/v1/access-requests/${id}`)).body.status as string;

  it('liveness and readiness answer 200 while the database and Redis do', async () => {
    expect((await api.as(undefined).get('/health/live')).status).toBe(200);
    const ready = await api.as(undefined).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', database: 'up', redis: 'up' });
    expect((await api.as(undefined).get('/health')).status).toBe(200);
  });

  it('a grant and its revoke move the histograms, gauges and connector counters; one correlation id follows it', async () => {
    const before = await scrape();
    for (const name of [
      'doorman_grant_latency_seconds',
      'doorman_revoke_latency_seconds',
      'doorman_expiry_overstay_seconds',
      'doorman_active_grants',
      'doorman_pending_requests',
      'doorman_queue_jobs',
      'doorman_reconcile_corrections_total',
      'doorman_slack_api_errors_total',
      'doorman_sweep_duration_seconds',
      'doorman_connector_last_heartbeat_seconds',
      'process_resident_memory_bytes',
    ])
      expect(before).toContain(`# TYPE ${name} `);
    expect(sample(before, 'doorman_grant_latency_seconds_count')).toBe(0);
    expect(sample(before, 'doorman_active_grants')).toBe(0);
    const connectorQueue = `connector-${w.connectorId}`;
    expect(
      sample(before, `doorman_queue_jobs{queue="${connectorQueue}",state="failed"}`),
    ).toBeDefined();

    const created = await w.alice.api.post('/api/v1/access-requests', {
      integrationId: w.integrationId,
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
    });
    expect(created.status).toBe(201);
    expect(sample(await scrape(), 'doorman_pending_requests{age="5m"}')).toBe(1);

    const correlationId = `obs-${randomBytes(6).toString('hex')}`;
    const approved = await fetch(`${base}/api/v1/access-requests/${created.body.id}/approve`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${w.bob.token}`,
        'content-type': 'application/json',
        'x-correlation-id': correlationId,
      },
      body: '{}',
    });
    expect(approved.status).toBe(200);
    expect(approved.headers.get('x-correlation-id')).toBe(correlationId);
    await waitFor('ACTIVE', async () => (await status(created.body.id)) === 'ACTIVE');

    const granted = await waitFor('the grant latency observed', async () => {
      const text = await scrape();
      return sample(text, 'doorman_grant_latency_seconds_count') === 1 ? text : undefined;
    });
    expect(sample(granted, 'doorman_active_grants')).toBe(1);
    expect(sample(granted, 'doorman_pending_requests{age="5m"}')).toBe(0);
    expect(sample(granted, 'doorman_grant_latency_seconds_sum')).toBeLessThan(30);

    // A generated id comes back when none is sent.
    const plain = await fetch(`${base}/health/live`);
    expect(plain.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);

    // The connector logged the job with the REST request's id, and the broker logged its result.
    await waitFor(
      'the correlation id in both logs',
      async () =>
        connector.lines.some((l) => l.includes(correlationId) && l.includes('job done')) &&
        broker.lines.some((l) => l.includes(correlationId) && l.includes('sync result received')),
    );

    const revoked = await w.alice.api.post(`/api/v1/access-requests/${created.body.id}/revoke`, {
      reason: 'done',
    });
    expect(revoked.status).toBe(200);
    await waitFor('REVOKED', async () => (await status(created.body.id)) === 'REVOKED');
    const after = await waitFor('the revoke latency observed', async () => {
      const text = await scrape();
      return sample(text, 'doorman_revoke_latency_seconds_count{reason="revoked"}') === 1
        ? text
        : undefined;
    });
    expect(sample(after, 'doorman_active_grants')).toBe(0);

    const c = await waitFor('connector counters', async () => {
      const text = await scrape(connectorMetricsUrl);
      return (sample(
        text,
        'doorman_connector_jobs_processed_total{kind="sync-user",integration_id="default"}',
      ) ?? 0) >= 2
        ? text
        : undefined;
    });
    expect(
      sample(
        c,
        'doorman_connector_job_duration_seconds_count{kind="sync-user",integration_id="default"}',
      ),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(c, 'doorman_connector_last_heartbeat_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    expect(c).toContain('# TYPE doorman_connector_jobs_failed_total counter');
    expect(c).toContain(`doorman_connector_info{connector_id="${w.connectorId}"`);
  });

  it('readiness answers 503 once the database is unreachable; liveness and /metrics still answer', async () => {
    await dbProxy.down();
    try {
      const ready = await api.as(undefined).get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'not ready', database: 'down', redis: 'up' });
      expect((await api.as(undefined).get('/health/live')).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
    } finally {
      await dbProxy.up();
    }
    await waitFor(
      'ready again',
      async () => (await api.as(undefined).get('/health/ready')).status === 200,
      20000,
      250,
    );
  });
});
