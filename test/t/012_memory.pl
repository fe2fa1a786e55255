# Backend memory: every client backend publishes its private memory between
# statements; a backend that touched many tables reports far more than a
# fresh one, close to what pg_backend_memory_contexts sums to; the sample
# never moves while a statement runs; max_memory (per rule and
# server-wide) recycles an idle backend above it, and not one below it or
# one inside a transaction; pool_stats, metrics and pool_advice show it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $ntables = 2000;
my $naptime = 1;				# seconds, as configured below

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '${naptime}s'
lifeguard.memory_sample_interval = '1s'
max_connections = 40
# one statement reads every table and its index
max_locks_per_transaction = 256
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION pg_lifeguard;
CREATE ROLE app LOGIN;
CREATE ROLE outsider LOGIN;
GRANT pg_read_all_data TO app;
GRANT SELECT ON pg_backend_memory_contexts TO app;
GRANT EXECUTE ON FUNCTION pg_get_backend_memory_contexts() TO app;
});
for (my $from = 1; $from <= $ntables; $from += 500)
{
	my $to = $from + 499;
	$node->safe_psql('postgres', qq{
DO \$\$
BEGIN
    FOR i IN $from..$to LOOP
        EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, v text)', i);
    END LOOP;
END
\$\$;
});
}

sub session
{
	my ($app, $user) = @_;
	local $ENV{PGAPPNAME} = $app;
	local $ENV{PGUSER} = $user // 'app';
	return $node->background_psql('postgres', on_error_stop => 0);
}

my $touch_all = "DO \$\$ BEGIN FOR i IN 1..$ntables LOOP "
  . "EXECUTE format('SELECT count(*) FROM t%s', i); END LOOP; END \$\$";

# the sample of pid, once one taken after time $after exists
sub sample_after
{
	my ($pid, $after) = @_;
	$node->poll_query_until('postgres',
		"SELECT memory_sampled_at > '$after' FROM lifeguard.backends WHERE pid = $pid")
	  or return undef;
	return $node->safe_psql('postgres',
		"SELECT memory_bytes FROM lifeguard.backends WHERE pid = $pid");
}

sub now_ts { return $node->safe_psql('postgres', 'SELECT clock_timestamp()'); }

sub alive
{
	my ($pid) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $pid") eq '1';
}

# --- a fresh session publishes its size before its first statement
my $small = session('pool');
my $small_pid = $small->query_safe('SELECT pg_backend_pid()');
ok( $node->poll_query_until('postgres',
		"SELECT memory_bytes > 0 AND memory_sampled_at IS NOT NULL FROM lifeguard.backends WHERE pid = $small_pid"),
	'a fresh session publishes its memory');
my $fresh = $node->safe_psql('postgres',
	"SELECT memory_bytes FROM lifeguard.backends WHERE pid = $small_pid");

# --- a session that read every table
my $wide = session('pool');
my $wide_pid = $wide->query_safe('SELECT pg_backend_pid()');
$wide->query_safe($touch_all);
my $wide_bytes = sample_after($wide_pid, now_ts());
ok(defined $wide_bytes, 'the session that read the tables publishes a new sample once idle');
$wide_bytes //= 0;
cmp_ok($wide_bytes, '>=', 4 * $fresh,
	"after reading $ntables tables: $wide_bytes bytes, at least 4 times a fresh session's $fresh");

# within 20 % of what the session itself sums its memory contexts to
my $ctx = $wide->query_safe('SELECT sum(total_bytes) FROM pg_backend_memory_contexts');
my $again = sample_after($wide_pid, now_ts()) // 0;
cmp_ok(abs($again - $ctx), '<=', 0.2 * $ctx,
	"sample $again is within 20 % of pg_backend_memory_contexts' sum $ctx");
$wide_bytes = $again;

# --- the sample does not move while a statement runs
my $grow = session('grow');
my $grow_pid = $grow->query_safe('SELECT pg_backend_pid()');
my $before = sample_after($grow_pid, '-infinity');
my $before_at = $node->safe_psql('postgres',
	"SELECT memory_sampled_at FROM lifeguard.backends WHERE pid = $grow_pid");
$grow->query_until(qr/^$/,
	"DO \$\$ BEGIN FOR i IN 1..$ntables LOOP EXECUTE format('SELECT count(*) FROM t%s', i); "
	  . "END LOOP; PERFORM pg_sleep(4); END \$\$;\n");
my ($seen, $moved, $first_t, $last_t) = (0, 0, undef, undef);
for (1 .. 40)
{
	my $row = $node->safe_psql('postgres',
		"SELECT state, memory_bytes, memory_sampled_at FROM lifeguard.backends WHERE pid = $grow_pid");
	my ($state, $bytes, $at) = split /\|/, $row;
	last if !defined $state || $state ne 'active';
	$seen++;
	$first_t //= time();
	$last_t = time();
	$moved++ if $bytes ne $before || $at ne $before_at;
	sleep(0.1);
}
cmp_ok($seen, '>=', 2, "the statement was watched while it ran ($seen looks)");
ok($last_t - $first_t > 1.5,
	'over more than one sample interval: ' . sprintf('%.1f s', $last_t - $first_t))
  if $seen >= 2;
is($moved, 0, 'the sample did not move while the statement ran');
$grow->query_safe('SELECT 1');
my $grown = sample_after($grow_pid, $before_at) // 0;
cmp_ok($grown, '>=', 4 * $before, "once idle, the sample shows the growth ($before -> $grown)");
$grow->quit;

# --- per application: pool_stats, metrics, pool_advice
is( $node->safe_psql('postgres', q{
	SELECT s.memory_total = (SELECT sum(memory_bytes) FROM lifeguard.backends WHERE application_name = 'pool')
	   AND s.memory_max = (SELECT max(memory_bytes) FROM lifeguard.backends WHERE application_name = 'pool')
	  FROM lifeguard.pool_stats s WHERE s.application_name = 'pool'}),
	't', 'pool_stats sums and maximises the backends of the application');
is( $node->safe_psql('postgres', q{
	SELECT m.value = s.memory_total
	  FROM lifeguard.metrics m, lifeguard.pool_stats s
	 WHERE m.metric = 'lifeguard_memory_bytes' AND m.labels->>'application' = 'pool'
	   AND s.application_name = 'pool'}),
	't', 'metrics export the application total');
my $advice = $node->safe_psql('postgres', q{
	SELECT 'memory_growth' = ANY (diagnoses), recommended_max_memory, memory_max
	  FROM lifeguard.pool_advice WHERE application_name = 'pool'});
my ($diag, $recommended, $adv_max) = split /\|/, $advice;
is($diag, 't', 'pool_advice diagnoses memory_growth');
ok($recommended > $fresh && $recommended < $adv_max,
	"and recommends a max_memory between a fresh backend and the largest ($recommended)");
like($node->safe_psql('postgres',
		"SELECT arithmetic FROM lifeguard.pool_advice WHERE application_name = 'pool'"),
	qr/max_memory = at login \+ \(max - at login\) \/ 2/, 'with its arithmetic');

# --- another role sees its own memory, not that of others
my $mine = $node->safe_psql('postgres', q{
	SELECT count(memory_bytes) FILTER (WHERE usename = 'outsider'),
	       count(memory_bytes) FILTER (WHERE usename <> 'outsider')
	  FROM lifeguard.backends}, extra_params => [ '-U', 'outsider' ]);
is($mine, '1|0', 'without pg_read_all_stats, other roles\' memory is NULL');

# --- max_memory above the largest: nothing is recycled
$node->safe_psql('postgres',
	"SELECT lifeguard.set_quota('pool', 5, 10, max_memory => " . (2 * $wide_bytes) . ")");
sleep(3 * $naptime + 0.5);
ok(alive($wide_pid) && alive($small_pid), 'no backend is recycled below max_memory');

# --- below it, but running a query, then inside a transaction: left
# alone (one message, so that the backend is never idle in between)
my $limit = int(($fresh + $wide_bytes) / 2);
my $busy_s = 3 * $naptime + 3;
$wide->query_until(qr/^$/, "SELECT pg_sleep($busy_s) \\; BEGIN \\; SELECT 1;\n");
$node->safe_psql('postgres',
	"SELECT lifeguard.set_quota('pool', 5, 10, max_memory => $limit)");
sleep(3 * $naptime);
is($node->safe_psql('postgres', "SELECT state FROM lifeguard.backends WHERE pid = $wide_pid"),
	'active', 'a backend above max_memory running a query is left alone');
ok( $node->poll_query_until('postgres',
		"SELECT state = 'idle in transaction' FROM lifeguard.backends WHERE pid = $wide_pid"),
	'its query ends inside a transaction');
sleep(3 * $naptime + 0.5);
ok(alive($wide_pid), 'a backend above max_memory inside a transaction is left alone');

# --- idle above it: recycled within two naptimes; the small one stays
# (the output of the statement above is still unread: wait for a marker)
$wide->query_until(qr/committed/, "COMMIT;\nSELECT 'committed';\n");
my $t0 = time();
ok( $node->poll_query_until('postgres',
		"SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $wide_pid)"),
	'once idle, the backend above max_memory is recycled');
my $elapsed = time() - $t0;
cmp_ok($elapsed, '<=', 2 * $naptime + 2,
	sprintf('within two naptimes and a little (%.1f s)', $elapsed));
ok(alive($small_pid), 'the fresh backend of the same application stays');
my $event = $node->safe_psql('postgres',
	"SELECT (detail->>'memory_bytes')::bigint, (detail->>'max_memory')::bigint
	   FROM lifeguard.events WHERE kind = 'recycled_memory' AND pid = $wide_pid");
my ($ev_bytes, $ev_limit) = split /\|/, $event;
ok(defined $ev_bytes && $ev_bytes > $limit && $ev_bytes >= 4 * $fresh,
	"the recycled_memory event names the size ($ev_bytes bytes)");
is($ev_limit, $limit, 'and the limit');
is( $node->safe_psql('postgres',
		"SELECT recycled FROM lifeguard.pool_stats WHERE application_name = 'pool'"),
	'1', 'counted as recycled');
eval { $wide->quit };
$small->quit;

# --- the server-wide setting, for an application without a rule
$node->safe_psql('postgres', "ALTER SYSTEM SET lifeguard.max_memory = '"
	  . int($limit / 1024) . "kB'; SELECT pg_reload_conf();");
my $other = session('other');
my $other_pid = $other->query_safe('SELECT pg_backend_pid()');
sleep(2 * $naptime + 0.5);
ok(alive($other_pid), 'lifeguard.max_memory leaves a fresh backend alone');
$other->query_safe($touch_all);
ok( $node->poll_query_until('postgres',
		"SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $other_pid)"),
	'and recycles it once it has grown above the setting');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM lifeguard.events WHERE kind = 'recycled_memory' AND application_name = 'other'"),
	'1', 'with its event');
eval { $other->quit };
$node->safe_psql('postgres', 'ALTER SYSTEM RESET lifeguard.max_memory; SELECT pg_reload_conf();');

# --- dry run: the event says what would have been done, nothing ends
$node->safe_psql('postgres', "ALTER SYSTEM SET lifeguard.dry_run = on; "
	  . "ALTER SYSTEM SET lifeguard.max_memory = '" . int($limit / 1024) . "kB'; SELECT pg_reload_conf();");
my $dry = session('dry');
my $dry_pid = $dry->query_safe('SELECT pg_backend_pid()');
$dry->query_safe($touch_all);
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM lifeguard.events WHERE kind = 'recycled_memory' AND pid = $dry_pid
		    AND detail @> '{\"dry_run\": true}' AND (detail->>'memory_bytes')::bigint > $limit"),
	'dry run records the memory recycle it would do, with the size');
sleep(2 * $naptime + 0.5);
ok(alive($dry_pid), 'and ends nothing');
$dry->quit;
$node->safe_psql('postgres', 'ALTER SYSTEM RESET lifeguard.dry_run; '
	  . 'ALTER SYSTEM RESET lifeguard.max_memory; SELECT pg_reload_conf();');

# --- sampling off: nothing new is published
$node->safe_psql('postgres',
	"ALTER SYSTEM SET lifeguard.memory_sample_interval = 0; SELECT pg_reload_conf();");
sleep(0.5);
my $off = session('off');
my $off_pid = $off->query_safe('SELECT pg_backend_pid()');
$off->query_safe('SELECT 1');
sleep(1.5);
is( $node->safe_psql('postgres',
		"SELECT memory_sampled_at IS NULL FROM lifeguard.backends WHERE pid = $off_pid"),
	't', 'with lifeguard.memory_sample_interval = 0 no sample is taken');
$off->quit;

$node->stop;
done_testing();
