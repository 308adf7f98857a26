GRANT CONNECT ON DATABASE "app db" TO "doorman_read_app_db_unicode_sales_schema_f41bb0db40";

GRANT USAGE ON SCHEMA "Ünïcode ""Sales"" Ω schema" TO "doorman_read_app_db_unicode_sales_schema_f41bb0db40";

GRANT SELECT ON ALL TABLES IN SCHEMA "Ünïcode ""Sales"" Ω schema" TO "doorman_read_app_db_unicode_sales_schema_f41bb0db40";

ALTER DEFAULT PRIVILEGES FOR ROLE "Migrations ""Bot""" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT SELECT ON TABLES TO "doorman_read_app_db_unicode_sales_schema_f41bb0db40";

ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "Ünïcode ""Sales"" Ω schema" GRANT SELECT ON TABLES TO "doorman_read_app_db_unicode_sales_schema_f41bb0db40";
