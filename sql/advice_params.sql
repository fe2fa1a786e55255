--
-- statements with $n parameters are costed over representative values:
-- the generic plan and the columns' most common values
--
CREATE SCHEMA adv_par;
SET search_path = adv_par, public;

-- account 1 has half the events; the others a handful each
CREATE TABLE events (id int PRIMARY KEY, account_id int, kind int, note text,
                     created_at timestamptz);
INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 1 ELSE g % 20000 END, g % 50, 'n' || g,
       '2026-01-01'::timestamptz - g * interval '1 second'
  FROM generate_series(1, 200000) g;
-- accounts of even numbers have no events at all
CREATE TABLE accounts (id int PRIMARY KEY, name text);
INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 20000) g;
ANALYZE events, accounts;

CREATE FUNCTION advise(q text) RETURNS TABLE (cheaper boolean, index_statements text[], errors text[])
LANGUAGE sql AS $$
    SELECT total_cost_after < total_cost_before, index_statements, errors
      FROM lifeguard.advise_indexes(q)
$$;

-- the latest events of an account: for account 1, the generic estimate
-- (ten rows to sort) is 10,000 times too low; the index must also serve
-- the ordering
SELECT * FROM advise('SELECT * FROM events WHERE account_id = $1 ORDER BY created_at DESC LIMIT 20');
-- the value written out: only that value counts, and for account 1 the
-- newest rows are found soonest without the account in the index
SELECT * FROM advise('SELECT * FROM events WHERE account_id = 1 ORDER BY created_at DESC LIMIT 20');
-- two equalities
SELECT * FROM advise('SELECT * FROM events WHERE account_id = $1 AND kind = $2');
-- through a join, the parameter on the other table
SELECT * FROM advise('SELECT e.* FROM accounts a JOIN events e ON e.account_id = a.id
                       WHERE a.id = $1 ORDER BY e.created_at DESC LIMIT 20');
-- a range bounded by a parameter: costed also for the recent rows that
-- created_at >= $1 usually asks for, not only for a third of the table
SELECT * FROM advise('SELECT count(*) FROM events WHERE created_at >= $1');
-- both ends parameters: the last bucket of the histogram, not an empty range
SELECT * FROM advise('SELECT note FROM events WHERE created_at BETWEEN $1 AND $2');
-- a parameter of another type than its column, and one in LIKE: the
-- generic plan only, no error
SELECT * FROM advise('SELECT * FROM events WHERE account_id = $1::bigint AND note LIKE $2');

-- values as seen: a sampled statement keeps a few of the parameter sets it
-- ran with (here the literals the normaliser replaced) and is costed over
-- them, as its author.  The application asks for the rare status; the
-- statistics' most common value ('done') and the generic estimate ask
-- for an index on created_at alone, which then reads 1,000 rows of other
-- statuses for each pending one.
CREATE TABLE tasks (id int PRIMARY KEY, status text, owner int, created_at timestamptz);
INSERT INTO tasks SELECT g, CASE WHEN g % 1000 = 0 THEN 'pending'
                                 WHEN g % 10 = 0 THEN 'failed' ELSE 'done' END,
       g % 5000, '2026-01-01'::timestamptz - g * interval '1 minute'
  FROM generate_series(1, 200000) g;
ANALYZE tasks;
SELECT lifeguard.reset_predicate_stats();
SET lifeguard.predicate_sample_rate = 1;
SELECT count(*) FROM (SELECT id FROM tasks WHERE status = 'pending'
                       ORDER BY created_at LIMIT 50) s;
SELECT count(*) FROM (SELECT id FROM tasks WHERE status = 'pending'
                       ORDER BY created_at LIMIT 50) s;
SELECT count(*) FROM (SELECT id FROM tasks WHERE status = 'failed'
                       ORDER BY created_at LIMIT 50) s;
-- a queue worker: every run asks for the same status (four runs seen)
SELECT min(created_at) IS NOT NULL AS found FROM tasks WHERE status = 'pending';
SELECT min(created_at) IS NOT NULL AS found FROM tasks WHERE status = 'pending';
SELECT min(created_at) IS NOT NULL AS found FROM tasks WHERE status = 'pending';
SELECT min(created_at) IS NOT NULL AS found FROM tasks WHERE status = 'pending';
RESET lifeguard.predicate_sample_rate;
SELECT oid AS here FROM pg_database WHERE datname = current_database() \gset
SELECT userid AS tasks_user, queryid AS tasks_qid, query AS tasks_query
  FROM lifeguard._workload_queries()
 WHERE query LIKE '%FROM tasks%LIMIT%' AND dbid = :'here'::oid \gset
-- costed over them, as their author: the index the application's values
-- need, from index_advice's function and from advise_indexes given the
-- text of one's own statement; the same value in every run seen makes a
-- partial index's predicate, as a constant in the text does
SELECT w.query, a.index_statements, a.confidence, a.errors
  FROM lifeguard._workload_queries() w,
       lifeguard._advise_sampled(w.userid, w.queryid) a
 WHERE w.query LIKE '%FROM tasks%' AND w.dbid = :'here'::oid ORDER BY w.query;
SELECT index_statements, confidence FROM lifeguard.advise_indexes(:'tasks_query');
-- the values are the author's data: another role giving the same text
-- gets the generic plan and the most common values; no view shows the
-- values, but for the predicate of a partial index advised from them,
-- and only to a reader who may read the statement's text (a monitor); a
-- reader who may not (an admin) gets no advice on it
CREATE ROLE adv_par_monitor IN ROLE pg_monitor;
CREATE ROLE adv_par_admin IN ROLE lifeguard_admin;
GRANT USAGE ON SCHEMA adv_par TO adv_par_monitor, adv_par_admin;
GRANT SELECT ON tasks TO adv_par_monitor, adv_par_admin;
SET ROLE adv_par_monitor;
SELECT index_statements, confidence FROM lifeguard.advise_indexes(:'tasks_query');
SELECT count(*) AS rows_quoting_values
  FROM lifeguard._workload_queries() w
 WHERE w::text LIKE '%pending%' OR w::text LIKE '%failed%';
SELECT a.statement, a::text LIKE '%failed%' AS quotes_other_values
  FROM lifeguard.index_advice a WHERE a.table_name IN ('tasks', 'adv_par.tasks')
 ORDER BY a.statement;
RESET ROLE;
SET ROLE adv_par_admin;
SELECT count(*) AS advice_rows
  FROM lifeguard.index_advice a WHERE a.table_name IN ('tasks', 'adv_par.tasks');
SELECT query FROM lifeguard._workload_queries() WHERE queryid = :tasks_qid;
SELECT index_statements, errors FROM lifeguard._advise_sampled(:tasks_user, :tasks_qid);
RESET ROLE;
REVOKE ALL ON tasks FROM adv_par_monitor, adv_par_admin;
REVOKE ALL ON SCHEMA adv_par FROM adv_par_monitor, adv_par_admin;
DROP ROLE adv_par_monitor, adv_par_admin;

DROP SCHEMA adv_par CASCADE;
RESET search_path;
