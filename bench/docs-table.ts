/**
 * docs/benchmarks.md holds the latest full run only: the part between its two markers is
 * rewritten from a result (the harness does it after a complete `npm run bench`; by hand:
 * `node node_modules/.cache/doorman-bench/bench/write-docs.js bench/results/<file>.json`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './app-process';
import type { BenchResult, Check, Floors } from './harness';
import { table } from './stats';

const START = '<!-- latest-run:start (written by the bench: bench/docs-table.ts) -->';
const END = '<!-- latest-run:end -->';

export function renderTable(list: readonly Check[]): string {
  return table(
    ['scenario', 'metric', 'value', 'floor', '× floor', 'target', 'result'],
    list.map((c) => [
      c.scenario,
      c.metric,
      `${c.value}${c.unit ? ` ${c.unit}` : ''}`,
      c.floor === undefined ? '' : String(c.floor),
      c.ratio === undefined ? '' : `×${c.ratio}`,
      c.target,
      c.met === null ? 'n/a' : c.met ? 'met' : '**MISSED**',
    ]),
  );
}

function floors(f: Floors | undefined): string {
  if (!f) return '';
  return (
    `Floors of the same run: grant SQL p50 ${f.grantSqlMs.p50} ms, revoke SQL p50 ${f.revokeSqlMs.p50} ms, ` +
    `burst grants at ${f.connections} connections ${f.burstGrantSqlMs} ms, revokes ${f.burstRevokeSqlMs} ms, ` +
    `BullMQ hop ${f.bullmqHopMs.p50} ms` +
    (f.createRole
      ? `, \`CREATE ROLE … LOGIN PASSWORD … IN ROLE\` at ${f.createRole.connections} connections ${f.createRole.perSecond}/s (mean ${f.createRole.mean} ms, p99 ${f.createRole.p99} ms)`
      : '') +
    '.'
  );
}

export function latestSection(r: BenchResult): string {
  const m = r.machine;
  const met = r.checks.filter((c) => c.met === true).length;
  const judged = r.checks.filter((c) => c.met !== null).length;
  return [
    `From \`${r.file ?? 'bench/results/'}\` (${r.at}, every scenario in ${r.durationS} s): ${String(m.cpus)}, ` +
      `${String(m.memoryGb)} GB, PostgreSQL ${String(m.postgres)}, ${String(m.redis)}, Node ${String(m.node)}; ` +
      `load average ${(m.loadAverageAtStart as number[]).join(' ')} at the start, ${(m.loadAverageAtEnd as number[]).join(' ')} at the end. ` +
      floors(r.floors),
    '',
    `**${met} of ${judged} targets met.** ${r.summary}.`,
    '',
    renderTable(r.checks),
    '',
    'Notes of the run:',
    '',
    ...r.notes.map((x) => `- ${x.replace(/\s+/g, ' ')}`),
  ].join('\n');
}

export async function writeLatestTable(r: BenchResult): Promise<void> {
  const file = join(REPO, 'docs', 'benchmarks.md');
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/benchmarks.md: markers ${START} … ${END} not found`);
  writeFileSync(
    file,
    `${text.slice(0, a + START.length)}\n\n${latestSection(r)}\n\n${text.slice(b)}`,
  );
}
