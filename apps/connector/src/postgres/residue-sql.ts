import { escapeIdentifier as ident } from 'pg';
import type { Statement } from './sql';

/**
 * Pure SQL for checking, after access ended, what the target itself still holds for a user,
 * and for removing it. Reads bind every value; the removals are utility statements (no
 * parameters), every identifier quoted. Golden-tested in residue-sql.spec.ts.
 */

const utility = (text: string): Statement => ({ text, values: [] });

/**
 * The role's cluster-wide state in one round trip: login, attributes Doorman never gives,
 * memberships other than `keep` (with their grantor: from PostgreSQL 16 the same membership
 * may be held several times, once per grantor), the databases where pg_shdepend says the role
 * is named in an ACL, owns something or is named by a policy (the catalog PostgreSQL itself
 * uses to refuse DROP ROLE) and whether it is tied to a shared object (a database, tablespace
 * or parameter: database 0 there), and its live sessions. A membership's INHERIT and SET
 * options (16+) are read through to_jsonb, so the one text runs on 15 too (null there).
 * Roles made members of the user are read too: they would take on its next access. Not
 * counted: the connector's admin (it borrows such memberships for a moment), and from 16 a
 * membership that neither inherits nor may SET ROLE — what a CREATEROLE admin is given on every
 * role it creates, ADMIN OPTION alone, which administers the role without acting as it. pg_stat_activity names the session user,
 * so a session that SET ROLE to something else is still the user's. No row: no such role.
 */
export function readResidueShared(username: string, keep: readonly string[]): Statement {
  return {
    text: `SELECT r.rolcanlogin AS can_login,
       CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN NULL
            ELSE floor(extract(epoch FROM r.rolvaliduntil) * 1000)::float8 END AS valid_until_ms,
       array_remove(ARRAY[CASE WHEN r.rolsuper THEN 'SUPERUSER' END,
                          CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
                          CASE WHEN r.rolcreatedb THEN 'CREATEDB' END,
                          CASE WHEN r.rolreplication THEN 'REPLICATION' END,
                          CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END], NULL) AS attributes,
       COALESCE((SELECT json_agg(json_build_object('role', g.rolname::text,
                                                   'grantor', pg_get_userbyid(m.grantor)::text,
                                                   'adminOption', m.admin_option,
                                                   'inheritOption', (to_jsonb(m) ->> 'inherit_option')::boolean,
                                                   'setOption', (to_jsonb(m) ->> 'set_option')::boolean)
                                 ORDER BY g.rolname, pg_get_userbyid(m.grantor))
                   FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                  WHERE m.member = r.oid AND NOT (g.rolname = ANY($2::text[]))), '[]'::json) AS memberships,
       COALESCE((SELECT json_agg(json_build_object('member', mm.rolname::text,
                                                   'grantor', pg_get_userbyid(m.grantor)::text)
                                 ORDER BY mm.rolname, pg_get_userbyid(m.grantor))
                   FROM pg_auth_members m JOIN pg_roles mm ON mm.oid = m.member
                  WHERE m.roleid = r.oid AND mm.rolname <> current_user
                    AND COALESCE((to_jsonb(m) ->> 'inherit_option')::boolean
                                 OR (to_jsonb(m) ->> 'set_option')::boolean, true)), '[]'::json) AS members,
       ARRAY(SELECT DISTINCT d.datname::text
               FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
              WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = r.oid
                AND s.deptype IN ('a', 'o', 'r')
              ORDER BY 1) AS databases,
       EXISTS (SELECT 1 FROM pg_shdepend s
                WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = r.oid
                  AND s.dbid = 0 AND s.deptype IN ('a', 'o', 'r')) AS shared_objects,
       COALESCE((SELECT json_agg(json_build_object('pid', a.pid, 'database', a.datname::text,
                                                   'applicationName', a.application_name,
                                                   'clientAddr', a.client_addr::text,
                                                   'backendStart', a.backend_start)
                                 ORDER BY a.pid)
                   FROM pg_stat_activity a
                  WHERE a.usesysid = r.oid AND a.pid <> pg_backend_pid()), '[]'::json) AS sessions,
       floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms
  FROM pg_roles r
 WHERE r.rolname = $1`,
    values: [username, [...keep]],
  };
}

/** Columns every ACL read returns: one row per object and grantor, its privileges aggregated. */
const ACL_SELECT = `SELECT acl.kind, acl.schema, acl.name, acl.col AS "column", acl.args, acl.objtype,
       pg_get_userbyid(acl.owner)::text AS owner, pg_get_userbyid(x.grantor)::text AS grantor,
       array_agg(x.privilege_type::text ORDER BY x.privilege_type) AS privileges
  FROM acl CROSS JOIN LATERAL aclexplode(acl.acl) x
 WHERE x.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
 ORDER BY 1, 2, 3, 4, 5, 6, 8`;

/**
 * Privileges granted to the role directly, by anyone, on the objects of the current database:
 * schemas, tables and sequences, columns, routines, types, languages, foreign data wrappers and
 * servers, large objects, and default privileges.
 */
export function readDatabaseAcls(username: string): Statement {
  return {
    text: `WITH acl AS (
  SELECT 'schema' AS kind, n.nspname::text AS schema, NULL::text AS name, NULL::text AS col,
         NULL::text AS args, NULL::text AS objtype, n.nspowner AS owner, n.nspacl AS acl
    FROM pg_namespace n WHERE n.nspacl IS NOT NULL
  UNION ALL
  SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, n.nspname::text, c.relname::text,
         NULL, NULL, NULL, c.relowner, c.relacl
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relacl IS NOT NULL
  UNION ALL
  SELECT 'column', n.nspname::text, c.relname::text, a.attname::text, NULL, NULL, c.relowner, a.attacl
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'routine', n.nspname::text, p.proname::text, NULL, pg_get_function_identity_arguments(p.oid),
         NULL, p.proowner, p.proacl
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proacl IS NOT NULL
  UNION ALL
  SELECT 'type', n.nspname::text, t.typname::text, NULL, NULL, NULL, t.typowner, t.typacl
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typacl IS NOT NULL
  UNION ALL
  SELECT 'language', NULL, l.lanname::text, NULL, NULL, NULL, l.lanowner, l.lanacl
    FROM pg_language l WHERE l.lanacl IS NOT NULL
  UNION ALL
  SELECT 'foreign-data-wrapper', NULL, w.fdwname::text, NULL, NULL, NULL, w.fdwowner, w.fdwacl
    FROM pg_foreign_data_wrapper w WHERE w.fdwacl IS NOT NULL
  UNION ALL
  SELECT 'foreign-server', NULL, s.srvname::text, NULL, NULL, NULL, s.srvowner, s.srvacl
    FROM pg_foreign_server s WHERE s.srvacl IS NOT NULL
  UNION ALL
  SELECT 'large-object', NULL, l.oid::text, NULL, NULL, NULL, l.lomowner, l.lomacl
    FROM pg_largeobject_metadata l WHERE l.lomacl IS NOT NULL
  UNION ALL
  SELECT 'default', n.nspname::text, NULL, NULL, NULL, d.defaclobjtype::text, d.defaclrole, d.defaclacl
    FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
)
${ACL_SELECT}`,
    values: [username],
  };
}

/**
 * Privileges granted to the role directly on shared objects: databases, tablespaces and
 * configuration parameters (PostgreSQL 15+; their grants are made as the bootstrap superuser).
 */
export function readSharedAcls(username: string): Statement {
  return {
    text: `WITH acl AS (
  SELECT 'database' AS kind, NULL::text AS schema, d.datname::text AS name, NULL::text AS col,
         NULL::text AS args, NULL::text AS objtype, d.datdba AS owner, d.datacl AS acl
    FROM pg_database d WHERE d.datacl IS NOT NULL
  UNION ALL
  SELECT 'tablespace', NULL, t.spcname::text, NULL, NULL, NULL, t.spcowner, t.spcacl
    FROM pg_tablespace t WHERE t.spcacl IS NOT NULL
  UNION ALL
  SELECT 'parameter', NULL, p.parname, NULL, NULL, NULL, 10::oid, p.paracl
    FROM pg_parameter_acl p WHERE p.paracl IS NOT NULL
)
${ACL_SELECT}`,
    values: [username],
  };
}

/**
 * What else pg_shdepend ties to the role in the current database (and, with `$2`, on shared
 * objects): objects it owns (`o`), policies naming it (`r`), and ACL entries on catalogs the
 * ACL reads above do not cover (`a`, e.g. ones where it is only the grantor).
 */
export function readOwnedAndOther(username: string, includeShared: boolean): Statement {
  return {
    text: `SELECT s.deptype::text AS deptype, o.type AS type, o.identity AS identity
  FROM pg_shdepend s
  CROSS JOIN LATERAL pg_identify_object(s.classid, s.objid, s.objsubid) o
 WHERE s.refclassid = 'pg_authid'::regclass
   AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
   AND (s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        OR ($2::boolean AND s.dbid = 0))
   AND (s.deptype IN ('o', 'r')
        OR (s.deptype = 'a' AND s.classid::regclass::text NOT IN (
              'pg_namespace', 'pg_class', 'pg_proc', 'pg_type', 'pg_language',
              'pg_foreign_data_wrapper', 'pg_foreign_server', 'pg_largeobject', 'pg_default_acl',
              'pg_database', 'pg_tablespace', 'pg_parameter_acl')))
 ORDER BY 1, 2, 3`,
    values: [username, includeShared],
  };
}

// ---- removals ------------------------------------------------------------------------------

/** An object privileges were granted on, as the ACL reads name it. */
export interface AclObject {
  kind: string;
  schema: string | null;
  name: string | null;
  column: string | null;
  /** pg_get_function_identity_arguments of a routine. */
  args: string | null;
  /** pg_default_acl.defaclobjtype of a default privilege. */
  objtype: string | null;
  /** The object's owner (a default privilege's: the role whose new objects it covers). */
  owner: string;
}

const DEFAULT_OBJECT_TYPES: Record<string, string> = {
  r: 'TABLES',
  S: 'SEQUENCES',
  f: 'FUNCTIONS',
  T: 'TYPES',
  n: 'SCHEMAS',
};

const qualified = (schema: string | null, name: string | null): string =>
  schema === null ? ident(req(name)) : `${ident(schema)}.${ident(req(name))}`;

function req(v: string | null): string {
  if (v === null) throw new TypeError('an ACL object without a name');
  return v;
}

/** A dotted parameter name (`plpgsql.extra_warnings`), each part quoted. */
const parameterName = (name: string): string => name.split('.').map(ident).join('.');

/**
 * The statement that takes every privilege on `o` away from `role`: as the grantor (the
 * caller acts as it), with CASCADE so grants the role passed on with GRANT OPTION go too.
 * A routine's argument list is PostgreSQL's own rendering (pg_get_function_identity_arguments
 * quotes names and types), the one text here not quoted by us.
 */
export function revokeAcl(o: AclObject, role: string): Statement {
  const to = ident(role);
  switch (o.kind) {
    case 'schema':
      return utility(`REVOKE ALL ON SCHEMA ${ident(req(o.schema))} FROM ${to} CASCADE`);
    case 'table':
      return utility(`REVOKE ALL ON TABLE ${qualified(o.schema, o.name)} FROM ${to} CASCADE`);
    case 'sequence':
      return utility(`REVOKE ALL ON SEQUENCE ${qualified(o.schema, o.name)} FROM ${to} CASCADE`);
    case 'column':
      return utility(
        `REVOKE ALL (${ident(req(o.column))}) ON TABLE ${qualified(o.schema, o.name)} FROM ${to} CASCADE`,
      );
    case 'routine':
      return utility(
        `REVOKE ALL ON ROUTINE ${qualified(o.schema, o.name)}(${o.args ?? ''}) FROM ${to} CASCADE`,
      );
    case 'type':
      return utility(`REVOKE ALL ON TYPE ${qualified(o.schema, o.name)} FROM ${to} CASCADE`);
    case 'language':
      return utility(`REVOKE ALL ON LANGUAGE ${ident(req(o.name))} FROM ${to} CASCADE`);
    case 'foreign-data-wrapper':
      return utility(`REVOKE ALL ON FOREIGN DATA WRAPPER ${ident(req(o.name))} FROM ${to} CASCADE`);
    case 'foreign-server':
      return utility(`REVOKE ALL ON FOREIGN SERVER ${ident(req(o.name))} FROM ${to} CASCADE`);
    case 'large-object': {
      const oid = req(o.name);
      if (!/^[0-9]{1,10}$/.test(oid)) throw new RangeError(`invalid large object oid ${oid}`);
      return utility(`REVOKE ALL ON LARGE OBJECT ${oid} FROM ${to} CASCADE`);
    }
    case 'database':
      return utility(`REVOKE ALL ON DATABASE ${ident(req(o.name))} FROM ${to} CASCADE`);
    case 'tablespace':
      return utility(`REVOKE ALL ON TABLESPACE ${ident(req(o.name))} FROM ${to} CASCADE`);
    case 'parameter':
      return utility(`REVOKE ALL ON PARAMETER ${parameterName(req(o.name))} FROM ${to} CASCADE`);
    case 'default': {
      const objects = DEFAULT_OBJECT_TYPES[o.objtype ?? ''];
      if (!objects) throw new RangeError(`unknown default privilege type ${o.objtype}`);
      const inSchema = o.schema === null ? '' : ` IN SCHEMA ${ident(o.schema)}`;
      return utility(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(o.owner)}${inSchema} REVOKE ALL ON ${objects} FROM ${to} CASCADE`,
      );
    }
    default:
      throw new RangeError(`unknown ACL object kind ${o.kind}`);
  }
}

/**
 * Revokes one membership. From PostgreSQL 16 each grantor's grant is its own row, and a REVOKE
 * without GRANTED BY only removes the one made by the current user (a superuser: the bootstrap
 * superuser), so the grantor is named; before 16 there is one row whoever granted it. CASCADE:
 * from 16 a membership held WITH ADMIN OPTION that the user granted on cannot be revoked
 * without the grants that depend on it ("dependent privileges exist"); 15 accepts and ignores it.
 */
export function revokeMembershipGrantedBy(
  group: string,
  member: string,
  grantor: string | null,
): Statement {
  const by = grantor === null ? '' : ` GRANTED BY ${ident(grantor)}`;
  return utility(`REVOKE ${ident(group)} FROM ${ident(member)}${by} CASCADE`);
}

/** Role attributes Doorman never gives its users, as ALTER ROLE takes them away. */
export const ROLE_ATTRIBUTES = [
  'SUPERUSER',
  'CREATEROLE',
  'CREATEDB',
  'REPLICATION',
  'BYPASSRLS',
] as const;
export type RoleAttribute = (typeof ROLE_ATTRIBUTES)[number];

export function dropRoleAttributes(role: string, attributes: readonly RoleAttribute[]): Statement {
  const known = new Set<string>(ROLE_ATTRIBUTES);
  for (const a of attributes) if (!known.has(a)) throw new RangeError(`unknown attribute ${a}`);
  return utility(`ALTER ROLE ${ident(role)} ${attributes.map((a) => `NO${a}`).join(' ')}`);
}

/** Acts as the grantor until the transaction ends (a superuser may SET ROLE to any role). */
export function setLocalRole(role: string): Statement {
  return utility(`SET LOCAL ROLE ${ident(role)}`);
}
