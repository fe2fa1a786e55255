--
-- index advice from the catalogs
--
CREATE SCHEMA ia;
SET search_path = ia, public;

-- foreign keys: which index covers them
CREATE TABLE parent (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c_none (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES parent);
CREATE TABLE c_ba (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES parent);
CREATE INDEX ON c_ba (b, a);                    -- same columns, other order: covered
CREATE TABLE c_ab_x (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES parent);
CREATE INDEX ON c_ab_x (a, b, id);              -- leading prefix: covered
CREATE TABLE c_incl (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES parent);
CREATE INDEX ON c_incl (a) INCLUDE (b);         -- INCLUDE does not count
CREATE TABLE c_partial (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES parent);
CREATE INDEX ON c_partial (a, b) WHERE id > 0;  -- partial does not count
CREATE TABLE c_second (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES parent);
CREATE INDEX ON c_second (id, a, b);            -- not leading
CREATE TABLE c_pk (a int, b int, n int, PRIMARY KEY (a, b, n), FOREIGN KEY (a, b) REFERENCES parent);
-- partitioned: one row per foreign key, not one per partition
CREATE TABLE p_orders (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES parent) PARTITION BY RANGE (id);
CREATE TABLE p_orders_1 PARTITION OF p_orders FOR VALUES FROM (0) TO (100);
CREATE TABLE p_orders_2 PARTITION OF p_orders FOR VALUES FROM (100) TO (200);

SELECT table_name, constraint_name, columns, referenced_table, create_statement
  FROM lifeguard.unindexed_foreign_keys ORDER BY table_name::text, constraint_name;

-- works with intarray installed (no ambiguous array operators)
CREATE EXTENSION intarray;
SELECT count(*) FROM lifeguard.unindexed_foreign_keys;
DROP EXTENSION intarray;

-- duplicates
CREATE TABLE d (a int, b int, c int, d int, e int, f int, g int, h int, i int, j int, k int,
                t text, CONSTRAINT d_pk PRIMARY KEY (a, b));
CREATE INDEX d_a ON d (a);                       -- prefix of the primary key: redundant
CREATE INDEX d_ab_copy ON d (a, b);              -- the primary key's columns, not unique: redundant
CREATE INDEX d_c ON d (c);
CREATE INDEX d_c_again ON d (c);                 -- exact duplicate
CREATE INDEX d_ce ON d (c, e);
CREATE INDEX d_ce_incl ON d (c, e) INCLUDE (f);  -- (c, e) INCLUDE (f) is not (c, e, f)
CREATE INDEX d_cef ON d (c, e, f);
CREATE INDEX d_t_c ON d (t COLLATE "C");
CREATE INDEX d_t ON d (t);                       -- other collation: not a duplicate
CREATE INDEX d_desc ON d (d DESC);
CREATE INDEX d_asc ON d (d, e);                  -- other sort option: not redundant
CREATE INDEX d_wide ON d (a, b, c, d, e, f, g, h, i, j);
CREATE INDEX d_wide9 ON d (a, b, c, d, e, f, g, h, i);   -- prefix of a 10-column index
CREATE INDEX d_part ON d (f) WHERE g > 0;
CREATE INDEX d_part2 ON d (f, g) WHERE g > 1;    -- other predicate
CREATE UNIQUE INDEX d_u ON d (h);
CREATE INDEX d_hi ON d (h, i);                   -- unique is never redundant to non-unique
SELECT redundant_index, kept_index, kind
  FROM lifeguard.duplicate_indexes
 WHERE table_name = 'ia.d'::regclass
 ORDER BY redundant_index::text, kept_index::text;

-- unused indexes: none scanned yet; unique and constraint indexes excluded
SELECT index_name, backs_foreign_key
  FROM lifeguard.unused_indexes
 WHERE schema_name = 'ia' AND table_name IN ('c_ba', 'd')
 ORDER BY 1;
-- unused since the database's statistics were reset (or the server started)
SELECT bool_and(unused_since = coalesce((SELECT stats_reset FROM pg_stat_database
                                          WHERE datname = current_database()),
                                        pg_postmaster_start_time())) AS since_last_reset
  FROM lifeguard.unused_indexes WHERE schema_name = 'ia';

DROP SCHEMA ia CASCADE;
RESET search_path;
