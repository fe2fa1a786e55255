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

REVOKE ALL ON lifeguard.event_log, lifeguard.pool_history_log FROM PUBLIC;
REVOKE ALL ON FUNCTION lifeguard.recycle(integer, integer),
                       lifeguard.recycle_application(text, boolean),
                       lifeguard.recent_events(), lifeguard.recent_samples(),
                       lifeguard.alerts(), lifeguard.health()
    FROM PUBLIC;
GRANT SELECT ON lifeguard.events, lifeguard.alerts, lifeguard.pool_history,
                lifeguard.pool_advice,
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
