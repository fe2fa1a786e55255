# Recycling of aged and idle backends: timing, safety, dry run, events,
# a message arriving in slow pieces is never cut, and under a short
# max_age no client fails inside a transaction.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use IO::Select;
use IO::Socket::UNIX;

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
	'recycled_age', 'a busy backend past max_age is asked to end at its next unit end');
ok($node->safe_psql('postgres',
		"SELECT recycle_at IS NOT NULL FROM lifeguard.backends WHERE pid = $busy_pid") eq 't',
	'but shows when it became eligible');

# once its COMMIT is answered, the aged session ends: this client is not
# a pool, so it sees the connection close right after the answer
$inxact->query_until(qr/^$/, "COMMIT;\n");
ok( $node->poll_query_until('postgres',
		"SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $inxact_pid)"),
	'after COMMIT the aged session is recycled');
ok($node->log_contains("\\[$inxact_pid\\] old LOG:  statement: COMMIT;"),
	'its COMMIT reached the server');
eval { $inxact->quit };
$idle->quit;
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

# --- a 1 MB query sent in slow pieces while a recycle is pending is answered
# A raw protocol client: startup, then a Query whose type byte is sent
# alone and whose body follows in 128 kB pieces with pauses, across the
# moment its connection passes max_age and the worker asks it to end.
sub raw_connect
{
	my ($app) = @_;
	my $sock = IO::Socket::UNIX->new(
		Type => SOCK_STREAM(),
		Peer => $node->host . '/.s.PGSQL.' . $node->port) or die "connect: $!";
	my $params = "user\0app\0database\0postgres\0application_name\0$app\0\0";
	print $sock pack('NN', 8 + length($params), 196608) . $params;
	my $buf = '';
	while ($buf !~ /Z\0\0\0\x05I$/)
	{
		my $n = sysread($sock, my $chunk, 65536);
		die "closed during startup" unless $n;
		$buf .= $chunk;
	}
	return $sock;
}

$node->safe_psql('postgres', q{
SELECT lifeguard.set_quota('slow', 5, 10, max_age => '1 s');
ALTER SYSTEM SET lifeguard.naptime = '100ms';
SELECT pg_reload_conf();
});
my $slow = raw_connect('slow');
my $query = "SELECT length('" . ('x' x (1 << 20)) . "')\0";
my $msg = 'Q' . pack('N', 4 + length($query)) . $query;
sleep(0.5);
syswrite($slow, substr($msg, 0, 1));
my $sent = 1;
my $asked = 0;
while ($sent < length($msg))
{
	sleep(0.2);
	my $n = syswrite($slow, substr($msg, $sent, 131072));
	last unless defined $n;
	$sent += $n;
	$asked ||= $node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.backends WHERE application_name = 'slow' AND recycle_reason = 'recycled_age'");
}
is($sent, length($msg), 'the whole query was sent');
my $answer = '';
while ($answer !~ /Z\0\0\0\x05I$/)
{
	my $n = sysread($slow, my $chunk, 65536);
	last unless $n;
	$answer .= $chunk;
}
like($answer, qr/1048576/, 'a query arriving in pieces past max_age is answered');
ok($asked, 'the connection was past max_age while the query arrived');
# and once it is idle again the connection is recycled
my $sel = IO::Select->new($slow);
my $eof = $sel->can_read(30) ? sysread($slow, my $rest, 1) : -1;
is($eof, 0, 'then the idle connection is closed without a message');
close($slow);

# --- lifeguard.recycle with the longest timeout returns when the backend ends
my $long = session('manual');
my $long_pid = $long->query_safe('SELECT pg_backend_pid()');
my $t1 = time();
is($node->safe_psql('postgres', "SELECT lifeguard.recycle($long_pid, 2147483647)"), 't',
	'recycle() with timeout_ms => 2147483647 returns true');
cmp_ok(time() - $t1, '<', 60, 'and returns once the backend has ended');
$long->quit;

# --- recycle_application(only_idle => false) ends busy backends too
my $busy2 = session('bulk');
my $busy2_pid = $busy2->query_safe('SELECT pg_backend_pid()');
$busy2->query_until(qr/^$/, "SELECT pg_sleep(60);\n");
is($node->safe_psql('postgres', "SELECT lifeguard.recycle_application('bulk', only_idle => false)"),
	'1', 'recycle_application(only_idle => false) signals the busy backend');
ok( $node->poll_query_until('postgres',
		"SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $busy2_pid)"),
	'and it ends');
eval { $busy2->quit };

# --- 20 clients in a transaction loop under max_age 1 s: every connection
# is recycled, and no client ever fails inside a transaction
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
print $fh "SELECT pg_sleep(0.02);\n";
print $fh "INSERT INTO ledger VALUES (:client_id, :seq, 2);\n";
print $fh "COMMIT;\n";
close $fh;
my $before = $node->safe_psql('postgres',
	"SELECT count(*) FROM lifeguard.events WHERE kind = 'recycled_age' AND application_name = 'loop'");
my ($bout, $berr);
{
	local $ENV{PGAPPNAME} = 'loop';
	local $ENV{PGUSER} = 'app';
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	# pgbench never retries: a client whose connection is recycled stops
	IPC::Run::run([ 'pgbench', '-n', '-f', $script, '-c', '20', '-j', '2', '-T', '8', 'postgres' ],
		'>', \$bout, '2>', \$berr);
}
my @aborts = $berr =~ /client \d+ aborted in command (\d+)/g;
my @inside = grep { $_ > 1 } @aborts;
is(scalar(@inside), 0,
	'no client failed inside a transaction (every abort is at BEGIN, command 1)')
  or diag($berr);
my $recycled = $node->safe_psql('postgres',
	"SELECT count(*) - $before FROM lifeguard.events WHERE kind = 'recycled_age' AND application_name = 'loop'");
# every connection outlived max_age + naptime + 1 s while the load ran
cmp_ok($recycled, '>=', 20, "every connection was recycled under load ($recycled)");
is(scalar(@aborts), $recycled, 'each recycle ended one client, at a transaction boundary');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM (SELECT client, seq FROM ledger GROUP BY 1, 2 HAVING count(*) <> 2) t"),
	'0', 'and no transaction was cut');

# --- recycle_at = statement_end, on this application's rule only (the
# setting stays auto): autocommit statements that never leave the
# connection idle are a boundary too, a transaction block still is not
$node->safe_psql('postgres', q{
SELECT lifeguard.set_quota('stmt', 20, 30, max_age => '1 s', recycle_at => 'statement_end');
});
is($node->safe_psql('postgres', 'SHOW lifeguard.recycle_at'), 'auto', 'the setting is auto');
$script = $node->basedir . '/stmt.sql';
open($fh, '>', $script) or die;
print $fh "\\set seq random(1, 1000000000)\n";
print $fh "SELECT pg_sleep(0.02);\n";
print $fh "BEGIN;\n";
print $fh "INSERT INTO ledger VALUES (:client_id, :seq, 1);\n";
print $fh "INSERT INTO ledger VALUES (:client_id, :seq, 2);\n";
print $fh "COMMIT;\n";
close $fh;
$node->safe_psql('postgres', 'TRUNCATE ledger');
$before = event_count('recycled_age', 'stmt');
{
	local $ENV{PGAPPNAME} = 'stmt';
	local $ENV{PGUSER} = 'app';
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	IPC::Run::run([ 'pgbench', '-n', '-f', $script, '-c', '10', '-j', '2', '-T', '8', 'postgres' ],
		'>', \$bout, '2>', \$berr);
}
@aborts = $berr =~ /client \d+ aborted in command (\d+)/g;
# commands: 0 \set, 1 pg_sleep (autocommit), 2 BEGIN, 3-5 inside the block
is(scalar(grep { $_ > 2 } @aborts), 0,
	'statement_end: no client failed inside a transaction block')
  or diag($berr);
$recycled = event_count('recycled_age', 'stmt') - $before;
# 8 s is far past max_age + naptime + 1 s: every client was ended once
is($recycled, 10, "statement_end: every busy autocommit connection was recycled ($recycled)");
is(scalar(@aborts), $recycled, 'statement_end: each recycle ended one client');
# most requests arrive during the autocommit sleep: its end is the boundary,
# and the client fails at its BEGIN (transaction_end would wait for COMMIT)
cmp_ok(scalar(grep { $_ == 2 } @aborts), '>', 0,
	'statement_end: some ended right after an autocommit statement')
  or diag($berr);
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM (SELECT client, seq FROM ledger WHERE part > 0 GROUP BY 1, 2 HAVING count(*) <> 2) t"),
	'0', 'statement_end: no transaction block was cut');

ok(!$node->log_contains('TRAP|\(PID \d+\) was terminated by signal'),
	'no crash in the log');
$node->stop;
done_testing();
