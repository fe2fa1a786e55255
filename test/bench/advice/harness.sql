-- Advice quality bench: time each statement of the workload (median of 3
-- batches after a warm-up, server-side, see time_sql), create an
-- advisor's indexes for real, time again, drop them.  Each method's
-- result is the geometric mean over the statements of time before / time
-- after; an index the plans never use counts as unused.
CREATE SCHEMA shop_bench;
CREATE TABLE shop_bench.handpicked (stmt text NOT NULL);
CREATE TABLE shop_bench.results (method text, name text, class text, before_ms float8,
                                 after_ms float8, indexes int, unused int, errors text,
                                 used_defs text);     -- definitions of the indexes its plans use

-- the time of one statement in ms, server-side, planned once: runs
-- batched until a batch takes 20 ms or more (a few thousandths of a
-- millisecond cannot be timed one by one), the median of 3 batches after
-- a warm-up
CREATE FUNCTION shop_bench.time_sql(q text) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    one float8;
    reps int;
    t float8[] := '{}';
BEGIN
    EXECUTE 'PREPARE shop_bench_q AS ' || q;
    t0 := clock_timestamp();
    EXECUTE 'EXECUTE shop_bench_q';
    one := extract(epoch FROM clock_timestamp() - t0) * 1000;
    reps := least(greatest(ceil(20 / greatest(one, 0.001))::int, 1), 5000);
    FOR b IN 1..3 LOOP
        t0 := clock_timestamp();
        FOR i IN 1..reps LOOP
            EXECUTE 'EXECUTE shop_bench_q';
        END LOOP;
        t := t || extract(epoch FROM clock_timestamp() - t0) * 1000 / reps;
    END LOOP;
    DEALLOCATE shop_bench_q;
    RETURN (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(t) x);
END
$$;

-- a statement's time: the sum over the values it runs with
CREATE FUNCTION shop_bench.time_statement(runs text[]) RETURNS float8
LANGUAGE sql AS $$
    SELECT sum(shop_bench.time_sql(r)) FROM unnest(runs) r
$$;

-- the indexes the plans of a statement use
CREATE FUNCTION shop_bench.used_indexes(runs text[]) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    r text;
    plan text;
    used text[] := '{}';
BEGIN
    FOREACH r IN ARRAY runs LOOP
        EXECUTE 'EXPLAIN (FORMAT JSON) ' || r INTO plan;
        used := used || ARRAY(SELECT m[1] FROM regexp_matches(plan, '"Index Name": "([^"]+)"', 'g') m);
    END LOOP;
    RETURN used;
END
$$;

CREATE FUNCTION shop_bench.shop_indexes() RETURNS SETOF oid
LANGUAGE sql AS $$
    SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
     WHERE c.relnamespace = 'shop'::regnamespace
$$;

-- create the indexes, time every statement, count unused ones, drop them
CREATE FUNCTION shop_bench.measure(method text, stmts text[], errs text[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    before oid[] := ARRAY(SELECT shop_bench.shop_indexes());
    created oid[];
    s text;
    st record;
    used text[] := '{}';
    st_used text[];
BEGIN
    FOREACH s IN ARRAY coalesce(stmts, '{}') LOOP
        BEGIN
            EXECUTE s;
        EXCEPTION WHEN others THEN
            errs := errs || (s || ': ' || SQLERRM);
        END;
    END LOOP;
    created := ARRAY(SELECT x FROM shop_bench.shop_indexes() x WHERE x <> ALL (before));
    ANALYZE shop.users, shop.products, shop.orders, shop.order_items;
    FOR st IN SELECT * FROM shop_bench.statements ORDER BY name LOOP
        st_used := shop_bench.used_indexes(st.runs);
        INSERT INTO shop_bench.results
        SELECT method, st.name, st.class,
               (SELECT r.before_ms FROM shop_bench.results r
                 WHERE r.method = 'none' AND r.name = st.name),
               shop_bench.time_statement(st.runs), NULL, NULL, NULL,
               -- by definition, not name: two advisors' indexes compare
               (SELECT string_agg(DISTINCT regexp_replace(pg_get_indexdef(c.oid), 'INDEX \S+ ON', 'INDEX ON'), '; ')
                  FROM pg_class c
                 WHERE c.relnamespace = 'shop'::regnamespace AND c.relkind = 'i'
                   AND c.relname = ANY (st_used));
        used := used || st_used;
    END LOOP;
    UPDATE shop_bench.results
       SET indexes = cardinality(created),
           unused = (SELECT count(*) FROM unnest(created) c
                      WHERE NOT (c::regclass::text = ANY (used)
                                 OR split_part(c::regclass::text, '.', 2) = ANY (used))),
           errors = array_to_string(errs, '; ')
     WHERE results.method = measure.method;
    FOR s IN SELECT c::regclass::text FROM unnest(created) c LOOP
        EXECUTE 'DROP INDEX ' || s;
    END LOOP;
END
$$;

