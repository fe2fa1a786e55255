--
-- advise_indexes, sampled predicates, N+1 detection, index_advice
--
CREATE SCHEMA wl;
SET search_path = wl, public;

CREATE TABLE author (id int PRIMARY KEY, name text);
CREATE TABLE book (id int PRIMARY KEY, author_id int REFERENCES author, title text);
CREATE TABLE users (id int PRIMARY KEY, name text);
CREATE TABLE review (id int PRIMARY KEY, book_id int REFERENCES book,
                     user_id int REFERENCES users, stars int);
CREATE TABLE noidx (id int, v text);
CREATE TABLE post (id int PRIMARY KEY, user_id int, blog_id int, created_at timestamptz);
INSERT INTO author SELECT g, 'a' || g FROM generate_series(1, 1000) g;
INSERT INTO book SELECT g, 1 + g % 1000, 't' || g FROM generate_series(1, 20000) g;
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 5000) g;
INSERT INTO review SELECT g, 1 + g % 20000, 1 + g % 5000, g % 5 FROM generate_series(1, 100000) g;
INSERT INTO noidx SELECT g, 'v' || g FROM generate_series(1, 50000) g;
INSERT INTO post SELECT g, g % 500, g % 300, '2026-01-01'::timestamptz - g * interval '1 minute'
  FROM generate_series(1, 200000) g;
ANALYZE author, book, users, review, noidx, post;

-- costs depend on statistics: show the statements and whether it got cheaper
CREATE FUNCTION advise(q text) RETURNS TABLE (cheaper boolean, index_statements text[], errors text[])
LANGUAGE sql AS $$
    SELECT total_cost_after < total_cost_before, index_statements, errors
      FROM lifeguard.advise_indexes(q)
$$;

-- an equality on id of a table without any index gets (id)
SELECT * FROM advise('SELECT * FROM noidx WHERE id = 42');
-- two equalities on a large table get one two-column index
SELECT * FROM advise('SELECT * FROM post WHERE user_id = $1 AND blog_id = $2');
-- equality then ORDER BY: the sort column follows the equality column
SELECT * FROM advise('SELECT * FROM post WHERE user_id = $1 ORDER BY created_at DESC LIMIT 10');
-- a join across four tables filtered by two ids gets the foreign-key indexes it needs
SELECT * FROM advise('SELECT r.* FROM author a JOIN book b ON b.author_id = a.id
                        JOIN review r ON r.book_id = b.id JOIN users u ON u.id = r.user_id
                       WHERE a.id = $1 AND u.id = $2');
-- a partitioned table, one partition with its columns in another order:
-- the advice is an index on the parent, costed on every partition
CREATE TABLE events (id int, account_id int, kind text) PARTITION BY RANGE (id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (50000);
CREATE TABLE events_2 (kind text, account_id int, id int);
ALTER TABLE events ATTACH PARTITION events_2 FOR VALUES FROM (50000) TO (100001);
INSERT INTO events SELECT g, g % 1000, 'k' FROM generate_series(1, 100000) g;
ANALYZE events;
SELECT * FROM advise('SELECT * FROM events WHERE account_id = $1');
-- already indexed: nothing to suggest
SELECT * FROM advise('SELECT * FROM author WHERE id = $1');
SELECT * FROM advise('SELECT * FROM review WHERE id BETWEEN $1 AND $2');
-- system catalogs are never advised on
SELECT * FROM advise('SELECT * FROM pg_class WHERE relname = $1');
SELECT * FROM advise('SELECT * FROM pg_catalog.pg_attribute WHERE attstattarget = $1');
-- too small a saving: lifeguard.advice_min_improvement
SET lifeguard.advice_min_improvement = 1.0;
SELECT * FROM advise('SELECT * FROM noidx WHERE id = 42');
RESET lifeguard.advice_min_improvement;
-- write statements are advised too
SELECT * FROM advise('UPDATE noidx SET v = $2 WHERE id = $1');
SELECT * FROM advise('DELETE FROM review WHERE user_id = 7');

-- bad input lands in errors, with NULL costs, never as an exception
SELECT * FROM lifeguard.advise_indexes('select 1; select 1');
SELECT * FROM lifeguard.advise_indexes('CREATE TABLE x (a int)');
SELECT * FROM lifeguard.advise_indexes('VACUUM noidx');
SELECT * FROM lifeguard.advise_indexes('SELECT * FROM no_such_table');
SELECT * FROM lifeguard.advise_indexes('SELECT * FROM noidx WHERE $1 IS NULL');
SELECT * FROM lifeguard.advise_indexes('SELEC * FROM noidx');
SELECT * FROM lifeguard.advise_indexes('');
SELECT * FROM lifeguard.advise_indexes(NULL);

-- no side effects: no prepared statement, no lock, no new relation
SELECT count(*) AS prepared FROM pg_prepared_statements;
SELECT count(*) AS locks FROM pg_locks
 WHERE pid = pg_backend_pid() AND locktype = 'relation'
   AND relation IN ('wl.noidx'::regclass, 'wl.post'::regclass, 'wl.review'::regclass);
SELECT count(*) AS relations FROM pg_class WHERE relnamespace = 'wl'::regnamespace;
-- and it works inside a read-only transaction
BEGIN TRANSACTION READ ONLY;
SELECT * FROM advise('SELECT * FROM noidx WHERE id = 42');
COMMIT;

--
-- sampled predicates
--
SELECT lifeguard.reset_predicate_stats();
SET lifeguard.predicate_sample_rate = 1;
SELECT count(*) FROM noidx WHERE v = 'v7';
SELECT count(*) FROM author WHERE id IN (1, 2, 3);
SELECT count(*) FROM users WHERE name = 'u7' AND id > -1 AND now() > timestamptz '2000-01-01';
SET enable_nestloop = off;   -- a hash join, whatever the statistics say
SET enable_mergejoin = off;
SELECT count(*) FROM book b JOIN review r ON r.book_id = b.id WHERE b.author_id = 5;
RESET enable_nestloop;
RESET enable_mergejoin;
RESET lifeguard.predicate_sample_rate;
SELECT table_name, column_name, operator, executions, index_executions,
       filter_executions, join_executions > 0 AS joined, rows_filtered > 0 AS filtered,
       index_used
  FROM lifeguard.predicate_stats
 WHERE table_name::text IN ('noidx', 'author', 'book', 'review')
 ORDER BY table_name::text, column_name, operator;
-- statements whose filters removed rows are kept with placeholders (a
-- typed literal keeps its type, so the text can be planned again)
SELECT query FROM lifeguard._workload_queries()
 WHERE query LIKE '%noidx%' OR query LIKE '%author_id%' OR query LIKE '%users%' ORDER BY 1;
SELECT index_statements, errors
  FROM lifeguard._workload_queries() w, lifeguard.advise_indexes(w.query) a
 WHERE w.query LIKE '%FROM users%';
-- sampling off: nothing recorded
SELECT lifeguard.reset_predicate_stats();
SET lifeguard.predicate_sample_rate = 0;
SELECT count(*) FROM noidx WHERE v = 'v8';
SELECT count(*) AS predicates FROM lifeguard.predicate_stats;

-- index_advice: every finding in one place, with workload candidates
SET lifeguard.predicate_sample_rate = 1;
SELECT count(*) FROM noidx WHERE v = 'v9';
RESET lifeguard.predicate_sample_rate;
SELECT kind, table_name, estimated_benefit > 0.5 AS worth_it, statement
  FROM lifeguard.index_advice
 WHERE table_name IN ('noidx', 'book', 'review', 'wl.noidx', 'wl.book', 'wl.review')
 ORDER BY 1, 2, 4;

--
-- N+1: one statement run 25 times in one transaction
--
SELECT lifeguard.reset_n_plus_one();
SHOW lifeguard.n_plus_one_threshold;
BEGIN;
SELECT count(*) AS c FROM review WHERE book_id = 1 \gset
SELECT count(*) AS c FROM review WHERE book_id = 2 \gset
SELECT count(*) AS c FROM review WHERE book_id = 3 \gset
SELECT count(*) AS c FROM review WHERE book_id = 4 \gset
SELECT count(*) AS c FROM review WHERE book_id = 5 \gset
SELECT count(*) AS c FROM review WHERE book_id = 6 \gset
SELECT count(*) AS c FROM review WHERE book_id = 7 \gset
SELECT count(*) AS c FROM review WHERE book_id = 8 \gset
SELECT count(*) AS c FROM review WHERE book_id = 9 \gset
SELECT count(*) AS c FROM review WHERE book_id = 10 \gset
SELECT count(*) AS c FROM review WHERE book_id = 11 \gset
SELECT count(*) AS c FROM review WHERE book_id = 12 \gset
SELECT count(*) AS c FROM review WHERE book_id = 13 \gset
SELECT count(*) AS c FROM review WHERE book_id = 14 \gset
SELECT count(*) AS c FROM review WHERE book_id = 15 \gset
SELECT count(*) AS c FROM review WHERE book_id = 16 \gset
SELECT count(*) AS c FROM review WHERE book_id = 17 \gset
SELECT count(*) AS c FROM review WHERE book_id = 18 \gset
SELECT count(*) AS c FROM review WHERE book_id = 19 \gset
SELECT count(*) AS c FROM review WHERE book_id = 20 \gset
SELECT count(*) AS c FROM review WHERE book_id = 21 \gset
SELECT count(*) AS c FROM review WHERE book_id = 22 \gset
SELECT count(*) AS c FROM review WHERE book_id = 23 \gset
SELECT count(*) AS c FROM review WHERE book_id = 24 \gset
SELECT count(*) AS c FROM review WHERE book_id = 25 \gset
COMMIT;
-- the same statement in 25 transactions of its own is not N+1
SELECT count(*) AS c FROM book WHERE author_id = 1 \gset
SELECT count(*) AS c FROM book WHERE author_id = 2 \gset
SELECT count(*) AS c FROM book WHERE author_id = 3 \gset
SELECT count(*) AS c FROM book WHERE author_id = 4 \gset
SELECT count(*) AS c FROM book WHERE author_id = 5 \gset
SELECT count(*) AS c FROM book WHERE author_id = 6 \gset
SELECT count(*) AS c FROM book WHERE author_id = 7 \gset
SELECT count(*) AS c FROM book WHERE author_id = 8 \gset
SELECT count(*) AS c FROM book WHERE author_id = 9 \gset
SELECT count(*) AS c FROM book WHERE author_id = 10 \gset
SELECT count(*) AS c FROM book WHERE author_id = 11 \gset
SELECT count(*) AS c FROM book WHERE author_id = 12 \gset
SELECT count(*) AS c FROM book WHERE author_id = 13 \gset
SELECT count(*) AS c FROM book WHERE author_id = 14 \gset
SELECT count(*) AS c FROM book WHERE author_id = 15 \gset
SELECT count(*) AS c FROM book WHERE author_id = 16 \gset
SELECT count(*) AS c FROM book WHERE author_id = 17 \gset
SELECT count(*) AS c FROM book WHERE author_id = 18 \gset
SELECT count(*) AS c FROM book WHERE author_id = 19 \gset
SELECT count(*) AS c FROM book WHERE author_id = 20 \gset
SELECT count(*) AS c FROM book WHERE author_id = 21 \gset
SELECT count(*) AS c FROM book WHERE author_id = 22 \gset
SELECT count(*) AS c FROM book WHERE author_id = 23 \gset
SELECT count(*) AS c FROM book WHERE author_id = 24 \gset
SELECT count(*) AS c FROM book WHERE author_id = 25 \gset
-- nine times is under the threshold
BEGIN;
SELECT count(*) AS c FROM users WHERE id = 1 \gset
SELECT count(*) AS c FROM users WHERE id = 2 \gset
SELECT count(*) AS c FROM users WHERE id = 3 \gset
SELECT count(*) AS c FROM users WHERE id = 4 \gset
SELECT count(*) AS c FROM users WHERE id = 5 \gset
SELECT count(*) AS c FROM users WHERE id = 6 \gset
SELECT count(*) AS c FROM users WHERE id = 7 \gset
SELECT count(*) AS c FROM users WHERE id = 8 \gset
SELECT count(*) AS c FROM users WHERE id = 9 \gset
COMMIT;
SELECT application_name, role_name, transactions, calls, worst_per_transaction, query
  FROM lifeguard.n_plus_one ORDER BY query;
-- a rolled-back transaction counts too (the round trips happened)
BEGIN;
SELECT count(*) AS c FROM review WHERE book_id = 1 \gset
SELECT count(*) AS c FROM review WHERE book_id = 2 \gset
SELECT count(*) AS c FROM review WHERE book_id = 3 \gset
SELECT count(*) AS c FROM review WHERE book_id = 4 \gset
SELECT count(*) AS c FROM review WHERE book_id = 5 \gset
SELECT count(*) AS c FROM review WHERE book_id = 6 \gset
SELECT count(*) AS c FROM review WHERE book_id = 7 \gset
SELECT count(*) AS c FROM review WHERE book_id = 8 \gset
SELECT count(*) AS c FROM review WHERE book_id = 9 \gset
SELECT count(*) AS c FROM review WHERE book_id = 10 \gset
SELECT count(*) AS c FROM review WHERE book_id = 11 \gset
SELECT count(*) AS c FROM review WHERE book_id = 12 \gset
ROLLBACK;
SELECT transactions, calls, worst_per_transaction FROM lifeguard.n_plus_one;
-- texts follow pg_stat_statements' rule: others see the row, not the text
CREATE ROLE wl_reader;
GRANT USAGE ON SCHEMA wl TO wl_reader;
SET ROLE wl_reader;
SELECT application_name, calls, query FROM lifeguard.n_plus_one;
SELECT * FROM lifeguard.predicate_stats;   -- needs pg_monitor
SELECT lifeguard.reset_n_plus_one();        -- needs lifeguard_admin
SELECT lifeguard.reset_predicate_stats();
RESET ROLE;
GRANT pg_read_all_stats TO wl_reader;
SET ROLE wl_reader;
SELECT application_name, calls, query FROM lifeguard.n_plus_one;
RESET ROLE;
-- off with threshold 0
SELECT lifeguard.reset_n_plus_one();
SET lifeguard.n_plus_one_threshold = 0;
BEGIN;
SELECT count(*) AS c FROM review WHERE book_id = 1 \gset
SELECT count(*) AS c FROM review WHERE book_id = 2 \gset
SELECT count(*) AS c FROM review WHERE book_id = 3 \gset
SELECT count(*) AS c FROM review WHERE book_id = 4 \gset
SELECT count(*) AS c FROM review WHERE book_id = 5 \gset
SELECT count(*) AS c FROM review WHERE book_id = 6 \gset
SELECT count(*) AS c FROM review WHERE book_id = 7 \gset
SELECT count(*) AS c FROM review WHERE book_id = 8 \gset
SELECT count(*) AS c FROM review WHERE book_id = 9 \gset
SELECT count(*) AS c FROM review WHERE book_id = 10 \gset
SELECT count(*) AS c FROM review WHERE book_id = 11 \gset
SELECT count(*) AS c FROM review WHERE book_id = 12 \gset
COMMIT;
RESET lifeguard.n_plus_one_threshold;
SELECT count(*) AS findings FROM lifeguard.n_plus_one;
-- settings have bounds
SET lifeguard.predicate_sample_rate = 1.5;
SET lifeguard.n_plus_one_threshold = -1;
SET lifeguard.advice_min_improvement = -0.1;

DROP SCHEMA wl CASCADE;
DROP ROLE wl_reader;
RESET search_path;
