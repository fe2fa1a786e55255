--
-- index advice for ORDER BY ... LIMIT, min()/max(), and range columns
-- after equality columns, alone and in joins
--
CREATE SCHEMA adv_ord;
SET search_path = adv_ord, public;

CREATE TABLE users (id int PRIMARY KEY, email text);
CREATE TABLE orders (id int PRIMARY KEY, user_id int, status text, total int,
                     created_at timestamptz);
INSERT INTO users SELECT g, 'u' || g || '@example.org' FROM generate_series(1, 20000) g;
INSERT INTO orders SELECT g, 1 + (g::bigint * 7919) % 15000,
       CASE WHEN g % 10 = 0 THEN 'open' ELSE 'done' END, g % 100,
       '2026-01-01'::timestamptz - g * interval '1 minute'
  FROM generate_series(1, 100000) g;
ANALYZE users, orders;

CREATE FUNCTION advise(q text) RETURNS TABLE (cheaper boolean, index_statements text[], errors text[])
LANGUAGE sql AS $$
    SELECT total_cost_after < total_cost_before, index_statements, errors
      FROM lifeguard.advise_indexes(q)
$$;

-- the latest rows of one user: the equality column, then the ORDER BY
-- column, so the index serves the filter and the ordering
SELECT * FROM advise('SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 20');
SELECT * FROM advise('SELECT * FROM orders WHERE user_id = 42 ORDER BY created_at DESC LIMIT 20');
-- the same through a join: which user the email finds is not known
-- before orders is scanned, and the sort comes above the join, so an
-- ORDER BY column after the join column would only make the index larger
SELECT * FROM advise('SELECT o.* FROM users u JOIN orders o ON o.user_id = u.id
                       WHERE u.email = $1 ORDER BY o.created_at DESC LIMIT 20');
-- max() per row of a correlated subquery: read one end of (user_id, created_at)
SELECT * FROM advise('SELECT u.id, (SELECT max(o.created_at) FROM orders o WHERE o.user_id = u.id)
                        FROM users u WHERE u.id < 100');
-- the first row by an ordering in a lateral subquery
SELECT * FROM advise('SELECT u.id, l.total FROM users u,
                             LATERAL (SELECT o.total FROM orders o WHERE o.user_id = u.id
                                       ORDER BY o.created_at DESC LIMIT 1) l
                       WHERE u.id < 100');
-- a range after the equality columns
SELECT * FROM advise('SELECT * FROM orders WHERE user_id = $1 AND created_at >= $2');
SELECT * FROM advise('SELECT * FROM orders WHERE user_id = $1 AND total > $3 AND created_at >= $2');
-- min() of the whole table with no filter: the column alone
SELECT * FROM advise('SELECT min(created_at) FROM orders');
-- an aggregate that cannot read one end of an index is no ordering
SELECT * FROM advise('SELECT sum(total) FROM orders WHERE user_id = $1');

-- INCLUDE: the few other columns the statement reads, when the plan then
-- scans the index only (the visibility map must allow it)
VACUUM ANALYZE orders;
SELECT * FROM advise('SELECT user_id, created_at, total FROM orders WHERE user_id = $1
                       ORDER BY created_at DESC LIMIT 20');
SELECT * FROM advise('SELECT sum(total) FROM orders WHERE user_id = $1');
-- every column: no INCLUDE
SELECT * FROM advise('SELECT * FROM orders WHERE user_id = $1');
-- the statement parser skips INCLUDE columns
SELECT * FROM lifeguard._index_statement_parts(
    'CREATE INDEX ON t USING btree (a, b) INCLUDE ("c)", d) WHERE (e > 1)');

DROP SCHEMA adv_ord CASCADE;
RESET search_path;
