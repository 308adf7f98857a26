/**
 * The receipt's signature, checked in the browser: RFC 8785 canonical JSON of `receipt`, then
 * Ed25519 through WebCrypto against the broker's published keys (JWKS). A small copy of the
 * CLI's check (apps/cli/src/commands/receipt.ts), which lives beside node:crypto and commander
 * and cannot go into the bundle; its unit spec holds the same RFC 8785 vectors.
 */

export interface ReceiptJwk {
  kty?: string;
  crv?: string;
  x?: string;
  kid?: string;
}

export type ReceiptVerdict = { ok: true; kid: string } | { ok: false; reason: string };

/** RFC 8785 (JCS): members sorted by UTF-16 code units, ECMAScript number and string forms. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('not a JSON number');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

function fromBase64url(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function toBase64url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The key's RFC 7638 thumbprint, which the broker uses as its kid. */
async function thumbprint(x: string, subtle: SubtleCrypto): Promise<string> {
  const members = `{"crv":"Ed25519","kty":"OKP","x":${JSON.stringify(x)}}`;
  return toBase64url(await subtle.digest('SHA-256', new TextEncoder().encode(members)));
}

/**
 * Checks the served text of a signed receipt against a key set. Never throws: anything that is
 * not a good signature by a published key is a verdict with its reason.
 */
export async function verifyReceipt(
  text: string,
  keys: { keys?: ReceiptJwk[] },
  subtle: SubtleCrypto = globalThis.crypto.subtle,
): Promise<ReceiptVerdict> {
  let signed: { receipt?: unknown; signature?: { alg?: string; kid?: string; value?: string } };
  try {
    signed = JSON.parse(text) as typeof signed;
  } catch {
    return { ok: false, reason: 'the receipt is not JSON' };
  }
  const sig = signed?.signature;
  if (!sig || !('receipt' in signed))
    return { ok: false, reason: 'not a signed receipt ({ receipt, signature } expected)' };
  if (sig.alg !== 'Ed25519') return { ok: false, reason: `unknown alg ${String(sig.alg)}` };
  const jwk = (keys.keys ?? []).find((k) => k.kid === sig.kid);
  if (!jwk) return { ok: false, reason: `no published key ${String(sig.kid)}` };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    return { ok: false, reason: `key ${sig.kid} is not an Ed25519 key` };
  try {
    if ((await thumbprint(jwk.x, subtle)) !== sig.kid)
      return { ok: false, reason: `key ${sig.kid} is not the key its kid names (RFC 7638)` };
    const key = await subtle.importKey(
      'jwk',
      { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
      { name: 'Ed25519' },
      false,
      ['verify'],
    );
    const good = await subtle.verify(
      { name: 'Ed25519' },
      key,
      fromBase64url(String(sig.value)),
      new TextEncoder().encode(canonicalJson(signed.receipt)),
    );
    return good
      ? { ok: true, kid: sig.kid }
      : { ok: false, reason: 'the signature does not match' };
  } catch (e) {
    return { ok: false, reason: `cannot check it: ${(e as Error).message}` };
  }
}
