import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The latest proof that a database user's access ended: what the connector found in the
 * target's catalogs after a revoke, what it removed, and when it looked.
 */
export class RevokeVerification1766090000000 implements MigrationInterface {
  name = 'RevokeVerification1766090000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "database_users" ADD "revoke_verification" jsonb`);
    await q.query(`ALTER TABLE "database_users" ADD "revoke_verified_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "database_users" DROP COLUMN "revoke_verified_at"`);
    await q.query(`ALTER TABLE "database_users" DROP COLUMN "revoke_verification"`);
  }
}
