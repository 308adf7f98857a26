import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in with the company's identity provider: browser sessions (only the hash of each
 * session id) and the sign-in attempts between the redirect to the provider and its callback.
 */
export class BrowserSessions1765600000000 implements MigrationInterface {
  name = 'BrowserSessions1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "browser_sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "token_hash" text NOT NULL, "user_id" uuid NOT NULL, "auth_time" TIMESTAMP WITH TIME ZONE, "acr" text, "amr" text array NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_62bb0057d5bf51b68d790563ba3" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "IDX_browser_sessions_token_hash" ON "browser_sessions" ("token_hash")`,
    );
    await q.query(`CREATE INDEX "IDX_browser_sessions_user_id" ON "browser_sessions" ("user_id")`);
    await q.query(
      `CREATE TABLE "sign_in_attempts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "binding_hash" text NOT NULL, "state" text NOT NULL, "nonce" text NOT NULL, "code_verifier" text NOT NULL, "return_to" text NOT NULL, "max_age" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_b5b5e9a98dbb74ada205a0084d8" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "IDX_sign_in_attempts_binding_hash" ON "sign_in_attempts" ("binding_hash")`,
    );
    await q.query(
      `CREATE INDEX "IDX_sign_in_attempts_expires_at" ON "sign_in_attempts" ("expires_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "sign_in_attempts"`);
    await q.query(`DROP TABLE "browser_sessions"`);
  }
}
