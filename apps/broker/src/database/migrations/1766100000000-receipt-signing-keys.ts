import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The keys that sign access receipts, by kid: every public key ever used stays here (and
 * published), so a receipt signed before a rotation still verifies. A key the broker generated
 * itself (no RECEIPT_SIGNING_KEY_FILE) keeps its private half here, sealed to the broker's
 * X25519 key, so every replica signs with the same key and it survives restarts; at most one
 * such key exists.
 */
export class ReceiptSigningKeys1766100000000 implements MigrationInterface {
  name = 'ReceiptSigningKeys1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "receipt_signing_keys" ("kid" text NOT NULL, "public_key" text NOT NULL, "source" text NOT NULL, "sealed_private_key" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_receipt_signing_keys" PRIMARY KEY ("kid"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "IDX_receipt_signing_keys_one_generated" ON "receipt_signing_keys" ("source") WHERE "source" = 'generated'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "receipt_signing_keys"`);
  }
}
