--
-- index advice for expressions in predicates (expression indexes) and
-- LIKE 'prefix%' (pattern operator classes when the collation is not C)
--
CREATE SCHEMA adv_expr;
SET search_path = adv_expr, public;

-- "C.utf8" sorts by code point but is not C to the planner: LIKE needs a
-- pattern operator class there
CREATE TABLE users (id int PRIMARY KEY,
                    email text COLLATE "C.utf8",
                    login varchar(40) COLLATE "C.utf8",
                    code text COLLATE "C",
                    created_at timestamptz);
CREATE TABLE orders (id int PRIMARY KEY, user_id int, total int);
INSERT INTO users SELECT g, 'User' || g || '@example.org', 'login' || g, 'c' || g,
       '2026-01-01'::timestamptz - g * interval '1 minute'
  FROM generate_series(1, 50000) g;
INSERT INTO orders SELECT g, 1 + g % 50000, g % 100 FROM generate_series(1, 100000) g;
ANALYZE users, orders;

CREATE FUNCTION advise(q text) RETURNS TABLE (cheaper boolean, index_statements text[], errors text[])
LANGUAGE sql AS $$
    SELECT total_cost_after < total_cost_before, index_statements, errors
      FROM lifeguard.advise_indexes(q)
$$;

-- an expression compared to a value: an expression index
SELECT * FROM advise('SELECT * FROM users WHERE lower(email) = $1');
SELECT * FROM advise('SELECT * FROM users WHERE lower(email) = ''user42@example.org''');
SELECT * FROM advise('SELECT * FROM users WHERE $1 = lower(email)');
SELECT * FROM advise('SELECT * FROM users WHERE id + 1 = $1');
-- in a join, as the join key
SELECT * FROM advise('SELECT o.* FROM orders o JOIN users u ON u.id = o.user_id
                       WHERE lower(u.email) = lower($1)');
-- LIKE 'prefix%' under a collation that is not C: the pattern operator class
SELECT * FROM advise('SELECT * FROM users WHERE email LIKE ''User4217%''');
SELECT * FROM advise('SELECT * FROM users WHERE login LIKE ''login4217%''');
SELECT * FROM advise('SELECT * FROM users WHERE lower(email) LIKE ''user4217%''');
-- under the C collation the default operator class serves LIKE
SELECT * FROM advise('SELECT * FROM users WHERE code LIKE ''c4217%''');
-- no fixed prefix: no index helps
SELECT * FROM advise('SELECT * FROM users WHERE email LIKE ''%42@example.org''');
SELECT * FROM advise('SELECT * FROM users WHERE email LIKE ''_ser4217%''');
-- expressions that no index can hold: not immutable, or over two tables
SELECT * FROM advise('SELECT * FROM users WHERE created_at::date = $1');
SELECT * FROM advise('SELECT * FROM orders o, users u WHERE o.total + u.id = $1');
-- already indexed: nothing to suggest
CREATE INDEX users_lower_email ON users (lower(email));
CREATE INDEX users_email_pattern ON users (email text_pattern_ops);
SELECT * FROM advise('SELECT * FROM users WHERE lower(email) = $1');
SELECT * FROM advise('SELECT * FROM users WHERE email LIKE ''User4217%''');
-- another expression, or another operator class, is not the same index
SELECT * FROM advise('SELECT * FROM users WHERE upper(email) = $1');
SELECT * FROM advise('SELECT * FROM users WHERE email > $1 ORDER BY email LIMIT 5');

DROP SCHEMA adv_expr CASCADE;
RESET search_path;
