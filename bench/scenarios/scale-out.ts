/**
 * Scale-out: a burst of approvals → ACTIVE and a revoke-all → REVOKED with one broker and one
 * connector, then again with two of each (a second broker replica on the same database and
 * Redis, a second connector process on the same connector's queue), approvals spread over the
 * brokers. Grants/s and revokes/s of each, their ratio, and the machine's core count: on 2 cores
 * every process already shares the same two, so a second replica can only show what it costs,
 * not the gain a larger machine would give.
 */
import { cpus } from 'node:os';
import { cpuMs } from '../cpu';
import { COUNTS, check, note, run } from '../harness';
import { request, startBroker, startConnector, type Bench } from '../stack';
import { mapLimit, round } from '../stats';
import { approveAll } from './burst';
import { revokeAll } from './revoke';

async function round1(b: Bench, label: string, people: Bench['burst']) {
  const bases = b.brokers.map((x) => x.base);
  const ids = await mapLimit(people, 16, (p) => request(b, p, '1h'));
  const pids = [...b.brokers.map((x) => x.process.pid), ...b.connectors.map((x) => x.process.pid)];
  const cpu0 = pids.map((p) => cpuMs(p));
  const g = await approveAll(b, ids, bases);
  const r = await revokeAll(b, ids, bases[bases.length - 1]);
  const cpu = pids.map((p, i) => round((cpuMs(p) - cpu0[i]) / ids.length, 2));
  const out = {
    grantsPerSecond: round((ids.length / g.ms) * 1000),
    revokesPerSecond: round(r.rate),
    errors: g.failures.length + (g.done.counts.FAILED ?? 0),
    timedOut: g.done.timedOut || r.done.timedOut,
    cpuMsPerGrantAndRevoke: {
      brokers: cpu.slice(0, b.brokers.length),
      connectors: cpu.slice(b.brokers.length),
    },
  };
  note(`scale-out ${label}: ${JSON.stringify(out)}`);
  return out;
}

export async function scaleOut(b: Bench): Promise<void> {
  const k = COUNTS.scaleOut;
  const one = await round1(b, '1 broker + 1 connector', b.burst.slice(0, k));
  b.brokers.push(await startBroker(b.env));
  b.connectors.push(await startConnector(b));
  const two = await round1(b, '2 brokers + 2 connectors', b.burst.slice(k, 2 * k));
  const cores = cpus().length;
  run.details.scaleOut = { cores, one, two };
  const gRatio = two.grantsPerSecond / one.grantsPerSecond;
  const rRatio = two.revokesPerSecond / one.revokesPerSecond;
  check({
    scenario: 'scale-out',
    metric: `burst grants/s, 2+2 vs 1+1 (${two.grantsPerSecond} vs ${one.grantsPerSecond}, ${cores} cores)`,
    value: gRatio,
    unit: '×',
    target: 'measured (no gain expected on 2 cores)',
    met: two.errors === 0 && one.errors === 0 && !one.timedOut && !two.timedOut ? null : false,
  });
  check({
    scenario: 'scale-out',
    metric: `revoke-all revokes/s, 2+2 vs 1+1 (${two.revokesPerSecond} vs ${one.revokesPerSecond})`,
    value: rRatio,
    unit: '×',
    target: 'measured',
    met: null,
  });
  note(
    `scale-out: ${cores} cores for PostgreSQL (both clusters), Redis, every broker and connector and the clients: a second replica adds processes, not cores, so on this machine the ratio shows the cost of coordination rather than the gain; on a machine with cores to spare each broker and connector would take its own`,
  );
}
