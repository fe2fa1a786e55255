-- pg_lifeguard--1.0.sql, as released (generated then from the fragments in sql/install)

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_lifeguard" to load this file. \quit

-- sql/install/00_core.sql

-- The role that may change quotas, recycle backends and reset counters.
-- Roles are cluster-wide and outlive the extension, so create it only once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'lifeguard_admin') THEN
        CREATE ROLE lifeguard_admin NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA lifeguard TO PUBLIC;

--------------------------------------------------------------------------
-- Quota rules
--------------------------------------------------------------------------

CREATE TABLE lifeguard.quotas (
    application_name text NOT NULL,
    role name,
    database name,
    soft_limit integer NOT NULL,
    hard_limit integer NOT NULL,
    reserved integer NOT NULL DEFAULT 0,
    min_idle integer NOT NULL DEFAULT 0,
    max_age interval,
    idle_timeout interval,
    idle_in_transaction_timeout interval,
    mode text NOT NULL DEFAULT 'enforce',
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT quotas_application_name_check
        CHECK (pg_catalog.octet_length(application_name) OPERATOR(pg_catalog.<) 64
               AND application_name OPERATOR(pg_catalog.~) '^[ -~]*$'),
    CONSTRAINT quotas_limits_check
        CHECK (soft_limit OPERATOR(pg_catalog.>=) 0
               AND hard_limit OPERATOR(pg_catalog.>=) soft_limit),
    CONSTRAINT quotas_reserved_check
        CHECK (reserved OPERATOR(pg_catalog.>=) 0
               AND reserved OPERATOR(pg_catalog.<=) hard_limit
               AND (reserved OPERATOR(pg_catalog.=) 0
                    OR application_name OPERATOR(pg_catalog.<>) '*')),
    CONSTRAINT quotas_min_idle_check
        CHECK (min_idle OPERATOR(pg_catalog.>=) 0
               AND min_idle OPERATOR(pg_catalog.<=) hard_limit),
    CONSTRAINT quotas_intervals_check
        CHECK ((max_age IS NULL OR max_age OPERATOR(pg_catalog.>) '0'::interval)
               AND (idle_timeout IS NULL OR idle_timeout OPERATOR(pg_catalog.>) '0'::interval)
               AND (idle_in_transaction_timeout IS NULL
                    OR idle_in_transaction_timeout OPERATOR(pg_catalog.>) '0'::interval)),
    CONSTRAINT quotas_mode_check
        CHECK (mode OPERATOR(pg_catalog.=) ANY (ARRAY['off', 'warn', 'enforce']))
);

CREATE UNIQUE INDEX quotas_rule_key ON lifeguard.quotas
    (application_name, (COALESCE(role, ''::name)), (COALESCE(database, ''::name)));

COMMENT ON TABLE lifeguard.quotas IS
    'Connection quota rules per application (optionally per role and database); the most specific matching rule wins. Change with lifeguard.set_quota() / lifeguard.drop_quota() or plain DML; committed changes apply to the next login.';

SELECT pg_catalog.pg_extension_config_dump('lifeguard.quotas', '');

CREATE FUNCTION lifeguard._quotas_changed()
RETURNS void
AS 'MODULE_PATHNAME', 'lifeguard_quotas_changed'
LANGUAGE C VOLATILE;

-- Every statement that changes the rules publishes them at commit.
CREATE FUNCTION lifeguard._quotas_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    total_reserved bigint;
    usable integer;
BEGIN
    -- one writer at a time, so each commit publishes a complete set
    LOCK TABLE lifeguard.quotas IN SHARE ROW EXCLUSIVE MODE;
    PERFORM lifeguard._quotas_changed();

    SELECT coalesce(sum(q.reserved), 0) INTO total_reserved
      FROM lifeguard.quotas q WHERE q.mode <> 'off';
    SELECT s.usable INTO usable FROM lifeguard.server_usage() s;
    IF total_reserved > usable THEN
        RAISE EXCEPTION 'reserved connections exceed usable connections'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Quota rules reserve %s connections; the server has %s usable connections.',
                                  total_reserved, usable),
                  HINT = 'Lower the reservations, or raise max_connections.';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER quotas_publish
    AFTER INSERT OR UPDATE OR DELETE ON lifeguard.quotas
    FOR EACH STATEMENT EXECUTE FUNCTION lifeguard._quotas_trigger();
CREATE TRIGGER quotas_publish_truncate
    AFTER TRUNCATE ON lifeguard.quotas
    FOR EACH STATEMENT EXECUTE FUNCTION lifeguard._quotas_trigger();

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

-- A bar a person can read at a glance: # up to the soft limit,
-- + above it, . for what is left up to the hard limit.
CREATE FUNCTION lifeguard.usage_bar(connections integer, soft_limit integer,
                                    hard_limit integer, width integer DEFAULT 20)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN connections IS NULL THEN NULL
        WHEN hard_limit IS NULL OR hard_limit <= 0 OR width <= 0 THEN connections::text
        ELSE '[' ||
             repeat('#', least(connections, soft_limit) * width / hard_limit) ||
             repeat('+', greatest(least(connections, hard_limit) * width / hard_limit
                                  - least(connections, soft_limit) * width / hard_limit, 0)) ||
             repeat('.', width - least(connections, hard_limit) * width / hard_limit) ||
             '] ' || connections || '/' || hard_limit
    END
$$;

COMMENT ON FUNCTION lifeguard.usage_bar(integer, integer, integer, integer) IS
    'Text bar of connections against soft and hard limits: # within soft, + above soft, . free up to hard.';

--------------------------------------------------------------------------
-- Views
--------------------------------------------------------------------------

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
       greatest(pg_catalog.statement_timestamp() - s.oldest_start, '0'::interval) AS oldest_connection,
       greatest(pg_catalog.statement_timestamp() - s.longest_idle_since, '0'::interval) AS longest_idle,
       s.soft_limit,
       s.hard_limit,
       s.reserved,
       s.mode,
       round(s.connections::numeric / nullif(s.hard_limit, 0), 3) AS utilization,
       s.rejected,
       s.would_reject,
       s.soft_warnings,
       s.reclaimed,
       s.recycled,
       CASE
           WHEN s.hard_limit IS NULL OR s.mode = 'off' THEN 'ok'
           WHEN s.connections >= s.hard_limit THEN 'at_hard'
           WHEN s.connections > s.soft_limit THEN 'over_soft'
           ELSE 'ok'
       END AS status,
       lifeguard.usage_bar(s.connections, s.soft_limit, s.hard_limit) AS usage_bar,
       s.first_seen,
       greatest(pg_catalog.statement_timestamp() - s.longest_idle_xact_since, '0'::interval) AS longest_idle_in_transaction,
       CASE WHEN s.closed > 0 THEN s.closed_session_ms / s.closed * '1 millisecond'::interval END AS mean_session,
       s.xacts,
       CASE WHEN s.xacts > 0 THEN round(s.xact_time_us::numeric / s.xacts / 1000, 3) END AS mean_xact_ms
  FROM lifeguard.pool_stats() s;

COMMENT ON VIEW lifeguard.pool_stats IS
    'One row per application (connect-time application_name) seen since the last reset: live connections by state, counters, and its quota. A NULL application_name is the overflow entry beyond lifeguard.max_applications.';

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
       b.recycle_at
  FROM lifeguard.backends() b;

COMMENT ON VIEW lifeguard.backends IS
    'One row per client backend, with the application it counts under (its connect-time application_name). Without pg_read_all_stats, state and times of other roles'' backends are NULL, as in pg_stat_activity.';

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
-- Quota management
--------------------------------------------------------------------------

CREATE FUNCTION lifeguard.set_quota(
    application_name text,
    soft_limit integer,
    hard_limit integer,
    reserved integer DEFAULT 0,
    max_age interval DEFAULT NULL,
    idle_timeout interval DEFAULT NULL,
    role name DEFAULT NULL,
    database name DEFAULT NULL,
    mode text DEFAULT 'enforce',
    idle_in_transaction_timeout interval DEFAULT NULL,
    min_idle integer DEFAULT 0)
RETURNS lifeguard.quotas
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    app text := set_quota.application_name;
    result lifeguard.quotas;
BEGIN
    IF app IS NULL THEN
        RAISE EXCEPTION 'application name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Use ''*'' for the default rule, or '''' for clients that send no application_name.';
    END IF;
    IF app !~ '^[ -~]*$' THEN
        RAISE EXCEPTION 'invalid application name "%"', app
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Application names may contain only printable ASCII characters; the server replaces any other byte a client sends, so such a rule could never match.';
    END IF;
    IF octet_length(app) > 63 THEN
        RAISE NOTICE 'application name "%" will be truncated to "%"', app, left(app, 63)
            USING ERRCODE = 'name_too_long',
                  DETAIL = 'The server keeps the first 63 bytes of an application_name, as pg_stat_activity shows it.';
        app := left(app, 63);
    END IF;
    IF soft_limit IS NULL OR hard_limit IS NULL OR reserved IS NULL OR min_idle IS NULL THEN
        RAISE EXCEPTION 'quota limits must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF soft_limit < 0 OR hard_limit < 0 OR reserved < 0 OR min_idle < 0 THEN
        RAISE EXCEPTION 'quota limits must not be negative'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF soft_limit > hard_limit THEN
        RAISE EXCEPTION 'soft limit % is greater than hard limit %', soft_limit, hard_limit
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set soft_limit to the pool size and hard_limit to pool size plus overflow.';
    END IF;
    IF reserved > hard_limit THEN
        RAISE EXCEPTION 'reserved connections % exceed hard limit %', reserved, hard_limit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF reserved > 0 AND app = '*' THEN
        RAISE EXCEPTION 'the default rule cannot reserve connections'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Reserve connections on a named application''s rule.';
    END IF;
    IF min_idle > hard_limit THEN
        RAISE EXCEPTION 'min_idle % exceeds hard limit %', min_idle, hard_limit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF mode IS NULL OR mode NOT IN ('off', 'warn', 'enforce') THEN
        RAISE EXCEPTION 'invalid quota mode "%"', mode
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Valid modes are "off", "warn" and "enforce".';
    END IF;
    IF max_age <= '0'::interval OR idle_timeout <= '0'::interval
       OR idle_in_transaction_timeout <= '0'::interval THEN
        RAISE EXCEPTION 'quota time limits must be positive'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use NULL to leave a time limit unset.';
    END IF;
    IF role IS NOT NULL AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = role) THEN
        RAISE EXCEPTION 'role "%" does not exist', role
            USING ERRCODE = 'undefined_object';
    END IF;
    IF database IS NOT NULL AND NOT EXISTS (SELECT FROM pg_database d WHERE d.datname = database) THEN
        RAISE EXCEPTION 'database "%" does not exist', database
            USING ERRCODE = 'invalid_catalog_name';
    END IF;

    LOCK TABLE lifeguard.quotas IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO lifeguard.quotas AS q
           (application_name, role, database, soft_limit, hard_limit, reserved,
            min_idle, max_age, idle_timeout, idle_in_transaction_timeout, mode)
    VALUES (app, set_quota.role, set_quota.database, set_quota.soft_limit,
            set_quota.hard_limit, set_quota.reserved, set_quota.min_idle,
            set_quota.max_age, set_quota.idle_timeout,
            set_quota.idle_in_transaction_timeout, set_quota.mode)
    ON CONFLICT (application_name, (COALESCE(role, ''::name)), (COALESCE(database, ''::name)))
    DO UPDATE SET soft_limit = EXCLUDED.soft_limit,
                  hard_limit = EXCLUDED.hard_limit,
                  reserved = EXCLUDED.reserved,
                  min_idle = EXCLUDED.min_idle,
                  max_age = EXCLUDED.max_age,
                  idle_timeout = EXCLUDED.idle_timeout,
                  idle_in_transaction_timeout = EXCLUDED.idle_in_transaction_timeout,
                  mode = EXCLUDED.mode,
                  updated_at = now()
    RETURNING q.* INTO result;
    RETURN result;
END
$$;

COMMENT ON FUNCTION lifeguard.set_quota(text, integer, integer, integer, interval, interval, name, name, text, interval, integer) IS
    'Creates or replaces the quota rule for an application (''*'' = default), optionally for one role and/or database. Applies to the next login once the transaction commits.';

CREATE FUNCTION lifeguard.drop_quota(
    application_name text,
    role name DEFAULT NULL,
    database name DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_rule boolean;
BEGIN
    IF application_name IS NULL THEN
        RAISE EXCEPTION 'application name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    LOCK TABLE lifeguard.quotas IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM lifeguard.quotas q
     WHERE q.application_name = left(drop_quota.application_name, 63)
       AND q.role IS NOT DISTINCT FROM drop_quota.role
       AND q.database IS NOT DISTINCT FROM drop_quota.database;
    found_rule := FOUND;
    IF NOT found_rule THEN
        RAISE NOTICE 'no quota rule for application "%"%', application_name,
            coalesce(' role "' || role || '"', '') || coalesce(' database "' || database || '"', '');
    END IF;
    RETURN found_rule;
END
$$;

COMMENT ON FUNCTION lifeguard.drop_quota(text, name, name) IS
    'Removes a quota rule; returns false (with a notice) when there was none.';

--------------------------------------------------------------------------
-- Privileges
--------------------------------------------------------------------------

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA lifeguard FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA lifeguard FROM PUBLIC;

-- monitoring: pg_monitor and lifeguard_admin read everything
GRANT SELECT ON lifeguard.pool_stats, lifeguard.server_usage,
                lifeguard.worker_status, lifeguard.quotas
    TO pg_monitor, lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.pool_stats(), lifeguard.server_usage(),
                          lifeguard.worker_status()
    TO pg_monitor, lifeguard_admin;

-- backends: everyone, filtered the way pg_stat_activity filters
GRANT SELECT ON lifeguard.backends TO PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard.backends() TO PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard.usage_bar(integer, integer, integer, integer) TO PUBLIC;

-- administration
GRANT INSERT, UPDATE, DELETE, TRUNCATE ON lifeguard.quotas TO lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.set_quota(text, integer, integer, integer, interval, interval, name, name, text, interval, integer),
                          lifeguard.drop_quota(text, name, name),
                          lifeguard.reset_stats(),
                          lifeguard._quotas_changed()
    TO lifeguard_admin;
-- the trigger runs as whoever changed the table
GRANT EXECUTE ON FUNCTION lifeguard._quotas_trigger() TO lifeguard_admin;

-- sql/install/10_recycling.sql
--------------------------------------------------------------------------
-- Recycling, events, alerts, history, pool advice, health and metrics
--------------------------------------------------------------------------

CREATE FUNCTION lifeguard.recycle(pid integer, timeout_ms integer DEFAULT 1000)
RETURNS boolean
AS 'MODULE_PATHNAME', 'lifeguard_recycle'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION lifeguard.recycle(integer, integer) IS
    'Asks an idle client backend to end at its next safe point and waits for it; false if it is busy. Permission rules of pg_terminate_backend, plus lifeguard_admin.';

CREATE FUNCTION lifeguard.recycle_application(application_name text, only_idle boolean DEFAULT true)
RETURNS integer
AS 'MODULE_PATHNAME', 'lifeguard_recycle_application'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION lifeguard.recycle_application(text, boolean) IS
    'Asks every backend of an application to end: idle ones at their next safe point (only_idle), or all at once with SIGTERM. Returns how many were asked.';

-- Events persisted by the worker on a primary; lifeguard.events adds
-- those still only in shared memory.
CREATE TABLE lifeguard.event_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    kind text NOT NULL,
    application_name text,
    pid integer,
    usename text,
    datname text,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX event_log_at ON lifeguard.event_log (at);
COMMENT ON TABLE lifeguard.event_log IS
    'Events written by the pg_lifeguard worker on a primary, kept for lifeguard.event_retention; read them through lifeguard.events.';

CREATE TABLE lifeguard.pool_history_log (
    at timestamptz NOT NULL,
    application_name text NOT NULL,
    connections integer NOT NULL,
    active integer NOT NULL,
    idle integer NOT NULL,
    idle_in_transaction integer NOT NULL,
    waiting integer NOT NULL,
    xacts bigint NOT NULL,
    xact_time_us bigint NOT NULL,
    opened bigint NOT NULL
);
CREATE INDEX pool_history_log_at ON lifeguard.pool_history_log (at);
COMMENT ON TABLE lifeguard.pool_history_log IS
    'History samples written by the pg_lifeguard worker on a primary every lifeguard.history_interval, kept for lifeguard.history_retention; read them through lifeguard.pool_history.';

CREATE FUNCTION lifeguard.recent_events(
    OUT seq bigint,
    OUT at timestamptz,
    OUT kind text,
    OUT application_name text,
    OUT pid integer,
    OUT usename text,
    OUT datname text,
    OUT detail jsonb)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_recent_events_1_0'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION lifeguard.recent_samples(
    OUT at timestamptz,
    OUT application_name text,
    OUT connections integer,
    OUT active integer,
    OUT idle integer,
    OUT idle_in_transaction integer,
    OUT waiting integer,
    OUT xacts bigint,
    OUT xact_time_us bigint,
    OUT opened bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_recent_samples_1_0'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION lifeguard.alerts(
    OUT scope text,
    OUT application_name text,
    OUT raised_at timestamptz,
    OUT value double precision,
    OUT threshold double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_alerts_1_0'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW lifeguard.events AS
SELECT e.at, e.kind, e.application_name, e.pid, e.usename, e.datname, e.detail
  FROM lifeguard.event_log e
UNION ALL
SELECT r.at, r.kind, r.application_name, r.pid, r.usename, r.datname, r.detail
  FROM lifeguard.recent_events() r;

COMMENT ON VIEW lifeguard.events IS
    'Recycles, reclaims, refusals, soft warnings and alerts: persisted events plus those still only in shared memory (all of them on a standby).';

CREATE VIEW lifeguard.alerts AS
SELECT a.scope, a.application_name, a.raised_at,
       round(a.value::numeric, 3) AS utilization,
       a.threshold,
       greatest(pg_catalog.statement_timestamp() - a.raised_at, '0'::interval) AS active_for
  FROM lifeguard.alerts() a;

COMMENT ON VIEW lifeguard.alerts IS
    'Alerts raised and not yet cleared: server utilization at lifeguard.alert_threshold, or an application at lifeguard.application_alert_threshold of its hard limit; cleared below lifeguard.alert_clear_threshold.';

CREATE VIEW lifeguard.pool_history AS
SELECT h.at, h.application_name, h.connections, h.active, h.idle,
       h.idle_in_transaction, h.waiting, h.xacts, h.xact_time_us, h.opened
  FROM lifeguard.pool_history_log h
UNION ALL
SELECT r.at, r.application_name, r.connections, r.active, r.idle,
       r.idle_in_transaction, r.waiting, r.xacts, r.xact_time_us, r.opened
  FROM lifeguard.recent_samples() r;

COMMENT ON VIEW lifeguard.pool_history IS
    'One sample per application every lifeguard.history_interval: connections by state and cumulative counters.';

-- A compact chart per application in psql: one character per time bucket,
-- height relative to the application's own peak in the window.
CREATE FUNCTION lifeguard.history_chart(since interval DEFAULT '1 hour', width integer DEFAULT 60)
RETURNS TABLE (application_name text, peak integer, now integer, chart text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH b AS (
        SELECT h.application_name,
               least(width - 1, floor(extract(epoch FROM (h.at - (now() - since)))
                                       / extract(epoch FROM since) * width)::int) AS bucket,
               max(h.connections) AS c
          FROM lifeguard.pool_history h
         WHERE h.at > now() - since
         GROUP BY 1, 2
    ), m AS (
        SELECT b.application_name, max(b.c) AS peak FROM b GROUP BY 1
    )
    SELECT m.application_name, m.peak,
           (SELECT b2.c FROM b b2 WHERE b2.application_name = m.application_name
             ORDER BY b2.bucket DESC LIMIT 1),
           string_agg(CASE WHEN b.c IS NULL THEN ' '
                           WHEN m.peak = 0 THEN '_'
                           ELSE substr('▁▂▃▄▅▆▇█', 1 + (b.c * 7 / m.peak), 1) END,
                      '' ORDER BY g.i)
      FROM m
     CROSS JOIN generate_series(0, width - 1) AS g(i)
      LEFT JOIN b ON b.application_name = m.application_name AND b.bucket = g.i
     GROUP BY m.application_name, m.peak
     ORDER BY m.application_name
$$;

COMMENT ON FUNCTION lifeguard.history_chart(interval, integer) IS
    'Connections over time per application as a text chart (one character per bucket, scaled to the application''s peak).';

-- Pool sizing advice.  See README, "Pool advice", for each rule.
CREATE VIEW lifeguard.pool_advice AS
WITH win AS (
    SELECT h.application_name,
           count(*) AS samples,
           max(h.active) AS peak_active,
           percentile_disc(0.95) WITHIN GROUP (ORDER BY h.active) AS p95_active,
           avg(h.connections) AS avg_connections,
           max(h.connections) AS peak_connections,
           avg((h.idle_in_transaction > 0)::int) AS idle_xact_share,
           extract(epoch FROM max(h.at) - min(h.at)) AS span_s,
           max(h.xacts) - min(h.xacts) AS d_xacts,
           max(h.xact_time_us) - min(h.xact_time_us) AS d_xact_us,
           max(h.opened) - min(h.opened) AS d_opened
      FROM lifeguard.pool_history h
     WHERE h.at > now() - interval '1 hour'
     GROUP BY 1
), base AS (
    SELECT s.application_name, s.connections, s.active, s.peak, s.hard_limit, s.soft_limit,
           s.rejected, s.oldest_connection, s.longest_idle_in_transaction, s.mean_session,
           s.opened, s.closed, s.first_seen,
           coalesce(w.samples, 0) AS samples,
           greatest(coalesce(w.peak_active, 0), s.active) AS peak_active,
           coalesce(w.p95_active, s.active) AS p95_active,
           coalesce(w.avg_connections, s.connections) AS avg_connections,
           coalesce(w.idle_xact_share, 0) AS idle_xact_share,
           CASE WHEN w.span_s > 0 THEN w.d_xacts / w.span_s END AS xact_rate,
           CASE WHEN w.d_xacts > 0 THEN w.d_xact_us::numeric / w.d_xacts / 1000 END AS mean_xact_ms,
           CASE WHEN w.span_s > 0 THEN w.d_opened / w.span_s
                ELSE s.opened / greatest(extract(epoch FROM now() - s.first_seen), 1) END AS connect_rate,
           (SELECT q.max_age FROM lifeguard.quotas q
             WHERE q.application_name IN (s.application_name, '*')
               AND q.role IS NULL AND q.database IS NULL
             ORDER BY q.application_name = '*' LIMIT 1) AS rule_max_age
      FROM lifeguard.pool_stats s
      LEFT JOIN win w ON w.application_name = s.application_name
     WHERE s.application_name IS NOT NULL
), calc AS (
    SELECT b.*,
           round(b.xact_rate * b.mean_xact_ms / 1000, 2) AS littles_law_busy,
           greatest(1, ceil(greatest(b.p95_active, coalesce(b.xact_rate * b.mean_xact_ms / 1000, 0)) * 1.25))::int AS pool_size,
           coalesce(b.rule_max_age,
                    nullif(current_setting('lifeguard.max_age'), '0')::interval) AS max_age
      FROM base b
)
SELECT c.application_name,
       c.connections,
       c.peak AS observed_peak,
       c.peak_active,
       c.p95_active,
       round(c.xact_rate, 2) AS xact_rate,
       round(c.mean_xact_ms, 3) AS mean_xact_ms,
       c.littles_law_busy,
       c.pool_size AS recommended_pool_size,
       greatest(ceil(c.pool_size * 0.5)::int, c.peak_active - c.pool_size) AS recommended_max_overflow,
       coalesce(nullif(array_remove(ARRAY[
           CASE WHEN c.connect_rate >= 1 AND c.closed >= 20 AND c.mean_session < interval '5 seconds'
                THEN 'no_pooling' END,
           CASE WHEN c.longest_idle_in_transaction >= interval '30 seconds' OR c.idle_xact_share > 0.5
                THEN 'leaking_transactions' END,
           CASE WHEN c.samples >= 5 AND c.avg_connections >= 4 AND c.peak_active <= 0.25 * c.avg_connections
                THEN 'oversized' END,
           CASE WHEN c.rejected > 0 OR (c.hard_limit IS NOT NULL AND c.peak >= c.hard_limit)
                THEN 'undersized' END,
           CASE WHEN c.max_age IS NOT NULL AND c.oldest_connection > c.max_age * 1.5
                THEN 'not_recycling' END], NULL), '{}'), ARRAY['ok']) AS diagnoses,
       format('active connections: p95 %s, peak %s over %s samples; '
              'Little''s law: %s xact/s x %s ms = %s busy connections; '
              'pool_size = ceil(max(p95 active, busy) x 1.25) = %s; '
              'max_overflow = max(peak active - pool_size, pool_size / 2) = %s',
              c.p95_active, c.peak_active, c.samples,
              coalesce(round(c.xact_rate, 2)::text, '?'), coalesce(round(c.mean_xact_ms, 2)::text, '?'),
              coalesce(c.littles_law_busy::text, '?'), c.pool_size,
              greatest(ceil(c.pool_size * 0.5)::int, c.peak_active - c.pool_size)) AS arithmetic
  FROM calc c;

COMMENT ON VIEW lifeguard.pool_advice IS
    'Per application: observed peak and p95 of active connections over the last hour, the Little''s-law estimate, a recommended pool_size and max_overflow with its arithmetic, and diagnoses (no_pooling, leaking_transactions, oversized, undersized, not_recycling).';

CREATE FUNCTION lifeguard.health(
    OUT status text,
    OUT reasons text[],
    OUT utilization numeric,
    OUT active_alerts integer,
    OUT worker_alive boolean)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w record;
    u record;
    naptime_ms double precision :=
        extract(epoch FROM current_setting('lifeguard.naptime')::interval) * 1000;
BEGIN
    SELECT * INTO w FROM lifeguard.worker_status;
    SELECT * INTO u FROM lifeguard.server_usage;
    SELECT count(*) INTO active_alerts FROM lifeguard.alerts;
    utilization := u.utilization;
    worker_alive := w.pid IS NOT NULL AND w.last_cycle_at IS NOT NULL
        AND w.last_cycle_at > clock_timestamp() - greatest(naptime_ms * 10, 10000) * interval '1 millisecond';
    reasons := '{}';
    IF NOT worker_alive THEN
        reasons := reasons || 'worker not running'::text;
    END IF;
    IF u.utilization >= 0.95 THEN
        reasons := reasons || format('utilization %s', u.utilization);
    ELSIF u.utilization >= current_setting('lifeguard.alert_threshold')::numeric THEN
        reasons := reasons || format('utilization %s at or above the alert threshold', u.utilization);
    END IF;
    IF active_alerts > 0 THEN
        reasons := reasons || format('%s active alerts', active_alerts);
    END IF;
    status := CASE WHEN NOT worker_alive OR u.utilization >= 0.95 THEN 'critical'
                   WHEN cardinality(reasons) > 0 THEN 'warn'
                   ELSE 'ok' END;
END
$$;

COMMENT ON FUNCTION lifeguard.health() IS
    'One row for a health endpoint: ok, warn or critical, with reasons (worker alive, utilization, active alerts).';

-- Metrics for postgres_exporter / Prometheus: one row per sample.
CREATE VIEW lifeguard.metrics AS
SELECT 'lifeguard_connections'::text AS metric,
       jsonb_build_object('application', coalesce(s.application_name, '(overflow)'), 'state', st.state) AS labels,
       st.value::double precision AS value
  FROM lifeguard.pool_stats s
 CROSS JOIN LATERAL (VALUES ('active', s.active), ('idle', s.idle),
                            ('idle_in_transaction', s.idle_in_transaction),
                            ('waiting', s.waiting)) AS st(state, value)
UNION ALL
SELECT 'lifeguard_' || c.name,
       jsonb_build_object('application', coalesce(s.application_name, '(overflow)')),
       c.value::double precision
  FROM lifeguard.pool_stats s
 CROSS JOIN LATERAL (VALUES ('connections_total', s.connections::bigint),
                            ('peak_connections', s.peak::bigint),
                            ('opened_total', s.opened), ('closed_total', s.closed),
                            ('rejected_total', s.rejected), ('would_reject_total', s.would_reject),
                            ('soft_warnings_total', s.soft_warnings),
                            ('reclaimed_total', s.reclaimed), ('recycled_total', s.recycled),
                            ('soft_limit', s.soft_limit::bigint), ('hard_limit', s.hard_limit::bigint)) AS c(name, value)
 WHERE c.value IS NOT NULL
UNION ALL
SELECT 'lifeguard_server_' || c.name, '{}'::jsonb, c.value::double precision
  FROM lifeguard.server_usage u
 CROSS JOIN LATERAL (VALUES ('max_connections', u.max_connections::numeric), ('usable', u.usable::numeric),
                            ('used', u.used::numeric), ('utilization', u.utilization),
                            ('overcommit', u.overcommit)) AS c(name, value)
 WHERE c.value IS NOT NULL
UNION ALL
SELECT 'lifeguard_worker_up', '{}'::jsonb, (w.pid IS NOT NULL)::int::double precision
  FROM lifeguard.worker_status w
UNION ALL
SELECT 'lifeguard_alerts_active', '{}'::jsonb, count(*)::double precision
  FROM lifeguard.alerts;

COMMENT ON VIEW lifeguard.metrics IS
    'Every pg_lifeguard gauge and counter as (metric, labels, value), for postgres_exporter and Prometheus; see contrib/postgres_exporter/queries.yaml.';

REVOKE ALL ON lifeguard.event_log, lifeguard.pool_history_log FROM PUBLIC;
REVOKE ALL ON FUNCTION lifeguard.recycle(integer, integer),
                       lifeguard.recycle_application(text, boolean),
                       lifeguard.recent_events(), lifeguard.recent_samples(),
                       lifeguard.alerts(), lifeguard.history_chart(interval, integer),
                       lifeguard.health()
    FROM PUBLIC;
GRANT SELECT ON lifeguard.events, lifeguard.alerts, lifeguard.pool_history,
                lifeguard.pool_advice, lifeguard.metrics,
                lifeguard.event_log, lifeguard.pool_history_log
    TO pg_monitor, lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.recent_events(), lifeguard.recent_samples(),
                          lifeguard.alerts(), lifeguard.history_chart(interval, integer),
                          lifeguard.health()
    TO pg_monitor, lifeguard_admin;
-- the permission check is in the function itself, as in pg_terminate_backend
GRANT EXECUTE ON FUNCTION lifeguard.recycle(integer, integer),
                          lifeguard.recycle_application(text, boolean)
    TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('lifeguard.event_log', '');
SELECT pg_catalog.pg_extension_config_dump('lifeguard.event_log_id_seq', '');

-- sql/install/40_index_advice.sql
--------------------------------------------------------------------------
-- Index advice from the catalogs: foreign keys without an index, unused
-- indexes, duplicate and prefix-redundant indexes
--------------------------------------------------------------------------

-- Key columns of an index as a plain int2[] (0 marks an expression);
-- int2vector subscripts start at 0, arrays built here start at 1.
CREATE FUNCTION lifeguard._index_keys(idx oid)
RETURNS int2[]
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_agg(k.attnum ORDER BY k.ord)
      FROM pg_index i,
           unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     WHERE i.indexrelid = idx AND k.ord <= i.indnkeyatts
$$;

-- Does index idx serve lookups by exactly these columns: a valid,
-- non-partial btree whose leading key columns are those columns, in any
-- order?  INCLUDE columns do not count.
CREATE FUNCTION lifeguard._index_leads_with(idx oid, cols int2[])
RETURNS boolean
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i.indisvalid AND i.indpred IS NULL
       AND am.amname = 'btree'
       AND i.indnkeyatts >= cardinality(cols)
       AND (SELECT array_agg(x ORDER BY x)
              FROM unnest((lifeguard._index_keys(idx))[1:cardinality(cols)]) AS x)
           OPERATOR(pg_catalog.=)
           (SELECT array_agg(x ORDER BY x) FROM unnest(cols) AS x)
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_am am ON am.oid = ic.relam
     WHERE i.indexrelid = idx
$$;

CREATE VIEW lifeguard.unindexed_foreign_keys AS
SELECT c.conrelid::regclass AS table_name,
       c.conname AS constraint_name,
       cols.names AS columns,
       c.confrelid::regclass AS referenced_table,
       pg_total_relation_size(c.conrelid) AS table_size,
       format('CREATE INDEX CONCURRENTLY ON %s (%s)', c.conrelid::regclass,
              array_to_string(cols.quoted, ', ')) AS create_statement
  FROM pg_constraint c
  JOIN pg_namespace n ON n.oid = c.connamespace
 CROSS JOIN LATERAL (
       SELECT array_agg(a.attname::text ORDER BY k.ord) AS names,
              array_agg(quote_ident(a.attname) ORDER BY k.ord) AS quoted
         FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols
 WHERE c.contype = 'f'
   AND c.conparentid = 0                -- one row per foreign key, not per partition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg_toast%'
   AND NOT EXISTS (SELECT FROM pg_index i
                    WHERE i.indrelid = c.conrelid
                      AND lifeguard._index_leads_with(i.indexrelid, c.conkey));

COMMENT ON VIEW lifeguard.unindexed_foreign_keys IS
    'Foreign keys whose columns do not lead any valid, non-partial btree index of the referencing table (in any order within that prefix; INCLUDE columns do not count), with the statement that adds one.';

CREATE VIEW lifeguard.unused_indexes AS
SELECT s.schemaname AS schema_name,
       s.relname AS table_name,
       s.indexrelname AS index_name,
       pg_relation_size(s.indexrelid) AS index_size,
       pg_size_pretty(pg_relation_size(s.indexrelid)) AS index_size_pretty,
       s.idx_scan,
       EXISTS (SELECT FROM pg_constraint fk
                WHERE fk.contype = 'f' AND fk.conrelid = i.indrelid
                  AND lifeguard._index_leads_with(i.indexrelid, fk.conkey)) AS backs_foreign_key,
       coalesce((SELECT d.stats_reset FROM pg_stat_database d
                  WHERE d.datname = current_database()),
                pg_postmaster_start_time()) AS unused_since,
       pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_stat_user_indexes s
  JOIN pg_index i ON i.indexrelid = s.indexrelid
 WHERE s.idx_scan = 0
   AND i.indisvalid
   AND NOT i.indisunique
   AND NOT i.indisprimary
   AND NOT i.indisexclusion
   AND NOT i.indisreplident
   AND NOT EXISTS (SELECT FROM pg_constraint c
                    WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid);

COMMENT ON VIEW lifeguard.unused_indexes IS
    'Valid indexes never scanned since statistics were reset (unused_since), excluding unique, primary key, exclusion, replica identity and constraint-backing indexes; backs_foreign_key warns before dropping one.';

CREATE VIEW lifeguard.duplicate_indexes AS
WITH ix AS (
    SELECT i.indexrelid AS oid,
           i.indrelid,
           ic.relam,
           i.indisunique,
           i.indnkeyatts,
           i.indnatts,
           lifeguard._index_keys(i.indexrelid) AS keys,
           i.indkey::int2[] AS allcols,
           i.indclass::oid[] AS opclasses,
           i.indcollation::oid[] AS collations,
           i.indoption::int2[] AS options,
           coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs,
           coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred,
           EXISTS (SELECT FROM pg_constraint c
                    WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid) AS backs_constraint
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = ic.relnamespace
     WHERE i.indisvalid
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg_toast%'
), pairs AS (
    SELECT r.oid AS redundant, k.oid AS kept,
           CASE WHEN r.allcols OPERATOR(pg_catalog.=) k.allcols
                 AND r.indnkeyatts = k.indnkeyatts
                 AND r.indisunique = k.indisunique
                THEN 'exact' ELSE 'prefix' END AS kind
      FROM ix r
      JOIN ix k ON k.indrelid = r.indrelid AND k.oid <> r.oid AND k.relam = r.relam
     WHERE r.exprs = k.exprs
       AND r.pred = k.pred
       AND r.indnkeyatts <= k.indnkeyatts
       AND r.keys OPERATOR(pg_catalog.=) k.keys[1:r.indnkeyatts]
       AND r.opclasses[0:r.indnkeyatts - 1] OPERATOR(pg_catalog.=) k.opclasses[0:r.indnkeyatts - 1]
       AND r.collations[0:r.indnkeyatts - 1] OPERATOR(pg_catalog.=) k.collations[0:r.indnkeyatts - 1]
       AND r.options[0:r.indnkeyatts - 1] OPERATOR(pg_catalog.=) k.options[0:r.indnkeyatts - 1]
       AND (
            -- exact duplicates (same keys, INCLUDE columns and uniqueness):
            -- each pair once, keeping the constraint-backed or older index
            (r.allcols OPERATOR(pg_catalog.=) k.allcols
             AND r.indnkeyatts = k.indnkeyatts
             AND r.indisunique = k.indisunique
             AND NOT r.backs_constraint
             AND (k.backs_constraint OR r.oid > k.oid))
            OR
            -- prefix-redundant: a plain btree (no INCLUDE, not unique, not
            -- backing a constraint) whose keys lead a longer index, or equal
            -- the keys of a unique index or one with INCLUDE columns
            ((r.indnkeyatts < k.indnkeyatts
              OR (r.indnkeyatts = k.indnkeyatts
                  AND (k.indisunique OR k.indnatts > k.indnkeyatts)))
             AND r.indnatts = r.indnkeyatts
             AND NOT r.indisunique
             AND NOT r.backs_constraint
             AND (SELECT amname FROM pg_am WHERE oid = r.relam) = 'btree')
           )
)
-- one row per redundant index: the index that makes it redundant is the
-- constraint-backed one if any, else the one with the fewest key columns
SELECT DISTINCT ON (p.redundant)
       p.redundant::regclass AS redundant_index,
       p.kept::regclass AS kept_index,
       (SELECT indrelid::regclass FROM pg_index WHERE indexrelid = p.redundant) AS table_name,
       p.kind,
       pg_relation_size(p.redundant) AS redundant_size,
       pg_get_indexdef(p.redundant) AS redundant_definition,
       pg_get_indexdef(p.kept) AS kept_definition,
       format('DROP INDEX CONCURRENTLY %s', p.redundant::regclass) AS drop_statement
  FROM pairs p
  JOIN ix k ON k.oid = p.kept
 ORDER BY p.redundant, k.backs_constraint DESC, p.kind = 'exact' DESC, k.indnkeyatts, k.oid;

COMMENT ON VIEW lifeguard.duplicate_indexes IS
    'Exact duplicate indexes and plain btree indexes whose key columns lead another index of the same table with the same operator classes, collations, sort options, expressions and predicate; each pair once, keeping the constraint-backed index.';

REVOKE ALL ON FUNCTION lifeguard._index_keys(oid), lifeguard._index_leads_with(oid, int2[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard._index_keys(oid), lifeguard._index_leads_with(oid, int2[])
    TO pg_monitor, lifeguard_admin;
GRANT SELECT ON lifeguard.unindexed_foreign_keys, lifeguard.unused_indexes,
                lifeguard.duplicate_indexes
    TO pg_monitor, lifeguard_admin;
