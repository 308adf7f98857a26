import { escapeIdentifier as ident } from 'pg';
import { databaseAclHealthLines, leftBehindLine } from './acl-health';
import { adminOptionFix } from './acting-roles';
import type { Capabilities } from './capabilities';
import { MARKER_ROLE } from './group-role';

export type DoctorStatus = 'ok' | 'missing' | 'warn' | 'info';

export interface DoctorLine {
  check: string;
  status: DoctorStatus;
  detail: string;
  /** The SQL (or step) an operator runs to close the gap. */
  fix?: string;
}

/**
 * Pure: what works and what is missing for the connector's admin, one line per
 * check, with the exact SQL that fixes each gap. The same lines are printed by
 * `npm run doctor` and logged at connector start.
 */
export function doctorReport(c: Capabilities): DoctorLine[] {
  const a = c.admin;
  const me = ident(a.name);
  const pg16 = a.versionNum >= 160000;
  const out: DoctorLine[] = [
    {
      check: 'login',
      status: 'ok',
      detail: `logged in as ${a.name}, PostgreSQL ${a.serverVersion}${a.superuser ? ' (superuser)' : ''}`,
    },
  ];

  const verified = c.configuredSslMode === 'verify-full' || c.configuredSslMode === 'verify-ca';
  out.push({
    check: 'tls',
    status: !a.ssl ? 'missing' : verified ? 'ok' : 'warn',
    detail: a.ssl
      ? `TLS in use (${a.sslVersion ?? 'unknown version'}), sslmode ${c.configuredSslMode}${verified ? '' : ': the server certificate is not checked'}`
      : `no TLS (sslmode ${c.configuredSslMode})`,
    fix: verified ? undefined : 'set PGSSLMODE=verify-full and PGSSLROOTCERT=<the server CA file>',
  });

  const canManageRoles = a.superuser || a.createrole;
  out.push({
    check: 'createrole',
    status: canManageRoles ? 'ok' : 'missing',
    detail: a.superuser
      ? 'superuser: creates, alters and drops roles'
      : a.createrole
        ? `CREATEROLE: creates Doorman's roles and acts as non-superuser owners${pg16 ? ' (PostgreSQL 16+: on roles it holds ADMIN OPTION on)' : ''}`
        : 'cannot create roles: nothing can be granted',
    fix: canManageRoles ? undefined : `ALTER ROLE ${me} CREATEROLE;`,
  });

  out.push({
    check: 'terminate sessions',
    status: a.signalBackend ? 'ok' : a.createrole ? 'warn' : 'missing',
    detail: a.signalBackend
      ? `ends sessions of Doorman's users${a.superuser ? '' : ' through pg_signal_backend'}`
      : a.createrole
        ? "no pg_signal_backend: ends sessions by becoming a member of the user's role for the moment"
        : 'cannot end sessions: a revoke blocks new logins only',
    fix: a.signalBackend ? undefined : `GRANT pg_signal_backend TO ${me};`,
  });

  out.push({
    check: 'observe sessions',
    status: a.readAllStats ? 'ok' : 'warn',
    detail: a.readAllStats
      ? `sees the sessions of Doorman's users${a.superuser ? '' : ' through pg_read_all_stats'}: last use, first-login clocks and the sessions in access receipts`
      : "no pg_read_all_stats: PostgreSQL hides other roles' sessions, so last use, first-login clocks and the sessions in access receipts stay empty",
    fix: a.readAllStats ? undefined : `GRANT pg_read_all_stats TO ${me};`,
  });

  out.push({
    check: 'reassign and drop',
    status: canManageRoles ? 'ok' : 'missing',
    detail: a.superuser
      ? 'REASSIGN OWNED / DROP OWNED / DROP ROLE as superuser'
      : a.createrole
        ? `REASSIGN OWNED / DROP OWNED as a temporary member of the user and doorman_inheritor, then DROP ROLE`
        : 'cannot clean up users',
    fix: canManageRoles ? undefined : `ALTER ROLE ${me} CREATEROLE;`,
  });

  // PostgreSQL 15 and older let only a superuser alter a REPLICATION role, even its own password.
  const rotationBlocked = !a.superuser && a.replication && !pg16;
  out.push({
    check: 'rotate own password',
    status: rotationBlocked ? 'missing' : 'ok',
    detail: rotationBlocked
      ? `${a.name} has REPLICATION, and PostgreSQL ${a.serverVersion} lets only a superuser change such a role's password`
      : 'ALTER ROLE CURRENT_USER PASSWORD works',
    fix: rotationBlocked
      ? `set adminRotationDays to 0 and rotate through the provider's console or API (or, as a superuser: ALTER ROLE ${me} NOREPLICATION;)`
      : undefined,
  });

  for (const role of ['pg_read_all_data', 'pg_write_all_data']) {
    const ok = a.grantablePredefined.includes(role);
    out.push({
      check: `grant ${role}`,
      status: ok ? 'ok' : 'info',
      detail: ok
        ? `${role} can be granted (every table of every database)`
        : `${role} cannot be granted by ${a.name}`,
      // 16+: the right to grant it, without reading and writing everything itself.
      fix: ok
        ? undefined
        : `GRANT ${role} TO ${me} WITH ADMIN OPTION${pg16 ? ', INHERIT FALSE, SET FALSE' : ''};`,
    });
  }

  // Existing roles: one line, so thousands of roles do not drown the report.
  const grantableRoles = c.roles.filter((r) => r.grantable).map((r) => r.name);
  const refusedRoles = c.roles.filter((r) => !r.grantable);
  out.push({
    check: 'existing roles',
    status: 'info',
    detail:
      `grantable as member: ${grantableRoles.length ? clipList(grantableRoles) : 'none'}` +
      (refusedRoles.length
        ? `; refused: ${clipList(refusedRoles.map((r) => `${r.name} (${r.reason ?? 'refused'})`))}`
        : ''),
  });

  for (const db of c.databases) {
    if (db.error) {
      out.push({
        check: `database ${db.name}`,
        status: 'warn',
        detail: `could not be read (${db.error})`,
        fix: `GRANT CONNECT ON DATABASE ${ident(db.name)} TO ${me};`,
      });
      continue;
    }
    if (db.publicConnect) {
      out.push({
        check: `database ${db.name}`,
        status: 'info',
        detail: 'PUBLIC may connect: anyone granted another database can connect here too',
        fix: `REVOKE CONNECT ON DATABASE ${ident(db.name)} FROM PUBLIC;`,
      });
    }
    for (const s of db.schemas) {
      out.push({
        check: `grantable ${db.name}.${s.schema}`,
        status: s.grantable.length > 0 ? 'ok' : 'missing',
        detail:
          s.grantable.length > 0
            ? `${s.grantable.join(', ')} (${s.tables.length} table(s), owner ${s.owner})`
            : `nothing: ${s.reason ?? 'not grantable'}`,
        fix:
          s.grantable.length > 0
            ? undefined
            : s.needsAdminOption
              ? s.needsAdminOption.map((o) => `${adminOptionFix(o, a.name)};`).join(' ')
              : `-- as a superuser, in ${ident(db.name)}: ALTER SCHEMA ${ident(s.schema)} OWNER TO <a non-superuser role>; and ALTER TABLE … OWNER TO it for each superuser-owned table`,
      });
    }
  }

  // ACL health: what makes privileges hard to take back, per database and cluster-wide.
  for (const db of c.databases)
    if (db.aclHealth) out.push(...databaseAclHealthLines(db.name, db.aclHealth));
  if (c.leftBehind) out.push(leftBehindLine(c.leftBehind));

  out.push(
    c.hbaRules === null
      ? {
          check: 'pg_hba.conf',
          status: 'info',
          detail: 'rules not readable by this login (pg_hba_file_rules is superuser-only)',
          fix: `restrict Doorman's users, e.g.: hostssl all +${MARKER_ROLE} 10.0.0.0/8 scram-sha-256`,
        }
      : {
          check: 'pg_hba.conf',
          status: c.hbaRules.some((r) => r.includes(`+${MARKER_ROLE}`)) ? 'ok' : 'info',
          detail:
            c.hbaRules.length > 0
              ? `rules for Doorman's users: ${c.hbaRules.join('; ')}`
              : "no rule names Doorman's users",
          fix: c.hbaRules.some((r) => r.includes(`+${MARKER_ROLE}`))
            ? undefined
            : `restrict Doorman's users, e.g.: hostssl all +${MARKER_ROLE} 10.0.0.0/8 scram-sha-256`,
        },
  );
  return out;
}

function clipList(items: readonly string[], max = 20): string {
  return items.length > max
    ? `${items.slice(0, max).join(', ')} and ${items.length - max} more`
    : items.join(', ');
}

/** One line per check, the fix indented below it. */
export function renderDoctorReport(lines: readonly DoctorLine[]): string {
  const mark: Record<DoctorStatus, string> = {
    ok: 'ok     ',
    missing: 'MISSING',
    warn: 'warn   ',
    info: 'info   ',
  };
  return lines
    .map(
      (l) => `${mark[l.status]} ${l.check}: ${l.detail}${l.fix ? `\n        fix: ${l.fix}` : ''}`,
    )
    .join('\n');
}
