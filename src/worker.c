/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The pg_lifeguard background worker: the scheduled half of the
 *		extension.
 *
 * One worker per server, registered from _PG_init, connected to
 * lifeguard.database.  Background workers draw their PGPROC from their own
 * pool (max_worker_processes), so it never takes a max_connections slot.
 * Every lifeguard.naptime it:
 *
 *	1. reads every client backend's status once (activity.c);
 *	2. rewrites the per-application gauges (active, idle, idle in
 *	   transaction, waiting, oldest connection, longest idle);
 *	3. when the server is short of connection slots, asks idle backends of
 *	   applications above their soft limit to end (recycle.c);
 *	4. every few seconds, or when asked, opens a transaction: checks that
 *	   the extension exists (and says once in the log that it waits if
 *	   not), and re-reads lifeguard.quotas into shared memory.
 *
 * SIGHUP reloads settings; SIGTERM ends the loop.  The worker exits with
 * status 1 so the postmaster restarts it after bgw_restart_time, also when
 * an administrator terminated it.  An error in the transaction part is
 * logged and kept in worker_status.last_error; the loop goes on.
 *
 * src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "activity.h"
#include "admission.h"
#include "compat.h"
#include "pg_lifeguard.h"
#include "quota.h"
#include "recycle.h"
#include "shmem.h"
#include "worker.h"

/*
 * How often the worker opens a transaction when nobody asks it to: every
 * few seconds normally, every second while it waits for the extension.
 */
#define LG_DB_INTERVAL_MS			5000
#define LG_DB_INTERVAL_WAITING_MS	1000

/* A reclaim candidate: an idle backend of an application above soft. */
typedef struct LgCandidate
{
	int			slotno;
	TimestampTz idle_since;
} LgCandidate;

static bool extension_missing_logged = false;

static void lg_worker_on_exit(int code, Datum arg);
static void lg_worker_set_error(const char *msg);
static void lg_worker_db_tick(void);
static void lg_worker_refresh(LgBackend *backends, int nbackends,
							  LgCandidate *cand);
static int	lg_candidate_cmp(const void *a, const void *b);

/*
 * Register the worker.  Called from _PG_init while preloading.
 */
void
lg_worker_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	/* consistent state, not recovery finished: it also works on standbys */
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, sizeof(worker.bgw_library_name), "pg_lifeguard");
	snprintf(worker.bgw_function_name, sizeof(worker.bgw_function_name), "lifeguard_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_lifeguard worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_lifeguard worker");
	RegisterBackgroundWorker(&worker);
}

/*
 * Exit callback: the status view must not show a dead worker's pid.
 */
static void
lg_worker_on_exit(int code, Datum arg)
{
	if (!lg_shared)
		return;
	SpinLockAcquire(&lg_shared->mutex);
	lg_shared->worker.pid = 0;
	SpinLockRelease(&lg_shared->mutex);
}

static void
lg_worker_set_error(const char *msg)
{
	SpinLockAcquire(&lg_shared->mutex);
	strlcpy(lg_shared->worker.last_error, msg ? msg : "",
			sizeof(lg_shared->worker.last_error));
	SpinLockRelease(&lg_shared->mutex);
}

/*
 * The transaction part of a cycle.  Errors are caught, logged and kept in
 * worker_status; they never end the worker.
 */
static void
lg_worker_db_tick(void)
{
	MemoryContext cycle = CurrentMemoryContext;

	PG_TRY();
	{
		bool		present;
		bool		standby;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		pgstat_report_activity(STATE_RUNNING, "pg_lifeguard: reading quota rules");
		standby = RecoveryInProgress();
		present = OidIsValid(get_extension_oid("pg_lifeguard", true));

		SpinLockAcquire(&lg_shared->mutex);
		lg_shared->worker.is_standby = standby;
		lg_shared->worker.extension_present = present;
		lg_shared->reload_rules = false;
		SpinLockRelease(&lg_shared->mutex);

		if (!present)
		{
			if (!extension_missing_logged)
				ereport(LOG,
						(errmsg("pg_lifeguard worker is waiting for the extension to be created in database \"%s\"",
								lg_database),
						 errhint("Run CREATE EXTENSION pg_lifeguard in database \"%s\".", lg_database)));
			extension_missing_logged = true;
		}
		else
		{
			LifeguardRule *rules;
			int			n;

			if (extension_missing_logged)
				ereport(LOG,
						(errmsg("pg_lifeguard worker found the extension in database \"%s\"",
								lg_database)));
			extension_missing_logged = false;

			debug_query_string = "pg_lifeguard: SELECT FROM lifeguard.quotas";
			n = lg_rules_read_table(&rules);
			debug_query_string = NULL;
			lg_install_rules(rules, n);
			lg_rules_file_write(rules, n);
		}
		CommitTransactionCommand();
		pgstat_report_activity(STATE_IDLE, NULL);
		lg_worker_set_error(NULL);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cycle);
		edata = CopyErrorData();
		FlushErrorState();
		debug_query_string = NULL;
		ereport(LOG,
				(errmsg("pg_lifeguard worker cycle failed: %s", edata->message)));
		lg_worker_set_error(edata->message);
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cycle);
}

static int
lg_candidate_cmp(const void *a, const void *b)
{
	TimestampTz ta = ((const LgCandidate *) a)->idle_since;
	TimestampTz tb = ((const LgCandidate *) b)->idle_since;

	return (ta > tb) - (ta < tb);
}

/*
 * Gauges and reclaiming, in one exclusive hold of the lock.  "cand" has
 * room for one entry per slot; it is filled and sorted here, so nothing
 * is allocated under the lock.
 */
static void
lg_worker_refresh(LgBackend *backends, int nbackends, LgCandidate *cand)
{
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;
	int			ncand = 0;
	int			usable = lg_usable_connections();
	bool		short_of_slots;

	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);

	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
	{
		app->active = app->idle = app->idle_in_transaction = app->waiting = 0;
		app->oldest_start = app->longest_idle_since = 0;
	}
	app = &lg_shared->overflow;
	app->active = app->idle = app->idle_in_transaction = app->waiting = 0;
	app->oldest_start = app->longest_idle_since = 0;

	short_of_slots = lg_reclaim_threshold > 0 &&
		(usable - lg_shared->total_connections) < lg_reclaim_threshold * usable;

	for (int i = 0; i < lg_shared->nslots; i++)
	{
		LifeguardSlot *slot = &lg_shared->slots[i];
		LgBackend  *b;

		if (slot->pid == 0 || slot->app == NULL)
			continue;
		app = slot->app;
		if (app->oldest_start == 0 || slot->connected_at < app->oldest_start)
			app->oldest_start = slot->connected_at;

		b = lg_find_backend(backends, nbackends, slot->pid);
		if (b == NULL)
			continue;			/* still starting up */
		switch (b->state)
		{
			case STATE_IDLE:
				app->idle++;
				if (app->longest_idle_since == 0 || b->state_change < app->longest_idle_since)
					app->longest_idle_since = b->state_change;
				if (short_of_slots && !slot->exempt)
				{
					cand[ncand].slotno = i;
					cand[ncand].idle_since = b->state_change;
					ncand++;
				}
				break;
			case STATE_IDLEINTRANSACTION:
			case STATE_IDLEINTRANSACTION_ABORTED:
				app->idle_in_transaction++;
				break;
			default:
				app->active++;
				break;
		}
		if (lg_backend_waiting_on_lock(i, slot->pid))
			app->waiting++;
	}

	/*
	 * Reclaim: longest idle first, and never take an application below its
	 * soft limit.  Requests are cheap and the backend itself refuses unless
	 * it is truly idle, so the gauges read above are good enough here.
	 */
	if (ncand > 0)
	{
		int			done = 0;

		qsort(cand, ncand, sizeof(LgCandidate), lg_candidate_cmp);
		for (int c = 0; c < ncand && done < lg_max_recycles_per_cycle; c++)
		{
			LifeguardSlot *slot = &lg_shared->slots[cand[c].slotno];
			int			r;

			r = lg_rule_match(lg_shared->rules, lg_shared->nrules,
							  slot->app->name, slot->rolname, slot->datname);
			if (r < 0 || lg_effective_mode(&lg_shared->rules[r]) != LG_MODE_ENFORCE)
				continue;
			/* count this cycle's requests against the excess */
			if (slot->app->connections - slot->app->reclaim_pending <=
				lg_shared->rules[r].soft_limit)
				continue;
			if (lg_recycle_request_locked(slot, LG_RECYCLE_RECLAIM, false))
			{
				slot->app->reclaim_pending++;
				done++;
			}
		}
		hash_seq_init(&seq, lg_apps);
		while ((app = hash_seq_search(&seq)) != NULL)
			app->reclaim_pending = 0;
	}

	LWLockRelease(lg_shared->lock);
}

/*
 * Entry point.
 */
void
lifeguard_worker_main(Datum main_arg)
{
	MemoryContext cycle_context;
	TimestampTz last_db_tick = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	if (!lg_shared)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_lifeguard shared memory is not initialized")));

	BackgroundWorkerInitializeConnection(lg_database, NULL, 0);

	SpinLockAcquire(&lg_shared->mutex);
	lg_shared->worker.pid = MyProcPid;
	lg_shared->worker.started_at = GetCurrentTimestamp();
	lg_shared->worker.cycles = 0;
	lg_shared->worker.last_error[0] = '\0';
	lg_shared->reload_rules = true;
	SpinLockRelease(&lg_shared->mutex);
	before_shmem_exit(lg_worker_on_exit, (Datum) 0);

	ereport(LOG,
			(errmsg("pg_lifeguard worker started in database \"%s\"", lg_database)));

	cycle_context = AllocSetContextCreate(TopMemoryContext,
										  "pg_lifeguard worker cycle",
										  ALLOCSET_DEFAULT_SIZES);

	while (!ShutdownRequestPending)
	{
		TimestampTz start;
		TimestampTz end;
		bool		reload;
		LgBackend  *backends;
		int			nbackends;
		LgCandidate *cand;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		MemoryContextSwitchTo(cycle_context);
		start = GetCurrentTimestamp();

		SpinLockAcquire(&lg_shared->mutex);
		reload = lg_shared->reload_rules;
		SpinLockRelease(&lg_shared->mutex);
		if (reload ||
			TimestampDifferenceExceeds(last_db_tick, start,
									   lg_shared->worker.extension_present ?
									   LG_DB_INTERVAL_MS : LG_DB_INTERVAL_WAITING_MS))
		{
			lg_worker_db_tick();
			last_db_tick = start;
		}

		nbackends = lg_read_client_backends(&backends);
		cand = palloc(sizeof(LgCandidate) * Max(lg_shared->nslots, 1));
		lg_worker_refresh(backends, nbackends, cand);

		end = GetCurrentTimestamp();
		SpinLockAcquire(&lg_shared->mutex);
		lg_shared->worker.last_cycle_at = end;
		lg_shared->worker.last_cycle_ms = (double) (end - start) / 1000.0;
		lg_shared->worker.cycles++;
		SpinLockRelease(&lg_shared->mutex);

		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(cycle_context);

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 lg_naptime_ms,
						 lg_worker_wait_event());
		ResetLatch(MyLatch);
	}

	ereport(LOG, (errmsg("pg_lifeguard worker shutting down")));
	proc_exit(1);
}
