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

-- privileges are checked as the executor checks them, before any costing:
-- no costs and no advice on what the caller may not read
CREATE ROLE wl_nopriv;
GRANT USAGE ON SCHEMA wl TO wl_nopriv;
GRANT SELECT (id) ON noidx TO wl_nopriv;
CREATE VIEW noidx_ids AS SELECT id FROM noidx WHERE id > 0;
GRANT SELECT ON noidx_ids TO wl_nopriv;
SET ROLE wl_nopriv;
SELECT * FROM lifeguard.advise_indexes('SELECT * FROM post WHERE user_id = $1');
SELECT * FROM lifeguard.advise_indexes('SELECT v FROM noidx WHERE id = 42');
SELECT * FROM lifeguard.advise_indexes('UPDATE noidx SET id = 1 WHERE id = 42');
SELECT * FROM lifeguard.advise_indexes('SELECT id FROM noidx WHERE id IN (SELECT user_id FROM post)');
SELECT * FROM lifeguard.advise_indexes('WITH p AS (SELECT * FROM post) SELECT noidx.id FROM noidx, p WHERE noidx.id = p.user_id');
-- the granted column, and the table through a view its owner may read
SELECT * FROM advise('SELECT id FROM noidx WHERE id = 42');
SELECT * FROM advise('SELECT id FROM noidx_ids WHERE id = 42');
RESET ROLE;
DROP VIEW noidx_ids;
REVOKE ALL ON noidx FROM wl_nopriv;

-- cancel and timeouts end the call; they are not findings (wl.slow makes
-- the function the planner folds slow)
CREATE FUNCTION slow_one() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('wl.slow', true) = 'on' THEN
        PERFORM pg_sleep(10);
    END IF;
    RETURN 1;
END
$$;
SET wl.slow = on;
SET statement_timeout = '200ms';
SELECT * FROM lifeguard.advise_indexes('SELECT * FROM noidx WHERE id = wl.slow_one()');
RESET statement_timeout;
RESET wl.slow;
-- a lock it waits for, with lock_timeout
SELECT dblink_connect('wl_locker', 'dbname=contrib_regression');
SELECT dblink_exec('wl_locker', 'BEGIN');
SELECT dblink_exec('wl_locker', 'LOCK wl.noidx IN ACCESS EXCLUSIVE MODE');
SET lock_timeout = '200ms';
-- (terse: 19 adds a CONTEXT line naming the relation by OID)
\set VERBOSITY terse
SELECT * FROM lifeguard.advise_indexes('SELECT * FROM noidx WHERE id = 42');
\set VERBOSITY default
RESET lock_timeout;
SELECT dblink_exec('wl_locker', 'ROLLBACK');
SELECT dblink_disconnect('wl_locker');

-- nested calls: a function the planner folds while costing may itself
-- call advise_indexes; each call keeps its own candidates
CREATE FUNCTION pg_temp.nested() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    RETURN cardinality(index_statements)
      FROM lifeguard.advise_indexes('SELECT * FROM wl.post WHERE blog_id = 7');
END
$$;
SELECT index_statements, errors
  FROM lifeguard.advise_indexes('SELECT * FROM noidx WHERE id = pg_temp.nested()');
-- an inner call that fails, and one that is cancelled and caught
CREATE FUNCTION pg_temp.nested_bad() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    RETURN cardinality(errors) FROM lifeguard.advise_indexes('SELECT * FROM wl.no_such_table');
END
$$;
SELECT index_statements, errors
  FROM lifeguard.advise_indexes('SELECT * FROM noidx WHERE id = pg_temp.nested_bad()');
CREATE FUNCTION pg_temp.nested_cancelled() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM lifeguard.advise_indexes('SELECT * FROM wl.post WHERE blog_id = wl.slow_one()');
    RETURN 0;
EXCEPTION WHEN query_canceled THEN
    PERFORM set_config('wl.slow', 'off', false);
    RETURN 2;
END
$$;
SET wl.slow = on;
SET statement_timeout = '200ms';
SELECT index_statements, errors
  FROM lifeguard.advise_indexes('SELECT * FROM noidx WHERE id = pg_temp.nested_cancelled()');
RESET statement_timeout;
RESET wl.slow;
-- the server is still up, and this session still plans as before
SELECT * FROM advise('SELECT * FROM noidx WHERE id = 42');
-- the candidates of a call are only for the planning it asked for, not
-- for a query a folded function plans and runs meanwhile
CREATE FUNCTION pg_temp.count_posts(b int) RETURNS bigint IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    RETURN count(*) FROM wl.post WHERE blog_id = b;
END
$$;
SELECT index_statements, errors
  FROM lifeguard.advise_indexes('SELECT * FROM post WHERE blog_id = 7 AND id < pg_temp.count_posts(7)');

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
-- statements of a DO block are not the client's: not sampled either
SET lifeguard.predicate_sample_rate = 1;
DO $$
BEGIN
    PERFORM count(*) FROM wl.noidx WHERE v = 'v8';
END
$$;
RESET lifeguard.predicate_sample_rate;
SELECT count(*) AS predicates FROM lifeguard.predicate_stats;
-- a parallel plan: the workers' rows count as well as the leader's (they
-- reach the leader's plan nodes only when the Gather shuts down); with
-- the leader not participating, a count that missed them would be short
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM noidx WHERE v = 'v8';
SET lifeguard.predicate_sample_rate = 1;
SELECT count(*) FROM noidx WHERE v = 'v8';
RESET lifeguard.predicate_sample_rate;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
-- (one table only: at the default rate, a statement in between may have
-- been sampled too)
SELECT table_name, column_name, operator, executions, rows_scanned, rows_filtered
  FROM lifeguard.predicate_stats WHERE table_name::text = 'noidx' ORDER BY operator;
SELECT lifeguard.reset_predicate_stats();

-- index_advice: every finding in one place, with workload candidates
SET lifeguard.predicate_sample_rate = 1;
SELECT count(*) FROM noidx WHERE v = 'v9';
RESET lifeguard.predicate_sample_rate;
SELECT kind, table_name, estimated_benefit > 0.5 AS worth_it, statement
  FROM lifeguard.index_advice
 WHERE table_name IN ('noidx', 'book', 'review', 'wl.noidx', 'wl.book', 'wl.review')
 ORDER BY 1, 2, 4;

-- a sampled statement is planned as the role that ran it, in a
-- security-restricted operation, with the search_path it ran with: never
-- as whoever reads index_advice
CREATE ROLE wl_author;
CREATE SCHEMA wl_author AUTHORIZATION wl_author;
SET ROLE wl_author;
CREATE TABLE wl_author.items AS SELECT g AS id, g % 100 AS v FROM generate_series(1, 20000) g;
ANALYZE wl_author.items;
CREATE FUNCTION wl_author.looks_harmless() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'looks_harmless() runs as its author: %', current_user = 'wl_author';
    IF current_setting('wl.slow', true) = 'on' THEN
        PERFORM pg_sleep(10);
    END IF;
    RETURN 1;
END
$$;
RESET ROLE;
SELECT lifeguard.reset_predicate_stats();
SET lifeguard.predicate_sample_rate = 1;
SET search_path = wl_author, public;
SET ROLE wl_author;
SELECT count(*) FROM items WHERE v = 5 AND looks_harmless() = 1;
SELECT count(*) FROM wl_author.items WHERE v = 5 AND id > 0 AND wl_author.looks_harmless() = 1;
RESET ROLE;
SET search_path = wl, public;
RESET lifeguard.predicate_sample_rate;
SELECT r.rolname, w.query
  FROM lifeguard._workload_queries() w JOIN pg_roles r ON r.oid = w.userid ORDER BY w.query;
SELECT kind, table_name, statement FROM lifeguard.index_advice WHERE kind = 'workload';
-- the reader must be allowed to read the tables too
CREATE ROLE wl_monitor IN ROLE pg_monitor;
SET ROLE wl_monitor;
SELECT count(*) AS workload_rows FROM lifeguard.index_advice WHERE kind = 'workload';
SELECT w.query, a.index_statements, a.errors
  FROM lifeguard._workload_queries() w, lifeguard._advise_sampled(w.userid, w.queryid) a
 ORDER BY w.query;
RESET ROLE;
-- and only pg_monitor and lifeguard_admin may call it; the text is never the caller's
SET ROLE wl_author;
SELECT errors FROM lifeguard._advise_sampled(0, 0);
RESET ROLE;
SELECT errors FROM lifeguard._advise_sampled(0, 0);
-- planning it slowly ends with the timeout, not with less advice
SET wl.slow = on;
SET statement_timeout = '200ms';
SELECT count(*) FROM lifeguard.index_advice;
RESET statement_timeout;
RESET wl.slow;

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
-- statements a DO block, a procedure or a function folded at plan time
-- runs are not the client's: not N+1, however often they run
BEGIN;
DO $$
BEGIN
    FOR i IN 1..25 LOOP
        PERFORM count(*) FROM wl.author WHERE id = i;
    END LOOP;
END
$$;
COMMIT;
CREATE PROCEDURE loop_books() LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..25 LOOP
        PERFORM count(*) FROM wl.book WHERE id = i;
    END LOOP;
END
$$;
CALL loop_books();
CREATE FUNCTION folded_count(i int) RETURNS bigint IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
    RETURN count(*) FROM wl.users WHERE id = i;
END
$$;
SELECT wl.folded_count(1) + wl.folded_count(2) + wl.folded_count(3) + wl.folded_count(4)
     + wl.folded_count(5) + wl.folded_count(6) + wl.folded_count(7) + wl.folded_count(8)
     + wl.folded_count(9) + wl.folded_count(10) + wl.folded_count(11) + wl.folded_count(12) AS c \gset
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
SELECT lifeguard.reset_n_plus_one();
-- an error caught by an exception block of a DO block, and a client
-- statement that fails: the client's statements after them are still its own
DO $$
BEGIN
    BEGIN
        PERFORM 1 / (id - id) FROM wl.author;
    EXCEPTION WHEN division_by_zero THEN NULL;
    END;
END
$$;
BEGIN;
SELECT count(*) AS c FROM author WHERE name = 'n1' \gset
SELECT count(*) AS c FROM author WHERE name = 'n2' \gset
SELECT count(*) AS c FROM author WHERE name = 'n3' \gset
SELECT count(*) AS c FROM author WHERE name = 'n4' \gset
SELECT count(*) AS c FROM author WHERE name = 'n5' \gset
SELECT count(*) AS c FROM author WHERE name = 'n6' \gset
SELECT count(*) AS c FROM author WHERE name = 'n7' \gset
SELECT count(*) AS c FROM author WHERE name = 'n8' \gset
SELECT count(*) AS c FROM author WHERE name = 'n9' \gset
SELECT count(*) AS c FROM author WHERE name = 'n10' \gset
COMMIT;
SELECT 1 / (id - id) FROM author;
BEGIN;
SELECT count(*) AS c FROM book WHERE title = 't1' \gset
SELECT count(*) AS c FROM book WHERE title = 't2' \gset
SELECT count(*) AS c FROM book WHERE title = 't3' \gset
SELECT count(*) AS c FROM book WHERE title = 't4' \gset
SELECT count(*) AS c FROM book WHERE title = 't5' \gset
SELECT count(*) AS c FROM book WHERE title = 't6' \gset
SELECT count(*) AS c FROM book WHERE title = 't7' \gset
SELECT count(*) AS c FROM book WHERE title = 't8' \gset
SELECT count(*) AS c FROM book WHERE title = 't9' \gset
SELECT count(*) AS c FROM book WHERE title = 't10' \gset
COMMIT;
SELECT calls, worst_per_transaction, query FROM lifeguard.n_plus_one
 WHERE query LIKE '%name =%' OR query LIKE '%title =%' ORDER BY query;
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
DROP SCHEMA wl_author CASCADE;
DROP ROLE wl_reader;
DROP ROLE wl_nopriv;
DROP ROLE wl_author;
DROP ROLE wl_monitor;
RESET search_path;
