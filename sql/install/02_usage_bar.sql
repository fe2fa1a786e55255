--------------------------------------------------------------------------
-- A bar a person can read at a glance: # up to the soft limit,
-- + above it, . for what is left up to the hard limit.
--------------------------------------------------------------------------

CREATE FUNCTION lifeguard.usage_bar(connections integer, soft_limit integer,
                                    hard_limit integer, width integer DEFAULT 20)
RETURNS text
AS 'MODULE_PATHNAME', 'lifeguard_usage_bar'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION lifeguard.usage_bar(integer, integer, integer, integer) IS
    'Text bar of connections against soft and hard limits: # within soft, + above soft, . free up to hard.';

