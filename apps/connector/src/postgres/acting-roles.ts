import { escapeIdentifier as ident, type QueryResultRow } from 'pg';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import * as sql from './sql';
import { isAlreadyGone, sqlstateOf } from './sqlstate';

type Run = <R extends QueryResultRow>(s: sql.Statement) => Promise<R[]>;

export interface AdminSelf {
  name: string;
  superuser: boolean;
  createrole: boolean;
  signalBackend: boolean;
  versionNum: number;
}

export async function readAdminSelf(run: Run): Promise<AdminSelf> {
  const [row] = await run<{
    name: string;
    superuser: boolean;
    createrole: boolean;
    signal_backend: boolean;
    version_num: number;
  }>(sql.readAdminSelf());
  return {
    name: row.name,
    superuser: row.superuser,
    createrole: row.createrole,
    signalBackend: row.signal_backend,
    versionNum: row.version_num,
  };
}

/** The grant a PostgreSQL 16+ admin needs to act as `role`: no privileges, only the right to take them. */
export function adminOptionFix(role: string, admin: string): string {
  return `GRANT ${ident(role)} TO ${ident(admin)} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`;
}

/**
 * Lets a non-superuser admin act as `roles`: on PostgreSQL 15 a
 * CREATEROLE role may grant itself membership in any non-superuser role; from 16 it needs
 * ADMIN OPTION on it (which it holds on the roles it created) and the membership it takes
 * must say INHERIT TRUE. A superuser owner, or (16+) a role without ADMIN OPTION, cannot be
 * borrowed: that is refused as not grantable, with the reason and the fix. Returns the undo,
 * which revokes exactly the memberships granted here; a role dropped meanwhile is fine.
 *
 * `run` decides the scope: inside a transaction the membership never outlives it; through
 * the pool it is committed, so other databases' transactions see it too.
 */
export async function actAs(
  run: Run,
  roles: readonly string[],
  what: string,
): Promise<() => Promise<void>> {
  const self = await readAdminSelf(run);
  if (self.superuser || roles.length === 0) return async () => {};
  const rows = await run<{
    name: string;
    superuser: boolean;
    member: boolean;
    admin_option: boolean;
  }>(sql.readActingRoles([...new Set(roles)]));
  const superusers = rows.filter((r) => r.superuser && r.name !== self.name).map((r) => r.name);
  if (superusers.length > 0) {
    throw ConnectorError.permanent(
      ConnectorErrorCode.NotGrantable,
      `${what}: owned by superuser ${superusers.map((s) => JSON.stringify(s)).join(', ')}, ` +
        `which the connector's admin ${JSON.stringify(self.name)} (not a superuser) cannot act for; ` +
        `transfer the objects to a non-superuser role (ALTER … OWNER TO …) or use a superuser admin`,
    );
  }
  const pg16 = self.versionNum >= 160000;
  const unadministered = pg16 ? rows.filter((r) => !r.member && !r.admin_option) : [];
  if (unadministered.length > 0) {
    throw ConnectorError.permanent(
      ConnectorErrorCode.NotGrantable,
      `${what}: the connector's admin ${JSON.stringify(self.name)} holds no ADMIN OPTION on ` +
        `${unadministered.map((r) => JSON.stringify(r.name)).join(', ')}, which PostgreSQL 16+ ` +
        `requires to act as a role it did not create; as a superuser: ` +
        unadministered.map((r) => `${adminOptionFix(r.name, self.name)};`).join(' '),
    );
  }
  const granted: string[] = [];
  const undo = async () => {
    for (const role of granted.reverse()) {
      try {
        await run(sql.revokeRoleFromAdmin(role));
      } catch (err) {
        if (!isAlreadyGone(err)) throw err;
      }
    }
  };
  try {
    for (const r of rows.filter((x) => !x.member)) {
      await run(sql.grantRoleToAdmin(r.name, pg16));
      granted.push(r.name);
    }
  } catch (err) {
    if (sqlstateOf(err) !== '42501') throw err;
    await undo().catch(() => undefined);
    throw ConnectorError.permanent(
      ConnectorErrorCode.NotGrantable,
      `${what}: the connector's admin ${JSON.stringify(self.name)} may not act as ` +
        `${rows.map((r) => JSON.stringify(r.name)).join(', ')} ` +
        `(it needs CREATEROLE${pg16 ? ' and ADMIN OPTION on them' : ''})`,
    );
  }
  return undo;
}
