REVOKE ALL ON SCHEMA "Ünïcode ""Sales"" Ω" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON TABLE "Ünïcode ""Sales"" Ω"."or""ders" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON SEQUENCE "Ünïcode ""Sales"" Ω"."or""ders" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ("co""st") ON TABLE "Ünïcode ""Sales"" Ω"."or""ders" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON ROUTINE "Ünïcode ""Sales"" Ω"."total"(a integer, "b c" text) FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON TYPE "Ünïcode ""Sales"" Ω"."mood" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON LANGUAGE "plpgsql" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON FOREIGN DATA WRAPPER "postgres_fdw" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON FOREIGN SERVER "rem""ote" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON LARGE OBJECT 424242 FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON DATABASE "a""pp" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON TABLESPACE "fast" FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE ALL ON PARAMETER "plpgsql"."extra_warnings" FROM "o'brien""; DROP ROLE x; --" CASCADE;

ALTER DEFAULT PRIVILEGES FOR ROLE "app ""owner""" IN SCHEMA "Ünïcode ""Sales"" Ω" REVOKE ALL ON TABLES FROM "o'brien""; DROP ROLE x; --" CASCADE;

ALTER DEFAULT PRIVILEGES FOR ROLE "app ""owner""" REVOKE ALL ON FUNCTIONS FROM "o'brien""; DROP ROLE x; --" CASCADE;

REVOKE "report""ing" FROM "o'brien""; DROP ROLE x; --" GRANTED BY "ops ""admin""" CASCADE;

REVOKE "reporting" FROM "o'brien""; DROP ROLE x; --" CASCADE;

ALTER ROLE "o'brien""; DROP ROLE x; --" NOSUPERUSER NOBYPASSRLS;

SET LOCAL ROLE "ops ""admin""";
