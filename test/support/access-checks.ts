import type { ApiClient } from './api-client';
import { waitFor } from './broker-env';
import type { TargetPostgres } from './target-postgres';

/** What a person logs in with, as revealed to them. */
export interface Creds {
  username: string;
  password: string;
}

/** Polls a request (as `api` sees it) until it reaches `want`; resolves with its view. */
export function untilStatus(api: ApiClient, id: string, want: string, timeoutMs = 30000) {
  return waitFor(
    `${id} to be ${want}`,
    async () => {
      const r = (await api.get(`/api/v1/access-requests/${id}`)).body;
      return r.status === want ? r : undefined;
    },
    timeoutMs,
    100,
  );
}

/** A fresh login with the credentials, then `SELECT * FROM <schema>.t`: false if either is refused. */
export async function canRead(
  target: TargetPostgres,
  schema: string,
  creds: Creds,
  database = 'app',
): Promise<boolean> {
  let c;
  try {
    c = await target.connect(creds.username, creds.password, database);
  } catch {
    return false;
  }
  try {
    await c.query(`SELECT * FROM ${schema}.t`);
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The database user as pg_roles has it: may it log in, and its VALID UNTIL in ms (null if none). */
export async function roleOf(
  target: TargetPostgres,
  username: string,
): Promise<{ rolcanlogin: boolean; validUntilMs: number | null } | undefined> {
  const row = (
    await target.query<{ rolcanlogin: boolean; ms: string | null }>(
      'SELECT rolcanlogin, extract(epoch FROM rolvaliduntil) * 1000 AS ms FROM pg_roles WHERE rolname = $1',
      [username],
    )
  ).rows[0];
  return (
    row && { rolcanlogin: row.rolcanlogin, validUntilMs: row.ms === null ? null : Number(row.ms) }
  );
}

/** Waits until the user's VALID UNTIL is `expiresAt` (to the second): the database's own expiry. */
export function validUntilIs(
  target: TargetPostgres,
  username: string,
  expiresAt: string | number | Date,
) {
  const want = new Date(expiresAt).getTime();
  return waitFor(`VALID UNTIL of ${username} to be ${new Date(want).toISOString()}`, async () => {
    const r = await roleOf(target, username);
    return r?.validUntilMs != null && Math.abs(r.validUntilMs - want) < 1000;
  });
}
