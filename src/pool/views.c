/*-------------------------------------------------------------------------
 *
 * views.c
 *		Set-returning functions behind the lifeguard.* views, and the
 *		statistics reset.
 *
 * Each function copies what it needs from shared memory under a shared
 * hold of lg_shared->lock (or the spinlock, for the worker's status),
 * releases it, and only then builds tuples.  The views in the install
 * script add the derived columns (intervals, ratios, the usage bar).
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
#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/acl.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
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

static Datum lg_timestamp_or_null(TimestampTz ts, bool *isnull);
static int	lg_copy_memory(MemoryCopy *out, bool sampled_only);
static int	lg_memory_cmp(const void *a, const void *b);
static void lg_reset_app_counters(LifeguardApp *app, TimestampTz now);

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
		r = lg_rule_match(lg_shared->rules, lg_shared->nrules, app->name, "", "");
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
		/* an entry reserved for a rule's name, never used since reset */
		if (app->opened == 0 && app->rejected == 0 && app->connections == 0)
			continue;
		lg_copy_pool_row(&rows[n++], app, false);
	}
	if (lg_shared->overflow.opened > 0 || lg_shared->overflow.rejected > 0 ||
		lg_shared->overflow.connections > 0)
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
			int			r = s->app ? lg_rule_match(lg_shared->rules, lg_shared->nrules,
												   s->app->name, s->rolname, s->datname) : -1;

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
		if (app->connections == 0 && !app->ruled)
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
	int32		connections;
	bool		soft_null = PG_ARGISNULL(1);
	bool		hard_null = PG_ARGISNULL(2);
	bool		width_null = PG_NARGS() < 4 || PG_ARGISNULL(3);
	int32		soft = soft_null ? 0 : PG_GETARG_INT32(1);
	int32		hard = hard_null ? 0 : PG_GETARG_INT32(2);
	int32		width = width_null ? 0 : PG_GETARG_INT32(3);
	int64		soft_cells;
	int64		used_cells;
	StringInfoData buf;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	connections = PG_GETARG_INT32(0);
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
		PG_RETURN_TEXT_P(cstring_to_text(psprintf("%d", connections)));

	/* in 64 bits: connections * width must not overflow */
	soft_cells = (int64) Min(connections, soft_null ? hard : soft) * width / hard;
	used_cells = (int64) Min(connections, hard) * width / hard;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int64 i = 0; i < width; i++)
		appendStringInfoChar(&buf, i < soft_cells ? '#' : i < used_cells ? '+' : '.');
	appendStringInfo(&buf, "] %d/%d", connections, hard);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
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
