# Quotas under concurrency: exact admission of 200 simultaneous logins,
# soft-limit warnings that reach the client, reserved headroom, and rules
# that hold from the first login after a restart.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

my $node = PostgreSQL::Test::Cluster->new('quotas');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '200ms'
max_connections = 230
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_lifeguard;
CREATE ROLE app LOGIN;
SELECT lifeguard.set_quota('race', 10, 20);
});

# start a psql as role app with an application name; returns the handle
sub start_psql
{
	my ($app, $sql, $out, $err) = @_;
	my $connstr = $node->connstr('postgres') . " user=app application_name=$app";
	return IPC::Run::start([ 'psql', '-X', '-d', $connstr, '-c', $sql ],
		'>', $out, '2>', $err);
}

# --- 200 simultaneous logins against a hard limit of 20
my (@h, @out, @err);
for my $i (0 .. 199)
{
	$out[$i] = '';
	$err[$i] = '';
	$h[$i] = start_psql('race', 'SELECT pg_sleep(60)', \$out[$i], \$err[$i]);
}
# the refused ones end at once; wait until 180 have ended
my $ended = 0;
for (1 .. 600)
{
	$ended = grep { !$_->pumpable } @h;
	$_->pump_nb for grep { $_->pumpable } @h;
	last if $ended >= 180;
	sleep(0.1);
}
sleep(0.5);
$ended = grep { !$_->pumpable } @h;
is($ended, 180, '180 of 200 logins ended (refused)');
is($node->safe_psql('postgres',
		"SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'race'"),
	'20', 'exactly 20 admitted');
for my $i (0 .. 199) { $h[$i]->finish if !$h[$i]->pumpable; }
my $refused = grep { /FATAL:  too many connections for application "race"/ } @err;
is($refused, 180, '180 refused with "too many connections for application"');
is($node->safe_psql('postgres',
		"SELECT rejected FROM lifeguard.pool_stats WHERE application_name = 'race'"),
	'180', 'rejected counts 180');
$_->kill_kill for grep { $_->pumpable } @h;
ok( $node->poll_query_until('postgres',
		"SELECT connections = 0 FROM lifeguard.pool_stats WHERE application_name = 'race'"),
	'once all close, connections is 0');
my ($ret, $o, $e) = $node->psql('postgres', 'SELECT 1',
	extra_params => [ '-d', $node->connstr('postgres') . ' user=app application_name=race' ]);
is($ret, 0, 'and the application can log in again');

# --- SQLSTATE of the refusal, seen by a client that asks for it
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('zero', 0, 0)");
# psql does not print the SQLSTATE of a failed connection; asyncpg, which
# reads the protocol itself, does
my $py = q{
import asyncio, sys, asyncpg
async def main():
    try:
        c = await asyncpg.connect(host=sys.argv[1], port=int(sys.argv[2]), user="app",
                                  database="postgres",
                                  server_settings={"application_name": "zero"})
        print("connected")
        await c.close()
    except asyncpg.PostgresError as e:
        print(e.sqlstate)
asyncio.run(main())
};
my $connstr = $node->connstr('postgres') . ' user=app application_name=zero';
IPC::Run::run([ '/usr/bin/python3', '-c', $py, $node->host, $node->port ],
	'>', \my $pyout, '2>', \my $pyerr);
diag($pyerr) if $pyerr;
like($pyout, qr/^53300/, 'refusal carries SQLSTATE 53300');
($ret, $o, $e) = $node->psql('postgres', 'SELECT 1', extra_params => [ '-d', $connstr ]);
like($e, qr/HINT:.*pool/, 'with a hint about the pool settings');

# --- soft 5, hard 8: the 6th gets a WARNING, the 9th is refused
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('soft', 5, 8)");
my (@sh, @so, @se);
for my $i (0 .. 4)
{
	($so[$i], $se[$i]) = ('', '');
	$sh[$i] = start_psql('soft', 'SELECT pg_sleep(30)', \$so[$i], \$se[$i]);
}
ok( $node->poll_query_until('postgres',
		"SELECT connections = 5 FROM lifeguard.pool_stats WHERE application_name = 'soft'"),
	'five soft sessions');
($ret, $o, $e) = $node->psql('postgres', 'SELECT 42',
	extra_params => [ '-d', $node->connstr('postgres') . ' user=app application_name=soft' ]);
is($o, '42', 'the 6th login succeeds');
like($e, qr/WARNING:  application "soft" is above its soft connection limit/,
	'and the client receives the soft-limit WARNING');
for my $i (5 .. 7)
{
	($so[$i], $se[$i]) = ('', '');
	$sh[$i] = start_psql('soft', 'SELECT pg_sleep(30)', \$so[$i], \$se[$i]);
}
ok( $node->poll_query_until('postgres',
		"SELECT connections = 8 FROM lifeguard.pool_stats WHERE application_name = 'soft'"),
	'eight soft sessions');
($ret, $o, $e) = $node->psql('postgres', 'SELECT 1',
	extra_params => [ '-d', $node->connstr('postgres') . ' user=app application_name=soft' ]);
like($e, qr/too many connections for application "soft"/, 'the 9th is refused');
is($node->safe_psql('postgres',
		"SELECT soft_warnings FROM lifeguard.pool_stats WHERE application_name = 'soft'"),
	'4', 'soft_warnings counts the 6th, 7th and 8th logins and the probe');
$_->kill_kill for @sh;

# --- a quota holds from the first login after a restart
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('persist', 0, 1)");
$node->restart;
my $first = $node->connstr('postgres') . ' user=app application_name=persist';
my ($po, $pe) = ('', '');
my $hold = IPC::Run::start([ 'psql', '-X', '-d', $first, '-c', 'SELECT pg_sleep(10)' ], '>', \$po, '2>', \$pe);
sleep(0.5) for 1 .. 4;
($ret, $o, $e) = $node->psql('postgres', 'SELECT 1', extra_params => [ '-d', $first ]);
like($e, qr/too many connections for application "persist"/,
	'quota enforced right after restart, before any SQL read the table');
$hold->kill_kill;

# --- reservations: a flood from one application leaves the reserved slots
$node->append_conf('postgresql.conf', 'max_connections = 30');
$node->restart;
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('critical', 0, 10, 5)");
my (@fh, @fo, @fe);
for my $i (0 .. 29)
{
	($fo[$i], $fe[$i]) = ('', '');
	$fh[$i] = start_psql('flood', 'SELECT pg_sleep(30)', \$fo[$i], \$fe[$i]);
}
sleep(0.5) for 1 .. 8;
$_->pump_nb for grep { $_->pumpable } @fh;
my $reserved_msgs = grep { /remaining connection slots are reserved for other applications/ } @fe;
cmp_ok($reserved_msgs, '>', 0, "flood refused with the reservation message ($reserved_msgs times)");
# (the superuser session running this query takes one of them)
is($node->safe_psql('postgres', 'SELECT free + 1 FROM lifeguard.server_usage'), '5',
	'five usable slots still free after the flood');
my (@ch, @co, @ce);
for my $i (0 .. 4)
{
	($co[$i], $ce[$i]) = ('', '');
	$ch[$i] = start_psql('critical', 'SELECT pg_sleep(30)', \$co[$i], \$ce[$i]);
}
ok( $node->poll_query_until('postgres',
		"SELECT connections = 5 FROM lifeguard.pool_stats WHERE application_name = 'critical'"),
	'critical still gets its five connections');
$_->kill_kill for @fh, @ch;
ok( $node->poll_query_until('postgres',
		"SELECT coalesce(sum(connections), 0) = 0 FROM lifeguard.pool_stats WHERE application_name IN ('flood', 'critical')"),
	'flood over');

# --- reclaiming: short of slots, idle backends above the soft limit go,
# longest idle first, never below the soft limit
$node->safe_psql('postgres', q{
SELECT lifeguard.drop_quota('critical');
SELECT lifeguard.set_quota('greedy', 3, 30);
ALTER SYSTEM SET lifeguard.reclaim_threshold = 0.4;
SELECT pg_reload_conf();
});
# 20 idle sessions: 27 usable, 7 free < 0.4 * 27
my (@gh, @go, @ge);
for my $i (0 .. 19)
{
	($go[$i], $ge[$i]) = ('', '');
	my $connstr = $node->connstr('postgres') . ' user=app application_name=greedy';
	$gh[$i] = IPC::Run::start([ 'psql', '-X', '-d', $connstr ], '<', \'', '>', \$go[$i], '2>', \$ge[$i]);
}
my $busy = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr('postgres') . ' user=app application_name=greedy',
	'-c', 'SELECT pg_sleep(20)' ], '>', \my $bo, '2>', \my $be);
ok( $node->poll_query_until('postgres',
		"SELECT reclaimed > 0 FROM lifeguard.pool_stats WHERE application_name = 'greedy'"),
	'the worker reclaims idle backends when short of slots');
ok( $node->poll_query_until('postgres',
		"SELECT (SELECT free FROM lifeguard.server_usage) >= 0.4 * 27 - 1
		     OR (SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'greedy') <= 3"),
	'until the server is no longer short of slots');
is($node->safe_psql('postgres',
		"SELECT connections >= 3 FROM lifeguard.pool_stats WHERE application_name = 'greedy'"),
	't', 'never below the soft limit');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.backends WHERE application_name = 'greedy' AND state = 'active'"),
	'1', 'the busy session was not reclaimed');
is($node->safe_psql('postgres',
		"SELECT count(*) > 0 FROM lifeguard.events WHERE kind = 'reclaimed' AND application_name = 'greedy'"),
	't', 'each reclaim is an event');
$_->kill_kill for @gh, $busy;

$node->stop;
done_testing();
