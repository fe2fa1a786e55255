--------------------------------------------------------------------------
-- Pooler-aware accounting: who uses a pooler's server connections
--------------------------------------------------------------------------

CREATE FUNCTION lifeguard.pooler_usage(
    OUT pool_application text,
    OUT pool_role text,
    OUT pool_database text,
    OUT client_application text,
    OUT server_connections integer,
    OUT linked integer,
    OUT in_use integer,
    OUT transactions bigint,
    OUT busy_us bigint,
    OUT pool_busy_us bigint,
    OUT first_seen timestamptz,
    OUT last_transaction_at timestamptz,
    OUT window_share double precision,
    OUT alert boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_pooler_usage'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION lifeguard.pooler_untracked_transactions()
RETURNS bigint
AS 'MODULE_PATHNAME', 'lifeguard_pooler_untracked_transactions'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION lifeguard.pooler_untracked_transactions() IS
    'Transactions of pooler backends whose (pool, client application) pair found the table full (lifeguard.max_pooler_clients), since the last reset.';

CREATE VIEW lifeguard.pooler_usage AS
SELECT u.pool_application,
       u.pool_role,
       u.pool_database,
       u.client_application,
       u.server_connections,
       u.linked,
       u.in_use,
       CASE WHEN u.server_connections OPERATOR(pg_catalog.>) 0
            THEN round(u.in_use::numeric OPERATOR(pg_catalog./) u.server_connections, 3) END AS in_use_share,
       u.transactions,
       make_interval(secs => u.busy_us::double precision OPERATOR(pg_catalog./) 1000000) AS busy_time,
       CASE WHEN u.pool_busy_us OPERATOR(pg_catalog.>) 0
            THEN round(u.busy_us::numeric OPERATOR(pg_catalog./) u.pool_busy_us, 3) END AS busy_share,
       round(u.window_share::numeric, 3) AS window_share,
       u.alert,
       u.first_seen,
       u.last_transaction_at
  FROM lifeguard.pooler_usage() u;

COMMENT ON VIEW lifeguard.pooler_usage IS
    'Per pooler pool (connect-time application, role, database) and client application (current application_name): server connections linked to it and in use now, transactions, busy time and its share of the pool''s busy time.';

REVOKE ALL ON FUNCTION lifeguard.pooler_usage(), lifeguard.pooler_untracked_transactions() FROM PUBLIC;
REVOKE ALL ON lifeguard.pooler_usage FROM PUBLIC;
GRANT SELECT ON lifeguard.pooler_usage TO pg_monitor, lifeguard_admin;
GRANT EXECUTE ON FUNCTION lifeguard.pooler_usage(), lifeguard.pooler_untracked_transactions()
    TO pg_monitor, lifeguard_admin;
