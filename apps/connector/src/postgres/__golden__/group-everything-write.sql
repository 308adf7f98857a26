GRANT "pg_read_all_data" TO "doorman_write_ec081cd6ca";

GRANT "pg_write_all_data" TO "doorman_write_ec081cd6ca";

SELECT EXISTS (SELECT 1 FROM unnest($2::text[]) AS r(name)
                  WHERE NOT pg_has_role($1, r.name, 'MEMBER')) AS drift;
-- values: ["doorman_write_ec081cd6ca",["pg_read_all_data","pg_write_all_data"]]
