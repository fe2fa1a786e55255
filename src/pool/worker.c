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
 *	1. reads the status entry of every counted backend (activity.c) and
 *	   rewrites the per-application gauges (active, idle, idle in
 *	   transaction, waiting, oldest connection, longest idle);
 *	2. asks the policy (recycle.c) which idle backends are past max_age,
 *	   idle_timeout or idle_in_transaction_timeout, or, when the server is
 *	   short of slots, above their soft limit; re-reads each candidate's
 *	   status right before acting and asks it to end at its next safe
 *	   point, within the per-cycle cap, the age rate limit and the floors;
 *	3. takes history samples and raises or clears alerts (events.c);
 *	4. once a second on a primary, writes events and samples to their
 *	   tables and sends NOTIFY for alert changes, in one transaction;
 *	5. every few seconds, or when asked, checks that the extension exists
 *	   (saying once in the log that it waits if not) and re-reads
 *	   lifeguard.quotas into shared memory and the rules file.
 *
 * SIGHUP reloads settings; SIGTERM ends the loop.  The worker exits with
 * status 1 so the postmaster restarts it after bgw_restart_time, also when
 * an administrator terminated it.  An error in the transaction part is
 * logged and kept in worker_status.last_error; the loop goes on, and so it
 * does after any other error, a query cancel included.
 *
 * Trust: the worker connects as the bootstrap superuser, which it needs
 * for the shared state only.  Its own session pins search_path to
 * "pg_catalog, pg_temp", and every transaction part runs as the owner of
 * the extension in a security-restricted operation, with short lock and
 * statement timeouts, so that a table locked by a user delays one cycle's
 * writes (reported in last_error and retried) and never the recycling and
 * alerts of the next cycles.
 *
 * Owns: the background worker's loop.  Must not: run user SQL; its own
 * SQL runs with a pinned search_path as the extension's owner.
 *
 * src/pool/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "core/compat.h"
#include "core/settings.h"
#include "pool/activity.h"
#include "pool/events.h"
#include "pool/memory.h"
#include "pool/pooler.h"
#include "pool/quota.h"
#include "pool/recycle.h"
#include "pool/shmem.h"
#include "pool/worker.h"

/*
 * How often the worker opens a transaction when nobody asks it to: every
 * few seconds normally, every second while it waits for the extension.
 */
#define LG_DB_INTERVAL_MS			5000
#define LG_DB_INTERVAL_WAITING_MS	1000
/* How often events and samples are written to their tables, and pruned. */
#define LG_PERSIST_INTERVAL_MS		1000
#define LG_PRUNE_INTERVAL_MS		60000
/* Alert changes handled per cycle; more wait for the next one. */
#define LG_MAX_ALERT_CHANGES		64

/* A backend the policy picked, re-checked before it is asked to end. */
typedef struct LgRetireCandidate
{
	int			slotno;
	int			pid;
	int			kind;			/* LifeguardEventKind */
	int			mode;			/* LG_AT_* bits of the request */
	int64		overdue_us;		/* past max_age by this much (age only) */
	BackendState state;
	TimestampTz state_change;
	TimestampTz sort_key;		/* earlier first within a kind */
} LgRetireCandidate;

static bool extension_missing_logged = false;

static void lg_worker_on_exit(int code, Datum arg);
static void lg_worker_set_error(const char *msg);
static void lg_worker_recover(MemoryContext cycle, const char *what);
static void lg_worker_db_tick(void);
static int	lg_candidate_cmp(const void *a, const void *b);
static const LifeguardRule *lg_slot_rule(LifeguardSlot *slot);
static int	lg_worker_refresh(LgRetireCandidate *cand, TimestampTz now,
							  LgPoolerSeen *seen, int *nseen);
static bool lg_age_allowance(LifeguardApp *app, int64 max_age_ms, TimestampTz now);
static void lg_worker_retire(LgRetireCandidate *cand, int ncand, TimestampTz now);
static void lg_worker_observe(TimestampTz now, TimestampTz *last_sample,
							  const LgPoolerAlertChange *pchanges, int npchanges,
							  LgAlertChange *changes, int *nchanges);
static void lg_worker_persist(LgAlertChange *changes, int nchanges, bool prune);
static Oid	lg_extension_owner(void);
static void lg_worker_as_owner(Oid owner, Oid *save_userid, int *save_sec);

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

/*
 * Error recovery for the transaction parts of a cycle (called from
 * PG_CATCH): log the error, keep it for worker_status, abort the
 * transaction and go on.  An error must never end the worker.
 */
static void
lg_worker_recover(MemoryContext cycle, const char *what)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cycle);
	edata = CopyErrorData();
	FlushErrorState();
	debug_query_string = NULL;
	ereport(LOG, (errmsg("%s: %s", what, edata->message)));
	lg_worker_set_error(edata->message);
	AbortCurrentTransaction();
	pgstat_report_activity(STATE_IDLE, NULL);
	FreeErrorData(edata);
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
 * Write events and samples to their tables and send NOTIFY for alert
 * changes, in one transaction; on a standby, or without the extension,
 * only log the alert changes.  Errors are caught like lg_worker_db_tick's.
 */
static void
lg_worker_persist(LgAlertChange *changes, int nchanges, bool prune)
{
	MemoryContext cycle = CurrentMemoryContext;
	uint64		events_upto = 0;
	uint64		samples_upto = 0;
	bool		committed = false;

	if (RecoveryInProgress())
	{
		lg_alerts_report(changes, nchanges, false);
		return;
	}

	PG_TRY();
	{
		Oid			owner;
		Oid			save_userid;
		int			save_sec;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "pg_lifeguard: writing events and history");
		owner = lg_extension_owner();
		if (OidIsValid(owner))
			lg_worker_as_owner(owner, &save_userid, &save_sec);
		/* NOTIFY needs no extension objects; the tables do */
		lg_alerts_report(changes, nchanges, true);
		if (OidIsValid(owner))
		{
			lg_persist_rings(prune, &events_upto, &samples_upto);
			SetUserIdAndSecContext(save_userid, save_sec);
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
		committed = true;
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_CATCH();
	{
		lg_worker_recover(cycle, "pg_lifeguard worker could not write events");
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cycle);
	/* only what is committed leaves the rings' unpersisted part */
	if (committed)
		lg_rings_mark_persisted(events_upto, samples_upto);
}

/*
 * The owner of the extension, or InvalidOid when it is not installed.
 * Caller is in a transaction.
 */
static Oid
lg_extension_owner(void)
{
	Oid			extoid = get_extension_oid("pg_lifeguard", true);
	Oid			owner = InvalidOid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	if (!OidIsValid(extoid))
		return InvalidOid;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

/*
 * Become the extension's owner in a security-restricted operation for the
 * SQL of a transaction part; the caller restores the saved identity (an
 * abort restores it too).
 */
static void
lg_worker_as_owner(Oid owner, Oid *save_userid, int *save_sec)
{
	GetUserIdAndSecContext(save_userid, save_sec);
	SetUserIdAndSecContext(owner, *save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
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

			/*
			 * Without the extension there is no table to see or change
			 * the rules by: stop enforcing them, and forget the saved copy
			 * so a restart does not bring them back.
			 */
			/* an unlocked look is enough: only this process empties them */
			if (lg_shared->nrules > 0)
			{
				uint64		g = lg_install_rules(NULL, 0);

				if (g != 0)
					lg_rules_file_write(NULL, 0, g);
				ereport(LOG,
						(errmsg("pg_lifeguard quota rules are no longer enforced: the extension is not installed in database \"%s\"",
								lg_database)));
			}
		}
		else
		{
			LifeguardRule *rules;
			int			n;
			uint64		gen;
			uint64		installed;
			Oid			save_userid;
			int			save_sec;

			if (extension_missing_logged)
				ereport(LOG,
						(errmsg("pg_lifeguard worker found the extension in database \"%s\"",
								lg_database)));
			extension_missing_logged = false;

			gen = lg_rules_generation();
			debug_query_string = "pg_lifeguard: SELECT FROM lifeguard.quotas";
			lg_worker_as_owner(lg_extension_owner(), &save_userid, &save_sec);
			n = lg_rules_read_table(&rules);
			SetUserIdAndSecContext(save_userid, save_sec);
			debug_query_string = NULL;
			/* a commit that installed newer rules meanwhile wins */
			installed = lg_install_rules_if(rules, n, gen);
			if (installed != 0)
				lg_rules_file_write(rules, n, installed);
		}
		CommitTransactionCommand();
		pgstat_report_activity(STATE_IDLE, NULL);
		lg_worker_set_error(NULL);
	}
	PG_CATCH();
	{
		lg_worker_recover(cycle, "pg_lifeguard worker cycle failed");
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cycle);
}

static int
lg_candidate_cmp(const void *a, const void *b)
{
	const LgRetireCandidate *ca = (const LgRetireCandidate *) a;
	const LgRetireCandidate *cb = (const LgRetireCandidate *) b;

	if (ca->kind != cb->kind)
		return (ca->kind > cb->kind) - (ca->kind < cb->kind);
	return (ca->sort_key > cb->sort_key) - (ca->sort_key < cb->sort_key);
}

/*
 * The rule governing a slot's backend, matched anew at every call (rules
 * can change between cycles).  Caller holds lg_shared->lock.
 */
static const LifeguardRule *
lg_slot_rule(LifeguardSlot *slot)
{
	int			r = lg_rule_match(slot->app, slot->rolname, slot->datname);

	return r >= 0 ? &lg_shared->rules[r] : NULL;
}

/*
 * Phase 1, under one exclusive hold of the lock: rewrite the gauges and
 * let the policy pick candidates for recycling and reclaiming.  "cand"
 * has room for one entry per slot; nothing is allocated under the lock.
 * Returns the number of candidates.
 */
static int
lg_worker_refresh(LgRetireCandidate *cand, TimestampTz now,
				  LgPoolerSeen *seen, int *nseen)
{
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;
	int			ncand = 0;
	int			usable = lg_usable_connections();
	bool		short_of_slots;
	int			released = 0;

	*nseen = 0;
	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);

	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
	{
		app->active = app->idle = app->idle_in_transaction = app->waiting = 0;
		app->oldest_start = app->longest_idle_since = app->longest_idle_xact_since = 0;
		app->xacts = app->xacts_closed;
		app->xact_us = app->xact_us_closed;
	}
	app = &lg_shared->overflow;
	app->active = app->idle = app->idle_in_transaction = app->waiting = 0;
	app->oldest_start = app->longest_idle_since = app->longest_idle_xact_since = 0;
	app->xacts = app->xacts_closed;
	app->xact_us = app->xact_us_closed;

	short_of_slots = lg_reclaim_threshold > 0 &&
		(usable - lg_shared->total_connections) < lg_reclaim_threshold * usable;

	for (int i = 0; i < lg_shared->nslots; i++)
	{
		LifeguardSlot *slot = &lg_shared->slots[i];
		LgBackend	bs;
		LgBackend  *b = &bs;
		const LifeguardRule *rule;
		LgRecycleLimits lim;
		TimestampTz eligible_at;
		int			kind;
		int			mode;

		/*
		 * A backend gone without releasing its slot (its PGPROC has another
		 * pid, or none) gets its place back.  The exit callback is
		 * registered before a slot is claimed, so this finds nothing unless
		 * something went badly wrong; it keeps a leak from lasting.
		 */
		if (slot->pid != 0 && LG_PROC_BY_INDEX(i)->pid != slot->pid)
		{
			lg_slot_release_locked(slot, now);
			released++;
		}
		if (slot->pid == 0 || slot->app == NULL)
			continue;
		app = slot->app;
		app->xacts += pg_atomic_read_u64(&slot->xacts);
		app->xact_us += pg_atomic_read_u64(&slot->xact_us);
		if (app->oldest_start == 0 || slot->connected_at < app->oldest_start)
			app->oldest_start = slot->connected_at;

		if (!lg_read_status(slot->be, slot->pid, b))
			continue;			/* still starting up */
		switch (b->state)
		{
			case STATE_IDLE:
				app->idle++;
				if (app->longest_idle_since == 0 || b->state_change < app->longest_idle_since)
					app->longest_idle_since = b->state_change;
				break;
			case STATE_IDLEINTRANSACTION:
			case STATE_IDLEINTRANSACTION_ABORTED:
				app->idle_in_transaction++;
				if (app->longest_idle_xact_since == 0 || b->state_change < app->longest_idle_xact_since)
					app->longest_idle_xact_since = b->state_change;
				break;
			default:
				app->active++;
				break;
		}
		if (lg_backend_waiting_on_lock(i, slot->pid))
			app->waiting++;

		/* a pooler's server connection: who uses it now (pooler.c) */
		if (slot->pooler)
		{
			LgPoolerSeen *ps = &seen[(*nseen)++];

			memset(&ps->key, 0, sizeof(LgPoolerKey));
			strlcpy(ps->key.pool_app, app->name, NAMEDATALEN);
			strlcpy(ps->key.role, slot->rolname, NAMEDATALEN);
			strlcpy(ps->key.db, slot->datname, NAMEDATALEN);
			lg_pooler_client_key(b->appname, ps->key.client);
			ps->busy = lg_pooler_state_busy(b->state);
		}

		/* the policy */
		rule = lg_slot_rule(slot);
		lg_recycle_limits(rule, &lim);
		kind = lg_recycle_plan(b->state, now, slot->connected_at, b->state_change,
							   lg_slot_memory(slot), slot->superuser, &lim,
							   &eligible_at, &mode);
		if (kind == LG_EV_NONE && short_of_slots && b->state == STATE_IDLE &&
			!slot->exempt && rule != NULL &&
			lg_effective_mode(rule) == LG_MODE_ENFORCE &&
			(!slot->superuser || lg_recycle_superusers))
		{
			kind = LG_EV_RECLAIMED;
			mode = 0;
		}
		if (kind != LG_EV_NONE)
		{
			LgRetireCandidate *c = &cand[ncand++];

			c->slotno = i;
			c->pid = slot->pid;
			c->kind = kind;
			c->mode = mode;
			c->overdue_us = kind == LG_EV_RECYCLED_AGE ?
				now - (slot->connected_at + lim.max_age_ms * 1000) : 0;
			c->state = b->state;
			c->state_change = b->state_change;
			/* oldest first for age, largest first for memory */
			c->sort_key = kind == LG_EV_RECYCLED_AGE ? slot->connected_at :
				kind == LG_EV_RECYCLED_MEMORY ? -lg_slot_memory(slot) :
				b->state_change;
		}
	}
	LWLockRelease(lg_shared->lock);
	if (released > 0)
		ereport(LOG,
				(errmsg("pg_lifeguard released %d connection slots of backends that ended without releasing them",
						released)));

	if (ncand > 1)
		qsort(cand, ncand, sizeof(LgRetireCandidate), lg_candidate_cmp);
	return ncand;
}

/*
 * May one more backend of "app" be retired for age now?  A token bucket
 * per application, refilled at about connections / max_age per second
 * with +-50% jitter, so that a pool that connected all at once is not
 * emptied all at once (the lesson of PgBouncer's server_lifetime).
 * Caller holds lg_shared->lock exclusively.
 */
static bool
lg_age_allowance(LifeguardApp *app, int64 max_age_ms, TimestampTz now)
{
	double		cap = Max(1.0, ceil(app->connections * 0.25));

	if (app->tokens_at == 0 || max_age_ms <= 0)
		app->recycle_tokens = cap;
	else
	{
		double		elapsed_ms = (double) (now - app->tokens_at) / 1000.0;
		double		jitter = 0.5 + lg_random_double();

		app->recycle_tokens += app->connections * elapsed_ms / max_age_ms * jitter;
		if (app->recycle_tokens > cap)
			app->recycle_tokens = cap;
	}
	app->tokens_at = now;
	if (app->recycle_tokens < 1.0)
		return false;
	app->recycle_tokens -= 1.0;
	return true;
}

/*
 * Phase 2: under the lock, re-read each candidate's status and ask it to
 * end at its next safe point (or, in dry run, record that it would have
 * been asked), within the per-cycle cap, the age rate limit, the min_idle
 * floor and the soft-limit floor of reclaiming.
 *
 * A request to end at the idle point is only sent if the backend's pid,
 * state and state-change time have not moved since phase 1.  A request
 * that allows a unit end (LG_AT_UNIT_END) is valid in any state: the
 * backend acts on it at its next unit end.  It stays in the slot until
 * then, so resending it is not a new retirement and does not count
 * against the cap.  A backend overdue by LG_HARD_OVERDUE_MS is asked
 * whatever the cap and the rate limit say, so that every backend past
 * max_age ends within max_age + naptime + 1 s (plus its transaction).
 */
static void
lg_worker_retire(LgRetireCandidate *cand, int ncand, TimestampTz now)
{
	int			done = 0;
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;

	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
		app->reclaim_pending = 0;

	for (int c = 0; c < ncand; c++)
	{
		LgRetireCandidate *cd = &cand[c];
		LifeguardSlot *slot = &lg_shared->slots[cd->slotno];
		LgBackend	b;
		const LifeguardRule *rule;
		LgRecycleLimits lim;
		bool		at_unit_end = (cd->mode & LG_AT_UNIT_END) != 0;
		bool		hard = cd->kind == LG_EV_RECYCLED_AGE &&
			cd->overdue_us >= (int64) LG_HARD_OVERDUE_MS * 1000;
		bool		pending;

		if (slot->pid != cd->pid || slot->app == NULL ||
			!lg_read_status(slot->be, cd->pid, &b))
			continue;			/* gone */
		/* re-read its status right before acting on it */
		if (!at_unit_end &&
			(b.state != cd->state || b.state_change != cd->state_change))
			continue;			/* it moved: leave it for a later cycle */
		pending = at_unit_end && slot->recycle_request == cd->kind &&
			(slot->recycle_allow_xact & LG_AT_UNIT_END) != 0;
		if (!pending && !hard && done >= lg_max_recycles_per_cycle)
			continue;
		app = slot->app;
		rule = lg_slot_rule(slot);
		lg_recycle_limits(rule, &lim);

		if (cd->kind == LG_EV_RECYCLED_IDLE &&
			app->idle - app->reclaim_pending <= lim.min_idle)
			continue;
		/* reclaiming never goes below the soft limit or the reservation */
		if (cd->kind == LG_EV_RECLAIMED &&
			(rule == NULL ||
			 app->connections - app->reclaim_pending <=
			 Max(rule->soft_limit, rule->reserved)))
			continue;
		if (cd->kind == LG_EV_RECYCLED_AGE && !pending && !hard &&
			!lg_age_allowance(app, lim.max_age_ms, now))
			continue;

		if (lg_dry_run)
		{
			if (slot->dry_run_noted != cd->kind)
			{
				slot->dry_run_noted = cd->kind;
				if (cd->kind == LG_EV_RECYCLED_MEMORY)
					lg_event_add_locked(cd->kind, app->name, cd->pid, slot->rolname, slot->datname,
										"\"dry_run\": true, \"connection_age_s\": %.1f, \"state_for_s\": %.1f, "
										"\"memory_bytes\": " INT64_FORMAT ", \"max_memory\": " INT64_FORMAT,
										(double) (now - slot->connected_at) / 1000000.0,
										(double) (now - cd->state_change) / 1000000.0,
										lg_slot_memory(slot), lim.max_memory_bytes);
				else
					lg_event_add_locked(cd->kind, app->name, cd->pid, slot->rolname, slot->datname,
										"\"dry_run\": true, \"connection_age_s\": %.1f, \"state_for_s\": %.1f",
										(double) (now - slot->connected_at) / 1000000.0,
										(double) (now - cd->state_change) / 1000000.0);
			}
			app->reclaim_pending++;
			done++;
			continue;
		}
		if (lg_recycle_request_locked(slot, cd->kind, cd->mode))
		{
			app->reclaim_pending++;
			if (!pending)
				done++;
		}
	}
	LWLockRelease(lg_shared->lock);
}

/*
 * History samples and alerts, then the transaction part when one is due:
 * persisting (primary only), NOTIFY for alert changes (primary only).
 */
static void
lg_worker_observe(TimestampTz now, TimestampTz *last_sample,
				  const LgPoolerAlertChange *pchanges, int npchanges,
				  LgAlertChange *changes, int *nchanges)
{
	bool		sample = TimestampDifferenceExceeds(*last_sample, now, lg_history_interval_ms);
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;

	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	if (sample)
	{
		hash_seq_init(&seq, lg_apps);
		while ((app = hash_seq_search(&seq)) != NULL)
			lg_sample_add_locked(app, now);
	}
	*nchanges = lg_alerts_evaluate_locked(changes, LG_MAX_ALERT_CHANGES);
	*nchanges += lg_alerts_add_pooler_locked(pchanges, npchanges, changes + *nchanges,
											 LG_MAX_ALERT_CHANGES - *nchanges);
	LWLockRelease(lg_shared->lock);
	if (sample)
		*last_sample = now;
}

/*
 * Entry point.
 */
void
lifeguard_worker_main(Datum main_arg)
{
	MemoryContext cycle_context;
	sigjmp_buf	local_sigjmp_buf;
	TimestampTz last_db_tick = 0;
	TimestampTz last_sample = 0;
	TimestampTz last_persist = 0;
	TimestampTz last_prune = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	if (!lg_shared)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_lifeguard shared memory is not initialized")));

	BackgroundWorkerInitializeConnection(lg_database, NULL, 0);

	/* see "Trust" in the file header */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "500", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "10000", PGC_SUSET, PGC_S_OVERRIDE);

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

	/*
	 * An error outside the guarded transaction parts (a query cancel seen
	 * by CHECK_FOR_INTERRUPTS, say) comes back here: report it, keep it in
	 * last_error, clean up and go on with the next cycle.
	 */
	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
	{
		ErrorData  *edata;

		error_context_stack = NULL;
		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		LWLockReleaseAll();
		FlushErrorState();
		lg_worker_set_error(edata->message);
		FreeErrorData(edata);
		MemoryContextReset(cycle_context);
		debug_query_string = NULL;
		RESUME_INTERRUPTS();
		/* do not spin on a persistent error */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 lg_naptime_ms, lg_worker_wait_event());
		ResetLatch(MyLatch);
	}
	PG_exception_stack = &local_sigjmp_buf;

	while (!ShutdownRequestPending)
	{
		TimestampTz start;
		TimestampTz end;
		bool		reload;
		LgRetireCandidate *cand;
		int			ncand;
		LgAlertChange changes[LG_MAX_ALERT_CHANGES];
		int			nchanges;
		LgPoolerSeen *seen;
		int			nseen;
		LgPoolerAlertChange pchanges[LG_MAX_ALERT_CHANGES];
		int			npchanges;

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

		cand = palloc(sizeof(LgRetireCandidate) * Max(lg_shared->nslots, 1));
		seen = palloc(sizeof(LgPoolerSeen) * Max(lg_shared->nslots, 1));
		ncand = lg_worker_refresh(cand, start, seen, &nseen);
		if (ncand > 0)
			lg_worker_retire(cand, ncand, start);
		npchanges = lg_pooler_evaluate(seen, nseen, start, pchanges, LG_MAX_ALERT_CHANGES);
		lg_worker_observe(start, &last_sample, pchanges, npchanges, changes, &nchanges);
		if (nchanges > 0 || (lg_shared->worker.extension_present &&
							 !lg_shared->worker.is_standby &&
							 TimestampDifferenceExceeds(last_persist, start, LG_PERSIST_INTERVAL_MS)))
		{
			lg_worker_persist(changes, nchanges,
							  TimestampDifferenceExceeds(last_prune, start, LG_PRUNE_INTERVAL_MS));
			last_persist = start;
			if (TimestampDifferenceExceeds(last_prune, start, LG_PRUNE_INTERVAL_MS))
				last_prune = start;
		}

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
