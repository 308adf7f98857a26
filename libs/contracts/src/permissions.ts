import { z } from 'zod';

/** Permission levels a grant can carry (DESIGN §2). Existing database roles come later. */
export const PERMISSION_LEVELS = ['read', 'write', 'admin'] as const;
export const PermissionLevelSchema = z.enum(PERMISSION_LEVELS);
export type PermissionLevel = z.infer<typeof PermissionLevelSchema>;

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
  return PERMISSION_LEVELS.filter((level) => {
    const roles = EVERYTHING_ROLES[level];
    return roles !== undefined && roles.every((r) => grantablePredefined.includes(r));
  });
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
