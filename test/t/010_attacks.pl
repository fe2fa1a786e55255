# A hostile ordinary role against pg_lifeguard: a login role with CREATE on
# the database (so it can make schemas) and nothing else.  It plants
# operators where the extension's own queries would find them, floods the
# application table with junk names, hides its name in the startup options,
# cancels and blocks the worker.  Afterwards: it is not a superuser, the
# server never restarted, every quota held, and the counts match
# pg_stat_activity.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('attacks');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '200ms'
lifeguard.max_applications = 16
max_connections = 80
});
$node->start;
# the test's own sessions: exempt (superuser) and under a rule of their own
$ENV{PGAPPNAME} = 'tap_admin';
my $superuser = $node->safe_psql('postgres', 'SELECT current_user');
$node->safe_psql('postgres', qq{
CREATE EXTENSION pg_lifeguard;
CREATE ROLE mallory LOGIN;
GRANT CREATE ON DATABASE postgres TO mallory;
CREATE ROLE quota_admin LOGIN IN ROLE lifeguard_admin;
SELECT lifeguard.set_quota('tap_admin', 100, 100);
});

sub as_mallory
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql,
		extra_params => [ '-U', 'mallory' ]);
}

sub is_superuser
{
	return $node->safe_psql('postgres',
		"SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'");
}

sub worker_cycles
{
	return $node->safe_psql('postgres', 'SELECT cycles FROM lifeguard.worker_status');
}

# wait until the worker has run at least n more cycles
sub wait_cycles
{
	my ($n) = @_;
	my $target = worker_cycles() + $n;
	ok($node->poll_query_until('postgres',
			"SELECT cycles >= $target FROM lifeguard.worker_status"),
		"worker ran $n more cycles");
}

#---------------------------------------------------------------------------
# 1. Operator hijack.  A schema named like the superuser comes first in the
# default search_path ("$user", public); an operator there that takes the
# argument types of an expression with no exact pg_catalog operator wins
# over the implicit casts.  Planted for every operator and argument type
# pair a quota query could use, each making mallory a superuser.
as_mallory(qq{CREATE SCHEMA "$superuser"});
for my $type ('numeric', 'interval')
{
	as_mallory(qq{
CREATE FUNCTION "$superuser".grab($type, integer) RETURNS $type
LANGUAGE plpgsql AS \$\$
BEGIN
    EXECUTE 'ALTER ROLE mallory SUPERUSER';
    RETURN \$1;
END
\$\$;
CREATE OPERATOR "$superuser".* (LEFTARG = $type, RIGHTARG = integer,
                               FUNCTION = "$superuser".grab);
});
}
# the trap works for an unqualified query of the superuser ...
my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT (extract(epoch FROM interval '1 s') * 1000)::int8");
is(is_superuser(), 't', 'the planted operator fires for an unpinned query (the trap is real)');
$node->safe_psql('postgres', 'ALTER ROLE mallory NOSUPERUSER');

# ... but not for the extension's own: an administrator commits a rule
# (the commit reads the rules with the caller's session), and the worker
# re-reads them (as the bootstrap superuser) several times
$node->safe_psql('postgres',
	"SELECT lifeguard.set_quota('billing', 1, 2, max_age => '1 hour', idle_timeout => '30 min')");
# the worker reads the rules when it starts
$node->restart;
wait_cycles(3);
is(is_superuser(), 'f', 'mallory is not a superuser after a rule commit and worker cycles');
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

#---------------------------------------------------------------------------
# 2. Junk-name flood: fill the application table, then check that a named
# rule and the '*' rule still hold.
$node->safe_psql('postgres', q{
SELECT lifeguard.set_quota('*', 3, 3);
});
# 40 short sessions with distinct names: idle entries are evicted
for my $i (1 .. 40)
{
	$node->psql('postgres', '',
		extra_params => [ '-U', 'mallory', '-d', $node->connstr('postgres') . " application_name=junk$i", '-c', 'SELECT 1' ]);
}
# 18 held sessions with distinct names: 16 take the free entries, the
# rest share the overflow entry
my @held;
for my $i (1 .. 18)
{
	local $ENV{PGAPPNAME} = "held$i";
	local $ENV{PGUSER} = 'mallory';
	push @held, $node->background_psql('postgres', on_error_stop => 0);
}
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name LIKE 'held%'"),
	'16', 'held sessions take every entry a name without a rule may have');
is($node->safe_psql('postgres',
		"SELECT connections FROM lifeguard.pool_stats WHERE application_name IS NULL"),
	'2', 'the other two count under the overflow entry');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.pool_stats WHERE application_name = 'tap_admin'"),
	'1', 'a name with a rule kept its entry');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.events WHERE kind = 'application_table_full'"),
	'1', 'a full table raises one event');
like(slurp_file($node->logfile), qr/WARNING:  pg_lifeguard application table is full/,
	'and one WARNING in the log');

# billing has a rule: its entry was reserved, its hard limit holds
my @billing;
for (1 .. 2)
{
	local $ENV{PGAPPNAME} = 'billing';
	local $ENV{PGUSER} = 'mallory';
	push @billing, $node->background_psql('postgres', on_error_stop => 0);
}
$node->connect_fails($node->connstr('postgres') . ' user=mallory application_name=billing',
	'billing is refused at its hard limit with a full table',
	expected_stderr => qr/too many connections for application "billing"/);
# the overflow entry is one application under the '*' rule (hard 3)
my $ov = $node->safe_psql('postgres',
	"SELECT connections FROM lifeguard.pool_stats WHERE application_name IS NULL");
my @more;
for my $i (1 .. 3 - $ov)
{
	local $ENV{PGAPPNAME} = "newname$i";
	local $ENV{PGUSER} = 'mallory';
	push @more, $node->background_psql('postgres', on_error_stop => 0);
}
$node->connect_fails($node->connstr('postgres') . ' user=mallory application_name=yet_another',
	"a new name is refused once the overflow entry reaches the '*' hard limit",
	expected_stderr => qr/too many connections for application "yet_another"/);
$_->quit for (@held, @billing, @more);

#---------------------------------------------------------------------------
# 3. A name in the startup options is the name the session starts with.
# psql always sends an application_name key (its fallback), which wins
# over options, so a client that sends none is needed: psycopg2.
$node->safe_psql('postgres', q{SELECT lifeguard.drop_quota('*')});
my $dsn = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres user=mallory';
my $py = <<'PY';
import os, sys, time, psycopg2
dsn = sys.argv[1]
held = []
def attempt(label, **kw):
    try:
        held.append(psycopg2.connect(dsn, **kw))
        print(label, "admitted")
    except psycopg2.OperationalError as e:
        print(label, "refused:", str(e).strip().splitlines()[-1] if "too many" not in str(e) else "too many connections")
attempt("options", options="-c application_name=billing")
os.environ["PGOPTIONS"] = "--application_name=billing"
attempt("pgoptions")
del os.environ["PGOPTIONS"]
attempt("options-third", options="-c application_name=billing")
attempt("short-form", options="-capplication_name=billing")
cur = held[0].cursor()
cur.execute("SELECT current_setting('application_name')")
print("shown as", cur.fetchone()[0])
sys.stdout.flush()
time.sleep(float(sys.argv[2]))
PY
my ($pyout, $pyerr) = ('', '');
my $h;
{
	delete local $ENV{PGAPPNAME};
	$h = IPC::Run::start([ '/usr/bin/python3', '-c', $py, $dsn, '4' ], '>', \$pyout, '2>', \$pyerr);
}
ok($node->poll_query_until('postgres',
		"SELECT connections = 2 FROM lifeguard.pool_stats WHERE application_name = 'billing'"),
	'sessions named through options and PGOPTIONS count under their name');
$h->finish;
like($pyout, qr/^options admitted$/m, 'options: admitted');
like($pyout, qr/^pgoptions admitted$/m, 'PGOPTIONS: admitted');
like($pyout, qr/^options-third refused: too many connections$/m, 'options cannot escape the hard limit');
like($pyout, qr/^short-form refused: too many connections$/m, 'nor can the short form of -c');
like($pyout, qr/^shown as billing$/m, 'the session shows the name it is counted under');

#---------------------------------------------------------------------------
# 4. Two plain-DML writers of the rules take turns instead of deadlocking.
my $w1 = $node->background_psql('postgres', on_error_stop => 0,
	extra_params => [ '-U', 'quota_admin' ]);
my $w2 = $node->background_psql('postgres', on_error_stop => 0,
	extra_params => [ '-U', 'quota_admin' ]);
# both hold the lock their DML takes before either fires the trigger
$w1->query_safe(q{BEGIN; LOCK TABLE lifeguard.quotas IN ROW EXCLUSIVE MODE});
$w2->query_safe(q{BEGIN; LOCK TABLE lifeguard.quotas IN ROW EXCLUSIVE MODE});
$w1->query_safe(q{INSERT INTO lifeguard.quotas (application_name, soft_limit, hard_limit) VALUES ('w1', 1, 1)});
$w2->query_until(qr/started/, q{\echo started
INSERT INTO lifeguard.quotas (application_name, soft_limit, hard_limit) VALUES ('w2', 1, 1);
});
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND usename = 'quota_admin'"),
	'the second writer waits for the first');
$w1->query_safe('COMMIT');
my $r2 = $w2->query(q{INSERT INTO lifeguard.quotas (application_name, soft_limit, hard_limit) VALUES ('w2b', 1, 1); COMMIT});
unlike($w2->{stderr} // '', qr/deadlock/, 'no deadlock');
is($node->safe_psql('postgres',
		"SELECT string_agg(application_name, ',' ORDER BY application_name) FROM lifeguard.quotas WHERE application_name LIKE 'w%'"),
	'w1,w2,w2b', 'both writers committed');
$w1->quit;
$w2->quit;

#---------------------------------------------------------------------------
# 5. The worker survives a query cancel, and a locked event table costs it
# one cycle's writes, not its cycles; no event is lost or written twice.
my $wpid = $node->safe_psql('postgres', 'SELECT pid FROM lifeguard.worker_status');
for (1 .. 5)
{
	$node->safe_psql('postgres', "SELECT pg_cancel_backend($wpid)");
	sleep(0.1);
}
wait_cycles(5);
is($node->safe_psql('postgres', 'SELECT pid FROM lifeguard.worker_status'), $wpid,
	'the worker survived pg_cancel_backend');

$node->safe_psql('postgres', q{
SELECT lifeguard.set_quota('locked_out', 0, 0);
TRUNCATE lifeguard.event_log;
});
my $locker = $node->background_psql('postgres', on_error_stop => 0);
$locker->query_safe('BEGIN; LOCK TABLE lifeguard.event_log IN ACCESS EXCLUSIVE MODE');
my $before = worker_cycles();
for (1 .. 5)
{
	$node->connect_fails($node->connstr('postgres') . ' user=mallory application_name=locked_out',
		'refused while the event table is locked',
		expected_stderr => qr/too many connections/);
}
# its writes wait out lock_timeout each cycle: count cycles, not seconds
ok( $node->poll_query_until('postgres',
		"SELECT cycles >= $before + 3 FROM lifeguard.worker_status"),
	'the worker kept cycling while the table was locked');
# a rules read that succeeds in between clears last_error: poll
ok($node->poll_query_until('postgres',
		"SELECT last_error LIKE '%lock timeout%' FROM lifeguard.worker_status"),
	'last_error says the writes timed out');
$locker->query_safe('COMMIT');
$locker->quit;
ok($node->poll_query_until('postgres', q{
SELECT count(*) = 5 FROM lifeguard.event_log
 WHERE kind = 'rejected' AND application_name = 'locked_out'}),
	'every rejection is written once the lock is gone');
sleep(1.5);
is($node->safe_psql('postgres', q{
SELECT count(*) FROM lifeguard.events
 WHERE kind = 'rejected' AND application_name = 'locked_out'}),
	'5', 'and written once');

#---------------------------------------------------------------------------
# 6. Nested calls and interrupts.  Every PUBLIC function that runs SQL is
# called from an IMMUTABLE function that the planner folds while another
# of them plans or runs; then each long call is cancelled by a timeout.
as_mallory(q{
CREATE SCHEMA m;
CREATE TABLE m.t (a int);
CREATE FUNCTION m.via_advise() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM * FROM lifeguard.advise_indexes('SELECT * FROM m.t WHERE a = m.via_snapshot()');
    RETURN 1;
END $$;
CREATE FUNCTION m.via_check() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM * FROM lifeguard.check_migration('CREATE TABLE m.u (a int)', 'DROP TABLE m.u');
    RETURN 2;
END $$;
CREATE FUNCTION m.via_snapshot() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM lifeguard.schema_fingerprint(ARRAY['m']);
    PERFORM * FROM lifeguard.schema_diff(lifeguard.schema_snapshot(ARRAY['m']),
                                         lifeguard.schema_snapshot(ARRAY['m']));
    RETURN 3;
END $$;
CREATE FUNCTION m.slow() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM pg_sleep(30);
    RETURN 4;
END $$;
});
for my $call (
	q{SELECT errors FROM lifeguard.advise_indexes('SELECT * FROM m.t WHERE a = m.via_advise()')},
	q{SELECT errors FROM lifeguard.advise_indexes('SELECT * FROM m.t WHERE a = m.via_check()')},
	q{SELECT count(*) FROM lifeguard.check_migration('SELECT m.via_advise(), m.via_check(), m.via_snapshot()', 'SELECT 1')},
	q{SELECT lifeguard.migration_is_reversible('CREATE INDEX ON m.t ((a + m.via_check()))', 'DROP INDEX m.t_expr_idx')},
	q{SELECT count(*) FROM lifeguard.backends WHERE pid = m.via_advise()})
{
	my ($r, $o, $e) = $node->psql('postgres', $call, extra_params => [ '-U', 'mallory' ]);
	unlike($e, qr/server closed the connection|terminated abnormally/, "nested: $call");
}
for my $call (
	q{SELECT * FROM lifeguard.advise_indexes('SELECT * FROM m.t WHERE a = m.slow()')},
	q{SELECT * FROM lifeguard.check_migration('SELECT m.slow()', 'SELECT 1')},
	q{SELECT * FROM lifeguard.check_migration('DO $$BEGIN LOOP END LOOP; END$$', 'SELECT 1')},
	q{SELECT count(lifeguard.schema_fingerprint(ARRAY['m'])) FROM generate_series(1, 10000000)})
{
	my $t0 = time();
	my ($r, $o, $e) = $node->psql('postgres', "SET statement_timeout = '300ms'; $call",
		extra_params => [ '-U', 'mallory' ]);
	like($e, qr/canceling statement due to statement timeout/, "timeout ends: $call");
	cmp_ok(time() - $t0, '<', 20, 'and promptly');
}
ok($node->safe_psql('postgres', 'SELECT 1'), 'the server is up');

#---------------------------------------------------------------------------
# Afterwards
is(is_superuser(), 'f', 'mallory is still not a superuser');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'the server never restarted');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/,
	'no backend crashed');
ok($node->poll_query_until('postgres', q{
SELECT (SELECT coalesce(sum(connections), 0) FROM lifeguard.pool_stats)
     = (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')}),
	'counts match pg_stat_activity');

$node->stop;
done_testing();
