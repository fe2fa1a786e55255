# lifeguard.max_applications reached: new names share the overflow entry,
# the log says so once, and counts stay exact.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('overflow');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.max_applications = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');

# 30 distinct application names, one short session each
for my $i (1 .. 30)
{
	$node->psql('postgres', 'SELECT 1',
		extra_params => [ '-d', $node->connstr('postgres') . " application_name=app$i" ]);
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM lifeguard.pool_stats WHERE application_name IS NOT NULL'),
	'16', 'the table holds max_applications entries');
my $overflow = $node->safe_psql('postgres',
	'SELECT opened FROM lifeguard.pool_stats WHERE application_name IS NULL');
cmp_ok($overflow, '>=', 14, "the rest share the overflow entry ($overflow logins)");
is($node->safe_psql('postgres', q{
SELECT sum(opened) FILTER (WHERE application_name LIKE 'app%' OR application_name IS NULL)
  FROM lifeguard.pool_stats}), '30', 'every login counted exactly once');
my $lines = () = slurp_file($node->logfile) =~ /application table is full/g;
is($lines, 1, 'one log line');

# reset forgets idle applications and makes room again
$node->safe_psql('postgres', 'SELECT lifeguard.reset_stats()');
$node->psql('postgres', 'SELECT 1',
	extra_params => [ '-d', $node->connstr('postgres') . ' application_name=fresh' ]);
is($node->safe_psql('postgres',
		"SELECT opened FROM lifeguard.pool_stats WHERE application_name = 'fresh'"),
	'1', 'after reset_stats a new application gets its own entry');

$node->stop;
done_testing();
