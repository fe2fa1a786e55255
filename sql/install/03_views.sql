--------------------------------------------------------------------------
-- Set-returning functions behind the views
--------------------------------------------------------------------------

CREATE FUNCTION lifeguard.pool_stats(
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
    OUT oldest_start timestamptz,
    OUT longest_idle_since timestamptz,
    OUT rejected bigint,
    OUT would_reject bigint,
    OUT soft_warnings bigint,
    OUT reclaimed bigint,
    OUT recycled bigint,
    OUT soft_limit integer,
    OUT hard_limit integer,
    OUT reserved integer,
    OUT mode text,
    OUT first_seen timestamptz,
    OUT longest_idle_xact_since timestamptz,
    OUT xacts bigint,
    OUT xact_time_us bigint,
    OUT closed_session_ms bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_pool_stats_1_0'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION lifeguard.backends(
    OUT pid integer,
    OUT application_name text,
    OUT current_application_name text,
    OUT usename text,
    OUT datname text,
    OUT state text,
    OUT backend_start timestamptz,
    OUT state_change timestamptz,
    OUT visible boolean,
    OUT recycle_reason text,
    OUT recycle_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_backends_1_0'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION lifeguard.server_usage(
    OUT max_connections integer,
    OUT superuser_reserved_connections integer,
    OUT reserved_connections integer,
    OUT usable integer,
    OUT used integer,
    OUT declared_hard_limits bigint,
    OUT declared_reserved bigint,
    OUT quota_rules integer)
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_server_usage_1_0'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION lifeguard.worker_status(
    OUT pid integer,
    OUT database text,
    OUT started_at timestamptz,
    OUT last_cycle_at timestamptz,
    OUT last_cycle_ms double precision,
    OUT cycles bigint,
    OUT is_standby boolean,
    OUT last_error text,
    OUT extension_present boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_worker_status_1_0'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION lifeguard.reset_stats()
RETURNS void
AS 'MODULE_PATHNAME', 'lifeguard_reset_stats'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lifeguard.reset_stats() IS
    'Zeroes pg_lifeguard counters and forgets applications with no live connection; live counts and quotas are kept.';

--------------------------------------------------------------------------
-- Views
--------------------------------------------------------------------------

-- lifeguard.pool_stats and lifeguard.backends: see 04_pool_views.sql

CREATE VIEW lifeguard.server_usage AS
SELECT u.max_connections,
       u.superuser_reserved_connections,
       u.usable,
       u.used,
       greatest(u.usable - u.used, 0) AS free,
       round(u.used::numeric / nullif(u.usable, 0), 3) AS utilization,
       u.reserved_connections,
       u.declared_hard_limits,
       u.declared_reserved,
       round(u.declared_hard_limits::numeric / nullif(u.usable, 0), 2) AS overcommit,
       u.quota_rules
  FROM lifeguard.server_usage() u;

COMMENT ON VIEW lifeguard.server_usage IS
    'The server''s connection budget: usable slots (max_connections less reserved ones), client connections in use, and the sum of declared hard limits against usable slots (overcommit above 1 means the pools cannot all be full at once).';

CREATE VIEW lifeguard.worker_status AS
SELECT w.pid,
       w.database,
       w.started_at,
       w.last_cycle_at,
       w.last_cycle_ms,
       w.cycles,
       w.is_standby,
       w.last_error,
       w.extension_present
  FROM lifeguard.worker_status() w;

COMMENT ON VIEW lifeguard.worker_status IS
    'The pg_lifeguard background worker: pid (NULL when not running), its database, when it started, its last cycle and its last error.';

--------------------------------------------------------------------------
-- Privileges
--------------------------------------------------------------------------

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA lifeguard FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA lifeguard FROM PUBLIC;

-- monitoring: pg_monitor and lifeguard_admin read everything
GRANT SELECT ON lifeguard.server_usage, lifeguard.worker_status, lifeguard.quotas
    TO pg_monitor, lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.pool_stats(), lifeguard.server_usage(),
                          lifeguard.worker_status()
    TO pg_monitor, lifeguard_admin;

-- backends: everyone, filtered the way pg_stat_activity filters
GRANT EXECUTE ON FUNCTION lifeguard.backends() TO PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard.usage_bar(integer, integer, integer, integer) TO PUBLIC;

-- administration
GRANT INSERT, UPDATE, DELETE, TRUNCATE ON lifeguard.quotas TO lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.set_quota(text, integer, integer, integer, interval, interval, name, name, text, interval, integer, bigint, text),
                          lifeguard.drop_quota(text, name, name),
                          lifeguard.reset_stats(),
                          lifeguard._quotas_changed(),
                          lifeguard._quotas_validate()
    TO lifeguard_admin;
-- the trigger runs as whoever changed the table
GRANT EXECUTE ON FUNCTION lifeguard._quotas_trigger() TO lifeguard_admin;

