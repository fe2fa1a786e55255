/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		Shared state of pg_lifeguard and the one protocol that guards it.
 *
 * pg_lifeguard keeps, in the main shared memory segment:
 *
 *	- LifeguardShared: totals, the overflow bucket, the quota rules the
 *	  connect path checks with their index by application name, and the
 *	  worker's status;
 *	- a dynahash of LifeguardApp entries keyed by application name: every
 *	  name a quota rule names has an entry reserved for it when the rules
 *	  are installed (room for lifeguard.max_quotas of them), and at most
 *	  lifeguard.max_applications other names are kept.  When those are
 *	  all taken, a new name evicts an entry that has no connection and no
 *	  rule, and only when there is none does it count under the overflow
 *	  entry (which the '*' rule then limits as one application).  So a
 *	  flood of junk names can neither push out a named application nor
 *	  loosen any limit;
 *	- an array of LifeguardSlot, one per possible backend, indexed by the
 *	  backend's PGPROC number, recording which application each live client
 *	  backend counts under;
 *	- for each rule that names an application, its live count (the
 *	  connections in its scope) and, over those that reserve, the places
 *	  they still hold: kept up to date at every claim and release and
 *	  recounted when the rules change, so that a login reads its counts
 *	  instead of scanning slots or rules.
 *
 * Locking
 * -------
 * One LWLock, lg_shared->lock (named tranche "pg_lifeguard"), guards the
 * hash table, every LifeguardApp field, the slots (except the recycling
 * mailbox), the rules, their counts and the totals:
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
 * lg_shared->file_lock orders the writers of the rules file (a commit that
 * changed lifeguard.quotas, and the worker): it is held around the rename
 * that puts a file in place, together with file_generation, so that a file
 * holding an older rule set never replaces a newer one.  It is taken
 * without holding lock, and nothing else is taken while holding it; the
 * connect path never takes it.
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
 * Owns: the connection side's shared state and its locking protocol.
 * Must not: decide policy (admission, recycling) or report to anyone.
 *
 * src/pool/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/settings.h"
#include "pool/shmem.h"

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
lg_reserving_size(void)
{
	return MAXALIGN(mul_size(lg_max_quotas, sizeof(int)));
}

static Size
lg_rule_counts_size(void)
{
	return MAXALIGN(mul_size(lg_max_quotas, sizeof(int32)));
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

/*
 * Our struct starts at a multiple of this many bytes of address space:
 * the kernel maps the pages around a faulting one within such a window
 * (64 kB by default), so that a login, which reads the header, the rules
 * and its slot, takes one page fault here rather than two or three.  A
 * new backend's page faults are a large part of a connection's cost on a
 * virtual machine.
 */
#define LG_SHMEM_WINDOW		65536

static Size
lg_struct_size(void)
{
	Size		size = MAXALIGN(sizeof(LifeguardShared));

	size = add_size(size, lg_rules_size());
	size = add_size(size, lg_reserving_size());
	size = add_size(size, lg_rule_counts_size());
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
	return add_size(add_size(lg_struct_size(), LG_SHMEM_WINDOW),
					hash_estimate_size(lg_app_capacity(), sizeof(LifeguardApp)));
}

/*
 * Entries the application table can hold: max_applications names without
 * a rule plus one reserved for every possible rule.
 */
int
lg_app_capacity(void)
{
	return lg_max_applications + lg_max_quotas;
}

/*
 * Ask for our shared memory and LWLock.  Called from shmem_request_hook
 * (15+) or _PG_init (14).
 */
void
lg_shmem_request(void)
{
	RequestAddinShmemSpace(lg_shmem_size());
	RequestNamedLWLockTranche(LG_TRANCHE, 2);
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

	/* every process maps shared memory at the same address */
	lg_shared = (LifeguardShared *)
		TYPEALIGN(LG_SHMEM_WINDOW,
				  ShmemInitStruct("pg_lifeguard",
								  add_size(lg_struct_size(), LG_SHMEM_WINDOW),
								  &found));
	tail = (char *) lg_shared + MAXALIGN(sizeof(LifeguardShared));
	if (!found)
	{
		memset(lg_shared, 0, lg_struct_size());
		lg_shared->lock = &(GetNamedLWLockTranche(LG_TRANCHE))[0].lock;
		lg_shared->file_lock = &(GetNamedLWLockTranche(LG_TRANCHE))[1].lock;
		SpinLockInit(&lg_shared->mutex);
		lg_shared->nslots = lg_max_backends();
		lg_shared->stats_reset = GetCurrentTimestamp();
		lg_shared->overflow.first_seen = lg_shared->stats_reset;
		dlist_init(&lg_shared->seen_apps);
		lg_shared->reload_rules = true;
		lg_shared->rules_generation = 1;	/* 0 means "any" to install_if */
	}
	/*
	 * What a login reads, together at the start of the window (see
	 * LG_SHMEM_WINDOW): the header, the rules' counts, the rules, the
	 * slots.  With the default max_quotas, a login through any
	 * of the first hundred or so slots finds all of it in one window.
	 */
	lg_shared->reserving = (int *) tail;
	tail += lg_reserving_size();
	lg_shared->rule_count = (int32 *) tail;
	tail += lg_rule_counts_size();
	lg_shared->rules = (LifeguardRule *) tail;
	tail += lg_rules_size();
	lg_shared->slots = (LifeguardSlot *) tail;
	tail += lg_slots_size();
	lg_shared->events = (LifeguardEvent *) tail;
	tail += lg_events_size();
	lg_shared->samples = (LifeguardSample *) tail;
	if (!found)
	{
		for (int i = 0; i < lg_shared->nslots; i++)
		{
			pg_atomic_init_u64(&lg_shared->slots[i].xacts, 0);
			pg_atomic_init_u64(&lg_shared->slots[i].xact_us, 0);
			pg_atomic_init_u64(&lg_shared->slots[i].memory_bytes, 0);
			pg_atomic_init_u64(&lg_shared->slots[i].memory_initial, 0);
			pg_atomic_init_u64(&lg_shared->slots[i].memory_sampled_at, 0);
		}
		lg_shared->event_next = 1;
		lg_shared->sample_next = 1;
		lg_shared->star_first = -1;
		lg_shared->overflow.first_rule = -1;	/* in no named rule's scope */
	}

	memset(&info, 0, sizeof(info));
	info.keysize = NAMEDATALEN;
	info.entrysize = sizeof(LifeguardApp);
	lg_apps = lg_ShmemInitHash("pg_lifeguard applications",
							   lg_app_capacity(), &info,
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
 * An entry a new name may take the place of: no rule names it, no
 * connection counts under it and no alert is raised for it; the one
 * whose last login or logout is oldest.  NULL if there is none.
 * Caller holds lg_shared->lock exclusively.
 */
static LifeguardApp *
lg_app_evictable(void)
{
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;
	LifeguardApp *best = NULL;

	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
	{
		if (app->first_rule >= 0 || app->connections > 0 || app->alert_active)
			continue;
		if (best == NULL || app->last_active < best->last_active)
			best = app;
	}
	return best;
}

/*
 * lg_app_lookup(key, true, overflowed) for a login through "slot", whose
 * last login's entry is kept in the slot: a pool that reconnects finds
 * its entry there without the hash lookup, whose pages (the table's
 * header, directory and bucket) a new backend would fault in.  The kept
 * entry is used only if no entry has been removed from the table since
 * (an entry's memory is reused only after a removal) and it has the
 * name; the overflow entry is never kept, since a name it counts may get
 * an entry of its own when a rule names it.  "key" is already a hash key
 * (lg_app_name_key).  Caller holds lg_shared->lock exclusively.
 */
LifeguardApp *
lg_app_lookup_for_slot(LifeguardSlot *slot, const char *key, bool *overflowed)
{
	LifeguardApp *app = slot->last_app;

	if (app != NULL && slot->last_app_removals == lg_shared->app_removals &&
		strcmp(app->name, key) == 0)
	{
		if (overflowed)
			*overflowed = false;
		return app;
	}
	app = lg_app_lookup(key, true, overflowed);
	slot->last_app = (app == &lg_shared->overflow) ? NULL : app;
	slot->last_app_removals = lg_shared->app_removals;
	return app;
}

/*
 * Read, before a login takes lg_shared->lock, the shared pages its locked
 * part starts with: the window with the header, the rules' counts and
 * the first rules and slots (the kernel maps a faulting page's neighbours
 * with it), the login's slot, and the entry the slot's last login counted
 * under.  A new backend faults each of them in, which costs tens of
 * microseconds on a virtual machine and more while hundreds of backends
 * start at once; taken under the exclusive lock, every other login waits
 * for it.  Nothing read here is used: without the lock the kept entry may
 * be stale, but it is always memory of the table (entries are never given
 * back), so reading it is harmless.
 */
void
lg_login_prefault(const LifeguardSlot *slot)
{
	const LifeguardApp *app;

	(void) *(const volatile char *) lg_shared;
	(void) *(const volatile char *) slot;
	app = ((const volatile LifeguardSlot *) slot)->last_app;
	if (app != NULL)
		(void) *(const volatile char *) app;
}

/*
 * An entry counts a login or a refusal: put it on lg_shared->seen_apps if
 * it is not there yet.  The overflow entry is not in the table and is read
 * on its own.  Caller holds lg_shared->lock exclusively.
 */
void
lg_app_seen_locked(LifeguardApp *app)
{
	if (app->seen || app == &lg_shared->overflow)
		return;
	app->seen = true;
	dlist_push_tail(&lg_shared->seen_apps, &app->seen_node);
}

/*
 * Remove an entry from the table.  No slot may point at it.
 * Caller holds lg_shared->lock exclusively.
 */
void
lg_app_forget(LifeguardApp *app)
{
	if (app->first_rule < 0)
		lg_shared->napps_unruled--;
	if (app->seen)
		dlist_delete(&app->seen_node);
	/* a slot's last_app may point here: see lg_app_lookup_for_slot */
	lg_shared->app_removals++;
	(void) hash_search(lg_apps, app->name, HASH_REMOVE, NULL);
}

/*
 * Find (or, with create, add) an application's entry; see the file header
 * for which names get one.  When a name gets the overflow entry for the
 * first time since the last reset, *overflowed is set so the caller can
 * report it once, after releasing the lock.
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

	/*
	 * Not there, so no rule names it: installing the rules enters every
	 * name they name (lg_apps_reserve_for_rules), and those entries are
	 * never evicted.
	 */
	if (lg_shared->napps_unruled >= lg_max_applications)
	{
		LifeguardApp *victim = lg_app_evictable();

		if (victim == NULL)
		{
			if (!lg_shared->overflow_logged)
			{
				lg_shared->overflow_logged = true;
				if (overflowed)
					*overflowed = true;
			}
			return &lg_shared->overflow;
		}
		lg_app_forget(victim);
	}

	app = hash_search(lg_apps, key, HASH_ENTER_NULL, &found);
	if (!app)
		return &lg_shared->overflow;
	if (!found)
	{
		memset((char *) app + NAMEDATALEN, 0, sizeof(LifeguardApp) - NAMEDATALEN);
		app->first_seen = GetCurrentTimestamp();
		app->last_active = app->first_seen;
		app->first_rule = -1;
		lg_shared->napps_unruled++;
	}
	return app;
}

/*
 * Point each entry the installed rules name, and star_first for '*', at
 * its first rule (the rules of one application are adjacent, lg_rule_cmp
 * sorting by application first), creating the entries that do not exist
 * yet (their room is reserved: see lg_app_capacity); every other entry
 * gets -1.  Caller holds lg_shared->lock exclusively.
 */
static void
lg_apps_reserve_for_rules(void)
{
	HASH_SEQ_STATUS seq;
	LifeguardApp *app;
	int			unruled = 0;

	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
		app->first_rule = -1;
	lg_shared->star_first = -1;
	for (int i = 0; i < lg_shared->nrules; i++)
	{
		const char *name = lg_shared->rules[i].app;
		bool		found;

		if (i > 0 && strcmp(name, lg_shared->rules[i - 1].app) == 0)
			continue;			/* not its first rule */
		if (strcmp(name, "*") == 0)
		{
			lg_shared->star_first = i;
			continue;
		}
		app = hash_search(lg_apps, name, HASH_ENTER_NULL, &found);
		if (app == NULL)
			continue;			/* cannot happen: the room is reserved */
		if (!found)
		{
			memset((char *) app + NAMEDATALEN, 0, sizeof(LifeguardApp) - NAMEDATALEN);
			app->first_seen = GetCurrentTimestamp();
			app->last_active = app->first_seen;
		}
		app->first_rule = i;
	}
	hash_seq_init(&seq, lg_apps);
	while ((app = hash_seq_search(&seq)) != NULL)
		if (app->first_rule < 0)
			unruled++;
	lg_shared->napps_unruled = unruled;
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
 * from a commit callback.  Returns the new generation, or 0 when the
 * rules were already exactly these (see lg_install_rules_if).
 */
uint64
lg_install_rules(const LifeguardRule *rules, int nrules)
{
	return lg_install_rules_if(rules, nrules, 0);
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
 * set back.  Returns the generation the install made, or 0 when nothing
 * was installed: a newer install came first, or the rules in place are
 * already exactly these (then nobody needs to rewrite the rules file).
 */
uint64
lg_install_rules_if(const LifeguardRule *rules, int nrules, uint64 expected)
{
	uint64		done = 0;

	if (!lg_shared)
		return 0;
	if (nrules > lg_max_quotas)
		nrules = lg_max_quotas;

	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	if (lg_shared->rules_loaded && lg_shared->nrules == nrules &&
		(nrules == 0 ||
		 memcmp(lg_shared->rules, rules, sizeof(LifeguardRule) * nrules) == 0))
		done = 0;				/* unchanged */
	else if (expected == 0 || lg_shared->rules_generation == expected)
	{
		if (nrules > 0)
			memcpy(lg_shared->rules, rules, sizeof(LifeguardRule) * nrules);
		lg_shared->nrules = nrules;
		lg_shared->nreserving = 0;
		for (int i = 0; i < nrules; i++)
			if (lg_rule_reserves(&rules[i]) && strcmp(rules[i].app, "*") == 0)
				lg_shared->reserving[lg_shared->nreserving++] = i;
		lg_apps_reserve_for_rules();
		lg_rule_counts_rebuild_locked();
		lg_shared->rules_generation++;
		done = lg_shared->rules_generation;
	}
	lg_shared->rules_loaded = true;
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
 * Give back the place a backend's slot holds: its application's live
 * count and the total, with its session summed into the closed counters.
 * Used by the exit callback and to reclaim the slot of a backend that
 * vanished without running it.  Caller holds lg_shared->lock exclusively.
 */
void
lg_slot_release_locked(LifeguardSlot *slot, TimestampTz now)
{
	if (slot->pid == 0)
		return;
	lg_rule_counts_adjust_locked(slot, -1);
	if (slot->app)
	{
		LifeguardApp *app = slot->app;

		app->connections--;
		app->closed++;
		app->last_active = now;
		app->session_ms_closed += (now - slot->connected_at) / 1000;
		app->xacts_closed += pg_atomic_read_u64(&slot->xacts);
		app->xact_us_closed += pg_atomic_read_u64(&slot->xact_us);
	}
	lg_shared->total_connections--;
	lg_slot_clear(slot);
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
	slot->pooler = false;
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
	pg_atomic_write_u64(&slot->memory_bytes, 0);
	pg_atomic_write_u64(&slot->memory_initial, 0);
	pg_atomic_write_u64(&slot->memory_sampled_at, 0);
}

/*
 * Does the rule apply to this login?  '' role/db in a rule means any.
 */
bool
lg_rule_covers(const LifeguardRule *rule, const char *app, const char *role,
			   const char *db)
{
	if (strcmp(rule->app, "*") != 0 && strcmp(rule->app, app) != 0)
		return false;
	if (rule->role[0] != '\0' && strcmp(rule->role, role) != 0)
		return false;
	if (rule->db[0] != '\0' && strcmp(rule->db, db) != 0)
		return false;
	return true;
}

/*
 * Does a rule hold reserved places against other applications?
 */
bool
lg_rule_reserves(const LifeguardRule *rule)
{
	return rule->reserved > 0 && rule->mode != LG_MODE_OFF;
}

/*
 * A live slot entered (delta 1) or left (-1) the scope of the rules that
 * name its application: count it there, and keep unused_reserved the sum
 * of what reserving rules still hold.  The rules of one application are
 * adjacent in the sorted array and its entry knows where they start, so
 * this costs a handful of comparisons.  Slots counting under the overflow entry
 * are in no named rule's scope (a name a rule names always has its own
 * entry).
 * Caller holds lg_shared->lock exclusively.
 */
void
lg_rule_counts_adjust_locked(const LifeguardSlot *slot, int delta)
{
	const LifeguardRule *rules = lg_shared->rules;
	int			nrules = lg_shared->nrules;
	const char *app;

	if (slot->app == NULL || slot->app == &lg_shared->overflow)
		return;
	app = slot->app->name;
	if (slot->app->first_rule < 0)
		return;
	for (int i = slot->app->first_rule;
		 i < nrules && strcmp(rules[i].app, app) == 0; i++)
	{
		const LifeguardRule *r = &rules[i];
		bool		reserves = lg_rule_reserves(r);

		if (!lg_rule_covers(r, app, slot->rolname, slot->datname))
			continue;
		if (reserves)
			lg_shared->unused_reserved -= Max(r->reserved - lg_shared->rule_count[i], 0);
		lg_shared->rule_count[i] += delta;
		if (reserves)
			lg_shared->unused_reserved += Max(r->reserved - lg_shared->rule_count[i], 0);
	}
}

/*
 * Recount every named rule's scope from the live slots: when the rules
 * change.  Caller holds lg_shared->lock exclusively.
 */
void
lg_rule_counts_rebuild_locked(void)
{
	lg_shared->unused_reserved = 0;
	for (int i = 0; i < lg_shared->nrules; i++)
	{
		const LifeguardRule *r = &lg_shared->rules[i];

		lg_shared->rule_count[i] = 0;
		if (lg_rule_reserves(r) && strcmp(r->app, "*") != 0)
			lg_shared->unused_reserved += r->reserved;
	}
	for (int i = 0; i < lg_shared->nslots; i++)
	{
		if (lg_shared->slots[i].pid != 0)
			lg_rule_counts_adjust_locked(&lg_shared->slots[i], 1);
	}
}
