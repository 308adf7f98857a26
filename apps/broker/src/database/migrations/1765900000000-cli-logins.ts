import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `doorman login`: the one-time codes handed to a CLI's loopback address (hashes only, with the
 * PKCE challenge), and an end for the tokens minted for it (api_tokens.expires_at; the tokens
 * people mint over REST keep none).
 */
export class CliLogins1765900000000 implements MigrationInterface {
  name = 'CliLogins1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_tokens" ADD "expires_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(
      `CREATE TABLE "cli_login_codes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "code_hash" text NOT NULL, "challenge" text NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_cli_login_codes" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "IDX_cli_login_codes_code_hash" ON "cli_login_codes" ("code_hash")`,
    );
    await q.query(
      `CREATE INDEX "IDX_cli_login_codes_expires_at" ON "cli_login_codes" ("expires_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "cli_login_codes"`);
    await q.query(`ALTER TABLE "api_tokens" DROP COLUMN "expires_at"`);
  }
}
