import { z } from 'zod';

/**
 * Permission levels a grant can carry: read, write and admin on a schema (or read
 * and write on everything), and `member` of an existing database role (a role resource).
 */
export const PERMISSION_LEVELS = ['read', 'write', 'admin', 'member'] as const;
export const PermissionLevelSchema = z.enum(PERMISSION_LEVELS);
export type PermissionLevel = z.infer<typeof PermissionLevelSchema>;
/** The levels that apply to schemas (and to everything); `member` applies to role resources only. */
export const SCHEMA_LEVELS = [
  'read',
  'write',
  'admin',
] as const satisfies readonly PermissionLevel[];
export type SchemaLevel = (typeof SCHEMA_LEVELS)[number];

/**
 * The resource "everything on the server": database and schema both `*`. Granted as
 * pg_read_all_data (read) or pg_read_all_data + pg_write_all_data (write), PostgreSQL 14+,
 * where the connector's admin may grant those roles; never as admin.
 */
export const EVERYTHING = '*';
export const EVERYTHING_ROLES: Partial<Record<PermissionLevel, readonly string[]>> = {
  read: ['pg_read_all_data'],
  write: ['pg_read_all_data', 'pg_write_all_data'],
};
export const isEverything = (r: { database: string; schema: string }): boolean =>
  r.database === EVERYTHING && r.schema === EVERYTHING;

/** Pure: the levels on everything an admin may grant, given the predefined roles it may grant. */
export function everythingLevels(grantablePredefined: readonly string[]): PermissionLevel[] {
  return SCHEMA_LEVELS.filter((level) => {
    const roles = EVERYTHING_ROLES[level];
    return roles !== undefined && roles.every((r) => grantablePredefined.includes(r));
  });
}

/**
 * An existing database role offered as-is, e.g. `pg_monitor`: kept in the same
 * (database, schema, permission) triple as everything else — database `*`, schema the role's
 * name, permission `member` — so desired state, group roles, revoke, expiry and reconciliation
 * need nothing new. `member` is valid only here, and only `member` is valid here.
 */
export const ROLE_LEVEL = 'member' as const satisfies PermissionLevel;

/** A role resource: database `*` and a schema slot holding a role name (never `*`). */
export const isRoleResource = (r: { database: string; schema: string }): boolean =>
  r.database === EVERYTHING && r.schema !== EVERYTHING;

/** The triple's (database, schema) for an existing role; refuses `*`, which means everything. */
export function roleResource(name: string): { database: string; schema: string } {
  if (name === EVERYTHING || name.length === 0)
    throw new RangeError(`${JSON.stringify(name)} is not a role name`);
  return { database: EVERYTHING, schema: name };
}

/**
 * Pure: why a (database, schema, permission) is not a valid resource and level, or null.
 * `*` is given for both database and schema (everything) or for the database only (a role);
 * everything takes read or write, a role takes member, a schema read, write or admin.
 */
export function resourceProblem(r: {
  database: string;
  schema: string;
  permission: PermissionLevel;
}): string | null {
  if (r.schema === EVERYTHING && r.database !== EVERYTHING)
    return 'database, schema: "*" as schema means everything on the server, and needs "*" as database too';
  if (isEverything(r))
    return EVERYTHING_ROLES[r.permission]
      ? null
      : 'permission: everything ("*"."*") can be asked for as read (pg_read_all_data) or write (pg_write_all_data) only';
  if (isRoleResource(r))
    return r.permission === ROLE_LEVEL
      ? null
      : `permission: role ${r.schema} is granted as member only (${r.permission} applies to schemas)`;
  return r.permission === ROLE_LEVEL
    ? 'permission: member applies to an existing role (database "*", schema the role name), not to a schema'
    : null;
}

/** How people read a resource: `role pg_monitor`, `everything`, or `app.sales`. */
export function describeResource(r: { database: string; schema: string }): string {
  if (isEverything(r)) return 'everything';
  if (isRoleResource(r)) return `role ${r.schema}`;
  return `${r.database}.${r.schema}`;
}

export const SSL_MODES = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
] as const;
export const SslModeSchema = z.enum(SSL_MODES);
export type SslMode = z.infer<typeof SslModeSchema>;
