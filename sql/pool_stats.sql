--
-- pool_stats, backends, server_usage: exact counts per connect-time
-- application_name.
--
CREATE FUNCTION open_conns(app text, n int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..n LOOP
        PERFORM dblink_connect(app || i,
            'dbname=contrib_regression application_name=' || app);
    END LOOP;
END
$$;

-- wait until the server has seen every dblink disconnect
CREATE FUNCTION wait_closed(apps text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN (SELECT coalesce(sum(connections), 0) FROM lifeguard.pool_stats
                    WHERE application_name = ANY (apps)) = 0;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;

-- wait until the server has counted n closed sessions of app
CREATE FUNCTION wait_closed_count(app text, n bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN (SELECT closed FROM lifeguard.pool_stats WHERE application_name = app) = n;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;

SELECT open_conns('alpha', 5), open_conns('beta', 3);

SELECT application_name, connections, opened, closed, peak, peak_at IS NOT NULL AS has_peak_at,
       status, usage_bar, soft_limit
  FROM lifeguard.pool_stats
 WHERE application_name IN ('alpha', 'beta')
 ORDER BY 1;

-- a session that renames itself still counts under its connect-time name
SELECT dblink_exec('beta1', 'SET application_name = ''other''');
SELECT application_name, current_application_name, usename = current_user AS same_user,
       datname, count(*)
  FROM lifeguard.backends
 WHERE application_name IN ('alpha', 'beta')
 GROUP BY 1, 2, 3, 4
 ORDER BY 1, 2;
SELECT application_name, connections FROM lifeguard.pool_stats
 WHERE application_name IN ('alpha', 'beta', 'other') ORDER BY 1;

-- every backend publishes its private memory between statements: this
-- one did before its first statement, and so do the eight above
SELECT memory_bytes > 0 AS sampled, memory_sampled_at <= now() AS before_this_statement
  FROM lifeguard.backends WHERE pid = pg_backend_pid();
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN (SELECT count(memory_bytes) FROM lifeguard.backends
                    WHERE application_name IN ('alpha', 'beta')) = 8;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;
SELECT s.application_name, s.memory_max > 0 AS has_max,
       s.memory_total = (SELECT sum(b.memory_bytes) FROM lifeguard.backends b
                          WHERE b.application_name = s.application_name) AS total_is_sum
  FROM lifeguard.pool_stats s
 WHERE s.application_name IN ('alpha', 'beta')
 ORDER BY 1;

-- usage: used counts this session and the eight above
SELECT usable = max_connections - superuser_reserved_connections - reserved_connections AS usable_ok,
       used >= 9 AS used_ok, free = usable - used AS free_ok,
       utilization = round(used::numeric / usable, 3) AS utilization_ok
  FROM lifeguard.server_usage;

SELECT dblink_disconnect(c) FROM unnest(dblink_get_connections()) AS c ORDER BY c;
SELECT wait_closed(ARRAY['alpha', 'beta']);

SELECT application_name, connections, opened, closed, peak
  FROM lifeguard.pool_stats
 WHERE application_name IN ('alpha', 'beta')
 ORDER BY 1;

-- the unnamed application is '' and counts like any other
SELECT dblink_connect('anon', 'dbname=contrib_regression application_name=''''');
SELECT application_name, connections FROM lifeguard.pool_stats WHERE application_name = '';
SELECT dblink_disconnect('anon');
SELECT wait_closed(ARRAY['']);

-- reset: applications without connections are forgotten, live ones kept
SELECT lifeguard.reset_stats();
SELECT count(*) AS forgotten FROM lifeguard.pool_stats WHERE application_name IN ('alpha', 'beta', '');
SELECT connections >= 1 AS self_counted, opened, closed, peak = connections AS peak_reset
  FROM lifeguard.pool_stats WHERE application_name LIKE 'pg_regress%';

-- a kept application's mean session restarts with its closed count: a
-- session of 2 s before the reset does not weigh on one after it
SELECT dblink_connect('keep', 'dbname=contrib_regression application_name=kept');
SELECT dblink_connect('long', 'dbname=contrib_regression application_name=kept');
SELECT pg_sleep(2);
SELECT dblink_disconnect('long');
SELECT wait_closed_count('kept', 1);
SELECT lifeguard.reset_stats();
SELECT dblink_connect('quick', 'dbname=contrib_regression application_name=kept');
SELECT dblink_disconnect('quick');
SELECT wait_closed_count('kept', 1);
SELECT connections, closed, mean_session < '2 s' AS mean_since_reset
  FROM lifeguard.pool_stats WHERE application_name = 'kept';
SELECT dblink_disconnect('keep');

-- the result is kept outside the query's memory: two calls in one query,
-- a cursor left open across another call, a call in a failed query and
-- one in a failed subtransaction all leave the next call right
SELECT count(*) = (SELECT count(*) FROM lifeguard.pool_stats) ^ 2 AS self_join
  FROM lifeguard.pool_stats a, lifeguard.pool_stats b;
BEGIN;
DECLARE c CURSOR FOR SELECT application_name FROM lifeguard.pool_stats
 WHERE application_name = 'kept';
FETCH 1 FROM c;
SELECT count(*) > 0 AS second_call FROM lifeguard.pool_stats;
FETCH ALL FROM c;
COMMIT;
SELECT 1 / (connections - connections) FROM lifeguard.pool_stats;
DO $$
BEGIN
    BEGIN
        PERFORM 1 / (connections - connections) FROM lifeguard.pool_stats;
    EXCEPTION WHEN division_by_zero THEN
        RAISE NOTICE 'caught';
    END;
END $$;
SELECT application_name FROM lifeguard.pool_stats WHERE application_name = 'kept';

-- an application forgotten by a reset that logs in again (through the
-- connection slot its last login used) is counted in an entry of its own
SELECT dblink_connect('gone', 'dbname=contrib_regression application_name=gone');
SELECT dblink_disconnect('gone');
SELECT wait_closed(ARRAY['gone']);
SELECT lifeguard.reset_stats();
SELECT count(*) AS forgotten FROM lifeguard.pool_stats WHERE application_name = 'gone';
SELECT dblink_connect('gone', 'dbname=contrib_regression application_name=gone');
SELECT application_name, connections, opened FROM lifeguard.pool_stats
 WHERE application_name = 'gone';
SELECT dblink_disconnect('gone');
