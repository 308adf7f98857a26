/**
 * The bench's shared harness: counts and scale, the checks each scenario records (value, floor,
 * target, met), notes, and the report — a printed table, JSON in bench/results/, and on a
 * complete full-scale run the latest table in docs/benchmarks.md.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO } from './app-process';
import { renderTable, writeLatestTable } from './docs-table';
import { round, type Summary } from './stats';

export const SCALE = Number(process.env.BENCH_SCALE ?? '1');
/** A count at this run's scale (at least 10). */
export const n = (full: number) => Math.max(10, Math.round(full * SCALE));
export const CONCURRENCY = Number(process.env.CONNECTOR_CONCURRENCY ?? '8');
export const COUNTS = {
  sequential: n(500),
  burst: n(1000),
  expirySerial: n(200),
  expiryBurst: n(1000),
  scale: Math.round(100_000 * SCALE),
  /** Grants made through the front door to time what seeding the scale would take that way. */
  scaleSample: n(200),
  listCalls: 100,
  /** Vault-style: workers for seconds, each credential a person new to the integration. */
  credentialWorkers: 10,
  credentialSeconds: Math.max(2, Math.round(10 * SCALE)),
  credentialPeople: n(3000),
  scaleOut: n(500),
};
export const DEADLINE_MS = 9.75 * 60_000;

export interface Check {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  floor?: number;
  ratio?: number;
  target: string;
  met: boolean | null;
}

export interface Floors {
  grantSqlMs: Summary;
  revokeSqlMs: Summary;
  burstGrantSqlMs: number;
  burstRevokeSqlMs: number;
  bullmqHopMs: Summary;
  connections: number;
  /** `CREATE ROLE … LOGIN PASSWORD … IN ROLE <group>` at the credential workers' concurrency. */
  createRole?: { perSecond: number; mean: number; p99: number; connections: number };
}

const checks: Check[] = [];
const notes: string[] = [];
export const run = {
  started: Date.now(),
  loadAtStart: loadavg().map((x) => round(x)),
  postgres: 'unknown',
  floors: undefined as Floors | undefined,
  lists: {} as Record<string, Summary>,
  /** Each scenario's own figures beyond its checks (profiles, counters), by scenario. */
  details: {} as Record<string, unknown>,
  /** Wall time of each scenario (s). */
  timings: {} as Record<string, number>,
};

export const log = (s: string) =>
  process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${s}\n`);

export const note = (s: string) => {
  notes.push(s);
  log(`note: ${s}`);
};

export function check(c: Omit<Check, 'ratio'> & { ratio?: number }): void {
  const withRatio: Check = {
    ...c,
    value: round(c.value),
    floor: c.floor === undefined ? undefined : round(c.floor),
    ratio: c.ratio ?? (c.floor ? round(c.value / c.floor) : undefined),
  };
  checks.push(withRatio);
  log(
    `${c.scenario} · ${c.metric}: ${withRatio.value} ${c.unit}${
      withRatio.floor !== undefined ? ` (floor ${withRatio.floor}, ×${withRatio.ratio})` : ''
    } — target ${c.target}: ${c.met === null ? 'n/a' : c.met ? 'met' : 'MISSED'}`,
  );
}

/** Runs one scenario, timed; its targets met or missed are printed as it ends. */
export async function scenario<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const before = checks.length;
  const t0 = Date.now();
  log(`---- ${name}`);
  const out = await fn();
  run.timings[name] = round((Date.now() - t0) / 1000, 1);
  const mine = checks.slice(before);
  const missed = mine.filter((c) => c.met === false).length;
  log(
    `---- ${name}: ${mine.length - missed} of ${mine.length} targets met in ${run.timings[name]} s`,
  );
  return out;
}

export interface BenchResult {
  at: string;
  how: string;
  durationS: number;
  scale: number;
  machine: Record<string, unknown>;
  floors: Floors | undefined;
  counts: typeof COUNTS;
  checks: Check[];
  notes: string[];
  lists: Record<string, Summary>;
  details: Record<string, unknown>;
  timings: Record<string, number>;
  summary: string;
  file?: string;
}

/** Prints the table and writes the JSON: at the end, or with what was measured at the deadline. */
export function report(how: 'complete' | 'stopped at the deadline'): Promise<void> {
  const machine = {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    cores: cpus().length,
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    postgres: run.postgres,
    redis: redisVersion(),
    // Other work on the machine during the run (2 cores are easily shared): read with care.
    loadAverageAtStart: run.loadAtStart,
    loadAverageAtEnd: loadavg().map((x) => round(x)),
  };
  const f = run.floors;
  const missed = checks.filter((c) => c.met === false);
  // Figures shown beside a target without a pass mark (n/a) are not counted as targets.
  const judged = checks.filter((c) => c.met !== null).length;
  const summary =
    (missed.length
      ? `MISSED ${missed.length} of ${judged} targets: ${missed.map((c) => `${c.scenario} · ${c.metric}`).join('; ')}`
      : `all ${judged} targets met`) +
    (how === 'complete' ? '' : ' — STOPPED AT THE DEADLINE: later scenarios were not measured');
  const durationS = round((Date.now() - run.started) / 1000, 1);
  process.stdout.write(
    `\nDoorman bench — ${machine.cpus}, ${machine.memoryGb} GB, PostgreSQL ${machine.postgres}, ${machine.redis}, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(' ')} at start, ${machine.loadAverageAtEnd.join(' ')} at end\n` +
      (f ? `${floorLine(f)}\n\n` : '\n') +
      `${renderTable(checks)}\n\n${notes.map((x) => `- ${x}`).join('\n')}\n\n${summary} (${durationS} s; ${Object.entries(
        run.timings,
      )
        .map(([k, v]) => `${k} ${v} s`)
        .join(', ')})\n`,
  );
  const at = new Date().toISOString();
  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${at.replace(/[:.]/g, '-')}.json`);
  const result: BenchResult = {
    at,
    how,
    durationS,
    scale: SCALE,
    machine,
    floors: f,
    counts: COUNTS,
    checks,
    notes,
    lists: run.lists,
    details: run.details,
    timings: run.timings,
    summary,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`results written to ${file}`);
  // The docs hold the latest full run only: a quick look (BENCH_SCALE), some scenarios
  // (BENCH_ONLY) or a stopped run do not.
  if (
    how === 'complete' &&
    !process.env.BENCH_ONLY &&
    (SCALE === 1 || process.env.BENCH_WRITE_DOCS === '1')
  )
    return writeLatestTable({ ...result, file: `bench/results/${file.split('/').pop()}` }).then(
      () => {
        log('docs/benchmarks.md: latest table written');
      },
    );
  return Promise.resolve();
}

export function floorLine(f: Floors): string {
  return (
    `floors (same run): grant SQL p50 ${f.grantSqlMs.p50} ms, revoke SQL p50 ${f.revokeSqlMs.p50} ms, ` +
    `${COUNTS.burst} grants at ${f.connections} connections ${f.burstGrantSqlMs} ms, revokes ${f.burstRevokeSqlMs} ms, BullMQ hop p50 ${f.bullmqHopMs.p50} ms` +
    (f.createRole
      ? `, CREATE ROLE … IN ROLE at ${f.createRole.connections} connections ${f.createRole.perSecond}/s (mean ${f.createRole.mean} ms, p99 ${f.createRole.p99} ms)`
      : '')
  );
}

function redisVersion(): string {
  try {
    return execSync('redis-server --version', { encoding: 'utf8' })
      .split(' ')
      .slice(0, 3)
      .join(' ');
  } catch {
    return 'Redis (version unknown)';
  }
}
