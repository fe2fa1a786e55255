--
-- index_advice: one row per index, a prefix merged into the longer index
-- with every reason (foreign key, sampled statements, N+1) and the
-- statements it serves; small tables left out
--
CREATE SCHEMA adv_con;
SET search_path = adv_con, public;
SELECT lifeguard.reset_predicate_stats();
SELECT lifeguard.reset_n_plus_one();

CREATE TABLE users (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users, status text,
                     total int, created_at timestamptz);
CREATE TABLE tags (id int PRIMARY KEY, name text);
CREATE TABLE order_tags (order_id int, tag_id int REFERENCES tags);   -- 200 rows
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20000) g;
INSERT INTO orders SELECT g, 1 + (g::bigint * 7919) % 20000,
       CASE WHEN g % 500 = 0 THEN 'pending' ELSE 'done' END, g % 100,
       '2026-01-01'::timestamptz - g * interval '1 minute'
  FROM generate_series(1, 100000) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 10) g;
INSERT INTO order_tags SELECT g, 1 + g % 10 FROM generate_series(1, 200) g;
ANALYZE users, orders, tags, order_tags;

SET lifeguard.predicate_sample_rate = 1;
-- (user_id, created_at) serves this one ...
SELECT count(*) FROM (SELECT * FROM orders WHERE user_id = 42
                       ORDER BY created_at DESC LIMIT 20) o;
-- ... and, as its prefix, this one and the foreign key
SELECT count(*) FROM orders WHERE user_id = 43;
-- run many times in one transaction (N+1)
BEGIN;
SELECT count(*) AS c FROM orders WHERE user_id = 1 AND total > 5 \gset
SELECT count(*) AS c FROM orders WHERE user_id = 2 AND total > 5 \gset
SELECT count(*) AS c FROM orders WHERE user_id = 3 AND total > 5 \gset
SELECT count(*) AS c FROM orders WHERE user_id = 4 AND total > 5 \gset
SELECT count(*) AS c FROM orders WHERE user_id = 5 AND total > 5 \gset
SELECT count(*) AS c FROM orders WHERE user_id = 6 AND total > 5 \gset
SELECT count(*) AS c FROM orders WHERE user_id = 7 AND total > 5 \gset
SELECT count(*) AS c FROM orders WHERE user_id = 8 AND total > 5 \gset
SELECT count(*) AS c FROM orders WHERE user_id = 9 AND total > 5 \gset
SELECT count(*) AS c FROM orders WHERE user_id = 10 AND total > 5 \gset
COMMIT;
-- a filter inside an index scan: the newest pending orders by a backward
-- scan of the primary key, which reads and throws away the others
SELECT count(*) FROM (SELECT id FROM orders WHERE status = 'pending'
                       ORDER BY id DESC LIMIT 5) o;
RESET lifeguard.predicate_sample_rate;

-- the statement with the index-scan filter was kept for advice
SELECT query FROM lifeguard._workload_queries() WHERE query LIKE '%ORDER BY id DESC%';

SELECT kind, table_name, statement, reasons, queries,
       estimated_benefit > 0 AS benefit, index_size > 0 AS sized, confidence
  FROM lifeguard.index_advice
 WHERE kind IN ('workload', 'unindexed_foreign_key') AND table_name IN ('orders', 'order_tags');
-- ranked: the largest estimated benefit first
SELECT bool_and(ordered) AS ranked
  FROM (SELECT estimated_benefit <= lag(estimated_benefit) OVER () AS ordered
          FROM lifeguard.index_advice
         WHERE kind = 'workload') s
 WHERE ordered IS NOT NULL;
-- the table of 200 rows gets no advice unless the threshold allows it
SHOW lifeguard.advice_min_table_size;
SET lifeguard.advice_min_table_size = 0;
SELECT kind, statement, reasons FROM lifeguard.index_advice WHERE table_name = 'order_tags';
RESET lifeguard.advice_min_table_size;
-- bad input to the statement parser gives NULLs
SELECT * FROM lifeguard._index_statement_parts('DROP TABLE x');
SELECT * FROM lifeguard._index_statement_parts('CREATE INDEX ON t USING btree (a, "b,c", (coalesce(d, 1)), e text_pattern_ops) WHERE (s = ''x, y'')');

SELECT lifeguard.reset_predicate_stats();
SELECT lifeguard.reset_n_plus_one();
DROP SCHEMA adv_con CASCADE;
RESET search_path;
