WITH entries AS (
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
       (SELECT count(DISTINCT grantee)::int FROM users) AS "directUserCount";
-- values: ["doorman_managed",10]

SELECT r.rolname::text AS name,
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
 LIMIT 500;
-- values: ["doorman_managed"]
