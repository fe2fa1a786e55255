--------------------------------------------------------------------------
-- Recycling, events, alerts, history, pool advice and health
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

-- lifeguard.pool_advice: see 11_pool_advice.sql; lifeguard.metrics: 55_metrics.sql

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

REVOKE ALL ON lifeguard.event_log, lifeguard.pool_history_log FROM PUBLIC;
REVOKE ALL ON FUNCTION lifeguard.recycle(integer, integer),
                       lifeguard.recycle_application(text, boolean),
                       lifeguard.recent_events(), lifeguard.recent_samples(),
                       lifeguard.alerts(), lifeguard.health()
    FROM PUBLIC;
GRANT SELECT ON lifeguard.events, lifeguard.alerts, lifeguard.pool_history,
                lifeguard.event_log, lifeguard.pool_history_log
    TO pg_monitor, lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.recent_events(), lifeguard.recent_samples(),
                          lifeguard.alerts(), lifeguard.health()
    TO pg_monitor, lifeguard_admin;
-- the permission check is in the function itself, as in pg_terminate_backend
GRANT EXECUTE ON FUNCTION lifeguard.recycle(integer, integer),
                          lifeguard.recycle_application(text, boolean)
    TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('lifeguard.event_log', '');
SELECT pg_catalog.pg_extension_config_dump('lifeguard.event_log_id_seq', '');
