# The application table: lifeguard.max_applications names without a rule,
# an entry reserved for every name that has one.  Idle names make room for
# new ones; only when every entry holds connections do new names share the
# overflow entry, which the log and an event report once.  Counts of live
# connections stay exact throughout.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('app_table');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.max_applications = 16
max_connections = 60
});
$node->start;
# the test's own sessions count under a name with a rule
$ENV{PGAPPNAME} = 'tap_admin';
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_lifeguard;
SELECT lifeguard.set_quota('tap_admin', 50, 50);
SELECT lifeguard.set_quota('reserved_app', 5, 5);
});
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name = 'reserved_app'"),
	'0', 'pool_stats does not list a reserved entry no client has used');

# 30 distinct names, one short session each: idle entries make room
for my $i (1 .. 30)
{
	local $ENV{PGAPPNAME} = "app$i";
	$node->safe_psql('postgres', 'SELECT 1');
}
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name LIKE 'app%'"),
	'16', 'the table keeps max_applications names without a rule');
is($node->safe_psql('postgres',
		"SELECT string_agg(application_name, ',' ORDER BY application_name) FROM lifeguard.pool_stats WHERE application_name IN ('app1', 'app30')"),
	'app30', 'the idle names evicted are the oldest');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name IS NULL"),
	'0', 'no overflow while idle entries can make room');

# 20 sessions held open under distinct names: 16 entries, then overflow
my @held;
for my $i (1 .. 20)
{
	local $ENV{PGAPPNAME} = "held$i";
	push @held, $node->background_psql('postgres', on_error_stop => 0);
}
is($node->safe_psql('postgres', q{
SELECT count(*) FILTER (WHERE application_name LIKE 'held%') || ' ' ||
       coalesce(sum(connections) FILTER (WHERE application_name IS NULL), 0)
  FROM lifeguard.pool_stats}), '16 4', 'sixteen entries, four sessions in the overflow entry');
is($node->safe_psql('postgres', q{
SELECT sum(connections) FROM lifeguard.pool_stats
 WHERE application_name LIKE 'held%' OR application_name IS NULL}),
	'20', 'every live connection counted exactly once');
# the reserved entry is there, full table or not: reserved_app counts under
# its own name
{
	local $ENV{PGAPPNAME} = 'reserved_app';
	$node->safe_psql('postgres', 'SELECT 1');
}
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name IN ('tap_admin', 'reserved_app')"),
	'2', 'names with a rule keep their entries, also when the table is full');
my $lines = () = slurp_file($node->logfile) =~ /application table is full/g;
is($lines, 1, 'one WARNING in the log');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.events WHERE kind = 'application_table_full'"),
	'1', 'one event');
$_->quit for @held;

# reset forgets idle applications (not those with a rule) and makes room
$node->poll_query_until('postgres',
	"SELECT coalesce(sum(connections), 0) = 0 FROM lifeguard.pool_stats WHERE application_name LIKE 'held%' OR application_name IS NULL");
$node->safe_psql('postgres', 'SELECT lifeguard.reset_stats()');
is($node->safe_psql('postgres',
		"SELECT string_agg(application_name, ',' ORDER BY application_name) FROM lifeguard.pool_stats"),
	'tap_admin', 'reset_stats keeps only names with a rule or a connection (listed once used)');
{
	local $ENV{PGAPPNAME} = 'fresh';
	$node->safe_psql('postgres', 'SELECT 1');
}
is($node->safe_psql('postgres',
		"SELECT opened FROM lifeguard.pool_stats WHERE application_name = 'fresh'"),
	'1', 'after reset_stats a new application gets its own entry');

$node->stop;
done_testing();
