-- Privileges: exact grants, and what a plain role can and cannot do.
BEGIN;
SELECT plan(24);

SELECT table_privs_are('lifeguard', 'quotas', 'lifeguard_admin',
                       ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']);
SELECT table_privs_are('lifeguard', 'quotas', 'pg_monitor', ARRAY['SELECT']);
SELECT table_privs_are('lifeguard', 'quotas', 'public', ARRAY[]::text[]);
SELECT table_privs_are('lifeguard', v, 'pg_monitor', ARRAY['SELECT'])
  FROM unnest(ARRAY['pool_stats', 'server_usage', 'worker_status', 'events', 'alerts',
                    'pool_history', 'pool_advice', 'metrics']) AS v;
SELECT table_privs_are('lifeguard', 'pool_stats', 'public', ARRAY[]::text[]);
SELECT table_privs_are('lifeguard', 'backends', 'public', ARRAY['SELECT']);

SELECT function_privs_are('lifeguard', 'set_quota',
    ARRAY['text', 'integer', 'integer', 'integer', 'interval', 'interval', 'name', 'name',
          'text', 'interval', 'integer'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('lifeguard', 'reset_stats', ARRAY[]::text[], 'public', ARRAY[]::text[]);
SELECT function_privs_are('lifeguard', 'reset_stats', ARRAY[]::text[], 'lifeguard_admin', ARRAY['EXECUTE']);

-- no function runs with its owner's rights; every SQL and PL/pgSQL one pins search_path
SELECT is((SELECT count(*) FROM pg_proc WHERE pronamespace = 'lifeguard'::regnamespace AND prosecdef),
          0::bigint, 'no SECURITY DEFINER functions');
SELECT is((SELECT array_agg(proname::text ORDER BY proname) FROM pg_proc p
            WHERE pronamespace = 'lifeguard'::regnamespace
              AND prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
              AND NOT coalesce(proconfig::text[] && ARRAY['search_path=pg_catalog, pg_temp'], false)),
          NULL, 'every SQL-language function pins search_path');

-- a plain role: cannot change quotas, reset counters or recycle others
CREATE ROLE lg_tap_plain LOGIN;
CREATE ROLE lg_tap_other LOGIN;
SET LOCAL ROLE lg_tap_plain;
SELECT throws_ok($$SELECT lifeguard.set_quota('tap', 1, 2)$$, '42501');
SELECT throws_ok($$SELECT lifeguard.drop_quota('tap')$$, '42501');
SELECT throws_ok($$SELECT lifeguard.reset_stats()$$, '42501');
SELECT throws_ok($$UPDATE lifeguard.quotas SET hard_limit = 0$$, '42501');
SELECT throws_ok($$SELECT * FROM lifeguard.pool_stats$$, '42501');
SELECT lives_ok($$SELECT * FROM lifeguard.backends$$, 'plain roles read backends');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
