SELECT set_config('statement_timeout', $1, true), set_config('application_name', $2, true);
-- values: ["15000","doorman:sync-user:abc123"]

SELECT pg_advisory_xact_lock($1::bigint);
-- values: ["-1234567890123456789"]

SAVEPOINT "doorman_group";

RELEASE SAVEPOINT "doorman_group";

ROLLBACK TO SAVEPOINT "doorman_group";

SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms;
