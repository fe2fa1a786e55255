/*-------------------------------------------------------------------------
 *
 * compat.c
 *		Functions that hide PostgreSQL version differences; see compat.h.
 *
 * Owns: every PG_VERSION_NUM test with compat.h.  Must not: hold
 * behaviour of pg_lifeguard itself.
 *
 * src/core/compat.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 150000
#include "common/pg_prng.h"
#endif
#include "access/htup_details.h"
#include "common/string.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/autovacuum.h"
#include "postmaster/postmaster.h"
#include "replication/walsender.h"
#include "storage/proc.h"
#include "utils/pg_locale.h"
#include "utils/tuplestore.h"
#include "utils/wait_event.h"

#include "core/compat.h"

int
lg_superuser_reserved_slots(void)
{
#if PG_VERSION_NUM >= 160000
	return SuperuserReservedConnections;
#else
	return ReservedBackends;
#endif
}

int
lg_reserved_slots(void)
{
#if PG_VERSION_NUM >= 160000
	return SuperuserReservedConnections + ReservedConnections;
#else
	return ReservedBackends;
#endif
}

int
lg_max_backends(void)
{
#ifdef LG_HAVE_SHMEM_REQUEST_HOOK
	return MaxBackends;
#else
	/* as InitializeMaxBackends computes it on 14 */
	return MaxConnections + autovacuum_max_workers + 1 +
		max_worker_processes + max_wal_senders;
#endif
}

uint32
lg_worker_wait_event(void)
{
#if PG_VERSION_NUM >= 170000
	static uint32 ev = 0;

	if (ev == 0)
		ev = WaitEventExtensionNew("PgLifeguardMain");
	return ev;
#else
	return PG_WAIT_EXTENSION;
#endif
}

uint64
lg_random_bits53(void)
{
#if PG_VERSION_NUM >= 150000
	return pg_prng_uint64(&pg_global_prng_state) >> 11;
#else
	/* random() gives 31 bits */
	return ((uint64) random() << 22) ^ (uint64) (random() & 0x3FFFFF);
#endif
}

double
lg_random_double(void)
{
	/*
	 * 53 random bits scaled to [0, 1), as pg_prng_double makes them but
	 * without its ldexp(): a call into the math library would fault in a
	 * page of it that nothing else on a short connection's path touches.
	 */
	return (double) lg_random_bits53() * (1.0 / (double) (UINT64CONST(1) << 53));
}

char *
lg_clean_ascii(const char *s)
{
#if PG_VERSION_NUM >= 160000
	return pg_clean_ascii(s, 0);
#else
	char	   *copy = pstrdup(s);

	pg_clean_ascii(copy);
	return copy;
#endif
}

/*
 * The caller can take a set, in materialize mode (every version).
 */
void
lg_srf_require_materialize(ReturnSetInfo *rsinfo)
{
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
}

#if PG_VERSION_NUM < 150000
/*
 * Backport of InitMaterializedSRF for 14: a tuplestore in the per-query
 * context with the expected (or blessed) tuple descriptor.
 */
void
InitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	tupdesc;

	lg_srf_require_materialize(rsinfo);

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (flags & MAT_SRF_USE_EXPECTED_DESC)
		tupdesc = CreateTupleDescCopy(rsinfo->expectedDesc);
	else if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (flags & MAT_SRF_BLESS)
		BlessTupleDesc(tupdesc);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = tupdesc;
	MemoryContextSwitchTo(old);
}
#endif

/* A nullable int16 catalog column, -1 when null (statistics targets). */
int
lg_nullable_int16(HeapTuple tup, int attno, TupleDesc desc)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attno, desc, &isnull);

	return isnull ? -1 : (int) DatumGetInt16(d);
}

bool
lg_collation_is_c(Oid collid)
{
	if (!OidIsValid(collid))
		return false;
#if PG_VERSION_NUM >= 180000
	return pg_newlocale_from_collation(collid)->collate_is_c;
#else
	return lc_collate_is_c(collid);
#endif
}
