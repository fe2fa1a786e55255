/*-------------------------------------------------------------------------
 *
 * events.c
 *		Events, history samples and alerts.
 *
 * Events (rejections, soft warnings, recycles, alerts) and per-application
 * history samples go into two rings in shared memory, so they exist on a
 * hot standby too and cost the connect path no table access.  Each entry
 * has a sequence number; on a primary the worker copies entries past the
 * "persisted" mark into lifeguard.event_log and lifeguard.pool_history_log
 * and moves the mark, and prunes rows older than the retention settings.
 * The views show the table rows plus the ring entries not yet persisted.
 * A ring that wraps before the worker persisted it loses its oldest
 * entries; the ring sizes are settings.
 *
 * Alerts are evaluated by the worker once per cycle with hysteresis: one
 * is raised when utilization reaches its threshold and cleared only when
 * it falls below lifeguard.alert_clear_threshold.
 *
 * All ring and alert state is guarded by lg_shared->lock (see shmem.c).
 *
 * Owns: the event and history rings, their persistence and the alerts.
 * Must not: decide what happens to a backend.
 *
 * src/pool/events.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdarg.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "core/compat.h"
#include "core/settings.h"
#include "pool/events.h"
#include "pool/quota.h"
#include "pool/shmem.h"

PG_FUNCTION_INFO_V1(lifeguard_recent_events_1_0);
PG_FUNCTION_INFO_V1(lifeguard_recent_samples_1_0);
PG_FUNCTION_INFO_V1(lifeguard_alerts_1_0);

static void lg_json_escape(char *dst, size_t dstlen, const char *src);
static int	lg_ring_copy(bool events, uint64 *from, void **out);
static void lg_ring_mark_persisted(bool events, uint64 upto);

/*
 * Event kind names, as lifeguard.events shows them.
 */
const char *
lg_event_kind_name(int kind)
{
	switch (kind)
	{
		case LG_EV_NONE:
			return "none";
		case LG_EV_RECYCLED_AGE:
			return "recycled_age";
		case LG_EV_RECYCLED_IDLE:
			return "recycled_idle";
		case LG_EV_RECYCLED_IDLE_XACT:
			return "recycled_idle_in_transaction";
		case LG_EV_RECLAIMED:
			return "reclaimed";
		case LG_EV_RECYCLED_MANUAL:
			return "recycled_manual";
		case LG_EV_REJECTED:
			return "rejected";
		case LG_EV_SOFT_WARNING:
			return "soft_warning";
		case LG_EV_WOULD_REJECT:
			return "would_reject";
		case LG_EV_ALERT_RAISED:
			return "alert_raised";
		case LG_EV_ALERT_CLEARED:
			return "alert_cleared";
		case LG_EV_APP_TABLE_FULL:
			return "application_table_full";
		case LG_EV_RECYCLED_MEMORY:
			return "recycled_memory";
	}
	return "unknown";
}

/*
 * Escape src for use inside a JSON string, truncating to dstlen.  No
 * allocation: used under the lock.
 */
static void
lg_json_escape(char *dst, size_t dstlen, const char *src)
{
	size_t		o = 0;

	for (; *src && o + 7 < dstlen; src++)
	{
		unsigned char c = (unsigned char) *src;

		if (c == '"' || c == '\\')
		{
			dst[o++] = '\\';
			dst[o++] = c;
		}
		else if (c < 0x20)
			o += snprintf(dst + o, dstlen - o, "\\u%04x", c);
		else
			dst[o++] = c;
	}
	dst[o] = '\0';
}

/*
 * Append an event.  "app" NULL means a server-wide event.  The detail is
 * a printf format producing the members of a JSON object, without braces.
 *
 * Caller must hold lg_shared->lock exclusively.
 */
void
lg_event_add_locked(int kind, const char *app, int pid, const char *usename,
					const char *datname, const char *fmt,...)
{
	LifeguardEvent *ev;
	va_list		args;
	int			n;

	if (lg_shared == NULL || lg_event_ring_size <= 0)
		return;
	ev = &lg_shared->events[lg_shared->event_next % lg_event_ring_size];
	memset(ev, 0, sizeof(LifeguardEvent));
	ev->seq = lg_shared->event_next++;
	ev->at = GetCurrentTimestamp();
	ev->kind = kind;
	ev->pid = pid;
	ev->app_null = (app == NULL);
	if (app)
		strlcpy(ev->app, app, NAMEDATALEN);
	if (usename)
		strlcpy(ev->usename, usename, NAMEDATALEN);
	if (datname)
		strlcpy(ev->datname, datname, NAMEDATALEN);

	ev->detail[0] = '{';
	va_start(args, fmt);
	n = vsnprintf(ev->detail + 1, LG_EVENT_DETAIL_LEN - 2, fmt, args);
	va_end(args);
	if (n < 0 || n >= LG_EVENT_DETAIL_LEN - 2)
		strlcpy(ev->detail, "{\"truncated\": true", LG_EVENT_DETAIL_LEN - 1);
	strlcat(ev->detail, "}", LG_EVENT_DETAIL_LEN);
}

/*
 * Append one history sample of one application.
 * Caller must hold lg_shared->lock exclusively.
 */
void
lg_sample_add_locked(const LifeguardApp *app, TimestampTz at)
{
	LifeguardSample *s;

	if (lg_shared == NULL || lg_history_ring_size <= 0)
		return;
	s = &lg_shared->samples[lg_shared->sample_next % lg_history_ring_size];
	s->seq = lg_shared->sample_next++;
	s->at = at;
	memcpy(s->app, app->name, NAMEDATALEN);
	s->connections = app->connections;
	s->active = app->active;
	s->idle = app->idle;
	s->idle_in_transaction = app->idle_in_transaction;
	s->waiting = app->waiting;
	s->xacts = app->xacts;
	s->xact_us = app->xact_us;
	s->opened = app->opened;
	s->rejected = app->rejected;
}

/*
 * Raise and clear alerts.  Fills "changes" (at most max_changes) with what
 * changed, for the caller to log and notify after releasing the lock.
 *
 * Caller must hold lg_shared->lock exclusively.
 */
int
lg_alerts_evaluate_locked(LgAlertChange *changes, int max_changes)
{
	int			n = 0;
	int			usable = lg_usable_connections();
	double		util = usable > 0 ? (double) lg_shared->total_connections / usable : 1.0;
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;

	if (!lg_shared->alert_active && lg_alert_threshold > 0 && util >= lg_alert_threshold)
	{
		lg_shared->alert_active = true;
		lg_shared->alert_raised_at = GetCurrentTimestamp();
		lg_shared->alert_value = util;
		lg_event_add_locked(LG_EV_ALERT_RAISED, NULL, 0, NULL, NULL,
							"\"scope\": \"server\", \"utilization\": %.3f, \"threshold\": %.3f, \"used\": %d, \"usable\": %d",
							util, lg_alert_threshold, lg_shared->total_connections, usable);
		if (n < max_changes)
		{
			LgAlertChange *c = &changes[n++];

			memset(c, 0, sizeof(*c));
			c->raised = true;
			c->server = true;
			c->value = util;
			c->threshold = lg_alert_threshold;
			c->connections = lg_shared->total_connections;
			c->limit = usable;
		}
	}
	else if (lg_shared->alert_active && util < lg_alert_clear_threshold)
	{
		lg_shared->alert_active = false;
		lg_event_add_locked(LG_EV_ALERT_CLEARED, NULL, 0, NULL, NULL,
							"\"scope\": \"server\", \"utilization\": %.3f, \"clear_threshold\": %.3f, \"used\": %d, \"usable\": %d",
							util, lg_alert_clear_threshold, lg_shared->total_connections, usable);
		if (n < max_changes)
		{
			LgAlertChange *c = &changes[n++];

			memset(c, 0, sizeof(*c));
			c->server = true;
			c->value = util;
			c->threshold = lg_alert_clear_threshold;
			c->connections = lg_shared->total_connections;
			c->limit = usable;
		}
	}
	if (lg_shared->alert_active)
		lg_shared->alert_value = util;

	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
	{
		int			r;
		double		ratio = -1;
		int32		limit = 0;
		char		esc[NAMEDATALEN * 2];

		/* no connection: nothing to raise (the threshold is above 0) */
		if (app->connections == 0 && !app->alert_active)
			continue;
		r = lg_rule_match(app, "", "");
		if (r >= 0 && lg_shared->rules[r].hard_limit > 0 &&
			lg_effective_mode(&lg_shared->rules[r]) != LG_MODE_OFF)
		{
			limit = lg_shared->rules[r].hard_limit;
			ratio = (double) app->connections / limit;
		}
		lg_json_escape(esc, sizeof(esc), app->name);

		if (!app->alert_active && ratio >= 0 && lg_app_alert_threshold > 0 &&
			ratio >= lg_app_alert_threshold)
		{
			app->alert_active = true;
			app->alert_raised_at = GetCurrentTimestamp();
			app->alert_value = ratio;
			lg_event_add_locked(LG_EV_ALERT_RAISED, app->name, 0, NULL, NULL,
								"\"scope\": \"application\", \"application\": \"%s\", \"connections\": %d, \"hard_limit\": %d, \"utilization\": %.3f, \"threshold\": %.3f",
								esc, app->connections, limit, ratio, lg_app_alert_threshold);
			if (n < max_changes)
			{
				LgAlertChange *c = &changes[n++];

				memset(c, 0, sizeof(*c));
				c->raised = true;
				memcpy(c->app, app->name, NAMEDATALEN);
				c->value = ratio;
				c->threshold = lg_app_alert_threshold;
				c->connections = app->connections;
				c->limit = limit;
			}
		}
		else if (app->alert_active && ratio < lg_alert_clear_threshold)
		{
			app->alert_active = false;
			lg_event_add_locked(LG_EV_ALERT_CLEARED, app->name, 0, NULL, NULL,
								"\"scope\": \"application\", \"application\": \"%s\", \"connections\": %d, \"hard_limit\": %d, \"utilization\": %.3f, \"clear_threshold\": %.3f",
								esc, app->connections, limit, Max(ratio, 0), lg_alert_clear_threshold);
			if (n < max_changes)
			{
				LgAlertChange *c = &changes[n++];

				memset(c, 0, sizeof(*c));
				memcpy(c->app, app->name, NAMEDATALEN);
				c->value = Max(ratio, 0);
				c->threshold = lg_alert_clear_threshold;
				c->connections = app->connections;
				c->limit = limit;
			}
		}
		if (app->alert_active && ratio >= 0)
			app->alert_value = ratio;
	}
	return n;
}

/*
 * Record the pooler alerts lg_pooler_evaluate raised or cleared as events,
 * and append them to "changes" (at most max_changes) for the report.
 * Returns how many were appended.
 *
 * Caller must hold lg_shared->lock exclusively.
 */
int
lg_alerts_add_pooler_locked(const LgPoolerAlertChange *pc, int npc,
							LgAlertChange *changes, int max_changes)
{
	int			n = 0;

	for (int i = 0; i < npc; i++)
	{
		char		pool[NAMEDATALEN * 2];

		/* client, role and database are the event's own columns */
		lg_json_escape(pool, sizeof(pool), pc[i].key.pool_app);
		lg_event_add_locked(pc[i].raised ? LG_EV_ALERT_RAISED : LG_EV_ALERT_CLEARED,
							pc[i].key.client, 0, pc[i].key.role, pc[i].key.db,
							"\"scope\": \"pooler\", \"pool\": \"%s\", \"server_connections\": %d, \"share\": %.3f, \"threshold\": %.3f",
							pool, pc[i].server_connections, pc[i].share, pc[i].threshold);
		if (n < max_changes)
		{
			LgAlertChange *c = &changes[n++];

			memset(c, 0, sizeof(*c));
			c->raised = pc[i].raised;
			c->pooler = true;
			memcpy(c->app, pc[i].key.client, NAMEDATALEN);
			c->pool = pc[i].key;
			c->value = pc[i].share;
			c->threshold = pc[i].threshold;
			c->limit = pc[i].server_connections;
		}
	}
	return n;
}

/*
 * Log alert changes and, when allowed (a primary, inside a transaction),
 * send NOTIFY lifeguard_alert with a JSON payload for each.
 */
void
lg_alerts_report(LgAlertChange *changes, int n, bool can_notify)
{
	for (int i = 0; i < n; i++)
	{
		LgAlertChange *c = &changes[i];
		StringInfoData buf;

		initStringInfo(&buf);
		if (c->pooler)
		{
			appendStringInfo(&buf, "{\"kind\": \"%s\", \"scope\": \"pooler\", \"application\": ",
							 c->raised ? "alert_raised" : "alert_cleared");
			escape_json(&buf, c->app);
			appendStringInfoString(&buf, ", \"pool\": ");
			escape_json(&buf, c->pool.pool_app);
			appendStringInfoString(&buf, ", \"role\": ");
			escape_json(&buf, c->pool.role);
			appendStringInfoString(&buf, ", \"database\": ");
			escape_json(&buf, c->pool.db);
			appendStringInfo(&buf, ", \"server_connections\": %d, \"share\": %.3f, \"threshold\": %.3f}",
							 c->limit, c->value, c->threshold);
			if (c->raised)
				ereport(WARNING,
						(errmsg("client application \"%s\" kept %.0f%% of pooler pool \"%s\" busy",
								c->app, c->value * 100, c->pool.pool_app),
						 errdetail("Its mean share of the %d server connections of role \"%s\" in database \"%s\" reached the pooler alert threshold of %.0f%%.",
								   c->limit, c->pool.role, c->pool.db, c->threshold * 100),
						 errhint("See lifeguard.pooler_usage for the clients sharing the pool.")));
			else
				ereport(LOG,
						(errmsg("client application \"%s\" fell to %.0f%% of pooler pool \"%s\", alert cleared",
								c->app, c->value * 100, c->pool.pool_app)));
			if (can_notify)
				Async_Notify("lifeguard_alert", buf.data);
			pfree(buf.data);
			continue;
		}
		appendStringInfo(&buf, "{\"kind\": \"%s\", \"scope\": \"%s\"",
						 c->raised ? "alert_raised" : "alert_cleared",
						 c->server ? "server" : "application");
		if (!c->server)
		{
			appendStringInfoString(&buf, ", \"application\": ");
			escape_json(&buf, c->app);
		}
		appendStringInfo(&buf, ", \"connections\": %d, \"%s\": %d, \"utilization\": %.3f, \"%s\": %.3f}",
						 c->connections, c->server ? "usable" : "hard_limit",
						 c->limit, c->value,
						 c->raised ? "threshold" : "clear_threshold", c->threshold);

		if (c->raised && c->server)
			ereport(WARNING,
					(errmsg("connection utilization %.0f%% reached the alert threshold of %.0f%%",
							c->value * 100, c->threshold * 100),
					 errdetail("%d of %d usable connections are in use.", c->connections, c->limit),
					 errhint("See lifeguard.pool_stats for the applications holding them.")));
		else if (c->raised)
			ereport(WARNING,
					(errmsg("application \"%s\" reached %.0f%% of its hard connection limit",
							c->app, c->value * 100),
					 errdetail("It holds %d of %d connections.", c->connections, c->limit)));
		else if (c->server)
			ereport(LOG,
					(errmsg("connection utilization fell to %.0f%%, alert cleared", c->value * 100)));
		else
			ereport(LOG,
					(errmsg("application \"%s\" fell to %.0f%% of its hard connection limit, alert cleared",
							c->app, c->value * 100)));

		if (can_notify)
			Async_Notify("lifeguard_alert", buf.data);
		pfree(buf.data);
	}
}

/*
 * Copy the entries of the event ring (events = true) or the sample ring
 * that are past its persisted mark and still in the ring, oldest first,
 * into a palloc'd array.  Returns the count; *from gets the sequence
 * number of the first entry, so entry i should hold *from + i.  One that
 * holds another number was overwritten by a newer entry (seq + ring size)
 * between the two looks at the ring: callers skip it (lg_ring_entry_lost).
 */
static int
lg_ring_copy(bool events, uint64 *from, void **out)
{
	int			size = events ? lg_event_ring_size : lg_history_ring_size;
	Size		width = events ? sizeof(LifeguardEvent) : sizeof(LifeguardSample);
	uint64		first;
	uint64		next;
	int			n;
	char	   *copy;

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	next = events ? lg_shared->event_next : lg_shared->sample_next;
	first = (events ? lg_shared->event_persisted : lg_shared->sample_persisted) + 1;
	LWLockRelease(lg_shared->lock);
	if (next > (uint64) size && first < next - size)
		first = next - size;
	*from = first;
	n = (int) (next - first);
	*out = NULL;
	if (n <= 0)
		return 0;

	/* allocate outside the lock; the ring may move on meanwhile */
	copy = palloc(width * n);
	LWLockAcquire(lg_shared->lock, LW_SHARED);
	for (int i = 0; i < n; i++)
	{
		uint64		seq = first + i;

		if (events)
			memcpy(copy + width * i, &lg_shared->events[seq % size], width);
		else
			memcpy(copy + width * i, &lg_shared->samples[seq % size], width);
	}
	LWLockRelease(lg_shared->lock);
	*out = copy;
	return n;
}

/* Was entry i of a copy overwritten while it was made?  See lg_ring_copy. */
#define lg_ring_entry_lost(seq, from, i)	((seq) != (from) + (uint64) (i))

/*
 * Move a ring's persisted mark past "upto".
 */
static void
lg_ring_mark_persisted(bool events, uint64 upto)
{
	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	if (events)
		lg_shared->event_persisted = Max(lg_shared->event_persisted, upto);
	else
		lg_shared->sample_persisted = Max(lg_shared->sample_persisted, upto);
	LWLockRelease(lg_shared->lock);
}

/*
 * Copy the events and samples past the persisted marks into their tables;
 * with prune, also delete rows past retention.  Called by the worker
 * inside a transaction on a primary.  The marks are not moved here: the
 * worker moves them to *events_upto and *samples_upto (0: nothing copied)
 * with lg_rings_mark_persisted() once the transaction has committed, so a
 * failed insert or commit loses nothing.
 */
void
lg_persist_rings(bool prune, uint64 *events_upto, uint64 *samples_upto)
{
	uint64		from;
	int			n;
	LifeguardEvent *evs = NULL;
	LifeguardSample *smp = NULL;
	SPIPlanPtr	plan;
	Oid			evtypes[7] = {TIMESTAMPTZOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID};
	Oid			smtypes[10] = {TIMESTAMPTZOID, TEXTOID, INT4OID, INT4OID, INT4OID, INT4OID, INT4OID, INT8OID, INT8OID, INT8OID};

	*events_upto = *samples_upto = 0;
	n = lg_ring_copy(true, &from, (void **) &evs);
	SPI_connect();
	if (n > 0)
	{
		plan = SPI_prepare("INSERT INTO lifeguard.event_log (at, kind, application_name, pid, usename, datname, detail) "
						   "VALUES ($1, $2, $3, nullif($4, 0), nullif($5, ''), nullif($6, ''), $7::jsonb)",
						   7, evtypes);
		if (plan == NULL)
			elog(ERROR, "could not prepare event insert: %s", SPI_result_code_string(SPI_result));
		for (int i = 0; i < n; i++)
		{
			LifeguardEvent *e = &evs[i];
			Datum		vals[7];
			char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};

			if (lg_ring_entry_lost(e->seq, from, i))
				continue;		/* overwritten while we copied */
			vals[0] = TimestampTzGetDatum(e->at);
			vals[1] = CStringGetTextDatum(lg_event_kind_name(e->kind));
			vals[2] = CStringGetTextDatum(e->app);
			if (e->app_null)
				nulls[2] = 'n';
			vals[3] = Int32GetDatum(e->pid);
			vals[4] = CStringGetTextDatum(e->usename);
			vals[5] = CStringGetTextDatum(e->datname);
			vals[6] = CStringGetTextDatum(e->detail);
			if (SPI_execute_plan(plan, vals, nulls, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "could not insert into lifeguard.event_log");
		}
		*events_upto = from + n - 1;
	}

	/* history samples, the same way */
	n = lg_ring_copy(false, &from, (void **) &smp);
	if (n > 0)
	{
		plan = SPI_prepare("INSERT INTO lifeguard.pool_history_log (at, application_name, connections, active, idle, "
						   "idle_in_transaction, waiting, xacts, xact_time_us, opened) "
						   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
						   10, smtypes);
		if (plan == NULL)
			elog(ERROR, "could not prepare history insert: %s", SPI_result_code_string(SPI_result));
		for (int i = 0; i < n; i++)
		{
			LifeguardSample *s = &smp[i];
			Datum		vals[10];

			if (lg_ring_entry_lost(s->seq, from, i))
				continue;
			vals[0] = TimestampTzGetDatum(s->at);
			vals[1] = CStringGetTextDatum(s->app);
			vals[2] = Int32GetDatum(s->connections);
			vals[3] = Int32GetDatum(s->active);
			vals[4] = Int32GetDatum(s->idle);
			vals[5] = Int32GetDatum(s->idle_in_transaction);
			vals[6] = Int32GetDatum(s->waiting);
			vals[7] = Int64GetDatum(s->xacts);
			vals[8] = Int64GetDatum(s->xact_us);
			vals[9] = Int64GetDatum(s->opened);
			if (SPI_execute_plan(plan, vals, NULL, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "could not insert into lifeguard.pool_history_log");
		}
		*samples_upto = from + n - 1;
	}

	if (prune)
	{
		char		sql[512];

		snprintf(sql, sizeof(sql),
				 "DELETE FROM lifeguard.event_log WHERE at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) interval '%d seconds')",
				 lg_event_retention_s);
		SPI_execute(sql, false, 0);
		snprintf(sql, sizeof(sql),
				 "DELETE FROM lifeguard.pool_history_log WHERE at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) interval '%d seconds')",
				 lg_history_retention_s);
		SPI_execute(sql, false, 0);
	}
	SPI_finish();
}

/*
 * After the transaction that ran lg_persist_rings committed: move the
 * marks (0 leaves a ring's mark where it is).
 */
void
lg_rings_mark_persisted(uint64 events_upto, uint64 samples_upto)
{
	if (events_upto > 0)
		lg_ring_mark_persisted(true, events_upto);
	if (samples_upto > 0)
		lg_ring_mark_persisted(false, samples_upto);
}

/*
 * lifeguard.recent_events(): ring entries not yet persisted.
 */
Datum
lifeguard_recent_events_1_0(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		from;
	int			n;
	LifeguardEvent *evs;

	lg_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	n = lg_ring_copy(true, &from, (void **) &evs);

	for (int i = 0; i < n; i++)
	{
		LifeguardEvent *e = &evs[i];
		Datum		values[8];
		bool		nulls[8];

		if (lg_ring_entry_lost(e->seq, from, i))
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum((int64) e->seq);
		values[1] = TimestampTzGetDatum(e->at);
		values[2] = CStringGetTextDatum(lg_event_kind_name(e->kind));
		values[3] = CStringGetTextDatum(e->app);
		nulls[3] = e->app_null;
		values[4] = Int32GetDatum(e->pid);
		nulls[4] = (e->pid == 0);
		values[5] = CStringGetTextDatum(e->usename);
		nulls[5] = (e->usename[0] == '\0');
		values[6] = CStringGetTextDatum(e->datname);
		nulls[6] = (e->datname[0] == '\0');
		values[7] = DirectFunctionCall1(jsonb_in, CStringGetDatum(e->detail));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * lifeguard.recent_samples(): history samples not yet persisted.
 */
Datum
lifeguard_recent_samples_1_0(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		from;
	int			n;
	LifeguardSample *smp;

	lg_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	n = lg_ring_copy(false, &from, (void **) &smp);

	for (int i = 0; i < n; i++)
	{
		LifeguardSample *s = &smp[i];
		Datum		values[10];
		bool		nulls[10];

		if (lg_ring_entry_lost(s->seq, from, i))
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = TimestampTzGetDatum(s->at);
		values[1] = CStringGetTextDatum(s->app);
		values[2] = Int32GetDatum(s->connections);
		values[3] = Int32GetDatum(s->active);
		values[4] = Int32GetDatum(s->idle);
		values[5] = Int32GetDatum(s->idle_in_transaction);
		values[6] = Int32GetDatum(s->waiting);
		values[7] = Int64GetDatum(s->xacts);
		values[8] = Int64GetDatum(s->xact_us);
		values[9] = Int64GetDatum(s->opened);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * lifeguard.alerts(): the alerts raised and not yet cleared.
 */
Datum
lifeguard_alerts_1_0(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;
	typedef struct AlertRow
	{
		int			scope;		/* 0 server, 1 application, 2 pooler */
		bool		server;
		char		app[NAMEDATALEN];
		TimestampTz raised_at;
		double		value;
	} AlertRow;
	AlertRow   *rows;
	int			n = 0;
	LgPoolerAlertRow *prows;
	int			npooler;

	lg_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	/* the pooler's lock is never held together with lg_shared->lock */
	npooler = lg_pooler_alert_rows(&prows);
	rows = palloc(sizeof(AlertRow) * (lg_app_capacity() + 1 + npooler));

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	if (lg_shared->alert_active)
	{
		rows[n].scope = 0;
		rows[n].server = true;
		rows[n].raised_at = lg_shared->alert_raised_at;
		rows[n].value = lg_shared->alert_value;
		n++;
	}
	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
	{
		if (!app->alert_active || n > lg_app_capacity())
			continue;
		rows[n].scope = 1;
		rows[n].server = false;
		memcpy(rows[n].app, app->name, NAMEDATALEN);
		rows[n].raised_at = app->alert_raised_at;
		rows[n].value = app->alert_value;
		n++;
	}
	LWLockRelease(lg_shared->lock);
	for (int i = 0; i < npooler; i++)
	{
		rows[n].scope = 2;
		rows[n].server = false;
		memcpy(rows[n].app, prows[i].client, NAMEDATALEN);
		rows[n].raised_at = prows[i].raised_at;
		rows[n].value = prows[i].share;
		n++;
	}

	for (int i = 0; i < n; i++)
	{
		Datum		values[5];
		bool		nulls[5];

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(rows[i].scope == 0 ? "server" :
										rows[i].scope == 1 ? "application" : "pooler");
		values[1] = CStringGetTextDatum(rows[i].app);
		nulls[1] = rows[i].server;
		values[2] = TimestampTzGetDatum(rows[i].raised_at);
		values[3] = Float8GetDatum(rows[i].value);
		values[4] = Float8GetDatum(rows[i].scope == 0 ? lg_alert_threshold :
								   rows[i].scope == 1 ? lg_app_alert_threshold :
								   lg_pooler_alert_threshold);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
