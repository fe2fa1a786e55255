--------------------------------------------------------------------------
-- The connection views, lifeguard.pool_stats and lifeguard.backends, and
-- the memory samples they show (new in 1.1).  The update from 1.0 runs
-- this fragment with CREATE OR REPLACE: columns are only ever added at
-- the end of a view.
--------------------------------------------------------------------------

-- Each client backend's latest memory sample (NULL before the first one,
-- and for another role's backend without its privileges or those of
-- pg_read_all_stats, as pg_stat_activity shows state).
CREATE FUNCTION lifeguard.backend_memory(
    OUT pid integer,
    OUT memory_bytes bigint,
    OUT memory_at_login bigint,
    OUT memory_sampled_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_backend_memory_1_1'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Per application, over the backends that have published a sample.
CREATE FUNCTION lifeguard.application_memory(
    OUT application_name text,
    OUT sampled_backends integer,
    OUT memory_total bigint,
    OUT memory_max bigint,
    OUT memory_median bigint,
    OUT memory_at_login_median bigint,
    OUT growth_per_hour double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_application_memory_1_1'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Per application, every column of lifeguard.pool_stats computed in one
-- pass over shared memory (the memory sums included), then what
-- lifeguard.application_memory() says of it, for pool_advice.  The view
-- is a plain projection of it: nothing to plan but one function scan.
CREATE FUNCTION lifeguard.application_stats(
    OUT application_name text,
    OUT connections integer,
    OUT active integer,
    OUT idle integer,
    OUT idle_in_transaction integer,
    OUT waiting integer,
    OUT peak integer,
    OUT peak_at timestamptz,
    OUT opened bigint,
    OUT closed bigint,
    OUT oldest_connection interval,
    OUT longest_idle interval,
    OUT soft_limit integer,
    OUT hard_limit integer,
    OUT reserved integer,
    OUT mode text,
    OUT utilization numeric,
    OUT rejected bigint,
    OUT would_reject bigint,
    OUT soft_warnings bigint,
    OUT reclaimed bigint,
    OUT recycled bigint,
    OUT status text,
    OUT usage_bar text,
    OUT first_seen timestamptz,
    OUT longest_idle_in_transaction interval,
    OUT mean_session interval,
    OUT xacts bigint,
    OUT mean_xact_ms numeric,
    OUT memory_total bigint,
    OUT memory_max bigint,
    OUT sampled_backends integer,
    OUT memory_median bigint,
    OUT memory_at_login_median bigint,
    OUT growth_per_hour double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_application_stats_1_1'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW lifeguard.pool_stats AS
SELECT s.application_name,
       s.connections,
       s.active,
       s.idle,
       s.idle_in_transaction,
       s.waiting,
       s.peak,
       s.peak_at,
       s.opened,
       s.closed,
       s.oldest_connection,
       s.longest_idle,
       s.soft_limit,
       s.hard_limit,
       s.reserved,
       s.mode,
       s.utilization,
       s.rejected,
       s.would_reject,
       s.soft_warnings,
       s.reclaimed,
       s.recycled,
       s.status,
       s.usage_bar,
       s.first_seen,
       s.longest_idle_in_transaction,
       s.mean_session,
       s.xacts,
       s.mean_xact_ms,
       s.memory_total,
       s.memory_max
  FROM lifeguard.application_stats() s;

COMMENT ON VIEW lifeguard.pool_stats IS
    'One row per application (connect-time application_name) seen since the last reset: live connections by state, counters, its quota, and its backends'' private memory. A NULL application_name is the overflow entry beyond lifeguard.max_applications.';

CREATE VIEW lifeguard.backends AS
SELECT b.pid,
       b.application_name,
       b.current_application_name,
       b.usename,
       b.datname,
       b.state,
       b.backend_start,
       greatest(pg_catalog.statement_timestamp() - b.backend_start, '0'::interval) AS connection_age,
       CASE WHEN b.state IN ('idle', 'idle in transaction', 'idle in transaction (aborted)')
            THEN greatest(pg_catalog.statement_timestamp() - b.state_change, '0'::interval)
       END AS idle_for,
       b.recycle_reason,
       b.recycle_at,
       m.memory_bytes,
       m.memory_sampled_at
  FROM lifeguard.backends() b
  LEFT JOIN lifeguard.backend_memory() m ON m.pid = b.pid;

COMMENT ON VIEW lifeguard.backends IS
    'One row per client backend, with the application it counts under (its connect-time application_name) and its private memory as sampled between statements. Without pg_read_all_stats, state, times and memory of other roles'' backends are NULL, as in pg_stat_activity.';

REVOKE ALL ON FUNCTION lifeguard.backend_memory(), lifeguard.application_memory(),
                       lifeguard.application_stats() FROM PUBLIC;
GRANT SELECT ON lifeguard.pool_stats TO pg_monitor, lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.application_memory(), lifeguard.application_stats()
    TO pg_monitor, lifeguard_admin;
-- backends: everyone, filtered the way pg_stat_activity filters
GRANT SELECT ON lifeguard.backends TO PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard.backend_memory() TO PUBLIC;
