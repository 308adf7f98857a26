import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Issue 18: a person can be deactivated (and reactivated), a token revoked. */
export class Deactivation1765000000000 implements MigrationInterface {
  name = 'Deactivation1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD "deactivated_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "api_tokens" ADD "revoked_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_tokens" DROP COLUMN "revoked_at"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "deactivated_at"`);
  }
}
