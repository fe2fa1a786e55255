--------------------------------------------------------------------------
-- Schema snapshot, fingerprint and diff
--------------------------------------------------------------------------

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
AS 'MODULE_PATHNAME', 'lifeguard_schema_snapshot';

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
DECLARE
    arg text;
    snap jsonb;
    bad record;
BEGIN
    IF old_snapshot IS NULL OR new_snapshot IS NULL THEN
        RAISE EXCEPTION 'snapshots to compare must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass two values returned by lifeguard.schema_snapshot().';
    END IF;
    -- each argument whole, before any of it is read: an object of objects
    FOR arg, snap IN VALUES ('old_snapshot', old_snapshot), ('new_snapshot', new_snapshot) LOOP
        IF jsonb_typeof(snap) <> 'object' OR jsonb_typeof(snap -> 'objects') IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION 'value is not a schema snapshot'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('%s is %s; a schema snapshot is a jsonb object {"format": 1, "objects": {...}} whose every value is an object.',
                                      arg, CASE WHEN jsonb_typeof(snap) = 'object'
                                                THEN 'an object whose "objects" is missing or not an object'
                                                ELSE 'a jsonb ' || jsonb_typeof(snap) END),
                      HINT = 'Pass two values returned by lifeguard.schema_snapshot().';
        END IF;
        SELECT o.key, jsonb_typeof(o.value) AS type INTO bad
          FROM jsonb_each(snap -> 'objects') AS o
         WHERE jsonb_typeof(o.value) <> 'object'
         ORDER BY o.key LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'value is not a schema snapshot'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('In %s, "%s" is described by a jsonb %s; a schema snapshot describes every object by a jsonb object.',
                                      arg, bad.key, bad.type),
                      HINT = 'Pass two values returned by lifeguard.schema_snapshot().';
        END IF;
    END LOOP;
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

GRANT EXECUTE ON FUNCTION lifeguard.schema_snapshot(text[]), lifeguard.schema_fingerprint(text[]),
    lifeguard.schema_diff(jsonb, jsonb) TO PUBLIC;
