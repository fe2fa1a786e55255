-- Objects, columns and contracts of the pg_lifeguard SQL API.
BEGIN;
SELECT plan(62);

SELECT has_schema('lifeguard');
SELECT has_role('lifeguard_admin');
SELECT ok(NOT rolcanlogin, 'lifeguard_admin cannot log in')
  FROM pg_roles WHERE rolname = 'lifeguard_admin';

SELECT has_table('lifeguard', 'quotas', 'quota rules table');
SELECT has_table('lifeguard', 'event_log', 'persisted events');
SELECT has_table('lifeguard', 'pool_history_log', 'persisted history');

SELECT has_view('lifeguard', v, format('view lifeguard.%s', v))
  FROM unnest(ARRAY['pool_stats', 'backends', 'server_usage', 'worker_status',
                    'events', 'alerts', 'pool_history', 'pool_advice', 'metrics',
                    'pooler_usage']) AS v;

SELECT columns_are('lifeguard', 'pooler_usage',
    ARRAY['pool_application', 'pool_role', 'pool_database', 'client_application',
          'server_connections', 'linked', 'in_use', 'in_use_share', 'transactions',
          'busy_time', 'busy_share', 'window_share', 'alert', 'first_seen',
          'last_transaction_at']);

SELECT columns_are('lifeguard', 'worker_status',
    ARRAY['pid', 'database', 'started_at', 'last_cycle_at', 'last_cycle_ms',
          'cycles', 'is_standby', 'last_error', 'extension_present']);

-- the columns each issue promised, in order, at the front of the views
SELECT is((SELECT array_agg(attname ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'lifeguard.pool_stats'::regclass AND attnum BETWEEN 1 AND 12),
          ARRAY['application_name', 'connections', 'active', 'idle', 'idle_in_transaction',
                'waiting', 'peak', 'peak_at', 'opened', 'closed', 'oldest_connection',
                'longest_idle']::name[],
          'pool_stats starts with the tracking columns');
SELECT is((SELECT array_agg(attname ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'lifeguard.backends'::regclass AND attnum BETWEEN 1 AND 9),
          ARRAY['pid', 'application_name', 'current_application_name', 'usename', 'datname',
                'state', 'backend_start', 'connection_age', 'idle_for']::name[],
          'backends starts with the documented columns');
SELECT is((SELECT array_agg(attname ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'lifeguard.server_usage'::regclass AND attnum BETWEEN 1 AND 6),
          ARRAY['max_connections', 'superuser_reserved_connections', 'usable', 'used',
                'free', 'utilization']::name[],
          'server_usage starts with the documented columns');
SELECT has_column('lifeguard', 'pool_stats', c, format('pool_stats.%s', c))
  FROM unnest(ARRAY['soft_limit', 'hard_limit', 'reserved', 'mode', 'utilization', 'rejected',
                    'soft_warnings', 'reclaimed', 'status', 'usage_bar']) AS c;

SELECT has_function('lifeguard', 'set_quota',
    ARRAY['text', 'integer', 'integer', 'integer', 'interval', 'interval', 'name', 'name',
          'text', 'interval', 'integer', 'bigint', 'text']);
SELECT hasnt_function('lifeguard', 'set_quota',
    ARRAY['text', 'integer', 'integer', 'integer', 'interval', 'interval', 'name', 'name',
          'text', 'interval', 'integer'], '1.0''s set_quota is gone');

-- backend memory (issue 19)
SELECT has_column('lifeguard', 'quotas', 'max_memory', 'quotas.max_memory');
SELECT has_column('lifeguard', 'quotas', 'recycle_at', 'quotas.recycle_at');
SELECT has_column('lifeguard', 'backends', c, format('backends.%s', c))
  FROM unnest(ARRAY['memory_bytes', 'memory_sampled_at']) AS c;
SELECT has_column('lifeguard', 'pool_stats', c, format('pool_stats.%s', c))
  FROM unnest(ARRAY['memory_total', 'memory_max']) AS c;
-- pool_stats is a plain projection of application_stats(): the view's
-- columns are the function's leading ones, by name and type, in order
SELECT has_function('lifeguard', 'application_stats', ARRAY[]::text[]);
SELECT is((SELECT array_agg(format('%s %s', attname, format_type(atttypid, atttypmod)) ORDER BY attnum)
             FROM pg_attribute WHERE attrelid = 'lifeguard.pool_stats'::regclass AND attnum > 0),
          (SELECT array_agg(format('%s %s', n, format_type(t, NULL)) ORDER BY o)
             FROM pg_proc p, unnest(p.proargnames, p.proallargtypes) WITH ORDINALITY AS a(n, t, o)
            WHERE p.oid = 'lifeguard.application_stats()'::regprocedure
              AND o <= (SELECT count(*) FROM pg_attribute
                         WHERE attrelid = 'lifeguard.pool_stats'::regclass AND attnum > 0)),
          'pool_stats has application_stats()''s leading columns');
SELECT has_column('lifeguard', 'pool_advice', 'recommended_max_memory', 'pool_advice.recommended_max_memory');
SELECT has_function('lifeguard', 'drop_quota', ARRAY['text', 'name', 'name']);

-- index advice
SELECT has_view('lifeguard', v, format('view lifeguard.%s', v))
  FROM unnest(ARRAY['unindexed_foreign_keys', 'unused_indexes', 'duplicate_indexes',
                    'predicate_stats', 'n_plus_one', 'index_advice']) AS v;
SELECT has_function('lifeguard', 'advise_indexes', ARRAY['text']);
-- the same result shape as Supabase's index_advisor, so its users can switch
SELECT is(pg_get_function_result('lifeguard.advise_indexes(text)'::regprocedure),
          'record',
          'advise_indexes returns one record');
SELECT is((SELECT array_agg(n ORDER BY o) FROM pg_proc p,
                  unnest(p.proargnames, p.proargmodes::text[]) WITH ORDINALITY AS a(n, m, o)
            WHERE p.oid = 'lifeguard.advise_indexes(text)'::regprocedure AND m = 'o'),
          ARRAY['startup_cost_before', 'total_cost_before', 'startup_cost_after',
                'total_cost_after', 'index_statements', 'errors', 'index_sizes',
                'estimated_benefit', 'confidence'],
          'advise_indexes columns: Supabase''s, then sizes, benefit and confidence');
SELECT columns_are('lifeguard', 'index_advice',
    ARRAY['kind', 'table_name', 'detail', 'estimated_benefit', 'size', 'statement',
          'reasons', 'queries', 'index_size', 'confidence']);
SELECT has_function('lifeguard', 'reset_predicate_stats', ARRAY[]::text[]);
SELECT has_function('lifeguard', 'reset_n_plus_one', ARRAY[]::text[]);

-- migrations
SELECT has_function('lifeguard', 'check_migration', ARRAY['text', 'text', 'text[]']);
SELECT has_function('lifeguard', 'migration_is_reversible', ARRAY['text', 'text']);
SELECT has_function('lifeguard', 'schema_snapshot', ARRAY['text[]']);
SELECT has_function('lifeguard', 'schema_fingerprint', ARRAY['text[]']);
SELECT has_function('lifeguard', 'schema_diff', ARRAY['jsonb', 'jsonb']);
SELECT is(pg_get_function_result('lifeguard.schema_diff(jsonb, jsonb)'::regprocedure),
          'TABLE(object_type text, object_name text, attribute text, before jsonb, after jsonb)',
          'schema_diff result columns');
SELECT is(pg_get_function_result('lifeguard.check_migration(text, text, text[])'::regprocedure),
          'TABLE(step text, statement_no integer, severity text, kind text, object_name text, detail text)',
          'check_migration result columns');

SELECT * FROM finish();
ROLLBACK;
