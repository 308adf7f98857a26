/**
 * What every scenario runs against: a throwaway target cluster, the broker's own database and
 * Redis prefix, the built broker and connector as processes (more of each for the scale-out),
 * the people and flows of the bench, and the calls a client makes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ApiClient } from '../test/support/api-client';
import { createBrokerTestEnv, waitFor, type BrokerTestEnv } from '../test/support/broker-env';
import { createWorld, type World } from '../test/support/fixtures';
import { freePort } from '../test/support/processes';
import { startTargetPostgres, type TargetPostgres } from '../test/support/target-postgres';
import { BenchProcess } from './app-process';
import { CONCURRENCY, COUNTS, run, type Floors } from './harness';

export interface Person {
  id: string;
  email: string;
  api: ApiClient;
}

export interface Bench {
  t: TargetPostgres;
  env: BrokerTestEnv;
  /** The first broker's URL, its admin and the world's people (bob approves). */
  base: string;
  admin: ApiClient;
  w: World;
  /** The broker's database, for what the bench observes (never what it measures through). */
  db: Client;
  brokers: Array<{ process: BenchProcess; base: string }>;
  connectors: Array<{ process: BenchProcess; metricsPort: number }>;
  floors: Floors;
  /** People of the approved flow (sequential, then burst) and of the auto-approved one. */
  seq: Person[];
  burst: Person[];
  auto: Person[];
  scaleSample: Person[];
  sessions: Client[];
}

const brokerSettings = {
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_MINUTE: '10000000',
  SWEEP_INTERVAL_MS: '1000',
};

export async function startTarget(): Promise<TargetPostgres> {
  const target = await startTargetPostgres({ maxConnections: COUNTS.expiryBurst + 200 });
  run.postgres = (
    await target.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)
  ).rows[0].v.split(' ')[0];
  await target.createDatabase('app');
  await target.query('CREATE TABLE public.orders (id int PRIMARY KEY, item text)', [], 'app');
  return target;
}

export const brokerEnv = () => createBrokerTestEnv(brokerSettings);

/** One more broker on the same database and Redis prefix (a replica). */
export async function startBroker(env: BrokerTestEnv) {
  const port = await freePort();
  const proc = BenchProcess.start('apps/broker/src/main.js', { ...env.env, PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  const probe = new ApiClient(base, env.adminToken);
  await waitFor(
    'the broker',
    async () => (await probe.get('/health/ready')).status === 200,
    60000,
    200,
  );
  return { process: proc, base };
}

/** One more connector process for the world's connector id (they share its queue). */
export async function startConnector(b: Pick<Bench, 'env' | 't' | 'w' | 'admin'>) {
  const metricsPort = await freePort();
  const proc = BenchProcess.start('apps/connector/src/main.js', {
    REDIS_URL: b.env.env.REDIS_URL,
    REDIS_PREFIX: b.env.redisPrefix,
    CONNECTOR_ID: b.w.connectorId,
    TARGET_DATABASE_URL: b.t.superuserUrl('postgres'),
    PGSSLMODE: 'verify-full',
    PGSSLROOTCERT: b.t.caFile,
    BROKER_SEAL_PUBLIC_KEY: b.env.env.BROKER_SEAL_PUBLIC_KEY,
    CONNECTOR_CONCURRENCY: String(CONCURRENCY),
    HEARTBEAT_INTERVAL_MS: '1000',
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'warn',
  });
  await waitFor(
    'the connector metrics',
    async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => null))?.ok,
    30000,
    200,
  );
  return { process: proc, metricsPort };
}

/** Broker, world, connector, people and the two flows; the floors are measured before. */
export async function startStack(
  t: TargetPostgres,
  env: BrokerTestEnv,
  floors: Floors,
): Promise<Bench> {
  const broker = await startBroker(env);
  const admin = new ApiClient(broker.base, env.adminToken);
  const w = await createWorld(admin, {
    port: t.port,
    sslMode: 'require',
    maxDuration: '2h',
    defaultDuration: '1h',
    // Database users stay (NOLOGIN) after access ends, as in production: no cleanup mid-run.
    cleanupDays: 30,
  });
  const connector = await startConnector({ env, t, w, admin });
  await waitFor(
    'the connector heartbeat',
    async () =>
      (await admin.get('/health')).body.connectors?.some(
        (c: { id: string; healthy: boolean }) => c.id === w.connectorId && c.healthy,
      ),
    30000,
    200,
  );
  const db = new Client({ connectionString: env.databaseUrl });
  await db.connect();
  // People are written straight into the broker's tables (setup, not measured): thousands of
  // users and tokens through the API would take minutes of the bench's ten.
  const approved = await seedPeople(db, admin, 'bench', COUNTS.sequential + COUNTS.burst);
  const auto = await seedPeople(db, admin, 'auto', COUNTS.credentialPeople + COUNTS.scaleSample);
  const flow = async (name: string, people: Person[], rule: Record<string, unknown>) => {
    // Groups of 2,000 at most: a body of more ids passes the broker's 100 kB limit.
    const groupIds: string[] = [];
    for (let i = 0; i < people.length; i += 2000) {
      const group = await w.security.api.post('/api/v1/groups', {
        name: `${name}-${i / 2000}`,
        memberIds: people.slice(i, i + 2000).map((p) => p.id),
      });
      if (group.status !== 201) throw new Error(`group: ${JSON.stringify(group.body)}`);
      groupIds.push(group.body.id as string);
    }
    const f = await w.security.api.post('/api/v1/access-flows', {
      name,
      integrationId: w.integrationId,
      requestors: { userIds: [], groupIds },
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['read'],
      defaultDuration: '1h',
      maxDuration: '2h',
      justificationRequired: false,
      ...rule,
    });
    if (f.status !== 201) throw new Error(`flow: ${JSON.stringify(f.body)}`);
  };
  await flow('bench-read', approved, { approvers: { userIds: [w.bob.id] } });
  await flow('bench-auto', auto, { autoApprove: { permissions: ['read'] } });
  return {
    t,
    env,
    base: broker.base,
    admin,
    w,
    db,
    brokers: [broker],
    connectors: [connector],
    floors,
    seq: approved.slice(0, COUNTS.sequential),
    burst: approved.slice(COUNTS.sequential),
    auto: auto.slice(0, COUNTS.credentialPeople),
    scaleSample: auto.slice(COUNTS.credentialPeople),
    sessions: [],
  };
}

/** `count` requesters with a token each, inserted in two statements (setup, not measured). */
async function seedPeople(
  db: Client,
  admin: ApiClient,
  prefix: string,
  count: number,
): Promise<Person[]> {
  const emails = Array.from({ length: count }, (_, i) => `${prefix}${i}@bench.local`);
  const rows = (
    await db.query<{ id: string; email: string }>(
      `INSERT INTO users (email, name, roles)
       SELECT e, $2 || ' ' || (n - 1), '{requester}' FROM unnest($1::text[]) WITH ORDINALITY AS u(e, n)
       RETURNING id, email`,
      [emails, prefix],
    )
  ).rows;
  const idOf = new Map(rows.map((r) => [r.email, r.id]));
  const tokens = emails.map(() => `dm_${randomBytes(32).toString('base64url')}`);
  const ids = emails.map((e) => idOf.get(e)!);
  await db.query(
    `INSERT INTO api_tokens (user_id, token_hash, name)
     SELECT u, h, 'bench' FROM unnest($1::uuid[], $2::text[]) AS t(u, h)`,
    [ids, tokens.map((t) => createHash('sha256').update(t).digest('hex'))],
  );
  return emails.map((email, i) => ({ id: ids[i], email, api: admin.as(tokens[i]) }));
}

// ---- what a client does -------------------------------------------------------------------

export async function request(b: Bench, p: Person, duration: string): Promise<string> {
  const r = await p.api.post('/api/v1/access-requests', {
    integrationId: b.w.integrationId,
    database: 'app',
    schema: 'public',
    permission: 'read',
    duration,
  });
  if (r.status !== 201) throw new Error(`request: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

/** bob approves, through the first broker or the one given. */
export async function approve(b: Bench, id: string, base = b.base): Promise<void> {
  const api = new ApiClient(base, b.w.bob.token);
  const r = await api.post(`/api/v1/access-requests/${id}/approve`);
  if (r.status !== 200) throw new Error(`approve: ${r.status} ${JSON.stringify(r.body)}`);
}

/**
 * Resolves when the request is ACTIVE, with one held call (the long-poll) at a time: no
 * polling. Throws if it ends otherwise or is not ACTIVE within `timeoutMs`.
 */
export async function untilActive(
  b: Bench,
  p: Person,
  id: string,
  timeoutMs = 30000,
  base = b.base,
): Promise<{ seenAt: number; status: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = Math.min(60000, Math.max(1, deadline - Date.now()));
    const res = await fetch(
      `${base}/api/v1/access-requests/${id}?waitFor=ACTIVE&timeout=${left}ms`,
      { headers: { authorization: `Bearer ${p.api.token}` } },
    );
    const seenAt = Date.now();
    const body = (await res.json()) as { status: string };
    if (res.status !== 200) throw new Error(`wait: ${res.status} ${JSON.stringify(body)}`);
    const how = res.headers.get('doorman-wait');
    if (how === 'reached') return { seenAt, status: body.status };
    if (how === 'unreachable') throw new Error(`grant ${id} ${body.status}`);
    if (Date.now() >= deadline) throw new Error(`grant ${id} still ${body.status}`);
  }
}

export async function credentials(p: Person, id: string) {
  const r = await p.api.post(`/api/v1/access-requests/${id}/credentials`);
  if (r.status !== 200) throw new Error(`credentials: ${r.status}`);
  return r.body as { username: string; password: string };
}

export async function login(b: Bench, u: string, pw: string): Promise<Client> {
  const c = await b.t.connect(u, pw, 'app', { ssl: 'disable' });
  await c.query('SELECT 1');
  return c;
}

export async function loginRefused(b: Bench, u: string, pw: string): Promise<boolean> {
  try {
    (await login(b, u, pw)).end().catch(() => undefined);
    return false;
  } catch {
    return true;
  }
}

export async function statusCounts(b: Bench, ids: string[]): Promise<Record<string, number>> {
  return (
    await b.db.query<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM access_requests WHERE id = ANY($1::uuid[]) GROUP BY status',
      [ids],
    )
  ).rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: Number(r.n) }), {});
}

/** Every grant in `ids` at `status`: one query for all of them every 20 ms (the bench observing). */
export async function waitAll(b: Bench, ids: string[], status: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await statusCounts(b, ids);
    if ((c[status] ?? 0) === ids.length) return { at: Date.now(), counts: c, timedOut: false };
    if (Date.now() > deadline) return { at: Date.now(), counts: c, timedOut: true };
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function connectorFailures(b: Bench): Promise<number> {
  let total = 0;
  for (const c of b.connectors) {
    const text = await (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`)).text();
    total += text
      .split('\n')
      .filter((l) => l.startsWith('doorman_connector_jobs_failed_total{'))
      .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }
  return total;
}

/** One series of a Prometheus text page. */
export function sampleOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
}

/** The sum of a metric's series whose labels include `label` (e.g. kind="sync-user"). */
export function sumOf(text: string, metric: string, label: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${metric}{`) && l.includes(label))
    .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
