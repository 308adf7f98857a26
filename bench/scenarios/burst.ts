/**
 * Burst: many people's approvals sent at once (through 64 connections, as a load balancer or a
 * Slack fan-out would: 1,000 simultaneous connects overflow loopback's listen backlog) → all
 * ACTIVE; HTTP errors, FAILED grants and failed job attempts are counted. A sample of the
 * grants is then revealed and logged in with.
 */
import { COUNTS, check, note } from '../harness';
import {
  approve,
  connectorFailures,
  credentials,
  login,
  request,
  waitAll,
  type Bench,
} from '../stack';
import { mapLimit, summarize } from '../stats';

/** Approvals of `ids` at once, spread over `bases` (brokers) in turn; → all ACTIVE. */
export async function approveAll(b: Bench, ids: string[], bases = [b.base]) {
  const failures: string[] = [];
  const b0 = Date.now();
  await mapLimit(ids, 64, (id, i) =>
    approve(b, id, bases[i % bases.length]).catch((e: unknown) => {
      failures.push(e instanceof Error ? e.message : String(e));
    }),
  );
  const approvedMs = Date.now() - b0;
  const done = await waitAll(b, ids, 'ACTIVE', 120000);
  return { ms: done.at - b0, approvedMs, failures, done };
}

export async function burst(b: Bench): Promise<{ ids: string[]; rate: number }> {
  const f = b.floors;
  const ids = await mapLimit(b.burst, 16, (p) => request(b, p, '1h'));
  const failuresBefore = await connectorFailures(b);
  const { ms, approvedMs, failures, done } = await approveAll(b, ids);
  const jobFailures = (await connectorFailures(b)) - failuresBefore;
  if (failures.length)
    note(`burst: approvals refused: ${[...new Set(failures)].slice(0, 3).join(' | ')}`);
  const perGrant = (
    await b.db.query<{ ms: number }>(
      `SELECT extract(epoch FROM updated_at - decided_at) * 1000 AS ms FROM access_requests WHERE id = ANY($1::uuid[]) AND status = 'ACTIVE'`,
      [ids],
    )
  ).rows.map((r) => Number(r.ms));
  const lat = summarize(perGrant);
  const rate = (COUNTS.burst / ms) * 1000;
  check({
    scenario: 'burst',
    metric: `${COUNTS.burst} approvals at once → all ACTIVE`,
    value: ms,
    unit: 'ms',
    floor: f.burstGrantSqlMs,
    target: '≤ 1.5× floor',
    met: ms <= 1.5 * f.burstGrantSqlMs,
  });
  check({
    scenario: 'burst',
    metric: 'grants per second',
    value: rate,
    unit: '/s',
    floor: (COUNTS.burst / f.burstGrantSqlMs) * 1000,
    target: '≥ 300/s',
    met: rate >= 300,
  });
  const errors = failures.length + (done.counts.FAILED ?? 0) + jobFailures;
  check({
    scenario: 'burst',
    metric: 'errors (HTTP, FAILED grants, failed job attempts)',
    value: errors,
    unit: '',
    target: '0',
    met: errors === 0 && !done.timedOut,
  });
  note(
    `burst: every approval answered after ${approvedMs} ms; per-grant approval → ACTIVE p50 ${lat.p50} ms, p99 ${lat.p99} ms; statuses ${JSON.stringify(done.counts)}`,
  );
  const sampled = ids.slice(0, 200);
  const loginFailures = (
    await mapLimit(sampled, 16, async (id, i) => {
      try {
        const c = await credentials(b.burst[i], id);
        await (await login(b, c.username, c.password)).end();
        return 0;
      } catch {
        return 1;
      }
    })
  ).reduce<number>((a, x) => a + x, 0);
  note(`burst: ${loginFailures} of ${sampled.length} sampled logins failed after the burst`);
  return { ids, rate };
}
