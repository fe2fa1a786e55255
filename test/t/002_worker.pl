# The background worker: restart after SIGKILL, crash-restart of backends
# with counts rebuilt, naptime reload, waiting for the extension, DROP and
# CREATE EXTENSION while it runs, a missing database.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

my $node = PostgreSQL::Test::Cluster->new('worker');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '100ms'
restart_after_crash = on
});
$node->start;

# before CREATE EXTENSION: the worker says once that it waits
ok($node->wait_for_log(qr/pg_lifeguard worker is waiting for the extension to be created in database "postgres"/),
	'worker says it waits for the extension');
sleep(1.5);
my $waits = () = slurp_file($node->logfile) =~ /waiting for the extension/g;
is($waits, 1, 'and says it once');

$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');
ok( $node->poll_query_until('postgres', 'SELECT extension_present FROM lifeguard.worker_status'),
	'worker notices the extension');

sub cycles { return $node->safe_psql('postgres', 'SELECT cycles FROM lifeguard.worker_status'); }

# naptime reload by SIGHUP changes the cycle rate
my $c0 = cycles();
sleep(2);
my $fast = cycles() - $c0;
$node->safe_psql('postgres', "ALTER SYSTEM SET lifeguard.naptime = '1s'; SELECT pg_reload_conf();");
sleep(0.5);
$c0 = cycles();
sleep(3);
my $slow = cycles() - $c0;
cmp_ok($fast, '>=', 10, "100 ms naptime: $fast cycles in 2 s");
cmp_ok($slow, '<=', 5, "1 s naptime after reload: $slow cycles in 3 s");
$node->safe_psql('postgres', "ALTER SYSTEM SET lifeguard.naptime = '100ms'; SELECT pg_reload_conf();");

# kill -9 of the worker: the postmaster crash-restarts and starts a new one
my $holder;
{
	local $ENV{PGAPPNAME} = 'held';
	$holder = $node->background_psql('postgres', on_error_stop => 0);
}
is($node->safe_psql('postgres',
		"SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'held'"),
	'1', 'one held connection before the crash');
my $old = $node->safe_psql('postgres', 'SELECT pid FROM lifeguard.worker_status');
ok($old =~ /^\d+$/, "worker pid $old");
kill 'KILL', $old;
my $t0 = time();
ok( $node->poll_query_until('postgres',
		"SELECT pid IS NOT NULL AND pid <> $old AND cycles > 0 FROM lifeguard.worker_status"),
	'a new worker runs and cycles');
cmp_ok(time() - $t0, '<=', 10, 'within 10 s');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is up');
$holder->quit;
ok( $node->poll_query_until('postgres',
		"SELECT coalesce((SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'held'), 0) = 0"),
	'counts rebuilt after the crash-restart: the killed session is not counted');

# kill -9 of a client backend: crash-restart, no stale slot
my @crash;
{
	local $ENV{PGAPPNAME} = 'crash';
	@crash = map { $node->background_psql('postgres', on_error_stop => 0) } 1 .. 3;
}
is($node->safe_psql('postgres',
		"SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'crash'"),
	'3', 'three crash sessions');
my $victim = $node->safe_psql('postgres',
	"SELECT min(pid) FROM lifeguard.backends WHERE application_name = 'crash'");
kill 'KILL', $victim;
ok($node->wait_for_log(qr/all server processes terminated; reinitializing/),
	'postmaster crash-restart');
ok($node->poll_query_until('postgres', 'SELECT true'), 'server accepts connections again');
is($node->safe_psql('postgres',
		"SELECT coalesce(sum(connections), 0) FROM lifeguard.pool_stats WHERE application_name = 'crash'"),
	'0', 'no stale slot after crash-restart');
my @again;
{
	local $ENV{PGAPPNAME} = 'crash';
	@again = map { $node->background_psql('postgres') } 1 .. 2;
}
is($node->safe_psql('postgres',
		"SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'crash'"),
	'2', 'new sessions counted correctly after the restart');
$_->quit for @again;
eval { $_->quit } for @crash;

# DROP EXTENSION while the worker runs, then CREATE again
$node->safe_psql('postgres', 'DROP EXTENSION pg_lifeguard');
sleep(1.5);
$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');
ok( $node->poll_query_until('postgres',
		'SELECT pid IS NOT NULL AND extension_present AND last_error IS NULL FROM lifeguard.worker_status'),
	'worker idles through DROP EXTENSION and carries on after CREATE');
ok(!$node->log_contains('pg_lifeguard worker cycle failed'), 'no failed cycle');

# a lifeguard.database that does not exist: clear log, no fast crash loop
$node->append_conf('postgresql.conf', "lifeguard.database = 'no_such_db'");
$node->restart;
sleep(11);
my $log = slurp_file($node->logfile);
my $starts = () = $log =~ /FATAL:  database "no_such_db" does not exist/g;
cmp_ok($starts, '>=', 1, 'the log names the missing database');
cmp_ok($starts, '<=', 4, "no crash loop faster than the restart interval ($starts tries in 11 s)");
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server stays up');

$node->stop;
done_testing();
