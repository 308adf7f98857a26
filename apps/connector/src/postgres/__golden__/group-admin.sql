GRANT CONNECT ON DATABASE "app db" TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

GRANT USAGE, CREATE ON SCHEMA "Ünïcode ""Sales"" Ω schema" TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

GRANT ALL ON ALL TABLES IN SCHEMA "Ünïcode ""Sales"" Ω schema" TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

GRANT ALL ON ALL SEQUENCES IN SCHEMA "Ünïcode ""Sales"" Ω schema" TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

GRANT ALL ON ALL ROUTINES IN SCHEMA "Ünïcode ""Sales"" Ω schema" TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

ALTER DEFAULT PRIVILEGES FOR ROLE "Migrations ""Bot""" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT ALL ON TABLES TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

ALTER DEFAULT PRIVILEGES FOR ROLE "Migrations ""Bot""" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT ALL ON SEQUENCES TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

ALTER DEFAULT PRIVILEGES FOR ROLE "Migrations ""Bot""" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT ALL ON ROUTINES TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT ALL ON TABLES TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT ALL ON SEQUENCES TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";

ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT ALL ON ROUTINES TO "doorman_admin_app_db_unicode_sales_schema_b0a0b5b812";
