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
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing text;
BEGIN
    SELECT s INTO missing FROM unnest(schemas) AS s
     WHERE s IS NULL OR NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = s) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'schema "%" does not exist', missing
            USING ERRCODE = 'invalid_schema_name',
                  HINT = 'Pass existing schema names, or NULL for every non-system schema.';
    END IF;
    RETURN (
WITH ns AS (
    SELECT n.oid, n.nspname, n.nspowner, n.nspacl
      FROM pg_namespace n
     WHERE CASE WHEN schemas IS NULL
                THEN n.nspname NOT IN ('pg_catalog', 'information_schema', 'lifeguard')
                     AND n.nspname NOT LIKE 'pg\_toast%'
                     AND n.nspname NOT LIKE 'pg\_temp\_%'
                ELSE n.nspname = ANY (schemas) END
       AND (schemas IS NOT NULL OR NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid AND e.deptype = 'e'))
), rel AS (
    SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.reloptions, c.relowner,
           c.relacl, c.relrowsecurity, c.relforcerowsecurity, c.relreplident,
           c.relispartition, c.relpartbound, ns.nspname,
           format('%I.%I', ns.nspname, c.relname) AS qname
      FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'i', 'I')
       AND (schemas IS NOT NULL OR NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'))
), objects AS (
    -- schemas
    SELECT 'schema ' || quote_ident(ns.nspname) AS k,
           jsonb_strip_nulls(jsonb_build_object(
               'owner', pg_get_userbyid(ns.nspowner),
               'acl', CASE WHEN ns.nspacl IS NOT NULL AND ns.nspacl <> acldefault('n', ns.nspowner) THEN lifeguard._acl(ns.nspacl, 'n', ns.nspowner) END,
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_namespace'::regclass AND objoid = ns.oid))) AS v
      FROM ns
    UNION ALL
    -- tables, partitioned and foreign tables
    SELECT 'table ' || r.qname,
           jsonb_strip_nulls(jsonb_build_object(
               'kind', CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table'
                                      ELSE 'foreign table' END,
               'persistence', CASE r.relpersistence WHEN 'u' THEN 'unlogged' END,
               'options', to_jsonb(r.reloptions),
               'row_security', CASE WHEN r.relrowsecurity THEN true END,
               'force_row_security', CASE WHEN r.relforcerowsecurity THEN true END,
               'replica_identity', CASE WHEN r.relreplident <> 'd' THEN r.relreplident::text END,
               'owner', pg_get_userbyid(r.relowner),
               'acl', CASE WHEN r.relacl IS NOT NULL AND r.relacl <> acldefault('r', r.relowner) THEN lifeguard._acl(r.relacl, 'r', r.relowner) END,
               'partition_key', CASE WHEN r.relkind = 'p' THEN pg_get_partkeydef(r.oid) END,
               'partition_bound', CASE WHEN r.relispartition THEN pg_get_expr(r.relpartbound, r.oid) END,
               'inherits', (SELECT jsonb_agg(i.inhparent::regclass::text ORDER BY i.inhparent::regclass::text)
                              FROM pg_inherits i WHERE i.inhrelid = r.oid),
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_class'::regclass AND objoid = r.oid AND objsubid = 0)))
      FROM rel r WHERE r.relkind IN ('r', 'p', 'f')
    UNION ALL
    -- columns: position is the rank among live columns, so dropped
    -- columns and attnum gaps do not show, but a column dropped and added
    -- again moves to the end
    SELECT 'column ' || r.qname || '.' || quote_ident(a.attname),
           jsonb_strip_nulls(jsonb_build_object(
               'position', row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum),
               'type', format_type(a.atttypid, a.atttypmod),
               'collation', CASE WHEN a.attcollation <> t.typcollation
                                 THEN (SELECT format('%I.%I', cn.nspname, co.collname)
                                         FROM pg_collation co
                                         JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                        WHERE co.oid = a.attcollation) END,
               'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
               'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
               'not_null', CASE WHEN a.attnotnull THEN true END,
               'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
               'storage', CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END,
               'compression', nullif(a.attcompression::text, ''),
               'acl', CASE WHEN a.attacl IS NOT NULL
                           THEN (SELECT jsonb_agg(x::text ORDER BY x::text) FROM unnest(a.attacl) x) END,
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_class'::regclass AND objoid = r.oid
                              AND objsubid = a.attnum)))
      FROM rel r
      JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE r.relkind IN ('r', 'p', 'f')
    UNION ALL
    -- table constraints
    SELECT 'constraint ' || r.qname || '.' || quote_ident(c.conname),
           jsonb_strip_nulls(jsonb_build_object(
               'definition', pg_get_constraintdef(c.oid),
               'deferrable', CASE WHEN c.condeferrable THEN true END,
               'deferred', CASE WHEN c.condeferred THEN true END,
               'validated', CASE WHEN NOT c.convalidated THEN false END,
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_constraint'::regclass AND objoid = c.oid)))
      FROM pg_constraint c JOIN rel r ON r.oid = c.conrelid
    UNION ALL
    -- indexes
    SELECT 'index ' || format('%I.%I.%I', r.nspname, t.relname, r.relname),
           jsonb_strip_nulls(jsonb_build_object(
               'definition', pg_get_indexdef(r.oid),
               'valid', CASE WHEN NOT i.indisvalid THEN false END,
               'predicate', pg_get_expr(i.indpred, i.indrelid),
               'clustered', CASE WHEN i.indisclustered THEN true END,
               'replica_identity', CASE WHEN i.indisreplident THEN true END,
               'constraint', (SELECT conname FROM pg_constraint WHERE conindid = r.oid
                                AND conrelid = i.indrelid LIMIT 1),
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_class'::regclass AND objoid = r.oid AND objsubid = 0)))
      FROM rel r
      JOIN pg_index i ON i.indexrelid = r.oid
      JOIN pg_class t ON t.oid = i.indrelid
     WHERE r.relkind IN ('i', 'I')
    UNION ALL
    -- sequences (identity sequences are described by their column)
    SELECT 'sequence ' || r.qname,
           jsonb_strip_nulls(jsonb_build_object(
               'type', format_type(s.seqtypid, NULL),
               'start', s.seqstart, 'increment', s.seqincrement,
               'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle,
               'persistence', CASE r.relpersistence WHEN 'u' THEN 'unlogged' END,
               'owned_by', (SELECT format('%s.%I', d.refobjid::regclass, a.attname)
                              FROM pg_depend d
                              JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                             WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid
                               AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
                               AND d.refobjsubid > 0 LIMIT 1),
               'owner', pg_get_userbyid(r.relowner),
               'acl', CASE WHEN r.relacl IS NOT NULL AND r.relacl <> acldefault('s', r.relowner) THEN lifeguard._acl(r.relacl, 's', r.relowner) END,
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_class'::regclass AND objoid = r.oid AND objsubid = 0)))
      FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
     WHERE r.relkind = 'S'
       AND NOT EXISTS (SELECT FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid
                          AND d.deptype = 'i')
    UNION ALL
    -- views and materialized views (search_path is pinned, so names are qualified)
    SELECT CASE r.relkind WHEN 'v' THEN 'view ' ELSE 'materialized_view ' END || r.qname,
           jsonb_strip_nulls(jsonb_build_object(
               'definition', pg_get_viewdef(r.oid),
               'options', to_jsonb(r.reloptions),
               'columns', (SELECT jsonb_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
                                            ORDER BY a.attnum)
                             FROM pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0
                              AND NOT a.attisdropped),
               'owner', pg_get_userbyid(r.relowner),
               'acl', CASE WHEN r.relacl IS NOT NULL AND r.relacl <> acldefault('r', r.relowner) THEN lifeguard._acl(r.relacl, 'r', r.relowner) END,
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_class'::regclass AND objoid = r.oid AND objsubid = 0)))
      FROM rel r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    -- functions, procedures and aggregates, by name and argument types
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END
           || format('%I.%I(%s)', ns.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
           jsonb_strip_nulls(jsonb_build_object(
               'arguments', pg_get_function_arguments(p.oid),
               'result', pg_get_function_result(p.oid),
               'language', (SELECT lanname FROM pg_language WHERE oid = p.prolang),
               'volatility', p.provolatile::text,
               'strict', p.proisstrict,
               'security_definer', p.prosecdef,
               'leakproof', p.proleakproof,
               'parallel', p.proparallel::text,
               'cost', p.procost,
               'rows', p.prorows,
               'config', to_jsonb(p.proconfig),
               'body', CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid)
                            ELSE p.prosrc END,
               'library', p.probin,
               'owner', pg_get_userbyid(p.proowner),
               'acl', CASE WHEN p.proacl IS NOT NULL AND p.proacl <> acldefault('f', p.proowner) THEN lifeguard._acl(p.proacl, 'f', p.proowner) END,
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_proc'::regclass AND objoid = p.oid)))
      FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
     WHERE (schemas IS NOT NULL OR NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e'))
    UNION ALL
    -- triggers (not the internal ones behind foreign keys)
    SELECT 'trigger ' || r.qname || '.' || quote_ident(tg.tgname),
           jsonb_strip_nulls(jsonb_build_object(
               'definition', pg_get_triggerdef(tg.oid),
               'enabled', tg.tgenabled::text,
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_trigger'::regclass AND objoid = tg.oid)))
      FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid
     WHERE NOT tg.tgisinternal
    UNION ALL
    -- types: enums, domains, composite and range types
    SELECT 'type ' || format('%I.%I', ns.nspname, t.typname),
           jsonb_strip_nulls(jsonb_build_object(
               'kind', CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
                                      WHEN 'c' THEN 'composite' WHEN 'r' THEN 'range' END,
               'labels', CASE WHEN t.typtype = 'e'
                              THEN (SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder)
                                      FROM pg_enum e WHERE e.enumtypid = t.oid) END,
               'base_type', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
               'default', t.typdefault,
               'not_null', CASE WHEN t.typtype = 'd' THEN t.typnotnull END,
               'constraints', CASE WHEN t.typtype = 'd'
                                   THEN (SELECT jsonb_object_agg(c.conname, jsonb_build_object(
                                                    'definition', pg_get_constraintdef(c.oid),
                                                    'validated', c.convalidated))
                                           FROM pg_constraint c WHERE c.contypid = t.oid) END,
               'attributes', CASE WHEN t.typtype = 'c'
                                  THEN (SELECT jsonb_agg(format('%I %s', a.attname,
                                                                format_type(a.atttypid, a.atttypmod))
                                                         ORDER BY a.attnum)
                                          FROM pg_attribute a
                                         WHERE a.attrelid = t.typrelid AND a.attnum > 0
                                           AND NOT a.attisdropped) END,
               'subtype', (SELECT format_type(rg.rngsubtype, NULL) FROM pg_range rg
                            WHERE rg.rngtypid = t.oid),
               'collation', CASE WHEN t.typcollation <> 0 AND t.typtype = 'd'
                                 AND t.typcollation <> (SELECT typcollation FROM pg_type
                                                         WHERE oid = t.typbasetype)
                                 THEN t.typcollation::regcollation::text END,
               'owner', pg_get_userbyid(t.typowner),
               'acl', CASE WHEN t.typacl IS NOT NULL AND t.typacl <> acldefault('T', t.typowner) THEN lifeguard._acl(t.typacl, 'T', t.typowner) END,
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_type'::regclass AND objoid = t.oid)))
      FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
     WHERE (t.typtype IN ('e', 'd', 'r')
            OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
       AND (schemas IS NOT NULL OR NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e'))
    UNION ALL
    -- row-level security policies
    SELECT 'policy ' || r.qname || '.' || quote_ident(po.polname),
           jsonb_strip_nulls(jsonb_build_object(
               'command', po.polcmd::text,
               'permissive', po.polpermissive,
               'roles', (SELECT jsonb_agg(CASE WHEN x = 0 THEN 'public' ELSE pg_get_userbyid(x)::text END
                                          ORDER BY CASE WHEN x = 0 THEN 'public' ELSE pg_get_userbyid(x)::text END)
                           FROM unnest(po.polroles) x),
               'using', pg_get_expr(po.polqual, po.polrelid),
               'with_check', pg_get_expr(po.polwithcheck, po.polrelid),
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_policy'::regclass AND objoid = po.oid)))
      FROM pg_policy po JOIN rel r ON r.oid = po.polrelid
    UNION ALL
    -- extended statistics
    SELECT 'statistics ' || format('%I.%I', ns.nspname, st.stxname),
           jsonb_strip_nulls(jsonb_build_object(
               'definition', pg_get_statisticsobjdef(st.oid),
               'target', nullif(st.stxstattarget, -1),
               'owner', pg_get_userbyid(st.stxowner),
               'comment', (SELECT description FROM pg_description
                            WHERE classoid = 'pg_statistic_ext'::regclass AND objoid = st.oid)))
      FROM pg_statistic_ext st JOIN ns ON ns.oid = st.stxnamespace
    UNION ALL
    -- publications (database-wide: only in a snapshot of every schema)
    SELECT 'publication ' || quote_ident(pb.pubname),
           jsonb_strip_nulls(jsonb_build_object(
               'all_tables', pb.puballtables,
               'insert', pb.pubinsert, 'update', pb.pubupdate,
               'delete', pb.pubdelete, 'truncate', pb.pubtruncate,
               'via_root', pb.pubviaroot,
               'owner', pg_get_userbyid(pb.pubowner),
               'tables', (SELECT jsonb_agg(pr.prrelid::regclass::text ORDER BY pr.prrelid::regclass::text)
                            FROM pg_publication_rel pr WHERE pr.prpubid = pb.oid)))
      FROM pg_publication pb
     WHERE schemas IS NULL
)
SELECT jsonb_build_object('format', 1,
                          'objects', coalesce(jsonb_object_agg(k, v), '{}'::jsonb))
  FROM objects);
END
$$;

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
