import { MARKER_ROLE } from './group-role';

/**
 * Existing roles offered as-is: which ones Doorman will hand out, and why not.
 * Pure; the facts come from sql.readRoleFacts.
 */

/** PostgreSQL's roles that read, write or run programs on the server's file system. */
export const FILE_ACCESS_ROLES: readonly string[] = [
  'pg_execute_server_program',
  'pg_read_server_files',
  'pg_write_server_files',
];

export interface RoleAttributes {
  name: string;
  superuser: boolean;
  login: boolean;
  createrole: boolean;
  createdb: boolean;
  replication: boolean;
  bypassrls: boolean;
}

export interface RoleFacts extends RoleAttributes {
  comment: string | null;
  /** Every role this one is a member of, directly or not (empty for a superuser). */
  memberOf: RoleAttributes[];
  /** The admin holds ADMIN OPTION on it, directly or through a role whose privileges it inherits. */
  adminOption: boolean;
}

export interface GrantingAdmin {
  name: string;
  superuser: boolean;
  createrole: boolean;
  versionNum: number;
}

export interface RoleVerdict {
  grantable: boolean;
  reason?: string;
}

export interface RoleFactsRow {
  name: string;
  superuser: boolean;
  login: boolean;
  createrole: boolean;
  createdb: boolean;
  replication: boolean;
  bypassrls: boolean;
  comment: string | null;
  member_of: RoleAttributes[];
  admin_option: boolean;
}

export const roleFactsOf = (r: RoleFactsRow): RoleFacts => ({
  name: r.name,
  superuser: r.superuser,
  login: r.login,
  createrole: r.createrole,
  createdb: r.createdb,
  replication: r.replication,
  bypassrls: r.bypassrls,
  comment: r.comment,
  memberOf: r.member_of,
  adminOption: r.admin_option,
});

/** The attributes that make a role more than a bundle of privileges, by their SQL names. */
function powers(r: RoleAttributes): string[] {
  const out: string[] = [];
  if (r.superuser) out.push('SUPERUSER');
  if (r.replication) out.push('REPLICATION');
  if (r.bypassrls) out.push('BYPASSRLS');
  if (r.createrole) out.push('CREATEROLE');
  if (r.createdb) out.push('CREATEDB');
  if (r.login) out.push('LOGIN');
  return out;
}

/** Doorman names its roles doorman_* (the marker, the inheritor, groups) and comments them "doorman…". */
const isDoormans = (name: string, comment: string | null): boolean =>
  name.startsWith('doorman_') || (comment?.startsWith('doorman') ?? false);

/**
 * Whether the connector's admin may hand out membership of `name`, and why not. Refused:
 * roles that are more than privileges (SUPERUSER, REPLICATION, BYPASSRLS, CREATEROLE,
 * CREATEDB, LOGIN — on PostgreSQL before 16 a member may SET ROLE to them, so the same holds
 * for every role they belong to), file system access, Doorman's own roles, and whatever the
 * admin may not grant: a non-superuser needs CREATEROLE, and from PostgreSQL 16 ADMIN OPTION
 * on the role.
 */
export function judgeExistingRole(
  name: string,
  role: RoleFacts | null,
  admin: GrantingAdmin,
): RoleVerdict {
  const no = (reason: string): RoleVerdict => ({ grantable: false, reason });
  if (!role) return no(`role ${name} does not exist`);
  if (isDoormans(role.name, role.comment) || role.memberOf.some((m) => m.name === MARKER_ROLE))
    return no(`${name} is one of Doorman's own roles`);
  if (role.name === 'pg_database_owner')
    return no('pg_database_owner cannot have members: it is whoever owns the database');
  const own = powers(role);
  if (own.length > 0) return no(`${name} has ${own.join(', ')}`);
  const files = [role, ...role.memberOf].filter((r) => FILE_ACCESS_ROLES.includes(r.name));
  if (files.length > 0)
    return no(
      `${name}${files[0].name === name ? '' : ` is a member of ${files[0].name}, which`} gives access to the server's file system`,
    );
  for (const m of role.memberOf) {
    const p = powers(m);
    if (p.length > 0) return no(`${name} is a member of ${m.name}, which has ${p.join(', ')}`);
  }
  if (admin.superuser) return { grantable: true };
  if (!admin.createrole) return no(`${admin.name} has neither SUPERUSER nor CREATEROLE`);
  if (admin.versionNum >= 160000 && !role.adminOption)
    return no(
      `PostgreSQL 16+ lets ${admin.name} grant only roles it holds ADMIN OPTION on: GRANT "${name}" TO "${admin.name}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE (as a superuser)`,
    );
  return { grantable: true };
}
