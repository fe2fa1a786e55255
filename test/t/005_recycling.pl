# Recycling of aged and idle backends: timing, safety, dry run, events,
# and no transaction interrupted mid-way under a short max_age.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('recycling');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '1s'
max_connections = 60
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_lifeguard;
CREATE ROLE app LOGIN;
GRANT pg_read_all_stats TO app;
SELECT lifeguard.set_quota('old', 5, 10, max_age => '3 s');
});

# open a session as role app and application "old", idle by default
sub session
{
	my ($app) = @_;
	local $ENV{PGAPPNAME} = $app;
	local $ENV{PGUSER} = 'app';
	return $node->background_psql('postgres', on_error_stop => 0);
}

sub event_count
{
	my ($kind, $app) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.events WHERE kind = '$kind' AND application_name = '$app'");
}

# --- an idle connection is recycled between 3 and 5 s after connecting
my $idle = session('old');
my $idle_pid = $idle->query_safe('SELECT pg_backend_pid()');
my $t0 = time();

# a busy one and one idle in transaction must survive
my $busy = session('old');
my $busy_pid = $busy->query_safe('SELECT pg_backend_pid()');
$busy->query_until(qr/^$/, "SELECT pg_sleep(10);\n");
my $inxact = session('old');
my $inxact_pid = $inxact->query_safe('SELECT pg_backend_pid()');
$inxact->query_safe('BEGIN; SELECT 1;');

ok( $node->poll_query_until('postgres',
		"SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $idle_pid)"),
	'idle connection past max_age was ended');
my $elapsed = time() - $t0;
cmp_ok($elapsed, '>=', 2.9, "not before max_age ($elapsed s)");
cmp_ok($elapsed, '<=', 5.5, "within two naptimes of max_age ($elapsed s)");

my $age = $node->safe_psql('postgres',
	"SELECT (detail->>'connection_age_s')::float FROM lifeguard.events
	  WHERE kind = 'recycled_age' AND pid = $idle_pid");
ok($age ne '' && $age >= 3 && $age <= 5, "event records the age ($age s)");

# give the worker two more cycles: the busy and in-transaction ones stay
sleep(2);
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE pid IN ($busy_pid, $inxact_pid)"),
	'2', 'a running query and an open transaction are never recycled');
is($node->safe_psql('postgres',
		"SELECT recycle_reason FROM lifeguard.backends WHERE pid = $busy_pid"),
	'', 'a busy backend has no recycle reason');
ok($node->safe_psql('postgres',
		"SELECT recycle_at IS NOT NULL FROM lifeguard.backends WHERE pid = $busy_pid") eq 't',
	'but shows when it became eligible');

# the transaction, once committed, leaves an idle and aged session: recycled
$inxact->query_safe('COMMIT;');
ok( $node->poll_query_until('postgres',
		"SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $inxact_pid)"),
	'after COMMIT the aged session is recycled');
$idle->quit;
$inxact->quit;
$busy->quit;

# --- idle in transaction only when configured
$node->safe_psql('postgres',
	"SELECT lifeguard.set_quota('leaky', 5, 10, idle_in_transaction_timeout => '2 s')");
my $leak = session('leaky');
my $leak_pid = $leak->query_safe('SELECT pg_backend_pid()');
$leak->query_safe('BEGIN; SELECT 1;');
ok( $node->poll_query_until('postgres',
		"SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $leak_pid)"),
	'idle in transaction past its timeout is recycled');
is(event_count('recycled_idle_in_transaction', 'leaky'), '1', 'and recorded');
$leak->quit;

# --- idle_timeout with min_idle: two of three idle connections stay
$node->safe_psql('postgres',
	"SELECT lifeguard.set_quota('floor', 5, 10, idle_timeout => '1 s', min_idle => 2)");
my @floor = map { session('floor') } 1 .. 3;
ok( $node->poll_query_until('postgres',
		"SELECT recycled = 1 FROM lifeguard.pool_stats WHERE application_name = 'floor'"),
	'one idle connection recycled');
sleep(2.5);
is( $node->safe_psql('postgres',
		"SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'floor'"),
	'2', 'min_idle keeps two');
$_->quit for @floor;

# --- dry run: nothing ends, events say what would have been done
$node->safe_psql('postgres', q{
ALTER SYSTEM SET lifeguard.dry_run = on;
SELECT pg_reload_conf();
});
my $dry = session('old');
my $dry_pid = $dry->query_safe('SELECT pg_backend_pid()');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM lifeguard.events WHERE pid = $dry_pid AND detail @> '{\"dry_run\": true}'"),
	'dry run records the recycle it would do');
sleep(2);
is( $node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $dry_pid"),
	'1', 'dry run ends nothing');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.events WHERE pid = $dry_pid"),
	'1', 'and records it once');
$dry->quit;
$node->safe_psql('postgres', q{
ALTER SYSTEM RESET lifeguard.dry_run;
SELECT pg_reload_conf();
});

# --- manual recycling: permissions and effect
my $victim = session('manual');
my $victim_pid = $victim->query_safe('SELECT pg_backend_pid()');
$node->safe_psql('postgres', 'CREATE ROLE stranger LOGIN');
my ($ret, $out, $err) = $node->psql('postgres',
	"SET ROLE stranger; SELECT lifeguard.recycle($victim_pid)");
like($err, qr/permission denied to recycle process/, 'a stranger may not recycle');
is($node->safe_psql('postgres', "SELECT lifeguard.recycle($victim_pid)"), 't',
	'a superuser recycles an idle session');
is(event_count('recycled_manual', 'manual'), '1', 'manual recycle recorded');

# --- 20 clients in a transaction loop under max_age 1 s: no transaction cut
$node->safe_psql('postgres', q{
CREATE TABLE ledger (client int, seq int, part int);
GRANT INSERT ON ledger TO app;
SELECT lifeguard.set_quota('loop', 20, 30, max_age => '1 s');
ALTER SYSTEM SET lifeguard.naptime = '200ms';
SELECT pg_reload_conf();
});
my $script = $node->basedir . '/loop.sql';
open(my $fh, '>', $script) or die;
print $fh "\\set seq random(1, 1000000000)\n";
print $fh "BEGIN;\n";
print $fh "INSERT INTO ledger VALUES (:client_id, :seq, 1);\n";
print $fh "SELECT pg_sleep(0.002);\n";
print $fh "INSERT INTO ledger VALUES (:client_id, :seq, 2);\n";
print $fh "COMMIT;\n";
# Gaps of 1 to 60 ms: the short ones race the worker's signal against the
# client's next BEGIN; the long ones outlast lifeguard.recycle_min_idle
# (20 ms), so recycling is certain to happen while the load runs.
print $fh "\\set pause random(1, 60)\n";
print $fh "\\sleep :pause ms\n";
close $fh;
my $before = $node->safe_psql('postgres',
	"SELECT coalesce(sum(recycled), 0) FROM lifeguard.pool_stats WHERE application_name = 'loop'");
{
	local $ENV{PGAPPNAME} = 'loop';
	local $ENV{PGUSER} = 'app';
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	# clients whose connection is recycled between transactions stop; that is fine
	IPC::Run::run([ 'pgbench', '-n', '-f', $script, '-c', '20', '-j', '2', '-T', '8', 'postgres' ],
		'>', \my $bout, '2>', \my $berr);
}
my $recycled = $node->safe_psql('postgres',
	"SELECT coalesce(sum(recycled), 0) - $before FROM lifeguard.pool_stats WHERE application_name = 'loop'");
cmp_ok($recycled, '>', 0, "connections were recycled under load ($recycled)");
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM (SELECT client, seq FROM ledger GROUP BY 1, 2 HAVING count(*) <> 2) t"),
	'0', 'every transaction committed whole or not at all');
cmp_ok($node->safe_psql('postgres', 'SELECT count(*) FROM ledger'), '>', 100,
	'the load ran');

ok(!$node->log_contains('TRAP|\(PID \d+\) was terminated by signal'),
	'no crash in the log');
$node->stop;
done_testing();
