--
-- partial indexes for selective comparisons with a constant, and the
-- estimated size of each advised index
--
CREATE SCHEMA adv_part;
SET search_path = adv_part, public;

-- one order in a thousand is pending
CREATE TABLE orders (id int PRIMARY KEY, user_id int, status text, total int,
                     created_at timestamptz);
INSERT INTO orders SELECT g, 1 + (g::bigint * 7919) % 50000,
       CASE WHEN g % 1000 = 0 THEN 'pending' WHEN g % 3 = 0 THEN 'shipped' ELSE 'done' END,
       g % 100, '2026-01-01'::timestamptz - g * interval '1 second'
  FROM generate_series(1, 200000) g;
ANALYZE orders;

CREATE FUNCTION advise(q text)
RETURNS TABLE (cheaper boolean, index_statements text[], sizes_kb bigint[], errors text[])
LANGUAGE sql AS $$
    SELECT total_cost_after < total_cost_before, index_statements,
           (SELECT array_agg(s / 1024) FROM unnest(index_sizes) s), errors
      FROM lifeguard.advise_indexes(q)
$$;

-- the rare value alone: a partial index of a few pages, not one over every row
SELECT * FROM advise('SELECT * FROM orders WHERE status = ''pending''');
-- the rare value and an ordering: the ordering column, for those rows only
SELECT * FROM advise('SELECT * FROM orders WHERE status = ''pending'' ORDER BY created_at LIMIT 10');
-- the rare value and another equality
SELECT * FROM advise('SELECT * FROM orders WHERE status = ''pending'' AND user_id = $1');
-- a frequent value: no partial index
SELECT * FROM advise('SELECT * FROM orders WHERE status = ''done'' AND user_id = $1');
-- a parameter instead of the value: nothing to build a predicate from
SELECT * FROM advise('SELECT * FROM orders WHERE status = $1 ORDER BY created_at LIMIT 10');
-- a column of many values is no predicate, even compared with a constant
SELECT * FROM advise('SELECT * FROM orders WHERE user_id = 42 ORDER BY created_at DESC LIMIT 20');
-- the size of a full index: the table's rows at the columns' widths
SELECT * FROM advise('SELECT * FROM orders WHERE total = $1 AND user_id = $2');
-- a partial index that exists is not advised again; a value of a third of
-- the rows is no predicate
CREATE INDEX orders_pending ON orders (created_at) WHERE status = 'pending';
SELECT * FROM advise('SELECT * FROM orders WHERE status = ''pending'' ORDER BY created_at LIMIT 10');
SELECT * FROM advise('SELECT * FROM orders WHERE status = ''shipped'' ORDER BY created_at LIMIT 10');

DROP SCHEMA adv_part CASCADE;
RESET search_path;
