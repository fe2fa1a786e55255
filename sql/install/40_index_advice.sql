--------------------------------------------------------------------------
-- Index advice from the catalogs: foreign keys without an index, unused
-- indexes, duplicate and prefix-redundant indexes
--------------------------------------------------------------------------

-- Key columns of an index as a plain int2[] (0 marks an expression);
-- int2vector subscripts start at 0, arrays built here start at 1.
CREATE FUNCTION lifeguard._index_keys(idx oid)
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
CREATE FUNCTION lifeguard._index_leads_with(idx oid, cols int2[])
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

CREATE VIEW lifeguard.unindexed_foreign_keys AS
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

CREATE VIEW lifeguard.unused_indexes AS
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

CREATE VIEW lifeguard.duplicate_indexes AS
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

CREATE FUNCTION lifeguard.advise_indexes(query text,
    OUT startup_cost_before float8, OUT total_cost_before float8,
    OUT startup_cost_after float8, OUT total_cost_after float8,
    OUT index_statements text[], OUT errors text[], OUT index_sizes bigint[],
    OUT estimated_benefit float8, OUT confidence text)
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_advise_indexes'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION lifeguard.advise_indexes(text) IS
    'Plan one statement ($1..$n allowed) with and without hypothetical btree indexes built from its own predicates, joins and ORDER BY; return the costs and the CREATE INDEX statements worth running. Bad input is reported in errors; nothing is left behind.';

-- advise_indexes on a sampled statement, planned as the role that ran it
-- (in a security-restricted operation, with the search_path it ran with),
-- never as the caller; the text comes from shared memory, not from the
-- caller, who must be allowed to read it.
CREATE FUNCTION lifeguard._advise_sampled(userid oid, queryid bigint,
    OUT startup_cost_before float8, OUT total_cost_before float8,
    OUT startup_cost_after float8, OUT total_cost_after float8,
    OUT index_statements text[], OUT errors text[], OUT index_sizes bigint[],
    OUT estimated_benefit float8, OUT confidence text)
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_advise_sampled'
LANGUAGE C STRICT VOLATILE;

-- The key columns (as written, operator class included) and predicate
-- of a statement advise_indexes wrote, to tell prefixes apart.
CREATE FUNCTION lifeguard._index_statement_parts(statement text,
    OUT key_columns text[], OUT predicate text)
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_index_statement_parts'
LANGUAGE C STRICT IMMUTABLE;

-- Workload candidates: the sampled statements of this database whose
-- filters removed the most rows, each costed by _advise_sampled as the
-- role that ran it, with the search_path it ran with (set there), so the
-- caller's search_path plays no part in planning them.  One row per
-- advised index, with the statements it serves.
CREATE FUNCTION lifeguard._workload_advice(max_statements integer DEFAULT 50)
RETURNS TABLE (statement text, table_name regclass, key_columns text[], predicate text,
               statements_helped bigint, estimated_benefit numeric, rows_filtered bigint,
               example_query text, queries text[], index_size bigint, n_plus_one boolean,
               confidence text)
LANGUAGE sql VOLATILE
AS $$
    -- every function and operator is schema-qualified: the body must not
    -- pick up same-named objects from the caller's search_path
    WITH q AS (
        SELECT w.userid, w.queryid, w.query, w.rows_filtered
          FROM lifeguard._workload_queries() w
         WHERE w.dbid OPERATOR(pg_catalog.=)
               (SELECT d.oid FROM pg_catalog.pg_database d
                 WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
           AND w.query OPERATOR(pg_catalog.<>) '<insufficient privilege>'
         ORDER BY w.rows_filtered DESC
         LIMIT max_statements
    ), advice AS (
        SELECT q.userid, q.queryid, q.query, q.rows_filtered, a.*
          FROM q CROSS JOIN LATERAL lifeguard._advise_sampled(q.userid, q.queryid) a
         WHERE pg_catalog.cardinality(a.index_statements) OPERATOR(pg_catalog.>) 0
    ), per_index AS (
        SELECT s.stmt, s.size, a.*,
               EXISTS (SELECT FROM lifeguard._n_plus_one() n
                        WHERE n.userid OPERATOR(pg_catalog.=) a.userid
                          AND n.queryid OPERATOR(pg_catalog.=) a.queryid) AS chatty
          FROM advice a
         CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(a.index_statements),
                                       pg_catalog.unnest(a.index_sizes)) AS s(stmt, size)
    )
    SELECT p.stmt,
           pg_catalog.substring(p.stmt, '^CREATE INDEX ON (.*) USING btree')::pg_catalog.regclass,
           (lifeguard._index_statement_parts(p.stmt)).key_columns,
           (lifeguard._index_statement_parts(p.stmt)).predicate,
           pg_catalog.count(*),
           pg_catalog.round(pg_catalog.max(p.estimated_benefit)::numeric, 3),
           pg_catalog.sum(p.rows_filtered)::bigint,
           (pg_catalog.array_agg(p.query ORDER BY p.rows_filtered DESC))[1],
           pg_catalog.array_agg(p.query ORDER BY p.rows_filtered DESC),
           pg_catalog.max(p.size),
           pg_catalog.bool_or(p.chatty),
           -- the weakest estimate among the statements
           CASE WHEN pg_catalog.bool_or(p.confidence OPERATOR(pg_catalog.=) 'low') THEN 'low'
                WHEN pg_catalog.bool_or(p.confidence OPERATOR(pg_catalog.=) 'medium') THEN 'medium'
                ELSE 'high' END
      FROM per_index p
     GROUP BY p.stmt
$$;

-- Indexes to create, one row per index: unindexed foreign keys and the
-- workload's advice, an index that is a prefix of another (or the same
-- columns again) merged into the longer one with all its reasons.  A
-- foreign key is served by an index whose leading columns are its columns
-- in any order; a workload index only by one that starts with its columns
-- in its order and has its predicate.  Tables smaller than
-- lifeguard.advice_min_table_size are left out.
CREATE FUNCTION lifeguard._index_advice_create()
RETURNS TABLE (kind text, table_name regclass, key_columns text[], predicate text,
               reasons text[], queries text[], estimated_benefit numeric,
               index_size bigint, confidence text, statement text)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH fk AS (
        SELECT f.table_name AS tbl,
               (SELECT pg_catalog.array_agg(pg_catalog.quote_ident(c) ORDER BY o)
                  FROM pg_catalog.unnest(f.columns) WITH ORDINALITY AS u(c, o)) AS cols,
               NULL::text AS pred, 'fk'::text AS src,
               pg_catalog.format('foreign key %s (%s) references %s',
                                 pg_catalog.quote_ident(f.constraint_name::text),
                                 pg_catalog.array_to_string(f.columns, ', '),
                                 f.referenced_table) AS reason,
               NULL::text[] AS queries, NULL::numeric AS benefit, NULL::bigint AS isize,
               NULL::text AS conf, f.create_statement AS stmt
          FROM lifeguard.unindexed_foreign_keys f
    ), wl AS (
        SELECT w.table_name, w.key_columns, w.predicate, 'workload'::text,
               CASE WHEN w.n_plus_one THEN 'N+1' END,
               w.queries, w.estimated_benefit, w.index_size, w.confidence,
               pg_catalog.replace(w.statement, 'CREATE INDEX ON', 'CREATE INDEX CONCURRENTLY ON')
          FROM lifeguard._workload_advice() w
         WHERE w.key_columns IS NOT NULL
    ), cand AS (
        SELECT * FROM fk UNION ALL SELECT * FROM wl
    ), covers AS (
        -- d serves what c asks for
        SELECT c.*, d.cols AS d_cols, d.src AS d_src
          FROM cand c
          JOIN cand d ON d.tbl OPERATOR(pg_catalog.=) c.tbl
               AND d.pred IS NOT DISTINCT FROM c.pred
               AND pg_catalog.cardinality(d.cols) OPERATOR(pg_catalog.>=)
                   pg_catalog.cardinality(c.cols)
               AND CASE WHEN c.src OPERATOR(pg_catalog.=) 'fk'
                        THEN (SELECT pg_catalog.array_agg(x ORDER BY x)
                                FROM pg_catalog.unnest(d.cols[1:pg_catalog.cardinality(c.cols)]) x)
                             OPERATOR(pg_catalog.=)
                             (SELECT pg_catalog.array_agg(x ORDER BY x)
                                FROM pg_catalog.unnest(c.cols) x)
                        ELSE d.cols[1:pg_catalog.cardinality(c.cols)]
                             OPERATOR(pg_catalog.=) c.cols END
    ), maximal AS (
        -- what nothing longer serves; of equal ones the workload's, whose
        -- column order comes from the statements
        SELECT DISTINCT ON (c.tbl, c.cols, c.pred) c.tbl, c.cols, c.pred, c.stmt
          FROM cand c
         WHERE NOT EXISTS (
                 SELECT FROM covers v
                  WHERE v.tbl OPERATOR(pg_catalog.=) c.tbl
                    AND v.cols OPERATOR(pg_catalog.=) c.cols
                    AND v.pred IS NOT DISTINCT FROM c.pred
                    AND v.src OPERATOR(pg_catalog.=) c.src
                    AND (pg_catalog.cardinality(v.d_cols) OPERATOR(pg_catalog.>)
                         pg_catalog.cardinality(c.cols)
                         OR (v.d_src OPERATOR(pg_catalog.=) 'workload'
                             AND c.src OPERATOR(pg_catalog.=) 'fk')))
         ORDER BY c.tbl, c.cols, c.pred, c.src OPERATOR(pg_catalog.=) 'workload' DESC,
                  pg_catalog.length(c.stmt) DESC, c.stmt   -- with INCLUDE columns first
    )
    SELECT CASE WHEN pg_catalog.bool_or(v.src OPERATOR(pg_catalog.=) 'workload')
                THEN 'workload' ELSE 'unindexed_foreign_key' END,
           m.tbl, m.cols, m.pred,
           -- the foreign keys, then the sampled statements served
           pg_catalog.array_remove(pg_catalog.array_agg(DISTINCT v.reason)
               FILTER (WHERE v.src OPERATOR(pg_catalog.=) 'fk')
           OPERATOR(pg_catalog.||)
           CASE WHEN pg_catalog.bool_or(v.src OPERATOR(pg_catalog.=) 'workload')
                THEN pg_catalog.format('%s sampled statement(s) whose filters removed rows%s',
                         (SELECT pg_catalog.count(DISTINCT x)
                            FROM covers v2 CROSS JOIN LATERAL pg_catalog.unnest(v2.queries) x
                           WHERE v2.tbl OPERATOR(pg_catalog.=) m.tbl
                             AND v2.d_cols OPERATOR(pg_catalog.=) m.cols
                             AND v2.pred IS NOT DISTINCT FROM m.pred),
                         CASE WHEN pg_catalog.bool_or(v.reason OPERATOR(pg_catalog.=) 'N+1')
                              THEN ', one of them run many times per transaction (N+1)'
                              ELSE '' END) END, NULL),
           (SELECT pg_catalog.array_agg(DISTINCT x)
              FROM covers v2 CROSS JOIN LATERAL pg_catalog.unnest(v2.queries) x
             WHERE v2.tbl OPERATOR(pg_catalog.=) m.tbl
               AND v2.d_cols OPERATOR(pg_catalog.=) m.cols
               AND v2.pred IS NOT DISTINCT FROM m.pred),
           pg_catalog.max(v.benefit),
           pg_catalog.max(v.isize),
           CASE WHEN pg_catalog.bool_or(v.conf OPERATOR(pg_catalog.=) 'low') THEN 'low'
                WHEN pg_catalog.bool_or(v.conf OPERATOR(pg_catalog.=) 'medium') THEN 'medium'
                WHEN pg_catalog.bool_or(v.conf OPERATOR(pg_catalog.=) 'high') THEN 'high' END,
           m.stmt
      FROM maximal m
      JOIN covers v ON v.tbl OPERATOR(pg_catalog.=) m.tbl
           AND v.d_cols OPERATOR(pg_catalog.=) m.cols
           AND v.pred IS NOT DISTINCT FROM m.pred
     WHERE pg_catalog.pg_table_size(m.tbl) OPERATOR(pg_catalog.>=)
           pg_catalog.pg_size_bytes(pg_catalog.current_setting('lifeguard.advice_min_table_size'))
     GROUP BY m.tbl, m.cols, m.pred, m.stmt
$$;

CREATE VIEW lifeguard.index_advice AS
SELECT * FROM (
SELECT c.kind,
       c.table_name::text AS table_name,
       array_to_string(c.reasons, '; ') ||
           CASE WHEN c.queries IS NOT NULL
                THEN '; for example: ' || left(c.queries[1], 200) ELSE '' END AS detail,
       c.estimated_benefit,
       pg_total_relation_size(c.table_name) AS size,
       c.statement,
       c.reasons,
       c.queries,
       c.index_size,
       c.confidence
  FROM lifeguard._index_advice_create() c
UNION ALL
SELECT 'duplicate_index',
       d.table_name::text,
       format('%s is redundant (%s) with %s', d.redundant_index, d.kind, d.kept_index),
       NULL,
       d.redundant_size,
       d.drop_statement,
       NULL, NULL, NULL, NULL
  FROM lifeguard.duplicate_indexes d
UNION ALL
SELECT 'unused_index',
       format('%I.%I', u.schema_name, u.table_name)::regclass::text,
       format('%s not scanned since %s%s', quote_ident(u.index_name), u.unused_since,
              CASE WHEN u.backs_foreign_key THEN '; it serves foreign key lookups' ELSE '' END),
       NULL,
       u.index_size,
       format('DROP INDEX CONCURRENTLY %I.%I', u.schema_name, u.index_name),
       NULL, NULL, NULL, NULL
  FROM lifeguard.unused_indexes u
) a
-- indexes to create first, the largest estimated benefit first
ORDER BY a.kind IN ('workload', 'unindexed_foreign_key') DESC,
         a.estimated_benefit DESC NULLS LAST, a.size DESC, a.statement;

COMMENT ON VIEW lifeguard.index_advice IS
    'Every index finding in one place: one row per index to create (unindexed foreign keys and indexes that would help sampled statements, a prefix merged into the longer index, with every reason, the statements it serves, the estimated benefit as the largest fraction of a statement''s cost saved, the estimated index size and how far to trust the estimate), then duplicate and unused indexes, each with the statement to run. Tables below lifeguard.advice_min_table_size get no index advice.';

REVOKE ALL ON FUNCTION lifeguard._workload_advice(integer),
    lifeguard._advise_sampled(oid, bigint), lifeguard._index_advice_create(),
    lifeguard._index_statement_parts(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard._workload_advice(integer),
    lifeguard._advise_sampled(oid, bigint), lifeguard._index_advice_create(),
    lifeguard._index_statement_parts(text) TO pg_monitor, lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.advise_indexes(text) TO PUBLIC;
GRANT SELECT ON lifeguard.index_advice TO pg_monitor, lifeguard_admin;
