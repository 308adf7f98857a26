import { createHash, timingSafeEqual } from 'node:crypto';

/** How long the CLI has to exchange the code it was sent (it does so at once). */
export const CLI_CODE_TTL_MS = 2 * 60_000;
/** A CLI token's life: long enough for a working month, short enough to end a lost laptop's. */
export const CLI_TOKEN_TTL_MS = 30 * 86_400_000;

/** What the CLI sends to start: its loopback port, its state, and its PKCE S256 challenge. */
export interface CliLoginStart {
  port: number;
  state: string;
  challenge: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The start's parameters, checked, or the reason they are refused. */
export function parseCliLoginStart(q: Record<string, unknown>): CliLoginStart | string {
  const port = typeof q.port === 'string' && /^\d{4,5}$/.test(q.port) ? Number(q.port) : NaN;
  if (!(port >= 1024 && port <= 65535)) return "port: the CLI's loopback port (1024–65535)";
  const state = q.state;
  if (
    typeof state !== 'string' ||
    state.length < 16 ||
    state.length > 128 ||
    !BASE64URL.test(state)
  )
    return 'state: 16 to 128 base64url characters';
  const challenge = q.challenge;
  // base64url of a SHA-256 digest, unpadded: always 43 characters.
  if (typeof challenge !== 'string' || challenge.length !== 43 || !BASE64URL.test(challenge))
    return 'challenge: base64url(SHA-256(verifier)), 43 characters (PKCE S256)';
  return { port, state, challenge };
}

/** The broker page the provider's sign-in returns to, carrying the start's parameters. */
export function completePath(start: CliLoginStart): string {
  const q = new URLSearchParams({
    port: String(start.port),
    state: start.state,
    challenge: start.challenge,
  });
  return `/auth/cli/complete?${q.toString()}`;
}

/**
 * Only ever 127.0.0.1: a code sent anywhere else could be caught on the way. The state lets the
 * CLI know the answer is to its own login.
 */
export function loopbackUrl(start: CliLoginStart, code: string): string {
  const q = new URLSearchParams({ code, state: start.state });
  return `http://127.0.0.1:${start.port}/callback?${q.toString()}`;
}

/** Where a cancelled sign-in goes: the CLI hears it at once instead of waiting for its timeout. */
export function loopbackDenial(start: CliLoginStart): string {
  const q = new URLSearchParams({ error: 'access_denied', state: start.state });
  return `http://127.0.0.1:${start.port}/callback?${q.toString()}`;
}

/** PKCE S256: the verifier hashes to the challenge the start sent (compared in constant time). */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (verifier.length < 43 || verifier.length > 128 || !/^[A-Za-z0-9._~-]+$/.test(verifier))
    return false;
  const got = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const want = Buffer.from(challenge);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Named for the machine, so a person's token list says which laptop holds which. */
export function cliTokenName(client: string | undefined): string {
  const machine = (client ?? '').replace(/[^\w.-]/g, '').slice(0, 60);
  return machine ? `doorman CLI (${machine})` : 'doorman CLI';
}
