/**
 * `npm run apply -- <file.yaml> [--dry-run]`: applies a policy file through the broker's API.
 * DOORMAN_URL (default http://127.0.0.1:8080) and DOORMAN_TOKEN (an admin or security token).
 */
import { readFileSync } from 'node:fs';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const dryRun = args.includes('--dry-run');
  const file = args.find((a) => !a.startsWith('--'));
  const token = process.env.DOORMAN_TOKEN;
  if (!file || !token) {
    process.stderr.write('usage: DOORMAN_TOKEN=… npm run apply -- <policy.yaml> [--dry-run]\n');
    return 2;
  }
  const url = (process.env.DOORMAN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const res = await fetch(`${url}/api/v1/policy/apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ yaml: readFileSync(file, 'utf8'), dryRun }),
  });
  const body = (await res.json().catch(() => ({}))) as any;
  if (res.status !== 200) {
    process.stderr.write(`${file}: ${res.status}\n`);
    for (const e of body.errors ?? [])
      process.stderr.write(
        `  ${file}:${e.line ?? '?'}: ${e.path ? `${e.path}: ` : ''}${e.message}\n`,
      );
    if (!body.errors) process.stderr.write(`  ${body.message ?? JSON.stringify(body)}\n`);
    return 1;
  }
  const changes: string[] = body.changes;
  process.stdout.write(
    `${dryRun ? 'would change' : 'changed'}: ${changes.length === 0 ? 'nothing' : ''}\n`,
  );
  for (const c of changes) process.stdout.write(`  ${c}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`apply failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
