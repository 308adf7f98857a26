import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per integration, what a many-target connector's heartbeats say of its server. */
export class ConnectorTargets1766600000000 implements MigrationInterface {
  name = 'ConnectorTargets1766600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "connector_targets" ("integration_id" uuid NOT NULL, "connector_id" uuid NOT NULL, "server_version" text, "last_heartbeat_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_reached_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_f35173f63756f7ebe50364f20c0" PRIMARY KEY ("integration_id"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "connector_targets"`);
  }
}
