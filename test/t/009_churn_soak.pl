# Churn soak, bounded to about half a minute: four applications with
# quotas and 1 s recycling, connection churn from pgbench -C, steady
# pgbench clients and long-held sessions.  Afterwards the server and the
# worker are alive, nothing crashed, opened - closed = connections for every
# application, and no slot is left once everyone has disconnected.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use IPC::Run;
use Test::More;

my $secs = 20;
my $node = PostgreSQL::Test::Cluster->new('soak');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '200ms'
max_connections = 80
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_lifeguard;
CREATE ROLE app LOGIN;
SELECT lifeguard.set_quota('churn-a', 6, 12, max_age => '1 s');
SELECT lifeguard.set_quota('churn-b', 6, 12, idle_timeout => '1 s');
SELECT lifeguard.set_quota('steady', 4, 8, max_age => '1 s');
SELECT lifeguard.set_quota('held', 2, 4, max_age => '1 s');
});
$node->command_ok([ 'pgbench', '-i', '-s', '1', '-q', '-d', $node->connstr('postgres') ],
	'pgbench tables');
$node->safe_psql('postgres',
	'GRANT SELECT ON pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history TO app');

my $cycles0 = $node->safe_psql('postgres', 'SELECT cycles FROM lifeguard.worker_status');
my $conn = $node->connstr('postgres') . ' user=app';

my @jobs;
sub start_job
{
	my ($app, @cmd) = @_;
	my ($out, $err) = ('', '');
	push @jobs,
	  [ $app, IPC::Run::start([ 'env', "PGAPPNAME=$app", @cmd ], '>', \$out, '2>', \$err), \$out ];
}
# churn: a new connection per transaction
start_job('churn-a', 'pgbench', '-n', '-C', '-S', '-c', '3', '-T', $secs, '-d', $conn);
start_job('churn-b', 'pgbench', '-n', '-C', '-S', '-c', '2', '-T', $secs, '-d', $conn);
# steady clients: back to back, recycled only when the machine stalls one
start_job('steady', 'pgbench', '-n', '-S', '-c', '2', '-T', $secs, '-d', $conn);
# long-held sessions: running a query the whole time, never recycled
for (1 .. 2)
{
	start_job('held', 'psql', '-X', '-d', $conn, '-c', "SELECT pg_sleep($secs)");
}

# while it runs: the books balance on every sample
my $mismatch = 0;
for (1 .. $secs)
{
	sleep 1;
	$mismatch += $node->safe_psql('postgres', q{
		SELECT count(*) FROM lifeguard.pool_stats
		 WHERE application_name IN ('churn-a', 'churn-b', 'steady', 'held')
		   AND opened - closed <> connections});
}
$_->[1]->finish for @jobs;
is($mismatch, 0, 'opened - closed = connections on every sample during the churn');

my $churned = $node->safe_psql('postgres',
	q{SELECT sum(opened) FROM lifeguard.pool_stats WHERE application_name LIKE 'churn-%'});
cmp_ok($churned, '>', 50, "churn opened $churned connections");
note($node->safe_psql('postgres', q{
	SELECT string_agg(format('%s: opened %s closed %s rejected %s recycled %s', application_name,
	                         opened, closed, rejected, recycled), '; ')
	  FROM lifeguard.pool_stats WHERE application_name IN ('churn-a', 'churn-b', 'steady', 'held')}));

# everyone is gone: no slot is left behind
ok( $node->poll_query_until('postgres', q{
		SELECT coalesce(sum(connections), 0) = 0 FROM lifeguard.pool_stats
		 WHERE application_name IN ('churn-a', 'churn-b', 'steady', 'held')}),
	'no connection counted after everyone disconnected');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM lifeguard.pool_stats
	 WHERE application_name IN ('churn-a', 'churn-b', 'steady', 'held')
	   AND opened - closed <> connections}),
	'0', 'opened - closed = connections for every application at the end');
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM lifeguard.backends)
	     = (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')}),
	't', 'every counted slot belongs to a live client backend');

# server and worker alive, nothing crashed
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server alive');
ok( $node->poll_query_until('postgres',
		"SELECT cycles > $cycles0 AND last_error IS NULL FROM lifeguard.worker_status"),
	'worker alive and cycling without error');
ok(!$node->log_contains('terminated by signal|TRAP:|PANIC'), 'no crash in the log');
$node->stop;
done_testing();
