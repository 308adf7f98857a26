/**
 * Scale: 100,000 ACTIVE grants. A sample is made through the front door (auto-approved
 * requests, 16 at a time, → ACTIVE) to say how long all of them would take that way; the rest
 * is seeded by `INSERT … SELECT` copying rows the services wrote. Then the broker's RSS, p99 of
 * the common lists and of a `/metrics` scrape, the mean sweep before and after, and the plans.
 */
import type { ApiClient } from '../../test/support/api-client';
import { COUNTS, check, note, run } from '../harness';
import { request, sampleOf, untilActive, type Bench } from '../stack';
import { mapLimit, round, sleep, summarize } from '../stats';

export async function scale(b: Bench): Promise<string[]> {
  const scrape = async () => (await fetch(`${b.base}/metrics`)).text();
  const sweepMean = async (windowMs: number) => {
    const a = await scrape();
    await sleep(windowMs);
    const z = await scrape();
    const count =
      sampleOf(z, 'doorman_sweep_duration_seconds_count') -
      sampleOf(a, 'doorman_sweep_duration_seconds_count');
    const sum =
      sampleOf(z, 'doorman_sweep_duration_seconds_sum') -
      sampleOf(a, 'doorman_sweep_duration_seconds_sum');
    return count > 0 ? (sum / count) * 1000 : Number.NaN;
  };
  const sweepBefore = await sweepMean(3000);

  // Through the service: the sample's rate says what the whole seed would take.
  const sample = b.scaleSample;
  const f0 = Date.now();
  const ids = await mapLimit(sample, 16, async (p) => {
    const id = await request(b, p, '2h');
    await untilActive(b, p, id, 60000);
    return id;
  });
  const frontMs = Date.now() - f0;
  const frontRate = (sample.length / frontMs) * 1000;
  const bySql = Math.max(0, COUNTS.scale - sample.length);
  const s0 = Date.now();
  await seedActiveGrants(b, b.seq[0].id, bySql);
  const seedMs = Date.now() - s0;
  const projectedS = COUNTS.scale / frontRate;
  run.details.scale = {
    frontDoor: { grants: sample.length, ms: frontMs, perSecond: round(frontRate) },
    projectedFrontDoorSeconds: round(projectedS),
    bySql: { grants: bySql, ms: seedMs },
  };
  note(
    `scale: ${sample.length} grants through the front door (auto-approved request → ACTIVE, 16 at a time) took ${frontMs} ms = ${round(frontRate)}/s, ` +
      `so ${COUNTS.scale} that way would take ~${round(projectedS / 60, 1)} min (the bench has 10 for everything); the other ${bySql} were seeded by INSERT … SELECT in ${seedMs} ms (their expiry timers are not in Redis: the sweeper's index covers them)`,
  );
  check({
    scenario: 'scale',
    metric: `seeding ${COUNTS.scale} grants through the service (projected from ${sample.length})`,
    value: projectedS,
    unit: 's',
    target: 'said (the rest by SQL)',
    met: null,
  });

  const sweepAfter = await sweepMean(4000);
  const listCall = async (name: string, api: ApiClient, path: string) => {
    const times: number[] = [];
    for (let i = 0; i < COUNTS.listCalls; i++) {
      const q0 = performance.now();
      const r = await api.get(path);
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      times.push(performance.now() - q0);
    }
    run.lists[name] = summarize(times);
  };
  const { admin, w } = b;
  await listCall(
    'active grants, newest 100 (admin)',
    admin,
    '/api/v1/access-requests?status=ACTIVE&limit=100',
  );
  await listCall('all requests, newest 100 (admin)', admin, '/api/v1/access-requests?limit=100');
  await listCall("approver's requests, newest 100", w.bob.api, '/api/v1/access-requests?limit=100');
  await listCall(
    'my requests (requester)',
    b.seq[0].api,
    '/api/v1/access-requests?mine=true&limit=100',
  );
  await listCall('audit events, 100', admin, '/api/v1/audit-events?limit=100');
  await listCall('GET /metrics (scrape)', admin, '/metrics');
  const rss = sampleOf(await scrape(), 'process_resident_memory_bytes') / 1024 / 1024;
  const plan = async (query: string) =>
    (await b.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) ${query}`)).rows
      .map((r) => r['QUERY PLAN'].trim())
      .join(' / ');
  const sweepPlan = await plan(
    `SELECT id FROM access_requests WHERE status = 'ACTIVE' AND expires_at <= now() LIMIT 500`,
  );
  note(
    `scale: plan of the admin list: ${await plan('SELECT * FROM access_requests r ORDER BY r.created_at DESC LIMIT 100')}`,
  );
  check({
    scenario: 'scale',
    metric: `broker RSS with ${COUNTS.scale} active grants`,
    value: rss,
    unit: 'MB',
    target: '≤ 512 MB',
    met: rss <= 512,
  });
  for (const [name, s] of Object.entries(run.lists))
    check({
      scenario: 'scale',
      metric: `list p99: ${name}`,
      value: s.p99,
      unit: 'ms',
      target: '≤ 50 ms',
      met: s.p99 <= 50,
    });
  check({
    scenario: 'scale',
    metric: 'one sweep (mean), before → after seeding',
    value: sweepAfter,
    unit: 'ms',
    floor: sweepBefore,
    target: 'flat (indexed)',
    met: sweepAfter <= Math.max(10, sweepBefore * 3),
  });
  note(`scale: sweep query plan: ${sweepPlan}`);

  // The seeded people and grants go again, so the scenarios after this one see only their own;
  // the sample's grants are ended by the revoke-all with the rest.
  await b.db.query(
    `DELETE FROM access_requests WHERE requester_id IN (SELECT id FROM users WHERE email LIKE 'scale%@bench.local')`,
  );
  await b.db.query(`DELETE FROM users WHERE email LIKE 'scale%@bench.local'`);
  return ids;
}

/**
 * `count` people each holding one ACTIVE grant, copied from a real row of each table (every
 * column the services wrote, whatever migrations add later) with identity columns replaced.
 */
async function seedActiveGrants(b: Bench, templateUserId: string, count: number): Promise<void> {
  if (count === 0) return;
  const db = b.db;
  const columns = async (table: string) =>
    (
      await db.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      )
    ).rows.map((r) => r.column_name);
  const clone = async (
    table: string,
    where: string,
    params: unknown[],
    overrides: Record<string, string>,
  ) => {
    const cols = await columns(table);
    const select = cols.map((c) => overrides[c] ?? `t."${c}"`);
    await db.query(
      `INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(', ')})
       SELECT ${select.join(', ')} FROM "${table}" t, generate_series(1, $1::int) g WHERE ${where}`,
      [count, ...params],
    );
  };
  const uid = `md5('bench-scale-' || g)::uuid`;
  await clone('users', 't.id = $2::uuid', [templateUserId], {
    id: uid,
    email: `'scale' || g || '@bench.local'`,
    name: `'scale ' || g`,
    slack_user_id: 'NULL',
    created_at: 'now()',
  });
  await clone(
    'access_requests',
    't.id = (SELECT id FROM access_requests WHERE requester_id = $2::uuid ORDER BY created_at LIMIT 1)',
    [templateUserId],
    {
      id: 'gen_random_uuid()',
      requester_id: uid,
      status: `'ACTIVE'`,
      status_reason: 'NULL',
      decided_at: `now() - interval '1 hour'`,
      granted_at: `now() - interval '1 hour'`,
      expires_at: `now() + interval '1 day' + g * interval '1 second'`,
      ended_at: 'NULL',
      ended_by: 'NULL',
      sync_generation: 'NULL',
      last_error: 'NULL',
      created_at: `now() - interval '1 hour' - g * interval '1 millisecond'`,
      updated_at: 'now()',
    },
  );
  await db.query('ANALYZE users');
  await db.query('ANALYZE access_requests');
}
