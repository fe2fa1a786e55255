--
-- setup: the extension installs into schema lifeguard with the expected
-- objects, role and settings.
--
CREATE EXTENSION pg_lifeguard;
CREATE EXTENSION dblink;

SELECT extname, extversion, nspname AS schema, extrelocatable
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'pg_lifeguard';

-- every member object of the extension (from 17 on, the row types of
-- member tables and views are members too: left out, to list the same
-- objects on every version)
SELECT pg_describe_object(classid, objid, 0) AS object
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lifeguard')
   AND deptype = 'e'
   AND (classid <> 'pg_type'::regclass OR NOT EXISTS (
        SELECT FROM pg_type t JOIN pg_class c ON c.reltype IN (t.oid, t.typelem)
         WHERE t.oid = objid AND c.relkind <> 'c'))
 ORDER BY 1;

-- every view carries a comment
SELECT c.relname, obj_description(c.oid, 'pg_class') IS NOT NULL AS commented
  FROM pg_class c
 WHERE c.relnamespace = 'lifeguard'::regnamespace AND c.relkind IN ('v', 'r')
 ORDER BY 1;

SELECT rolname, rolcanlogin, rolsuper FROM pg_roles WHERE rolname = 'lifeguard_admin';

-- settings and their defaults
SELECT name, setting, unit, context, boot_val
  FROM pg_settings WHERE name LIKE 'lifeguard.%' ORDER BY name;

-- the worker runs in this database and sees the extension
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN (SELECT extension_present FROM lifeguard.worker_status);
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;
SELECT pid IS NOT NULL AS running, database, extension_present, is_standby,
       last_error IS NULL AS no_error
  FROM lifeguard.worker_status;

-- a second CREATE fails cleanly; the prefix is reserved
CREATE EXTENSION pg_lifeguard;
-- (14 only warns about an unknown setting under a reserved prefix, so
-- there it is accepted: expected/setup_1.out)
SET lifeguard.no_such_setting = 1;
