import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions the connectors saw in pg_stat_activity, per database user; when each user and each
 * grant was last used; and the first-login clock of grants whose flow counts from it.
 */
export class ObservedSessions1766200000000 implements MigrationInterface {
  name = 'ObservedSessions1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "observed_sessions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "integration_id" uuid NOT NULL,
        "database_user_id" uuid NOT NULL,
        "pid" integer NOT NULL,
        "started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "database" text,
        "client_addr" text,
        "application_name" text NOT NULL DEFAULT '',
        "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "ended_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_observed_sessions" PRIMARY KEY ("id")
      )`,
    );
    // What names one session (pids are reused): the key redelivered reports upsert on.
    await q.query(
      `CREATE UNIQUE INDEX "UQ_observed_sessions_session" ON "observed_sessions" ("integration_id", "database_user_id", "pid", "started_at")`,
    );
    await q.query(
      `CREATE INDEX "IDX_observed_sessions_user_started" ON "observed_sessions" ("database_user_id", "started_at")`,
    );
    await q.query(
      `CREATE INDEX "IDX_observed_sessions_open" ON "observed_sessions" ("integration_id") WHERE "ended_at" IS NULL`,
    );
    await q.query(`ALTER TABLE "database_users" ADD "last_used_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "access_requests" ADD "first_used_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "access_requests" ADD "last_used_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "access_requests" ADD "first_login_wait_seconds" integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "access_requests" DROP COLUMN "first_login_wait_seconds"`);
    await q.query(`ALTER TABLE "access_requests" DROP COLUMN "last_used_at"`);
    await q.query(`ALTER TABLE "access_requests" DROP COLUMN "first_used_at"`);
    await q.query(`ALTER TABLE "database_users" DROP COLUMN "last_used_at"`);
    await q.query(`DROP TABLE "observed_sessions"`);
  }
}
