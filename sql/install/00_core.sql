
-- The role that may change quotas, recycle backends and reset counters.
-- Roles are cluster-wide and outlive the extension, so create it only once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'lifeguard_admin') THEN
        CREATE ROLE lifeguard_admin NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA lifeguard TO PUBLIC;

--------------------------------------------------------------------------
-- Quota rules
--------------------------------------------------------------------------

CREATE TABLE lifeguard.quotas (
    application_name text NOT NULL,
    role name,
    database name,
    soft_limit integer NOT NULL,
    hard_limit integer NOT NULL,
    reserved integer NOT NULL DEFAULT 0,
    min_idle integer NOT NULL DEFAULT 0,
    max_age interval,
    idle_timeout interval,
    idle_in_transaction_timeout interval,
    mode text NOT NULL DEFAULT 'enforce',
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT quotas_application_name_check
        CHECK (pg_catalog.octet_length(application_name) OPERATOR(pg_catalog.<) 64
               AND application_name OPERATOR(pg_catalog.~) '^[ -~]*$'),
    CONSTRAINT quotas_limits_check
        CHECK (soft_limit OPERATOR(pg_catalog.>=) 0
               AND hard_limit OPERATOR(pg_catalog.>=) soft_limit),
    CONSTRAINT quotas_reserved_check
        CHECK (reserved OPERATOR(pg_catalog.>=) 0
               AND reserved OPERATOR(pg_catalog.<=) hard_limit
               AND (reserved OPERATOR(pg_catalog.=) 0
                    OR application_name OPERATOR(pg_catalog.<>) '*')),
    CONSTRAINT quotas_min_idle_check
        CHECK (min_idle OPERATOR(pg_catalog.>=) 0
               AND min_idle OPERATOR(pg_catalog.<=) hard_limit),
    CONSTRAINT quotas_intervals_check
        CHECK ((max_age IS NULL OR max_age OPERATOR(pg_catalog.>) '0'::interval)
               AND (idle_timeout IS NULL OR idle_timeout OPERATOR(pg_catalog.>) '0'::interval)
               AND (idle_in_transaction_timeout IS NULL
                    OR idle_in_transaction_timeout OPERATOR(pg_catalog.>) '0'::interval)),
    CONSTRAINT quotas_mode_check
        CHECK (mode OPERATOR(pg_catalog.=) ANY (ARRAY['off', 'warn', 'enforce']))
);

CREATE UNIQUE INDEX quotas_rule_key ON lifeguard.quotas
    (application_name, (COALESCE(role, ''::name)), (COALESCE(database, ''::name)));

COMMENT ON TABLE lifeguard.quotas IS
    'Connection quota rules per application (optionally per role and database); the most specific matching rule wins. Change with lifeguard.set_quota() / lifeguard.drop_quota() or plain DML; committed changes apply to the next login.';

SELECT pg_catalog.pg_extension_config_dump('lifeguard.quotas', '');

