--------------------------------------------------------------------------
-- Quota rules: one validation for every way of writing them, and their
-- publication at commit
--------------------------------------------------------------------------

-- New in 1.1, in a fresh install and in the update alike: a rule's limit
-- on a backend's private memory (bytes; NULL = lifeguard.max_memory).
-- And where a connection past max_age may be ended (NULL =
-- lifeguard.recycle_at; the values are that setting's).
ALTER TABLE lifeguard.quotas
    ADD COLUMN max_memory bigint,
    ADD CONSTRAINT quotas_max_memory_check
        CHECK (max_memory IS NULL OR max_memory OPERATOR(pg_catalog.>) 0),
    ADD COLUMN recycle_at text;

CREATE FUNCTION lifeguard._quotas_changed()
RETURNS void
AS 'MODULE_PATHNAME', 'lifeguard_quotas_changed'
LANGUAGE C VOLATILE;

-- Every row written to lifeguard.quotas, by set_quota() or by plain DML,
-- passes the same checks, with messages that name the column and the
-- accepted range.  A rule that names a role or database that was dropped
-- later may still be updated, as long as the update keeps that name.
CREATE FUNCTION lifeguard._quotas_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    limit_name text;
    limit_value interval;
BEGIN
    IF NEW.application_name IS NULL THEN
        RAISE EXCEPTION 'application name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Use ''*'' for the default rule, or '''' for clients that send no application_name.';
    END IF;
    IF NEW.application_name !~ '^[ -~]*$' THEN
        RAISE EXCEPTION 'invalid application name "%"', NEW.application_name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Application names may contain only printable ASCII characters; the server replaces any other byte a client sends, so such a rule could never match.';
    END IF;
    IF octet_length(NEW.application_name) > 63 THEN
        RAISE EXCEPTION 'application name "%" is longer than 63 bytes', NEW.application_name
            USING ERRCODE = 'name_too_long',
                  DETAIL = 'The server keeps the first 63 bytes of an application_name, so such a rule could never match.',
                  HINT = 'lifeguard.set_quota() truncates the name for you.';
    END IF;
    IF NEW.soft_limit IS NULL OR NEW.hard_limit IS NULL OR NEW.reserved IS NULL
       OR NEW.min_idle IS NULL THEN
        RAISE EXCEPTION 'quota limits must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NEW.soft_limit < 0 OR NEW.hard_limit < 0 OR NEW.reserved < 0 OR NEW.min_idle < 0 THEN
        RAISE EXCEPTION 'quota limits must not be negative'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.soft_limit > NEW.hard_limit THEN
        RAISE EXCEPTION 'soft limit % is greater than hard limit %', NEW.soft_limit, NEW.hard_limit
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set soft_limit to the pool size and hard_limit to pool size plus overflow.';
    END IF;
    IF NEW.reserved > NEW.hard_limit THEN
        RAISE EXCEPTION 'reserved connections % exceed hard limit %', NEW.reserved, NEW.hard_limit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.reserved > 0 AND NEW.application_name = '*' THEN
        RAISE EXCEPTION 'the default rule cannot reserve connections'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Reserve connections on a named application''s rule.';
    END IF;
    IF NEW.min_idle > NEW.hard_limit THEN
        RAISE EXCEPTION 'min_idle % exceeds hard limit %', NEW.min_idle, NEW.hard_limit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.mode IS NULL OR NEW.mode NOT IN ('off', 'warn', 'enforce') THEN
        RAISE EXCEPTION 'invalid quota mode "%"', NEW.mode
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Valid modes are "off", "warn" and "enforce".';
    END IF;
    FOR limit_name, limit_value IN
        VALUES ('max_age', NEW.max_age), ('idle_timeout', NEW.idle_timeout),
               ('idle_in_transaction_timeout', NEW.idle_in_transaction_timeout)
    LOOP
        IF limit_value <= interval '0' THEN
            RAISE EXCEPTION 'quota time limits must be positive'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('%s is %s.', limit_name, limit_value),
                      HINT = 'Use NULL to leave a time limit unset.';
        END IF;
        IF limit_value < interval '1 millisecond' OR limit_value > interval '100 years' THEN
            RAISE EXCEPTION '% must be between 1 millisecond and 100 years', limit_name
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('%s is %s.', limit_name, limit_value),
                      HINT = 'Use NULL to leave a time limit unset.';
        END IF;
    END LOOP;
    IF NEW.max_memory IS NOT NULL AND NEW.max_memory < 1048576 THEN
        RAISE EXCEPTION 'max_memory must be at least 1 MB'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('max_memory is %s bytes.', NEW.max_memory),
                  HINT = 'max_memory is in bytes: write pg_size_bytes(''64 MB''), or NULL to leave it unset.';
    END IF;
    IF NEW.recycle_at IS NOT NULL
       AND NEW.recycle_at NOT IN ('idle', 'transaction_end', 'auto', 'statement_end') THEN
        RAISE EXCEPTION 'invalid recycle_at "%"', NEW.recycle_at
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Valid values are "idle", "transaction_end", "auto" and "statement_end", or NULL for lifeguard.recycle_at.';
    END IF;
    IF NEW.role IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.role IS DISTINCT FROM OLD.role)
       AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = NEW.role) THEN
        RAISE EXCEPTION 'role "%" does not exist', NEW.role
            USING ERRCODE = 'undefined_object';
    END IF;
    IF NEW.database IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.database IS DISTINCT FROM OLD.database)
       AND NOT EXISTS (SELECT FROM pg_database d WHERE d.datname = NEW.database) THEN
        RAISE EXCEPTION 'database "%" does not exist', NEW.database
            USING ERRCODE = 'invalid_catalog_name';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER quotas_validate
    BEFORE INSERT OR UPDATE ON lifeguard.quotas
    FOR EACH ROW EXECUTE FUNCTION lifeguard._quotas_validate();

-- Every statement that changes the rules publishes them at commit.
-- lifeguard._quotas_changed() also makes the changing transactions take
-- turns (a lock on itself, not on the table: see quota.c).
CREATE FUNCTION lifeguard._quotas_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    total_reserved bigint;
    usable integer;
BEGIN
    PERFORM lifeguard._quotas_changed();

    SELECT coalesce(sum(q.reserved), 0) INTO total_reserved
      FROM lifeguard.quotas q WHERE q.mode <> 'off';
    SELECT s.usable INTO usable FROM lifeguard.server_usage() s;
    IF total_reserved > usable THEN
        RAISE EXCEPTION 'reserved connections exceed usable connections'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Quota rules reserve %s connections; the server has %s usable connections.',
                                  total_reserved, usable),
                  HINT = 'Lower the reservations, or raise max_connections.';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER quotas_publish
    AFTER INSERT OR UPDATE OR DELETE ON lifeguard.quotas
    FOR EACH STATEMENT EXECUTE FUNCTION lifeguard._quotas_trigger();
CREATE TRIGGER quotas_publish_truncate
    AFTER TRUNCATE ON lifeguard.quotas
    FOR EACH STATEMENT EXECUTE FUNCTION lifeguard._quotas_trigger();

--------------------------------------------------------------------------
-- Quota management
--------------------------------------------------------------------------

-- 1.1 added max_memory and recycle_at to set_quota: the update drops 1.0's
-- signature.
DO $$
BEGIN
    IF pg_catalog.to_regprocedure('lifeguard.set_quota(text, integer, integer, integer, interval, interval, name, name, text, interval, integer)') IS NOT NULL THEN
        DROP FUNCTION lifeguard.set_quota(text, integer, integer, integer, interval, interval, name, name, text, interval, integer);
    END IF;
END
$$;

CREATE FUNCTION lifeguard.set_quota(
    application_name text,
    soft_limit integer,
    hard_limit integer,
    reserved integer DEFAULT 0,
    max_age interval DEFAULT NULL,
    idle_timeout interval DEFAULT NULL,
    role name DEFAULT NULL,
    database name DEFAULT NULL,
    mode text DEFAULT 'enforce',
    idle_in_transaction_timeout interval DEFAULT NULL,
    min_idle integer DEFAULT 0,
    max_memory bigint DEFAULT NULL,
    recycle_at text DEFAULT NULL)
RETURNS lifeguard.quotas
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    app text := set_quota.application_name;
    result lifeguard.quotas;
BEGIN
    IF app IS NULL THEN
        RAISE EXCEPTION 'application name must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Use ''*'' for the default rule, or '''' for clients that send no application_name.';
    END IF;
    IF app !~ '^[ -~]*$' THEN
        RAISE EXCEPTION 'invalid application name "%"', app
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Application names may contain only printable ASCII characters; the server replaces any other byte a client sends, so such a rule could never match.';
    END IF;
    IF octet_length(app) > 63 THEN
        RAISE NOTICE 'application name "%" will be truncated to "%"', app, left(app, 63)
            USING ERRCODE = 'name_too_long',
                  DETAIL = 'The server keeps the first 63 bytes of an application_name, as pg_stat_activity shows it.';
        app := left(app, 63);
    END IF;
    -- every other check is the table's own (lifeguard._quotas_validate)
    INSERT INTO lifeguard.quotas AS q
           (application_name, role, database, soft_limit, hard_limit, reserved,
            min_idle, max_age, idle_timeout, idle_in_transaction_timeout, mode,
            max_memory, recycle_at)
    VALUES (app, set_quota.role, set_quota.database, set_quota.soft_limit,
            set_quota.hard_limit, set_quota.reserved, set_quota.min_idle,
            set_quota.max_age, set_quota.idle_timeout,
            set_quota.idle_in_transaction_timeout, set_quota.mode,
            set_quota.max_memory, set_quota.recycle_at)
    ON CONFLICT (application_name, (COALESCE(role, ''::name)), (COALESCE(database, ''::name)))
    DO UPDATE SET soft_limit = EXCLUDED.soft_limit,
                  hard_limit = EXCLUDED.hard_limit,
                  reserved = EXCLUDED.reserved,
                  min_idle = EXCLUDED.min_idle,
                  max_age = EXCLUDED.max_age,
                  idle_timeout = EXCLUDED.idle_timeout,
                  idle_in_transaction_timeout = EXCLUDED.idle_in_transaction_timeout,
                  mode = EXCLUDED.mode,
                  max_memory = EXCLUDED.max_memory,
                  recycle_at = EXCLUDED.recycle_at,
                  updated_at = now()
    RETURNING q.* INTO result;
    RETURN result;
END
$$;

COMMENT ON FUNCTION lifeguard.set_quota(text, integer, integer, integer, interval, interval, name, name, text, interval, integer, bigint, text) IS
    'Creates or replaces the quota rule for an application (''*'' = default), optionally for one role and/or database. Applies to the next login once the transaction commits.';

CREATE FUNCTION lifeguard.drop_quota(
    application_name text,
    role name DEFAULT NULL,
    database name DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_rule boolean;
BEGIN
    IF application_name IS NULL THEN
        RAISE EXCEPTION 'application name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    DELETE FROM lifeguard.quotas q
     WHERE q.application_name = left(drop_quota.application_name, 63)
       AND q.role IS NOT DISTINCT FROM drop_quota.role
       AND q.database IS NOT DISTINCT FROM drop_quota.database;
    found_rule := FOUND;
    IF NOT found_rule THEN
        RAISE NOTICE 'no quota rule for application "%"%', application_name,
            coalesce(' role "' || role || '"', '') || coalesce(' database "' || database || '"', '');
    END IF;
    RETURN found_rule;
END
$$;

COMMENT ON FUNCTION lifeguard.drop_quota(text, name, name) IS
    'Removes a quota rule; returns false (with a notice) when there was none.';


-- for the update from 1.0; a fresh install sets the same in 03_views.sql
REVOKE ALL ON FUNCTION lifeguard._quotas_validate() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard._quotas_validate() TO lifeguard_admin;
REVOKE ALL ON FUNCTION lifeguard.set_quota(text, integer, integer, integer, interval, interval, name, name, text, interval, integer, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lifeguard.set_quota(text, integer, integer, integer, interval, interval, name, name, text, interval, integer, bigint, text) TO lifeguard_admin;
