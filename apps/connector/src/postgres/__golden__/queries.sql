SELECT floor(extract(epoch FROM now()) * 1000)::float8 AS now_ms, current_setting('server_version_num')::int AS version_num;

SELECT r.oid::text AS oid,
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
             ORDER BY 1) AS doorman_groups
  FROM pg_roles r
 WHERE r.rolname = $1;
-- values: ["o'brien\"; DROP ROLE x; --","doorman_managed","doorman:group:v1 "]

SELECT r.rolname::text AS name, shobj_description(r.oid, 'pg_authid') AS comment
  FROM pg_roles r WHERE r.rolname = ANY($1::text[]);
-- values: [["doorman_managed","doorman_inheritor"]]

SELECT pg_get_userbyid(n.nspowner)::text AS schema_owner,
       ARRAY(SELECT DISTINCT pg_get_userbyid(o)::text FROM (
               SELECT c.relowner AS o FROM pg_class c WHERE c.relnamespace = n.oid
               UNION SELECT p.proowner FROM pg_proc p WHERE p.pronamespace = n.oid) x
             ORDER BY 1) AS object_owners
  FROM pg_namespace n WHERE n.nspname = $1;
-- values: ["Ünïcode \"Sales\" Ω schema"]

SELECT NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = $2) AS missing,
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
                                            WHERE a.grantee = $1::regrole AND a.privilege_type = 'SELECT'))) AS drift;
-- values: ["doorman_x","Ünïcode \"Sales\" Ω schema"]

WITH sessions AS MATERIALIZED (
  SELECT pid, usename::text AS username FROM pg_stat_activity
   WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid())
SELECT pid, username FROM sessions WHERE pg_terminate_backend(pid);
-- values: [["o'brien\"; DROP ROLE x; --"]]

SELECT count(*)::int AS alive FROM pg_stat_activity WHERE pid = ANY($1::int[]);
-- values: [[4242,4243]]

SELECT o.type AS type, o.identity AS identity
  FROM pg_shdepend d
  CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) o
 WHERE d.refclassid = 'pg_authid'::regclass
   AND d.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
   AND d.deptype = 'o'
   AND (d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        OR ($2::boolean AND d.dbid = 0))
 ORDER BY 1, 2;
-- values: ["o'brien\"; DROP ROLE x; --",true]

SELECT version() AS version, current_setting('server_version') AS server_version;

SELECT r.rolname::text AS name,
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
 ORDER BY 1;
-- values: ["doorman_managed","doorman:group:v1 "]
