import type { PermissionLevel, SslMode } from '@doorman/contracts';
import {
  readDatabaseAclHealth,
  readLeftBehindRoles,
  type DatabaseAclHealth,
  type LeftBehindRole,
} from './acl-health';
import { judgeExistingRole, roleFactsOf, type RoleFactsRow } from './existing-role';
import { MARKER_ROLE } from './group-role';
import * as sql from './sql';
import { classifyError, sqlstateOf } from './sqlstate';
import type { TargetClient } from './target-client';

/** What the connector's login is and may do on the target. */
export interface AdminProfile {
  name: string;
  superuser: boolean;
  createrole: boolean;
  replication: boolean;
  signalBackend: boolean;
  /** Sees other roles' sessions in pg_stat_activity (their start, client and application). */
  readAllStats: boolean;
  versionNum: number;
  serverVersion: string;
  ssl: boolean;
  sslVersion: string | null;
  /** pg_read_all_data / pg_write_all_data, where the admin may grant them. */
  grantablePredefined: string[];
}

export interface CatalogTable {
  name: string;
  owner: string;
}

export interface CatalogSchema {
  schema: string;
  owner: string;
  tables: CatalogTable[];
  /** What the admin can give on this schema; empty with `reason` when nothing. */
  grantable: PermissionLevel[];
  reason?: string;
  /** PostgreSQL 16+: the owners the admin needs ADMIN OPTION on before it can grant here. */
  needsAdminOption?: string[];
}

export interface CatalogDatabase {
  name: string;
  owner: string;
  /** PUBLIC may connect (PostgreSQL's default): a grant on one database opens the others. */
  publicConnect: boolean;
  schemas: CatalogSchema[];
  /** Set when the database could not be read. */
  error?: string;
  /** Crowded ACLs and direct grants to login roles; absent when not read. */
  aclHealth?: DatabaseAclHealth;
}

export interface CatalogRole {
  name: string;
  grantable: boolean;
  reason?: string;
}

export interface Capabilities {
  configuredSslMode: SslMode;
  admin: AdminProfile;
  databases: CatalogDatabase[];
  /** Existing NOLOGIN roles (not Doorman's) and whether the admin will hand them out. */
  roles: CatalogRole[];
  /** pg_hba.conf rules that apply to Doorman's users, or null where the view is not readable. */
  hbaRules: string[] | null;
  /** Login roles left behind by other tools; absent when not read. */
  leftBehind?: LeftBehindRole[];
}

const ALL_LEVELS: PermissionLevel[] = ['read', 'write', 'admin'];

/**
 * Pure: the levels a schema can be granted at. A superuser can give anything. A CREATEROLE
 * admin grants as the owners (temporary membership, see acting-roles.ts), which is
 * impossible for an owner that is a superuser, and on PostgreSQL 16+ for an owner the admin
 * holds no ADMIN OPTION on (`unadministeredOwners`, empty before 16).
 */
export function grantableLevels(
  admin: Pick<AdminProfile, 'name' | 'superuser' | 'createrole'>,
  superuserOwners: readonly string[],
  unadministeredOwners: readonly string[] = [],
): { grantable: PermissionLevel[]; reason?: string; needsAdminOption?: string[] } {
  if (admin.superuser) return { grantable: ALL_LEVELS };
  if (!admin.createrole)
    return { grantable: [], reason: `${admin.name} has neither SUPERUSER nor CREATEROLE` };
  if (superuserOwners.length > 0) {
    return {
      grantable: [],
      reason: `owned (in part) by superuser ${superuserOwners.join(', ')}, which ${admin.name} cannot act for`,
    };
  }
  if (unadministeredOwners.length > 0) {
    return {
      grantable: [],
      reason: `owned (in part) by ${unadministeredOwners.join(', ')}, on which ${admin.name} holds no ADMIN OPTION (PostgreSQL 16+ needs it to act as a role it did not create)`,
      needsAdminOption: [...unadministeredOwners],
    };
  }
  return { grantable: ALL_LEVELS };
}

interface ProfileRow {
  name: string;
  superuser: boolean;
  createrole: boolean;
  replication: boolean;
  signal_backend: boolean;
  read_all_stats: boolean;
  version_num: number;
  server_version: string;
  ssl: boolean;
  ssl_version: string | null;
  grantable_predefined: string[];
}

interface SchemaRow {
  schema: string;
  owner: string;
  tables: CatalogTable[];
  superuser_owners: string[];
  unadministered_owners: string[];
}

/**
 * Reads the admin's profile and the catalog of every database it may connect to (or only of
 * those named in `only`). Read-only.
 */
export async function readCapabilities(
  target: TargetClient,
  configuredSslMode: SslMode,
  only?: readonly string[],
): Promise<Capabilities> {
  const [p] = await target.query<ProfileRow>(sql.readAdminProfile());
  const admin: AdminProfile = {
    name: p.name,
    superuser: p.superuser,
    createrole: p.createrole,
    replication: p.replication,
    signalBackend: p.signal_backend,
    readAllStats: p.read_all_stats,
    versionNum: p.version_num,
    serverVersion: p.server_version,
    ssl: p.ssl,
    sslVersion: p.ssl_version,
    grantablePredefined: p.grantable_predefined,
  };
  const databases: CatalogDatabase[] = [];
  for (const d of await target.query<{ name: string; owner: string; public_connect: boolean }>(
    sql.readDatabases(),
  )) {
    if (only && !only.includes(d.name)) continue;
    const db: CatalogDatabase = {
      name: d.name,
      owner: d.owner,
      publicConnect: d.public_connect,
      schemas: [],
    };
    try {
      for (const s of await target.query<SchemaRow>(sql.readSchemaCatalog(), d.name)) {
        db.schemas.push({
          schema: s.schema,
          owner: s.owner,
          tables: s.tables,
          ...grantableLevels(admin, s.superuser_owners, s.unadministered_owners),
        });
      }
      const [health] = await target.query<DatabaseAclHealth>(
        readDatabaseAclHealth(MARKER_ROLE),
        d.name,
      );
      db.aclHealth = health;
    } catch (err) {
      db.error = classifyError(err).code;
    }
    databases.push(db);
  }
  const roles = (await target.query<RoleFactsRow>(sql.readRoleFacts(null))).map((r) => ({
    name: r.name,
    ...judgeExistingRole(r.name, roleFactsOf(r), admin),
  }));
  let hbaRules: string[] | null = null;
  try {
    const rows = await target.query<{
      line_number: number;
      type: string;
      database: string[];
      user_name: string[];
      address: string | null;
      auth_method: string;
    }>(sql.readHbaRulesForMarker(MARKER_ROLE));
    hbaRules = rows.map((r) =>
      `line ${r.line_number}: ${r.type} ${r.database.join(',')} ${r.user_name.join(',')} ${r.address ?? ''} ${r.auth_method}`.replace(
        /\s+/g,
        ' ',
      ),
    );
  } catch (err) {
    if (sqlstateOf(err) !== '42501') throw err;
  }
  const leftBehind = await target.query<LeftBehindRole>(readLeftBehindRoles(MARKER_ROLE));
  return { configuredSslMode, admin, databases, roles, hbaRules, leftBehind };
}
