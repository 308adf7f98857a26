import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Issue 5: the generation whose sync must bring back a new password (lost-password recovery). */
export class PasswordPending1763900000000 implements MigrationInterface {
  name = 'PasswordPending1763900000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "database_users" ADD "password_pending_generation" integer');
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "database_users" DROP COLUMN "password_pending_generation"');
  }
}
