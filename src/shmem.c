/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		Shared state of pg_lifeguard and the one protocol that guards it.
 *
 * pg_lifeguard keeps, in the main shared memory segment:
 *
 *	- LifeguardShared: totals, the overflow bucket, the quota rules the
 *	  connect path checks, and the worker's status;
 *	- a dynahash of LifeguardApp entries keyed by application name, with at
 *	  most lifeguard.max_applications entries (then the overflow bucket
 *	  takes the rest, and the log says so once);
 *	- an array of LifeguardSlot, one per possible backend, indexed by the
 *	  backend's PGPROC number, recording which application each live client
 *	  backend counts under.
 *
 * Locking
 * -------
 * One LWLock, lg_shared->lock (named tranche "pg_lifeguard"), guards the
 * hash table, every LifeguardApp field, the slots (except the recycling
 * mailbox), the rules and the totals:
 *
 *	- Admission (connect), release (exit callback), rule installation, the
 *	  worker's gauge refresh and reset_stats take it EXCLUSIVE.  Admission
 *	  must decide and claim under one exclusive hold: that is what makes
 *	  N simultaneous logins against K free places admit exactly K.
 *	- Views take it SHARED, copy what they need, release, and only then
 *	  build tuples.
 *	- Nobody calls ereport(), palloc() or anything else that may throw or
 *	  block while holding it: decide under the lock, act after releasing.
 *	  (The connect path raises its FATAL only after LWLockRelease.)
 *	- No other lock is taken while holding it.
 *
 * lg_shared->mutex (a spinlock) guards only the worker status block and
 * the reload_rules flag: a few straight-line assignments, never a call.
 *
 * The recycling mailbox in each slot (recycle_request and friends) is
 * written by the requester while holding the LWLock exclusive and read by
 * the target backend from a signal handler without any lock; see
 * recycle.c for why that is safe.
 *
 * The workload tables (sampled predicates and statements, N+1 findings)
 * live in a separate area with a lock of their own, never held together
 * with this one; workload.c states their protocol.
 *
 * A postmaster crash-restart recreates shared memory from scratch, so no
 * slot of a backend that died with it survives: counts start from zero and
 * every new login is counted again.
 *
 * src/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "pg_lifeguard.h"
#include "shmem.h"

LifeguardShared *lg_shared = NULL;
HTAB	   *lg_apps = NULL;

#define LG_TRANCHE "pg_lifeguard"

static Size lg_rules_size(void);
static Size lg_slots_size(void);
static Size lg_events_size(void);
static Size lg_struct_size(void);
static Size lg_shmem_size(void);

/* Bytes of the rule array, and of the fixed struct plus its two arrays. */
static Size
lg_rules_size(void)
{
	return MAXALIGN(mul_size(lg_max_quotas, sizeof(LifeguardRule)));
}

static Size
lg_slots_size(void)
{
	return MAXALIGN(mul_size(lg_max_backends(), sizeof(LifeguardSlot)));
}

static Size
lg_events_size(void)
{
	return MAXALIGN(mul_size(lg_event_ring_size, sizeof(LifeguardEvent)));
}

static Size
lg_struct_size(void)
{
	Size		size = MAXALIGN(sizeof(LifeguardShared));

	size = add_size(size, lg_rules_size());
	size = add_size(size, lg_slots_size());
	size = add_size(size, lg_events_size());
	size = add_size(size, MAXALIGN(mul_size(lg_history_ring_size, sizeof(LifeguardSample))));
	return size;
}

/*
 * Bytes of shared memory the extension needs, from the settings.
 */
static Size
lg_shmem_size(void)
{
	return add_size(lg_struct_size(),
					hash_estimate_size(lg_max_applications, sizeof(LifeguardApp)));
}

/*
 * Ask for our shared memory and LWLock.  Called from shmem_request_hook
 * (15+) or _PG_init (14).
 */
void
lg_shmem_request(void)
{
	RequestAddinShmemSpace(lg_shmem_size());
	RequestNamedLWLockTranche(LG_TRANCHE, 1);
}

/*
 * Create or attach to the shared state.  Runs in the postmaster at start
 * and after every crash-restart (found = false each time), and in every
 * EXEC_BACKEND child.
 */
void
lg_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;
	char	   *tail;

	lg_shared = NULL;
	lg_apps = NULL;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);

	lg_shared = ShmemInitStruct("pg_lifeguard", lg_struct_size(), &found);
	tail = (char *) lg_shared + MAXALIGN(sizeof(LifeguardShared));
	if (!found)
	{
		memset(lg_shared, 0, lg_struct_size());
		lg_shared->lock = &(GetNamedLWLockTranche(LG_TRANCHE))->lock;
		SpinLockInit(&lg_shared->mutex);
		lg_shared->nslots = lg_max_backends();
		lg_shared->stats_reset = GetCurrentTimestamp();
		lg_shared->overflow.first_seen = lg_shared->stats_reset;
		lg_shared->reload_rules = true;
		lg_shared->rules_generation = 1;	/* 0 means "any" to install_if */
	}
	lg_shared->rules = (LifeguardRule *) tail;
	lg_shared->slots = (LifeguardSlot *) (tail + lg_rules_size());
	lg_shared->events = (LifeguardEvent *)
		(tail + lg_rules_size() + lg_slots_size());
	lg_shared->samples = (LifeguardSample *)
		(tail + lg_rules_size() + lg_slots_size() + lg_events_size());
	if (!found)
	{
		for (int i = 0; i < lg_shared->nslots; i++)
		{
			pg_atomic_init_u64(&lg_shared->slots[i].xacts, 0);
			pg_atomic_init_u64(&lg_shared->slots[i].xact_us, 0);
		}
		lg_shared->event_next = 1;
		lg_shared->sample_next = 1;
	}

	memset(&info, 0, sizeof(info));
	info.keysize = NAMEDATALEN;
	info.entrysize = sizeof(LifeguardApp);
	lg_apps = lg_ShmemInitHash("pg_lifeguard applications",
							   lg_max_applications, &info,
							   HASH_ELEM | HASH_STRINGS);

	LWLockRelease(AddinShmemInitLock);
}

/*
 * Raise an error unless the library was preloaded and its shared state
 * exists.  Every SQL-callable function starts with this.
 */
void
lg_require_shmem(void)
{
	if (!lg_shared || !lg_apps)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_lifeguard must be loaded via shared_preload_libraries"),
				 errhint("Add pg_lifeguard to shared_preload_libraries and restart the server.")));
}

/*
 * Turn a client-supplied application name into a hash key: the first
 * NAMEDATALEN-1 bytes, NUL padded, which is also what pg_stat_activity
 * keeps of it.  NULL becomes ''.  The server has already replaced bytes
 * outside printable ASCII, so a byte cut never splits a character.
 */
void
lg_app_name_key(const char *raw, char *key)
{
	memset(key, 0, NAMEDATALEN);
	if (raw)
		strlcpy(key, raw, NAMEDATALEN);
}

/*
 * Find (or, with create, add) an application's entry.  When the table
 * already holds max_applications entries a new name gets the overflow
 * bucket and *overflowed is set on the first such miss so the caller can
 * log it once, after releasing the lock.
 *
 * Caller must hold lg_shared->lock: exclusive when create is true.
 */
LifeguardApp *
lg_app_lookup(const char *name, bool create, bool *overflowed)
{
	char		key[NAMEDATALEN];
	LifeguardApp *app;
	bool		found;

	if (overflowed)
		*overflowed = false;
	lg_app_name_key(name, key);
	app = hash_search(lg_apps, key, HASH_FIND, NULL);
	if (app || !create)
		return app;

	if (hash_get_num_entries(lg_apps) >= lg_max_applications)
	{
		if (!lg_shared->overflow_logged)
		{
			lg_shared->overflow_logged = true;
			if (overflowed)
				*overflowed = true;
		}
		return &lg_shared->overflow;
	}

	app = hash_search(lg_apps, key, HASH_ENTER_NULL, &found);
	if (!app)
		return &lg_shared->overflow;
	if (!found)
	{
		memset((char *) app + NAMEDATALEN, 0, sizeof(LifeguardApp) - NAMEDATALEN);
		app->first_seen = GetCurrentTimestamp();
	}
	return app;
}

/*
 * Slot for a PGPROC index, or NULL when out of range.
 */
LifeguardSlot *
lg_slot_for_index(int procindex)
{
	if (!lg_shared || procindex < 0 || procindex >= lg_shared->nslots)
		return NULL;
	return &lg_shared->slots[procindex];
}

/*
 * The current backend's slot, or NULL.
 */
LifeguardSlot *
lg_my_slot(void)
{
	if (!MyProc)
		return NULL;
	return lg_slot_for_index(LG_MY_PROC_INDEX());
}

/*
 * Replace the rules the connect path checks.  Never throws: it is called
 * from a commit callback.
 */
void
lg_install_rules(const LifeguardRule *rules, int nrules)
{
	(void) lg_install_rules_if(rules, nrules, 0);
}

/*
 * Current generation of the installed rules, for lg_install_rules_if.
 */
uint64
lg_rules_generation(void)
{
	uint64		gen;

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	gen = lg_shared->rules_generation;
	LWLockRelease(lg_shared->lock);
	return gen;
}

/*
 * Install the rules unless another install happened since generation
 * "expected" was read (0: install regardless).  The worker reads the
 * table with a snapshot that may predate a commit whose backend installs
 * its rules meanwhile; without this check the worker could put the older
 * set back.  Returns whether the rules were installed.
 */
bool
lg_install_rules_if(const LifeguardRule *rules, int nrules, uint64 expected)
{
	bool		done = false;

	if (!lg_shared)
		return false;
	if (nrules > lg_max_quotas)
		nrules = lg_max_quotas;

	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	if (expected == 0 || lg_shared->rules_generation == expected)
	{
		if (nrules > 0)
			memcpy(lg_shared->rules, rules, sizeof(LifeguardRule) * nrules);
		lg_shared->nrules = nrules;
		lg_shared->rules_loaded = true;
		lg_shared->rules_generation++;
		done = true;
	}
	LWLockRelease(lg_shared->lock);
	return done;
}

/*
 * Ask the worker to re-read lifeguard.quotas at its next cycle.
 */
void
lg_request_rules_reload(void)
{
	if (!lg_shared)
		return;
	SpinLockAcquire(&lg_shared->mutex);
	lg_shared->reload_rules = true;
	SpinLockRelease(&lg_shared->mutex);
}

/*
 * Mark a slot free.  Caller holds lg_shared->lock exclusively.
 */
void
lg_slot_clear(LifeguardSlot *slot)
{
	slot->pid = 0;
	slot->roleid = InvalidOid;
	slot->superuser = false;
	slot->exempt = false;
	slot->connected_at = 0;
	slot->app = NULL;
	slot->be = NULL;
	slot->rolname[0] = '\0';
	slot->datname[0] = '\0';
	slot->dry_run_noted = 0;
	slot->recycle_request = 0;
	slot->recycle_allow_xact = 0;
	slot->recycle_deferred = 0;
	pg_atomic_write_u64(&slot->xacts, 0);
	pg_atomic_write_u64(&slot->xact_us, 0);
}
