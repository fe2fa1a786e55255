-- Each advisor sees the statements as the application sends them ($n);
-- its indexes are created for real and the statements timed with values.
CREATE TABLE shop_bench.advice AS
SELECT s.name, a.*
  FROM shop_bench.statements s, lifeguard.advise_indexes(s.sql) a;
SELECT shop_bench.measure('pg_lifeguard',
    ARRAY(SELECT DISTINCT x FROM shop_bench.advice a, unnest(a.index_statements) x),
    ARRAY(SELECT a.name || ': ' || e FROM shop_bench.advice a, unnest(a.errors) e));

-- Supabase's index_advisor, when it is installed (it needs hypopg)
DO $$
BEGIN
    IF to_regproc('public.index_advisor') IS NOT NULL THEN
        CREATE TABLE shop_bench.advice_supabase AS
        SELECT s.name, a.* FROM shop_bench.statements s, public.index_advisor(s.sql) a;
        PERFORM shop_bench.measure('supabase index_advisor',
            ARRAY(SELECT DISTINCT x #>> '{}' FROM shop_bench.advice_supabase a,
                         jsonb_array_elements(to_jsonb(a.index_statements)) x),
            ARRAY(SELECT a.name || ': ' || (e #>> '{}') FROM shop_bench.advice_supabase a,
                         jsonb_array_elements(to_jsonb(a.errors)) e));
    END IF;
END
$$;

SELECT shop_bench.measure('hand-picked', ARRAY(SELECT stmt FROM shop_bench.handpicked), '{}');

-- per statement
SELECT r.name, r.class, round(r.before_ms::numeric, 2) AS before_ms,
       string_agg(format('%s %sx', r.method, round((r.before_ms / r.after_ms)::numeric, 1)),
                  ', ' ORDER BY r.method) AS speed_up
  FROM shop_bench.results r WHERE r.method <> 'none'
 GROUP BY r.name, r.class, r.before_ms ORDER BY r.name;
-- per class: the geometric mean of each advisor's speed-ups, and whether
-- pg_lifeguard's and Supabase's plans used the same indexes (then the
-- two differ by the noise of the timing only)
CREATE VIEW shop_bench.per_class AS
SELECT l.class,
       round(exp(avg(ln(l.before_ms / l.after_ms)))::numeric, 1) AS pg_lifeguard,
       round(exp(avg(ln(s.before_ms / s.after_ms)))::numeric, 1) AS supabase,
       round(exp(avg(ln(h.before_ms / h.after_ms)))::numeric, 1) AS hand_picked,
       bool_and(l.used_defs IS NOT DISTINCT FROM s.used_defs) AS same_indexes
  FROM shop_bench.results l
  JOIN shop_bench.results h ON h.name = l.name AND h.method = 'hand-picked'
  LEFT JOIN shop_bench.results s ON s.name = l.name AND s.method = 'supabase index_advisor'
 WHERE l.method = 'pg_lifeguard'
 GROUP BY l.class;
SELECT class, pg_lifeguard, supabase, hand_picked,
       CASE WHEN supabase IS NULL THEN NULL
            WHEN same_indexes THEN 'same indexes'
            WHEN pg_lifeguard > supabase THEN 'ahead'
            ELSE 'behind' END AS against_supabase
  FROM shop_bench.per_class ORDER BY class;
-- what pg_lifeguard advised
SELECT name, index_statements, errors FROM shop_bench.advice ORDER BY name;
-- summary: geometric mean of the speed-ups
SELECT r.method, round(exp(avg(ln(r.before_ms / r.after_ms)))::numeric, 1) AS geomean_speed_up,
       max(r.indexes) AS indexes, max(r.unused) AS unused, max(r.errors) AS errors
  FROM shop_bench.results r WHERE r.method <> 'none'
 GROUP BY r.method ORDER BY 2 DESC;
