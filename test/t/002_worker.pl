# The background worker: waiting for the extension, cycling, a naptime
# change by reload, restart after SIGKILL (a crash-restart of the server),
# DROP and CREATE EXTENSION while it runs, and a missing database.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('worker');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '200ms'
restart_after_crash = on
});
$node->start;

# The extension's views read shared memory, so any database that has the
# extension shows the worker.  "mon" has it from the start; "postgres",
# the worker's database, gets it later.
$node->safe_psql('postgres', 'CREATE DATABASE mon');
$node->safe_psql('mon', 'CREATE EXTENSION pg_lifeguard');
$node->safe_psql('postgres', 'CREATE ROLE app LOGIN');

sub status
{
	my ($cols) = @_;
	return $node->safe_psql('mon', "SELECT $cols FROM lifeguard.worker_status");
}

sub count_in_log
{
	my ($re, $offset) = @_;
	my $log = slurp_file($node->logfile, $offset // 0);
	my $n = () = $log =~ /$re/g;
	return $n;
}

# --- waiting for the extension in lifeguard.database
ok($node->wait_for_log(qr/pg_lifeguard worker is waiting for the extension to be created in database "postgres"/),
	'the log says the worker waits for the extension');
like(status('pid'), qr/^\d+$/, 'worker_status shows its pid');
is(status('extension_present'), 'f', 'and extension_present is false');
# while waiting it looks every second; let it look a few times
ok( $node->poll_query_until('mon',
		"SELECT last_cycle_at > started_at + interval '3500 ms' FROM lifeguard.worker_status"),
	'the worker keeps cycling while it waits');
is(count_in_log(qr/waiting for the extension/), 1, 'it says so only once');

$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');
ok($node->poll_query_until('mon', 'SELECT extension_present FROM lifeguard.worker_status'),
	'after CREATE EXTENSION, extension_present becomes true');
ok($node->wait_for_log(qr/pg_lifeguard worker found the extension in database "postgres"/),
	'and the log says it found it');

# --- pid and cycles
my $pid = status('pid');
is($node->safe_psql('postgres',
		"SELECT backend_type FROM pg_stat_activity WHERE pid = $pid"),
	'pg_lifeguard worker', 'the pid is the pg_lifeguard worker in pg_stat_activity');
my $c0 = status('cycles');
ok($node->poll_query_until('mon', "SELECT cycles >= $c0 + 3 FROM lifeguard.worker_status"),
	'cycles advance');
is(status('last_error IS NULL, database'), 't|postgres', 'no error, database postgres');

# --- lifeguard.naptime reloaded by SIGHUP changes the rate of cycles
# cycles per second over a window of about $secs seconds
sub cycle_rate
{
	my ($secs) = @_;
	my ($c1, $t1) = split /\|/,
	  status('cycles, extract(epoch FROM clock_timestamp())');
	sleep($secs);
	my ($c2, $t2) = split /\|/,
	  status('cycles, extract(epoch FROM clock_timestamp())');
	return ($c2 - $c1) / ($t2 - $t1);
}
my $fast = cycle_rate(2);
cmp_ok($fast, '>=', 2.5, sprintf('naptime 200ms: %.2f cycles/s', $fast));
$node->safe_psql('postgres', "ALTER SYSTEM SET lifeguard.naptime = '2s'");
$node->reload;
# the reload wakes the worker, which applies the new value in that cycle
ok( $node->poll_query_until('mon',
		"SELECT current_setting('lifeguard.naptime') = '2s'"),
	'the new naptime is visible');
sleep(0.5);
my $slow = cycle_rate(4);
cmp_ok($slow, '<=', 1.0, sprintf('naptime 2s after reload: %.2f cycles/s', $slow));
cmp_ok($slow, '<', $fast / 2, 'the cycle rate dropped');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET lifeguard.naptime');
$node->reload;
ok( $node->poll_query_until('mon', q{
SELECT cycles > 0 AND last_cycle_at > clock_timestamp() - interval '1 s'
  FROM lifeguard.worker_status}),
	'back to a short naptime');

# --- kill -9 of the worker: the postmaster crash-restarts the server,
# and a new worker runs
my $old = status('pid');
my $offset = -s $node->logfile;
kill 'KILL', $old;
my $t0 = time();
ok( $node->poll_query_until('mon',
		"SELECT pid IS NOT NULL AND pid <> $old AND cycles > 0 FROM lifeguard.worker_status"),
	'a new worker runs and cycles');
my $took = time() - $t0;
cmp_ok($took, '<=', 10, sprintf('within 10 s (%.1f s)', $took));
ok($node->wait_for_log(qr/background worker "pg_lifeguard worker" \(PID $old\) was terminated by signal 9/, $offset),
	'the log shows the killed worker');
ok($node->wait_for_log(qr/all server processes terminated; reinitializing/, $offset),
	'the postmaster crash-restarted');
my $c1 = status('cycles');
ok($node->poll_query_until('mon', "SELECT cycles >= $c1 + 3 FROM lifeguard.worker_status"),
	'its cycles advance');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is up again');
is(status('extension_present'), 't', 'the new worker found the extension');

# --- DROP EXTENSION while the worker runs, then CREATE again
$offset = -s $node->logfile;
$pid = status('pid');
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('dropped', 0, 0)");
my ($ret, $out, $err) = $node->psql('postgres', '',
	extra_params => [ '-d', $node->connstr('postgres') . ' user=app application_name=dropped', '-c', 'SELECT 1' ]);
like($err, qr/too many connections for application "dropped"/, 'a rule refuses logins');
$node->safe_psql('postgres', 'DROP EXTENSION pg_lifeguard');
ok($node->poll_query_until('mon', 'SELECT NOT extension_present FROM lifeguard.worker_status'),
	'the worker notices DROP EXTENSION');
ok($node->wait_for_log(qr/waiting for the extension/, $offset), 'and says it waits again');
is(status('pid'), $pid, 'the same worker carries on');
# let it finish the cycle in which it noticed, and one more
$c1 = status('cycles');
ok($node->poll_query_until('mon', "SELECT cycles >= $c1 + 2 FROM lifeguard.worker_status"),
	'and keeps cycling');
# the rules went with the table that held them
($ret, $out, $err) = $node->psql('postgres', '',
	extra_params => [ '-d', $node->connstr('postgres') . ' user=app application_name=dropped', '-c', 'SELECT 1' ]);
is($ret, 0, 'after DROP EXTENSION the dropped rules no longer refuse logins')
  or diag($err);
# nor after a restart (the postmaster loads the saved rules at start)
$node->restart;
ok( $node->poll_query_until('mon',
		'SELECT pid IS NOT NULL AND cycles > 0 AND NOT extension_present FROM lifeguard.worker_status'),
	'after a restart the worker still waits for the extension');
$pid = status('pid');
($ret, $out, $err) = $node->psql('postgres', '',
	extra_params => [ '-d', $node->connstr('postgres') . ' user=app application_name=dropped', '-c', 'SELECT 1' ]);
is($ret, 0, 'and the dropped rules do not come back from the saved file')
  or diag($err);
$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');
ok( $node->poll_query_until('postgres',
		'SELECT pid IS NOT NULL AND extension_present AND last_error IS NULL FROM lifeguard.worker_status'),
	'after CREATE EXTENSION again the worker carries on');
is($node->safe_psql('postgres', 'SELECT quota_rules FROM lifeguard.server_usage'), '0',
	'no rule survives from before the DROP');
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('again', 0, 0)");
($ret, $out, $err) = $node->psql('postgres', '',
	extra_params => [ '-d', $node->connstr('postgres') . ' user=app application_name=again', '-c', 'SELECT 1' ]);
like($err, qr/too many connections for application "again"/, 'and new rules are enforced');
$node->safe_psql('postgres', "SELECT lifeguard.drop_quota('again')");
is(status('pid'), $pid, 'still the same worker');
is(count_in_log(qr/terminated by signal|server process .* was terminated|reinitializing/, $offset), 0,
	'nothing crashed');

# --- a lifeguard.database that does not exist
$node->append_conf('postgresql.conf', "lifeguard.database = 'no_such_db'");
$offset = -s $node->logfile;
$node->restart;
my $started = time();
ok($node->wait_for_log(qr/FATAL:  database "no_such_db" does not exist/, $offset),
	'the log names the missing database');
# watch for about 12 s, checking that the server answers all along
my $up = 1;
while (time() - $started < 12)
{
	my ($r) = $node->psql('mon', 'SELECT 1');
	$up = 0 if $r != 0;
	sleep(1);
}
ok($up, 'the server answered throughout');
my $tries = count_in_log(qr/FATAL:  database "no_such_db" does not exist/, $offset);
cmp_ok($tries, '<=', 4,
	"no crash loop: $tries worker starts in about 12 s with a 5 s restart interval");
is(count_in_log(qr/reinitializing|terminated by signal/, $offset), 0, 'no crash-restart');
is(status('pid IS NULL'), 't', 'worker_status shows no worker');

$node->stop;
done_testing();
