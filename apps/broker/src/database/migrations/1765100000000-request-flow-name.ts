import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Issue 20: a request shows the flow that judged it by name, as the flow was named then. */
export class RequestFlowName1765100000000 implements MigrationInterface {
  name = 'RequestFlowName1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "access_requests" ADD "flow_name" text`);
    await q.query(
      `UPDATE "access_requests" r SET "flow_name" = v."definition"->>'name'
         FROM "access_flow_versions" v
        WHERE v."flow_id" = r."flow_id" AND v."version" = r."flow_version"`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "access_requests" DROP COLUMN "flow_name"`);
  }
}
