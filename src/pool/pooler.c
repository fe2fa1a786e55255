/*-------------------------------------------------------------------------
 *
 * pooler.c
 *		Pooler-aware accounting: per client application usage of a
 *		connection pooler's server connections.
 *
 * A pooler such as PgBouncer opens server connections under its own
 * identity and lends them to its clients, setting application_name with
 * SET when it links one.  Quotas stay on the connect-time identity (see
 * admission.c): a SET cannot move a connection out of its quota.  For the
 * backends that belong to a pooler (lifeguard.pooler_roles, or
 * lifeguard.pooler_application_names by connect-time name), this file
 * also accounts each transaction to the client application that ran it,
 * keyed by (pool, current application_name), in a small shared table:
 *
 *	- the pool is the pooler backend's connect-time application name, role
 *	  and database (what one PgBouncer pool connects as);
 *	- a backend adds its transactions and their time at transaction end.
 *	  Backends that belong to no pooler never get here;
 *	- the worker reads every pooler backend's current application_name
 *	  and state once per cycle, and raises an alert when one client keeps
 *	  at least lifeguard.pooler_alert_threshold of a pool's server
 *	  connections busy, on average, over lifeguard.pooler_alert_hold;
 *	- lifeguard.pooler_usage joins the counters with the live state.
 *
 * Locking
 * -------
 * The table has its own LWLock (named tranche "pg_lifeguard_pooler"),
 * never held together with lg_shared->lock:
 *
 *	- a backend adds to its cached entry's counters (atomics) holding the
 *	  lock SHARED, after checking that no reset removed entries since it
 *	  cached the pointer (generation); it takes the lock EXCLUSIVE only to
 *	  find or create an entry, when its application_name changed;
 *	- the worker's evaluation, entry creation and reset take it
 *	  EXCLUSIVE; readers take it SHARED and copy;
 *	- nothing that may throw or allocate runs while it is held.
 *	  The counting runs in a commit callback, where an error would be
 *	  promoted to PANIC: it does not allocate and cannot throw.
 *
 * When the table is full (lifeguard.max_pooler_clients pairs), the
 * transactions of new pairs are only counted as untracked: application
 * names are chosen by clients, and a flood of names must not grow shared
 * memory.  lifeguard.reset_stats() empties the table.
 *
 * Owns: the pooler table, its counters and the pooler alerts' state.
 * Must not: decide admission (quotas are keyed on the connect-time name)
 * or report events (the worker does, through events.c).
 *
 * src/pool/pooler.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/varlena.h"

#include "core/compat.h"
#include "core/settings.h"
#include "pool/activity.h"
#include "pool/pooler.h"
#include "pool/shmem.h"

PG_FUNCTION_INFO_V1(lifeguard_pooler_usage);
PG_FUNCTION_INFO_V1(lifeguard_pooler_untracked_transactions);

#define LG_POOLER_TRANCHE "pg_lifeguard_pooler"

typedef struct LgPoolerEntry
{
	LgPoolerKey key;			/* hash key; keep first */
	pg_atomic_uint64 xacts;		/* transactions ended */
	pg_atomic_uint64 busy_us;	/* their summed duration */
	pg_atomic_uint64 last_xact_at;	/* TimestampTz of the last one */
	TimestampTz first_seen;

	/* the worker's alert state, under the lock exclusive */
	double		window_sum;		/* share x seconds in the current window */
	double		window_secs;
	double		last_share;		/* mean share of the last whole window */
	bool		alert_active;
	TimestampTz alert_raised_at;
} LgPoolerEntry;

typedef struct LgPoolerShared
{
	LWLock	   *lock;
	uint64		generation;		/* bumped when entries are removed */
	TimestampTz last_eval;		/* the worker's previous evaluation */
	pg_atomic_uint64 untracked_xacts;	/* pairs the full table refused */
} LgPoolerShared;

static LgPoolerShared *lg_pooler = NULL;
static HTAB *lg_pooler_hash = NULL;

/* this backend's pooler state (lg_pooler_login) */
bool		lg_pooler_backend = false;
static LgPoolerKey my_key;
static LgPoolerEntry *my_entry = NULL;
static uint64 my_generation = 0;

/* one row of lifeguard.pooler_usage while it is built */
typedef struct UsageRow
{
	LgPoolerKey key;
	bool		has_entry;
	uint64		xacts;
	uint64		busy_us;
	TimestampTz first_seen;
	TimestampTz last_xact_at;
	bool		alert_active;
	double		last_share;
	int32		linked;
	int32		in_use;
	int32		server_connections;
	uint64		pool_busy_us;
} UsageRow;

static Size lg_pooler_shmem_size(void);
static LgPoolerEntry *lg_pooler_enter_locked(const LgPoolerKey *key, TimestampTz now);
static int	lg_seen_cmp(const void *a, const void *b);
static int	lg_usage_cmp(const void *a, const void *b);
static int	lg_seen_collect(LgPoolerSeen *seen, int max);
static int	lg_seen_group(LgPoolerSeen *seen, int nseen, UsageRow *out);

static Size
lg_pooler_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(LgPoolerShared)),
					hash_estimate_size(lg_max_pooler_clients, sizeof(LgPoolerEntry)));
}

void
lg_pooler_shmem_request(void)
{
	RequestAddinShmemSpace(lg_pooler_shmem_size());
	RequestNamedLWLockTranche(LG_POOLER_TRANCHE, 1);
}

void
lg_pooler_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	lg_pooler = ShmemInitStruct("pg_lifeguard pooler", sizeof(LgPoolerShared), &found);
	if (!found)
	{
		memset(lg_pooler, 0, sizeof(LgPoolerShared));
		lg_pooler->lock = &(GetNamedLWLockTranche(LG_POOLER_TRANCHE))->lock;
		pg_atomic_init_u64(&lg_pooler->untracked_xacts, 0);
	}
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(LgPoolerKey);
	info.entrysize = sizeof(LgPoolerEntry);
	lg_pooler_hash = lg_ShmemInitHash("pg_lifeguard pooler clients", lg_max_pooler_clients,
									  &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/*
 * The connect path: a login whose role is in lifeguard.pooler_roles, or
 * whose connect-time application name is in
 * lifeguard.pooler_application_names, belongs to a pooler.  Remember its
 * pool for the transaction-end accounting.  "app" is the connect-time
 * name as a key (lg_app_name_key).  Runs before the login is claimed; may
 * allocate.
 */
bool
lg_pooler_login(const char *app, const char *role, const char *db)
{
	if (lg_pooler == NULL)
		return false;
	if (!lg_pooler_role_listed(role) && !lg_pooler_app_listed(app))
		return false;
	memset(&my_key, 0, sizeof(my_key));
	strlcpy(my_key.pool_app, app, NAMEDATALEN);
	strlcpy(my_key.role, role, NAMEDATALEN);
	strlcpy(my_key.db, db, NAMEDATALEN);
	my_entry = NULL;
	lg_pooler_backend = true;
	return true;
}

/*
 * The client key of a current application_name: its first NAMEDATALEN-1
 * bytes, without the " - address:port" (or " - unix(pid)") suffix that
 * PgBouncer's application_name_add_host appends, so that one client
 * application stays one key whatever host and port it comes from.
 * "key" has NAMEDATALEN bytes, NUL padded.  No allocation, no error.
 */
void
lg_pooler_client_key(const char *current, char *key)
{
	char	   *sep = NULL;
	char	   *p;

	memset(key, 0, NAMEDATALEN);
	if (current == NULL)
		return;
	strlcpy(key, current, NAMEDATALEN);
	for (p = key; (p = strstr(p, " - ")) != NULL; p++)
		sep = p;
	if (sep == NULL || sep[3] == '\0')
		return;
	for (p = sep + 3; *p; p++)
	{
		if (!(isalnum((unsigned char) *p) || strchr(".:[]()%-_", *p) != NULL))
			return;				/* not an address: part of the name */
	}
	memset(sep, 0, key + NAMEDATALEN - sep);
}

/*
 * Does this state hold a server connection: running a statement, or
 * inside a transaction?  Idle, and states without tracking
 * (track_activities off), do not.
 */
bool
lg_pooler_state_busy(BackendState state)
{
	switch (state)
	{
		case STATE_RUNNING:
		case STATE_IDLEINTRANSACTION:
		case STATE_IDLEINTRANSACTION_ABORTED:
		case STATE_FASTPATH:
			return true;
		default:
			return false;
	}
}

/*
 * Find or create the entry of "key".  NULL when the table is full.
 * Caller holds the lock exclusively.  No allocation, no error.
 */
static LgPoolerEntry *
lg_pooler_enter_locked(const LgPoolerKey *key, TimestampTz now)
{
	LgPoolerEntry *e;
	bool		found;

	e = hash_search(lg_pooler_hash, key, HASH_FIND, NULL);
	if (e != NULL)
		return e;
	if (hash_get_num_entries(lg_pooler_hash) >= lg_max_pooler_clients)
		return NULL;
	e = hash_search(lg_pooler_hash, key, HASH_ENTER_NULL, &found);
	if (e == NULL || found)
		return e;
	pg_atomic_init_u64(&e->xacts, 0);
	pg_atomic_init_u64(&e->busy_us, 0);
	pg_atomic_init_u64(&e->last_xact_at, 0);
	e->first_seen = now;
	e->window_sum = e->window_secs = e->last_share = 0;
	e->alert_active = false;
	e->alert_raised_at = 0;
	return e;
}

/*
 * Transaction end of a pooler backend: add the transaction to its
 * (pool, current application_name) entry.  Called from the commit and
 * abort callbacks, so it must not throw: no allocation, no catalog access.
 */
void
lg_pooler_count_xact(int64 busy_us, TimestampTz now)
{
	char		client[NAMEDATALEN];
	LgPoolerEntry *e;

	if (!lg_pooler_backend || lg_pooler == NULL)
		return;
	lg_pooler_client_key(application_name, client);

	if (my_entry != NULL && memcmp(client, my_key.client, NAMEDATALEN) == 0)
	{
		LWLockAcquire(lg_pooler->lock, LW_SHARED);
		if (my_generation == lg_pooler->generation)
		{
			pg_atomic_fetch_add_u64(&my_entry->xacts, 1);
			pg_atomic_fetch_add_u64(&my_entry->busy_us, (uint64) Max(busy_us, 0));
			pg_atomic_write_u64(&my_entry->last_xact_at, (uint64) now);
			LWLockRelease(lg_pooler->lock);
			return;
		}
		LWLockRelease(lg_pooler->lock);
	}

	/* the client changed, or a reset removed entries: look it up again */
	memcpy(my_key.client, client, NAMEDATALEN);
	LWLockAcquire(lg_pooler->lock, LW_EXCLUSIVE);
	e = lg_pooler_enter_locked(&my_key, now);
	if (e != NULL)
	{
		pg_atomic_fetch_add_u64(&e->xacts, 1);
		pg_atomic_fetch_add_u64(&e->busy_us, (uint64) Max(busy_us, 0));
		pg_atomic_write_u64(&e->last_xact_at, (uint64) now);
	}
	else
		pg_atomic_fetch_add_u64(&lg_pooler->untracked_xacts, 1);
	my_entry = e;
	my_generation = lg_pooler->generation;
	LWLockRelease(lg_pooler->lock);
}

static int
lg_seen_cmp(const void *a, const void *b)
{
	return memcmp(&((const LgPoolerSeen *) a)->key, &((const LgPoolerSeen *) b)->key,
				  sizeof(LgPoolerKey));
}

static int
lg_usage_cmp(const void *a, const void *b)
{
	return memcmp(&((const UsageRow *) a)->key, &((const UsageRow *) b)->key,
				  sizeof(LgPoolerKey));
}

/*
 * Group what was seen of the pooler backends into one row per
 * (pool, client): linked (current name is the client's), in_use (of those,
 * busy) and the pool's server connections.  Sorts "seen"; "out" has room
 * for nseen rows.  Returns the number of rows, sorted by key.
 */
static int
lg_seen_group(LgPoolerSeen *seen, int nseen, UsageRow *out)
{
	int			n = 0;
	int			pool_start = 0;

	if (nseen > 1)
		qsort(seen, nseen, sizeof(LgPoolerSeen), lg_seen_cmp);
	for (int i = 0; i < nseen; i++)
	{
		if (n == 0 || memcmp(&out[n - 1].key, &seen[i].key, sizeof(LgPoolerKey)) != 0)
		{
			memset(&out[n], 0, sizeof(UsageRow));
			out[n].key = seen[i].key;
			n++;
		}
		out[n - 1].linked++;
		if (seen[i].busy)
			out[n - 1].in_use++;
	}
	/* server connections per pool: rows of one pool are adjacent */
	for (int i = 0; i <= n; i++)
	{
		if (i == n || memcmp(&out[i].key, &out[pool_start].key, LG_POOLER_POOL_KEYLEN) != 0)
		{
			int32		total = 0;

			for (int j = pool_start; j < i; j++)
				total += out[j].linked;
			for (int j = pool_start; j < i; j++)
				out[j].server_connections = total;
			pool_start = i;
		}
	}
	return n;
}

/* a row of sorted "rows" with the same pool as "key" (binary search), or NULL */
static UsageRow *
lg_find_pool(UsageRow *rows, int n, const LgPoolerKey *key)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = memcmp(&rows[mid].key, key, LG_POOLER_POOL_KEYLEN);

		if (c == 0)
			return &rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/*
 * The worker, once per cycle, with what it saw of the pooler backends
 * (sorted here): accumulate each pair's share of its pool's server
 * connections, and raise or clear alerts once a window of
 * lifeguard.pooler_alert_hold is complete.  Fills "changes" for the caller
 * to record and report.  Must not be called with lg_shared->lock held.
 */
int
lg_pooler_evaluate(LgPoolerSeen *seen, int nseen, TimestampTz now,
				   LgPoolerAlertChange *changes, int max_changes)
{
	UsageRow   *rows;
	int			nrows;
	int			nchanges = 0;
	double		dt;
	HASH_SEQ_STATUS hseq;
	LgPoolerEntry *e;

	if (lg_pooler == NULL)
		return 0;
	rows = palloc(sizeof(UsageRow) * Max(nseen, 1));
	nrows = lg_seen_group(seen, nseen, rows);

	LWLockAcquire(lg_pooler->lock, LW_EXCLUSIVE);
	if (nrows == 0 && hash_get_num_entries(lg_pooler_hash) == 0)
	{
		lg_pooler->last_eval = now;
		LWLockRelease(lg_pooler->lock);
		pfree(rows);
		return 0;
	}
	dt = lg_pooler->last_eval == 0 ? 0 :
		Max((double) (now - lg_pooler->last_eval) / 1000000.0, 0);
	lg_pooler->last_eval = now;

	/* a client busy on a pool before its first transaction ended */
	for (int i = 0; i < nrows; i++)
		if (rows[i].in_use > 0)
			(void) lg_pooler_enter_locked(&rows[i].key, now);

	hash_seq_init(&hseq, lg_pooler_hash);
	while ((e = hash_seq_search(&hseq)) != NULL)
	{
		UsageRow   *r = bsearch(&e->key, rows, nrows, sizeof(UsageRow), lg_usage_cmp);
		UsageRow   *pool = r ? r : lg_find_pool(rows, nrows, &e->key);
		int32		total = pool ? pool->server_connections : 0;
		double		share = (r && total > 0) ? (double) r->in_use / total : 0;

		e->window_sum += share * dt;
		e->window_secs += dt;
		if (e->window_secs * 1000 < lg_pooler_alert_hold_ms)
			continue;

		e->last_share = e->window_secs > 0 ? e->window_sum / e->window_secs : 0;
		e->window_sum = e->window_secs = 0;
		if (!e->alert_active && lg_pooler_alert_threshold > 0 &&
			e->last_share >= lg_pooler_alert_threshold && total > 0)
		{
			e->alert_active = true;
			e->alert_raised_at = now;
		}
		else if (e->alert_active &&
				 (lg_pooler_alert_threshold <= 0 || e->last_share < lg_pooler_alert_threshold))
			e->alert_active = false;
		else
			continue;
		if (nchanges < max_changes)
		{
			LgPoolerAlertChange *c = &changes[nchanges++];

			c->raised = e->alert_active;
			c->key = e->key;
			c->share = e->last_share;
			c->threshold = lg_pooler_alert_threshold;
			c->server_connections = total;
		}
	}
	LWLockRelease(lg_pooler->lock);
	pfree(rows);
	return nchanges;
}

/*
 * The active pooler alerts, palloc'd, for lifeguard.alerts.
 */
int
lg_pooler_alert_rows(LgPoolerAlertRow **rows)
{
	HASH_SEQ_STATUS hseq;
	LgPoolerEntry *e;
	int			n = 0;

	*rows = palloc(sizeof(LgPoolerAlertRow) * lg_max_pooler_clients);
	if (lg_pooler == NULL)
		return 0;
	LWLockAcquire(lg_pooler->lock, LW_SHARED);
	hash_seq_init(&hseq, lg_pooler_hash);
	while ((e = hash_seq_search(&hseq)) != NULL)
	{
		if (!e->alert_active || n >= lg_max_pooler_clients)
			continue;
		memcpy((*rows)[n].client, e->key.client, NAMEDATALEN);
		(*rows)[n].raised_at = e->alert_raised_at;
		(*rows)[n].share = e->last_share;
		n++;
	}
	LWLockRelease(lg_pooler->lock);
	return n;
}

/*
 * lifeguard.reset_stats(): forget every pair except those with an active
 * alert, whose counters start again.  Backends notice through the
 * generation and look their entry up again.
 */
void
lg_pooler_reset(void)
{
	HASH_SEQ_STATUS hseq;
	LgPoolerEntry *e;
	TimestampTz now = GetCurrentTimestamp();

	if (lg_pooler == NULL)
		return;
	LWLockAcquire(lg_pooler->lock, LW_EXCLUSIVE);
	hash_seq_init(&hseq, lg_pooler_hash);
	while ((e = hash_seq_search(&hseq)) != NULL)
	{
		if (e->alert_active)
		{
			pg_atomic_write_u64(&e->xacts, 0);
			pg_atomic_write_u64(&e->busy_us, 0);
			e->first_seen = now;
		}
		else
			hash_search(lg_pooler_hash, &e->key, HASH_REMOVE, NULL);
	}
	pg_atomic_write_u64(&lg_pooler->untracked_xacts, 0);
	lg_pooler->generation++;
	LWLockRelease(lg_pooler->lock);
}

/*
 * What the pooler backends are doing now: one LgPoolerSeen per live
 * pooler backend that finished starting.  Takes lg_shared->lock shared.
 */
static int
lg_seen_collect(LgPoolerSeen *seen, int max)
{
	int			n = 0;

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	for (int i = 0; i < lg_shared->nslots && n < max; i++)
	{
		LifeguardSlot *slot = &lg_shared->slots[i];
		LgBackend	b;

		if (slot->pid == 0 || !slot->pooler || slot->app == NULL)
			continue;
		if (!lg_read_status(slot->be, slot->pid, &b))
			continue;
		memset(&seen[n].key, 0, sizeof(LgPoolerKey));
		strlcpy(seen[n].key.pool_app, slot->app->name, NAMEDATALEN);
		strlcpy(seen[n].key.role, slot->rolname, NAMEDATALEN);
		strlcpy(seen[n].key.db, slot->datname, NAMEDATALEN);
		lg_pooler_client_key(b.appname, seen[n].key.client);
		seen[n].busy = lg_pooler_state_busy(b.state);
		n++;
	}
	LWLockRelease(lg_shared->lock);
	return n;
}

/*
 * lifeguard.pooler_usage(): per (pool, client application) the live state
 * of the pool's server connections and the accumulated usage.
 */
Datum
lifeguard_pooler_usage(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LgPoolerSeen *seen;
	int			nseen;
	UsageRow   *live;
	int			nlive;
	UsageRow   *rows;
	int			n = 0;
	HASH_SEQ_STATUS hseq;
	LgPoolerEntry *e;
	int			start = 0;

	lg_require_shmem();
	if (lg_pooler == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_lifeguard must be loaded via shared_preload_libraries")));
	InitMaterializedSRF(fcinfo, 0);

	seen = palloc(sizeof(LgPoolerSeen) * Max(lg_shared->nslots, 1));
	nseen = lg_seen_collect(seen, lg_shared->nslots);
	live = palloc(sizeof(UsageRow) * Max(nseen, 1));
	nlive = lg_seen_group(seen, nseen, live);

	rows = palloc(sizeof(UsageRow) * (lg_max_pooler_clients + nlive + 1));
	LWLockAcquire(lg_pooler->lock, LW_SHARED);
	hash_seq_init(&hseq, lg_pooler_hash);
	while ((e = hash_seq_search(&hseq)) != NULL)
	{
		UsageRow   *r = &rows[n++];

		memset(r, 0, sizeof(UsageRow));
		r->key = e->key;
		r->has_entry = true;
		r->xacts = pg_atomic_read_u64(&e->xacts);
		r->busy_us = pg_atomic_read_u64(&e->busy_us);
		r->last_xact_at = (TimestampTz) pg_atomic_read_u64(&e->last_xact_at);
		r->first_seen = e->first_seen;
		r->alert_active = e->alert_active;
		r->last_share = e->last_share;
		if (n >= lg_max_pooler_clients)
		{
			hash_seq_term(&hseq);
			break;
		}
	}
	LWLockRelease(lg_pooler->lock);

	/* live state onto the counters; live pairs without counters too */
	if (n > 1)
		qsort(rows, n, sizeof(UsageRow), lg_usage_cmp);
	{
		int			nentries = n;

		for (int i = 0; i < nlive; i++)
		{
			UsageRow   *r = bsearch(&live[i].key, rows, nentries, sizeof(UsageRow), lg_usage_cmp);

			if (r == NULL)
			{
				r = &rows[n++];
				*r = live[i];
			}
			else
			{
				r->linked = live[i].linked;
				r->in_use = live[i].in_use;
			}
		}
	}
	if (n > 1)
		qsort(rows, n, sizeof(UsageRow), lg_usage_cmp);

	/* per pool: server connections now, busy time of all its clients */
	for (int i = 0; i <= n; i++)
	{
		if (i == n || memcmp(&rows[i].key, &rows[start].key, LG_POOLER_POOL_KEYLEN) != 0)
		{
			uint64		busy = 0;
			UsageRow   *pool = lg_find_pool(live, nlive, &rows[start].key);

			for (int j = start; j < i; j++)
				busy += rows[j].busy_us;
			for (int j = start; j < i; j++)
			{
				rows[j].pool_busy_us = busy;
				rows[j].server_connections = pool ? pool->server_connections : 0;
			}
			start = i;
		}
	}

	for (int i = 0; i < n; i++)
	{
		UsageRow   *r = &rows[i];
		Datum		values[14];
		bool		nulls[14];

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(r->key.pool_app);
		values[1] = CStringGetTextDatum(r->key.role);
		values[2] = CStringGetTextDatum(r->key.db);
		values[3] = CStringGetTextDatum(r->key.client);
		values[4] = Int32GetDatum(r->server_connections);
		values[5] = Int32GetDatum(r->linked);
		values[6] = Int32GetDatum(r->in_use);
		values[7] = Int64GetDatum((int64) r->xacts);
		values[8] = Int64GetDatum((int64) r->busy_us);
		values[9] = Int64GetDatum((int64) r->pool_busy_us);
		values[10] = TimestampTzGetDatum(r->first_seen);
		nulls[10] = !r->has_entry;
		values[11] = TimestampTzGetDatum(r->last_xact_at);
		nulls[11] = r->last_xact_at == 0;
		values[12] = Float8GetDatum(r->last_share);
		values[13] = BoolGetDatum(r->alert_active);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * lifeguard.pooler_untracked_transactions(): transactions of pairs the
 * full table could not take, since the last reset.
 */
Datum
lifeguard_pooler_untracked_transactions(PG_FUNCTION_ARGS)
{
	lg_require_shmem();
	if (lg_pooler == NULL)
		PG_RETURN_INT64(0);
	PG_RETURN_INT64((int64) pg_atomic_read_u64(&lg_pooler->untracked_xacts));
}
