/**
 * `npm run bench`: Doorman against the database's own floor, on this machine.
 *
 * Local PostgreSQL and Redis (the broker's), a throwaway target cluster, the built broker and
 * connector as processes. Every figure is printed beside a floor measured in the same run — the
 * connector's own SQL issued directly over `pg`, `CREATE ROLE` straight on the target, a bare
 * BullMQ round trip — as a ratio, so machine noise cancels. Loopback only, bounded counts, a
 * hard deadline; not part of `npm test`. One file per scenario in bench/scenarios/.
 *
 * BENCH_SCALE=0.2 shrinks every count (a quick look; docs/benchmarks.md is then left alone);
 * CONNECTOR_CONCURRENCY sets the connector's workers and the floors' connection count (default
 * 8). The bench compiles itself and the apps into node_modules/.cache/doorman-bench.
 */
import type { BrokerTestEnv } from '../test/support/broker-env';
import type { TargetPostgres } from '../test/support/target-postgres';
import { CONCURRENCY, DEADLINE_MS, SCALE, log, report, run, scenario } from './harness';
import { credentialsRate } from './scenarios/credentials';
import { burst } from './scenarios/burst';
import { expirySameSecond } from './scenarios/expiry-same-second';
import { expirySerial } from './scenarios/expiry-serial';
import { floors } from './scenarios/floors';
import { grantLatency } from './scenarios/grant-latency';
import { revoke } from './scenarios/revoke';
import { scale } from './scenarios/scale';
import { scaleOut } from './scenarios/scale-out';
import { brokerEnv, startStack, startTarget, type Bench } from './stack';

// Ctrl-C: exit hooks stop the target cluster and the child processes.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

/** BENCH_ONLY=credentials,scale-out: only those scenarios (with what they need), for development. */
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean) ?? null;
const wanted = (name: string) => ONLY === null || ONLY.includes(name);

async function main(): Promise<void> {
  const hardStop = setTimeout(() => {
    process.stderr.write('bench: deadline reached, stopping\n');
    void report('stopped at the deadline').finally(() => process.exit(3));
  }, DEADLINE_MS);
  hardStop.unref();

  let target: TargetPostgres | undefined;
  let env: BrokerTestEnv | undefined;
  let b: Bench | undefined;
  try {
    log(
      `bench: scale ${SCALE}, connector concurrency ${CONCURRENCY}${ONLY ? `, only ${ONLY.join(', ')}` : ''}`,
    );
    target = await startTarget();
    env = await brokerEnv();
    const t = target;
    const e = env;
    const f = await scenario('floors', () => floors(t, e));
    run.floors = f;
    b = await startStack(t, e, f);
    const bench = b;
    log(`setup in ${Math.round((Date.now() - run.started) / 1000)} s`);

    const held: string[] = [];
    if (wanted('grant-latency'))
      held.push(...(await scenario('grant latency', () => grantLatency(bench))));
    if (wanted('credentials'))
      held.push(...(await scenario('credentials', () => credentialsRate(bench))));
    // Early: a run stopped at its deadline still has it.
    if (wanted('scale')) held.push(...(await scenario('scale', () => scale(bench))));
    if (wanted('burst')) held.push(...(await scenario('burst', () => burst(bench))).ids);
    if (wanted('revoke') && held.length) await scenario('revoke', () => revoke(bench, held));
    if (wanted('expiry-serial')) await scenario('expiry, one at a time', () => expirySerial(bench));
    if (wanted('expiry-same-second'))
      await scenario('expiry, same second', () => expirySameSecond(bench));
    if (wanted('scale-out')) await scenario('scale-out', () => scaleOut(bench));
    await report('complete');
  } catch (err) {
    for (const [name, p] of [
      ...(b?.brokers.map((x, i) => [`broker ${i + 1}`, x.process] as const) ?? []),
      ...(b?.connectors.map((x, i) => [`connector ${i + 1}`, x.process] as const) ?? []),
    ])
      process.stderr.write(`--- ${name} (last lines)\n${p.output}\n`);
    throw err;
  } finally {
    for (const s of b?.sessions ?? []) s.end().catch(() => undefined);
    await b?.db.end().catch(() => undefined);
    for (const c of b?.connectors ?? []) await c.process.stop();
    for (const x of b?.brokers ?? []) await x.process.stop();
    await env?.dispose().catch(() => undefined);
    await target?.stop();
    clearTimeout(hardStop);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
