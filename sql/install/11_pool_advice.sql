--------------------------------------------------------------------------
-- Pool advice, which reads lifeguard.pool_stats (the metrics view is in
-- 55_metrics.sql, after every view it reads).  The update
-- from 1.0 runs this fragment with CREATE OR REPLACE: columns are only
-- ever added at the end of a view.
--------------------------------------------------------------------------

-- Pool sizing advice.  See README, "lifeguard.pool_advice", for each rule.
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
             ORDER BY q.application_name = '*' LIMIT 1) AS rule_max_age,
           s.sampled_backends AS mem_backends,
           s.memory_median AS mem_median,
           s.memory_max AS mem_max,
           s.memory_at_login_median AS mem_login,
           s.growth_per_hour AS mem_growth_per_hour
      -- pool_stats' columns and application_memory()'s, in one scan
      FROM lifeguard.application_stats() s
      LEFT JOIN win w ON w.application_name = s.application_name
     WHERE s.application_name IS NOT NULL
), mem AS (
    SELECT b.*,
           coalesce(b.mem_max >= 4 * b.mem_login AND b.mem_max - b.mem_login >= 8388608, false) AS mem_grown
      FROM base b
), mem2 AS (
    SELECT b.*,
           CASE WHEN b.mem_grown
                THEN (ceil((b.mem_login + (b.mem_max - b.mem_login) / 2.0) / 1048576) * 1048576)::bigint
           END AS rec_max_memory
      FROM mem b
), calc AS (
    SELECT b.*,
           -- an age under a minute means the growth comes at once: no max_age helps
           CASE WHEN b.mem_grown AND b.mem_growth_per_hour > 0
                     AND (b.rec_max_memory - b.mem_login) / b.mem_growth_per_hour * 3600 >= 60
                THEN round(((b.rec_max_memory - b.mem_login) / b.mem_growth_per_hour * 3600)::numeric)
                     * interval '1 second'
           END AS rec_max_age,
           round(b.xact_rate * b.mean_xact_ms / 1000, 2) AS littles_law_busy,
           greatest(1, ceil(greatest(b.p95_active, coalesce(b.xact_rate * b.mean_xact_ms / 1000, 0)) * 1.25))::int AS pool_size,
           coalesce(b.rule_max_age,
                    nullif(current_setting('lifeguard.max_age'), '0')::interval) AS max_age
      FROM mem2 b
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
                THEN 'not_recycling' END,
           CASE WHEN c.mem_grown THEN 'memory_growth' END], NULL), '{}'), ARRAY['ok']) AS diagnoses,
       format('active connections: p95 %s, peak %s over %s samples; '
              'Little''s law: %s xact/s x %s ms = %s busy connections; '
              'pool_size = ceil(max(p95 active, busy) x 1.25) = %s; '
              'max_overflow = max(peak active - pool_size, pool_size / 2) = %s',
              c.p95_active, c.peak_active, c.samples,
              coalesce(round(c.xact_rate, 2)::text, '?'), coalesce(round(c.mean_xact_ms, 2)::text, '?'),
              coalesce(c.littles_law_busy::text, '?'), c.pool_size,
              greatest(ceil(c.pool_size * 0.5)::int, c.peak_active - c.pool_size))
       || CASE WHEN c.mem_backends > 0
               THEN format('; memory of %s backends: median %s, max %s, at login %s, growth %s per hour of connection age',
                           c.mem_backends, pg_catalog.pg_size_pretty(c.mem_median),
                           pg_catalog.pg_size_pretty(c.mem_max), pg_catalog.pg_size_pretty(c.mem_login),
                           coalesce(pg_catalog.pg_size_pretty(round(c.mem_growth_per_hour)::bigint), '?'))
               ELSE '' END
       || CASE WHEN c.mem_grown
               THEN format('; max_memory = at login + (max - at login) / 2, in whole MB = %s',
                           pg_catalog.pg_size_pretty(c.rec_max_memory))
                    || CASE WHEN c.rec_max_age IS NOT NULL
                            THEN format('; or max_age = (max_memory - at login) / growth = %s',
                                        c.rec_max_age)
                            WHEN c.mem_growth_per_hour > 0
                            THEN '; (max_memory - at login) / growth is under a minute: the backends grow at once, so max_age does not help'
                            ELSE '' END
               ELSE '' END AS arithmetic,
       c.mem_median AS memory_median,
       c.mem_max AS memory_max,
       round(c.mem_growth_per_hour)::bigint AS memory_growth_per_hour,
       c.rec_max_memory AS recommended_max_memory,
       c.rec_max_age AS recommended_max_age
  FROM calc c;

COMMENT ON VIEW lifeguard.pool_advice IS
    'Per application: observed peak and p95 of active connections over the last hour, the Little''s-law estimate, a recommended pool_size and max_overflow with its arithmetic, its backends'' memory and growth, and diagnoses (no_pooling, leaking_transactions, oversized, undersized, not_recycling, memory_growth).';

GRANT SELECT ON lifeguard.pool_advice TO pg_monitor, lifeguard_admin;
