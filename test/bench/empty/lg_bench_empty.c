/*
 * lg_bench_empty.c: a library with nothing in it, preloaded by make bench
 * as the connect path's control (test/bench/run): what a login pays for a
 * preloaded library's mere presence, against which pg_lifeguard's own
 * cost is read.  Not installed; built in the bench's scratch directory.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
}
