# On a streaming hot standby the extension counts, enforces quotas and
# keeps events in memory, and never tries to write.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = '200ms'
lifeguard.history_interval = '200ms'
});
$primary->start;
$primary->safe_psql('postgres', q{
CREATE EXTENSION pg_lifeguard;
CREATE ROLE app LOGIN;
SELECT lifeguard.set_quota('sb', 1, 2);
});
$primary->backup('bk');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

ok( $standby->poll_query_until('postgres',
		'SELECT is_standby AND extension_present FROM lifeguard.worker_status'),
	'worker runs on the standby and knows it');

# the rule replicated through the table holds on the standby
my @held;
{
	local $ENV{PGAPPNAME} = 'sb';
	local $ENV{PGUSER} = 'app';
	push @held, $standby->background_psql('postgres') for 1 .. 2;
}
is( $standby->safe_psql('postgres',
		"SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'sb'"),
	'2', 'standby counts connections');
my ($ret, $out, $err) = $standby->psql('postgres', '',
	extra_params => [ '-d', $standby->connstr('postgres') . ' application_name=sb user=app', '-c', 'SELECT 1' ]);
like($err, qr/too many connections for application "sb"/, 'standby refuses over the hard limit');

# events live in memory on the standby
ok( $standby->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM lifeguard.events WHERE kind = 'rejected' AND application_name = 'sb'"),
	'rejection recorded in the standby ring');

# a quota change on the primary reaches the standby's enforcement
$primary->safe_psql('postgres', "SELECT lifeguard.set_quota('sb', 1, 3)");
$primary->wait_for_catchup($standby);
ok( $standby->poll_query_until('postgres',
		"SELECT hard_limit = 3 FROM lifeguard.pool_stats WHERE application_name = 'sb'"),
	'replayed rule change picked up by the standby worker');

sleep(1);
ok(!$standby->log_contains('read-only transaction|cannot execute .* during recovery'),
	'no write attempted on the standby');
ok(!$standby->log_contains('pg_lifeguard worker cycle failed|could not write events'),
	'no worker error on the standby');
is($standby->safe_psql('postgres', 'SELECT last_error IS NULL FROM lifeguard.worker_status'),
	't', 'worker_status shows no error');

# advice and migration checks write nothing, so they work on a standby
$primary->safe_psql('postgres', q{
CREATE TABLE sb_orders (id int, customer_id int);
INSERT INTO sb_orders SELECT g, g % 1000 FROM generate_series(1, 50000) g;
ANALYZE sb_orders;
});
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{
	SELECT index_statements, errors FROM lifeguard.advise_indexes(
		'SELECT * FROM sb_orders WHERE customer_id = $1')}),
	'{"CREATE INDEX ON public.sb_orders USING btree (customer_id)"}|{}',
	'advise_indexes answers on the standby');
is($standby->safe_psql('postgres', q{
	SELECT kind FROM lifeguard.check_migration('CREATE TABLE t (a int)', 'DROP TABLE t')}),
	'error', 'check_migration reports the read-only standby as an error, not a crash');
like($standby->safe_psql('postgres', 'SELECT lifeguard.schema_fingerprint()'),
	qr/^[0-9a-f]{64}$/, 'schema_fingerprint answers on the standby');

$_->quit for @held;
$standby->stop;
$primary->stop;
done_testing();
