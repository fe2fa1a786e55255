# Quotas: exact admission of 200 simultaneous logins against a hard limit,
# the soft-limit warning at the client, who may change rules, rules that
# apply only once committed and only in lifeguard.database, warn mode,
# rules that hold from the first login after a restart, and reservations.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('quotas');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '200ms'
max_connections = 260
log_line_prefix = '%m [%p] %e '
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_lifeguard;
CREATE ROLE app LOGIN;
CREATE ROLE nobody LOGIN;
CREATE ROLE quota_admin LOGIN IN ROLE lifeguard_admin;
});

#---------------------------------------------------------------------------
# Clients that stay connected: psql reading commands from a pipe we hold
# open, its output in files.  release() closes the pipe, so psql ends
# cleanly, and reaps the process.
my $clients_dir = $node->basedir . '/clients';
mkdir $clients_dir or die "mkdir $clients_dir: $!";
my $nclients = 0;
my @all_clients;

sub conn
{
	my ($app, $user) = @_;
	return $node->connstr('postgres') . ' user=' . ($user // 'app') . " application_name=$app";
}

sub hold
{
	my ($app, $user) = @_;
	my $n = $nclients++;
	my %c = (
		app => $app,
		out => "$clients_dir/$n.out",
		err => "$clients_dir/$n.err");
	pipe(my $r, my $w) or die "pipe: $!";
	my $pid = fork() // die "fork: $!";
	if ($pid == 0)
	{
		open(STDIN, '<&', $r) or POSIX::_exit(126);
		open(STDOUT, '>', $c{out}) or POSIX::_exit(126);
		open(STDERR, '>', $c{err}) or POSIX::_exit(126);
		# exec returns only on failure
		exec('psql', '-X', '-q', '-d', conn($app, $user)) or POSIX::_exit(127);
	}
	close($r);
	$w->autoflush(1);
	$c{pid} = $pid;
	$c{in} = $w;
	push @all_clients, \%c;
	return \%c;
}

# has the client's psql ended (a refused login ends at once)?
sub ended
{
	my ($c) = @_;
	return 1 if defined $c->{status};
	if (waitpid($c->{pid}, WNOHANG) == $c->{pid})
	{
		$c->{status} = $? >> 8;
		close($c->{in});
		return 1;
	}
	return 0;
}

sub release
{
	for my $c (@_)
	{
		next if defined $c->{status};
		close($c->{in});
		waitpid($c->{pid}, 0);
		$c->{status} = $? >> 8;
	}
}

sub client_err { return slurp_file($_[0]->{err}); }

# reap every client, also when the test dies half-way
my $parent_pid = $$;
END { local $?; release(@all_clients) if defined $parent_pid && $$ == $parent_pid; }

# wait (at most 60 s) until &$cond is true; returns its last value
sub wait_until
{
	my ($cond) = @_;
	my $deadline = time() + 60;
	my $v;
	while (!($v = $cond->()) && time() < $deadline)
	{
		sleep(0.1);
	}
	return $v;
}

# one-shot login: (exit code, stdout, stderr)
sub login
{
	my ($app, $user, $sql) = @_;
	# the SQL goes in -c, not on psql's input: a refused psql may exit
	# before its input is written, and the writer would die of SIGPIPE
	my ($ret, $out, $err) = $node->psql('postgres', '',
		extra_params => [ '-d', conn($app, $user), '-c', $sql // 'SELECT 1' ]);
	return ($ret, $out, $err);
}

sub stat_of
{
	my ($app, $cols) = @_;
	return $node->safe_psql('postgres',
		"SELECT $cols FROM lifeguard.pool_stats WHERE application_name = '$app'");
}

# Log in over a raw socket and return the fields of the first
# ErrorResponse ('C' => SQLSTATE, 'M' => message), or {} when the server
# accepts the login.  psql does not show the SQLSTATE of a failed login.
sub raw_login
{
	my ($user, $app) = @_;
	my $sock = $node->raw_connect();
	my $params = join('', map { "$_\0" }
		  (user => $user, database => 'postgres', application_name => $app)) . "\0";
	print $sock pack('NN', 8 + length($params), 196608) . $params;
	my %fields;
	while (1)
	{
		my $hdr;
		last if read($sock, $hdr, 5) != 5;
		my ($type, $len) = unpack('aN', $hdr);
		my $body = '';
		read($sock, $body, $len - 4) if $len > 4;
		if ($type eq 'E')
		{
			for my $f (split /\0/, $body)
			{
				$fields{ substr($f, 0, 1) } = substr($f, 1) if length $f;
			}
			last;
		}
		last if $type eq 'Z';    # ReadyForQuery: logged in
	}
	close($sock);
	return \%fields;
}

sub quotas_table
{
	return $node->safe_psql('postgres', q{
SELECT string_agg(format('%s:%s:%s:%s', application_name, soft_limit, hard_limit, reserved), ','
                  ORDER BY application_name)
  FROM lifeguard.quotas});
}

#---------------------------------------------------------------------------
# Who may change quotas
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('kept', 1, 2)");
my $table = quotas_table();
is($table, 'kept:1:2:0', 'one rule');
my ($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT lifeguard.set_quota('intruder', 0, 0)",
	extra_params => [ '-U', 'nobody' ]);
like($err, qr/ERROR:  42501: permission denied for function set_quota/,
	'a role outside lifeguard_admin may not call set_quota (42501)');
($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT lifeguard.drop_quota('kept')",
	extra_params => [ '-U', 'nobody' ]);
like($err, qr/ERROR:  42501: permission denied for function drop_quota/,
	'nor drop_quota (42501)');
($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nDELETE FROM lifeguard.quotas",
	extra_params => [ '-U', 'nobody' ]);
like($err, qr/ERROR:  42501: permission denied for table quotas/,
	'nor change the table directly (42501)');
is(quotas_table(), $table, 'the table is unchanged');
($ret, $out, $err) = login('intruder');
is($ret, 0, 'and no rule for "intruder" is enforced');

($ret, $out, $err) = $node->psql('postgres',
	"SELECT hard_limit FROM lifeguard.set_quota('admin_rule', 0, 0)",
	extra_params => [ '-U', 'quota_admin' ]);
is($out, '0', 'a member of lifeguard_admin may call set_quota') or diag($err);
($ret, $out, $err) = login('admin_rule');
like($err, qr/too many connections for application "admin_rule"/, 'and its rule is enforced');
($ret, $out, $err) = $node->psql('postgres', "SELECT lifeguard.drop_quota('admin_rule')",
	extra_params => [ '-U', 'quota_admin' ]);
is($out, 't', 'and drop_quota') or diag($err);
($ret, $out, $err) = login('admin_rule');
is($ret, 0, 'after which the application logs in again');

#---------------------------------------------------------------------------
# A rule applies only once committed
$node->safe_psql('postgres', q{
BEGIN;
SELECT lifeguard.set_quota('rolled_back', 0, 0);
ROLLBACK;
});
is(quotas_table(), $table, 'set_quota rolled back: the table is unchanged');
($ret, $out, $err) = login('rolled_back');
is($ret, 0, 'and the rolled-back limit is not enforced') or diag($err);
is(stat_of('rolled_back', 'hard_limit IS NULL'), 't', 'pool_stats shows no limit');

my $txn = $node->background_psql('postgres');
$txn->query_safe("BEGIN; SELECT lifeguard.set_quota('pending', 0, 0);");
($ret, $out, $err) = login('pending');
is($ret, 0, 'a rule in an open transaction is not enforced yet') or diag($err);
$txn->query_safe('COMMIT');
($ret, $out, $err) = login('pending');
like($err, qr/too many connections for application "pending"/, 'it is from its COMMIT on');
$txn->quit;
$node->safe_psql('postgres', "SELECT lifeguard.drop_quota('pending')");

#---------------------------------------------------------------------------
# Rules are changed in lifeguard.database only
$node->safe_psql('postgres', 'CREATE DATABASE elsewhere');
$node->safe_psql('elsewhere', 'CREATE EXTENSION pg_lifeguard');
($ret, $out, $err) = $node->psql('elsewhere', "SELECT lifeguard.set_quota('wrong_db', 0, 0)");
isnt($ret, 0, 'set_quota fails in another database');
like($err, qr/quota rules must be changed in database "postgres"/, 'naming the right database');
is($node->safe_psql('elsewhere', 'SELECT count(*) FROM lifeguard.quotas'), '0',
	'the other database\'s table is unchanged');
($ret, $out, $err) = login('wrong_db');
is($ret, 0, 'and the rule is not enforced');

#---------------------------------------------------------------------------
# 200 simultaneous logins against a hard limit of 20
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('race', 10, 20)");
my $offset = -s $node->logfile;
my @race = map { hold('race') } 1 .. 200;
my $settled = wait_until(sub {
	my $ended = grep { ended($_) } @race;
	my $counted = stat_of('race', 'connections');
	return $ended + $counted == 200;
});
ok($settled, 'every login was either admitted or refused');
my @refused = grep { defined $_->{status} } @race;
my @admitted = grep { !defined $_->{status} } @race;
is(scalar(@refused), 180, '180 logins ended');
is(stat_of('race', 'connections, opened, rejected'), '20|20|180',
	'pool_stats: exactly 20 admitted and 180 rejected');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 20 FROM pg_stat_activity WHERE application_name = 'race'"),
	'pg_stat_activity shows 20 race backends');
is(scalar(grep { $_->{status} == 2 } @refused), 180, 'psql failed to connect 180 times');
is( scalar(
		grep { client_err($_) =~ /FATAL:  too many connections for application "race"/ } @refused),
	180,
	'each with "too many connections for application "race""');
is(scalar(grep { client_err($_) =~ /FATAL|ERROR/ } @admitted), 0, 'the admitted ones saw no error');
is(scalar(grep { client_err($_) =~ /WARNING:  application "race" is above its soft connection limit/ } @admitted),
	10, 'the 10 admitted above the soft limit of 10 got the soft-limit warning');
is(stat_of('race', 'soft_warnings'), '10', 'soft_warnings counts them');
like(client_err($refused[0]), qr/HINT:  Size the client pool to at most 20 connections/,
	'the refusal hints at the pool size');
my $log = slurp_file($node->logfile, $offset);
my $fatal53300 = () = $log =~ /53300 FATAL:  too many connections for application "race"/g;
is($fatal53300, 180, 'the server sent SQLSTATE 53300 each time');
my $fields = raw_login('app', 'race');
is($fields->{C}, '53300', 'a client reading the protocol gets SQLSTATE 53300');
is($fields->{M}, 'too many connections for application "race"', 'and the message');
release(@race);
is(scalar(grep { $_->{status} == 0 } @admitted), 20, 'the 20 admitted sessions ended normally');
ok( $node->poll_query_until('postgres',
		"SELECT connections = 0 AND closed = 20 FROM lifeguard.pool_stats WHERE application_name = 'race'"),
	'once all close: 0 connections');
is(stat_of('race', 'rejected'), '181', 'rejected counts the 180 and the raw login');
$fields = raw_login('app', 'race');
is(scalar(keys %$fields), 0, 'the application logs in again');

#---------------------------------------------------------------------------
# Soft 5, hard 8
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('soft', 5, 8)");
my @soft = map { hold('soft') } 1 .. 5;
ok( $node->poll_query_until('postgres',
		"SELECT connections = 5 FROM lifeguard.pool_stats WHERE application_name = 'soft'"),
	'five soft sessions');
($ret, $out, $err) = login('soft', 'app', 'SELECT 42');
is($out, '42', 'the 6th login succeeds');
like($err, qr/WARNING:  application "soft" is above its soft connection limit/,
	'and the client gets the soft-limit WARNING');
like($err, qr/DETAIL:  It now holds 6 connections; its soft limit is 5 and its hard limit is 8/,
	'with the numbers');
is(scalar(grep { client_err($_) =~ /WARNING/ } @soft), 0, 'the first five got no warning');
push @soft, map { hold('soft') } 1 .. 3;
ok( $node->poll_query_until('postgres',
		"SELECT connections = 8 FROM lifeguard.pool_stats WHERE application_name = 'soft'"),
	'eight soft sessions');
ok(wait_until(sub { client_err($soft[7]) =~ /above its soft connection limit/ }),
	'a held 8th session got the warning too');
($ret, $out, $err) = login('soft');
isnt($ret, 0, 'the 9th login fails');
like($err, qr/FATAL:  too many connections for application "soft"/, 'refused by the hard limit');
is(stat_of('soft', 'connections, soft_warnings, rejected'), '8|4|1',
	'pool_stats: 8 connections, 4 soft warnings, 1 rejected');
release(@soft);
is(scalar(grep { $_->{status} != 0 } @soft), 0, 'the held soft sessions ended normally');

#---------------------------------------------------------------------------
# lifeguard.quota_mode = warn: beyond the hard limit is admitted and counted
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('warned', 1, 2)");
$node->safe_psql('postgres', "ALTER SYSTEM SET lifeguard.quota_mode = 'warn'");
$node->reload;
ok($node->poll_query_until('postgres', "SELECT current_setting('lifeguard.quota_mode') = 'warn'"),
	'quota_mode is warn');
$offset = -s $node->logfile;
my @warned = map { hold('warned') } 1 .. 4;
ok( $node->poll_query_until('postgres',
		"SELECT connections = 4 FROM lifeguard.pool_stats WHERE application_name = 'warned'"),
	'four logins admitted against a hard limit of 2');
is(scalar(grep { ended($_) } @warned), 0, 'none was refused');
is(stat_of('warned', 'would_reject, rejected, mode'), '2|0|warn',
	'would_reject counts the two beyond the limit');
ok($node->wait_for_log(qr/application "warned" exceeded its connection quota, admitted because the quota is in warn mode/, $offset),
	'the log says so');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET lifeguard.quota_mode');
$node->reload;
ok($node->poll_query_until('postgres', "SELECT current_setting('lifeguard.quota_mode') = 'enforce'"),
	'quota_mode back to enforce');
($ret, $out, $err) = login('warned');
like($err, qr/too many connections for application "warned"/, 'now the 5th is refused');
release(@warned);

#---------------------------------------------------------------------------
# A rule holds from the very first login after a restart.  With no room
# for background workers the pg_lifeguard worker cannot start, so nothing
# reads lifeguard.quotas: the postmaster's saved copy is all there is.
$node->safe_psql('postgres', "SELECT lifeguard.set_quota('persist', 0, 1)");
$node->append_conf('postgresql.conf', 'max_worker_processes = 0');
$node->restart;
is($node->safe_psql('postgres', 'SELECT pid IS NULL AND cycles = 0 FROM lifeguard.worker_status'),
	't', 'no worker after the restart');
my $first = hold('persist');
ok( $node->poll_query_until('postgres',
		"SELECT connections = 1 FROM lifeguard.pool_stats WHERE application_name = 'persist'"),
	'the first login is admitted');
($ret, $out, $err) = login('persist');
like($err, qr/too many connections for application "persist"/,
	'the second is refused, before anything read the table');
release($first);

#---------------------------------------------------------------------------
# Reservations: 27 usable slots, 5 of them reserved for "critical"
$node->append_conf('postgresql.conf', qq{
max_worker_processes = 8
max_connections = 30
});
$node->restart;
# with the worker running this time, the rule holds at once as well
$first = hold('persist');
ok( $node->poll_query_until('postgres',
		"SELECT connections = 1 FROM lifeguard.pool_stats WHERE application_name = 'persist'"),
	'after a normal restart the first login is admitted');
($ret, $out, $err) = login('persist');
like($err, qr/too many connections for application "persist"/, 'and the second refused');
release($first);

$node->safe_psql('postgres', "SELECT lifeguard.set_quota('critical', 0, 10, 5)");
is($node->safe_psql('postgres', 'SELECT usable FROM lifeguard.server_usage'), '27', '27 usable slots');

# From here on one superuser session watches, so that the test's own
# connections do not come and go while the slots are counted (a superuser
# is exempt from quotas, but takes a slot like anyone).
my $mon;
{
	local $ENV{PGAPPNAME} = 'monitor';
	$mon = $node->background_psql('postgres');
}
sub mon_until
{
	my ($sql) = @_;
	return wait_until(sub { $mon->query_safe($sql) eq 't' });
}
ok(mon_until('SELECT used = 1 FROM lifeguard.server_usage'), 'only the watching session is connected');

my @flood = map { hold('flood') } 1 .. 30;
# every flood login ends up admitted or refused
ok( wait_until(sub {
		my $ended = grep { ended($_) } @flood;
		return $ended + $mon->query_safe(
			"SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'flood'") == 30;
	}),
	'the flood settled');
my @flood_refused = grep { defined $_->{status} } @flood;
is(scalar(@flood_refused), 9, '9 of 30 flood logins refused');
is( scalar(grep { client_err($_) =~ /FATAL:  remaining connection slots are reserved for other applications/ }
		  @flood_refused),
	9, 'all with the reservation message');
is($mon->query_safe(q{
SELECT u.free || '/' || p.connections || '/' || p.rejected
  FROM lifeguard.server_usage u, lifeguard.pool_stats p
 WHERE p.application_name = 'flood'}),
	'5/21/9', 'the flood stopped at 21 connections with 5 usable slots free');

my @critical = map { hold('critical') } 1 .. 5;
ok(mon_until("SELECT opened = 5 FROM lifeguard.pool_stats WHERE application_name = 'critical'"),
	'critical still logs in 5 times');
is($mon->query_safe("SELECT rejected FROM lifeguard.pool_stats WHERE application_name = 'critical'"),
	'0', 'none of them was refused');
is(scalar(grep { ended($_) || client_err($_) =~ /FATAL/ } @critical), 0, 'no critical client saw an error');

# the server is now short of slots; the worker must not take back
# connections an application holds within its reservation
my $cycles = $mon->query_safe('SELECT cycles FROM lifeguard.worker_status');
ok(mon_until("SELECT cycles >= $cycles + 10 FROM lifeguard.worker_status"),
	'the worker ran ten more cycles');
is($mon->query_safe("SELECT connections || '|' || reclaimed FROM lifeguard.pool_stats WHERE application_name = 'critical'"),
	'5|0', 'critical keeps its 5 reserved connections');
($ret, $out, $err) = login('flood');
like($err, qr/FATAL:  remaining connection slots are reserved/, 'the flood still gets nothing');
$mon->quit;
release(@flood, @critical);
ok( $node->poll_query_until('postgres',
		"SELECT coalesce(sum(connections), 0) = 0 FROM lifeguard.pool_stats WHERE application_name IN ('flood', 'critical')"),
	'flood and critical closed');

#---------------------------------------------------------------------------
# Reclaiming: short of slots, the worker ends idle backends of applications
# above their soft limit, never below it and never a busy one
$node->safe_psql('postgres', q{
SELECT lifeguard.drop_quota('critical');
SELECT lifeguard.set_quota('greedy', 3, 30);
ALTER SYSTEM SET lifeguard.reclaim_threshold = 0.4;
SELECT pg_reload_conf();
});
my $busy = hold('greedy');
print { $busy->{in} } "SELECT pg_sleep(60);\n";
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'greedy' AND state = 'active'"),
	'one busy greedy session');
my $busy_pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE application_name = 'greedy' AND state = 'active'");
# 20 idle ones: 27 usable, at most 6 free, under 0.4 * 27
my @greedy = map { hold('greedy') } 1 .. 20;
ok( $node->poll_query_until('postgres',
		"SELECT opened = 21 FROM lifeguard.pool_stats WHERE application_name = 'greedy'"),
	'21 greedy logins');
ok( $node->poll_query_until('postgres',
		"SELECT reclaimed > 0 FROM lifeguard.pool_stats WHERE application_name = 'greedy'"),
	'the worker reclaims idle backends when short of slots');
ok( $node->poll_query_until('postgres', q{
SELECT (SELECT free FROM lifeguard.server_usage) >= 0.4 * 27 - 1
    OR (SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'greedy') <= 3}),
	'until the server is no longer short of slots');
is($node->safe_psql('postgres',
		"SELECT connections >= 3 AND connections = opened - reclaimed FROM lifeguard.pool_stats WHERE application_name = 'greedy'"),
	't', 'never below the soft limit, and every greedy backend that ended was reclaimed');
is($node->safe_psql('postgres', "SELECT state FROM pg_stat_activity WHERE pid = $busy_pid"),
	'active', 'the busy session was not reclaimed');
is($node->safe_psql('postgres',
		"SELECT count(*) > 0 FROM lifeguard.events WHERE kind = 'reclaimed' AND application_name = 'greedy'"),
	't', 'each reclaim is an event');
is(scalar(grep { ended($_) } @greedy), 0, 'no greedy client saw its login refused');
$node->safe_psql('postgres', qq{
SELECT pg_cancel_backend($busy_pid);
ALTER SYSTEM RESET lifeguard.reclaim_threshold;
SELECT pg_reload_conf();
});
release($busy, @greedy);
ok( $node->poll_query_until('postgres',
		"SELECT connections = 0 FROM lifeguard.pool_stats WHERE application_name = 'greedy'"),
	'greedy closed');

# --- lifeguard.exempt_roles: listed roles are never refused, others are;
# a quoted name keeps its case and its comma
$node->safe_psql('postgres', q{
CREATE ROLE "Odd, Role" LOGIN;
SELECT lifeguard.set_quota('closed', 0, 0);
ALTER SYSTEM SET lifeguard.exempt_roles = 'nobody, "Odd, Role"';
SELECT pg_reload_conf();
});
ok( $node->poll_query_until('postgres',
		q{SELECT current_setting('lifeguard.exempt_roles') = 'nobody, "Odd, Role"'}),
	'exempt_roles reloaded');
($ret) = login('closed', 'nobody');
is($ret, 0, 'an exempt role logs in past a hard limit of 0');
($ret) = login('closed', q{'Odd, Role'});
is($ret, 0, 'so does an exempt role whose quoted name holds a comma');
my ($ret2, $out2, $err2) = login('closed', 'app');
isnt($ret2, 0, 'a role not listed is refused');
like($err2, qr/too many connections for application "closed"/, 'with the quota message');
$node->safe_psql('postgres', q{
ALTER SYSTEM RESET lifeguard.exempt_roles;
SELECT pg_reload_conf();
});
ok( $node->poll_query_until('postgres',
		q{SELECT current_setting('lifeguard.exempt_roles') = ''}),
	'exempt_roles reset');
($ret) = login('closed', 'nobody');
isnt($ret, 0, 'once reset, the role is refused too');
my ($r3, $o3, $e3) = $node->psql('postgres', q{ALTER SYSTEM SET lifeguard.exempt_roles = 'a,,b'});
like($e3, qr/invalid value for parameter "lifeguard.exempt_roles"/, 'a malformed list is refused');

#---------------------------------------------------------------------------
# As many rules as lifeguard.max_quotas allows (128 here): a login finds
# its application's rules where its entry in the applications' table says
# they start, set when the rules are installed, so every application must
# be judged by its own rule among 127 side by side, and a name without one
# by the '*' rule.
$node->safe_psql('postgres', q{
DELETE FROM lifeguard.quotas;
SELECT lifeguard.set_quota('*', 3, 4);
SELECT count(lifeguard.set_quota('many' || i,
                                 CASE WHEN i % 7 = 0 THEN 0 ELSE i END,
                                 CASE WHEN i % 7 = 0 THEN 0 ELSE i + 1 END))
  FROM generate_series(1, 127) i;
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM lifeguard.quotas'),
	'128', '128 rules, the most max_quotas allows');
my ($wrongly_refused, $wrongly_admitted) = (0, 0);
for my $i (1 .. 127)
{
	my $f = raw_login('app', "many$i");
	if ($i % 7 == 0)
	{
		$wrongly_admitted++ unless ($f->{C} // '') eq '53300';
	}
	else
	{
		$wrongly_refused++ if %$f;
	}
}
is($wrongly_refused, 0, 'no application with room under its own rule is refused');
is($wrongly_admitted, 0, 'every application whose own rule allows none is refused with 53300');
is($node->safe_psql('postgres', q{
SELECT count(*) FROM lifeguard.pool_stats
 WHERE application_name ~ '^many[0-9]+$'
   AND hard_limit = CASE WHEN substr(application_name, 5)::int % 7 = 0 THEN 0
                         ELSE substr(application_name, 5)::int + 1 END}),
	'127', 'pool_stats shows each application its own rule\'s limit');
ok(!%{ raw_login('app', 'many_none') }, 'a name without a rule logs in');
is(stat_of('many_none', 'hard_limit'), '4', 'and is judged by the * rule');

release(@all_clients);
$node->stop;
done_testing();
