SELECT r.rolcanlogin AS can_login,
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
 WHERE r.rolname = $1;
-- values: ["o'brien\"; DROP ROLE x; --",["doorman_managed","doorman_g_1"]]

WITH acl AS (
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
SELECT acl.kind, acl.schema, acl.name, acl.col AS "column", acl.args, acl.objtype,
       pg_get_userbyid(acl.owner)::text AS owner, pg_get_userbyid(x.grantor)::text AS grantor,
       array_agg(x.privilege_type::text ORDER BY x.privilege_type) AS privileges
  FROM acl CROSS JOIN LATERAL aclexplode(acl.acl) x
 WHERE x.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
 ORDER BY 1, 2, 3, 4, 5, 6, 8;
-- values: ["o'brien\"; DROP ROLE x; --"]

WITH acl AS (
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
SELECT acl.kind, acl.schema, acl.name, acl.col AS "column", acl.args, acl.objtype,
       pg_get_userbyid(acl.owner)::text AS owner, pg_get_userbyid(x.grantor)::text AS grantor,
       array_agg(x.privilege_type::text ORDER BY x.privilege_type) AS privileges
  FROM acl CROSS JOIN LATERAL aclexplode(acl.acl) x
 WHERE x.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
 ORDER BY 1, 2, 3, 4, 5, 6, 8;
-- values: ["o'brien\"; DROP ROLE x; --"]

SELECT s.deptype::text AS deptype, o.type AS type, o.identity AS identity
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
 ORDER BY 1, 2, 3;
-- values: ["o'brien\"; DROP ROLE x; --",true]
