/**
 * Grant latency: requests made beforehand (untimed), approved one after another, each by a
 * person with no database user yet; approval (`decidedAt`) → ACTIVE, as a client learns it from
 * one held call (`?waitFor=ACTIVE`). Every tenth grant is revealed and logged in with at once
 * (timed); the others after the loop — every login must work.
 */
import { check, note } from '../harness';
import { approve, credentials, login, request, sumOf, untilActive, type Bench } from '../stack';
import { stageLines, stageTimes } from '../stages';
import { mapLimit, round, summarize } from '../stats';

export async function grantLatency(b: Bench): Promise<string[]> {
  const f = b.floors;
  const latencies: number[] = [];
  const seenAt: number[] = [];
  const usable: number[] = [];
  let loginFailures = 0;
  const ids = await mapLimit(b.seq, 16, (p) => request(b, p, '1h'));
  for (const [i, p] of b.seq.entries()) {
    const id = ids[i];
    const waiting = untilActive(b, p, id);
    await approve(b, id);
    const active = await waiting;
    const decided = (
      await b.db.query<{ d: Date }>('SELECT decided_at AS d FROM access_requests WHERE id = $1', [
        id,
      ])
    ).rows[0].d.getTime();
    latencies.push(active.seenAt - decided);
    seenAt.push(active.seenAt);
    if (i % 10 !== 0) continue;
    try {
      const c = await credentials(p, id);
      await (await login(b, c.username, c.password)).end();
      usable.push(Date.now() - decided);
    } catch {
      loginFailures++;
    }
  }
  loginFailures += (
    await mapLimit(b.seq, 8, async (p, i) => {
      if (i % 10 === 0) return 0;
      try {
        const c = await credentials(p, ids[i]);
        await (await login(b, c.username, c.password)).end();
        return 0;
      } catch {
        return 1;
      }
    })
  ).reduce<number>((a, x) => a + x, 0);
  const lat = summarize(latencies);
  const use = summarize(usable);
  check({
    scenario: 'grant latency',
    metric: `p50 (approval → ACTIVE, n=${lat.n})`,
    value: lat.p50,
    unit: 'ms',
    floor: f.grantSqlMs.p50,
    target: '≤ 2× floor',
    met: lat.p50 <= 2 * f.grantSqlMs.p50,
  });
  check({
    scenario: 'grant latency',
    metric: 'p99 (approval → ACTIVE)',
    value: lat.p99,
    unit: 'ms',
    floor: f.grantSqlMs.p99,
    target: '≤ 60 ms',
    met: lat.p99 <= 60,
  });
  check({
    scenario: 'grant latency',
    metric: `p50 approval → credentials revealed and a login works (n=${use.n})`,
    value: use.p50,
    unit: 'ms',
    floor: f.grantSqlMs.p50,
    target: 'every login works',
    met: loginFailures === 0,
  });
  const cm = await (await fetch(`http://127.0.0.1:${b.connectors[0].metricsPort}/metrics`)).text();
  const jobMean =
    (sumOf(cm, 'doorman_connector_job_duration_seconds_sum', 'kind="sync-user"') /
      sumOf(cm, 'doorman_connector_job_duration_seconds_count', 'kind="sync-user"')) *
    1000;
  // The same, as the broker recorded it: decidedAt → the grant.activated event's commit time.
  const recorded = summarize(
    (
      await b.db.query<{ ms: number }>(
        `SELECT extract(epoch FROM e.at - r.decided_at) * 1000 AS ms
           FROM audit_events e JOIN access_requests r ON r.id = e.request_id
          WHERE e.action = 'grant.activated' AND r.id = ANY($1::uuid[])`,
        [ids],
      )
    ).rows.map((r) => Number(r.ms)),
  );
  note(
    `grant latency: as recorded in the broker (decidedAt → grant.activated) p50 ${recorded.p50} ms p99 ${recorded.p99} ms; ACTIVE as the client learns it, from one held GET …?waitFor=ACTIVE per grant (opened before the approval); ${loginFailures} of ${b.seq.length} logins failed; p99 approval → usable ${use.p99} ms; ` +
      `the connector's own time per sync job (SQL + password hashing + sealing + result sent) averaged ${round(jobMean)} ms`,
  );
  note(`grant latency by stage (n=${ids.length}): ${stageLines(await stageTimes(b, ids, seenAt))}`);
  return ids;
}
