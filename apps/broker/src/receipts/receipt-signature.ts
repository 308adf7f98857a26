import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

/**
 * Signed receipts, pure: RFC 8785 (JSON Canonicalization Scheme) bytes of the receipt, an
 * Ed25519 signature over them, detached beside the receipt; keys published as a JWKS (RFC 8037
 * OKP keys) under their RFC 7638 thumbprint. Anyone can check a receipt with the public key
 * alone, offline (the CLI, openssl): nothing here needs the broker.
 */

export interface ReceiptSignature {
  alg: 'Ed25519';
  kid: string;
  /** base64url of the 64-byte signature over `canonicalize(receipt)` as UTF-8. */
  value: string;
}

export interface SignedReceipt<R = unknown> {
  receipt: R;
  signature: ReceiptSignature;
}

export interface ReceiptJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/**
 * RFC 8785: object members sorted by their names' UTF-16 code units (what `Array.sort` does),
 * no whitespace, strings and numbers as ECMAScript's JSON.stringify writes them. A value JSON
 * cannot hold (a non-finite number, undefined in an array) is refused, never guessed.
 */
export function canonicalize(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string')
    return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`JCS: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (typeof value === 'object') {
    const json = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') return canonicalize(json.call(value));
    if (Array.isArray(value)) return `[${value.map((v) => canonicalize(v)).join(',')}]`;
    const o = value as Record<string, unknown>;
    const members = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalize(o[k])}`);
    return `{${members.join(',')}}`;
  }
  throw new Error(`JCS: a ${typeof value} is not JSON`);
}

/** The exact bytes signed. */
export function signedBytes(receipt: unknown): Buffer {
  return Buffer.from(canonicalize(receipt), 'utf8');
}

/** sha256 of the signed bytes, hex: how a receipt is referred to (the CADF export, logs). */
export function receiptDigest(receipt: unknown): string {
  return createHash('sha256').update(signedBytes(receipt)).digest('hex');
}

/** The raw public key (JWK `x`) of an Ed25519 key, base64url. */
export function publicX(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    throw new Error('an Ed25519 key is needed');
  return jwk.x;
}

/** RFC 7638 thumbprint: sha256 of the required members in lexicographic order, base64url. */
export function kidOf(x: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url');
}

export function jwkOf(x: string): ReceiptJwk {
  return { kty: 'OKP', crv: 'Ed25519', x, kid: kidOf(x), alg: 'EdDSA', use: 'sig' };
}

/** A signing key from PEM (PKCS#8); throws naming what is wrong. */
export function parseReceiptKeyPem(pem: string): KeyObject {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`an Ed25519 key is needed, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

export function generateReceiptKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

export function privateKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function signReceipt<R>(receipt: R, key: KeyObject): SignedReceipt<R> {
  const kid = kidOf(publicX(key));
  const value = sign(null, signedBytes(receipt), key).toString('base64url');
  return { receipt, signature: { alg: 'Ed25519', kid, value } };
}

export type VerifyOutcome = { ok: true; kid: string } | { ok: false; reason: string };

/** Checks a signed receipt against a JWKS; says why when it does not hold. */
export function verifyReceipt(signed: unknown, keys: { keys?: unknown }): VerifyOutcome {
  const s = signed as Partial<SignedReceipt>;
  const sig = s?.signature;
  if (!s || typeof s !== 'object' || !('receipt' in s) || !sig)
    return { ok: false, reason: 'not a signed receipt: { receipt, signature } expected' };
  if (sig.alg !== 'Ed25519')
    return { ok: false, reason: `unknown signature alg ${String(sig.alg)}` };
  const jwk = (Array.isArray(keys.keys) ? (keys.keys as Array<Partial<ReceiptJwk>>) : []).find(
    (k) => k.kid === sig.kid,
  );
  if (!jwk) return { ok: false, reason: `no key with kid ${String(sig.kid)} in the key set` };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    return { ok: false, reason: `key ${sig.kid} is not an Ed25519 key` };
  // The kid is the key's own thumbprint: a key set that renamed a key is not trusted.
  if (kidOf(jwk.x) !== sig.kid)
    return { ok: false, reason: `key ${sig.kid} does not match its thumbprint` };
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  let good: boolean;
  try {
    good = verify(null, signedBytes(s.receipt), key, Buffer.from(String(sig.value), 'base64url'));
  } catch (e) {
    return { ok: false, reason: `unreadable receipt: ${(e as Error).message}` };
  }
  return good
    ? { ok: true, kid: sig.kid }
    : { ok: false, reason: 'the signature does not match the receipt' };
}
