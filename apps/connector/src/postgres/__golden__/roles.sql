CREATE ROLE "doorman_managed" NOLOGIN;

CREATE ROLE "o'brien""; DROP ROLE x; --" LOGIN PASSWORD 'SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVk:c2VydmVy' VALID UNTIL '2025-03-01T18:00:00.000Z' CONNECTION LIMIT 4 IN ROLE "doorman_managed";

ALTER ROLE "o'brien""; DROP ROLE x; --" LOGIN;

ALTER ROLE "o'brien""; DROP ROLE x; --" NOLOGIN;

ALTER ROLE "o'brien""; DROP ROLE x; --" VALID UNTIL 'infinity';

ALTER ROLE "o'brien""; DROP ROLE x; --" CONNECTION LIMIT -1;

ALTER ROLE "o'brien""; DROP ROLE x; --" PASSWORD 'SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVk:c2VydmVy';

ALTER ROLE CURRENT_USER PASSWORD 'SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVk:c2VydmVy';

GRANT "doorman_read_app_public_0123456789" TO "o'brien""; DROP ROLE x; --";

GRANT "doorman_read_app_public_0123456789" TO "o'brien""; DROP ROLE x; --" WITH INHERIT TRUE, SET FALSE;

REVOKE "doorman_read_app_public_0123456789" FROM "o'brien""; DROP ROLE x; --";

COMMENT ON ROLE "o'brien""; DROP ROLE x; --" IS 'doorman:v1 {"person":"7d9f1c1e-7a53-4a4e-9d0f-3a6a1b0c2d11","email":"o''brien@example.com","gen":7}';

COMMENT ON ROLE "doorman_x" IS  E'doorman:group:v1 {"database":"app","schema":"Ünïcode \\"Sales\\" Ω schema","permission":"admin"}';

REASSIGN OWNED BY "o'brien""; DROP ROLE x; --" TO "doorman_inheritor";

DROP OWNED BY "o'brien""; DROP ROLE x; --";

DROP ROLE "o'brien""; DROP ROLE x; --";
