import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: identity, connectors, integrations, flows, requests, database users, outbox, audit. */
export class Initial1763769600000 implements MigrationInterface {
  name = 'Initial1763769600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "access_flows" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "integration_id" uuid NOT NULL, "requestor_user_ids" uuid array NOT NULL DEFAULT \'{}\', "requestor_group_ids" uuid array NOT NULL DEFAULT \'{}\', "resources" jsonb NOT NULL, "permissions" text array NOT NULL, "approver_user_ids" uuid array NOT NULL DEFAULT \'{}\', "default_duration_seconds" integer NOT NULL, "max_duration_seconds" integer NOT NULL, "justification_required" boolean NOT NULL DEFAULT false, "version" integer NOT NULL DEFAULT \'1\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_1309020c8d8b7f47fbdb98ae917" UNIQUE ("name"), CONSTRAINT "PK_f0936314828249ff77cf173df4c" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE INDEX "IDX_2631b913033741b12deb3c9725" ON "access_flows" ("integration_id") ',
    );
    await q.query(
      'CREATE TABLE "audit_events" ("id" BIGSERIAL NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "action" text NOT NULL, "actor_id" uuid, "actor_type" text NOT NULL, "channel" text NOT NULL, "request_id" uuid, "integration_id" uuid, "details" jsonb NOT NULL DEFAULT \'{}\', CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE INDEX "IDX_fee34259aba2e16432dead8b7d" ON "audit_events" ("integration_id") ',
    );
    await q.query(
      'CREATE INDEX "IDX_b87da7375e170e6bde9093584f" ON "audit_events" ("request_id", "id") ',
    );
    await q.query(
      'CREATE TABLE "connectors" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "last_heartbeat_at" TIMESTAMP WITH TIME ZONE, "version" text, "server_version" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_bfd468c6d7ef3151e3d7c561744" UNIQUE ("name"), CONSTRAINT "PK_c1334e2a68a8de86d1732a8e3fb" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "database_users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "integration_id" uuid NOT NULL, "user_id" uuid NOT NULL, "username" text NOT NULL, "state" text NOT NULL DEFAULT \'none\', "generation" integer NOT NULL DEFAULT \'0\', "applied_generation" integer NOT NULL DEFAULT \'0\', "sealed_password" jsonb, "password_issued_at" TIMESTAMP WITH TIME ZONE, "access_ended_at" TIMESTAMP WITH TIME ZONE, "cleanup_due_at" TIMESTAMP WITH TIME ZONE, "last_error" text, CONSTRAINT "UQ_32d3773bcf5213dd4e36947887d" UNIQUE ("integration_id", "username"), CONSTRAINT "UQ_12d8208ce32d7635f27bf42912f" UNIQUE ("integration_id", "user_id"), CONSTRAINT "PK_da36977954e44630352598cc431" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "api_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "token_hash" text NOT NULL, "name" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_bbd687a104e1921e6702c6e3aad" UNIQUE ("token_hash"), CONSTRAINT "PK_c587455266b5fa8dace7194caac" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_b74883f5884a42fd8496d389b2" ON "api_tokens" ("user_id") ');
    await q.query(
      'CREATE TABLE "groups" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "member_ids" uuid array NOT NULL DEFAULT \'{}\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_664ea405ae2a10c264d582ee563" UNIQUE ("name"), CONSTRAINT "PK_659d1483316afb28afd3a90646e" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" text NOT NULL, "name" text NOT NULL, "slack_user_id" text, "roles" text array NOT NULL DEFAULT \'{}\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "UQ_c72b0807c250794d36e82342556" UNIQUE ("slack_user_id"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "integrations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "connector_id" uuid NOT NULL, "host" text NOT NULL, "port" integer NOT NULL, "databases" text array NOT NULL, "ssl_mode" text NOT NULL, "rotation_days" integer NOT NULL DEFAULT \'0\', "cleanup_days" integer NOT NULL DEFAULT \'0\', "admin_rotation_days" integer NOT NULL DEFAULT \'0\', "custom_access_details" character varying(400), "owner_ids" uuid array NOT NULL DEFAULT \'{}\', "connection_limit" integer NOT NULL DEFAULT \'10\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_4f27d3a6f2315710a44f7a6a178" UNIQUE ("name"), CONSTRAINT "PK_9adcdc6d6f3922535361ce641e8" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "outbox" ("id" BIGSERIAL NOT NULL, "queue" text NOT NULL, "job_name" text NOT NULL, "job_id" text NOT NULL, "payload" jsonb NOT NULL, "run_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_340ab539f309f03bdaa14aa7649" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "access_requests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "requester_id" uuid NOT NULL, "integration_id" uuid NOT NULL, "flow_id" uuid NOT NULL, "flow_version" integer NOT NULL, "database" text NOT NULL, "schema" text NOT NULL, "permission" text NOT NULL, "duration_seconds" integer NOT NULL, "justification" text, "status" text NOT NULL, "status_reason" text, "decided_by" uuid, "decided_at" TIMESTAMP WITH TIME ZONE, "granted_at" TIMESTAMP WITH TIME ZONE, "expires_at" TIMESTAMP WITH TIME ZONE, "ended_at" TIMESTAMP WITH TIME ZONE, "ended_by" uuid, "sync_generation" integer, "last_error" text, "sync_attempts" integer NOT NULL DEFAULT \'0\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f89e51c15e3dbea13aa248fe128" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE INDEX "IDX_de1908b1a7297ca2761fe8253b" ON "access_requests" ("status", "expires_at") ',
    );
    await q.query(
      'CREATE INDEX "IDX_48fbe421e5664255ade13bcf46" ON "access_requests" ("requester_id", "integration_id", "status") ',
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "access_requests"');
    await q.query('DROP TABLE "outbox"');
    await q.query('DROP TABLE "integrations"');
    await q.query('DROP TABLE "users"');
    await q.query('DROP TABLE "groups"');
    await q.query('DROP TABLE "api_tokens"');
    await q.query('DROP TABLE "database_users"');
    await q.query('DROP TABLE "connectors"');
    await q.query('DROP TABLE "audit_events"');
    await q.query('DROP TABLE "access_flows"');
  }
}
