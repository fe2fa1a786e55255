-- A search_path attack: a role puts a schema of its own before pg_catalog
-- with functions and operators named like the ones pg_lifeguard's SQL
-- calls.  Functions that pin search_path never see them; the two that run
-- the caller's own SQL (and so keep the caller's search_path) qualify every
-- name in their own bodies.  No function is SECURITY DEFINER, so even a
-- hijacked call would run with the caller's rights only.
BEGIN;
SELECT plan(13);

CREATE SCHEMA evil;
CREATE FUNCTION evil.hijacked() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'hijacked through search_path';
END
$$;
-- same names and argument types as pg_catalog's
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS 'SELECT evil.hijacked(); SELECT NULL::timestamptz';
CREATE FUNCTION evil.format(text, text) RETURNS text LANGUAGE sql AS 'SELECT evil.hijacked()::text';
CREATE FUNCTION evil.format(text, text, text) RETURNS text LANGUAGE sql AS 'SELECT evil.hijacked()::text';
CREATE FUNCTION evil.quote_ident(text) RETURNS text LANGUAGE sql AS 'SELECT evil.hijacked()::text';
CREATE FUNCTION evil.format_type(oid, integer) RETURNS text LANGUAGE sql AS 'SELECT evil.hijacked()::text';
CREATE FUNCTION evil.pg_get_userbyid(oid) RETURNS name LANGUAGE sql AS 'SELECT evil.hijacked()::text::name';
CREATE FUNCTION evil.cardinality(anyarray) RETURNS integer LANGUAGE sql AS 'SELECT evil.hijacked()::int';
CREATE FUNCTION evil.current_database() RETURNS name LANGUAGE sql AS 'SELECT evil.hijacked()::text::name';
CREATE FUNCTION evil.texteq(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT evil.hijacked()';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);
CREATE OPERATOR evil.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);

-- run one statement with the attacker's search_path (pgTAP itself keeps
-- the normal one)
CREATE FUNCTION pg_temp.under_attack(sql text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    saved text := current_setting('search_path');
BEGIN
    PERFORM set_config('search_path', 'evil, pg_catalog, public', true);
    EXECUTE sql;
    PERFORM pg_catalog.set_config('search_path', saved, true);
END
$$;
SELECT throws_ok($$SELECT pg_temp.under_attack('SELECT format(''%s'', ''x''::text)')$$, 'P0001',
                 'hijacked through search_path', 'the trap works for an unqualified call');

SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT lifeguard.schema_snapshot()')$$, 'schema_snapshot');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT lifeguard.schema_fingerprint()')$$, 'schema_fingerprint');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT * FROM lifeguard.schema_diff(lifeguard.schema_snapshot(), lifeguard.schema_snapshot())')$$,
                'schema_diff');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT * FROM lifeguard.check_migration(''CREATE TABLE public.sp_t (a int)'', ''DROP TABLE public.sp_t'')')$$,
                'check_migration');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT lifeguard.migration_is_reversible(''CREATE TABLE public.sp_t (a int)'', ''DROP TABLE public.sp_t'')')$$,
                'migration_is_reversible');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT * FROM lifeguard.advise_indexes(''SELECT 1'')')$$, 'advise_indexes');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT * FROM lifeguard._workload_advice()')$$, 'workload advice');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT * FROM lifeguard.index_advice')$$, 'index_advice');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT * FROM lifeguard.history_chart(''1 hour'', 10)')$$, 'history_chart');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT * FROM lifeguard.health()')$$, 'health');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT * FROM lifeguard.pool_advice')$$, 'pool_advice');
SELECT lives_ok($$SELECT pg_temp.under_attack('SELECT lifeguard.usage_bar(1, 2, 3)')$$, 'usage_bar');

SELECT * FROM finish();
ROLLBACK;
