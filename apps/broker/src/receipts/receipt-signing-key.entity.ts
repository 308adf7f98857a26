import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { SealedBox } from '@doorman/contracts';

/**
 * A key that signs (or once signed) access receipts. `publicKey` is the raw Ed25519 key,
 * base64url (a JWK's `x`); `kid` its RFC 7638 thumbprint. Only a key the broker generated
 * keeps its private half, sealed to the broker's own X25519 key; a key from
 * RECEIPT_SIGNING_KEY_FILE leaves only its public half here.
 */
@Entity({ name: 'receipt_signing_keys' })
@Index('IDX_receipt_signing_keys_one_generated', ['source'], {
  unique: true,
  where: `"source" = 'generated'`,
})
export class ReceiptSigningKeyEntity {
  @PrimaryColumn({ type: 'text' })
  kid!: string;

  @Column({ name: 'public_key', type: 'text' })
  publicKey!: string;

  @Column({ type: 'text' })
  source!: 'generated' | 'file';

  @Column({ name: 'sealed_private_key', type: 'jsonb', nullable: true })
  sealedPrivateKey!: SealedBox | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
