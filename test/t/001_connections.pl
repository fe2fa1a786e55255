# Per-application counting: idle sessions, renamed sessions, churn with no
# leaked slot, visibility for unprivileged roles, walsenders not counted.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('connections');
$node->init(allows_streaming => 1);
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
CREATE ROLE watcher LOGIN;
});

sub session
{
	my ($app, $user) = @_;
	local $ENV{PGAPPNAME} = $app;
	local $ENV{PGUSER} = $user // 'app';
	return $node->background_psql('postgres');
}

sub stat_of
{
	my ($app, $cols) = @_;
	return $node->safe_psql('postgres',
		"SELECT $cols FROM lifeguard.pool_stats WHERE application_name = '$app'");
}

# 5 idle sessions as alpha, 3 as beta
my @alpha = map { session('alpha') } 1 .. 5;
my @beta = map { session('beta') } 1 .. 3;
is(stat_of('alpha', 'connections, opened'), '5|5', 'alpha: 5 connections, 5 opened');
is(stat_of('beta', 'connections, opened'), '3|3', 'beta: 3 connections, 3 opened');
ok( $node->poll_query_until('postgres',
		"SELECT idle = 5 FROM lifeguard.pool_stats WHERE application_name = 'alpha'"),
	'worker sees 5 idle alpha sessions');
ok( $node->poll_query_until('postgres',
		"SELECT idle = 3 AND active = 0 FROM lifeguard.pool_stats WHERE application_name = 'beta'"),
	'worker sees 3 idle beta sessions');
ok( $node->poll_query_until('postgres',
		"SELECT oldest_connection > '0' AND longest_idle > '0' FROM lifeguard.pool_stats WHERE application_name = 'alpha'"),
	'oldest connection and longest idle are measured');

# SET application_name does not move a session
$beta[0]->query_safe("SET application_name = 'other'");
is($node->safe_psql('postgres',
		"SELECT application_name || '/' || current_application_name FROM lifeguard.backends WHERE current_application_name = 'other'"),
	'beta/other', 'backends shows connect-time and current names');
is(stat_of('beta', 'connections'), '3', 'renamed session still counts under beta');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name = 'other'"),
	'0', 'no application "other" appears');

# a role without pg_read_all_stats sees others' backends without state
is($node->safe_psql('postgres', q{
SET ROLE watcher;
SELECT count(*) FILTER (WHERE state IS NULL) = count(*) AND count(*) >= 8
  FROM lifeguard.backends WHERE application_name IN ('alpha', 'beta')}),
	't', 'state hidden from roles without pg_read_all_stats');
my ($ret, $out, $err) = $node->psql('postgres', 'SET ROLE watcher; SELECT * FROM lifeguard.pool_stats');
like($err, qr/permission denied for view pool_stats/, 'pool_stats needs pg_monitor');
$node->safe_psql('postgres', 'GRANT pg_monitor TO watcher');
is($node->safe_psql('postgres', q{
SET ROLE watcher;
SELECT count(*) FILTER (WHERE state IS NOT NULL) FROM lifeguard.backends WHERE application_name = 'alpha'}),
	'5', 'pg_monitor members see the state');

$_->quit for @alpha, @beta;
ok( $node->poll_query_until('postgres',
		"SELECT sum(connections) = 0 FROM lifeguard.pool_stats WHERE application_name IN ('alpha', 'beta')"),
	'all disconnected');
is(stat_of('alpha', 'connections, closed'), '0|5', 'alpha: 0 connections, 5 closed');
is(stat_of('beta', 'connections, closed'), '0|3', 'beta: 0 connections, 3 closed');

# churn: 50 connect/disconnect cycles from 10 concurrent clients
my $script = $node->basedir . '/one.sql';
open(my $fh, '>', $script) or die;
print $fh "SELECT 1;\n";
close $fh;
{
	local $ENV{PGAPPNAME} = 'churn';
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	my ($o, $e);
	IPC::Run::run([ 'pgbench', '-n', '-C', '-f', $script, '-c', '10', '-j', '2', '-t', '5', 'postgres' ],
		'>', \$o, '2>', \$e) or diag($e);
}
ok( $node->poll_query_until('postgres',
		"SELECT connections = 0 FROM lifeguard.pool_stats WHERE application_name = 'churn'"),
	'churn: no connection left');
# pgbench -C opens one extra connection of its own before the run
is(stat_of('churn', 'opened = closed AND opened BETWEEN 50 AND 51'), 't',
	'churn: every opened connection closed (' . stat_of('churn', 'opened') . ')');
is($node->safe_psql('postgres', q{
SELECT (SELECT used FROM lifeguard.server_usage) =
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')}),
	't', 'used equals the client backends in pg_stat_activity: no leaked slot');

# a replication connection is not a client connection
my ($rret, $rout, $rerr) = $node->psql('postgres', 'IDENTIFY_SYSTEM',
	extra_params => [ '-d', $node->connstr('postgres') . ' replication=database application_name=walsender_app' ]);
is($rret, 0, 'replication connection works');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name = 'walsender_app'"),
	'0', 'walsender not counted');

$node->stop;
done_testing();
