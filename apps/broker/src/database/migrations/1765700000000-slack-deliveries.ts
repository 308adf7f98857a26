import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Slack notices become durable jobs, retried until delivered: one-time notices record their
 * delivery per message key, and a claimed message names the job that claimed it, so that
 * job's retry can take it over.
 */
export class SlackDeliveries1765700000000 implements MigrationInterface {
  name = 'SlackDeliveries1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "slack_deliveries" ("key" text NOT NULL, "channel" text, "ts" text, "delivered_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b328c95c4b2333abf189c79f0f1" PRIMARY KEY ("key"))`,
    );
    await q.query(`ALTER TABLE "slack_messages" ADD "claimed_by" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "slack_messages" DROP COLUMN "claimed_by"`);
    await q.query(`DROP TABLE "slack_deliveries"`);
  }
}
