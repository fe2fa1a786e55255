--
-- quotas: rules, their validation, and refusals at connect time.
--
\set SHOW_CONTEXT never
CREATE ROLE regress_app LOGIN;
CREATE ROLE regress_other LOGIN;
CREATE ROLE regress_plain LOGIN;
CREATE ROLE regress_admin LOGIN IN ROLE lifeguard_admin;

-- connect through dblink as a non-superuser (superusers are exempt) and
-- report the server's answer without the socket path
CREATE FUNCTION try_connect(conn text, app text, usr text DEFAULT 'regress_app')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    det text;
BEGIN
    PERFORM dblink_connect(conn, format('dbname=contrib_regression user=%s application_name=%s', usr, app));
    RETURN 'connected';
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL;
    RETURN coalesce(substring(det from 'FATAL:  ([^\n]*)'), det);
END
$$;

CREATE FUNCTION close_all() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dblink_disconnect(c) FROM unnest(dblink_get_connections()) AS c;
    FOR i IN 1..200 LOOP
        EXIT WHEN (SELECT coalesce(sum(connections), 0) FROM lifeguard.pool_stats
                    WHERE application_name NOT LIKE 'pg_regress%') = 0;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;

-- hard limit 2, soft 1
SELECT application_name, soft_limit, hard_limit, reserved, mode
  FROM lifeguard.set_quota('svc', 1, 2);
SELECT try_connect('s1', 'svc'), try_connect('s2', 'svc'), try_connect('s3', 'svc');
SELECT application_name, connections, rejected, soft_warnings, status, usage_bar,
       utilization, soft_limit, hard_limit, mode
  FROM lifeguard.pool_stats WHERE application_name = 'svc';
SELECT close_all();

-- updating the rule applies to the next login
SELECT hard_limit FROM lifeguard.set_quota('svc', 1, 3);
SELECT try_connect('s1', 'svc'), try_connect('s2', 'svc'), try_connect('s3', 'svc'),
       try_connect('s4', 'svc');
SELECT close_all();

-- a rule set in a transaction that rolls back changes nothing
BEGIN;
SELECT hard_limit FROM lifeguard.set_quota('rolled', 0, 0);
ROLLBACK;
SELECT count(*) FROM lifeguard.quotas WHERE application_name = 'rolled';
SELECT try_connect('r1', 'rolled');
SELECT close_all();

-- ... and one in a savepoint that rolls back, inside a committed transaction
BEGIN;
SAVEPOINT a;
SELECT hard_limit FROM lifeguard.set_quota('rolled', 0, 0);
ROLLBACK TO SAVEPOINT a;
COMMIT;
SELECT try_connect('r1', 'rolled');
SELECT close_all();

-- direct DML on the table is published at commit too
INSERT INTO lifeguard.quotas (application_name, soft_limit, hard_limit) VALUES ('direct', 0, 0);
SELECT try_connect('d1', 'direct');
UPDATE lifeguard.quotas SET hard_limit = 1 WHERE application_name = 'direct';
SELECT try_connect('d1', 'direct'), try_connect('d2', 'direct');
SELECT close_all();
DELETE FROM lifeguard.quotas WHERE application_name = 'direct';
SELECT try_connect('d1', 'direct'), try_connect('d2', 'direct');
SELECT close_all();

-- the most specific rule wins: app + role over app over '*'
SELECT hard_limit FROM lifeguard.set_quota('*', 0, 1);
SELECT hard_limit FROM lifeguard.set_quota('spec', 2, 2);
SELECT hard_limit FROM lifeguard.set_quota('spec', 3, 3, role => 'regress_other');
SELECT try_connect('a1', 'anyapp'), try_connect('a2', 'anyapp');
SELECT try_connect('p1', 'spec'), try_connect('p2', 'spec'), try_connect('p3', 'spec');
SELECT try_connect('o1', 'spec', 'regress_other'), try_connect('o2', 'spec', 'regress_other'),
       try_connect('o3', 'spec', 'regress_other'), try_connect('o4', 'spec', 'regress_other');
SELECT close_all();
SELECT lifeguard.drop_quota('*');
SELECT lifeguard.drop_quota('spec', role => 'regress_other');
SELECT lifeguard.drop_quota('spec');
SELECT lifeguard.drop_quota('spec');

-- a rule for a role counts the connections already open in its scope
-- when it is installed, and gets each place back as one closes
SELECT try_connect('s1', 'scoped', 'regress_other'), try_connect('s2', 'scoped', 'regress_other'),
       try_connect('s3', 'scoped');
SELECT hard_limit FROM lifeguard.set_quota('scoped', 2, 2, role => 'regress_other');
SELECT try_connect('s4', 'scoped', 'regress_other') AS third_of_role,
       try_connect('s5', 'scoped') AS other_role;
SELECT dblink_disconnect('s1');
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN (SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'scoped') = 3;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;
SELECT try_connect('s6', 'scoped', 'regress_other') AS after_one_closed,
       try_connect('s7', 'scoped', 'regress_other') AS and_no_more;
SELECT close_all();
SELECT lifeguard.drop_quota('scoped', role => 'regress_other');

-- warn mode admits and counts what enforce would refuse; off only counts
SELECT mode FROM lifeguard.set_quota('warned', 0, 1, mode => 'warn');
SELECT try_connect('w1', 'warned'), try_connect('w2', 'warned');
SELECT connections, rejected, would_reject, mode, status FROM lifeguard.pool_stats WHERE application_name = 'warned';
SELECT close_all();
SELECT mode FROM lifeguard.set_quota('warned', 0, 1, mode => 'off');
SELECT try_connect('w1', 'warned'), try_connect('w2', 'warned');
SELECT close_all();

-- superusers are exempt but counted
SELECT hard_limit FROM lifeguard.set_quota('root', 0, 0);
SELECT try_connect('su', 'root', current_user);
SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'root';
SELECT close_all();

-- a memory limit, in bytes, kept with the rule
SELECT application_name, max_memory FROM lifeguard.set_quota('mem', 1, 2, max_memory => pg_size_bytes('64 MB'));
SELECT application_name, max_memory FROM lifeguard.set_quota('mem', 1, 2);
SELECT lifeguard.drop_quota('mem');

-- where a connection past max_age may end, per rule (NULL: the setting)
SELECT application_name, recycle_at FROM lifeguard.set_quota('asyncpg_app', 5, 10, max_age => '30 min', recycle_at => 'statement_end');
SELECT application_name, recycle_at FROM lifeguard.set_quota('asyncpg_app', 5, 10, max_age => '30 min');
SELECT lifeguard.drop_quota('asyncpg_app');

-- the connection budget
SELECT declared_hard_limits, declared_reserved, quota_rules,
       overcommit = round(declared_hard_limits::numeric / usable, 2) AS overcommit_ok
  FROM lifeguard.server_usage;

-- bad input: a clear error each, and nothing changes
CREATE TEMP TABLE before AS SELECT * FROM lifeguard.quotas;
SELECT lifeguard.set_quota(NULL, 1, 2);
SELECT lifeguard.set_quota('x', NULL, 2);
SELECT lifeguard.set_quota('x', 1, NULL);
SELECT lifeguard.set_quota('x', -1, 2);
SELECT lifeguard.set_quota('x', 3, 2);
SELECT lifeguard.set_quota('x', 1, 2, reserved => 3);
SELECT lifeguard.set_quota('x', 1, 2, reserved => -1);
SELECT lifeguard.set_quota('*', 1, 2, reserved => 1);
SELECT lifeguard.set_quota('x', 1, 2, mode => 'strict');
SELECT lifeguard.set_quota('x', 1, 2, mode => NULL);
SELECT lifeguard.set_quota('x', 1, 2, max_age => '-1 s');
SELECT lifeguard.set_quota('x', 1, 2, idle_timeout => '0');
SELECT lifeguard.set_quota('x', 1, 2, max_memory => 1000);
SELECT lifeguard.set_quota('x', 1, 2, recycle_at => 'never');
SELECT lifeguard.set_quota('x', 1, 2, role => 'regress_nobody');
SELECT lifeguard.set_quota('x', 1, 2, database => 'regress_nodb');
SELECT lifeguard.set_quota(E'bad\tname', 1, 2);
SELECT lifeguard.set_quota('café', 1, 2);
SELECT lifeguard.set_quota('big', 1, 100000, reserved => 100000);
SELECT lifeguard.drop_quota(NULL);
\set VERBOSITY terse
INSERT INTO lifeguard.quotas (application_name, soft_limit, hard_limit) VALUES ('x', 5, 1);
INSERT INTO lifeguard.quotas (application_name, soft_limit, hard_limit, mode) VALUES ('x', 1, 5, 'loud');
INSERT INTO lifeguard.quotas (application_name, soft_limit, hard_limit) VALUES (repeat('y', 64), 1, 5);
\set VERBOSITY default
SELECT count(*) AS unchanged FROM (
    (SELECT * FROM lifeguard.quotas EXCEPT SELECT * FROM before)
    UNION ALL
    (SELECT * FROM before EXCEPT SELECT * FROM lifeguard.quotas)) d;

-- many rules: a login finds its own among them (rules are kept in byte
-- order and searched, whatever the database's collation)
SELECT count(*) AS rules_set FROM (
    SELECT lifeguard.set_quota(format('bulk%s', i), 1, 1) FROM generate_series(1, 100) i
    UNION ALL SELECT lifeguard.set_quota('Zeta', 0, 0)
    UNION ALL SELECT lifeguard.set_quota('alpha', 1, 1)
    UNION ALL SELECT lifeguard.set_quota('alpha', 5, 5, role => 'regress_other')
    UNION ALL SELECT lifeguard.set_quota('*', 2, 2)) s;
SELECT try_connect('z1', 'Zeta') AS zeta_at_0,
       try_connect('a1', 'alpha') AS alpha_first,
       try_connect('a2', 'alpha') AS alpha_second,
       try_connect('a3', 'alpha', 'regress_other') AS alpha_other_role,
       try_connect('b1', 'bulk50') AS bulk50_first,
       try_connect('b2', 'bulk50') AS bulk50_second,
       try_connect('o1', 'omega') AS omega_first,
       try_connect('o2', 'omega') AS omega_second,
       try_connect('o3', 'omega') AS omega_third;
SELECT close_all();
DELETE FROM lifeguard.quotas
 WHERE application_name LIKE 'bulk%' OR application_name IN ('Zeta', 'alpha', '*');

-- long names are cut to 63 bytes, as the server cuts application_name
SELECT application_name, octet_length(application_name)
  FROM lifeguard.set_quota(repeat('n', 70), 1, 2);
SELECT lifeguard.drop_quota(repeat('n', 70));

-- privileges: plain roles cannot change quotas or reset counters
SET ROLE regress_plain;
SELECT lifeguard.set_quota('svc', 1, 5);
SELECT lifeguard.drop_quota('svc');
SELECT lifeguard.reset_stats();
UPDATE lifeguard.quotas SET hard_limit = 100;
SELECT count(*) FROM lifeguard.pool_stats;
SELECT count(*) >= 1 AS sees_backends FROM lifeguard.backends;
RESET ROLE;
SET ROLE regress_admin;
SELECT hard_limit FROM lifeguard.set_quota('svc', 1, 4);
SELECT application_name, hard_limit FROM lifeguard.quotas ORDER BY 1;
RESET ROLE;

-- rules cannot be changed outside lifeguard.database
CREATE DATABASE regress_elsewhere;
\c regress_elsewhere
CREATE EXTENSION pg_lifeguard;
SELECT lifeguard.set_quota('svc', 1, 2);
\c contrib_regression
DROP DATABASE regress_elsewhere;

SELECT lifeguard.drop_quota(application_name, role, database) FROM lifeguard.quotas ORDER BY 1;
DROP OWNED BY regress_admin;
DROP ROLE regress_app, regress_other, regress_plain, regress_admin;
