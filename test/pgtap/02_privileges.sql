-- Privileges: exact grants, and what a plain role can and cannot do.
BEGIN;
SELECT plan(64);

SELECT table_privs_are('lifeguard', 'quotas', 'lifeguard_admin',
                       ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']);
SELECT table_privs_are('lifeguard', 'quotas', 'pg_monitor', ARRAY['SELECT']);
SELECT table_privs_are('lifeguard', 'quotas', 'public', ARRAY[]::text[]);
SELECT table_privs_are('lifeguard', v, 'pg_monitor', ARRAY['SELECT'])
  FROM unnest(ARRAY['pool_stats', 'server_usage', 'worker_status', 'events', 'alerts',
                    'pool_history', 'pool_advice', 'metrics', 'pooler_usage']) AS v;
SELECT table_privs_are('lifeguard', v, 'pg_monitor', ARRAY['SELECT'])
  FROM unnest(ARRAY['unindexed_foreign_keys', 'unused_indexes', 'duplicate_indexes',
                    'predicate_stats', 'index_advice']) AS v;
SELECT table_privs_are('lifeguard', 'predicate_stats', 'public', ARRAY[]::text[]);
-- like pg_stat_statements: anyone may read it, texts are filtered per row
SELECT table_privs_are('lifeguard', 'n_plus_one', 'public', ARRAY['SELECT']);
SELECT table_privs_are('lifeguard', 'pool_stats', 'public', ARRAY[]::text[]);
SELECT table_privs_are('lifeguard', 'backends', 'public', ARRAY['SELECT']);
-- who uses a pooler's connections is monitoring data, like pool_stats
SELECT table_privs_are('lifeguard', 'pooler_usage', 'public', ARRAY[]::text[]);
SELECT table_privs_are('lifeguard', 'pooler_usage', 'lifeguard_admin', ARRAY['SELECT']);
SELECT function_privs_are('lifeguard', f, ARRAY[]::text[], 'public', ARRAY[]::text[])
  FROM unnest(ARRAY['pooler_usage', 'pooler_untracked_transactions']) AS f;
SELECT function_privs_are('lifeguard', f, ARRAY[]::text[], 'pg_monitor', ARRAY['EXECUTE'])
  FROM unnest(ARRAY['pooler_usage', 'pooler_untracked_transactions']) AS f;

SELECT function_privs_are('lifeguard', 'set_quota',
    ARRAY['text', 'integer', 'integer', 'integer', 'interval', 'interval', 'name', 'name',
          'text', 'interval', 'integer', 'bigint', 'text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('lifeguard', 'set_quota',
    ARRAY['text', 'integer', 'integer', 'integer', 'interval', 'interval', 'name', 'name',
          'text', 'interval', 'integer', 'bigint', 'text'], 'lifeguard_admin', ARRAY['EXECUTE']);
-- memory: everyone reads backends' (filtered per row), only monitors the per-application sums
SELECT function_privs_are('lifeguard', 'backend_memory', ARRAY[]::text[], 'public', ARRAY['EXECUTE']);
SELECT function_privs_are('lifeguard', 'application_memory', ARRAY[]::text[], 'public', ARRAY[]::text[]);
SELECT function_privs_are('lifeguard', 'application_memory', ARRAY[]::text[], 'pg_monitor', ARRAY['EXECUTE']);
-- what pool_stats and pool_advice are made of: their readers only
SELECT function_privs_are('lifeguard', 'application_stats', ARRAY[]::text[], 'public', ARRAY[]::text[]);
SELECT function_privs_are('lifeguard', 'application_stats', ARRAY[]::text[], r, ARRAY['EXECUTE'])
  FROM unnest(ARRAY['pg_monitor', 'lifeguard_admin']) AS r;
SELECT function_privs_are('lifeguard', 'reset_stats', ARRAY[]::text[], 'public', ARRAY[]::text[]);
SELECT function_privs_are('lifeguard', 'reset_stats', ARRAY[]::text[], 'lifeguard_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('lifeguard', f, ARRAY[]::text[], 'public', ARRAY[]::text[])
  FROM unnest(ARRAY['reset_predicate_stats', 'reset_n_plus_one']) AS f;
SELECT function_privs_are('lifeguard', f, ARRAY[]::text[], 'lifeguard_admin', ARRAY['EXECUTE'])
  FROM unnest(ARRAY['reset_predicate_stats', 'reset_n_plus_one']) AS f;
-- what index_advice is made of: its readers only
SELECT function_privs_are('lifeguard', '_index_advice_create', ARRAY[]::text[], 'public', ARRAY[]::text[]);
SELECT function_privs_are('lifeguard', '_index_advice_create', ARRAY[]::text[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT function_privs_are('lifeguard', '_index_statement_parts', ARRAY['text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('lifeguard', '_index_statement_parts', ARRAY['text'], 'pg_monitor', ARRAY['EXECUTE']);

-- no function runs with its owner's rights; every SQL and PL/pgSQL one pins search_path
SELECT is((SELECT count(*) FROM pg_proc WHERE pronamespace = 'lifeguard'::regnamespace AND prosecdef),
          0::bigint, 'no SECURITY DEFINER functions');
-- ... except the two that run the caller's own SQL, which must see the
-- caller's search_path (and run with the caller's rights)
SELECT is((SELECT array_agg(proname::text ORDER BY proname) FROM pg_proc p
            WHERE pronamespace = 'lifeguard'::regnamespace
              AND prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
              AND NOT coalesce(proconfig::text[] && ARRAY['search_path=pg_catalog, pg_temp'], false)),
          ARRAY['_workload_advice', 'migration_is_reversible'],
          'every other SQL-language function pins search_path');

-- a plain role: cannot change quotas or reset counters (that it cannot
-- recycle other roles' backends is tested in test/t/005_recycling.pl)
CREATE ROLE lg_tap_plain LOGIN;
CREATE ROLE lg_tap_other LOGIN;
SET LOCAL ROLE lg_tap_plain;
SELECT throws_ok($$SELECT lifeguard.set_quota('tap', 1, 2)$$, '42501');
SELECT throws_ok($$SELECT lifeguard.drop_quota('tap')$$, '42501');
SELECT throws_ok($$SELECT lifeguard.reset_stats()$$, '42501');
SELECT throws_ok($$UPDATE lifeguard.quotas SET hard_limit = 0$$, '42501');
SELECT throws_ok($$SELECT * FROM lifeguard.pool_stats$$, '42501');
SELECT throws_ok($$SELECT * FROM lifeguard.pooler_usage$$, '42501');
SELECT lives_ok($$SELECT * FROM lifeguard.backends$$, 'plain roles read backends');
SELECT throws_ok($$SELECT * FROM lifeguard.application_memory()$$, '42501');
SELECT throws_ok($$SELECT * FROM lifeguard.application_stats()$$, '42501');
SELECT throws_ok($$SELECT lifeguard.set_quota('tap', 1, 2, max_memory => 1073741824)$$, '42501');
SELECT throws_ok($$SELECT lifeguard.reset_predicate_stats()$$, '42501');
SELECT throws_ok($$SELECT lifeguard.reset_n_plus_one()$$, '42501');
SELECT throws_ok($$SELECT * FROM lifeguard.predicate_stats$$, '42501');
SELECT lives_ok($$SELECT * FROM lifeguard.n_plus_one$$, 'plain roles read n_plus_one');
SELECT lives_ok($$SELECT * FROM lifeguard.advise_indexes('SELECT 1')$$, 'plain roles ask for index advice');
SELECT throws_ok($$SELECT * FROM lifeguard.index_advice$$, '42501');
SELECT throws_ok($$SELECT * FROM lifeguard._index_advice_create()$$, '42501');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
