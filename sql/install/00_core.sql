
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
