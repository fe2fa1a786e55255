--------------------------------------------------------------------------
-- Connection history as a chart
--------------------------------------------------------------------------

-- A compact chart per application in psql: one character per time bucket,
-- height relative to the application's own peak in the window.
CREATE FUNCTION lifeguard.history_chart(since interval DEFAULT '1 hour', width integer DEFAULT 60)
RETURNS TABLE (application_name text, peak integer, now integer, chart text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF since IS NULL OR since <= interval '0' OR since > interval '100 years' THEN
        RAISE EXCEPTION 'since must be a positive interval of at most 100 years'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('since is %s.', coalesce(since::text, 'NULL'));
    END IF;
    IF width IS NULL OR width < 1 OR width > 1000 THEN
        RAISE EXCEPTION 'width must be between 1 and 1000 characters'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('width is %s.', coalesce(width::text, 'NULL'));
    END IF;
    RETURN QUERY
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
     ORDER BY m.application_name;
END
$$;

COMMENT ON FUNCTION lifeguard.history_chart(interval, integer) IS
    'Connections over time per application as a text chart (one character per bucket, scaled to the application''s peak).';

REVOKE ALL ON FUNCTION lifeguard.history_chart(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard.history_chart(interval, integer) TO pg_monitor, lifeguard_admin;
