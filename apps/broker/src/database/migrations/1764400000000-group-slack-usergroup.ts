import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A group may follow a Slack user group (its members kept in step with it). */
export class GroupSlackUsergroup1764400000000 implements MigrationInterface {
  name = 'GroupSlackUsergroup1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "groups" ADD "slack_usergroup_id" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "groups" DROP COLUMN "slack_usergroup_id"`);
  }
}
