import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SCIM provisioning: the identity providers allowed in (only each token's hash), and which
 * people and groups each one provisions, with the provider's own ids for them.
 */
export class Scim1765800000000 implements MigrationInterface {
  name = 'Scim1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "scim_providers" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "token_hash" text NOT NULL, "created_by_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "token_issued_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_scim_providers" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_scim_providers_name" ON "scim_providers" ("name")`);
    await q.query(
      `CREATE UNIQUE INDEX "IDX_scim_providers_token_hash" ON "scim_providers" ("token_hash")`,
    );
    await q.query(
      `CREATE TABLE "scim_users" ("user_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "external_id" text, "display_name" text, "given_name" text, "family_name" text, "deactivated_by_scim" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_scim_users" PRIMARY KEY ("user_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_scim_users_provider_id" ON "scim_users" ("provider_id")`);
    await q.query(
      `CREATE TABLE "scim_groups" ("group_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "external_id" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_scim_groups" PRIMARY KEY ("group_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_scim_groups_provider_id" ON "scim_groups" ("provider_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "scim_groups"`);
    await q.query(`DROP TABLE "scim_users"`);
    await q.query(`DROP TABLE "scim_providers"`);
  }
}
