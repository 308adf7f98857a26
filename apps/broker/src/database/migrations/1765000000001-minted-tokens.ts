import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 18: who minted each token (a token minted for another person acts as them), and
 * whether an integration reveals credentials to such a token at all.
 */
export class MintedTokens1765000000001 implements MigrationInterface {
  name = 'MintedTokens1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_tokens" ADD "created_by_id" uuid`);
    await q.query(
      `ALTER TABLE "integrations" ADD "reveal_to_minted_tokens" boolean NOT NULL DEFAULT true`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "integrations" DROP COLUMN "reveal_to_minted_tokens"`);
    await q.query(`ALTER TABLE "api_tokens" DROP COLUMN "created_by_id"`);
  }
}
