#!/usr/bin/perl
# Run TAP test files (plain Perl, or pgTAP SQL files through psql) and
# print one summary line: "harness: N passed, M failed".  A file that dies,
# exits non-zero, or runs a different number of tests than planned counts
# as one more failure.
#
# usage: harness.pl [--pgtap --dbname DB --host DIR --port N] FILE...
use strict;
use warnings;
use Getopt::Long;
use TAP::Harness;

my ($pgtap, $dbname, $host, $port) = (0, 'postgres', undef, undef);
GetOptions(
	'pgtap' => \$pgtap,
	'dbname=s' => \$dbname,
	'host=s' => \$host,
	'port=i' => \$port) or die "bad options\n";
my @files = @ARGV;
if (!@files)
{
	print "harness: 0 passed, 0 failed\n";
	exit 0;
}

my %args = (verbosity => 0, timer => 1, color => 0, failures => 1,
	comments => 0, show_count => 0);
if ($pgtap)
{
	$args{sources} = {
		pgTAP => {
			dbname => $dbname,
			username => 'postgres',
			host => $host,
			port => $port,
			psql => 'psql',
		}
	};
}
else
{
	$args{sources} = { Perl => {} };
	$args{lib} = [ split /:/, ($ENV{PERL5LIB} // '') ];
}
my $harness = TAP::Harness->new(\%args);
my $agg = $harness->runtests(@files);

my $passed = scalar($agg->passed);
my $failed = scalar($agg->failed);
for my $file ($agg->descriptions)
{
	my ($parser) = $agg->parsers($file);
	$failed++
	  if $parser->has_problems && !$parser->failed
	  && ($parser->exit || $parser->wait || $parser->parse_errors || !$parser->is_good_plan);
}
print "harness: $passed passed, $failed failed\n";
exit($failed ? 1 : 0);
