import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Approval workflows: flows become versioned definitions (steps, quorum, timeouts,
 * auto-approval, extensions, break-glass), decisions are recorded per step, and requests
 * carry their step, escalation, pending expiry, extensions and break-glass review.
 * Existing flows are converted: their approvers become one step with quorum 1.
 */
export class ApprovalWorkflows1763950000000 implements MigrationInterface {
  name = 'ApprovalWorkflows1763950000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "access_flow_versions" ("flow_id" uuid NOT NULL, "version" integer NOT NULL, "definition" jsonb NOT NULL, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2d8dd54ee41ce73f2de5b324a20" PRIMARY KEY ("flow_id", "version"))',
    );
    await q.query(
      'CREATE TABLE "approvals" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "request_id" uuid NOT NULL, "step" integer NOT NULL, "approver_id" uuid NOT NULL, "decision" text NOT NULL, "reason" text, "channel" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_410317e798ebd9d9396c3130537" UNIQUE ("request_id", "step", "approver_id"), CONSTRAINT "PK_690417aaefa84d18b1a59e2a499" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_c118082a931baa075e1c559d63" ON "approvals" ("request_id") ');
    await q.query('ALTER TABLE "access_flows" ADD "definition" jsonb');
    await q.query(`UPDATE "access_flows" SET "definition" = jsonb_build_object(
        'name', "name",
        'integrationId', "integration_id",
        'requestorUserIds', to_jsonb("requestor_user_ids"),
        'requestorGroupIds', to_jsonb("requestor_group_ids"),
        'resources', (SELECT coalesce(jsonb_agg(r || '{"ownerIds": []}'::jsonb), '[]'::jsonb) FROM jsonb_array_elements("resources") r),
        'permissions', to_jsonb("permissions"),
        'steps', jsonb_build_array(jsonb_build_object(
          'approvers', jsonb_build_object('userIds', to_jsonb("approver_user_ids"), 'groupIds', '[]'::jsonb,
                                          'integrationOwners', false, 'resourceOwners', false),
          'quorum', 1, 'timeoutSeconds', null, 'onTimeout', 'deny', 'fallback', null)),
        'autoApprove', null,
        'allowSelfApproval', false,
        'defaultDurationSeconds', "default_duration_seconds",
        'maxDurationSeconds', "max_duration_seconds",
        'justificationRequired', "justification_required",
        'pendingTtlSeconds', 86400,
        'extensions', jsonb_build_object('maxCount', 0, 'maxDurationSeconds', "max_duration_seconds", 'auto', false),
        'breakGlassUserIds', '[]'::jsonb)`);
    await q.query(
      'INSERT INTO "access_flow_versions" ("flow_id", "version", "definition") SELECT "id", "version", "definition" FROM "access_flows"',
    );
    await q.query('ALTER TABLE "access_flows" ALTER COLUMN "definition" SET NOT NULL');
    await q.query(
      'ALTER TABLE "access_requests" ADD "approver_ids" uuid array NOT NULL DEFAULT \'{}\'',
    );
    await q.query(
      'UPDATE "access_requests" r SET "approver_ids" = f."approver_user_ids" FROM "access_flows" f WHERE f."id" = r."flow_id"',
    );
    for (const column of [
      'requestor_user_ids',
      'requestor_group_ids',
      'resources',
      'approver_user_ids',
      'default_duration_seconds',
      'max_duration_seconds',
      'justification_required',
      'permissions',
    ]) {
      await q.query(`ALTER TABLE "access_flows" DROP COLUMN "${column}"`);
    }
    await q.query(
      'ALTER TABLE "access_flows" ADD "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()',
    );
    await q.query('ALTER TABLE "access_requests" ADD "kind" text NOT NULL DEFAULT \'access\'');
    await q.query('ALTER TABLE "access_requests" ADD "extends_request_id" uuid');
    await q.query(
      'ALTER TABLE "access_requests" ADD "current_step" integer NOT NULL DEFAULT \'0\'',
    );
    await q.query('ALTER TABLE "access_requests" ADD "step_started_at" TIMESTAMP WITH TIME ZONE');
    await q.query('ALTER TABLE "access_requests" ADD "escalated" boolean NOT NULL DEFAULT false');
    await q.query(
      'ALTER TABLE "access_requests" ADD "pending_expires_at" TIMESTAMP WITH TIME ZONE',
    );
    await q.query(
      'ALTER TABLE "access_requests" ADD "extension_count" integer NOT NULL DEFAULT \'0\'',
    );
    await q.query('ALTER TABLE "access_requests" ADD "break_glass" boolean NOT NULL DEFAULT false');
    await q.query('ALTER TABLE "access_requests" ADD "review_status" text');
    await q.query('ALTER TABLE "access_requests" ADD "review_note" text');
    await q.query('ALTER TABLE "access_requests" ADD "review_closed_by" uuid');
    await q.query('ALTER TABLE "access_requests" ADD "review_closed_at" TIMESTAMP WITH TIME ZONE');
  }

  public async down(): Promise<void> {
    throw new Error(
      'ApprovalWorkflows1763950000000 converts flow definitions and cannot be undone',
    );
  }
}
