#!/usr/bin/env node
/** The `doorman` command: a thin client of the broker's REST API (docs/cli.md). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './program';

/** The checkout's version: package.json above this file, whether run from source or dist/. */
function version(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file))
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

void run(process.argv, version()).then((code) => {
  process.exitCode = code;
});
