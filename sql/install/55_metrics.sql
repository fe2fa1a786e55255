--------------------------------------------------------------------------
-- Metrics: every gauge and counter of the views above in one view
--------------------------------------------------------------------------

-- For postgres_exporter / Prometheus: one row per sample.  The two
-- branches per application read pool_stats once (a CTE named twice is
-- materialized): one scan of the shared state, one consistent picture.
CREATE VIEW lifeguard.metrics AS
WITH s AS (
    SELECT * FROM lifeguard.pool_stats
)
SELECT 'lifeguard_connections'::text AS metric,
       jsonb_build_object('application', coalesce(s.application_name, '(overflow)'), 'state', st.state) AS labels,
       st.value::double precision AS value
  FROM s
 CROSS JOIN LATERAL (VALUES ('active', s.active), ('idle', s.idle),
                            ('idle_in_transaction', s.idle_in_transaction),
                            ('waiting', s.waiting)) AS st(state, value)
UNION ALL
SELECT 'lifeguard_' || c.name,
       jsonb_build_object('application', coalesce(s.application_name, '(overflow)')),
       c.value::double precision
  FROM s
 CROSS JOIN LATERAL (VALUES ('connections_total', s.connections::bigint),
                            ('peak_connections', s.peak::bigint),
                            ('opened_total', s.opened), ('closed_total', s.closed),
                            ('rejected_total', s.rejected), ('would_reject_total', s.would_reject),
                            ('soft_warnings_total', s.soft_warnings),
                            ('reclaimed_total', s.reclaimed), ('recycled_total', s.recycled),
                            ('soft_limit', s.soft_limit::bigint), ('hard_limit', s.hard_limit::bigint),
                            ('memory_bytes', s.memory_total), ('memory_max_bytes', s.memory_max)) AS c(name, value)
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
  FROM lifeguard.alerts
UNION ALL
SELECT 'lifeguard_pooler_' || c.name,
       jsonb_build_object('pool', p.pool_application, 'role', p.pool_role,
                          'database', p.pool_database, 'client', p.client_application),
       c.value
  FROM lifeguard.pooler_usage p
 CROSS JOIN LATERAL (VALUES ('server_connections', p.server_connections::double precision),
                            ('linked', p.linked::double precision),
                            ('in_use', p.in_use::double precision),
                            ('transactions_total', p.transactions::double precision),
                            ('busy_seconds_total', extract(epoch FROM p.busy_time)::double precision),
                            ('busy_share', p.busy_share::double precision)) AS c(name, value)
 WHERE c.value IS NOT NULL
UNION ALL
SELECT 'lifeguard_pooler_untracked_transactions_total', '{}'::jsonb,
       lifeguard.pooler_untracked_transactions()::double precision;

COMMENT ON VIEW lifeguard.metrics IS
    'Every pg_lifeguard gauge and counter as (metric, labels, value), for postgres_exporter and Prometheus; see contrib/postgres_exporter/queries.yaml.';

GRANT SELECT ON lifeguard.metrics TO pg_monitor, lifeguard_admin;
