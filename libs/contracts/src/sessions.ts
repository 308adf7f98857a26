import { z } from 'zod';
import { CONTRACT_VERSION } from './queues';

/** Limits of one sessions report; the connector clips to them and says so (`complete: false`). */
export const SESSION_LIMITS = { sessions: 5000 };

/** One backend of a Doorman-managed role, as pg_stat_activity shows it. */
export const ObservedSessionSchema = z.object({
  /** The session user (a managed role). */
  role: z.string().min(1).max(63),
  pid: z.number().int().positive(),
  /** backend_start: with the pid, what names one session (pids are reused). */
  startedAt: z.string().datetime({ offset: true }),
  database: z.string().max(63).nullable(),
  clientAddr: z.string().max(100).nullable(),
  applicationName: z.string().max(200),
});
export type ObservedSession = z.infer<typeof ObservedSessionSchema>;

/**
 * The connector's periodic read of the live sessions of managed roles. A session absent from
 * a complete report has ended (at the latest by `at`); an empty report is still sent.
 */
export const SessionsReportSchema = z.object({
  v: z.literal(CONTRACT_VERSION),
  kind: z.literal('sessions'),
  connectorId: z.string().uuid(),
  /**
   * The integration observed; absent from a one-target connector, whose integration the
   * broker knows from the connector.
   */
  integrationId: z.string().uuid().optional(),
  /** The target's clock when pg_stat_activity was read. */
  at: z.string().datetime({ offset: true }),
  /** False when the list was clipped to SESSION_LIMITS: absent sessions are then not ended. */
  complete: z.boolean(),
  sessions: z.array(ObservedSessionSchema).max(SESSION_LIMITS.sessions),
});
export type SessionsReport = z.infer<typeof SessionsReportSchema>;
