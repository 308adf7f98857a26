import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Slack messages per request and recipient, updated in place as decisions arrive. */
export class SlackMessages1764000000000 implements MigrationInterface {
  name = 'SlackMessages1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "slack_messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "request_id" uuid NOT NULL, "kind" text NOT NULL, "recipient_user_id" uuid NOT NULL, "channel" text, "ts" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9bebbd00f3dea662f2d642bcf4c" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "IDX_f9fa9df0f6e87a0c1eb0bee678" ON "slack_messages" ("request_id", "kind", "recipient_user_id") `,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_f9fa9df0f6e87a0c1eb0bee678"`);
    await q.query(`DROP TABLE "slack_messages"`);
  }
}
