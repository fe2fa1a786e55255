# Per-application counting: idle sessions and their gauges, a session that
# renames itself, no leaked slot after churn or after logins the server
# refuses once authentication is over, walsenders not counted, and what a
# role without pg_monitor may see.
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
CREATE ROLE limited LOGIN CONNECTION LIMIT 1;
});

# an idle psql session of role $user (default app) as application $app
sub session
{
	my ($app, $user) = @_;
	local $ENV{PGAPPNAME} = $app;
	local $ENV{PGUSER} = $user // 'app';
	return $node->background_psql('postgres');
}

# columns of one application's pool_stats row, '|'-separated
sub stat_of
{
	my ($app, $cols) = @_;
	return $node->safe_psql('postgres',
		"SELECT $cols FROM lifeguard.pool_stats WHERE application_name = '$app'");
}

# a connection string for role $user and application $app
sub conn
{
	my ($app, $user, $db) = @_;
	return $node->connstr($db // 'postgres') . " user=$user application_name=$app";
}

# every live counted backend has a slot, and no slot outlives its backend
sub no_leak_query
{
	return q{
SELECT (SELECT used FROM lifeguard.server_usage) =
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')
   AND (SELECT used FROM lifeguard.server_usage) =
       (SELECT sum(connections) FROM lifeguard.pool_stats)
   AND (SELECT used FROM lifeguard.server_usage) =
       (SELECT count(*) FROM lifeguard.backends)};
}

# --- 5 idle sessions as alpha, 3 as beta
my @alpha = map { session('alpha') } 1 .. 5;
my @beta = map { session('beta') } 1 .. 3;

# counting happens at login, so it is exact at once
is(stat_of('alpha', 'connections, opened, closed'), '5|5|0', 'alpha: 5 connections, 5 opened');
is(stat_of('beta', 'connections, opened, closed'), '3|3|0', 'beta: 3 connections, 3 opened');
# the gauges are the worker's, within a few naptimes
ok( $node->poll_query_until('postgres', q{
SELECT idle = 5 AND active = 0 AND idle_in_transaction = 0
  FROM lifeguard.pool_stats WHERE application_name = 'alpha'}),
	'worker sees 5 idle alpha sessions');
ok( $node->poll_query_until('postgres', q{
SELECT idle = 3 AND active = 0 AND idle_in_transaction = 0
  FROM lifeguard.pool_stats WHERE application_name = 'beta'}),
	'worker sees 3 idle beta sessions');
is($node->safe_psql('postgres', q{
SELECT count(*) FILTER (WHERE application_name = 'alpha') || '/' ||
       count(*) FILTER (WHERE application_name = 'beta')
  FROM pg_stat_activity WHERE backend_type = 'client backend'}),
	'5/3', 'pg_stat_activity agrees');

# an idle-in-transaction session moves between gauges
$alpha[0]->query_safe('BEGIN');
$alpha[0]->query_safe('SELECT 1');
ok( $node->poll_query_until('postgres', q{
SELECT idle = 4 AND idle_in_transaction = 1
  FROM lifeguard.pool_stats WHERE application_name = 'alpha'}),
	'an open transaction shows as idle in transaction');
$alpha[0]->query_safe('COMMIT');
ok( $node->poll_query_until('postgres', q{
SELECT idle = 5 AND idle_in_transaction = 0
  FROM lifeguard.pool_stats WHERE application_name = 'alpha'}),
	'and as idle again after COMMIT');

# --- SET application_name does not move a session
my $renamed_pid = $beta[0]->query_safe('SELECT pg_backend_pid()');
$beta[0]->query_safe("SET application_name = 'other'");
is($node->safe_psql('postgres',
		"SELECT application_name || '/' || current_application_name FROM lifeguard.backends WHERE pid = $renamed_pid"),
	'beta/other', 'backends shows the connect-time and the current name');
is($node->safe_psql('postgres',
		"SELECT application_name FROM pg_stat_activity WHERE pid = $renamed_pid"),
	'other', 'pg_stat_activity shows the new name');
is(stat_of('beta', 'connections, opened'), '3|3', 'the renamed session still counts under beta');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name = 'other'"),
	'0', 'no application "other" appears');
ok( $node->poll_query_until('postgres', q{
SELECT idle = 3 FROM lifeguard.pool_stats WHERE application_name = 'beta'}),
	'its idle state is still counted under beta');

# --- what a role without pg_monitor sees
my ($ret, $out, $err) = $node->psql('postgres', q{
SELECT count(*) FILTER (WHERE usename = 'app') || '/' ||
       count(state) FILTER (WHERE usename = 'app') || '/' ||
       count(backend_start) FILTER (WHERE usename = 'app') || '/' ||
       count(*) FILTER (WHERE usename = 'watcher' AND state = 'active')
  FROM lifeguard.backends},
	extra_params => [ '-U', 'watcher' ]);
is($ret, 0, 'a role without pg_monitor may read lifeguard.backends');
is($out, '8/0/0/1',
	"it sees the other role's 8 backends with state and times hidden, and its own with state");
($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT * FROM lifeguard.pool_stats",
	extra_params => [ '-U', 'watcher' ]);
isnt($ret, 0, 'it may not read pool_stats');
like($err, qr/ERROR:  42501: permission denied for view pool_stats/, 'refused with SQLSTATE 42501');
$node->safe_psql('postgres', 'GRANT pg_monitor TO watcher');
($ret, $out, $err) = $node->psql('postgres', q{
SELECT (SELECT count(state) FROM lifeguard.backends WHERE usename = 'app') || '/' ||
       (SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'alpha')},
	extra_params => [ '-U', 'watcher' ]);
is($out, '8/5', 'a member of pg_monitor sees the state and pool_stats');
$node->safe_psql('postgres', 'REVOKE pg_monitor FROM watcher');

# --- disconnects
$_->quit for @alpha, @beta;
ok( $node->poll_query_until('postgres', q{
SELECT sum(connections) = 0 FROM lifeguard.pool_stats WHERE application_name IN ('alpha', 'beta')}),
	'all alpha and beta sessions gone');
is(stat_of('alpha', 'connections, opened, closed'), '0|5|5', 'alpha: 0 connections, 5 closed');
is(stat_of('beta', 'connections, opened, closed'), '0|3|3', 'beta: 0 connections, 3 closed');
ok( $node->poll_query_until('postgres', q{
SELECT sum(idle) = 0 FROM lifeguard.pool_stats WHERE application_name IN ('alpha', 'beta')}),
	'and the idle gauges drop to 0');

# --- logins refused by the server after authentication release their slot
my $held = session('limited', 'limited');
is(stat_of('limited', 'connections'), '1', 'one session of a role with CONNECTION LIMIT 1');
($ret, $out, $err) = $node->psql('postgres', '',
	extra_params => [ '-d', conn('limited', 'limited'), '-c', 'SELECT 1' ]);
like($err, qr/too many connections for role "limited"/, 'a second one is refused by the role limit');
($ret, $out, $err) = $node->psql('postgres', '',
	extra_params => [ '-d', conn('ghost', 'app', 'no_such_database'), '-c', 'SELECT 1' ]);
like($err, qr/database "no_such_database" does not exist/, 'a login to a missing database fails');
ok( $node->poll_query_until('postgres', q{
SELECT connections = 1 AND opened = 2 AND closed = 1
  FROM lifeguard.pool_stats WHERE application_name = 'limited'}),
	'the refused login was counted and released');
ok( $node->poll_query_until('postgres', q{
SELECT connections = 0 AND opened = 1 AND closed = 1
  FROM lifeguard.pool_stats WHERE application_name = 'ghost'}),
	'so was the login to a missing database');
$held->quit;

# --- churn: 50 connects and disconnects, 10 clients at a time
{
	local $ENV{CHURN_CONN} = conn('churn', 'app');
	my @lanes = map {
		IPC::Run::start(
			[ 'sh', '-c',
			  'for i in 1 2 3 4 5; do psql -X -q -d "$CHURN_CONN" -c "SELECT 1" >/dev/null || exit 1; done' ],
			'>', \my $o, '2>', \my $e)
	} 1 .. 10;
	my $failed = 0;
	for my $h (@lanes)
	{
		$h->finish;
		$failed++ if $h->result;
	}
	is($failed, 0, 'all 50 churn logins succeeded');
}
ok( $node->poll_query_until('postgres',
		"SELECT connections = 0 FROM lifeguard.pool_stats WHERE application_name = 'churn'"),
	'churn: no connection left');
is(stat_of('churn', 'opened, closed'), '50|50', 'churn: 50 opened and 50 closed');

# the same with pgbench -C: a new connection for every transaction
my $script = $node->basedir . '/select1.sql';
open(my $fh, '>', $script) or die "could not write $script: $!";
print $fh "SELECT 1;\n";
close $fh;
{
	my ($o, $e);
	my $ok = IPC::Run::run(
		[ 'pgbench', '-n', '-C', '-c', '10', '-j', '2', '-t', '20', '-f', $script,
		  '-d', conn('churn_pgbench', 'app') ],
		'>', \$o, '2>', \$e);
	ok($ok, 'pgbench -C ran') or diag($e);
	like($o, qr/number of transactions actually processed: 200\/200/, 'pgbench made 200 transactions');
}
ok( $node->poll_query_until('postgres',
		"SELECT connections = 0 FROM lifeguard.pool_stats WHERE application_name = 'churn_pgbench'"),
	'pgbench churn: no connection left');
# pgbench opens one connection of its own before the run
is(stat_of('churn_pgbench', 'opened = closed, opened'), 't|201',
	'pgbench churn: 201 opened, all closed');

ok($node->poll_query_until('postgres', no_leak_query()),
	'server_usage.used equals the client backends in pg_stat_activity, the pool_stats total and the backends rows');

# --- a replication connection is not a client connection
my $walsender;
{
	local $ENV{PGAPPNAME} = 'walsender_app';
	$walsender = $node->background_psql('postgres', replication => 'database');
}
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender' AND application_name = 'walsender_app'"),
	'1', 'a walsender is connected');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name = 'walsender_app'"),
	'0', 'it is not counted');
is($node->safe_psql('postgres', no_leak_query()), 't', 'nor in server_usage.used');
$walsender->quit;

$node->stop;
done_testing();
