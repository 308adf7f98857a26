import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { z } from 'zod';

/**
 * Signed checkpoints of the audit chain's head, pure. The hash chain alone proves that the rows
 * it holds agree with each other; someone who can write the table behind its trigger can still
 * delete the newest rows or rewrite a row and every hash after it. A checkpoint — the head's
 * seq, id and hash, signed with the broker's Ed25519 key and sent out of the database (log,
 * audit stream) — pins the head as it was, so a later chain that lost or changed it is caught.
 */
export const AuditCheckpointSchema = z.strictObject({
  version: z.literal(1),
  /** The head row's place in the chain, and its primary key. */
  seq: z.string().regex(/^\d{1,19}$/, 'must be a decimal integer'),
  id: z.string().regex(/^\d{1,19}$/, 'must be a decimal integer'),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits'),
  /** Sealed events up to and including the head. */
  count: z.number().int().min(1),
  at: z.iso.datetime(),
  keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 hex digits'),
  signature: z.string().min(1).max(200),
});
export type AuditCheckpoint = z.infer<typeof AuditCheckpointSchema>;

export interface ChainHead {
  seq: string;
  id: string;
  hash: string;
  count: number;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
  /** base64 SPKI DER, as served and printed. */
  publicKeyDer: string;
}

/** Parses a base64 PKCS#8 DER Ed25519 private key; throws naming what is wrong. */
export function parseSigningKey(base64Pkcs8: string): SigningKey {
  const privateKey = createPrivateKey({
    key: Buffer.from(base64Pkcs8, 'base64'),
    format: 'der',
    type: 'pkcs8',
  });
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`an Ed25519 key is needed, not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    publicKey,
    keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
    publicKeyDer: der.toString('base64'),
  };
}

/** A new signing key as base64 PKCS#8 DER (what AUDIT_SIGNING_PRIVATE_KEY holds). */
export function generateSigningKey(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
}

/** The exact bytes signed: every field but the signature, in a fixed order. */
function signedBytes(c: Omit<AuditCheckpoint, 'signature'>): Buffer {
  return Buffer.from(
    JSON.stringify([
      'doorman-audit-checkpoint',
      c.version,
      c.seq,
      c.id,
      c.hash,
      c.count,
      c.at,
      c.keyId,
    ]),
  );
}

export function signCheckpoint(head: ChainHead, key: SigningKey, at: Date): AuditCheckpoint {
  const unsigned = { version: 1 as const, ...head, at: at.toISOString(), keyId: key.keyId };
  return {
    ...unsigned,
    signature: sign(null, signedBytes(unsigned), key.privateKey).toString('base64'),
  };
}

export function checkpointSignatureValid(c: AuditCheckpoint, publicKey: KeyObject): boolean {
  const { signature, ...unsigned } = c;
  return verify(null, signedBytes(unsigned), publicKey, Buffer.from(signature, 'base64'));
}

export type CheckpointVerdict =
  { matches: true; sealedSince: number } | { matches: false; reason: string; missing?: number };

/**
 * Compares today's chain with a checkpoint. `atSeq` is the row now at the checkpoint's seq (if
 * any), `countUpTo` the sealed rows at or before it, `headSeq` the chain's newest seq.
 */
export function compareWithCheckpoint(
  c: AuditCheckpoint,
  now: {
    atSeq: { id: string; hash: string } | null;
    countUpTo: number;
    headSeq: string | null;
  },
): CheckpointVerdict {
  const head = BigInt(now.headSeq ?? '0');
  const pinned = BigInt(c.seq);
  if (!now.atSeq && head >= pinned)
    return {
      matches: false,
      reason: `the event the checkpoint of ${c.at} signed (seq ${c.seq}) is gone from the chain`,
    };
  if (!now.atSeq) {
    const missing = Number(pinned - head);
    return {
      matches: false,
      missing,
      reason: `${missing} sealed event(s) missing after seq ${head}: the checkpoint of ${c.at} pins the chain at seq ${c.seq}`,
    };
  }
  if (now.atSeq.id !== c.id || now.atSeq.hash !== c.hash)
    return {
      matches: false,
      reason: `the chain no longer matches the checkpoint of ${c.at}: the event at seq ${c.seq} is not the one signed (history rewritten)`,
    };
  if (now.countUpTo !== c.count)
    return {
      matches: false,
      missing: c.count - now.countUpTo,
      reason: `the checkpoint of ${c.at} counted ${c.count} events up to seq ${c.seq}; the chain holds ${now.countUpTo}`,
    };
  return { matches: true, sealedSince: Number(head - pinned) };
}
