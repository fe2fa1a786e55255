--
-- index advice for correlated subqueries: NOT EXISTS, EXISTS, scalar
-- subqueries in the target list and in WHERE
--
CREATE SCHEMA adv_sub;
SET search_path = adv_sub, public;

CREATE TABLE users (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, user_id int, total int, created_at timestamptz);
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20000) g;
INSERT INTO orders SELECT g, 1 + (g::bigint * 7919) % 15000, g % 100,
       '2026-01-01'::timestamptz - g * interval '1 minute'
  FROM generate_series(1, 100000) g;
ANALYZE users, orders;

CREATE FUNCTION advise(q text) RETURNS TABLE (cheaper boolean, index_statements text[], errors text[])
LANGUAGE sql AS $$
    SELECT total_cost_after < total_cost_before, index_statements, errors
      FROM lifeguard.advise_indexes(q)
$$;

-- NOT EXISTS with a reference to the outer row: no error, the inner key
SELECT * FROM advise('SELECT * FROM users u
                       WHERE u.id < 500
                         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)');
-- EXISTS, and the outer reference on the left of the comparison
SELECT * FROM advise('SELECT * FROM users u
                       WHERE u.id < 500
                         AND EXISTS (SELECT 1 FROM orders o WHERE u.id = o.user_id AND o.total > $1)');
-- a correlated scalar subquery in the target list
SELECT * FROM advise('SELECT u.id, (SELECT count(*) FROM orders o WHERE o.user_id = u.id)
                        FROM users u WHERE u.id < 100');
-- a correlated scalar subquery in WHERE
SELECT * FROM advise('SELECT u.id FROM users u
                       WHERE u.id < 100
                         AND (SELECT sum(o.total) FROM orders o WHERE o.user_id = u.id) > 10');
-- and in HAVING
SELECT * FROM advise('SELECT u.name FROM users u WHERE u.id < 100 GROUP BY u.name
                       HAVING (SELECT count(*) FROM orders o WHERE o.user_id = min(u.id)) > 0');
-- two levels down: the reference skips a level
SELECT * FROM advise('SELECT u.id FROM users u WHERE u.id < 100
                         AND EXISTS (SELECT 1 FROM users v
                                      WHERE v.id = u.id
                                        AND EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id))');
-- a comparison of two columns of the same table inside the subquery is no candidate
SELECT * FROM advise('SELECT * FROM users u
                       WHERE u.id < 500
                         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = o.total)');

DROP SCHEMA adv_sub CASCADE;
RESET search_path;
