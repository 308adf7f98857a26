SELECT set_config($1, $2, true);
-- values: ["statement_timeout","15000"]

SELECT set_config($1, $2, true);
-- values: ["application_name","doorman:sync-user:abc123"]

SELECT pg_advisory_xact_lock($1::bigint);
-- values: ["-1234567890123456789"]
