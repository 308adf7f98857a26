import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Issue 5: when each integration's connector login last rotated, when it is due, the one in flight. */
export class AdminRotations1763900000001 implements MigrationInterface {
  name = 'AdminRotations1763900000001';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "admin_rotations" ("integration_id" uuid NOT NULL, "last_rotated_at" TIMESTAMP WITH TIME ZONE, "due_at" TIMESTAMP WITH TIME ZONE, "pending_rotation_id" uuid, "pending_since" TIMESTAMP WITH TIME ZONE, "last_error" text, CONSTRAINT "PK_c977e55547cca841daceea22ffe" PRIMARY KEY ("integration_id"))',
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "admin_rotations"');
  }
}
