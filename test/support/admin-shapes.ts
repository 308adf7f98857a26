import { escapeIdentifier as ident, escapeLiteral as lit } from 'pg';
import type { TargetPostgres } from './target-postgres';

/**
 * The connector logins managed PostgreSQL services hand out (issue 7), created in a
 * throwaway cluster by its superuser. None of them owns anything.
 */
export type AdminShape = 'superuser' | 'ibm-manager' | 'ovh-avnadmin' | 'no-signal-backend';

/** IBM Cloud Databases' "manager" inherits these (pg_create_subscription is PG16+). */
export const IBM_MANAGER_ROLES = [
  'pg_read_all_data',
  'pg_write_all_data',
  'pg_monitor',
  'pg_read_all_settings',
  'pg_read_all_stats',
  'pg_stat_scan_tables',
  'pg_signal_backend',
  'pg_checkpoint',
] as const;

export function adminShapeSql(shape: AdminShape, name: string, password: string): string[] {
  const role = ident(name);
  const pw = lit(password);
  switch (shape) {
    case 'superuser':
      return [`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD ${pw}`];
    case 'ibm-manager':
      return [
        `CREATE ROLE ${role} LOGIN CREATEROLE CREATEDB PASSWORD ${pw}`,
        `GRANT ${IBM_MANAGER_ROLES.join(', ')} TO ${role}`,
      ];
    case 'ovh-avnadmin':
      return [
        `CREATE ROLE ${role} LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE REPLICATION PASSWORD ${pw}`,
      ];
    case 'no-signal-backend':
      // IBM's manager without pg_signal_backend: sessions can only be ended through
      // membership in the user's role.
      return [
        `CREATE ROLE ${role} LOGIN CREATEROLE CREATEDB PASSWORD ${pw}`,
        `GRANT ${IBM_MANAGER_ROLES.filter((r) => r !== 'pg_signal_backend').join(', ')} TO ${role}`,
      ];
  }
}

export async function createAdmin(
  target: TargetPostgres,
  shape: AdminShape,
  name: string,
  password: string,
): Promise<void> {
  for (const s of adminShapeSql(shape, name, password)) await target.query(s);
}
