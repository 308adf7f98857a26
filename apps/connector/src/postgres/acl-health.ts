import { escapeIdentifier as ident } from 'pg';
import type { DoctorLineMessage as DoctorLine } from '@doorman/contracts';
import type { Statement } from './sql';

/**
 * The doctor's ACL health: what makes privileges hard to take back. Objects whose ACLs list
 * many individual users (each a REVOKE someone must remember; ACLs that grow with every
 * temporary user are how other tools' grants pile up), login roles granted directly instead of
 * through a group, and login roles other tools left behind (expired, or named like Vault's
 * temporary users). Reads are bound; the lines carry the fix-it SQL. Roles Doorman manages
 * (members of the marker role), superusers and the connector's own login are not counted.
 */

/** How many individual users in one object's ACL make it crowded. */
export const CROWDED_ACL_USERS = 10;
const LISTED = 20;

export interface CrowdedObject {
  kind: 'table' | 'schema';
  schema: string;
  name: string | null;
  users: number;
}

export interface DirectUser {
  name: string;
  objects: number;
  schemas: string[];
}

export interface DatabaseAclHealth {
  crowded: CrowdedObject[];
  directUsers: DirectUser[];
  directUserCount: number;
}

export interface LeftBehindRole {
  name: string;
  expired: boolean;
  vaultLike: boolean;
  /** ACL entries and owned objects tied to it (pg_shdepend, every database). */
  dependents: number;
}

/** Per database: crowded ACLs and login roles holding privileges directly. $1 marker, $2 threshold. */
export function readDatabaseAclHealth(marker: string, threshold = CROWDED_ACL_USERS): Statement {
  return {
    text: `WITH entries AS (
  SELECT 'table' AS kind, n.nspname::text AS schema, c.relname::text AS name, x.grantee
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   CROSS JOIN LATERAL aclexplode(c.relacl) x
   WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
  UNION ALL
  SELECT 'schema', n.nspname::text, NULL, x.grantee
    FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) x
   WHERE n.nspacl IS NOT NULL
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
), users AS (
  SELECT DISTINCT e.kind, e.schema, e.name, r.rolname::text AS grantee
    FROM entries e JOIN pg_roles r ON r.oid = e.grantee
   WHERE r.rolcanlogin AND NOT r.rolsuper AND r.rolname <> current_user
     AND NOT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles mk ON mk.oid = m.roleid
                      WHERE m.member = r.oid AND mk.rolname = $1)
)
SELECT COALESCE((SELECT json_agg(o ORDER BY o.users DESC, o.kind, o.schema, o.name) FROM (
         SELECT kind, schema, name, count(*)::int AS users FROM users
          GROUP BY 1, 2, 3 HAVING count(*) >= $2 ORDER BY 4 DESC LIMIT 50) o), '[]'::json) AS crowded,
       COALESCE((SELECT json_agg(u ORDER BY u.objects DESC, u.name) FROM (
         SELECT grantee AS name, count(*)::int AS objects, array_agg(DISTINCT schema ORDER BY schema) AS schemas
           FROM users GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50) u), '[]'::json) AS "directUsers",
       (SELECT count(DISTINCT grantee)::int FROM users) AS "directUserCount"`,
    values: [marker, threshold],
  };
}

/**
 * Cluster-wide: login roles left behind — VALID UNTIL passed but the role kept, or a name in
 * Vault's default form (v-<display>-<role>-<20 random>-<unix time>). $1 the marker role.
 */
export function readLeftBehindRoles(marker: string): Statement {
  return {
    text: `SELECT r.rolname::text AS name,
       COALESCE(r.rolvaliduntil < now(), false) AS expired,
       r.rolname ~ '^v-.+-[A-Za-z0-9]{20}-[0-9]{9,10}$' AS "vaultLike",
       (SELECT count(*)::int FROM pg_shdepend s
         WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = r.oid
           AND s.deptype IN ('a', 'o')) AS dependents
  FROM pg_roles r
 WHERE r.rolcanlogin AND NOT r.rolsuper AND r.rolname <> current_user
   AND NOT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles mk ON mk.oid = m.roleid
                    WHERE m.member = r.oid AND mk.rolname = $1)
   AND (COALESCE(r.rolvaliduntil < now(), false)
        OR r.rolname ~ '^v-.+-[A-Za-z0-9]{20}-[0-9]{9,10}$')
 ORDER BY 1
 LIMIT 500`,
    values: [marker],
  };
}

const objectName = (o: CrowdedObject): string =>
  o.kind === 'schema' ? `schema ${ident(o.schema)}` : `${ident(o.schema)}.${ident(o.name ?? '')}`;

function clip<T>(items: readonly T[], render: (t: T) => string, max = LISTED): string {
  const shown = items.slice(0, max).map(render).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** Pure: the doctor's lines for one database's ACL health. */
export function databaseAclHealthLines(database: string, h: DatabaseAclHealth): DoctorLine[] {
  const out: DoctorLine[] = [];
  const first = h.crowded[0];
  out.push({
    check: `crowded ACLs ${database}`,
    status: first ? 'warn' : 'ok',
    detail: first
      ? `${h.crowded.length} object(s) list ${CROWDED_ACL_USERS} or more individual users in their ACL: ` +
        clip(h.crowded, (o) => `${objectName(o)} (${o.users} users)`)
      : `no object lists ${CROWDED_ACL_USERS} or more individual users`,
    fix: first
      ? `-- in ${ident(database)}, per object: CREATE ROLE <group> NOLOGIN; GRANT <the privileges> ON ` +
        `${first.kind === 'schema' ? objectName(first) : `TABLE ${objectName(first)}`} TO <group>; ` +
        `GRANT <group> TO <each user>; REVOKE ALL ON ` +
        `${first.kind === 'schema' ? objectName(first) : `TABLE ${objectName(first)}`} FROM <each user>;`
      : undefined,
  });
  const users = h.directUsers;
  out.push({
    check: `direct grants ${database}`,
    status: users.length > 0 ? 'info' : 'ok',
    detail:
      users.length > 0
        ? `${h.directUserCount} login role(s) hold privileges granted to them directly, not through a group: ` +
          clip(users, (u) => `${u.name} (${u.objects} object(s))`)
        : 'no login role holds privileges granted to it directly',
    fix:
      users.length > 0
        ? `-- in ${ident(database)}, once a group role holds what they need: ` +
          users
            .slice(0, 5)
            .flatMap((u) =>
              u.schemas.map(
                (s) =>
                  `REVOKE ALL ON ALL TABLES IN SCHEMA ${ident(s)} FROM ${ident(u.name)}; REVOKE ALL ON SCHEMA ${ident(s)} FROM ${ident(u.name)};`,
              ),
            )
            .join(' ')
        : undefined,
  });
  return out;
}

/** Pure: the doctor's line for login roles other tools left behind. */
export function leftBehindLine(roles: readonly LeftBehindRole[]): DoctorLine {
  if (roles.length === 0)
    return {
      check: 'roles left behind',
      status: 'ok',
      detail: 'no expired login role, none named like another tool’s temporary users',
    };
  const why = (r: LeftBehindRole) =>
    [r.expired ? 'expired' : null, r.vaultLike ? 'Vault-style name' : null]
      .filter(Boolean)
      .join(', ') + (r.dependents ? `, ${r.dependents} grant(s) or object(s)` : '');
  return {
    check: 'roles left behind',
    status: 'warn',
    detail: `${roles.length} login role(s) left behind by other tools or people: ${clip(roles, (r) => `${r.name} (${why(r)})`)}`,
    fix:
      '-- in each database where they own something: ' +
      roles
        .slice(0, 10)
        .map(
          (r) =>
            `REASSIGN OWNED BY ${ident(r.name)} TO <owner>; DROP OWNED BY ${ident(r.name)}; DROP ROLE ${ident(r.name)};`,
        )
        .join(' '),
  };
}
