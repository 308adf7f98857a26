import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 20: when (by the target's clock) the newest applied sync of a database user finished,
 * so that an inventory read before it is not taken for drift.
 */
export class DatabaseUserAppliedAt1765400000000 implements MigrationInterface {
  name = 'DatabaseUserAppliedAt1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "database_users" ADD "last_applied_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "database_users" DROP COLUMN "last_applied_at"`);
  }
}
