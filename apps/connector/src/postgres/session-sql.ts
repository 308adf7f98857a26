import type { Statement } from './sql';

/**
 * The live client sessions whose session user is a member of the marker role (a role
 * Doorman manages), at most `limit` of them, oldest first, read in one statement with the
 * server's clock: the clock row comes back even when no session does. Read-only and cheap:
 * pg_stat_activity is a view over shared memory. An admin that is neither superuser nor
 * pg_read_all_stats sees backend_start as NULL on other roles' sessions; those rows are left
 * out (docs/proof-of-revocation.md says what to grant). $1 the marker role, $2 the limit.
 */
export function readManagedSessions(marker: string, limit: number): Statement {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`invalid limit ${limit}`);
  return {
    text: `SELECT floor(extract(epoch FROM c.now) * 1000)::float8 AS now_ms,
       s.pid, s.role, s.started_ms, s.database, s.client_addr, s.application_name
  FROM (SELECT now() AS now) c
  LEFT JOIN LATERAL (
    SELECT a.pid, a.usename::text AS role,
           extract(epoch FROM a.backend_start)::float8 * 1000 AS started_ms,
           a.datname::text AS database, host(a.client_addr) AS client_addr,
           coalesce(a.application_name, '') AS application_name
      FROM pg_stat_activity a
     WHERE a.backend_type = 'client backend'
       AND a.backend_start IS NOT NULL
       AND a.usesysid IN (SELECT m.member FROM pg_auth_members m
                            JOIN pg_roles mk ON mk.oid = m.roleid AND mk.rolname = $1)
     ORDER BY a.backend_start, a.pid
     LIMIT $2) s ON true`,
    values: [marker, limit],
  };
}
