--
-- check_migration: up -> down -> up, always rolled back
--
CREATE SCHEMA mig;
SET search_path = mig, public;
CREATE ROLE mig_reader;
CREATE TABLE account (id int PRIMARY KEY, email varchar(10) NOT NULL DEFAULT 'x',
                      name text COLLATE "C", balance numeric CHECK (balance >= 0),
                      created_at timestamptz, note text);
CREATE TABLE entry (id int PRIMARY KEY,
                    account_id int REFERENCES account DEFERRABLE INITIALLY DEFERRED,
                    amount int);
CREATE INDEX entry_big ON entry (amount) WHERE amount > 100;
COMMENT ON TABLE account IS 'customer accounts';
GRANT SELECT ON account TO mig_reader;
ALTER TABLE account ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON account TO mig_reader USING (true);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER account_touch BEFORE UPDATE ON account FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE ticket_seq INCREMENT 1 OWNED BY entry.id;
INSERT INTO account VALUES (1, 'a', 'n', 10, now(), NULL);

-- the findings that matter, without the lock rows (see the lock section)
CREATE FUNCTION findings(up text, down text)
RETURNS TABLE (step text, n int, severity text, kind text, object_name text, what text)
LANGUAGE sql AS $$
    SELECT step, statement_no, severity, kind, object_name,
           CASE WHEN kind IN ('not_reversible', 'lint', 'data_loss', 'rewrite')
                THEN split_part(detail, ':', 1) ELSE detail END
      FROM lifeguard.check_migration(up, down, ARRAY['mig'])
     WHERE kind <> 'lock'
$$;

CREATE FUNCTION loses(loss text)
RETURNS TABLE (object_name text, what text)
LANGUAGE sql AS $$
    SELECT object_name, what
      FROM findings('ALTER TABLE account ADD COLUMN tmp int',
                    'ALTER TABLE account DROP COLUMN tmp; ' || loss)
     WHERE kind = 'not_reversible'
$$;

SELECT lifeguard.schema_fingerprint(ARRAY['mig']) AS fp_before \gset
SET client_min_messages = warning;   -- no "drop cascades" notices from the scripts

-- DROP COLUMN then ADD COLUMN with the same name and type moves the column
SELECT * FROM findings('ALTER TABLE account DROP COLUMN created_at; ALTER TABLE account ADD COLUMN created_at timestamptz',
                       'SELECT 1');

-- a down that loses one attribute: each is found, naming object and attribute
SELECT * FROM loses('ALTER TABLE account ALTER email DROP DEFAULT');
SELECT * FROM loses('ALTER TABLE account ALTER email DROP NOT NULL');
SELECT * FROM loses('ALTER TABLE account ALTER email TYPE varchar');
SELECT * FROM loses('ALTER TABLE account ALTER name TYPE text COLLATE "POSIX"');
SELECT * FROM loses('ALTER TABLE account DROP CONSTRAINT account_balance_check');
SELECT * FROM loses('ALTER TABLE entry ALTER CONSTRAINT entry_account_id_fkey NOT DEFERRABLE');
SELECT * FROM loses('DROP INDEX entry_big; CREATE INDEX entry_big ON entry (amount) WHERE amount > 1000');
SELECT * FROM loses('COMMENT ON TABLE account IS NULL');
SELECT * FROM loses('REVOKE SELECT ON account FROM mig_reader');
SELECT * FROM loses('ALTER POLICY own ON account TO PUBLIC');
SELECT * FROM loses('DROP TRIGGER account_touch ON account; CREATE TRIGGER account_touch AFTER UPDATE ON account FOR EACH ROW EXECUTE FUNCTION touch()');
SELECT * FROM loses('DROP TYPE mood; CREATE TYPE mood AS ENUM (''ok'', ''sad'', ''happy'')');
SELECT * FROM loses('ALTER SEQUENCE ticket_seq OWNED BY NONE');
SELECT * FROM loses('ALTER SEQUENCE ticket_seq INCREMENT 5');

-- correct downs: nothing not_reversible
SELECT * FROM findings('CREATE TABLE audit (id int, at timestamptz)', 'DROP TABLE audit');
SELECT * FROM findings('CREATE INDEX entry_account ON entry (account_id)', 'DROP INDEX entry_account');
SELECT * FROM findings('ALTER TABLE entry ADD COLUMN memo text', 'ALTER TABLE entry DROP COLUMN memo');
-- functions re-created with new OIDs compare by name and signature
SELECT * FROM findings(
  'DROP FUNCTION touch() CASCADE;
   CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $b$BEGIN RETURN NEW; END$b$;
   CREATE TRIGGER account_touch BEFORE UPDATE ON account FOR EACH ROW EXECUTE FUNCTION touch()',
  'DROP FUNCTION touch() CASCADE;
   CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $b$BEGIN RETURN NEW; END$b$;
   CREATE TRIGGER account_touch BEFORE UPDATE ON account FOR EACH ROW EXECUTE FUNCTION touch()');
SELECT lifeguard.migration_is_reversible('CREATE TABLE audit (id int)', 'DROP TABLE audit');

-- a down that does nothing: the second up fails (stairway), and the table stays
SELECT * FROM findings('CREATE TABLE audit (id int)', '');
SELECT lifeguard.migration_is_reversible('CREATE TABLE audit (id int)', '');

-- statements that cannot run in a transaction block: reported, nothing runs
SELECT * FROM findings('SELECT nextval(''ticket_seq''); CREATE INDEX CONCURRENTLY ON entry (account_id)', '');
SELECT * FROM findings('SELECT 1', 'DROP TABLE entry; COMMIT');
SELECT * FROM findings('VACUUM entry', 'ALTER SYSTEM SET work_mem = ''1MB''');
SELECT last_value, is_called FROM ticket_seq;   -- nextval above never ran
-- migration tools write offline SQL inside BEGIN; ... COMMIT; (Alembic
-- --sql, Django sqlmigrate): one outer pair is left out, and said so;
-- statement numbers stay those of the script
SELECT * FROM findings(
    E'BEGIN;\n\nCREATE TABLE alembic_version (\n    version_num VARCHAR(32) NOT NULL, \n' ||
    E'    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n);\n\n' ||
    E'-- Running upgrade  -> 0001\n\nCREATE TABLE users (\n    id SERIAL NOT NULL, \n' ||
    E'    email VARCHAR(255) NOT NULL, \n    PRIMARY KEY (id)\n);\n\n' ||
    E'INSERT INTO alembic_version (version_num) VALUES (''0001'') RETURNING alembic_version.version_num;\n\n' ||
    E'COMMIT;\n\n',
    E'BEGIN;\n\n-- Running downgrade 0001 -> \n\nDROP TABLE users;\n\n' ||
    E'DELETE FROM alembic_version WHERE alembic_version.version_num = ''0001'';\n\n' ||
    E'DROP TABLE alembic_version;\n\nCOMMIT;\n\n');
SELECT * FROM findings('START TRANSACTION; CREATE TABLE audit (id int); END', 'BEGIN WORK; DROP TABLE audit; COMMIT WORK');
-- only one pair, first and last, without options: the rest is refused
SELECT * FROM findings('BEGIN; CREATE TABLE audit (id int); COMMIT; BEGIN; SELECT 1; COMMIT', 'DROP TABLE audit');
SELECT * FROM findings('BEGIN ISOLATION LEVEL SERIALIZABLE; CREATE TABLE audit (id int); COMMIT', 'DROP TABLE audit');
SELECT * FROM findings('BEGIN; CREATE TABLE audit (id int); COMMIT AND CHAIN', 'DROP TABLE audit');
SELECT * FROM findings('BEGIN; CREATE TABLE audit (id int)', 'DROP TABLE audit; COMMIT');
-- CLUSTER runs a partitioned table, or every clustered table, one
-- transaction per table; one plain table is fine
CREATE TABLE reading (at date, v int) PARTITION BY RANGE (at);
CREATE INDEX reading_at ON reading (at);
-- (14 refuses CLUSTER of a partitioned table outright, in a transaction
-- or not, so it is not reported: expected/migration_2.out)
SELECT * FROM findings('CLUSTER reading USING reading_at', 'CLUSTER');
SELECT * FROM findings('CLUSTER entry USING entry_pkey', '');
DROP TABLE reading;

-- a failing step is an error with its SQLSTATE; nothing after it runs
SELECT * FROM findings('ALTER TABLE nowhere ADD COLUMN x int', 'SELECT 1');
SELECT * FROM findings('SELECT 1', 'SELECT 1/0');
SELECT * FROM findings('SELEC 1', '');

-- lint, rewrites and data loss on tables that existed before
SELECT * FROM findings('CREATE INDEX ON entry (amount)', 'DROP INDEX entry_amount_idx');
SELECT * FROM findings('ALTER TABLE entry ADD CONSTRAINT entry_acc FOREIGN KEY (account_id) REFERENCES account',
                       'ALTER TABLE entry DROP CONSTRAINT entry_acc');
SELECT * FROM findings('ALTER TABLE entry ADD CONSTRAINT entry_acc FOREIGN KEY (account_id) REFERENCES account NOT VALID',
                       'ALTER TABLE entry DROP CONSTRAINT entry_acc');
SELECT * FROM findings('ALTER TABLE account ALTER name SET NOT NULL', 'ALTER TABLE account ALTER name DROP NOT NULL');
SELECT * FROM findings('ALTER TABLE account ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;
                        ALTER TABLE account VALIDATE CONSTRAINT name_nn;
                        ALTER TABLE account ALTER name SET NOT NULL',
                       'ALTER TABLE account ALTER name DROP NOT NULL; ALTER TABLE account DROP CONSTRAINT name_nn');
SELECT * FROM findings('ALTER TABLE account ADD COLUMN token uuid DEFAULT gen_random_uuid()',
                       'ALTER TABLE account DROP COLUMN token');
SELECT * FROM findings('ALTER TABLE account ADD COLUMN flag boolean DEFAULT false',
                       'ALTER TABLE account DROP COLUMN flag');
SELECT * FROM findings('ALTER TABLE account ALTER balance TYPE int', 'ALTER TABLE account ALTER balance TYPE numeric');
-- widening a varchar only touches the catalog: no rewrite, no lint; the
-- way back is narrower and rewrites
SELECT * FROM findings('ALTER TABLE account ALTER email TYPE varchar(20)', 'ALTER TABLE account ALTER email TYPE varchar(10)');
SELECT * FROM findings('ALTER TYPE mood ADD VALUE ''angry''', '');
SELECT * FROM findings('DELETE FROM entry; TRUNCATE account CASCADE', 'SELECT 1');
SELECT * FROM findings('DROP TABLE entry', 'CREATE TABLE entry (id int PRIMARY KEY, account_id int, amount int)');

-- locks on pre-existing tables, per statement
SELECT step, statement_no, severity, object_name, split_part(detail, ':', 1) AS mode
  FROM lifeguard.check_migration('ALTER TABLE entry ADD COLUMN memo text; SELECT count(*) FROM account',
                                 'ALTER TABLE entry DROP COLUMN memo', ARRAY['mig'])
 WHERE kind = 'lock';

-- sequence values are not rolled back: a warning says so
SELECT severity, kind, object_name FROM lifeguard.check_migration(
    'SELECT nextval(''ticket_seq'')', '', ARRAY['mig']) WHERE kind = 'sequence_consumed';

-- bad input
SELECT * FROM lifeguard.check_migration(NULL, '');
SELECT * FROM lifeguard.check_migration('SELECT 1', NULL);
SELECT lifeguard.migration_is_reversible(NULL, NULL);

SELECT * FROM lifeguard.check_migration('SELECT 1', '', '{}');
SELECT * FROM lifeguard.check_migration('SELECT 1', '', '{{mig}}');
-- an unknown schema is reported as a finding, like any failing step
SELECT step, kind, detail FROM lifeguard.check_migration('SELECT 1', '', ARRAY['no_such_schema']);

-- a cancel, statement_timeout or lock_timeout ends the call with its own
-- error: it is not a finding of the script
\set VERBOSITY terse
SET statement_timeout = '300ms';
SELECT * FROM lifeguard.check_migration('DO $$BEGIN LOOP END LOOP; END$$', 'SELECT 1');
RESET statement_timeout;
-- (a table the snapshot reads without locking it: no default, no index;
-- the wait is the script's ALTER TABLE)
CREATE TABLE lock_target (id int);
SELECT dblink_connect('mig_locker', 'dbname=contrib_regression');
SELECT dblink_exec('mig_locker', 'BEGIN; LOCK TABLE mig.lock_target IN ACCESS EXCLUSIVE MODE');
SET lock_timeout = '200ms';
SELECT * FROM lifeguard.check_migration('ALTER TABLE lock_target ADD COLUMN memo text',
                                        'ALTER TABLE lock_target DROP COLUMN memo', ARRAY['mig']);
RESET lock_timeout;
SELECT dblink_exec('mig_locker', 'ROLLBACK');
SELECT dblink_disconnect('mig_locker');
DROP TABLE lock_target;
-- the session is as it was: the up script prepared a statement and took
-- an advisory lock before the timeout
SET statement_timeout = '300ms';
SELECT * FROM lifeguard.check_migration('PREPARE before_cancel AS SELECT 1; SELECT pg_advisory_lock(43); DO $$BEGIN LOOP END LOOP; END$$', '');
RESET statement_timeout;
\set VERBOSITY default
SELECT count(*) AS prepared FROM pg_prepared_statements WHERE name = 'before_cancel';
SELECT count(*) AS advisory FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- nothing the scripts do to the session survives: prepared statements,
-- cursors (WITH HOLD too) and settings are undone after each step, so the
-- second up does not trip over the first; session-level advisory locks
-- after the call.  What the caller had stays.
SELECT pg_advisory_lock(7);
PREPARE caller_p AS SELECT 1;
SELECT * FROM findings($up$PREPARE p AS SELECT 1; SELECT pg_advisory_lock(42); SELECT pg_advisory_lock(1, 2);
                         DECLARE c CURSOR WITH HOLD FOR SELECT 1; DECLARE d CURSOR FOR SELECT 2;
                         SET work_mem = '1MB'$up$,
                       $down$DO $$BEGIN
                           IF current_setting('work_mem') = '1MB' THEN RAISE 'up''s SET is still in effect'; END IF;
                       END$$$down$);
SELECT name FROM pg_prepared_statements ORDER BY name;
SELECT count(*) AS cursors FROM pg_cursors;
SELECT classid, objid, objsubid, mode FROM pg_locks
 WHERE locktype = 'advisory' AND pid = pg_backend_pid() ORDER BY 1, 2, 3;
-- what a script takes from the caller is reported; an advisory lock is taken again
SELECT * FROM findings('DEALLOCATE caller_p; SELECT pg_advisory_unlock(7)', '');
SELECT classid, objid, objsubid, mode FROM pg_locks
 WHERE locktype = 'advisory' AND pid = pg_backend_pid() ORDER BY 1, 2, 3;
SELECT pg_advisory_unlock(7);
-- inside the caller's transaction: no lock and no transaction ID left
-- behind (sequence positions are read without locking every sequence)
BEGIN;
SELECT count(*) FROM lifeguard.check_migration('SELECT 1', 'SELECT 1', ARRAY['mig']);
SELECT count(*) AS relation_locks FROM pg_locks
 WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation <> 'pg_catalog.pg_locks'::regclass;
SELECT count(*) AS sequence_locks FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND c.relkind = 'S';
SELECT pg_current_xact_id_if_assigned() IS NULL AS no_xid;
ROLLBACK;

-- nesting: a script may call check_migration or schema_snapshot itself,
-- or through a function the planner folds; each call keeps its own state
-- and undoes only what its own scripts did
SELECT * FROM findings($$PREPARE outer_p AS SELECT 1;
                         SELECT count(*) FROM lifeguard.check_migration('PREPARE inner_p AS SELECT 2; CREATE TABLE inner_t (a int)', '', ARRAY['mig']);
                         EXECUTE outer_p$$, '');
SELECT * FROM findings('CREATE TABLE snap_copy AS SELECT lifeguard.schema_snapshot(ARRAY[''mig'']) AS s', 'DROP TABLE snap_copy');
CREATE FUNCTION nested_check() RETURNS bigint IMMUTABLE LANGUAGE sql
AS $$SELECT count(*) FROM lifeguard.check_migration('CREATE TABLE folded (a int)', '', ARRAY['mig'])$$;
CREATE FUNCTION nested_snapshot() RETURNS bigint IMMUTABLE LANGUAGE sql
AS $$SELECT count(*) FROM jsonb_object_keys(lifeguard.schema_snapshot(ARRAY['mig']) -> 'objects')$$;
SELECT * FROM findings('CREATE TABLE folded_t AS SELECT mig.nested_check() AS n, mig.nested_snapshot() AS k',
                       'DROP TABLE folded_t');
SELECT nested_check() > 0 AS checked, nested_snapshot() > 0 AS described;
DROP FUNCTION nested_check(), nested_snapshot();

-- the check's own queries pin search_path: operators a caller's
-- search_path puts before pg_catalog do not change what it finds
CREATE FUNCTION never(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE FUNCTION never_has(jsonb, text) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR mig.= (LEFTARG = text, RIGHTARG = text, FUNCTION = mig.never);
CREATE OPERATOR mig.? (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = mig.never_has);
SET search_path = mig, pg_catalog;
SELECT step, statement_no, severity, kind, object_name
  FROM lifeguard.check_migration('ALTER TABLE entry ADD COLUMN memo text; SELECT nextval(''ticket_seq'')',
                                 'ALTER TABLE entry DROP COLUMN memo', ARRAY['mig'])
 WHERE kind OPERATOR(pg_catalog.<>) 'not_reversible';
SET search_path = mig, public;
DROP OPERATOR mig.= (text, text);
DROP OPERATOR mig.? (jsonb, text);
DROP FUNCTION never(text, text), never_has(jsonb, text);

-- snapshots are by name: a dropped column's gap and a grant revoked back
-- to the default leave no trace
SELECT lifeguard.schema_snapshot(ARRAY['mig']) AS s0 \gset
ALTER TABLE entry ADD COLUMN gone int;
ALTER TABLE entry DROP COLUMN gone;
GRANT UPDATE ON account TO mig_reader;
REVOKE UPDATE ON account FROM mig_reader;
GRANT SELECT ON entry TO mig_reader;
REVOKE SELECT ON entry FROM mig_reader;
SELECT * FROM lifeguard.schema_diff(:'s0', lifeguard.schema_snapshot(ARRAY['mig']));
SELECT split_part(k, ' ', 1) AS object_type, count(*)
  FROM jsonb_object_keys(lifeguard.schema_snapshot(ARRAY['mig']) -> 'objects') AS k
 GROUP BY 1 ORDER BY 1;
SELECT jsonb_pretty(lifeguard.schema_snapshot(ARRAY['mig']) -> 'objects' -> 'column mig.account.email');
-- (the owner's own ACL entry is left out: 17 added the MAINTAIN privilege)
SELECT jsonb_pretty(jsonb_set(t, '{acl}',
         (SELECT jsonb_agg(a) FROM jsonb_array_elements_text(t -> 'acl') a
           WHERE a NOT LIKE 'postgres=%')))
  FROM (SELECT lifeguard.schema_snapshot(ARRAY['mig']) -> 'objects' -> 'table mig.account' AS t) s;
-- a TOAST table's options are its table's
ALTER TABLE account SET (toast.autovacuum_enabled = false);
SELECT * FROM lifeguard.schema_diff(:'s0', lifeguard.schema_snapshot(ARRAY['mig']));
ALTER TABLE account RESET (toast.autovacuum_enabled);
-- the snapshot writes keys and plain one-column indexes itself: every
-- definition must read exactly as PostgreSQL's own deparsers put it
CREATE SCHEMA "Snap Defs";
CREATE TABLE "Snap Defs".parent (a int, "B col" text, c varchar(20), d int, e int,
    PRIMARY KEY (a, "B col") INCLUDE (d), UNIQUE (c), UNIQUE (d),
    UNIQUE (e) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE "Snap Defs".child (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pa int, pb text, pc varchar(20) COLLATE "C", pd int, note text, doc tsvector,
    FOREIGN KEY (pa, pb) REFERENCES "Snap Defs".parent MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL,
    CONSTRAINT child_pc FOREIGN KEY (pc) REFERENCES "Snap Defs".parent (c) ON DELETE RESTRICT ON UPDATE SET DEFAULT,
    CONSTRAINT to_mig FOREIGN KEY (pa) REFERENCES mig.account (id) NOT VALID,
    CHECK (pa > 0));
-- (15 added NULLS NOT DISTINCT and ON DELETE SET NULL (columns): on 14
-- these two are syntax errors and fewer definitions are compared,
-- expected/migration_2.out; everything else is made alike on every
-- version, so the jsonb checks below see past two strides there too)
ALTER TABLE "Snap Defs".parent ADD CONSTRAINT parent_c_nnd UNIQUE NULLS NOT DISTINCT (c);
ALTER TABLE "Snap Defs".child ADD CONSTRAINT child_pd FOREIGN KEY (pd) REFERENCES "Snap Defs".parent (d) ON DELETE SET NULL (pd) DEFERRABLE;
CREATE INDEX ON "Snap Defs".child (pc);
CREATE INDEX ON "Snap Defs".child (note COLLATE "C");
CREATE INDEX ON "Snap Defs".child (pa DESC);
CREATE INDEX ON "Snap Defs".child (note text_pattern_ops);
CREATE INDEX ON "Snap Defs".child USING hash (pb);
CREATE INDEX ON "Snap Defs".child (lower(note));
CREATE INDEX ON "Snap Defs".child (pa) WHERE pa > 10;
CREATE INDEX ON "Snap Defs".child (pa) WITH (fillfactor = 70);
CREATE INDEX ON "Snap Defs".child USING gist (doc tsvector_ops (siglen = 100));
CREATE UNIQUE INDEX "Odd ""name""" ON "Snap Defs".child (pd);
CREATE TABLE "Snap Defs".part (k int, v text) PARTITION BY RANGE (k);
CREATE INDEX ON "Snap Defs".part (k);
CREATE TABLE "Snap Defs".part_1 PARTITION OF "Snap Defs".part FOR VALUES FROM (0) TO (10);
SET search_path = pg_catalog;
SELECT split_part(o.key, ' ', 1) AS kind, count(*) AS compared,
       count(*) FILTER (WHERE o.value ->> 'definition' IS DISTINCT FROM
                              CASE WHEN c.oid IS NOT NULL THEN pg_get_constraintdef(c.oid)
                                   ELSE pg_get_indexdef(i.oid) END) AS different
  FROM jsonb_each(lifeguard.schema_snapshot(ARRAY['Snap Defs', 'mig']) -> 'objects') AS o
  LEFT JOIN (pg_constraint c JOIN pg_class ct ON ct.oid = c.conrelid
             JOIN pg_namespace cn ON cn.oid = ct.relnamespace)
         ON o.key = format('constraint %I.%I.%I', cn.nspname, ct.relname, c.conname)
  LEFT JOIN (pg_class i JOIN pg_index x ON x.indexrelid = i.oid
             JOIN pg_class it ON it.oid = x.indrelid
             JOIN pg_namespace inn ON inn.oid = it.relnamespace)
         ON o.key = format('index %I.%I.%I', inn.nspname, it.relname, i.relname)
 WHERE o.key ~ '^(constraint|index) '
 GROUP BY 1 ORDER BY 1;
-- the snapshot's jsonb is assembled from each object's own: it must be
-- the very value jsonb makes of its text (key order, the offsets stored
-- at every 32nd entry, lookups by key)
SELECT s = (s::text)::jsonb AS same_as_parsed, s -> 'format' AS format,
       (SELECT count(*) FROM jsonb_object_keys(s -> 'objects')) > 2 * 32 AS past_two_strides,
       (SELECT count(*) FROM jsonb_each(s -> 'objects') AS o
         WHERE s -> 'objects' -> o.key IS DISTINCT FROM o.value) AS lookups_wrong
  FROM lifeguard.schema_snapshot(ARRAY['Snap Defs', 'mig']) AS s;
SELECT lifeguard.schema_snapshot('{}') AS nothing_selected,
       lifeguard.schema_snapshot('{}') = '{"format": 1, "objects": {}}' AS equal;
SET search_path = mig, public;
DROP SCHEMA "Snap Defs" CASCADE;
-- schema lifeguard and extension members (dblink) are not in the default snapshot
SELECT count(*) AS extension_objects
  FROM jsonb_object_keys(lifeguard.schema_snapshot() -> 'objects') AS k
 WHERE k LIKE '% lifeguard.%' OR k LIKE '%dblink%';
SELECT lifeguard.schema_fingerprint(ARRAY['mig']) = lifeguard.schema_fingerprint(ARRAY['mig']) AS stable,
       length(lifeguard.schema_fingerprint(ARRAY['mig'])) AS hex_length;
SELECT count(*) AS differences FROM lifeguard.schema_diff(lifeguard.schema_snapshot(), lifeguard.schema_snapshot());
-- bad input to schema_diff
SELECT * FROM lifeguard.schema_diff(NULL, '{"format": 1, "objects": {}}');
SELECT * FROM lifeguard.schema_diff('[]', '{"format": 1, "objects": {}}');
SELECT * FROM lifeguard.schema_diff('{"format": 1}', '{"format": 1, "objects": {}}');
SELECT * FROM lifeguard.schema_diff('{"format": 2, "objects": {}}', '{"format": 1, "objects": {}}');
SELECT * FROM lifeguard.schema_diff('{"format": 1, "objects": {"table x": 1}}', '{"format": 1, "objects": {"table x": 2}}');
SELECT * FROM lifeguard.schema_diff('{"format": 1, "objects": {}}', '{"format": 1, "objects": []}');
SELECT * FROM lifeguard.schema_snapshot(ARRAY['no_such_schema']);

-- a generated column that goes from STORED to VIRTUAL (18 added virtual
-- ones) keeps its expression: the snapshot must still tell them apart.
-- Before 18, VIRTUAL is a syntax error and the diff shows the table gone
-- (expected/migration.out); from 18 on, the diff is the column's
-- generated_kind (expected/migration_1.out).
CREATE SCHEMA gen;
CREATE TABLE gen.t (a int, b int GENERATED ALWAYS AS (a * 2) STORED);
SELECT lifeguard.schema_snapshot(ARRAY['gen']) AS g0 \gset
DROP TABLE gen.t;
CREATE TABLE gen.t (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL);
SELECT * FROM lifeguard.schema_diff(:'g0', lifeguard.schema_snapshot(ARRAY['gen']));
DROP SCHEMA gen CASCADE;

-- nothing any call did survives
SELECT lifeguard.schema_fingerprint(ARRAY['mig']) = :'fp_before' AS unchanged;
SELECT count(*) AS leftover FROM pg_class WHERE relname IN ('audit', 'entry_account', 'entry_amount_idx');
SELECT count(*) AS locks FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
   AND relation IN ('mig.account'::regclass, 'mig.entry'::regclass);

RESET client_min_messages;
DROP SCHEMA mig CASCADE;
DROP ROLE mig_reader;
RESET search_path;
