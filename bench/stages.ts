/**
 * Where approval → ACTIVE spends its time, per stage, from what the run already records:
 * the request's `decidedAt` (the broker's clock as it decided), the connector's sync job in
 * BullMQ (kept after completion: added by the broker's relay, taken by the connector, finished
 * once its result was sent), the target's clock as the user's transaction ended
 * (`database_users.last_applied_at`), the `grant.activated` event (`at` = the start of the
 * transaction recording the result), the grant's expiry timer in BullMQ (enqueued right after
 * that transaction commits) and when the client's held call answered. One machine, so
 * one clock (the target's is the same host's).
 */
import { Queue } from 'bullmq';
import { connectorQueueName, TIMERS_QUEUE } from '@doorman/contracts';
import { redisConnectionOptions } from '../apps/broker/src/config/redis';
import type { Bench } from './stack';
import { summarize, type Summary } from './stats';

export const STAGES = [
  'decided → its transaction began (auto-approved: intake, rules, waiting for a batch)',
  'transaction began → committed, sync job enqueued (decision, outbox relay)',
  'enqueued → taken by the connector',
  'taken → user transaction ended on the target (groups, hashing, SQL)',
  'transaction ended → job finished (sealing, result sent)',
  'job finished → result recorded (results hop, batch)',
  'result transaction began → committed (its expiry timer enqueued)',
  'committed → client answered (wake, re-read, HTTP)',
] as const;

export type StageTimes = Record<(typeof STAGES)[number], Summary>;

/** Per-stage summaries for the given requests (ids) and the instants their clients saw ACTIVE. */
export async function stageTimes(b: Bench, ids: string[], seenAt: number[]): Promise<StageTimes> {
  const { rows } = await b.db.query<{
    id: string;
    person: string;
    decided: Date;
    created: Date;
    applied: Date | null;
    recorded: Date | null;
  }>(
    `SELECT r.id, r.requester_id AS person, r.decided_at AS decided, r.created_at AS created,
            du.last_applied_at AS applied, e.at AS recorded
       FROM access_requests r
       LEFT JOIN database_users du ON du.user_id = r.requester_id AND du.integration_id = r.integration_id
       LEFT JOIN audit_events e ON e.request_id = r.id AND e.action = 'grant.activated'
      WHERE r.id = ANY($1::uuid[])`,
    [ids],
  );
  const queue = new Queue(connectorQueueName(b.w.connectorId), {
    connection: redisConnectionOptions(b.env.env.REDIS_URL),
    prefix: b.env.redisPrefix,
  });
  const timers = new Queue(TIMERS_QUEUE, {
    connection: redisConnectionOptions(b.env.env.REDIS_URL),
    prefix: b.env.redisPrefix,
  });
  const jobs = new Map<string, { added: number; taken: number; finished: number }>();
  // The expiry timer is enqueued right after the result's transaction commits.
  const committed = new Map<string, number>();
  try {
    for (const j of await timers.getJobs(['delayed', 'waiting'], 0, -1)) {
      const d = j.data as { kind?: string; requestId?: string };
      if (d.kind === 'expire-grant' && d.requestId && !committed.has(d.requestId))
        committed.set(d.requestId, j.timestamp);
    }
    for (const j of await queue.getJobs(['completed'], 0, -1)) {
      const d = j.data as { personId?: string; login?: boolean };
      if (j.name !== 'sync-user' || !d.personId || !d.login || !j.processedOn || !j.finishedOn)
        continue;
      // The first grant of each person: the earliest login job.
      const prev = jobs.get(d.personId);
      if (!prev || prev.added > j.timestamp)
        jobs.set(d.personId, { added: j.timestamp, taken: j.processedOn, finished: j.finishedOn });
    }
  } finally {
    await queue.close();
    await timers.close();
  }
  const seen = new Map(ids.map((id, i) => [id, seenAt[i]]));
  const cols: number[][] = STAGES.map(() => []);
  for (const r of rows) {
    const j = jobs.get(r.person);
    const s = seen.get(r.id);
    const c = committed.get(r.id);
    if (!j || !r.applied || !r.recorded || c === undefined || s === undefined) continue;
    // An approval's transaction began after the request was made (its start is not recorded):
    // the first stage is then 0 and the second the whole decision. An auto-approved request's
    // row is inserted (created_at = now(), the transaction's start) after its decision's instant.
    const began = Math.max(r.decided.getTime(), r.created.getTime());
    const points = [
      r.decided.getTime(),
      began,
      j.added,
      j.taken,
      r.applied.getTime(),
      j.finished,
      r.recorded.getTime(),
      c,
      s,
    ];
    for (let k = 0; k < STAGES.length; k++) cols[k].push(points[k + 1] - points[k]);
  }
  return Object.fromEntries(STAGES.map((name, k) => [name, summarize(cols[k])])) as StageTimes;
}

export function stageLines(t: StageTimes): string {
  return STAGES.map(
    (name) => `${name}: p50 ${t[name].p50} ms, mean ${t[name].mean} ms, p99 ${t[name].p99} ms`,
  ).join('; ');
}

/**
 * Samples what the broker's database connections are doing (every `everyMs` while `during`
 * runs): active statements by wait event and statement start, so lock waits show as such.
 */
export async function sampleBrokerDb<T>(
  b: Bench,
  during: Promise<T>,
  everyMs = 10,
): Promise<{ result: T; top: string }> {
  const counts = new Map<string, number>();
  let done = false;
  const sampling = (async () => {
    while (!done) {
      const { rows } = await b.db.query<{ w: string | null; q: string }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'cpu') AS w, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS q
           FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      for (const r of rows) {
        const k = `${r.w} ${r.q}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    return { result: await during, top: topOf(counts) };
  } finally {
    done = true;
    await sampling;
  }
}

function topOf(counts: Map<string, number>): string {
  return [...counts]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 8)
    .map(([k, n]) => `${n}× ${k}`)
    .join(' | ');
}
