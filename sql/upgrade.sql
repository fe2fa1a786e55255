--
-- upgrade path: ALTER EXTENSION pg_lifeguard UPDATE from the first release
-- gives exactly the objects of a fresh install
--
CREATE DATABASE lg_fresh;
CREATE DATABASE lg_upgraded;
SELECT name, default_version FROM pg_available_extensions WHERE name = 'pg_lifeguard';
SELECT version FROM pg_available_extension_versions WHERE name = 'pg_lifeguard' ORDER BY 1;
SELECT * FROM pg_extension_update_paths('pg_lifeguard') WHERE path IS NOT NULL ORDER BY 1, 2;

\c lg_fresh
CREATE EXTENSION pg_lifeguard;
SELECT lifeguard.schema_snapshot(ARRAY['lifeguard']) AS fresh_snapshot,
       lifeguard.schema_fingerprint(ARRAY['lifeguard']) AS fresh_fingerprint \gset
SELECT string_agg(pg_describe_object(classid, objid, 0), E'\n' ORDER BY pg_describe_object(classid, objid, 0)) AS fresh_members
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lifeguard') \gset

\c lg_upgraded
CREATE EXTENSION pg_lifeguard VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'pg_lifeguard';
ALTER EXTENSION pg_lifeguard UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'pg_lifeguard';
-- the same members ...
SELECT string_agg(pg_describe_object(classid, objid, 0), E'\n' ORDER BY pg_describe_object(classid, objid, 0)) = :'fresh_members' AS same_members
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lifeguard');
-- ... with the same definitions, owners, privileges and comments
SELECT * FROM lifeguard.schema_diff(:'fresh_snapshot', lifeguard.schema_snapshot(ARRAY['lifeguard']));
SELECT lifeguard.schema_fingerprint(ARRAY['lifeguard']) = :'fresh_fingerprint' AS same_fingerprint;
-- and the upgraded extension works
SELECT errors FROM lifeguard.advise_indexes('SELECT 1');
CREATE TABLE up_parent (id int PRIMARY KEY);
CREATE TABLE up_child (id int, parent_id int REFERENCES up_parent);
SET lifeguard.advice_min_table_size = 0;     -- up_child is empty
SELECT kind, table_name, statement FROM lifeguard.index_advice WHERE table_name = 'up_child';
RESET lifeguard.advice_min_table_size;

\c contrib_regression
DROP DATABASE lg_fresh;
DROP DATABASE lg_upgraded;
