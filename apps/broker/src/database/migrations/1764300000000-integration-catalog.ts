import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 7: each integration's catalog as its connector last read it (databases, the doctor's
 * report, the discovery in flight) and its schemas with owners, tables and grantable levels.
 */
export class IntegrationCatalog1764300000000 implements MigrationInterface {
  name = 'IntegrationCatalog1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "integration_catalogs" ("integration_id" uuid NOT NULL, "discovered_at" TIMESTAMP WITH TIME ZONE, "admin" jsonb, "databases" jsonb, "doctor" jsonb, "pending_discovery_id" uuid, "pending_since" TIMESTAMP WITH TIME ZONE, "last_error" text, "last_error_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_1127ac21e18336b2de26bb08ed7" PRIMARY KEY ("integration_id"))`,
    );
    await q.query(
      `CREATE TABLE "integration_catalog_schemas" ("integration_id" uuid NOT NULL, "database" text NOT NULL, "schema" text NOT NULL, "owner" text NOT NULL, "grantable" text array NOT NULL, "reason" text, "tables" jsonb NOT NULL, "table_count" integer NOT NULL, CONSTRAINT "PK_a072249c191256b8726447ee470" PRIMARY KEY ("integration_id", "database", "schema"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "integration_catalog_schemas"`);
    await q.query(`DROP TABLE "integration_catalogs"`);
  }
}
