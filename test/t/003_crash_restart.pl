# kill -9 of a client backend makes the postmaster crash-restart the
# server: shared memory is rebuilt, so no slot of a dead backend survives,
# new logins count from zero, and the quota rules hold again at once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '200ms'
restart_after_crash = on
max_connections = 40
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_lifeguard;
CREATE ROLE app LOGIN;
SELECT lifeguard.set_quota('crash', 3, 3);
});

my $connstr = $node->connstr('postgres') . ' user=app application_name=crash';

# an idle session of role app as application "crash"
sub session
{
	local $ENV{PGAPPNAME} = 'crash';
	local $ENV{PGUSER} = 'app';
	return $node->background_psql('postgres', on_error_stop => 0);
}

sub crash_stat
{
	my ($cols) = @_;
	return $node->safe_psql('postgres',
		"SELECT $cols FROM lifeguard.pool_stats WHERE application_name = 'crash'");
}

# --- three sessions fill the quota
my @before = map { session() } 1 .. 3;
is(crash_stat('connections, opened'), '3|3', 'three crash sessions counted');
my ($ret, $out, $err) = $node->psql('postgres', '', extra_params => [ '-d', $connstr, '-c', 'SELECT 1' ]);
like($err, qr/too many connections for application "crash"/, 'a fourth is refused');
ok( $node->poll_query_until('postgres',
		"SELECT idle = 3 FROM lifeguard.pool_stats WHERE application_name = 'crash'"),
	'the worker sees them idle');
my $worker_before = $node->safe_psql('postgres', 'SELECT pid FROM lifeguard.worker_status');

# --- kill -9 one of them
my $victim = $node->safe_psql('postgres',
	"SELECT min(pid) FROM lifeguard.backends WHERE application_name = 'crash'");
like($victim, qr/^\d+$/, "victim backend $victim");
my $offset = -s $node->logfile;
kill 'KILL', $victim;
ok($node->wait_for_log(qr/(?:server process|client backend) \(PID $victim\) was terminated by signal 9/, $offset),
	'the postmaster saw the backend die');
ok($node->wait_for_log(qr/all server processes terminated; reinitializing/, $offset),
	'and crash-restarted the server');
ok($node->poll_query_until('postgres', 'SELECT true'), 'the server accepts connections again');

# --- shared memory was rebuilt: nothing of the dead sessions is left
is($node->safe_psql('postgres', q{
SELECT coalesce(sum(connections), 0) || '/' || coalesce(sum(opened), 0)
  FROM lifeguard.pool_stats WHERE application_name = 'crash'}),
	'0/0', 'pool_stats shows no connection and no login of crash');
is($node->safe_psql('postgres', q{
SELECT (SELECT used FROM lifeguard.server_usage) =
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')}),
	't', 'server_usage.used equals the client backends in pg_stat_activity');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.backends WHERE application_name = 'crash'"),
	'0', 'no backends row of crash');
ok( $node->poll_query_until('postgres',
		"SELECT pid IS NOT NULL AND pid <> $worker_before AND cycles > 0 FROM lifeguard.worker_status"),
	'a new worker runs');
# the old psql processes lost their connections
for my $s (@before)
{
	eval { $s->quit };
}

# --- new logins count from zero, and the rule still holds
my @after = map { session() } 1 .. 2;
is(crash_stat('connections, opened'), '2|2', 'two new sessions: 2 connections, 2 opened');
ok( $node->poll_query_until('postgres',
		"SELECT idle = 2 FROM lifeguard.pool_stats WHERE application_name = 'crash'"),
	'the worker sees them idle');
push @after, session();
is(crash_stat('connections'), '3', 'a third one fits the quota of 3');
($ret, $out, $err) = $node->psql('postgres', '', extra_params => [ '-d', $connstr, '-c', 'SELECT 1' ]);
like($err, qr/too many connections for application "crash"/,
	'a fourth is refused: the rules came back with the new shared memory');
is(crash_stat('connections, rejected'), '3|1', 'the refusal did not take a place');

$_->quit for @after;
ok( $node->poll_query_until('postgres',
		"SELECT connections = 0 AND closed = 3 FROM lifeguard.pool_stats WHERE application_name = 'crash'"),
	'all closed: 0 connections, 3 closed');

$node->stop;
done_testing();
