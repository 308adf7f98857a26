import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Issue 7: the existing roles each integration's admin can (or cannot) hand out. */
export class CatalogRoles1764500000000 implements MigrationInterface {
  name = 'CatalogRoles1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "integration_catalogs" ADD "roles" jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "integration_catalogs" DROP COLUMN "roles"`);
  }
}
