import { escapeIdentifier as ident, escapeLiteral as lit } from 'pg';
import type { TargetPostgres } from './target-postgres';

/**
 * The connector logins managed PostgreSQL services hand out, created in a
 * throwaway cluster by its superuser. None of them owns anything.
 */
export type AdminShape =
  'superuser' | 'ibm-manager' | 'ovh-avnadmin' | 'rds-master' | 'no-signal-backend';

/** What Amazon RDS gives its NOLOGIN `rds_superuser` role, which the master user belongs to. */
export const RDS_SUPERUSER_ROLES = [
  'pg_monitor',
  'pg_signal_backend',
  'pg_checkpoint',
  'pg_read_all_data',
  'pg_write_all_data',
] as const;

/** IBM Cloud Databases' "manager" inherits these (pg_create_subscription from PostgreSQL 16). */
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

/**
 * The bootstrap SQL a provider runs, as a superuser, to create its admin login.
 *
 * PostgreSQL 16 made CREATEROLE act only on roles held WITH ADMIN OPTION (those the admin
 * creates get it automatically, with INHERIT FALSE, SET FALSE). Assumption, not verified
 * against the providers: on 16+ they hand the predefined roles out WITH ADMIN OPTION, so
 * the admin keeps granting them as it could on 15 (IBM documents its manager granting
 * pg_monitor and pg_signal_backend on), and OVHcloud's avnadmin gets ADMIN OPTION on
 * pg_read_all_data / pg_write_all_data (which its CREATEROLE alone gave on 15) but still
 * no pg_signal_backend.
 */
export function adminShapeSql(
  shape: AdminShape,
  name: string,
  password: string,
  majorVersion = 15,
): string[] {
  const role = ident(name);
  const pw = lit(password);
  const pg16 = majorVersion >= 16;
  const handOut = (roles: readonly string[]) =>
    `GRANT ${roles.join(', ')} TO ${role}${pg16 ? ' WITH ADMIN OPTION' : ''}`;
  const ibm = pg16 ? [...IBM_MANAGER_ROLES, 'pg_create_subscription'] : [...IBM_MANAGER_ROLES];
  switch (shape) {
    case 'superuser':
      return [`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD ${pw}`];
    case 'ibm-manager':
      return [`CREATE ROLE ${role} LOGIN CREATEROLE CREATEDB PASSWORD ${pw}`, handOut(ibm)];
    case 'ovh-avnadmin':
      return [
        `CREATE ROLE ${role} LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE REPLICATION PASSWORD ${pw}`,
        ...(pg16 ? [handOut(['pg_read_all_data', 'pg_write_all_data'])] : []),
      ];
    case 'rds-master':
      // Modelled on Amazon RDS, not RDS itself: the master user has CREATEROLE and CREATEDB
      // and holds its powers through the NOLOGIN rds_superuser role (so through inheritance).
      return [
        `CREATE ROLE rds_superuser NOLOGIN`,
        `GRANT ${RDS_SUPERUSER_ROLES.join(', ')} TO rds_superuser${pg16 ? ' WITH ADMIN OPTION' : ''}`,
        `CREATE ROLE ${role} LOGIN CREATEROLE CREATEDB PASSWORD ${pw}`,
        `GRANT rds_superuser TO ${role} WITH ADMIN OPTION`,
      ];
    case 'no-signal-backend':
      // IBM's manager without pg_signal_backend: sessions can only be ended through
      // membership in the user's role.
      return [
        `CREATE ROLE ${role} LOGIN CREATEROLE CREATEDB PASSWORD ${pw}`,
        handOut(ibm.filter((r) => r !== 'pg_signal_backend')),
      ];
  }
}

export async function createAdmin(
  target: TargetPostgres,
  shape: AdminShape,
  name: string,
  password: string,
): Promise<void> {
  for (const s of adminShapeSql(shape, name, password, target.majorVersion)) {
    await target.query(s);
  }
}
