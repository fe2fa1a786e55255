# Index advice at scale and N+1 detection through real client sessions:
# on a database of 1,000 tables with foreign keys every advice view and
# advise_indexes answer in bounded time, and a loop of one statement in one
# transaction is reported under the application that ran it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('advice');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '200ms'
max_locks_per_transaction = 256
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');

# 1,000 tables, each with a foreign key to the previous one and no index on it
$node->safe_psql('postgres', q{
CREATE TABLE t_0 (id int PRIMARY KEY, name text);
DO $$
BEGIN
    FOR i IN 1..999 LOOP
        EXECUTE format('CREATE TABLE t_%s (id int PRIMARY KEY, parent_id int REFERENCES t_%s, name text)',
                       i, i - 1);
    END LOOP;
END
$$;
INSERT INTO t_0 SELECT g, 'n' FROM generate_series(1, 1000) g;
INSERT INTO t_1 SELECT g, 1 + g % 1000, 'n' FROM generate_series(1, 20000) g;
INSERT INTO t_2 SELECT g, 1 + g % 20000, 'n' FROM generate_series(1, 50000) g;
INSERT INTO t_3 SELECT g, 1 + g % 50000, 'n' FROM generate_series(1, 50000) g;
ANALYZE t_0, t_1, t_2, t_3;
});

# every view answers, within a statement timeout
for my $view (qw(unindexed_foreign_keys unused_indexes duplicate_indexes
	predicate_stats n_plus_one index_advice))
{
	my $t0 = time;
	my ($rc, $out, $err) = $node->psql('postgres',
		"SET statement_timeout = '60s'; SELECT count(*) FROM lifeguard.$view");
	is($rc, 0, "$view answers on 1,000 tables") or diag($err);
	note(sprintf('%s: %s rows in %.2f s', $view, $out, time - $t0));
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM lifeguard.unindexed_foreign_keys'),
	'999', 'one unindexed foreign key per child table');

my $t0 = time;
my $advice = $node->safe_psql('postgres', q{
	SET statement_timeout = '30s';
	SELECT index_statements, errors FROM lifeguard.advise_indexes(
		'SELECT t_3.* FROM t_0 JOIN t_1 ON t_1.parent_id = t_0.id
		   JOIN t_2 ON t_2.parent_id = t_1.id JOIN t_3 ON t_3.parent_id = t_2.id
		  WHERE t_0.id = $1')});
note(sprintf('advise_indexes on a four-table join among 1,000 tables: %.2f s', time - $t0));
like($advice, qr/CREATE INDEX ON public\.t_1 USING btree \(parent_id\)/,
	'the join gets the foreign-key index it needs');
like($advice, qr/\|\{\}$/, 'and no errors');

# N+1: 25 runs of one statement in one transaction, from application "orders-api"
my $loop = "BEGIN;\n"
  . join('', map { "SELECT count(*) FROM t_1 WHERE parent_id = $_;\n" } 1 .. 25)
  . "COMMIT;\n";
my $separate = join('', map { "SELECT count(*) FROM t_2 WHERE parent_id = $_;\n" } 1 .. 25);
{
	local $ENV{PGAPPNAME} = 'orders-api';
	$node->safe_psql('postgres', $loop);
	$node->safe_psql('postgres', $separate);
}
is($node->safe_psql('postgres', q{
	SELECT application_name || ' ' || transactions || ' ' || worst_per_transaction || ' ' || query
	  FROM lifeguard.n_plus_one}),
	'orders-api 1 25 SELECT count(*) FROM t_1 WHERE parent_id = $1',
	'the loop is reported under its application, the separate transactions are not');

# a plain role sees the finding but not another role's text
$node->safe_psql('postgres', 'CREATE ROLE reader LOGIN');
{
	local $ENV{PGUSER} = 'reader';
	is($node->safe_psql('postgres', 'SELECT query FROM lifeguard.n_plus_one'),
		'<insufficient privilege>', 'text hidden from other roles');
}

# sampling at 100 % records the filter that an index would serve
$node->safe_psql('postgres', q{
	SET lifeguard.predicate_sample_rate = 1;
	SELECT count(*) FROM t_3 WHERE name = 'x';
});
is($node->safe_psql('postgres', q{
	SELECT executions || ' ' || index_used FROM lifeguard.predicate_stats
	 WHERE table_name = 't_3'::regclass AND column_name = 'name'}),
	'1 false', 'sampled predicate recorded');

# a statement sampled from a role's own connection is planned as that role
# when a superuser reads index_advice; the function it calls reports who
# runs it
$node->safe_psql('postgres', q{
	CREATE ROLE app_author LOGIN;
	CREATE SCHEMA app AUTHORIZATION app_author;
	ALTER ROLE app_author SET search_path = app;
	ALTER SYSTEM SET lifeguard.predicate_sample_rate = 1;
	SELECT pg_reload_conf();
	SELECT lifeguard.reset_predicate_stats();
});
{
	local $ENV{PGUSER} = 'app_author';
	$node->safe_psql('postgres', q{
		CREATE TABLE orders (id int, status int);
		INSERT INTO orders SELECT g, g % 50 FROM generate_series(1, 50000) g;
		ANALYZE orders;
		CREATE FUNCTION whoami() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
		BEGIN
			RAISE NOTICE 'whoami: current_user %, session_user %', current_user, session_user;
			RETURN 1;
		END
		$$;
	});
	$node->safe_psql('postgres',
		'SELECT count(*) FROM orders WHERE status = 7 AND whoami() = 1');
}
$node->safe_psql('postgres', q{
	ALTER SYSTEM RESET lifeguard.predicate_sample_rate;
	SELECT pg_reload_conf();
});
my ($stdout, $stderr) = ('', '');
$node->psql('postgres',
	"SELECT statement FROM lifeguard.index_advice WHERE kind = 'workload'",
	stdout => \$stdout, stderr => \$stderr);
is($stdout, 'CREATE INDEX CONCURRENTLY ON app.orders USING btree (status)',
	"the author's statement is advised on, with the author's search_path");
like($stderr, qr/whoami: current_user app_author, session_user postgres/,
	'its function runs as its author');
unlike($stderr, qr/whoami: current_user postgres/, 'never as the reader');

# a nested advise_indexes (a folded function calling it) leaves the server up
my ($rc, $out, $err) = $node->psql('postgres', q{
	CREATE FUNCTION pg_temp.nested() RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
	BEGIN
		RETURN cardinality(index_statements)
		  FROM lifeguard.advise_indexes('SELECT * FROM t_3 WHERE name = ''x''');
	END
	$$;
	SELECT index_statements FROM lifeguard.advise_indexes(
		'SELECT * FROM t_2 WHERE name = ''y'' AND id > pg_temp.nested()');
});
is($rc, 0, 'nested advise_indexes answers') or diag($err);
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still up');

# a rate from the server's configuration, taken at a reload: a backend's
# first statement is sampled with that probability (decided by comparing
# integers with a threshold the postmaster keeps for the rate set), as
# every later one is.  One statement in each of 120 connections at 0.5: a
# count outside 30..90 has a probability below 1e-7, and a first statement
# always or never sampled gives 120 or 0.
$node->append_conf('postgresql.conf', 'lifeguard.predicate_sample_rate = 0.5');
$node->reload;
$node->poll_query_until('postgres', 'SHOW lifeguard.predicate_sample_rate', '0.5')
  or die 'the reload did not reach new backends';
$node->safe_psql('postgres', 'SELECT lifeguard.reset_predicate_stats()');
$node->safe_psql('postgres', q{SELECT count(*) FROM t_2 WHERE name = 'z'}) for 1 .. 120;
my $sampled = $node->safe_psql('postgres', q{
	SELECT coalesce(sum(executions), 0) FROM lifeguard.predicate_stats
	 WHERE table_name = 't_2'::regclass AND column_name = 'name'});
ok($sampled >= 30 && $sampled <= 90,
	"first statements sampled at the configured rate ($sampled of 120)");

ok(!$node->log_contains('TRAP|\(PID \d+\) was terminated by signal'), 'no crash');
$node->stop;
done_testing();
