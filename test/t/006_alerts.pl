# Alerts before exhaustion: WARNING in the log, NOTIFY to a listener, a row
# in lifeguard.alerts, cleared once below the clear threshold.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

my $node = PostgreSQL::Test::Cluster->new('alerts');
$node->init;
# usable = 23 - 3 = 20: the alert fires at 16 connections, clears below 14
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '100ms'
max_connections = 23
lifeguard.alert_threshold = 0.8
lifeguard.alert_clear_threshold = 0.7
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');

my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN lifeguard_alert');

# 15 more sessions: with the listener that is 16 = 80 %
my @held;
push @held, $node->background_psql('postgres') for 1 .. 15;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM lifeguard.alerts WHERE scope = 'server'"),
	'server alert raised at 80 %');
ok($node->wait_for_log(qr/WARNING:  connection utilization \d+% reached the alert threshold of 80%/),
	'WARNING in the log');

# the listener receives the notification with a command it runs once the
# worker committed (bounded wait)
my $seen = '';
for (1 .. 50)
{
	$seen .= $listener->query_safe('SELECT 1') . $listener->{stdout};
	last if $seen =~ /lifeguard_alert/;
	sleep(0.1);
}
like($seen, qr/Asynchronous notification "lifeguard_alert" with payload "\{"kind": "alert_raised", "scope": "server"/,
	'listener got NOTIFY lifeguard_alert with a JSON payload');
my $payload = $node->safe_psql('postgres',
	"SELECT detail->>'scope' FROM lifeguard.events WHERE kind = 'alert_raised'");
is($payload, 'server', 'alert_raised event recorded');

# fall to 75 %: still above the clear threshold, the alert stays
$_->quit for splice(@held, 0, 1);
sleep(1);
is($node->safe_psql('postgres', 'SELECT count(*) FROM lifeguard.alerts'), '1',
	'no flapping between the thresholds');

# fall well below: cleared, once
$_->quit for splice(@held, 0, 6);
ok( $node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM lifeguard.alerts'),
	'alert cleared below 70 %');
sleep(1);
is( $node->safe_psql('postgres',
		"SELECT string_agg(kind, ',' ORDER BY at) FROM lifeguard.events WHERE kind LIKE 'alert%'"),
	'alert_raised,alert_cleared', 'raised once and cleared once');

# an application alert at 90 % of its hard limit (server well below 80 %)
$_->quit for @held;
@held = ();
$node->safe_psql('postgres', "CREATE ROLE app LOGIN; SELECT lifeguard.set_quota('near', 5, 10)");
my @near;
{
	local $ENV{PGAPPNAME} = 'near';
	local $ENV{PGUSER} = 'app';
	push @near, $node->background_psql('postgres') for 1 .. 9;
}
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM lifeguard.alerts WHERE application_name = 'near'"),
	'application alert at 90 % of its hard limit');
is($node->safe_psql('postgres', 'SELECT status || $$ $$ || reasons::text FROM lifeguard.health()'),
	'warn {"1 active alerts"}',
	'health() says warn with an active alert');
$_->quit for @near;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM lifeguard.alerts WHERE application_name = 'near'"),
	'application alert cleared');
is($node->safe_psql('postgres', 'SELECT status FROM lifeguard.health()'), 'ok',
	'health() back to ok');

$_->quit for @held;
$listener->quit;
$node->stop;
done_testing();
