import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { ObservedSession } from '@doorman/contracts';
import type { EntityManager } from 'typeorm';

/** A session of one database user, as receipts and the API show it. */
export interface SessionRecord {
  pid: number;
  database: string | null;
  clientAddr: string | null;
  applicationName: string;
  startedAt: Date;
  lastSeenAt: Date;
  /** An upper bound: the first complete report without the session. */
  endedAt: Date | null;
}

/** An ACTIVE grant whose flow counts from the first login, not used yet (row locked). */
export interface FirstLoginCandidate {
  id: string;
  requesterId: string;
  grantedAt: Date;
  durationSeconds: number;
  waitSeconds: number;
  expiresAt: Date | null;
  /** The earliest backend_start of the person's sessions in the report. */
  firstStart: Date;
}

/** An approved grant no session was seen under, with whom and which flow. */
export interface UnusedGrantRow {
  requestId: string;
  personId: string;
  personEmail: string;
  flowId: string;
  flowName: string | null;
  integrationId: string;
  database: string;
  schema: string;
  permission: string;
  status: string;
  grantedAt: Date;
  endedAt: Date | null;
}

export interface FlowGrantCount {
  flowId: string;
  flowName: string | null;
  granted: number;
}

/**
 * observed_sessions, and the usage columns of database_users and access_requests. Every write
 * is one set-based statement, safe to repeat: a report delivered twice changes nothing more.
 */
@Injectable()
export class UsageRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get tx(): EntityManager {
    return this.txHost.tx;
  }

  /**
   * New sessions inserted, known ones seen again at `at`; sessions of roles that are not this
   * integration's database users are ignored. Returns the database users that had a session.
   */
  async upsertSeen(
    integrationId: string,
    at: Date,
    sessions: readonly ObservedSession[],
  ): Promise<string[]> {
    if (sessions.length === 0) return [];
    const rows: Array<{ database_user_id: string }> = await this.tx.query(
      `INSERT INTO "observed_sessions" AS s ("integration_id", "database_user_id", "pid", "started_at",
              "database", "client_addr", "application_name", "first_seen_at", "last_seen_at")
       SELECT $1, d."id", v.pid, v.started_at, v.database, v.client_addr, v.application_name, $2, $2
         FROM unnest($3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[], $8::text[])
              AS v(role, pid, started_at, database, client_addr, application_name)
         JOIN "database_users" d ON d."integration_id" = $1 AND d."username" = v.role
       ON CONFLICT ("integration_id", "database_user_id", "pid", "started_at") DO UPDATE
          SET "last_seen_at" = GREATEST(s."last_seen_at", EXCLUDED."last_seen_at"),
              "first_seen_at" = LEAST(s."first_seen_at", EXCLUDED."first_seen_at"),
              -- seen live after a report had closed it: it had not ended
              "ended_at" = CASE WHEN s."ended_at" < EXCLUDED."last_seen_at" THEN NULL ELSE s."ended_at" END
       RETURNING s."database_user_id"`,
      [
        integrationId,
        at,
        sessions.map((s) => s.role),
        sessions.map((s) => s.pid),
        sessions.map((s) => s.startedAt),
        sessions.map((s) => s.database),
        sessions.map((s) => s.clientAddr),
        sessions.map((s) => s.applicationName),
      ],
    );
    return [...new Set(rows.map((r) => r.database_user_id))];
  }

  /**
   * Open sessions a complete report read at `at` did not hold have ended, by `at` at the
   * latest. Those seen at or after `at` (this report, or a newer one already) stay open.
   */
  async closeAbsent(integrationId: string, at: Date): Promise<number> {
    const rows: unknown[] = await this.tx.query(
      `UPDATE "observed_sessions" SET "ended_at" = $2
        WHERE "integration_id" = $1 AND "ended_at" IS NULL AND "last_seen_at" < $2
       RETURNING 1`,
      [integrationId, at],
    );
    return rows.length;
  }

  async markUsersUsed(databaseUserIds: readonly string[], at: Date): Promise<void> {
    if (databaseUserIds.length === 0) return;
    await this.tx.query(
      `UPDATE "database_users" SET "last_used_at" = GREATEST("last_used_at", $2)
        WHERE "id" = ANY($1::uuid[])`,
      [databaseUserIds, at],
    );
  }

  /**
   * The ACTIVE first-login grants of these users still waiting for their first use, locked in
   * id order, each with the earliest session start the report holds for its person.
   */
  async lockFirstLoginCandidates(
    integrationId: string,
    at: Date,
    firstStarts: ReadonlyMap<string, Date>,
  ): Promise<FirstLoginCandidate[]> {
    if (firstStarts.size === 0) return [];
    const rows: Array<{
      id: string;
      requester_id: string;
      granted_at: Date;
      duration_seconds: number;
      wait_seconds: number;
      expires_at: Date | null;
      first_start: Date;
    }> = await this.tx.query(
      `SELECT r."id", r."requester_id", r."granted_at", r."duration_seconds",
              r."first_login_wait_seconds" AS wait_seconds, r."expires_at", v.first_start
         FROM unnest($2::text[], $3::timestamptz[]) AS v(role, first_start)
         JOIN "database_users" d ON d."integration_id" = $1 AND d."username" = v.role
         JOIN "access_requests" r ON r."integration_id" = $1 AND r."requester_id" = d."user_id"
        WHERE r."status" = 'ACTIVE' AND r."first_login_wait_seconds" IS NOT NULL
          AND r."first_used_at" IS NULL AND r."granted_at" <= $4
        ORDER BY r."id"
          FOR UPDATE OF r`,
      [integrationId, [...firstStarts.keys()], [...firstStarts.values()], at],
    );
    return rows.map((r) => ({
      id: r.id,
      requesterId: r.requester_id,
      grantedAt: r.granted_at,
      durationSeconds: r.duration_seconds,
      waitSeconds: r.wait_seconds,
      expiresAt: r.expires_at,
      firstStart: r.first_start,
    }));
  }

  /** First-login grants whose end moved to first login + duration. */
  async moveExpiry(rows: ReadonlyArray<{ id: string; expiresAt: Date }>): Promise<void> {
    if (rows.length === 0) return;
    await this.tx.query(
      `UPDATE "access_requests" r SET "expires_at" = v.expires_at
         FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, expires_at)
        WHERE r."id" = v.id AND r."status" = 'ACTIVE'`,
      [rows.map((r) => r.id), rows.map((r) => r.expiresAt)],
    );
  }

  /**
   * Every grant ACTIVE at `at` of the people whose sessions the report held: used (first use
   * kept, never moved later; a session older than the grant counts from the grant).
   */
  async markGrantsUsed(
    integrationId: string,
    at: Date,
    firstStarts: ReadonlyMap<string, Date>,
  ): Promise<void> {
    if (firstStarts.size === 0) return;
    await this.tx.query(
      `UPDATE "access_requests" r
          SET "last_used_at" = GREATEST(r."last_used_at", $4),
              "first_used_at" = LEAST(r."first_used_at", GREATEST(r."granted_at", v.first_start))
         FROM unnest($2::text[], $3::timestamptz[]) AS v(role, first_start)
         JOIN "database_users" d ON d."integration_id" = $1 AND d."username" = v.role
        WHERE r."integration_id" = $1 AND r."requester_id" = d."user_id"
          AND r."status" = 'ACTIVE' AND r."granted_at" <= $4`,
      [integrationId, [...firstStarts.keys()], [...firstStarts.values()], at],
    );
  }

  /** ACTIVE first-login grants of the integration never used, whose wait ended by `at`. */
  async unusedPastWait(integrationId: string, at: Date): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.tx.query(
      `SELECT "id" FROM "access_requests"
        WHERE "integration_id" = $1 AND "status" = 'ACTIVE'
          AND "first_login_wait_seconds" IS NOT NULL AND "first_used_at" IS NULL
          AND "granted_at" + "first_login_wait_seconds" * interval '1 second' <= $2
        ORDER BY "id"`,
      [integrationId, at],
    );
    return rows.map((r) => r.id);
  }

  /** Sessions of one database user that overlap [from, to], oldest first. */
  async sessionsOf(databaseUserId: string, from: Date, to: Date): Promise<SessionRecord[]> {
    const rows: Array<{
      pid: number;
      database: string | null;
      client_addr: string | null;
      application_name: string;
      started_at: Date;
      last_seen_at: Date;
      ended_at: Date | null;
    }> = await this.tx.query(
      `SELECT "pid", "database", "client_addr", "application_name", "started_at",
              "last_seen_at", "ended_at"
         FROM "observed_sessions"
        WHERE "database_user_id" = $1 AND "started_at" <= $3
          AND COALESCE("ended_at", "last_seen_at") >= $2
        ORDER BY "started_at", "pid"
        LIMIT 1000`,
      [databaseUserId, from, to],
    );
    return rows.map((r) => ({
      pid: r.pid,
      database: r.database,
      clientAddr: r.client_addr,
      applicationName: r.application_name,
      startedAt: r.started_at,
      lastSeenAt: r.last_seen_at,
      endedAt: r.ended_at,
    }));
  }

  /**
   * Access granted since `since` (activated, not extensions) under which no session of the
   * person's database user was seen while it was active. At most `limit`, newest first.
   */
  async unusedGrants(since: Date, now: Date, limit: number): Promise<UnusedGrantRow[]> {
    const rows: Array<Record<string, unknown>> = await this.tx.query(
      `SELECT r."id", r."requester_id", u."email", r."flow_id", r."flow_name", r."integration_id",
              r."database", r."schema", r."permission", r."status", r."granted_at", r."ended_at"
         FROM "access_requests" r
         JOIN "users" u ON u."id" = r."requester_id"
        WHERE r."kind" = 'access' AND r."granted_at" IS NOT NULL AND r."granted_at" >= $1
          AND r."first_used_at" IS NULL
          AND NOT EXISTS (
                SELECT 1 FROM "observed_sessions" s
                  JOIN "database_users" d ON d."id" = s."database_user_id"
                 WHERE d."integration_id" = r."integration_id" AND d."user_id" = r."requester_id"
                   AND s."started_at" <= COALESCE(r."ended_at", $2)
                   AND COALESCE(s."ended_at", s."last_seen_at") >= r."granted_at")
        ORDER BY r."granted_at" DESC, r."id"
        LIMIT $3`,
      [since, now, limit],
    );
    return rows.map((r) => ({
      requestId: r.id as string,
      personId: r.requester_id as string,
      personEmail: r.email as string,
      flowId: r.flow_id as string,
      flowName: r.flow_name as string | null,
      integrationId: r.integration_id as string,
      database: r.database as string,
      schema: r.schema as string,
      permission: r.permission as string,
      status: r.status as string,
      grantedAt: r.granted_at as Date,
      endedAt: r.ended_at as Date | null,
    }));
  }

  /** How many grants each flow gave since `since` (activated, not extensions). */
  async grantsPerFlow(since: Date): Promise<FlowGrantCount[]> {
    const rows: Array<{ flow_id: string; flow_name: string | null; granted: number }> =
      await this.tx.query(
        `SELECT "flow_id", max("flow_name") AS flow_name, count(*)::int AS granted
           FROM "access_requests"
          WHERE "kind" = 'access' AND "granted_at" IS NOT NULL AND "granted_at" >= $1
          GROUP BY "flow_id"`,
        [since],
      );
    return rows.map((r) => ({ flowId: r.flow_id, flowName: r.flow_name, granted: r.granted }));
  }
}
