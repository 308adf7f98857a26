import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { SealedBox } from '@doorman/contracts';
import { ReceiptSigningKeyEntity } from './receipt-signing-key.entity';

/** The receipt_signing_keys table. */
@Injectable()
export class ReceiptKeysRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get rows() {
    return this.txHost.tx.getRepository(ReceiptSigningKeyEntity);
  }

  /** Newest first: the order the well-known route publishes them in. */
  all(): Promise<ReceiptSigningKeyEntity[]> {
    return this.rows.find({ order: { createdAt: 'DESC', kid: 'ASC' } });
  }

  generated(): Promise<ReceiptSigningKeyEntity | null> {
    return this.rows.findOne({ where: { source: 'generated' } });
  }

  /**
   * Keeps a key; a key already there (the same file key at every start, or the generated key
   * another replica stored first) is left as it is. The caller reads back which one won.
   */
  async insertIfAbsent(
    row: Pick<ReceiptSigningKeyEntity, 'kid' | 'publicKey' | 'source'> & {
      sealedPrivateKey: SealedBox | null;
    },
  ): Promise<void> {
    await this.rows.createQueryBuilder().insert().values(row).orIgnore().execute();
  }

  /** The generated key, sealed again to the broker's current X25519 key (seal-key rotation). */
  async reseal(kid: string, sealed: SealedBox): Promise<void> {
    await this.rows.update({ kid }, { sealedPrivateKey: sealed });
  }
}
