/** `node …/bench/write-docs.js bench/results/<file>.json`: that run's table into docs/benchmarks.md. */
import { readFileSync } from 'node:fs';
import { writeLatestTable } from './docs-table';
import type { BenchResult } from './harness';

const path = process.argv[2];
if (!path) throw new Error('usage: write-docs.js bench/results/<file>.json');
void writeLatestTable({ ...(JSON.parse(readFileSync(path, 'utf8')) as BenchResult), file: path });
