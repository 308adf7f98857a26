SELECT count(pg_advisory_xact_lock(k.key))::int AS locked
  FROM (SELECT key FROM unnest($1::bigint[]) WITH ORDINALITY AS u(key, n) ORDER BY n) k;
-- values: [["-3","7"]]

SELECT r.rolname::text AS username,
       r.oid::text AS oid,
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
 WHERE r.rolname = ANY($1::text[]);
-- values: [["o'brien\"; DROP ROLE x; --","bob_doorman"],"doorman_managed","doorman:group:v1 "]
