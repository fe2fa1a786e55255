-- pg_lifeguard 1.0 -> 1.1: index advice from the workload, migration checks

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_lifeguard UPDATE TO '1.1'" to load this file. \quit

-- history_chart checks its arguments (was LANGUAGE sql)
DROP FUNCTION lifeguard.history_chart(interval, integer);
-- A compact chart per application in psql: one character per time bucket,
-- height relative to the application's own peak in the window.
CREATE FUNCTION lifeguard.history_chart(since interval DEFAULT '1 hour', width integer DEFAULT 60)
RETURNS TABLE (application_name text, peak integer, now integer, chart text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF since IS NULL OR since <= interval '0' THEN
        RAISE EXCEPTION 'chart period must be a positive interval'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF width IS NULL OR width < 1 OR width > 1000 THEN
        RAISE EXCEPTION 'chart width must be between 1 and 1000 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH b AS (
        SELECT h.application_name,
               least(width - 1, floor(extract(epoch FROM (h.at - (now() - since)))
                                       / extract(epoch FROM since) * width)::int) AS bucket,
               max(h.connections) AS c
          FROM lifeguard.pool_history h
         WHERE h.at > now() - since
         GROUP BY 1, 2
    ), m AS (
        SELECT b.application_name, max(b.c) AS peak FROM b GROUP BY 1
    )
    SELECT m.application_name, m.peak,
           (SELECT b2.c FROM b b2 WHERE b2.application_name = m.application_name
             ORDER BY b2.bucket DESC LIMIT 1),
           string_agg(CASE WHEN b.c IS NULL THEN ' '
                           WHEN m.peak = 0 THEN '_'
                           ELSE substr('▁▂▃▄▅▆▇█', 1 + (b.c * 7 / m.peak), 1) END,
                      '' ORDER BY g.i)
      FROM m
     CROSS JOIN generate_series(0, width - 1) AS g(i)
      LEFT JOIN b ON b.application_name = m.application_name AND b.bucket = g.i
     GROUP BY m.application_name, m.peak
     ORDER BY m.application_name;
END
$$;

COMMENT ON FUNCTION lifeguard.history_chart(interval, integer) IS
    'Connections over time per application as a text chart (one character per bucket, scaled to the application''s peak).';

REVOKE ALL ON FUNCTION lifeguard.history_chart(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard.history_chart(interval, integer) TO pg_monitor, lifeguard_admin;

-- sql/install/20_workload.sql
--------------------------------------------------------------------------
-- Workload observation: sampled predicates, sampled statements, N+1
--------------------------------------------------------------------------

CREATE FUNCTION lifeguard._predicate_stats(
    OUT dbid oid, OUT relid oid, OUT attnum int2, OUT opno oid,
    OUT executions bigint, OUT index_executions bigint, OUT join_executions bigint,
    OUT rows_scanned float8, OUT rows_filtered float8, OUT last_seen timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_predicate_stats'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lifeguard._workload_queries(
    OUT dbid oid, OUT userid oid, OUT queryid bigint, OUT samples bigint,
    OUT rows_scanned float8, OUT rows_filtered float8, OUT last_seen timestamptz,
    OUT query text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_workload_queries'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lifeguard._n_plus_one(
    OUT dbid oid, OUT userid oid, OUT application_name text, OUT queryid bigint,
    OUT transactions bigint, OUT calls bigint, OUT worst bigint,
    OUT first_seen timestamptz, OUT last_seen timestamptz, OUT query text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_n_plus_one'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lifeguard.reset_predicate_stats()
RETURNS void
AS 'MODULE_PATHNAME', 'lifeguard_reset_predicate_stats'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION lifeguard.reset_predicate_stats() IS
    'Forget every sampled predicate and statement (all databases).';

CREATE FUNCTION lifeguard.reset_n_plus_one()
RETURNS void
AS 'MODULE_PATHNAME', 'lifeguard_reset_n_plus_one'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION lifeguard.reset_n_plus_one() IS
    'Forget every N+1 finding (all databases).';

CREATE VIEW lifeguard.predicate_stats AS
SELECT p.relid::regclass AS table_name,
       a.attname AS column_name,
       o.oprname AS operator,
       format_type(o.oprleft, NULL) AS left_type,
       format_type(o.oprright, NULL) AS right_type,
       p.executions,
       p.index_executions,
       p.executions - p.index_executions AS filter_executions,
       p.join_executions,
       p.rows_scanned::bigint AS rows_scanned,
       p.rows_filtered::bigint AS rows_filtered,
       CASE WHEN p.rows_scanned > 0
            THEN round((p.rows_filtered / p.rows_scanned)::numeric, 4) END AS filtered_fraction,
       p.index_executions > 0 AS index_used,
       p.last_seen
  FROM lifeguard._predicate_stats() p
  JOIN pg_class c ON c.oid = p.relid
  JOIN pg_attribute a ON a.attrelid = p.relid AND a.attnum = p.attnum AND NOT a.attisdropped
  JOIN pg_operator o ON o.oid = p.opno
 WHERE p.dbid = (SELECT oid FROM pg_database WHERE datname = current_database());

COMMENT ON VIEW lifeguard.predicate_stats IS
    'Predicates of sampled statements in this database, per (table, column, operator): how often they ran, as an index condition or a filter or a join clause, rows scanned and rows the filter removed.';

CREATE VIEW lifeguard.n_plus_one AS
SELECT n.application_name,
       r.rolname AS role_name,
       n.queryid,
       n.transactions,
       n.calls,
       n.worst AS worst_per_transaction,
       round(n.calls::numeric / n.transactions, 1) AS mean_per_transaction,
       n.first_seen,
       n.last_seen,
       n.query
  FROM lifeguard._n_plus_one() n
  LEFT JOIN pg_roles r ON r.oid = n.userid
 WHERE n.dbid = (SELECT oid FROM pg_database WHERE datname = current_database());

COMMENT ON VIEW lifeguard.n_plus_one IS
    'Statements run at least lifeguard.n_plus_one_threshold times in one transaction (chatty access that a join would replace), per application, role and statement; text visible as in pg_stat_statements.';

REVOKE ALL ON FUNCTION lifeguard._predicate_stats(), lifeguard._workload_queries(),
    lifeguard._n_plus_one(), lifeguard.reset_predicate_stats(),
    lifeguard.reset_n_plus_one() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard._predicate_stats(), lifeguard._workload_queries(),
    lifeguard._n_plus_one() TO pg_monitor, lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.reset_predicate_stats(), lifeguard.reset_n_plus_one()
    TO lifeguard_admin;
GRANT SELECT ON lifeguard.predicate_stats TO pg_monitor, lifeguard_admin;
-- like pg_stat_statements: everyone may look, texts of other roles' statements
-- show only to members of pg_read_all_stats
GRANT EXECUTE ON FUNCTION lifeguard._n_plus_one() TO PUBLIC;
GRANT SELECT ON lifeguard.n_plus_one TO PUBLIC;

-- sql/install/30_migration.sql
--------------------------------------------------------------------------
-- Schema snapshot, fingerprint and diff
--------------------------------------------------------------------------

-- Privileges as a sorted text array, with NULL (never granted or revoked)
-- replaced by the object kind's default, so a GRANT followed by the
-- matching REVOKE compares equal to never having granted.
CREATE FUNCTION lifeguard._acl(acl aclitem[], kind "char", owner oid)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_agg(a::text ORDER BY a::text COLLATE "C")
      FROM unnest(coalesce(acl, acldefault(kind, owner))) AS a
$$;

-- A name-based description of every object in the given schemas (default:
-- every non-system schema), as {"format": 1, "objects": {"<type> <name>":
-- {attribute: value}}}.  Nothing in it is an OID, so dropping and
-- re-creating an object the same way gives the same snapshot.  The default
-- leaves out schema lifeguard and every object that belongs to an
-- extension; schemas named explicitly are described whole, extension
-- members included (that is how an extension's own objects are compared).
CREATE FUNCTION lifeguard.schema_snapshot(schemas text[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE C STABLE
-- the deparsers qualify every name they print
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'lg_schema_snapshot';

COMMENT ON FUNCTION lifeguard.schema_snapshot(text[]) IS
    'Name-based description of every object in the given schemas (default: all non-system schemas), as jsonb {"format": 1, "objects": {"<type> <name>": {attribute: value}}}; extension objects are left out.';

CREATE FUNCTION lifeguard.schema_fingerprint(schemas text[] DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT encode(sha256(convert_to(lifeguard.schema_snapshot(schemas)::text, 'UTF8')), 'hex')
$$;

COMMENT ON FUNCTION lifeguard.schema_fingerprint(text[]) IS
    'A stable hex SHA-256 of schema_snapshot: equal fingerprints, equal schemas.';

-- Differences between two snapshots.  The inputs cannot be called before
-- and after, which are the names of the result columns.
CREATE FUNCTION lifeguard.schema_diff(old_snapshot jsonb, new_snapshot jsonb)
RETURNS TABLE (object_type text, object_name text, attribute text, before jsonb, after jsonb)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF old_snapshot IS NULL OR new_snapshot IS NULL THEN
        RAISE EXCEPTION 'snapshots to compare must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass two values returned by lifeguard.schema_snapshot().';
    END IF;
    IF jsonb_typeof(old_snapshot) <> 'object' OR jsonb_typeof(new_snapshot) <> 'object'
       OR jsonb_typeof(old_snapshot -> 'objects') IS DISTINCT FROM 'object'
       OR jsonb_typeof(new_snapshot -> 'objects') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'value is not a schema snapshot'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass two values returned by lifeguard.schema_snapshot().';
    END IF;
    IF (old_snapshot ->> 'format') IS DISTINCT FROM '1' OR (new_snapshot ->> 'format') IS DISTINCT FROM '1' THEN
        RAISE EXCEPTION 'unsupported schema snapshot format'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Formats %s and %s; this version reads format 1.',
                                  coalesce(old_snapshot ->> 'format', 'none'),
                                  coalesce(new_snapshot ->> 'format', 'none')),
                  HINT = 'Take both snapshots with the same version of pg_lifeguard.';
    END IF;

    RETURN QUERY
    WITH o AS (SELECT key, value FROM jsonb_each(old_snapshot -> 'objects')),
         n AS (SELECT key, value FROM jsonb_each(new_snapshot -> 'objects')),
         pairs AS (
            SELECT coalesce(o.key, n.key) AS key, o.value AS ov, n.value AS nv
              FROM o FULL JOIN n ON n.key = o.key
             WHERE o.value IS DISTINCT FROM n.value)
    SELECT split_part(p.key, ' ', 1), substr(p.key, strpos(p.key, ' ') + 1),
           NULL::text, p.ov, p.nv
      FROM pairs p
     WHERE p.ov IS NULL OR p.nv IS NULL
    UNION ALL
    SELECT split_part(p.key, ' ', 1), substr(p.key, strpos(p.key, ' ') + 1),
           a.attr, p.ov -> a.attr, p.nv -> a.attr
      FROM pairs p,
           LATERAL (SELECT jsonb_object_keys(p.ov) AS attr
                    UNION SELECT jsonb_object_keys(p.nv)) a
     WHERE p.ov IS NOT NULL AND p.nv IS NOT NULL
       AND (p.ov -> a.attr) IS DISTINCT FROM (p.nv -> a.attr)
     ORDER BY 1, 2, 3 NULLS FIRST;
END
$$;

COMMENT ON FUNCTION lifeguard.schema_diff(jsonb, jsonb) IS
    'Every difference between two schema snapshots: one row per object only on one side (attribute NULL) and per changed attribute; no rows when equal.';

GRANT EXECUTE ON FUNCTION lifeguard._acl(aclitem[], "char", oid),
    lifeguard.schema_snapshot(text[]), lifeguard.schema_fingerprint(text[]),
    lifeguard.schema_diff(jsonb, jsonb) TO PUBLIC;

-- sql/install/35_check_migration.sql
--------------------------------------------------------------------------
-- Migration reversibility: up -> down -> up, always rolled back
--------------------------------------------------------------------------

CREATE FUNCTION lifeguard.check_migration(up text, down text, schemas text[] DEFAULT NULL)
RETURNS TABLE (step text, statement_no integer, severity text, kind text,
               object_name text, detail text)
AS 'MODULE_PATHNAME', 'lifeguard_check_migration'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION lifeguard.check_migration(text, text, text[]) IS
    'Run up, down and up again inside a subtransaction that is always rolled back; report what down does not undo (not_reversible), a failing second up (stairway_failed), errors, locks, rewrites, data loss, unsafe operations (lint) and consumed sequence values.';

CREATE FUNCTION lifeguard.migration_is_reversible(up text, down text)
RETURNS boolean
LANGUAGE sql VOLATILE
-- no pinned search_path: the scripts name objects as the caller would;
-- the body itself names its operator by schema
AS $$
    SELECT NOT EXISTS (
        SELECT FROM lifeguard.check_migration(up, down)
         WHERE kind OPERATOR(pg_catalog.=)
               ANY (ARRAY['not_reversible', 'stairway_failed', 'error', 'not_transactional']))
$$;

COMMENT ON FUNCTION lifeguard.migration_is_reversible(text, text) IS
    'True when check_migration finds nothing that down fails to undo, no failing step and no statement that cannot be checked.';

GRANT EXECUTE ON FUNCTION lifeguard.check_migration(text, text, text[]),
    lifeguard.migration_is_reversible(text, text) TO PUBLIC;

-- sql/install/40_index_advice.sql (catalog views re-created: they now skip extension members)
--------------------------------------------------------------------------
-- Index advice from the catalogs: foreign keys without an index, unused
-- indexes, duplicate and prefix-redundant indexes
--------------------------------------------------------------------------

-- Key columns of an index as a plain int2[] (0 marks an expression);
-- int2vector subscripts start at 0, arrays built here start at 1.
CREATE OR REPLACE FUNCTION lifeguard._index_keys(idx oid)
RETURNS int2[]
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_agg(k.attnum ORDER BY k.ord)
      FROM pg_index i,
           unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     WHERE i.indexrelid = idx AND k.ord <= i.indnkeyatts
$$;

-- Does index idx serve lookups by exactly these columns: a valid,
-- non-partial btree whose leading key columns are those columns, in any
-- order?  INCLUDE columns do not count.
CREATE OR REPLACE FUNCTION lifeguard._index_leads_with(idx oid, cols int2[])
RETURNS boolean
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i.indisvalid AND i.indpred IS NULL
       AND am.amname = 'btree'
       AND i.indnkeyatts >= cardinality(cols)
       AND (SELECT array_agg(x ORDER BY x)
              FROM unnest((lifeguard._index_keys(idx))[1:cardinality(cols)]) AS x)
           OPERATOR(pg_catalog.=)
           (SELECT array_agg(x ORDER BY x) FROM unnest(cols) AS x)
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_am am ON am.oid = ic.relam
     WHERE i.indexrelid = idx
$$;

CREATE OR REPLACE VIEW lifeguard.unindexed_foreign_keys AS
SELECT c.conrelid::regclass AS table_name,
       c.conname AS constraint_name,
       cols.names AS columns,
       c.confrelid::regclass AS referenced_table,
       pg_total_relation_size(c.conrelid) AS table_size,
       format('CREATE INDEX CONCURRENTLY ON %s (%s)', c.conrelid::regclass,
              array_to_string(cols.quoted, ', ')) AS create_statement
  FROM pg_constraint c
  JOIN pg_namespace n ON n.oid = c.connamespace
 CROSS JOIN LATERAL (
       SELECT array_agg(a.attname::text ORDER BY k.ord) AS names,
              array_agg(quote_ident(a.attname) ORDER BY k.ord) AS quoted
         FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols
 WHERE c.contype = 'f'
   AND c.conparentid = 0                -- one row per foreign key, not per partition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg_toast%'
   AND NOT EXISTS (SELECT FROM pg_depend d     -- the extension's own tables
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.conrelid
                      AND d.deptype = 'e')
   AND NOT EXISTS (SELECT FROM pg_index i
                    WHERE i.indrelid = c.conrelid
                      AND lifeguard._index_leads_with(i.indexrelid, c.conkey));

COMMENT ON VIEW lifeguard.unindexed_foreign_keys IS
    'Foreign keys whose columns do not lead any valid, non-partial btree index of the referencing table (in any order within that prefix; INCLUDE columns do not count), with the statement that adds one.';

CREATE OR REPLACE VIEW lifeguard.unused_indexes AS
SELECT s.schemaname AS schema_name,
       s.relname AS table_name,
       s.indexrelname AS index_name,
       pg_relation_size(s.indexrelid) AS index_size,
       pg_size_pretty(pg_relation_size(s.indexrelid)) AS index_size_pretty,
       s.idx_scan,
       EXISTS (SELECT FROM pg_constraint fk
                WHERE fk.contype = 'f' AND fk.conrelid = i.indrelid
                  AND lifeguard._index_leads_with(i.indexrelid, fk.conkey)) AS backs_foreign_key,
       coalesce((SELECT d.stats_reset FROM pg_stat_database d
                  WHERE d.datname = current_database()),
                pg_postmaster_start_time()) AS unused_since,
       pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_stat_user_indexes s
  JOIN pg_index i ON i.indexrelid = s.indexrelid
 WHERE s.idx_scan = 0
   AND i.indisvalid
   AND NOT i.indisunique
   AND NOT i.indisprimary
   AND NOT i.indisexclusion
   AND NOT i.indisreplident
   AND NOT EXISTS (SELECT FROM pg_constraint c
                    WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)
   AND NOT EXISTS (SELECT FROM pg_depend d     -- tables of extensions
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indrelid
                      AND d.deptype = 'e');

COMMENT ON VIEW lifeguard.unused_indexes IS
    'Valid indexes never scanned since statistics were reset (unused_since), excluding unique, primary key, exclusion, replica identity and constraint-backing indexes; backs_foreign_key warns before dropping one.';

CREATE OR REPLACE VIEW lifeguard.duplicate_indexes AS
WITH ix AS (
    SELECT i.indexrelid AS oid,
           i.indrelid,
           ic.relam,
           i.indisunique,
           i.indnkeyatts,
           i.indnatts,
           lifeguard._index_keys(i.indexrelid) AS keys,
           i.indkey::int2[] AS allcols,
           i.indclass::oid[] AS opclasses,
           i.indcollation::oid[] AS collations,
           i.indoption::int2[] AS options,
           coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs,
           coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred,
           EXISTS (SELECT FROM pg_constraint c
                    WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid) AS backs_constraint
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = ic.relnamespace
     WHERE i.indisvalid
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg_toast%'
       AND NOT EXISTS (SELECT FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indrelid
                          AND d.deptype = 'e')
), pairs AS (
    SELECT r.oid AS redundant, k.oid AS kept,
           CASE WHEN r.allcols OPERATOR(pg_catalog.=) k.allcols
                 AND r.indnkeyatts = k.indnkeyatts
                 AND r.indisunique = k.indisunique
                THEN 'exact' ELSE 'prefix' END AS kind
      FROM ix r
      JOIN ix k ON k.indrelid = r.indrelid AND k.oid <> r.oid AND k.relam = r.relam
     WHERE r.exprs = k.exprs
       AND r.pred = k.pred
       AND r.indnkeyatts <= k.indnkeyatts
       AND r.keys OPERATOR(pg_catalog.=) k.keys[1:r.indnkeyatts]
       AND r.opclasses[0:r.indnkeyatts - 1] OPERATOR(pg_catalog.=) k.opclasses[0:r.indnkeyatts - 1]
       AND r.collations[0:r.indnkeyatts - 1] OPERATOR(pg_catalog.=) k.collations[0:r.indnkeyatts - 1]
       AND r.options[0:r.indnkeyatts - 1] OPERATOR(pg_catalog.=) k.options[0:r.indnkeyatts - 1]
       AND (
            -- exact duplicates (same keys, INCLUDE columns and uniqueness):
            -- each pair once, keeping the constraint-backed or older index
            (r.allcols OPERATOR(pg_catalog.=) k.allcols
             AND r.indnkeyatts = k.indnkeyatts
             AND r.indisunique = k.indisunique
             AND NOT r.backs_constraint
             AND (k.backs_constraint OR r.oid > k.oid))
            OR
            -- prefix-redundant: a plain btree (no INCLUDE, not unique, not
            -- backing a constraint) whose keys lead a longer index, or equal
            -- the keys of a unique index or one with INCLUDE columns
            ((r.indnkeyatts < k.indnkeyatts
              OR (r.indnkeyatts = k.indnkeyatts
                  AND (k.indisunique OR k.indnatts > k.indnkeyatts)))
             AND r.indnatts = r.indnkeyatts
             AND NOT r.indisunique
             AND NOT r.backs_constraint
             AND (SELECT amname FROM pg_am WHERE oid = r.relam) = 'btree')
           )
)
-- one row per redundant index: the index that makes it redundant is the
-- constraint-backed one if any, else the one with the fewest key columns
SELECT DISTINCT ON (p.redundant)
       p.redundant::regclass AS redundant_index,
       p.kept::regclass AS kept_index,
       (SELECT indrelid::regclass FROM pg_index WHERE indexrelid = p.redundant) AS table_name,
       p.kind,
       pg_relation_size(p.redundant) AS redundant_size,
       pg_get_indexdef(p.redundant) AS redundant_definition,
       pg_get_indexdef(p.kept) AS kept_definition,
       format('DROP INDEX CONCURRENTLY %s', p.redundant::regclass) AS drop_statement
  FROM pairs p
  JOIN ix k ON k.oid = p.kept
 ORDER BY p.redundant, k.backs_constraint DESC, p.kind = 'exact' DESC, k.indnkeyatts, k.oid;

COMMENT ON VIEW lifeguard.duplicate_indexes IS
    'Exact duplicate indexes and plain btree indexes whose key columns lead another index of the same table with the same operator classes, collations, sort options, expressions and predicate; each pair once, keeping the constraint-backed index.';

REVOKE ALL ON FUNCTION lifeguard._index_keys(oid), lifeguard._index_leads_with(oid, int2[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard._index_keys(oid), lifeguard._index_leads_with(oid, int2[])
    TO pg_monitor, lifeguard_admin;
GRANT SELECT ON lifeguard.unindexed_foreign_keys, lifeguard.unused_indexes,
                lifeguard.duplicate_indexes
    TO pg_monitor, lifeguard_admin;

--------------------------------------------------------------------------
-- Per-query advice with hypothetical indexes, and everything in one view
--------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION lifeguard.advise_indexes(query text,
    OUT startup_cost_before float8, OUT total_cost_before float8,
    OUT startup_cost_after float8, OUT total_cost_after float8,
    OUT index_statements text[], OUT errors text[])
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_advise_indexes'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION lifeguard.advise_indexes(text) IS
    'Plan one statement ($1..$n allowed) with and without hypothetical btree indexes built from its own predicates, joins and ORDER BY; return the costs and the CREATE INDEX statements worth running. Bad input is reported in errors; nothing is left behind.';

-- Workload candidates: the sampled statements of this database whose
-- filters removed the most rows, each costed by advise_indexes.  No
-- pinned search_path here: the sampled texts name tables as the
-- application did, so they are planned with the caller's search_path.
CREATE OR REPLACE FUNCTION lifeguard._workload_advice(max_statements integer DEFAULT 50)
RETURNS TABLE (statement text, table_name regclass, statements_helped bigint,
               estimated_benefit numeric, rows_filtered bigint, example_query text)
LANGUAGE sql VOLATILE
AS $$
    -- every function and operator is schema-qualified: the body must not
    -- pick up same-named objects from the caller's search_path
    WITH q AS (
        SELECT w.query, w.rows_filtered
          FROM lifeguard._workload_queries() w
         WHERE w.dbid OPERATOR(pg_catalog.=)
               (SELECT d.oid FROM pg_catalog.pg_database d
                 WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
           AND w.query OPERATOR(pg_catalog.<>) '<insufficient privilege>'
         ORDER BY w.rows_filtered DESC
         LIMIT max_statements
    ), advice AS (
        SELECT q.query, q.rows_filtered, a.*
          FROM q CROSS JOIN LATERAL lifeguard.advise_indexes(q.query) a
         WHERE pg_catalog.cardinality(a.index_statements) OPERATOR(pg_catalog.>) 0
    )
    SELECT s.stmt,
           pg_catalog.substring(s.stmt, '^CREATE INDEX ON (.*) USING btree')::pg_catalog.regclass,
           pg_catalog.count(*),
           pg_catalog.round(pg_catalog.max(
               CASE WHEN a.total_cost_before OPERATOR(pg_catalog.>) 0
                    THEN (a.total_cost_before OPERATOR(pg_catalog.-) a.total_cost_after)
                         OPERATOR(pg_catalog./) a.total_cost_before END)::numeric, 3),
           pg_catalog.sum(a.rows_filtered)::bigint,
           (pg_catalog.array_agg(a.query ORDER BY a.rows_filtered DESC))[1]
      FROM advice a CROSS JOIN LATERAL pg_catalog.unnest(a.index_statements) AS s(stmt)
     GROUP BY s.stmt
$$;

CREATE OR REPLACE VIEW lifeguard.index_advice AS
SELECT 'unindexed_foreign_key'::text AS kind,
       f.table_name::text AS table_name,
       format('foreign key %s (%s) references %s', quote_ident(f.constraint_name),
              array_to_string(f.columns, ', '), f.referenced_table) AS detail,
       NULL::numeric AS estimated_benefit,
       f.table_size AS size,
       f.create_statement AS statement
  FROM lifeguard.unindexed_foreign_keys f
UNION ALL
SELECT 'workload',
       w.table_name::text,
       format('%s sampled statement(s) whose filters removed %s rows; for example: %s',
              w.statements_helped, w.rows_filtered, left(w.example_query, 200)),
       w.estimated_benefit,
       pg_total_relation_size(w.table_name),
       replace(w.statement, 'CREATE INDEX ON', 'CREATE INDEX CONCURRENTLY ON')
  FROM lifeguard._workload_advice() w
UNION ALL
SELECT 'duplicate_index',
       d.table_name::text,
       format('%s is redundant (%s) with %s', d.redundant_index, d.kind, d.kept_index),
       NULL,
       d.redundant_size,
       d.drop_statement
  FROM lifeguard.duplicate_indexes d
UNION ALL
SELECT 'unused_index',
       format('%I.%I', u.schema_name, u.table_name)::regclass::text,
       format('%s not scanned since %s%s', quote_ident(u.index_name), u.unused_since,
              CASE WHEN u.backs_foreign_key THEN '; it serves foreign key lookups' ELSE '' END),
       NULL,
       u.index_size,
       format('DROP INDEX CONCURRENTLY %I.%I', u.schema_name, u.index_name)
  FROM lifeguard.unused_indexes u;

COMMENT ON VIEW lifeguard.index_advice IS
    'Every index finding in one place: unindexed foreign keys, indexes that would help sampled statements (costed with hypothetical indexes; estimated_benefit is the fraction of cost saved), duplicate and unused indexes, each with the statement to run.';

REVOKE ALL ON FUNCTION lifeguard._workload_advice(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard._workload_advice(integer) TO pg_monitor, lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.advise_indexes(text) TO PUBLIC;
GRANT SELECT ON lifeguard.index_advice TO pg_monitor, lifeguard_admin;
