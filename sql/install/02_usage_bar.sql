--------------------------------------------------------------------------
-- A bar a person can read at a glance: # up to the soft limit,
-- + above it, . for what is left up to the hard limit.
--------------------------------------------------------------------------

CREATE FUNCTION lifeguard.usage_bar(connections integer, soft_limit integer,
                                    hard_limit integer, width integer DEFAULT 20)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    soft_cells bigint;
    used_cells bigint;
BEGIN
    IF connections IS NULL THEN
        RETURN NULL;
    END IF;
    IF connections < 0 THEN
        RAISE EXCEPTION 'connections must not be negative'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('connections is %s.', connections);
    END IF;
    IF soft_limit < 0 OR hard_limit < 0 THEN
        RAISE EXCEPTION 'limits must not be negative'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('soft_limit is %s and hard_limit is %s.', soft_limit, hard_limit);
    END IF;
    IF soft_limit > hard_limit THEN
        RAISE EXCEPTION 'soft_limit % is greater than hard_limit %', soft_limit, hard_limit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF width < 1 OR width > 1000 THEN
        RAISE EXCEPTION 'width must be between 1 and 1000 characters'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('width is %s.', width);
    END IF;
    IF hard_limit IS NULL OR hard_limit = 0 OR width IS NULL THEN
        RETURN connections::text;
    END IF;
    -- in bigint: connections * width must not overflow
    soft_cells := least(connections, coalesce(soft_limit, hard_limit))::bigint * width / hard_limit;
    used_cells := least(connections, hard_limit)::bigint * width / hard_limit;
    RETURN '[' || repeat('#', soft_cells::int) || repeat('+', (used_cells - soft_cells)::int)
           || repeat('.', (width - used_cells)::int) || '] ' || connections || '/' || hard_limit;
END
$$;

COMMENT ON FUNCTION lifeguard.usage_bar(integer, integer, integer, integer) IS
    'Text bar of connections against soft and hard limits: # within soft, + above soft, . free up to hard.';

