import { createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { contextOf, type GlobalOptions } from '../lib/context';
import { CliError, EXIT } from '../lib/exit-codes';

/**
 * receipt get, keys, verify: a grant's signed access receipt, the broker's receipt keys, and
 * an offline check of one against the other. The check is written here on its own (RFC 8785
 * canonical JSON, Ed25519 from node:crypto) rather than shared with the broker's signer, so a
 * fault in one does not hide in the other; it never touches the network.
 */

type Jwk = { kty?: string; crv?: string; x?: string; kid?: string };
type Signed = { receipt?: unknown; signature?: { alg?: string; kid?: string; value?: string } };

/** RFC 8785 (JCS): members sorted by UTF-16 code units, ECMAScript number and string forms. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('not a JSON number');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

const thumbprint = (x: string) =>
  createHash('sha256')
    .update(`{"crv":"Ed25519","kty":"OKP","x":${JSON.stringify(x)}}`)
    .digest('base64url');

export type Verdict = { ok: true; kid: string } | { ok: false; reason: string };

export function verifyOffline(signed: Signed, keys: { keys?: Jwk[] }): Verdict {
  const sig = signed.signature;
  if (!sig || !('receipt' in signed))
    return { ok: false, reason: 'not a signed receipt ({ receipt, signature } expected)' };
  if (sig.alg !== 'Ed25519') return { ok: false, reason: `unknown alg ${String(sig.alg)}` };
  const jwk = (keys.keys ?? []).find((k) => k.kid === sig.kid);
  if (!jwk) return { ok: false, reason: `no key ${String(sig.kid)} in the keys file` };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    return { ok: false, reason: `key ${sig.kid} is not an Ed25519 key` };
  if (thumbprint(jwk.x) !== sig.kid)
    return { ok: false, reason: `key ${sig.kid} is not the key its kid names (RFC 7638)` };
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  const good = verify(
    null,
    Buffer.from(canonicalJson(signed.receipt), 'utf8'),
    key,
    Buffer.from(String(sig.value), 'base64url'),
  );
  return good ? { ok: true, kid: sig.kid } : { ok: false, reason: 'the signature does not match' };
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new CliError(EXIT.NOT_FOUND, `no ${what} at ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(EXIT.USAGE, `${path} is not JSON: ${(e as Error).message}`);
  }
}

function save(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function registerReceiptCommands(program: Command): void {
  const receipt = program
    .command('receipt')
    .description('signed access receipts: get one, get the keys, verify offline')
    .addHelpText(
      'after',
      `
Examples:
  doorman receipt get <request> -o receipt.json
  doorman receipt keys -o keys.json
  doorman receipt verify receipt.json --keys keys.json   (offline)`,
    );

  receipt
    .command('get')
    .description("a request's signed receipt: who asked, who approved, what was done, how it ended")
    .argument('<request>', 'request id')
    .option('-o, --output <file>', 'write it to this file')
    .action(async (id: string, o: { output?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const signed = await ctx.api.get<Signed>(
        `/access-requests/${encodeURIComponent(id)}/receipt`,
      );
      if (!o.output) return ctx.out(JSON.stringify(signed, null, 2));
      save(o.output, signed);
      ctx.print({ saved: o.output, kid: signed.signature?.kid }, () =>
        [
          `receipt of ${id} saved to ${o.output}`,
          `check it offline: doorman receipt keys -o keys.json && doorman receipt verify ${o.output} --keys keys.json`,
        ].join('\n'),
      );
    });

  receipt
    .command('keys')
    .description("the broker's public receipt keys (JWKS, no sign-in needed)")
    .option('-o, --output <file>', 'write them to this file')
    .action(async (o: { output?: string }, cmd: Command) => {
      const base = contextOf(cmd).api.baseUrl;
      let res: Response;
      try {
        res = await fetch(`${base}/.well-known/doorman-receipt-keys`);
      } catch (e) {
        throw new CliError(
          EXIT.FAILED,
          `cannot reach the broker at ${base}: ${(e as Error).message}`,
        );
      }
      if (!res.ok)
        throw new CliError(EXIT.FAILED, `the broker answered ${res.status} for its keys`);
      const keys = (await res.json()) as { keys: Jwk[] };
      if (o.output) save(o.output, keys);
      process.stdout.write(
        o.output
          ? `${keys.keys.length} key(s) saved to ${o.output}\n`
          : `${JSON.stringify(keys, null, 2)}\n`,
      );
    });

  receipt
    .command('verify')
    .description('check a receipt against a keys file, offline (exit 0 valid, 3 not valid)')
    .argument('<receipt>', 'a file from `doorman receipt get -o`')
    .requiredOption('--keys <file>', 'a file from `doorman receipt keys -o` (the JWKS)')
    .action((file: string, o: { keys: string }, cmd: Command) => {
      const json = cmd.optsWithGlobals<GlobalOptions>().json === true;
      const signed = readJson(file, 'receipt') as Signed;
      const keys = readJson(o.keys, 'keys file') as { keys?: Jwk[] };
      const verdict = verifyOffline(signed, keys);
      const r = (signed.receipt ?? {}) as { requestId?: string; outcome?: string };
      if (!verdict.ok) throw new CliError(EXIT.REFUSED, `${file} is NOT valid: ${verdict.reason}`);
      process.stdout.write(
        json
          ? `${JSON.stringify({ valid: true, kid: verdict.kid, requestId: r.requestId ?? null })}\n`
          : `${file} is valid: signed by key ${verdict.kid} (request ${r.requestId ?? '?'}, ${r.outcome ?? '?'})\n`,
      );
    });
  // Parse errors of the subcommands end in run()'s exit codes too, not a process.exit.
  for (const c of receipt.commands) c.exitOverride();
}
