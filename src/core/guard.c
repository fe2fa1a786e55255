/*-------------------------------------------------------------------------
 *
 * guard.c
 *		The one place that decides which errors of a caller's SQL become
 *		findings and which still end the call.
 *
 * check_migration, advise_indexes, index_advice and the workload code run
 * SQL they did not write (migration scripts, sampled statements) and report
 * its failures as rows instead of failing themselves.  Catching "every
 * error" would also catch the ones that are not about that SQL at all: a
 * query cancel, statement_timeout, lock_timeout, a recovery conflict, an
 * administrator's shutdown, running out of memory or disk.  Those must end
 * the call exactly as they would end any other statement, or a user could
 * not stop a runaway check and timeouts would mean nothing.
 *
 * lg_run_guarded() runs a function, optionally inside an internal
 * subtransaction (always the case when the function may take locks, touch
 * buffers or run user SQL), and on error:
 *
 *	- rolls the subtransaction back and restores the caller's memory
 *	  context and resource owner;
 *	- re-throws the error when lg_error_is_finding() says it is not the
 *	  SQL's own failure;
 *	- otherwise returns it, copied into the caller's memory context.
 *
 * FATAL and PANIC never reach a catch block (they end the process), so
 * termination needs no entry here.
 *
 * It also holds lg_pin_search_path(), which every query pg_lifeguard
 * writes itself runs under, so that no operator or function a user put
 * in a schema on the search path can stand in for pg_catalog's.
 *
 * Owns: the re-throw list and the safe search_path.  Must not: keep state between calls (the
 * function it runs may itself call lg_run_guarded, nested to any depth).
 *
 * src/core/guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "core/guard.h"

/*
 * Is this error a failure of the SQL being checked (true), or something
 * that must end the whole call (false)?
 *
 * Not findings:
 *	- anything raised while servicing an interrupt: query cancel,
 *	  statement_timeout, lock_timeout, idle and transaction timeouts,
 *	  recovery conflicts (ProcessInterrupts and its helpers);
 *	- SQLSTATE class 57 (operator intervention: cancel, shutdown, crash
 *	  shutdown, database dropped), 53 (insufficient resources: out of
 *	  memory, disk full, too many connections) and 58 (system errors:
 *	  I/O and undefined files).
 */
bool
lg_error_is_finding(const ErrorData *edata)
{
	int			category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	if (edata->elevel > ERROR)
		return false;
	if (edata->funcname != NULL &&
		(strcmp(edata->funcname, "ProcessInterrupts") == 0 ||
		 strcmp(edata->funcname, "ProcessRecoveryConflictInterrupt") == 0 ||
		 strcmp(edata->funcname, "ProcessRecoveryConflictInterrupts") == 0))
		return false;
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		category == ERRCODE_OPERATOR_INTERVENTION ||
		category == ERRCODE_INSUFFICIENT_RESOURCES ||
		category == ERRCODE_SYSTEM_ERROR)
		return false;
	return true;
}

/*
 * Run fn(arg).  With LG_GUARD_SUBXACT it runs in an internal
 * subtransaction that is committed when fn returns and LG_GUARD_KEEP is
 * given, and rolled back otherwise.  Without it, fn must not take locks,
 * pin buffers or run SQL (raw parsing only).
 *
 * Returns NULL when fn returned, or the error it raised, when that error
 * is a finding (see lg_error_is_finding); any other error is re-thrown
 * after the rollback.  The caller's memory context and resource owner are
 * current again on return.
 */
ErrorData *
lg_run_guarded(LgGuardedFn fn, void *arg, int flags)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		subxact = (flags & LG_GUARD_SUBXACT) != 0;
	ErrorData  *edata = NULL;

	if (subxact)
	{
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
	}

	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	if (subxact)
	{
		if (edata == NULL && (flags & LG_GUARD_KEEP))
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}

	if (edata != NULL && !lg_error_is_finding(edata))
	{
		/* a position in the inner text means nothing in the caller's */
		edata->cursorpos = 0;
		edata->internalpos = 0;
		edata->internalquery = NULL;
		ReThrowError(edata);
	}
	return edata;
}

/*
 * Make search_path "pg_catalog, pg_temp" until lg_unpin_search_path(),
 * as PostgreSQL's own maintenance commands do, for a query pg_lifeguard
 * wrote itself (never for a user's own SQL).  Returns the GUC nest level
 * to pass to lg_unpin_search_path; an error in between is undone by the
 * transaction's abort.
 */
int
lg_pin_search_path(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
lg_unpin_search_path(int level)
{
	AtEOXact_GUC(true, level);
}
