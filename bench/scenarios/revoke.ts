/**
 * Revoke throughput: `revoke-all` on the integration ends every grant it holds → all REVOKED;
 * per grant, the call → its `grant.revoked` audit event; afterwards no direct member of
 * `doorman_managed` may log in.
 */
import { COUNTS, check, note } from '../harness';
import { waitAll, type Bench } from '../stack';
import { summarize } from '../stats';

/** revoke-all through `base`; → every one of `held` REVOKED: wall ms and rate. */
export async function revokeAll(b: Bench, held: string[], base = b.base) {
  const r0 = Date.now();
  const res = await fetch(`${base}/api/v1/integrations/${b.w.integrationId}/revoke-all`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${b.w.security.token}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ reason: 'bench' }),
  });
  if (res.status >= 300) throw new Error(`revoke-all: ${res.status} ${await res.text()}`);
  const done = await waitAll(b, held, 'REVOKED', 120000);
  const ms = done.at - r0;
  return { r0, ms, rate: (held.length / ms) * 1000, done };
}

export async function revoke(b: Bench, held: string[]): Promise<void> {
  const { r0, ms, rate, done } = await revokeAll(b, held);
  // Direct members of the marker role only: pg_has_role(…, 'MEMBER') is true for every
  // superuser, which is how the connector's own login was once counted here as "managed".
  const stillLogin = (
    await b.t.query<{ rolname: string }>(
      `SELECT r.rolname FROM pg_roles r
         JOIN pg_auth_members m ON m.member = r.oid
         JOIN pg_roles k ON k.oid = m.roleid AND k.rolname = 'doorman_managed'
        WHERE r.rolcanlogin`,
    )
  ).rows.map((r) => r.rolname);
  const lat = summarize(
    (
      await b.db.query<{ at: Date }>(
        `SELECT at FROM audit_events WHERE action = 'grant.revoked' AND request_id = ANY($1::uuid[])`,
        [held],
      )
    ).rows.map((r) => r.at.getTime() - r0),
  );
  check({
    scenario: 'revoke',
    metric: `revokes per second (revoke-all of ${held.length} grants)`,
    value: rate,
    unit: '/s',
    floor: (COUNTS.burst / b.floors.burstRevokeSqlMs) * 1000,
    target: '≥ 1200/s',
    met: rate >= 1200 && !done.timedOut && stillLogin.length === 0,
  });
  note(
    `revoke: revoke-all → all REVOKED in ${ms} ms; per grant, revoke-all → REVOKED recorded p50 ${lat.p50} ms p99 ${lat.p99} ms (n=${lat.n}); statuses ${JSON.stringify(done.counts)}; managed roles still able to log in: ${stillLogin.length}${stillLogin.length ? ` (${stillLogin.slice(0, 5).join(', ')})` : ''}`,
  );
}
