COMMENT ON ROLE "doorman_member_reporting_role_3b273bc469" IS  E'doorman:group:v1 {"database":"*","schema":"Reporting \\"Role\\"","permission":"member"}';

GRANT "Reporting ""Role""" TO "doorman_member_reporting_role_3b273bc469";

SELECT EXISTS (SELECT 1 FROM unnest($2::text[]) AS r(name)
                  WHERE NOT pg_has_role($1, r.name, 'MEMBER')) AS drift;
-- values: ["doorman_member_reporting_role_3b273bc469",["Reporting \"Role\""]]

SELECT r.rolname::text AS name, r.rolsuper AS superuser, r.rolcanlogin AS login,
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
 ORDER BY 1;
-- values: [["Reporting \"Role\""]]

SELECT r.rolname::text AS name, r.rolsuper AS superuser, r.rolcanlogin AS login,
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
 ORDER BY 1;
-- values: [null]
