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

DROP SCHEMA adv_par CASCADE;
RESET search_path;
