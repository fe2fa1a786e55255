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
