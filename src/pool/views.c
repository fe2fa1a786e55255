/*-------------------------------------------------------------------------
 *
 * views.c
 *		Set-returning functions behind the lifeguard.* views, and the
 *		statistics reset.
 *
 * Each function copies what it needs from shared memory under a shared
 * hold of lg_shared->lock (or the spinlock, for the worker's status),
 * releases it, and only then builds tuples.  The views in the install
 * script add the derived columns (intervals, ratios, the usage bar),
 * except lifeguard.pool_stats: from 1.1 on, application_stats() computes
 * every column of that view itself, its memory sums included, so that
 * the view is a plain projection of one function scan (README, "Design").
 *
 * Owns: the set-returning functions behind the connection views and
 * reset_stats.  Must not: change anything but counters (reset_stats).
 *
 * src/pool/views.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "core/compat.h"
#include "core/settings.h"
#include "pool/activity.h"
#include "pool/pooler.h"
#include "pool/memory.h"
#include "pool/quota.h"
#include "pool/recycle.h"
#include "pool/shmem.h"

PG_FUNCTION_INFO_V1(lifeguard_pool_stats_1_0);
PG_FUNCTION_INFO_V1(lifeguard_backends_1_0);
PG_FUNCTION_INFO_V1(lifeguard_server_usage_1_0);
PG_FUNCTION_INFO_V1(lifeguard_worker_status_1_0);
PG_FUNCTION_INFO_V1(lifeguard_reset_stats);
PG_FUNCTION_INFO_V1(lifeguard_usage_bar);
PG_FUNCTION_INFO_V1(lifeguard_backend_memory_1_1);
PG_FUNCTION_INFO_V1(lifeguard_application_memory_1_1);
PG_FUNCTION_INFO_V1(lifeguard_application_stats_1_1);

/* One application as the pool_stats function returns it. */
typedef struct PoolRow
{
	LifeguardApp app;
	bool		is_overflow;
	bool		has_rule;
	LifeguardRule rule;
} PoolRow;

/* One slot copied for the backends function. */
typedef struct SlotCopy
{
	int			pid;
	char		app[NAMEDATALEN];
	char		rolname[NAMEDATALEN];
	char		datname[NAMEDATALEN];
	TimestampTz connected_at;
	bool		superuser;
	int64		memory_bytes;
	LgRecycleLimits lim;
	LgBackend	status;
} SlotCopy;

/*
 * One application as application_stats() copies it: the entry's counters
 * and the limits of the rule that governs it as a whole.
 */
typedef struct AppStatsRow
{
	const LifeguardApp *entry;	/* identity only: never read after release */
	bool		is_overflow;
	bool		has_rule;
	int32		soft_limit;
	int32		hard_limit;
	int32		reserved;
	int			mode;			/* effective: lg_effective_mode */
	LifeguardApp app;
} AppStatsRow;

/* One sampled backend as application_stats() copies it. */
typedef struct AppMemoryCopy
{
	const LifeguardApp *entry;	/* the entry it counts under (identity) */
	int64		bytes;
	int64		initial;
	TimestampTz sampled_at;
	TimestampTz connected_at;
} AppMemoryCopy;

/* One backend's memory sample, copied from its slot. */
typedef struct MemoryCopy
{
	int			pid;
	Oid			roleid;
	bool		overflow;		/* counts under the overflow entry */
	char		app[NAMEDATALEN];
	int64		bytes;
	int64		initial;
	TimestampTz sampled_at;
	TimestampTz connected_at;
} MemoryCopy;

static const char *const mode_names[] = {"off", "warn", "enforce"};

/*
 * application_stats()'s copy of the shared state, kept from one call to
 * the next in a context of its own (lg_stats_buffers).  Allocated and
 * freed at every call, a copy of some hundred kilobytes made the C library
 * give memory back to the system at the end of every call and fault it
 * in again at the next, which cost more than all the rest of the call.
 * It holds at most the application table's capacity and the slots.
 */
static MemoryContext stats_cxt = NULL;
static AppStatsRow *stats_rows = NULL;
static int	stats_rows_room = 0;
static AppMemoryCopy *stats_mems = NULL;
static int64 *stats_initials = NULL;

/*
 * application_stats()'s result tuples live in a context of their own that
 * outlives the call, not in the query's.  A monitoring session that reads
 * pool_stats every few seconds would otherwise take some hundred kilobytes
 * from the C library at every call and give them back to the system at the
 * query's end (the heap's top is trimmed), paying a page fault for each
 * page at the next call: at 200 applications that was a tenth of the
 * call.  The tuplestore frees its tuples when the query ends them; the
 * context is reset once no query is using it (the count is kept by a
 * callback on each calling query's context, which runs on error too) if
 * it has grown past LG_STATS_STORE_KEEP, so what an interrupted call left
 * behind is bounded.
 */
static MemoryContext stats_store_cxt = NULL;
static int	stats_store_users = 0;

#define LG_STATS_STORE_KEEP		(1024 * 1024)

static Datum lg_timestamp_or_null(TimestampTz ts, bool *isnull);
static int	lg_copy_memory(MemoryCopy *out, bool sampled_only);
static int	lg_memory_cmp(const void *a, const void *b);
static void lg_reset_app_counters(LifeguardApp *app, TimestampTz now);
static text *lg_usage_bar_text(int32 connections, bool soft_null, int32 soft,
							   bool hard_null, int32 hard, bool width_null,
							   int32 width);
static Datum lg_age_interval(TimestampTz now, TimestampTz since);
static int	lg_app_memory_cmp(const void *a, const void *b);
static int	lg_int64_cmp(const void *a, const void *b);
static void lg_copy_app_stats(AppStatsRow *row, const LifeguardApp *app,
							  bool is_overflow);
static int64 lg_div_round(int64 num, int64 den);
static void lg_stats_buffers(int room);
static void lg_stats_store_begin(FunctionCallInfo fcinfo);
static void lg_stats_store_done(void *arg);

/*
 * Zero an application's counters, keeping its live count.
 * Caller holds lg_shared->lock exclusively.
 */
static void
lg_reset_app_counters(LifeguardApp *app, TimestampTz now)
{
	app->opened = app->closed = 0;
	app->rejected = app->would_reject = app->soft_warnings = 0;
	app->reclaimed = app->recycled = 0;
	/* mean_session divides this by closed: they restart together */
	app->session_ms_closed = 0;
	app->xacts_closed = app->xact_us_closed = 0;
	app->peak = app->connections;
	app->peak_at = app->connections > 0 ? now : 0;
	app->first_seen = now;
}

static Datum
lg_timestamp_or_null(TimestampTz ts, bool *isnull)
{
	*isnull = (ts == 0);
	return TimestampTzGetDatum(ts);
}

/*
 * Does pool_stats list this entry?  Not one reserved for a rule's name
 * that no client has used since the last reset.  Caller holds
 * lg_shared->lock.
 */
static inline bool
lg_app_listed(const LifeguardApp *app)
{
	return app->opened > 0 || app->rejected > 0 || app->connections > 0;
}

/*
 * Copy one application entry and the rule that governs it as a whole
 * (the one matching with no particular role or database).
 * Caller holds lg_shared->lock.
 */
static void
lg_copy_pool_row(PoolRow *row, const LifeguardApp *app, bool is_overflow)
{
	int			r = -1;

	row->app = *app;
	row->is_overflow = is_overflow;
	if (!is_overflow)
		r = lg_rule_match(app, "", "");
	row->has_rule = (r >= 0);
	if (r >= 0)
		row->rule = lg_shared->rules[r];
}

/*
 * lifeguard.pool_stats(): one row per application seen since the last
 * reset (not the entries reserved for names no client has used yet), plus
 * the overflow entry when it was ever used.
 */
Datum
lifeguard_pool_stats_1_0(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;
	PoolRow    *rows;
	int			n = 0;
	int			cap;

	lg_require_shmem();
	InitMaterializedSRF(fcinfo, 0);

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	cap = (int) hash_get_num_entries(lg_apps) + 1;
	LWLockRelease(lg_shared->lock);

	/* allocate outside the lock; the table cannot grow past its cap */
	cap = Max(cap, lg_app_capacity() + 1);
	rows = palloc(sizeof(PoolRow) * cap);

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
	{
		if (n >= cap - 1)
		{
			hash_seq_term(&seq);
			break;
		}
		if (!lg_app_listed(app))
			continue;
		lg_copy_pool_row(&rows[n++], app, false);
	}
	if (lg_app_listed(&lg_shared->overflow))
		lg_copy_pool_row(&rows[n++], &lg_shared->overflow, true);
	LWLockRelease(lg_shared->lock);

	for (int i = 0; i < n; i++)
	{
		PoolRow    *row = &rows[i];
		Datum		values[26];
		bool		nulls[26];
		int			j = 0;

		memset(nulls, 0, sizeof(nulls));
		if (row->is_overflow)
			nulls[j++] = true;
		else
			values[j++] = CStringGetTextDatum(row->app.name);
		values[j++] = Int32GetDatum(row->app.connections);
		values[j++] = Int32GetDatum(row->app.active);
		values[j++] = Int32GetDatum(row->app.idle);
		values[j++] = Int32GetDatum(row->app.idle_in_transaction);
		values[j++] = Int32GetDatum(row->app.waiting);
		values[j++] = Int32GetDatum(row->app.peak);
		values[j] = lg_timestamp_or_null(row->app.peak_at, &nulls[j]);
		j++;
		values[j++] = Int64GetDatum(row->app.opened);
		values[j++] = Int64GetDatum(row->app.closed);
		values[j] = lg_timestamp_or_null(row->app.oldest_start, &nulls[j]);
		j++;
		values[j] = lg_timestamp_or_null(row->app.longest_idle_since, &nulls[j]);
		j++;
		values[j++] = Int64GetDatum(row->app.rejected);
		values[j++] = Int64GetDatum(row->app.would_reject);
		values[j++] = Int64GetDatum(row->app.soft_warnings);
		values[j++] = Int64GetDatum(row->app.reclaimed);
		values[j++] = Int64GetDatum(row->app.recycled);
		if (row->has_rule)
		{
			values[j++] = Int32GetDatum(row->rule.soft_limit);
			values[j++] = Int32GetDatum(row->rule.hard_limit);
			values[j++] = Int32GetDatum(row->rule.reserved);
			values[j++] = CStringGetTextDatum(mode_names[lg_effective_mode(&row->rule)]);
		}
		else
		{
			nulls[j++] = true;
			nulls[j++] = true;
			nulls[j++] = true;
			nulls[j++] = true;
		}
		values[j] = lg_timestamp_or_null(row->app.first_seen, &nulls[j]);
		j++;
		values[j] = lg_timestamp_or_null(row->app.longest_idle_xact_since, &nulls[j]);
		j++;
		values[j++] = Int64GetDatum(row->app.xacts);
		values[j++] = Int64GetDatum(row->app.xact_us);
		values[j++] = Int64GetDatum(row->app.session_ms_closed);
		Assert(j == 26);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * lifeguard.backends(): one row per client backend.  Like pg_stat_activity,
 * a caller without pg_read_all_stats sees the state and times only of
 * backends whose role it has the privileges of.
 */
Datum
lifeguard_backends_1_0(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SlotCopy   *slots;
	int			nslots = 0;
	bool		read_all;

	lg_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	read_all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	slots = palloc(sizeof(SlotCopy) * Max(lg_shared->nslots, 1));

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	for (int i = 0; i < lg_shared->nslots; i++)
	{
		LifeguardSlot *s = &lg_shared->slots[i];
		SlotCopy   *c;

		if (s->pid == 0)
			continue;
		c = &slots[nslots];
		if (!lg_read_status(s->be, s->pid, &c->status))
			continue;			/* not yet in the status array */
		nslots++;
		c->pid = s->pid;
		memcpy(c->app, s->app ? s->app->name : "", NAMEDATALEN);
		memcpy(c->rolname, s->rolname, NAMEDATALEN);
		memcpy(c->datname, s->datname, NAMEDATALEN);
		c->connected_at = s->connected_at;
		c->superuser = s->superuser;
		c->memory_bytes = lg_slot_memory(s);
		{
			int			r = s->app ? lg_rule_match(s->app, s->rolname,
												   s->datname) : -1;

			lg_recycle_limits(r >= 0 ? &lg_shared->rules[r] : NULL, &c->lim);
		}
	}
	LWLockRelease(lg_shared->lock);

	for (int i = 0; i < nslots; i++)
	{
		SlotCopy   *c = &slots[i];
		LgBackend  *b = &c->status;
		Datum		values[11];
		bool		nulls[11];
		bool		visible;
		const char *state;
		TimestampTz eligible_at;
		int			kind;

		visible = read_all || has_privs_of_role(GetUserId(), b->userid);
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(c->pid);
		values[1] = CStringGetTextDatum(c->app);
		values[2] = CStringGetTextDatum(b->appname);
		values[3] = CStringGetTextDatum(c->rolname);
		values[4] = CStringGetTextDatum(c->datname);
		state = lg_state_name(b->state);
		if (visible && state)
			values[5] = CStringGetTextDatum(state);
		else
			nulls[5] = true;
		if (visible)
		{
			values[6] = TimestampTzGetDatum(b->backend_start);
			values[7] = TimestampTzGetDatum(b->state_change);
			nulls[7] = (b->state_change == 0);
		}
		else
			nulls[6] = nulls[7] = true;
		values[8] = BoolGetDatum(visible);
		kind = lg_recycle_decide(b->state, GetCurrentTimestamp(), c->connected_at,
								 b->state_change, c->memory_bytes, c->superuser,
								 &c->lim, &eligible_at);
		if (visible && kind != LG_EV_NONE)
			values[9] = CStringGetTextDatum(lg_event_kind_name(kind));
		else
			nulls[9] = true;
		values[10] = TimestampTzGetDatum(eligible_at);
		nulls[10] = !visible || eligible_at == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * lifeguard.server_usage(): one row, the server's connection budget.
 */
Datum
lifeguard_server_usage_1_0(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8];
	int32		used;
	int64		sum_hard = 0;
	int64		sum_reserved = 0;
	int			nnamed = 0;

	lg_require_shmem();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	used = lg_shared->total_connections;
	for (int i = 0; i < lg_shared->nrules; i++)
	{
		const LifeguardRule *r = &lg_shared->rules[i];

		if (strcmp(r->app, "*") == 0 || r->mode == LG_MODE_OFF)
			continue;
		sum_hard += r->hard_limit;
		sum_reserved += r->reserved;
		nnamed++;
	}
	LWLockRelease(lg_shared->lock);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(MaxConnections);
	values[1] = Int32GetDatum(lg_superuser_reserved_slots());
	values[2] = Int32GetDatum(lg_reserved_slots() - lg_superuser_reserved_slots());
	values[3] = Int32GetDatum(lg_usable_connections());
	values[4] = Int32GetDatum(used);
	values[5] = Int64GetDatum(sum_hard);
	values[6] = Int64GetDatum(sum_reserved);
	values[7] = Int32GetDatum(nnamed);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * lifeguard.worker_status(): one row, NULL pid when no worker runs.
 */
Datum
lifeguard_worker_status_1_0(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9];
	LifeguardWorkerInfo w;

	lg_require_shmem();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	SpinLockAcquire(&lg_shared->mutex);
	w = lg_shared->worker;
	SpinLockRelease(&lg_shared->mutex);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(w.pid);
	nulls[0] = (w.pid == 0);
	values[1] = CStringGetTextDatum(lg_database);
	values[2] = lg_timestamp_or_null(w.started_at, &nulls[2]);
	values[3] = lg_timestamp_or_null(w.last_cycle_at, &nulls[3]);
	values[4] = Float8GetDatum(w.last_cycle_ms);
	nulls[4] = (w.cycles == 0);
	values[5] = Int64GetDatum(w.cycles);
	values[6] = BoolGetDatum(w.is_standby);
	values[7] = CStringGetTextDatum(w.last_error);
	nulls[7] = (w.last_error[0] == '\0');
	values[8] = BoolGetDatum(w.extension_present);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * lifeguard.reset_stats(): forget applications with no connections and
 * zero the counters of the others.  Live counts are kept, so quotas keep
 * holding.  Execute privilege is granted to lifeguard_admin only.
 */
Datum
lifeguard_reset_stats(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;
	TimestampTz now = GetCurrentTimestamp();

	lg_require_shmem();

	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
	{
		if (app->connections == 0 && app->first_rule < 0)
			lg_app_forget(app);
		else
			lg_reset_app_counters(app, now);
	}
	lg_reset_app_counters(&lg_shared->overflow, now);
	lg_shared->overflow_logged = false;
	lg_shared->total_rejected = 0;
	lg_shared->stats_reset = now;
	LWLockRelease(lg_shared->lock);
	/* the pooler's table has its own lock, never held with this one */
	lg_pooler_reset();

	PG_RETURN_VOID();
}

/*
 * lifeguard.usage_bar(connections, soft_limit, hard_limit, width): a bar
 * a person reads at a glance: '#' up to the soft limit, '+' above it, '.'
 * for what is left up to the hard limit, then "connections/hard_limit".
 * Without a hard limit (NULL or 0) or a width, just the count.
 *
 * In C because pool_stats calls it once per application: as a function
 * with its own search_path it cost more than the rest of the view.
 * Not strict: NULL limits are meaningful.
 */
Datum
lifeguard_usage_bar(PG_FUNCTION_ARGS)
{
	bool		soft_null = PG_ARGISNULL(1);
	bool		hard_null = PG_ARGISNULL(2);
	bool		width_null = PG_NARGS() < 4 || PG_ARGISNULL(3);

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(lg_usage_bar_text(PG_GETARG_INT32(0),
									   soft_null, soft_null ? 0 : PG_GETARG_INT32(1),
									   hard_null, hard_null ? 0 : PG_GETARG_INT32(2),
									   width_null, width_null ? 0 : PG_GETARG_INT32(3)));
}

/*
 * The bar of lifeguard.usage_bar(), for its SQL function and for
 * application_stats(); a limit or the width is NULL when its flag says so.
 */
static text *
lg_usage_bar_text(int32 connections, bool soft_null, int32 soft,
				  bool hard_null, int32 hard, bool width_null, int32 width)
{
	int64		soft_cells;
	int64		used_cells;
	/* '[', at most 1000 cells, then "] connections/hard_limit" */
	char		buf[1 + 1000 + 2 + 2 * MAXINT8LEN + 2];
	int			len = 0;

	if (connections < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("connections must not be negative"),
				 errdetail("connections is %d.", connections)));
	if ((!soft_null && soft < 0) || (!hard_null && hard < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("limits must not be negative"),
				 errdetail("soft_limit is %s and hard_limit is %s.",
						   soft_null ? "" : psprintf("%d", soft),
						   hard_null ? "" : psprintf("%d", hard))));
	if (!soft_null && !hard_null && soft > hard)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("soft_limit %d is greater than hard_limit %d", soft, hard)));
	if (!width_null && (width < 1 || width > 1000))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("width must be between 1 and 1000 characters"),
				 errdetail("width is %d.", width)));
	if (hard_null || hard == 0 || width_null)
	{
		len = pg_ltoa(connections, buf);
		return cstring_to_text_with_len(buf, len);
	}

	/*
	 * In 64 bits: connections * width must not overflow.  Built on the
	 * stack: application_stats() makes one per row, and a StringInfo would
	 * allocate a kilobyte each time.
	 */
	soft_cells = (int64) Min(connections, soft_null ? hard : soft) * width / hard;
	used_cells = (int64) Min(connections, hard) * width / hard;
	buf[len++] = '[';
	for (int64 i = 0; i < width; i++)
		buf[len++] = i < soft_cells ? '#' : i < used_cells ? '+' : '.';
	/* "] connections/hard", without a format string: one per row */
	buf[len++] = ']';
	buf[len++] = ' ';
	len += pg_ltoa(connections, buf + len);
	buf[len++] = '/';
	len += pg_ltoa(hard, buf + len);
	return cstring_to_text_with_len(buf, len);
}

/*
 * Copy the memory samples of the counted backends (with "sampled_only",
 * only of those that have published one) into out[], which has room for
 * every slot.  Returns the count.
 */
static int
lg_copy_memory(MemoryCopy *out, bool sampled_only)
{
	int			n = 0;

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	for (int i = 0; i < lg_shared->nslots; i++)
	{
		LifeguardSlot *s = &lg_shared->slots[i];
		MemoryCopy *c = &out[n];

		if (s->pid == 0 || s->app == NULL)
			continue;
		c->sampled_at = lg_slot_memory_sampled_at(s);
		if (sampled_only && c->sampled_at == 0)
			continue;
		c->pid = s->pid;
		c->roleid = s->roleid;
		c->overflow = (s->app == &lg_shared->overflow);
		memcpy(c->app, s->app->name, NAMEDATALEN);
		c->bytes = lg_slot_memory(s);
		c->initial = (int64) pg_atomic_read_u64(&s->memory_initial);
		c->connected_at = s->connected_at;
		n++;
	}
	LWLockRelease(lg_shared->lock);
	return n;
}

/* By application (the overflow entry last), then by size. */
static int
lg_memory_cmp(const void *a, const void *b)
{
	const MemoryCopy *ma = a;
	const MemoryCopy *mb = b;
	int			c;

	if (ma->overflow != mb->overflow)
		return ma->overflow ? 1 : -1;
	c = strcmp(ma->app, mb->app);
	if (c != 0)
		return c;
	return (ma->bytes > mb->bytes) - (ma->bytes < mb->bytes);
}

/*
 * lifeguard.backend_memory(): each client backend's latest memory sample,
 * its first one (taken right after login) and when the latest was taken;
 * NULL before the first sample.  Like the state in lifeguard.backends,
 * the numbers of another role's backend are shown only to a caller with
 * its privileges or those of pg_read_all_stats.
 */
Datum
lifeguard_backend_memory_1_1(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryCopy *rows;
	int			n;
	bool		read_all;

	lg_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	read_all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
	rows = palloc(sizeof(MemoryCopy) * Max(lg_shared->nslots, 1));
	n = lg_copy_memory(rows, false);

	for (int i = 0; i < n; i++)
	{
		MemoryCopy *c = &rows[i];
		Datum		values[4];
		bool		nulls[4];
		bool		shown;

		shown = c->sampled_at != 0 &&
			(read_all || has_privs_of_role(GetUserId(), c->roleid));
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(c->pid);
		values[1] = Int64GetDatum(c->bytes);
		values[2] = Int64GetDatum(c->initial);
		values[3] = TimestampTzGetDatum(c->sampled_at);
		nulls[1] = nulls[2] = nulls[3] = !shown;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * lifeguard.application_memory(): per application (NULL: the overflow
 * entry), over its backends that have published a sample: how many, the
 * sum, largest and median of their latest samples, the median of their
 * first samples, and their growth per hour of connection age, which is
 * the summed growth since the first sample over the summed age at the
 * latest one (NULL while that age is zero).
 */
Datum
lifeguard_application_memory_1_1(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryCopy *rows;
	int64	   *initials;
	int			n;

	lg_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	rows = palloc(sizeof(MemoryCopy) * Max(lg_shared->nslots, 1));
	initials = palloc(sizeof(int64) * Max(lg_shared->nslots, 1));
	n = lg_copy_memory(rows, true);
	if (n > 1)
		qsort(rows, n, sizeof(MemoryCopy), lg_memory_cmp);

	for (int i = 0; i < n;)
	{
		int			j = i;
		int64		total = 0;
		double		grown = 0;
		double		age_h = 0;
		Datum		values[7];
		bool		nulls[7];
		int			k;

		while (j < n && rows[j].overflow == rows[i].overflow &&
			   strcmp(rows[j].app, rows[i].app) == 0)
		{
			total += rows[j].bytes;
			grown += (double) (rows[j].bytes - rows[j].initial);
			age_h += (double) Max(rows[j].sampled_at - rows[j].connected_at, 0) / 3600e6;
			initials[j - i] = rows[j].initial;
			j++;
		}
		k = j - i;
		/* insertion sort: a handful of backends per application */
		for (int a = 1; a < k; a++)
			for (int b = a; b > 0 && initials[b - 1] > initials[b]; b--)
			{
				int64		t = initials[b];

				initials[b] = initials[b - 1];
				initials[b - 1] = t;
			}

		memset(nulls, 0, sizeof(nulls));
		if (rows[i].overflow)
			nulls[0] = true;
		else
			values[0] = CStringGetTextDatum(rows[i].app);
		values[1] = Int32GetDatum(k);
		values[2] = Int64GetDatum(total);
		values[3] = Int64GetDatum(rows[j - 1].bytes);
		values[4] = Int64GetDatum(rows[i + (k - 1) / 2].bytes);
		values[5] = Int64GetDatum(initials[(k - 1) / 2]);
		values[6] = Float8GetDatum(age_h > 0 ? grown / age_h : 0);
		nulls[6] = !(age_h > 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		i = j;
	}
	return (Datum) 0;
}

/*
 * greatest(now - since, '0'::interval), as the 1.0 view computed it: a
 * difference of timestamps is days and a time of day (timestamptz_mi
 * justifies the hours), and greatest() ignores the NULL of an unknown
 * "since" (0 here), which therefore gives a zero interval too.
 */
static Datum
lg_age_interval(TimestampTz now, TimestampTz since)
{
	Interval   *result = palloc0(sizeof(Interval));

	if (since != 0 && now > since)
	{
		TimeOffset	diff = now - since;

		result->day = (int32) (diff / USECS_PER_DAY);
		result->time = diff % USECS_PER_DAY;
	}
	return IntervalPGetDatum(result);
}

/*
 * Copy one application entry and the limits of the rule that governs it
 * as a whole, for application_stats().  Caller holds lg_shared->lock.
 */
static void
lg_copy_app_stats(AppStatsRow *row, const LifeguardApp *app, bool is_overflow)
{
	int			r = -1;

	row->entry = app;
	row->is_overflow = is_overflow;
	row->app = *app;
	if (!is_overflow)
		r = lg_rule_match(app, "", "");
	row->has_rule = (r >= 0);
	if (r >= 0)
	{
		const LifeguardRule *rule = &lg_shared->rules[r];

		row->soft_limit = rule->soft_limit;
		row->hard_limit = rule->hard_limit;
		row->reserved = rule->reserved;
		row->mode = lg_effective_mode(rule);
	}
}

/*
 * Make application_stats()'s buffers hold at least "room" rows and one
 * sample per slot.
 */
static void
lg_stats_buffers(int room)
{
	int			nslots = Max(lg_shared->nslots, 1);

	if (stats_cxt == NULL)
	{
		stats_cxt = AllocSetContextCreate(TopMemoryContext,
										  "pg_lifeguard application_stats",
										  ALLOCSET_DEFAULT_SIZES);
		stats_mems = MemoryContextAlloc(stats_cxt, sizeof(AppMemoryCopy) * nslots);
		stats_initials = MemoryContextAlloc(stats_cxt, sizeof(int64) * nslots);
	}
	if (room > stats_rows_room)
	{
		if (stats_rows != NULL)
			pfree(stats_rows);
		stats_rows = NULL;
		stats_rows_room = 0;
		stats_rows = MemoryContextAlloc(stats_cxt, sizeof(AppStatsRow) * room);
		stats_rows_room = room;
	}
}

/*
 * A query that called application_stats() has ended (or failed): see
 * stats_store_cxt.
 */
static void
lg_stats_store_done(void *arg)
{
	stats_store_users--;
	if (stats_store_users == 0 &&
		MemoryContextMemAllocated(stats_store_cxt, false) > LG_STATS_STORE_KEEP)
		MemoryContextReset(stats_store_cxt);
}

/*
 * InitMaterializedSRF with the tuplestore in stats_store_cxt: the checks,
 * the result's descriptor in the query's context, and the callback that
 * counts the query out when its context goes.
 */
static void
lg_stats_store_begin(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext per_query;
	MemoryContext old;
	MemoryContextCallback *cb;
	TupleDesc	tupdesc;

	lg_srf_require_materialize(rsinfo);
	per_query = rsinfo->econtext->ecxt_per_query_memory;
	if (stats_store_cxt == NULL)
		stats_store_cxt = AllocSetContextCreate(TopMemoryContext,
												"pg_lifeguard application_stats result",
												ALLOCSET_DEFAULT_SIZES);

	old = MemoryContextSwitchTo(per_query);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = lg_stats_store_done;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(per_query, cb);
	stats_store_users++;

	MemoryContextSwitchTo(stats_store_cxt);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
											  false, work_mem);
	rsinfo->setDesc = tupdesc;
	MemoryContextSwitchTo(old);
}

/*
 * num / den rounded half away from zero, as numeric's round() does to an
 * exact quotient; den > 0.
 */
static int64
lg_div_round(int64 num, int64 den)
{
	int64		q = num / den;
	int64		r = num % den;

	if (r > 0 && r >= den - r)
		q++;
	else if (r < 0 && -r >= den + r)
		q--;
	return q;
}

/* By entry, then by size, as application_memory() orders an application's. */
static int
lg_app_memory_cmp(const void *a, const void *b)
{
	const AppMemoryCopy *ma = a;
	const AppMemoryCopy *mb = b;
	uintptr_t	ea = (uintptr_t) ma->entry;
	uintptr_t	eb = (uintptr_t) mb->entry;

	if (ea != eb)
		return (ea > eb) - (ea < eb);
	return (ma->bytes > mb->bytes) - (ma->bytes < mb->bytes);
}

static int
lg_int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * lifeguard.application_stats(): the lifeguard.pool_stats view, computed.
 * One row per application as lifeguard.pool_stats() has them (the same
 * rows, in the same order), with every column of the view already
 * derived, then four more that lifeguard.pool_advice reads: what
 * application_memory() says of the application.
 *
 * The applications, their rules and the memory samples of their backends
 * are copied in one shared hold of lg_shared->lock (two, if the table
 * grew while the copy's memory was allocated); everything else happens
 * after it is released.  Backends are matched to their
 * application by the address of the entry they count under, which is an
 * identity only: nothing is read through it once the lock is released.
 *
 * The derived columns are those of the 1.0 view's SQL, in C:
 *	- oldest_connection, longest_idle, longest_idle_in_transaction:
 *	  greatest(statement_timestamp() - since, '0'::interval);
 *	- utilization: round(connections::numeric / nullif(hard_limit, 0), 3);
 *	- status and usage_bar: from connections and the rule's limits;
 *	- mean_session: closed_session_ms / closed (an integer division)
 *	  milliseconds, as a time of day without days;
 *	- mean_xact_ms: round(xact_time_us::numeric / xacts / 1000, 3).
 * The two numerics are the exact quotient rounded half away from zero,
 * computed in integers.  SQL rounds numeric's quotient, itself rounded to
 * at least 16 significant digits: for utilization that is always the same
 * result (a quotient of int32s is never that close to a half); for
 * mean_xact_ms it could be 0.001 more only when the mean in microseconds
 * lies within about 10^-9 of a half, which takes hundreds of millions of
 * transactions.
 */
Datum
lifeguard_application_stats_1_1(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now = GetCurrentStatementStartTimestamp();
	dlist_iter	iter;
	LifeguardApp *app;
	AppStatsRow *rows;
	AppMemoryCopy *mems;
	int64	   *initials;
	int			nrows = 0;
	int			nmems = 0;
	int			room;
	Datum		mode_text[lengthof(mode_names)];
	Datum		status_ok;
	Datum		status_at_hard;
	Datum		status_over_soft;
	MemoryContext rowcxt;
	MemoryContext oldcxt;

	lg_require_shmem();
	lg_stats_store_begin(fcinfo);

	/*
	 * Make room before taking the lock, for the entries the table holds
	 * now plus the overflow entry: the count read without the lock is only
	 * a guess, checked under it, and if the table grew in between, the
	 * second attempt makes room for its whole capacity, which it cannot
	 * grow past.
	 */
	room = (int) hash_get_num_entries(lg_apps) + 1;
	for (;;)
	{
		lg_stats_buffers(room);
		LWLockAcquire(lg_shared->lock, LW_SHARED);
		if (hash_get_num_entries(lg_apps) < stats_rows_room)
			break;
		LWLockRelease(lg_shared->lock);
		room = lg_app_capacity() + 1;
	}
	room = stats_rows_room;
	rows = stats_rows;
	mems = stats_mems;
	initials = stats_initials;

	/* only the entries that ever counted a login can be listed */
	dlist_foreach(iter, &lg_shared->seen_apps)
	{
		app = dlist_container(LifeguardApp, seen_node, iter.cur);
		if (nrows >= room - 1)
			break;
		if (!lg_app_listed(app))
			continue;
		lg_copy_app_stats(&rows[nrows++], app, false);
	}
	if (lg_app_listed(&lg_shared->overflow))
		lg_copy_app_stats(&rows[nrows++], &lg_shared->overflow, true);
	for (int i = 0; i < lg_shared->nslots; i++)
	{
		LifeguardSlot *s = &lg_shared->slots[i];
		AppMemoryCopy *c = &mems[nmems];

		if (s->pid == 0 || s->app == NULL)
			continue;
		c->sampled_at = lg_slot_memory_sampled_at(s);
		if (c->sampled_at == 0)
			continue;
		c->entry = s->app;
		c->bytes = lg_slot_memory(s);
		c->initial = (int64) pg_atomic_read_u64(&s->memory_initial);
		c->connected_at = s->connected_at;
		nmems++;
	}
	LWLockRelease(lg_shared->lock);

	if (nmems > 1)
		qsort(mems, nmems, sizeof(AppMemoryCopy), lg_app_memory_cmp);

	/* the few distinct texts, made once */
	for (int i = 0; i < lengthof(mode_names); i++)
		mode_text[i] = CStringGetTextDatum(mode_names[i]);
	status_ok = CStringGetTextDatum("ok");
	status_at_hard = CStringGetTextDatum("at_hard");
	status_over_soft = CStringGetTextDatum("over_soft");

	/*
	 * Each row's datums are built in a context reset after the tuplestore
	 * has copied them: the memory of a call does not grow with the rows.
	 */
	rowcxt = AllocSetContextCreate(CurrentMemoryContext,
								   "application_stats row",
								   ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(rowcxt);
	for (int i = 0; i < nrows; i++)
	{
		AppStatsRow *row = &rows[i];
		LifeguardApp *a = &row->app;
		Datum		values[35];
		bool		nulls[35];
		int			j = 0;
		int			lo = 0;
		int			hi = nmems;
		int			k;

		memset(nulls, 0, sizeof(nulls));
		if (row->is_overflow)
			nulls[j++] = true;
		else
			values[j++] = CStringGetTextDatum(a->name);
		values[j++] = Int32GetDatum(a->connections);
		values[j++] = Int32GetDatum(a->active);
		values[j++] = Int32GetDatum(a->idle);
		values[j++] = Int32GetDatum(a->idle_in_transaction);
		values[j++] = Int32GetDatum(a->waiting);
		values[j++] = Int32GetDatum(a->peak);
		values[j] = lg_timestamp_or_null(a->peak_at, &nulls[j]);
		j++;
		values[j++] = Int64GetDatum(a->opened);
		values[j++] = Int64GetDatum(a->closed);
		values[j++] = lg_age_interval(now, a->oldest_start);	/* oldest_connection */
		values[j++] = lg_age_interval(now, a->longest_idle_since);	/* longest_idle */
		if (row->has_rule)
		{
			values[j++] = Int32GetDatum(row->soft_limit);
			values[j++] = Int32GetDatum(row->hard_limit);
			values[j++] = Int32GetDatum(row->reserved);
			values[j++] = mode_text[row->mode];
		}
		else
		{
			nulls[j++] = true;
			nulls[j++] = true;
			nulls[j++] = true;
			nulls[j++] = true;
		}
		/* utilization */
		if (row->has_rule && row->hard_limit > 0)
			values[j++] = NumericGetDatum(int64_div_fast_to_numeric(lg_div_round((int64) a->connections * 1000,
																				 row->hard_limit), 3));
		else
			nulls[j++] = true;
		values[j++] = Int64GetDatum(a->rejected);
		values[j++] = Int64GetDatum(a->would_reject);
		values[j++] = Int64GetDatum(a->soft_warnings);
		values[j++] = Int64GetDatum(a->reclaimed);
		values[j++] = Int64GetDatum(a->recycled);
		/* status */
		if (!row->has_rule || row->mode == LG_MODE_OFF)
			values[j++] = status_ok;
		else if (a->connections >= row->hard_limit)
			values[j++] = status_at_hard;
		else if (a->connections > row->soft_limit)
			values[j++] = status_over_soft;
		else
			values[j++] = status_ok;
		/* usage_bar, at lifeguard.usage_bar's default width */
		values[j++] = PointerGetDatum(lg_usage_bar_text(a->connections,
														!row->has_rule, row->soft_limit,
														!row->has_rule, row->hard_limit,
														false, 20));
		values[j] = lg_timestamp_or_null(a->first_seen, &nulls[j]);
		j++;
		values[j++] = lg_age_interval(now, a->longest_idle_xact_since);
		/* mean_session */
		if (a->closed > 0)
		{
			Interval   *mean = palloc0(sizeof(Interval));

			mean->time = a->session_ms_closed / a->closed * INT64CONST(1000);
			values[j++] = IntervalPGetDatum(mean);
		}
		else
			nulls[j++] = true;
		values[j++] = Int64GetDatum(a->xacts);
		/* mean_xact_ms, from the mean in whole microseconds */
		if (a->xacts > 0)
			values[j++] = NumericGetDatum(int64_div_fast_to_numeric(lg_div_round(a->xact_us, a->xacts), 3));
		else
			nulls[j++] = true;

		/* this application's sampled backends: mems[lo .. lo + k - 1] */
		while (lo < hi)
		{
			int			mid = lo + (hi - lo) / 2;

			if ((uintptr_t) mems[mid].entry < (uintptr_t) row->entry)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (k = 0; lo + k < nmems && mems[lo + k].entry == row->entry; k++)
			;
		if (k > 0)
		{
			AppMemoryCopy *m = &mems[lo];
			int64		total = 0;
			double		grown = 0;
			double		age_h = 0;

			for (int b = 0; b < k; b++)
			{
				total += m[b].bytes;
				grown += (double) (m[b].bytes - m[b].initial);
				age_h += (double) Max(m[b].sampled_at - m[b].connected_at, 0) / 3600e6;
				initials[b] = m[b].initial;
			}
			if (k > 1)
				qsort(initials, k, sizeof(int64), lg_int64_cmp);
			values[j++] = Int64GetDatum(total); /* memory_total */
			values[j++] = Int64GetDatum(m[k - 1].bytes);	/* memory_max */
			values[j++] = Int32GetDatum(k); /* sampled_backends */
			values[j++] = Int64GetDatum(m[(k - 1) / 2].bytes);	/* memory_median */
			values[j++] = Int64GetDatum(initials[(k - 1) / 2]);
			values[j] = Float8GetDatum(age_h > 0 ? grown / age_h : 0);
			nulls[j++] = !(age_h > 0);
		}
		else
		{
			nulls[j++] = true;	/* memory_total */
			nulls[j++] = true;	/* memory_max */
			values[j++] = Int32GetDatum(0); /* sampled_backends */
			nulls[j++] = true;
			nulls[j++] = true;
			nulls[j++] = true;
		}
		Assert(j == 35);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}
