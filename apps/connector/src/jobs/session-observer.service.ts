import type { Logger } from 'pino';
import {
  CONTRACT_VERSION,
  SESSION_LIMITS,
  type ObservedSession,
  type SessionsReport,
} from '@doorman/contracts';
import { MARKER_ROLE } from '../postgres/group-role';
import { readManagedSessions } from '../postgres/session-sql';
import type { TargetClient } from '../postgres/target-client';
import { Periodic } from './periodic';
import type { ResultsPublisher } from './results.publisher';

/** One row of readManagedSessions; the session columns are null when no session matched. */
export interface SessionRow {
  now_ms: number;
  pid: number | null;
  role: string | null;
  started_ms: number | null;
  database: string | null;
  client_addr: string | null;
  application_name: string | null;
}

/**
 * The rows of readManagedSessions as one report (pure; unit-tested). The query asks for one
 * row more than the limit: when it comes back, the report is clipped and says so.
 */
export function toSessionsReport(
  connectorId: string,
  integrationId: string | undefined,
  rows: readonly SessionRow[],
  limit = SESSION_LIMITS.sessions,
): SessionsReport {
  const sessions: ObservedSession[] = [];
  for (const r of rows) {
    if (r.pid === null || r.role === null || r.started_ms === null) continue;
    sessions.push({
      role: r.role,
      pid: r.pid,
      // Microseconds are cut to milliseconds: the same session reads the same on every report.
      startedAt: new Date(Math.floor(r.started_ms)).toISOString(),
      database: r.database,
      clientAddr: r.client_addr,
      applicationName: (r.application_name ?? '').slice(0, 200),
    });
  }
  return {
    v: CONTRACT_VERSION,
    kind: 'sessions',
    connectorId,
    ...(integrationId ? { integrationId } : {}),
    at: new Date(rows[0]?.now_ms ?? Date.now()).toISOString(),
    complete: sessions.length <= limit,
    sessions: sessions.slice(0, limit),
  };
}

/**
 * Reports the live sessions of managed roles to the broker every SESSION_OBSERVE_INTERVAL_MS,
 * an empty report too (it closes the sessions seen before). Read-only: one query a report.
 * One instance per target; `integrationId` names it when the connector serves several.
 */
export class SessionObserverService {
  private readonly periodic: Periodic;

  constructor(
    private readonly connectorId: string,
    intervalMs: number,
    private readonly target: TargetClient,
    private readonly results: ResultsPublisher,
    private readonly logger: Logger,
    private readonly integrationId?: string,
  ) {
    this.periodic = new Periodic(
      intervalMs,
      () => this.report(),
      (err) => this.logger.warn({ err }, 'sessions could not be reported; next interval retries'),
    );
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  async read(): Promise<SessionsReport> {
    const rows = await this.target.query<SessionRow>(
      readManagedSessions(MARKER_ROLE, SESSION_LIMITS.sessions + 1),
    );
    return toSessionsReport(this.connectorId, this.integrationId, rows);
  }

  async report(): Promise<void> {
    const report = await this.read();
    // One report waits at a time: while the broker is away they do not pile up.
    const key = `sessions-${this.connectorId}${this.integrationId ? `-${this.integrationId}` : ''}`;
    await this.results.publish(report, key);
    this.logger.debug({ sessions: report.sessions.length }, 'sessions reported');
  }
}
