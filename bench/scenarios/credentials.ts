/**
 * Credentials beside Vault's published run: `credentialWorkers` workers for `credentialSeconds`,
 * each an auto-approved request for a person new to the integration (so a role is created) →
 * ACTIVE, learnt from one held call (no polling) → credentials revealed. Credentials/s, mean and
 * p99 beside the same-run floor (`CREATE ROLE … LOGIN PASSWORD … IN ROLE` at the same
 * concurrency) and vault-benchmark's published PostgreSQL figures; per credential, the
 * transactions and rows of the broker's database and of the target (pg_stat_database: the
 * clusters do not load pg_stat_statements) and the CPU of each process (/proc).
 */
import { Client } from 'pg';
import { cpuMs, cpuOf, parentOf, treeCpuMs } from '../cpu';
import { COUNTS, check, note, run } from '../harness';
import { credentials, request, untilActive, type Bench, type Person } from '../stack';
import { sampleBrokerDb, stageLines, stageTimes } from '../stages';
import { round, summarize } from '../stats';

/** vault-benchmark's published PostgreSQL dynamic-secret run (hardware not stated). */
const VAULT = { perSecond: 220.9, mean: 44.9, p99: 77.4 };

interface DbCounters {
  xacts: number;
  rows: number;
  written: number;
}

/** The connection's own database (`current`), or the whole cluster (`all`). */
async function dbCounters(c: Client, scope: 'current' | 'all'): Promise<DbCounters> {
  const r = (
    await c.query<{ x: string; r: string; w: string }>(
      `SELECT sum(xact_commit + xact_rollback) AS x, sum(tup_returned + tup_fetched) AS r,
              sum(tup_inserted + tup_updated + tup_deleted) AS w
         FROM pg_stat_database WHERE ($1 OR datname = current_database())`,
      [scope === 'all'],
    )
  ).rows[0];
  return { xacts: Number(r.x), rows: Number(r.r), written: Number(r.w) };
}

/** CPU ms of each backend of the broker's database (long-lived pool connections), by pid. */
async function brokerBackends(c: Client): Promise<Map<number, number>> {
  const pids = (
    await c.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    )
  ).rows.map((r) => r.pid);
  return new Map(pids.map((p) => [p, cpuOf([p])]));
}

async function redisPid(b: Bench): Promise<number | undefined> {
  const { default: IORedis } = await import('ioredis');
  const r = new IORedis(b.env.env.REDIS_URL, { lazyConnect: true });
  await r.connect();
  const info = await r.info('server');
  r.disconnect();
  const m = /process_id:(\d+)/.exec(info);
  return m ? Number(m[1]) : undefined;
}

export async function credentialsRate(b: Bench): Promise<string[]> {
  const people = [...b.auto];
  const workers = COUNTS.credentialWorkers;
  const seconds = COUNTS.credentialSeconds;
  const targetDb = await b.t.connect('postgres', b.t.superuserPassword, 'postgres', {
    ssl: 'disable',
  });
  const postmaster = parentOf(
    (await targetDb.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p,
  );
  const redis = await redisPid(b);
  const cpu = () => ({
    broker: cpuMs(b.brokers[0].process.pid),
    connector: cpuMs(b.connectors[0].process.pid),
    'postgres (target)': postmaster ? treeCpuMs(postmaster) : Number.NaN,
    'redis (shared)': cpuMs(redis),
    'bench (clients)': (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  });

  /** Every counter at one instant, flat: CPU ms by process, then each database's counters. */
  const snapshot = async () => {
    const backends = await brokerBackends(b.db);
    const c = cpu();
    const broker = await dbCounters(b.db, 'current');
    const target = await dbCounters(targetDb, 'all');
    return {
      at: Date.now(),
      backends,
      values: {
        ...c,
        'broker db: transactions': broker.xacts,
        'broker db: rows written': broker.written,
        'broker db: rows read': broker.rows,
        'target: transactions': target.xacts,
        'target: rows written': target.written,
        'target: rows read': target.rows,
      } as Record<string, number>,
    };
  };
  type Snap = Awaited<ReturnType<typeof snapshot>>;
  const diff = (x: Snap, y: Snap) => ({
    ms: y.at - x.at,
    values: {
      ...Object.fromEntries(Object.entries(y.values).map(([k, v]) => [k, v - x.values[k]])),
      // Pool connections live on; one opened in between counts from zero.
      'postgres (broker database backends)': [...y.backends].reduce(
        (a, [pid, ms]) => a + ms - (x.backends.get(pid) ?? 0),
        0,
      ),
    } as Record<string, number>,
  });

  // The same counters with nothing asked of the broker first, shown beside (not subtracted:
  // the connector's periodic inventory reads all roles now and then, so an idle window of a
  // few seconds is no steady rate): its background work (sweeps, schedules, heartbeats).
  const idle0 = await snapshot();
  await new Promise((r) => setTimeout(r, Math.min(3000, seconds * 1000)));
  const idle1 = await snapshot();
  const ids: string[] = [];
  const seenAt: number[] = [];
  const times: number[] = [];
  const errors: string[] = [];
  let ranOut = false;
  const end = Date.now() + seconds * 1000;
  const window = sampleBrokerDb(
    b,
    Promise.all(
      Array.from({ length: workers }, async () => {
        while (Date.now() < end) {
          const p: Person | undefined = people.shift();
          if (!p) {
            ranOut = true;
            return;
          }
          const q0 = performance.now();
          try {
            const id = await request(b, p, '1h');
            const active = await untilActive(b, p, id, 30000);
            await credentials(p, id);
            // Counted only when finished within the window, as vault-benchmark counts.
            if (Date.now() <= end) times.push(performance.now() - q0);
            ids.push(id);
            seenAt.push(active.seenAt);
          } catch (e) {
            errors.push(e instanceof Error ? e.message : String(e));
          }
        }
      }),
    ),
  );
  const brokerDbActivity = (await window).top;
  // pg_stat_database is flushed by each backend within a second of its last transaction.
  await new Promise((r) => setTimeout(r, 1500));
  const after = await snapshot();
  await targetDb.end();
  const idle = diff(idle0, idle1);
  const busy = diff(idle1, after);
  // Charged to the credentials: all the window used, per credential made (those finished after
  // the window included: they were paid for in it); the idle window's figures beside, per second.
  const made = ids.length || 1;
  const charged = Object.fromEntries(
    Object.entries(busy.values).map(([k, v]) => [k, round(v / made, 2)]),
  );
  const idlePerSecond = Object.fromEntries(
    Object.entries(idle.values).map(([k, v]) => [k, round((v / idle.ms) * 1000, 1)]),
  );
  // Where a credential's time goes: the auto-approval (decidedAt, the broker's clock) → the
  // grant.activated event (its transaction's start, the database's clock — one machine); the
  // rest of the client's time is the request's intake, learning of ACTIVE and the reveal.
  const stages = (
    await b.db.query<{ activated: number }>(
      `SELECT extract(epoch FROM e.at - r.decided_at) * 1000 AS activated
         FROM access_requests r JOIN audit_events e ON e.request_id = r.id AND e.action = 'grant.activated'
        WHERE r.id = ANY($1::uuid[])`,
      [ids],
    )
  ).rows;
  const toActive = summarize(stages.map((r) => Number(r.activated)));
  const byStage = await stageTimes(b, ids, seenAt);

  const s = summarize(times);
  const rate = times.length / seconds;
  const floor = b.floors.createRole!;
  check({
    scenario: 'credentials (Vault-style)',
    metric: `credentials/s (${workers} workers, ${seconds} s, a new person each)`,
    value: rate,
    unit: '/s',
    floor: floor.perSecond,
    target: '≥ 250/s and ≥ 0.5× floor',
    met: rate >= 250 && rate >= 0.5 * floor.perSecond,
  });
  check({
    scenario: 'credentials (Vault-style)',
    metric: 'mean (request → ACTIVE → credentials revealed)',
    value: s.mean,
    unit: 'ms',
    floor: floor.mean,
    target: '≤ 45 ms',
    met: s.mean <= 45,
  });
  check({
    scenario: 'credentials (Vault-style)',
    metric: 'p99',
    value: s.p99,
    unit: 'ms',
    floor: floor.p99,
    target: 'beside Vault’s 77.4 ms',
    met: null,
  });
  check({
    scenario: 'credentials (Vault-style)',
    metric: 'errors',
    value: errors.length,
    unit: '',
    target: '0',
    met: errors.length === 0,
  });
  const cpuKeys = Object.keys(charged).filter((k) => !k.includes(':'));
  const total = round(
    cpuKeys
      .filter((k) => k !== 'bench (clients)')
      .reduce((a, k) => a + (Number.isNaN(charged[k]) ? 0 : charged[k]), 0),
  );
  run.details.credentials = {
    completed: times.length,
    latencyMs: s,
    perSecond: round(rate),
    errors: errors.slice(0, 5),
    ranOutOfPeople: ranOut,
    vaultPublished: VAULT,
    floor,
    perCredential: charged,
    idlePerSecond,
    stagesMs: { decidedToActivated: toActive, ...byStage },
    cpuMsPerCredentialTotal: total,
    idleMs: idle.ms,
    window: busy.values,
    windowMs: busy.ms,
  };
  note(
    `credentials: ${times.length} in ${seconds} s = ${round(rate)}/s, mean ${s.mean} ms, p99 ${s.p99} ms — vault-benchmark's published PostgreSQL run: ${VAULT.perSecond}/s, mean ${VAULT.mean} ms, p99 ${VAULT.p99} ms (hardware not stated); ` +
      `same-run floor CREATE ROLE … LOGIN PASSWORD … IN ROLE at ${floor.connections} connections: ${floor.perSecond}/s, mean ${floor.mean} ms (password sent in clear and hashed by the server, as Vault's plugin does)` +
      (ranOut ? ' — the workers RAN OUT of new people before the end' : ''),
  );
  note(
    `credentials: CPU per credential (ms; idle, the same processes used per second: ${cpuKeys.map((k) => `${k} ${idlePerSecond[k]}`).join(', ')}): ${cpuKeys
      .map((k) => `${k} ${charged[k]}`)
      .join(
        ', ',
      )}; total without the clients ${total} ms (Redis is the machine's shared server: other work on it counts too)`,
  );
  note(
    `credentials: where the time goes: auto-approved → grant.activated recorded p50 ${toActive.p50} ms (p99 ${toActive.p99}) of the client's mean ${s.mean} ms (the rest: intake, learning of ACTIVE, reveal); per credential: broker database ${charged['broker db: transactions']} transactions (each autocommit statement is one), ${charged['broker db: rows written']} rows written, ${charged['broker db: rows read']} read; ` +
      `target ${charged['target: transactions']} transactions, ${charged['target: rows written']} rows written, ${charged['target: rows read']} read (pg_stat_database deltas: pg_stat_statements is not loaded in these clusters)`,
  );
  note(`credentials by stage (n=${ids.length}): ${stageLines(byStage)}`);
  note(
    `credentials: the broker database's active connections, sampled every 10 ms: ${brokerDbActivity}`,
  );
  if (errors.length) note(`credentials: errors: ${[...new Set(errors)].slice(0, 3).join(' | ')}`);
  return ids;
}
