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
