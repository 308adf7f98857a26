import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { SealedBox } from '@doorman/contracts';

/**
 * Sealed boxes, so no password crosses Redis in the clear: the connector encrypts a new
 * password to the broker's X25519 public key before it leaves the connector; only the
 * broker's private key opens it.
 * Ephemeral-static ECDH → HKDF-SHA256 → AES-256-GCM, all from node:crypto.
 */
const INFO = Buffer.from('doorman-seal-v1');

export interface SealKeyPair {
  /** base64 of the SPKI DER encoding */
  publicKey: string;
  /** base64 of the PKCS#8 DER encoding */
  privateKey: string;
}

export function generateSealKeyPair(): SealKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
  };
}

export function loadSealPublicKey(base64Der: string): KeyObject {
  const key = createPublicKey({
    key: Buffer.from(base64Der, 'base64'),
    format: 'der',
    type: 'spki',
  });
  if (key.asymmetricKeyType !== 'x25519') throw new Error('seal public key must be an X25519 key');
  return key;
}

export function loadSealPrivateKey(base64Der: string): KeyObject {
  const key = createPrivateKey({
    key: Buffer.from(base64Der, 'base64'),
    format: 'der',
    type: 'pkcs8',
  });
  if (key.asymmetricKeyType !== 'x25519') throw new Error('seal private key must be an X25519 key');
  return key;
}

function rawPublic(key: KeyObject): Buffer {
  // The last 32 bytes of an X25519 SPKI DER are the raw public key.
  return key.export({ type: 'spki', format: 'der' }).subarray(-32);
}

function deriveKey(shared: Buffer, epk: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([epk, recipient]), INFO, 32));
}

export function seal(plaintext: string, recipientPublicKey: KeyObject): SealedBox {
  const eph = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipientPublicKey });
  const epk = rawPublic(eph.publicKey);
  const key = deriveKey(shared, epk, rawPublic(recipientPublicKey));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(INFO);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    v: 1,
    epk: eph.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

export function open(box: SealedBox, recipientPrivateKey: KeyObject): string {
  const ephPublic = loadSealPublicKey(box.epk);
  const shared = diffieHellman({ privateKey: recipientPrivateKey, publicKey: ephPublic });
  const recipientPublic = rawPublic(createPublicKey(recipientPrivateKey));
  const key = deriveKey(shared, rawPublic(ephPublic), recipientPublic);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
  decipher.setAAD(INFO);
  decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(box.ct, 'base64')), decipher.final()]).toString(
    'utf8',
  );
}

/**
 * The broker's private keys: the current one, and previous ones kept while boxes sealed to them
 * are re-sealed (key rotation). Opening tries the current key first.
 */
export class SealKeyring {
  readonly currentPublic: KeyObject;

  constructor(
    private readonly current: KeyObject,
    private readonly previous: readonly KeyObject[] = [],
  ) {
    this.currentPublic = createPublicKey(current);
  }

  static fromConfig(currentPrivate: string, previousPrivate: readonly string[] = []): SealKeyring {
    return new SealKeyring(
      loadSealPrivateKey(currentPrivate),
      previousPrivate.map(loadSealPrivateKey),
    );
  }

  /** True when the box opens with the current key (nothing to re-seal). */
  isCurrent(box: SealedBox): boolean {
    try {
      open(box, this.current);
      return true;
    } catch {
      return false;
    }
  }

  open(box: SealedBox): string {
    for (const key of [this.current, ...this.previous]) {
      try {
        return open(box, key);
      } catch {
        /* try the next key */
      }
    }
    throw new Error('no key of this broker opens the sealed box');
  }

  /** The same secret, sealed to the current key. */
  reseal(box: SealedBox): SealedBox {
    return seal(this.open(box), this.currentPublic);
  }
}
