import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { seal, type SealKeyring } from '@doorman/crypto';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { SEAL_KEYRING } from '../config/seal-keyring';
import { ReceiptKeysRepository } from './receipt-keys.repository';
import {
  generateReceiptKey,
  jwkOf,
  kidOf,
  parseReceiptKeyPem,
  privateKeyPem,
  publicX,
  type ReceiptJwk,
} from './receipt-signature';

export interface ReceiptSigningKey {
  key: KeyObject;
  kid: string;
}

/**
 * The key that signs receipts: RECEIPT_SIGNING_KEY_FILE's, else one the broker generated once
 * and keeps in its database sealed to its own X25519 key — the same for every replica, across
 * restarts. Every public key that ever signed stays published by kid, so rotating (a new file,
 * or a file replacing the generated key) never breaks an older receipt. The private half is
 * never logged and never served.
 */
@Injectable()
export class ReceiptKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReceiptKeysService.name);
  private current: Promise<ReceiptSigningKey> | null = null;

  constructor(
    private readonly keys: ReceiptKeysRepository,
    @Inject(SEAL_KEYRING) private readonly keyring: SealKeyring,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { kid } = await this.signingKey();
    this.logger.log({ kid }, 'access receipts are signed with this key');
  }

  signingKey(): Promise<ReceiptSigningKey> {
    this.current ??= this.load().catch((e: unknown) => {
      this.current = null;
      throw e;
    });
    return this.current;
  }

  /** The published key set (JWKS), newest first. */
  async jwks(): Promise<{ keys: ReceiptJwk[] }> {
    return { keys: (await this.keys.all()).map((k) => jwkOf(k.publicKey)) };
  }

  private async load(): Promise<ReceiptSigningKey> {
    const file = this.config.RECEIPT_SIGNING_KEY_FILE;
    return file ? this.fromFile(file) : this.generated();
  }

  private async fromFile(path: string): Promise<ReceiptSigningKey> {
    const key = parseReceiptKeyPem(readFileSync(path, 'utf8'));
    const x = publicX(key);
    const kid = kidOf(x);
    await this.keys.insertIfAbsent({ kid, publicKey: x, source: 'file', sealedPrivateKey: null });
    return { key, kid };
  }

  private async generated(): Promise<ReceiptSigningKey> {
    let row = await this.keys.generated();
    if (!row) {
      const key = generateReceiptKey();
      const x = publicX(key);
      // Replicas starting together each try; the one-generated-key index keeps the first.
      await this.keys.insertIfAbsent({
        kid: kidOf(x),
        publicKey: x,
        source: 'generated',
        sealedPrivateKey: seal(privateKeyPem(key), this.keyring.currentPublic),
      });
      row = await this.keys.generated();
    }
    if (!row?.sealedPrivateKey) throw new Error('the generated receipt signing key is missing');
    const pem = this.keyring.open(row.sealedPrivateKey);
    // Sealed to a previous X25519 key: sealed again to the current one, so it outlives it.
    if (!this.keyring.isCurrent(row.sealedPrivateKey))
      await this.keys.reseal(row.kid, seal(pem, this.keyring.currentPublic));
    const key = parseReceiptKeyPem(pem);
    if (kidOf(publicX(key)) !== row.kid)
      throw new Error(`the stored receipt signing key does not match its kid ${row.kid}`);
    return { key, kid: row.kid };
  }
}
