import { escapeIdentifier, escapeLiteral } from 'pg';
import type { SchemaLevel } from '@doorman/contracts';

/**
 * Pure SQL builders from a closed set of operations. Every identifier goes
 * through escapeIdentifier; every value is bound where PostgreSQL accepts parameters.
 * Utility statements (CREATE/ALTER ROLE, COMMENT, GRANT, …) take no parameters, so their
 * few literals go through escapeLiteral. Golden-tested in sql.spec.ts.
 */
export interface Statement {
  text: string;
  values: unknown[];
}

const utility = (text: string): Statement => ({ text, values: [] });
const ident = escapeIdentifier;

/** `infinity` or an instant; rendered as an ISO 8601 UTC literal. */
export type ValidUntil = Date | 'infinity';

function validUntilLiteral(v: ValidUntil): string {
  return escapeLiteral(v === 'infinity' ? 'infinity' : v.toISOString());
}

function connectionLimit(n: number): string {
  if (!Number.isInteger(n) || n < -1) throw new RangeError(`invalid connection limit ${n}`);
  return String(n);
}

// ---- transaction preamble -------------------------------------------------------------

/** SET LOCAL of the job's statement_timeout and application_name, bound, in one round trip. */
export function setLocals(statementTimeoutMs: number, applicationName: string): Statement {
  return {
    text: "SELECT set_config('statement_timeout', $1, true), set_config('application_name', $2, true)",
    values: [String(statementTimeoutMs), applicationName],
  };
}

/** Serialises work on one key within the current database until the transaction ends. */
export function advisoryXactLock(key: bigint): Statement {
  return { text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [key.toString()] };
}

/**
 * A savepoint in the current transaction: one group role that cannot be made is rolled back
 * to it alone, and the others go on.
 */
export function savepoint(name: string): Statement {
  return utility(`SAVEPOINT ${ident(name)}`);
}

export function releaseSavepoint(name: string): Statement {
  return utility(`RELEASE SAVEPOINT ${ident(name)}`);
}

export function rollbackToSavepoint(name: string): Statement {
  return utility(`ROLLBACK TO SAVEPOINT ${ident(name)}`);
}

/**
 * The server's clock now (not the transaction's start): read as a sync's last statement, it
 * bounds what an inventory taken before the commit could see.
 */
export function readClock(): Statement {
  return utility('SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms');
}

// ---- roles ------------------------------------------------------------------------------

export function createNologinRole(name: string): Statement {
  return utility(`CREATE ROLE ${ident(name)} NOLOGIN`);
}

export interface CreateLoginRole {
  username: string;
  /** SCRAM-SHA-256 verifier, never the password itself. */
  verifier: string;
  validUntil: ValidUntil;
  connectionLimit: number;
  marker: string;
}

export function createLoginRole(o: CreateLoginRole): Statement {
  return utility(
    `CREATE ROLE ${ident(o.username)} LOGIN PASSWORD ${escapeLiteral(o.verifier)}` +
      ` VALID UNTIL ${validUntilLiteral(o.validUntil)} CONNECTION LIMIT ${connectionLimit(o.connectionLimit)}` +
      ` IN ROLE ${ident(o.marker)}`,
  );
}

export function alterRoleLogin(username: string, login: boolean): Statement {
  return utility(`ALTER ROLE ${ident(username)} ${login ? 'LOGIN' : 'NOLOGIN'}`);
}

export function alterRoleValidUntil(username: string, validUntil: ValidUntil): Statement {
  return utility(`ALTER ROLE ${ident(username)} VALID UNTIL ${validUntilLiteral(validUntil)}`);
}

export function alterRoleConnectionLimit(username: string, limit: number): Statement {
  return utility(`ALTER ROLE ${ident(username)} CONNECTION LIMIT ${connectionLimit(limit)}`);
}

export function alterRolePassword(username: string, verifier: string): Statement {
  return utility(`ALTER ROLE ${ident(username)} PASSWORD ${escapeLiteral(verifier)}`);
}

/** The connector's own login: only ever a SCRAM verifier, never the password. */
export function alterCurrentUserPassword(verifier: string): Statement {
  if (!verifier.startsWith('SCRAM-SHA-256$'))
    throw new RangeError('the connector sets its own password only as a SCRAM verifier');
  return utility(`ALTER ROLE CURRENT_USER PASSWORD ${escapeLiteral(verifier)}`);
}

/**
 * On PostgreSQL 16+ the member inherits the group's privileges but may not SET ROLE to it,
 * so revoking the membership takes effect in open sessions too.
 */
export function grantMembership(group: string, member: string, inheritOnly: boolean): Statement {
  return utility(
    `GRANT ${ident(group)} TO ${ident(member)}${inheritOnly ? ' WITH INHERIT TRUE, SET FALSE' : ''}`,
  );
}

export function revokeMembership(group: string, member: string): Statement {
  return utility(`REVOKE ${ident(group)} FROM ${ident(member)}`);
}

export function commentOnRole(role: string, comment: string): Statement {
  return utility(`COMMENT ON ROLE ${ident(role)} IS ${escapeLiteral(comment)}`);
}

export function dropRole(role: string): Statement {
  return utility(`DROP ROLE ${ident(role)}`);
}

export function reassignOwned(from: string, to: string): Statement {
  return utility(`REASSIGN OWNED BY ${ident(from)} TO ${ident(to)}`);
}

export function dropOwned(role: string): Statement {
  return utility(`DROP OWNED BY ${ident(role)}`);
}

// ---- group role privileges --------------------------------------------------------------

type ObjectClass = 'TABLES' | 'SEQUENCES' | 'ROUTINES';
interface PrivilegeSet {
  cls: ObjectClass;
  privileges: string;
}

/** What each permission level holds on a schema's objects. A closed set. */
export const PERMISSION_PRIVILEGES: Record<SchemaLevel, readonly PrivilegeSet[]> = {
  read: [{ cls: 'TABLES', privileges: 'SELECT' }],
  write: [
    { cls: 'TABLES', privileges: 'SELECT, INSERT, UPDATE, DELETE' },
    { cls: 'SEQUENCES', privileges: 'USAGE, SELECT, UPDATE' },
  ],
  admin: [
    { cls: 'TABLES', privileges: 'ALL' },
    { cls: 'SEQUENCES', privileges: 'ALL' },
    { cls: 'ROUTINES', privileges: 'ALL' },
  ],
};

export interface SchemaGrant {
  database: string;
  schema: string;
  permission: SchemaLevel;
  group: string;
  /** Schema owner and every owner of objects in the schema (ALTER DEFAULT PRIVILEGES FOR ROLE). */
  owners: readonly string[];
}

/**
 * Everything a group role holds, in order. GRANT is idempotent in PostgreSQL, so the list
 * can be re-applied to repair drift. Default privileges are set FOR ROLE each owner: they
 * only cover objects created by the role they name.
 */
export function schemaGrantStatements(g: SchemaGrant): Statement[] {
  const schema = ident(g.schema);
  const group = ident(g.group);
  const out: Statement[] = [
    utility(`GRANT CONNECT ON DATABASE ${ident(g.database)} TO ${group}`),
    utility(
      `GRANT ${g.permission === 'admin' ? 'USAGE, CREATE' : 'USAGE'} ON SCHEMA ${schema} TO ${group}`,
    ),
  ];
  for (const p of PERMISSION_PRIVILEGES[g.permission]) {
    out.push(utility(`GRANT ${p.privileges} ON ALL ${p.cls} IN SCHEMA ${schema} TO ${group}`));
  }
  for (const owner of [...new Set(g.owners)].sort()) {
    for (const p of PERMISSION_PRIVILEGES[g.permission]) {
      out.push(
        utility(
          `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)} IN SCHEMA ${schema} GRANT ${p.privileges} ON ${p.cls} TO ${group}`,
        ),
      );
    }
  }
  return out;
}

/**
 * The group for "everything on the server": a member of PostgreSQL's predefined
 * pg_read_all_data (and pg_write_all_data for write), which cover every table, view and
 * sequence of every database, those created later included.
 */
export function everythingGrantStatements(group: string, roles: readonly string[]): Statement[] {
  return roles.map((r) => utility(`GRANT ${ident(r)} TO ${ident(group)}`));
}

/**
 * The group for an existing role: a member of it, nothing else. Granted by the
 * admin itself (never as another role), so PostgreSQL's own rule on who may grant the role
 * applies on top of Doorman's checks (existing-role.ts).
 */
export function existingRoleGrant(group: string, role: string): Statement {
  return utility(`GRANT ${ident(role)} TO ${ident(group)}`);
}

/**
 * What decides whether an existing role may be offered (existing-role.ts): its attributes,
 * every role it is a member of (directly or not) with theirs, and whether the connector's
 * admin holds ADMIN OPTION on it (PostgreSQL 16+), directly or through a role whose privileges
 * it inherits: PostgreSQL 16+ picks the grantor among those, and answers "no possible
 * grantors" (XX000) for ADMIN OPTION held only through a NOINHERIT membership.
 * `names` null: every NOLOGIN role but Doorman's (the catalog); otherwise those roles, LOGIN or not.
 */
export function readRoleFacts(names: readonly string[] | null): Statement {
  return {
    text: `SELECT r.rolname::text AS name, r.rolsuper AS superuser, r.rolcanlogin AS login,
       r.rolcreaterole AS createrole, r.rolcreatedb AS createdb,
       r.rolreplication AS replication, r.rolbypassrls AS bypassrls,
       shobj_description(r.oid, 'pg_authid') AS comment,
       CASE WHEN r.rolsuper THEN '[]'::json ELSE COALESCE((
         SELECT json_agg(json_build_object('name', c.rolname::text, 'superuser', c.rolsuper,
                  'login', c.rolcanlogin, 'createrole', c.rolcreaterole, 'createdb', c.rolcreatedb,
                  'replication', c.rolreplication, 'bypassrls', c.rolbypassrls) ORDER BY c.rolname)
           FROM pg_roles c WHERE c.oid <> r.oid AND pg_has_role(r.oid, c.oid, 'MEMBER')), '[]'::json)
       END AS member_of,
       EXISTS (SELECT 1 FROM pg_auth_members m
                WHERE m.roleid = r.oid AND m.admin_option
                  AND (m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                       OR pg_has_role(current_user, m.member, 'USAGE'))) AS admin_option
  FROM pg_roles r
 WHERE CASE WHEN $1::text[] IS NULL THEN NOT r.rolcanlogin AND r.rolname !~ '^doorman_'
             ELSE r.rolname = ANY($1::text[]) END
 ORDER BY 1`,
    values: [names === null ? null : [...names]],
  };
}

/** True when the group lacks one of the predefined roles it should hold. */
export function readPredefinedDrift(group: string, roles: readonly string[]): Statement {
  return {
    text: `SELECT EXISTS (SELECT 1 FROM unnest($2::text[]) AS r(name)
                  WHERE NOT pg_has_role($1, r.name, 'MEMBER')) AS drift`,
    values: [group, [...roles]],
  };
}

// ---- queries ----------------------------------------------------------------------------

export function readServerClock(): Statement {
  return {
    text: "SELECT floor(extract(epoch FROM now()) * 1000)::float8 AS now_ms, current_setting('server_version_num')::int AS version_num",
    values: [],
  };
}

/** A role's state as the planner reads it; $2 the marker role, $3 the group comment prefix. */
const ROLE_STATE_COLUMNS = `r.oid::text AS oid,
       r.rolcanlogin AS can_login,
       CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN NULL
            ELSE floor(extract(epoch FROM r.rolvaliduntil) * 1000)::float8 END AS valid_until_ms,
       r.rolconnlimit AS connection_limit,
       shobj_description(r.oid, 'pg_authid') AS comment,
       EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
               WHERE m.member = r.oid AND g.rolname = $2) AS managed,
       ARRAY(SELECT DISTINCT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
             WHERE m.member = r.oid
               AND left(shobj_description(g.oid, 'pg_authid'), length($3)) = $3
             ORDER BY 1) AS doorman_groups`;

/** The state the sync planner needs about one role (absent → no row). */
export function readRoleState(
  username: string,
  marker: string,
  groupCommentPrefix: string,
): Statement {
  return {
    text: `SELECT ${ROLE_STATE_COLUMNS}
  FROM pg_roles r
 WHERE r.rolname = $1`,
    values: [username, marker, groupCommentPrefix],
  };
}

/** Roles among `names` that exist, with their comments. */
export function readRoles(names: readonly string[]): Statement {
  return {
    text: `SELECT r.rolname::text AS name, shobj_description(r.oid, 'pg_authid') AS comment
  FROM pg_roles r WHERE r.rolname = ANY($1::text[])`,
    values: [names],
  };
}

/** The schema's owner and every role owning a relation or routine in it (NULL if no such schema). */
export function readSchemaOwners(schema: string): Statement {
  return {
    text: `SELECT pg_get_userbyid(n.nspowner)::text AS schema_owner,
       ARRAY(SELECT DISTINCT pg_get_userbyid(o)::text FROM (
               SELECT c.relowner AS o FROM pg_class c WHERE c.relnamespace = n.oid
               UNION SELECT p.proowner FROM pg_proc p WHERE p.pronamespace = n.oid) x
             ORDER BY 1) AS object_owners
  FROM pg_namespace n WHERE n.nspname = $1`,
    values: [schema],
  };
}

/**
 * Whether a group role lacks something it should hold: a table it cannot SELECT, or an
 * owner in the schema without default privileges for it; and whether its schema is gone
 * (`missing`: a group made for a schema dropped since). Cheap catalog reads, no locks.
 */
export function readGroupDrift(group: string, schema: string): Statement {
  return {
    text: `SELECT NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = $2) AS missing,
       EXISTS (
         SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            AND NOT has_table_privilege($1, c.oid, 'SELECT'))
    OR EXISTS (
         SELECT 1 FROM pg_namespace n
          WHERE n.nspname = $2
            AND NOT has_schema_privilege($1, n.oid, 'USAGE'))
    OR EXISTS (
         SELECT 1 FROM pg_namespace n
          CROSS JOIN LATERAL (SELECT n.nspowner AS owner
                              UNION SELECT c.relowner FROM pg_class c WHERE c.relnamespace = n.oid) o
          WHERE n.nspname = $2
            AND NOT EXISTS (SELECT 1 FROM pg_default_acl d
                             WHERE d.defaclrole = o.owner AND d.defaclnamespace = n.oid
                               AND d.defaclobjtype = 'r'
                               AND EXISTS (SELECT 1 FROM aclexplode(d.defaclacl) a
                                            WHERE a.grantee = $1::regrole AND a.privilege_type = 'SELECT'))) AS drift`,
    values: [group, schema],
  };
}

/**
 * Signals every session of the users to end (pg_terminate_backend without its wait, which polls
 * one backend after another every 100 ms); returns the pids signalled, for `liveBackends`.
 */
export function signalSessions(usernames: readonly string[]): Statement {
  // The CTE is materialized so the user filter runs first: in a plain WHERE the planner
  // may evaluate pg_terminate_backend before `usename = ANY($1)` and end everyone's session.
  return {
    text: `WITH sessions AS MATERIALIZED (
  SELECT pid, usename::text AS username FROM pg_stat_activity
   WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid())
SELECT pid, username FROM sessions WHERE pg_terminate_backend(pid)`,
    values: [[...usernames]],
  };
}

/** How many of these backends are still running. */
export function liveBackends(pids: readonly number[]): Statement {
  return {
    text: 'SELECT count(*)::int AS alive FROM pg_stat_activity WHERE pid = ANY($1::int[])',
    values: [[...pids]],
  };
}

/**
 * `pg_advisory_xact_lock` on several keys, taken in the order given (callers sort them, so two
 * transactions locking overlapping sets never wait for each other in a cycle).
 */
export function advisoryXactLocks(keys: readonly bigint[]): Statement {
  return {
    text: `SELECT count(pg_advisory_xact_lock(k.key))::int AS locked
  FROM (SELECT key FROM unnest($1::bigint[]) WITH ORDINALITY AS u(key, n) ORDER BY n) k`,
    values: [keys.map((k) => k.toString())],
  };
}

/** `readRoleState` for several roles at once, each row naming its role (absent → no row). */
export function readRoleStates(
  usernames: readonly string[],
  marker: string,
  groupCommentPrefix: string,
): Statement {
  return {
    text: `SELECT r.rolname::text AS username,
       ${ROLE_STATE_COLUMNS}
  FROM pg_roles r
 WHERE r.rolname = ANY($1::text[])`,
    values: [[...usernames], marker, groupCommentPrefix],
  };
}

/** Objects in the current database (and shared objects) owned by a role, for the audit trail. */
export function listOwnedObjects(username: string, includeShared: boolean): Statement {
  return {
    text: `SELECT o.type AS type, o.identity AS identity
  FROM pg_shdepend d
  CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) o
 WHERE d.refclassid = 'pg_authid'::regclass
   AND d.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
   AND d.deptype = 'o'
   AND (d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        OR ($2::boolean AND d.dbid = 0))
 ORDER BY 1, 2`,
    values: [username, includeShared],
  };
}

export function serverVersion(): Statement {
  return {
    text: "SELECT version() AS version, current_setting('server_version') AS server_version",
    values: [],
  };
}

/**
 * Every member of the marker role (what reconciliation compares), with its comment, login flag,
 * VALID UNTIL and the comments of the Doorman group roles it belongs to. Roles outside the
 * marker role are never read, so never reported, so never touched.
 */
export function readInventory(marker: string, groupCommentPrefix: string): Statement {
  return {
    text: `SELECT r.rolname::text AS name,
       shobj_description(r.oid, 'pg_authid') AS comment,
       r.rolcanlogin AS can_login,
       CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN NULL
            ELSE floor(extract(epoch FROM r.rolvaliduntil) * 1000)::float8 END AS valid_until_ms,
       ARRAY(SELECT DISTINCT shobj_description(g.oid, 'pg_authid')
               FROM pg_auth_members gm JOIN pg_roles g ON g.oid = gm.roleid
              WHERE gm.member = r.oid
                AND left(shobj_description(g.oid, 'pg_authid'), length($2)) = $2
              ORDER BY 1) AS group_comments,
       floor(extract(epoch FROM now()) * 1000)::float8 AS now_ms
  FROM pg_roles r
  JOIN pg_auth_members m ON m.member = r.oid
  JOIN pg_roles mk ON mk.oid = m.roleid AND mk.rolname = $1
 ORDER BY 1`,
    values: [marker, groupCommentPrefix],
  };
}

// ---- a non-superuser admin ----------------------------------------------------------------

/**
 * Temporary membership of the connector's own login in another role: how a CREATEROLE admin
 * acts for an object owner (GRANT, ALTER DEFAULT PRIVILEGES FOR ROLE) or for a person's role
 * (REASSIGN OWNED, DROP OWNED, ending its sessions). Always revoked again.
 */
/**
 * The admin's momentary membership in a role it acts as. On PostgreSQL 16+ it asks for the
 * privileges only (INHERIT TRUE, whatever the admin's own INHERIT attribute; SET FALSE: the
 * connector never SET ROLEs); the grantor is the admin, so the REVOKE below removes this
 * membership and leaves the ADMIN OPTION one PostgreSQL gave the role's creator.
 */
export function grantRoleToAdmin(role: string, inheritOnly = false): Statement {
  return utility(
    `GRANT ${ident(role)} TO CURRENT_USER${inheritOnly ? ' WITH INHERIT TRUE, SET FALSE' : ''}`,
  );
}

export function revokeRoleFromAdmin(role: string): Statement {
  return utility(`REVOKE ${ident(role)} FROM CURRENT_USER`);
}

/** What the connector's own login is: superuser, CREATEROLE, may end others' sessions. */
export function readAdminSelf(): Statement {
  return {
    text: `SELECT r.rolname::text AS name, r.rolsuper AS superuser, r.rolcreaterole AS createrole,
       r.rolsuper OR pg_has_role(r.oid, 'pg_signal_backend', 'USAGE') AS signal_backend,
       r.rolsuper OR pg_has_role(r.oid, 'pg_read_all_stats', 'USAGE') AS read_all_stats,
       current_setting('server_version_num')::int AS version_num
  FROM pg_roles r WHERE r.rolname = current_user`,
    values: [],
  };
}

/**
 * The roles the admin must act as, by name: superuser or not, whether the admin already holds
 * their privileges (`member`: USAGE, not MEMBER — from PostgreSQL 16 the creator of a role is
 * a member WITH ADMIN OPTION but without INHERIT, which gives no privileges), and whether it
 * holds ADMIN OPTION on them (what PostgreSQL 16+ requires to grant them to itself).
 * pg_database_owner is resolved to the current database's owner, through whom membership
 * in it is implied (it cannot be granted explicitly).
 */
export function readActingRoles(names: readonly string[]): Statement {
  return {
    text: `SELECT DISTINCT o.rolname::text AS name, o.rolsuper AS superuser,
       o.rolname = current_user OR pg_has_role(current_user, o.oid, 'USAGE') AS member,
       pg_has_role(current_user, o.oid, 'MEMBER WITH ADMIN OPTION') AS admin_option
  FROM unnest($1::text[]) AS n(name)
  JOIN pg_roles o ON o.oid = CASE WHEN n.name = 'pg_database_owner'
                                  THEN (SELECT datdba FROM pg_database WHERE datname = current_database())
                                  ELSE (SELECT oid FROM pg_roles WHERE rolname = n.name) END
 ORDER BY 1`,
    values: [names],
  };
}

// ---- discovery and the doctor ------------------------------------------------------------

/** The connector's own session and login: TLS in use, attributes, predefined roles. */
export function readAdminProfile(): Statement {
  return {
    text: `SELECT r.rolname::text AS name, r.rolsuper AS superuser, r.rolcreaterole AS createrole,
       r.rolreplication AS replication,
       r.rolsuper OR pg_has_role(r.oid, 'pg_signal_backend', 'USAGE') AS signal_backend,
       current_setting('server_version_num')::int AS version_num,
       current_setting('server_version') AS server_version,
       COALESCE((SELECT s.ssl FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()), false) AS ssl,
       (SELECT s.version FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()) AS ssl_version,
       ARRAY(SELECT p.rolname::text FROM pg_roles p
              WHERE p.rolname IN ('pg_read_all_data', 'pg_write_all_data')
                AND (r.rolsuper
                     OR (current_setting('server_version_num')::int < 160000 AND r.rolcreaterole)
                     OR pg_has_role(r.oid, p.oid, 'MEMBER WITH ADMIN OPTION'))
              ORDER BY 1) AS grantable_predefined
  FROM pg_roles r WHERE r.rolname = current_user`,
    values: [],
  };
}

/** Databases the admin may connect to (templates and closed databases left out). */
export function readDatabases(): Statement {
  return {
    text: `SELECT d.datname::text AS name, pg_get_userbyid(d.datdba)::text AS owner,
       has_database_privilege('public', d.oid, 'CONNECT') AS public_connect
  FROM pg_database d
 WHERE d.datallowconn AND NOT d.datistemplate AND has_database_privilege(d.oid, 'CONNECT')
 ORDER BY 1`,
    values: [],
  };
}

/**
 * Every user schema of the current database with its owner, its tables and views with
 * theirs, and the superusers among everyone who owns something there (pg_database_owner
 * resolved to the database's owner), which a non-superuser admin cannot act for; on
 * PostgreSQL 16+ also the other owners whose privileges the admin neither holds nor may take
 * (no ADMIN OPTION on them).
 */
export function readSchemaCatalog(): Statement {
  return {
    text: `SELECT n.nspname::text AS schema, pg_get_userbyid(n.nspowner)::text AS owner,
       COALESCE((SELECT json_agg(json_build_object('name', c.relname::text,
                                                   'owner', pg_get_userbyid(c.relowner)::text)
                                 ORDER BY c.relname)
                   FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')),
                '[]'::json) AS tables,
       ARRAY(SELECT DISTINCT r.rolname::text FROM (
               SELECT n.nspowner AS o
               UNION SELECT c.relowner FROM pg_class c WHERE c.relnamespace = n.oid
               UNION SELECT p.proowner FROM pg_proc p WHERE p.pronamespace = n.oid) x
             JOIN pg_roles r ON r.oid = CASE WHEN x.o = 'pg_database_owner'::regrole
                                             THEN (SELECT datdba FROM pg_database WHERE datname = current_database())
                                             ELSE x.o END
            WHERE r.rolsuper AND r.rolname <> current_user
            ORDER BY 1) AS superuser_owners,
       ARRAY(SELECT DISTINCT r.rolname::text FROM (
               SELECT n.nspowner AS o
               UNION SELECT c.relowner FROM pg_class c WHERE c.relnamespace = n.oid
               UNION SELECT p.proowner FROM pg_proc p WHERE p.pronamespace = n.oid) x
             JOIN pg_roles r ON r.oid = CASE WHEN x.o = 'pg_database_owner'::regrole
                                             THEN (SELECT datdba FROM pg_database WHERE datname = current_database())
                                             ELSE x.o END
            WHERE current_setting('server_version_num')::int >= 160000
              AND NOT r.rolsuper AND r.rolname <> current_user
              AND NOT pg_has_role(current_user, r.oid, 'USAGE')
              AND NOT pg_has_role(current_user, r.oid, 'MEMBER WITH ADMIN OPTION')
            ORDER BY 1) AS unadministered_owners
  FROM pg_namespace n
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname !~ '^pg_(toast_)?temp_'
 ORDER BY 1`,
    values: [],
  };
}

/** pg_hba.conf lines naming Doorman's marker role (superuser-only view: may be refused). */
export function readHbaRulesForMarker(marker: string): Statement {
  return {
    text: `SELECT line_number, type, database, user_name, address, auth_method
  FROM pg_hba_file_rules WHERE $1 = ANY(user_name) OR 'all' = ANY(user_name) ORDER BY line_number`,
    values: [`+${marker}`],
  };
}
