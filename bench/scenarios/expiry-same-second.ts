/**
 * Expiry, the same second — honestly: grants are made first (a burst of approvals → ACTIVE),
 * each gets an open session, and only then are their expiries set to lie within one second,
 * a few seconds ahead. Set by SQL, with the expiry timer each grant's new expiry implies written
 * to the outbox in the same transaction (what the broker itself writes when an expiry moves):
 * no API sets an expiry to an instant — an extension counts from its approval, so 1,000 of
 * them spread over the approvals' seconds, which is what made the earlier scenario spread over
 * 8.5 s. (The roles' VALID UNTIL stays at the first expiry; the revoke sets NOLOGIN.)
 */
import { route } from '../../apps/broker/src/outbox/broker-jobs';
import { expiryTimer } from '../../apps/broker/src/grants/grant-events';
import { COUNTS, check, note } from '../harness';
import { request, waitAll, type Bench } from '../stack';
import { mapLimit } from '../stats';
import { approveAll } from './burst';
import { overstayOf, sessionFor, type Opened } from './expiry-tools';

/** How far ahead the first expiry lies: time for the timers to reach Redis. */
const LEAD_MS = 5000;

export async function expirySameSecond(b: Bench): Promise<void> {
  const who = b.burst.slice(0, COUNTS.expiryBurst);
  const ids = await mapLimit(who, 16, (p) => request(b, p, '1h'));
  const granted = await approveAll(b, ids);
  if (granted.done.timedOut)
    throw new Error(`expiry: grants not ACTIVE: ${JSON.stringify(granted.done.counts)}`);
  const gone = new Map<string, number>();
  const creds: Opened[] = await mapLimit(ids, 32, (id, i) =>
    sessionFor(b, who[i], id, gone).catch(() => null),
  );
  const first = Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000;
  const step = 999 / ids.length;
  const at = ids.map((_, i) => new Date(first + Math.floor(i * step)));
  const jobs = ids.map((id, i) => ({
    ...route(expiryTimer(id, at[i]).job),
    ...expiryTimer(id, at[i]),
  }));
  await b.db.query('BEGIN');
  try {
    await b.db.query(
      `UPDATE access_requests r SET expires_at = v.at, updated_at = now()
         FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, at) WHERE r.id = v.id AND r.status = 'ACTIVE'`,
      [ids, at],
    );
    await b.db.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, run_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[])`,
      [
        jobs.map((j) => j.queue),
        jobs.map((j) => j.jobName),
        jobs.map((j) => j.jobId),
        jobs.map((j) => JSON.stringify(j.payload)),
        jobs.map((j) => j.runAt),
      ],
    );
    await b.db.query('COMMIT');
  } catch (e) {
    await b.db.query('ROLLBACK');
    throw e;
  }
  note(
    `expiry, same second: ${ids.length} grants made first (burst → ACTIVE in ${granted.ms} ms), ${creds.filter(Boolean).length} sessions opened, then every expiry set by SQL between ${new Date(first).toISOString()} and +999 ms with its timer in the outbox`,
  );
  const s = await overstayOf(b, 'expiry, same second', ids, creds, gone);
  // Every grant over before these people ask again (the scale-out).
  const ended = await waitAll(b, ids, 'REVOKED', 60000);
  if (ended.timedOut) note(`expiry, same second: not all REVOKED: ${JSON.stringify(ended.counts)}`);
  check({
    scenario: 'expiry (same second)',
    metric: `overstay p99 (n=${s.n}, each with an open session; expiries spread over ${s.spreadMs} ms)`,
    value: s.p99,
    unit: 'ms',
    floor: b.floors.revokeSqlMs.p50,
    target: '≤ 300 ms',
    met: s.p99 <= 300 && s.n === ids.length && s.spreadMs < 1000,
  });
  check({
    scenario: 'expiry (same second)',
    metric: 'overstay max',
    value: s.max,
    unit: 'ms',
    target: '≤ 600 ms',
    met: s.max <= 600,
  });
}
