GRANT CONNECT ON DATABASE "app db" TO "doorman_write_app_db_unicode_sales_schema_6ccf45fb1b";

GRANT USAGE ON SCHEMA "Ünïcode ""Sales"" Ω schema" TO "doorman_write_app_db_unicode_sales_schema_6ccf45fb1b";

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "Ünïcode ""Sales"" Ω schema" TO "doorman_write_app_db_unicode_sales_schema_6ccf45fb1b";

GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA "Ünïcode ""Sales"" Ω schema" TO "doorman_write_app_db_unicode_sales_schema_6ccf45fb1b";

ALTER DEFAULT PRIVILEGES FOR ROLE "Migrations ""Bot""" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "doorman_write_app_db_unicode_sales_schema_6ccf45fb1b";

ALTER DEFAULT PRIVILEGES FOR ROLE "Migrations ""Bot""" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "doorman_write_app_db_unicode_sales_schema_6ccf45fb1b";

ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "doorman_write_app_db_unicode_sales_schema_6ccf45fb1b";

ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "doorman_write_app_db_unicode_sales_schema_6ccf45fb1b";
