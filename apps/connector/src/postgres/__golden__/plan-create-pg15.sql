CREATE ROLE "o'brien""; DROP ROLE x; --" LOGIN PASSWORD 'SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVk:c2VydmVy' VALID UNTIL '2025-03-01T18:00:00.000Z' CONNECTION LIMIT 4 IN ROLE "doorman_managed";

GRANT "doorman_read_app_public_83ce2feb1f" TO "o'brien""; DROP ROLE x; --";

GRANT "doorman_write_app_unicode_sales_schema_03355e51b7" TO "o'brien""; DROP ROLE x; --";

COMMENT ON ROLE "o'brien""; DROP ROLE x; --" IS 'doorman:v1 {"person":"7d9f1c1e-7a53-4a4e-9d0f-3a6a1b0c2d11","email":"alice@example.com","gen":3}';
