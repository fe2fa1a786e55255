/*-------------------------------------------------------------------------
 *
 * shmem.h
 *		Shared state of pg_lifeguard: applications, backend slots, quota
 *		rules and worker status.  The locking protocol is at the top of
 *		shmem.c.
 *
 * src/pool/shmem.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_SHMEM_H
#define PG_LIFEGUARD_SHMEM_H

#include "core/settings.h"
#include "lib/ilist.h"
#include "port/atomics.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "utils/backend_status.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

/*
 * Per-application entry.  The key is the first NAMEDATALEN-1 bytes of the
 * application_name the client sent in its startup packet ('' if none).
 * All fields: see "Locking" in shmem.c.
 */
typedef struct LifeguardApp
{
	char		name[NAMEDATALEN];	/* hash key; keep first */

	/* counters, changed under the exclusive lock */
	int64		opened;			/* logins counted */
	int64		closed;			/* counted logins that ended */
	int64		rejected;		/* refused by a hard limit or reservation */
	int64		would_reject;	/* admitted only because of mode = warn */
	int64		soft_warnings;	/* logins that took it above its soft limit */
	int64		reclaimed;		/* idle backends reclaimed by the worker */
	int64		recycled;		/* idle backends recycled (age, idle time) */
	int32		reclaim_pending;	/* worker scratch within one cycle */
	int64		session_ms_closed;	/* summed duration of closed sessions */
	int64		xacts_closed;	/* transactions of closed sessions */
	int64		xact_us_closed; /* their summed duration */
	int32		connections;	/* live counted backends */
	int32		peak;			/* highest connections since reset */
	TimestampTz peak_at;
	TimestampTz first_seen;

	/* gauges, rewritten by the worker every cycle */
	int32		active;
	int32		idle;
	int32		idle_in_transaction;
	int32		waiting;		/* waiting on a heavyweight lock */
	TimestampTz oldest_start;	/* backend_start of the oldest, 0 if none */
	TimestampTz longest_idle_since; /* state change of the longest idle */
	TimestampTz longest_idle_xact_since;	/* same, idle in transaction */
	int64		xacts;			/* all transactions, closed + live */
	int64		xact_us;		/* their summed duration */

	/* table management (see lg_app_lookup) */
	int32		first_rule;		/* its first rule in lg_shared->rules, -1:
								 * none; set when the rules are installed.
								 * An entry a rule names is never evicted */
	TimestampTz last_active;	/* last login or logout counted */
	bool		seen;			/* on lg_shared->seen_apps */
	dlist_node	seen_node;

	/* worker state */
	double		recycle_tokens; /* age-recycling allowance (token bucket) */
	TimestampTz tokens_at;
	bool		alert_active;	/* application alert raised, not cleared */
	TimestampTz alert_raised_at;
	double		alert_value;
} LifeguardApp;

/*
 * Per-backend slot, indexed by the backend's PGPROC number.  pid == 0 means
 * free.  The recycle_* fields form a small mailbox between the worker (or
 * lifeguard.recycle()) and the backend's SIGUSR2 handler; see recycle.c.
 */
typedef struct LifeguardSlot
{
	pid_t		pid;
	Oid			roleid;
	bool		superuser;		/* role was a superuser at login */
	bool		exempt;			/* exempt from limits (still counted) */
	bool		pooler;			/* belongs to a pooler (see pooler.c) */
	TimestampTz connected_at;
	LifeguardApp *app;			/* entry this backend counts under */
	/* the entry the slot's last login counted under, kept for the next
	 * login through this slot while no entry has been removed since
	 * (lg_app_lookup_for_slot); under the lock */
	LifeguardApp *last_app;
	uint64		last_app_removals;
	volatile PgBackendStatus *be;	/* its status entry (read with the
									 * changecount protocol) */
	char		rolname[NAMEDATALEN];
	char		datname[NAMEDATALEN];

	/* what a transaction end touches, together (one cache line, or two) */
	/* written by the backend itself only (no lock), read by the worker */
	pg_atomic_uint64 xacts;		/* transactions ended */
	pg_atomic_uint64 xact_us;	/* their summed duration */
	/* recycling mailbox: written by requester, read by the backend */
	volatile int recycle_request;	/* LifeguardEventKind, 0 = none */
	volatile int recycle_allow_xact;	/* may end an idle transaction */
	volatile uint32 recycle_deferred;	/* requests the backend declined */

	/* private memory, sampled between statements (memory.c); 0 = none yet */
	pg_atomic_uint64 memory_bytes;	/* latest sample */
	pg_atomic_uint64 memory_initial;	/* first sample, right after login */
	pg_atomic_uint64 memory_sampled_at; /* TimestampTz of the latest */

	/* worker scratch, under the lock */
	int			dry_run_noted;	/* recycle kind already logged in dry run */
} LifeguardSlot;

/*
 * A quota rule as the connect path sees it.  Names are compared as given
 * (role and database by name: renaming a role does not carry its rules).
 */
typedef struct LifeguardRule
{
	char		app[NAMEDATALEN];	/* exact name, or "*" for the default */
	char		role[NAMEDATALEN];	/* '' = any */
	char		db[NAMEDATALEN];	/* '' = any */
	int32		soft_limit;
	int32		hard_limit;
	int32		reserved;
	int32		min_idle;		/* recycling leaves this many */
	int64		max_age_ms;		/* -1 = not set */
	int64		idle_timeout_ms;	/* -1 = not set */
	int64		idle_xact_timeout_ms;	/* -1 = not set */
	int64		max_memory_bytes;	/* -1 = not set */
	int			mode;			/* LifeguardMode */
	int			recycle_at;		/* 1 + LgRecycleAt; 0 = not set (so that a
								 * rules file written before this field
								 * existed, zero padding there, reads so) */
} LifeguardRule;

/* An event in the shared ring (lifeguard.events). */
#define LG_EVENT_DETAIL_LEN 256
typedef struct LifeguardEvent
{
	uint64		seq;			/* 1-based, monotonic since start */
	TimestampTz at;
	int			kind;			/* LifeguardEventKind */
	int			pid;
	char		app[NAMEDATALEN];
	bool		app_null;		/* server-wide event */
	char		usename[NAMEDATALEN];
	char		datname[NAMEDATALEN];
	char		detail[LG_EVENT_DETAIL_LEN];	/* JSON object text */
} LifeguardEvent;

/* One history sample of one application (lifeguard.pool_history). */
typedef struct LifeguardSample
{
	uint64		seq;
	TimestampTz at;
	char		app[NAMEDATALEN];
	int32		connections;
	int32		active;
	int32		idle;
	int32		idle_in_transaction;
	int32		waiting;
	int64		xacts;
	int64		xact_us;
	int64		opened;
	int64		rejected;
} LifeguardSample;

/* Worker status, shown by lifeguard.worker_status. */
typedef struct LifeguardWorkerInfo
{
	pid_t		pid;			/* 0 when not running */
	TimestampTz started_at;
	TimestampTz last_cycle_at;
	double		last_cycle_ms;
	int64		cycles;
	bool		is_standby;
	bool		extension_present;
	char		last_error[256];
} LifeguardWorkerInfo;

typedef struct LifeguardShared
{
	LWLock	   *lock;			/* see "Locking" in shmem.c */
	LWLock	   *file_lock;		/* orders writes of the rules file */
	uint64		file_generation;	/* rules generation the file holds
									 * (under file_lock) */

	/* protected by lock */
	int			nslots;			/* size of slots[] */
	int			nrules;			/* valid entries in rules[] */
	bool		rules_loaded;	/* rules came from the table or the file */
	uint64		rules_generation;	/* bumped on every install */
	bool		overflow_logged;	/* "table full" said once */
	int32		napps_unruled;	/* entries no rule names (<= max_applications) */
	int32		total_connections;	/* live counted backends, all apps */
	int64		total_rejected;
	LifeguardApp overflow;		/* applications beyond max_applications */
	uint64		app_removals;	/* entries removed from the table, ever */

	/*
	 * The entries that have counted a login or a refusal, in the order they
	 * first did (lg_app_seen_locked): a superset of those the views list,
	 * without the entries the rules reserve for names no client has used.
	 */
	dlist_head	seen_apps;
	TimestampTz stats_reset;

	/* protected by mutex */
	slock_t		mutex;
	LifeguardWorkerInfo worker;
	bool		reload_rules;	/* worker should re-read the quota table */

	/* event and history rings, protected by lock */
	uint64		event_next;		/* seq of the next event */
	uint64		event_persisted;	/* events up to this seq are in the table */
	uint64		sample_next;
	uint64		sample_persisted;

	/* server-wide alert, protected by lock */
	bool		alert_active;
	TimestampTz alert_raised_at;
	double		alert_value;

	/* variable-length tails, set up by lg_shmem_startup */
	LifeguardEvent *events;		/* lg_event_ring_size entries */
	LifeguardSample *samples;	/* lg_history_ring_size entries */
	LifeguardRule *rules;		/* max_quotas entries, sorted (lg_rule_cmp) */
	int32		star_first;		/* the first '*' rule, -1: none; the
								 * others' are in their entries */
	int		   *reserving;		/* indexes of the '*' rules that reserve
								 * connections (not mode off), nreserving
								 * of them; rebuilt with the rules */
	int			nreserving;
	int32	   *rule_count;		/* max_quotas entries: live connections in
								 * the scope of each rule that names an
								 * application (see lg_rule_counts_adjust) */
	int64		unused_reserved;	/* over the rules that name an application
									 * and reserve: sum of reserved - count,
									 * where positive */
	LifeguardSlot *slots;		/* nslots entries */
} LifeguardShared;

extern LifeguardShared *lg_shared;
extern HTAB *lg_apps;

extern void lg_shmem_request(void);
extern void lg_shmem_startup(void);
extern void lg_require_shmem(void);

extern int	lg_app_capacity(void);
extern pg_attribute_hot LifeguardApp *lg_app_lookup(const char *name, bool create,
													bool *overflowed);
extern void lg_app_forget(LifeguardApp *app);
extern pg_attribute_hot LifeguardApp *lg_app_lookup_for_slot(LifeguardSlot *slot,
															   const char *key,
															   bool *overflowed);
extern pg_attribute_hot void lg_login_prefault(const LifeguardSlot *slot);
extern pg_attribute_hot void lg_app_seen_locked(LifeguardApp *app);
extern pg_attribute_hot void lg_slot_release_locked(LifeguardSlot *slot, TimestampTz now);
extern pg_attribute_hot LifeguardSlot *lg_slot_for_index(int procindex);
extern pg_attribute_hot LifeguardSlot *lg_my_slot(void);
extern pg_attribute_hot void lg_slot_clear(LifeguardSlot *slot);
extern pg_attribute_hot bool lg_rule_reserves(const LifeguardRule *rule);
extern pg_attribute_hot bool lg_rule_covers(const LifeguardRule *rule, const char *app,
											const char *role, const char *db);
extern pg_attribute_hot void lg_rule_counts_adjust_locked(const LifeguardSlot *slot, int delta);
extern void lg_rule_counts_rebuild_locked(void);

extern uint64 lg_install_rules(const LifeguardRule *rules, int nrules);
extern uint64 lg_install_rules_if(const LifeguardRule *rules, int nrules,
								  uint64 expected);
extern uint64 lg_rules_generation(void);
extern void lg_request_rules_reload(void);

#endif							/* PG_LIFEGUARD_SHMEM_H */
