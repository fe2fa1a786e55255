/*-------------------------------------------------------------------------
 *
 * admission.c
 *		ClientAuthentication_hook: count every client login under its
 *		application, refuse it at the hard limit or when the remaining
 *		slots are reserved, warn above the soft limit.
 *
 * The hook runs in the new backend once authentication succeeded, before
 * the role's and database's own limits are checked, so a login counted
 * here may still be refused later: the slot is released by an exit
 * callback, which every path out of the backend runs.
 *
 * A login reads top to bottom in lg_client_auth:
 *
 *	1. lg_login_identify: the application name the session starts with
 *	   (the startup packet's application_name, else one given in its
 *	   options), the role, the database, exemptions;
 *	2. the exit callback is registered before anything is claimed, so no
 *	   error after the claim can leak a slot;
 *	3. under one exclusive hold of lg_shared->lock: lg_app_lookup finds
 *	   the entry the login counts under, lg_admit_locked decides (hard
 *	   limit of the most specific rule, reserved headroom of others), and
 *	   lg_claim_locked or lg_refuse_locked counts it;
 *	4. lg_report_admission raises the FATAL, WARNING or LOG, only after
 *	   the lock is released.
 *
 * A WARNING raised while authentication is in progress never reaches the
 * client (elog.c sends only ERROR and above then), so the soft-limit
 * warning is raised from a transaction callback at the commit that ends
 * backend start-up, when ClientAuthInProgress is false again.
 *
 * Owns: the connect path.  Must not: read a table, or call ereport
 * while holding lg_shared->lock.
 *
 * src/pool/admission.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "libpq/auth.h"
#include "libpq/libpq.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "replication/walsender.h"
#include "storage/ipc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "core/compat.h"
#include "core/settings.h"
#include "pool/admission.h"
#include "pool/events.h"
#include "pool/memory.h"
#include "pool/pooler.h"
#include "pool/quota.h"
#include "pool/recycle.h"
#include "pool/shmem.h"

/* Saved hook value in case of unload */
static ClientAuthentication_hook_type prev_client_auth_hook = NULL;

/* What the hook decided, for messages raised after releasing the lock. */
typedef enum AdmitDecision
{
	ADMIT,
	REJECT_HARD,
	REJECT_RESERVED
} AdmitDecision;

typedef struct AdmitResult
{
	AdmitDecision decision;
	bool		would_reject;	/* refused but for mode = warn */
	bool		soft_warning;
	bool		overflowed;
	int32		count;			/* connections in the rule's scope */
	int32		soft_limit;
	int32		hard_limit;
	int32		free_slots;
	int32		reserved_for_others;
} AdmitResult;

/* Who is logging in (lg_login_identify). */
typedef struct LoginIdentity
{
	char		app[NAMEDATALEN];	/* application hash key */
	const char *role;
	const char *db;
	Oid			roleid;
	bool		superuser;
	bool		exempt;			/* exempt from limits (still counted) */
	bool		pooler;			/* a pooler's server connection */
} LoginIdentity;

static bool xact_callback_registered = false;

/*
 * This backend's slot while it holds it (from the claim to the exit
 * callback's release), for the transaction callback: NULL otherwise; and
 * whether it is a pooler's server connection (lg_pooler_login).
 */
static LifeguardSlot *counted_slot = NULL;
static bool counted_pooler = false;

/* Soft-limit warning waiting for the end of start-up. */
static bool soft_warning_pending = false;
static AdmitResult soft_warning;
static char soft_warning_app[NAMEDATALEN];

static pg_attribute_hot void lg_client_auth(Port *port, int status);
static pg_attribute_hot void lg_backend_exit(int code, Datum arg);
static void lg_startup_xact_callback(XactEvent event, void *arg);
static pg_attribute_hot void lg_backend_xact_callback(XactEvent event, void *arg);
static pg_attribute_hot int32 lg_count_in_scope(const LifeguardRule *rule, const LifeguardApp *entry);
static pg_attribute_hot void lg_admit_locked(const LifeguardApp *entry, const LoginIdentity *id,
											 AdmitResult *res);
static pg_attribute_hot void lg_login_app_name(Port *port, char *key);
static pg_attribute_hot void lg_login_identify(Port *port, LoginIdentity *id);
static pg_attribute_hot void lg_claim_locked(LifeguardSlot *slot, LifeguardApp *entry,
											 const LoginIdentity *id, const AdmitResult *res,
											 TimestampTz now);
static pg_attribute_hot void lg_refuse_locked(LifeguardApp *entry, const LoginIdentity *id,
											  const AdmitResult *res);
static pg_attribute_hot void lg_report_admission(const LoginIdentity *id, const AdmitResult *res);

/*
 * Install the hook.  Called from _PG_init.
 */
void
lg_admission_init(void)
{
	prev_client_auth_hook = ClientAuthentication_hook;
	ClientAuthentication_hook = lg_client_auth;
}

/*
 * Live connections the rule governs for one application entry: all of
 * its connections when the rule names no role or database, otherwise
 * those whose role and database match.  For a '*' rule the scope is still
 * the one entry: the default applies to each application separately (and
 * to the overflow entry as if it were one application).
 *
 * A rule that names an application has its count kept up to date (see
 * lg_rule_counts_adjust_locked); only a '*' rule limited to a role or a
 * database is counted here, over the slots.
 *
 * Caller must hold lg_shared->lock.
 */
static int32
lg_count_in_scope(const LifeguardRule *rule, const LifeguardApp *entry)
{
	int32		n = 0;

	if (entry == NULL)
		return 0;
	if (rule->role[0] == '\0' && rule->db[0] == '\0')
		return entry->connections;
	if (strcmp(rule->app, "*") != 0)
		return lg_shared->rule_count[rule - lg_shared->rules];

	for (int i = 0; i < lg_shared->nslots; i++)
	{
		LifeguardSlot *s = &lg_shared->slots[i];

		if (s->pid != 0 && s->app == entry &&
			lg_rule_covers(rule, rule->app, s->rolname, s->datname))
			n++;
	}
	return n;
}

/*
 * Decide about one login: the hard limit of the rule that governs it, and
 * the reserved headroom of the other applications.  The rule is matched
 * on the name the client sent; its count on the entry the login counts
 * under (the overflow entry when the table is full).
 *
 * Caller must hold lg_shared->lock exclusively; nothing here may throw.
 */
static void
lg_admit_locked(const LifeguardApp *entry, const LoginIdentity *id,
				AdmitResult *res)
{
	int			ruleidx;
	int			usable = lg_usable_connections();

	memset(res, 0, sizeof(*res));
	res->decision = ADMIT;

	ruleidx = lg_rule_match(entry, id->role, id->db);
	if (ruleidx >= 0 && !id->exempt)
	{
		const LifeguardRule *rule = &lg_shared->rules[ruleidx];
		int			mode = lg_effective_mode(rule);

		res->count = lg_count_in_scope(rule, entry);
		res->soft_limit = rule->soft_limit;
		res->hard_limit = rule->hard_limit;
		if (mode != LG_MODE_OFF)
		{
			if (res->count >= rule->hard_limit)
			{
				if (mode == LG_MODE_ENFORCE)
					res->decision = REJECT_HARD;
				else
					res->would_reject = true;
			}
			else if (res->count + 1 > rule->soft_limit)
				res->soft_warning = true;
		}
	}

	/*
	 * Reserved headroom of the other applications: what the reserving
	 * rules still hold (kept up to date), less what the rules of this
	 * login's own application hold for it, plus the '*' rules'.
	 */
	if (res->decision == ADMIT && !id->exempt && lg_quota_mode != LG_MODE_OFF)
	{
		int64		unused = lg_shared->unused_reserved;
		const LifeguardRule *rules = lg_shared->rules;
		int			nrules = lg_shared->nrules;

		if (entry->first_rule >= 0)
		{
			for (int i = entry->first_rule;
				 i < nrules && strcmp(rules[i].app, id->app) == 0; i++)
			{
				if (lg_rule_reserves(&rules[i]) &&
					lg_rule_covers(&rules[i], id->app, id->role, id->db))
					unused -= Max(rules[i].reserved - lg_shared->rule_count[i], 0);
			}
		}
		for (int i = 0; i < lg_shared->nreserving; i++)
		{
			const LifeguardRule *r = &lg_shared->rules[lg_shared->reserving[i]];

			if (lg_rule_covers(r, id->app, id->role, id->db))
				continue;
			unused += Max(r->reserved -
						  lg_count_in_scope(r, lg_app_lookup(r->app, false, NULL)), 0);
		}
		res->free_slots = usable - lg_shared->total_connections;
		res->reserved_for_others = unused;
		if (unused > 0 && res->free_slots - 1 < unused)
		{
			if (lg_quota_mode == LG_MODE_ENFORCE)
				res->decision = REJECT_RESERVED;
			else
				res->would_reject = true;
		}
	}
}

/*
 * The name a session starts with, as PostgreSQL will apply it: the
 * application_name key of the startup packet if there is one, else the
 * last "-c application_name=..." or "--application_name=..." in the
 * startup packet's options (libpq's options and PGOPTIONS), else ''.
 * (The startup key wins because PostgreSQL applies the options first and
 * the keys after them.)  Bytes outside printable ASCII are cleaned as the
 * server cleans them.  The result is a hash key: see lg_app_name_key.
 */
static void
lg_login_app_name(Port *port, char *key)
{
	const char *found = NULL;

	if (port->application_name == NULL && port->cmdline_options != NULL)
	{
		int			maxac = 2 + (strlen(port->cmdline_options) + 1) / 2;
		char	  **av = palloc(maxac * sizeof(char *));
		int			ac = 0;

		pg_split_opts(av, &ac, port->cmdline_options);
		for (int i = 0; i < ac; i++)
		{
			const char *opt = av[i];
			const char *setting = NULL;

			if (strcmp(opt, "-c") == 0 && i + 1 < ac)
				setting = av[++i];
			else if (strncmp(opt, "-c", 2) == 0)
				setting = opt + 2;
			else if (strncmp(opt, "--", 2) == 0)
				setting = opt + 2;
			if (setting == NULL)
				continue;
			/* option names are case-insensitive, '-' stands for '_' */
			if (pg_strncasecmp(setting, "application_name=", 17) == 0 ||
				pg_strncasecmp(setting, "application-name=", 17) == 0)
				found = setting + 17;
		}
	}
	else if (port->application_name != NULL)
		found = port->application_name;

	lg_app_name_key(found && port->application_name == NULL ?
					lg_clean_ascii(found) : found, key);
}

/*
 * Who is logging in: the application, role and database names, and
 * whether limits apply to the role.  Only shared catalogs are read.
 */
static void
lg_login_identify(Port *port, LoginIdentity *id)
{
	lg_login_app_name(port, id->app);
	id->role = port->user_name ? port->user_name : "";
	id->db = port->database_name ? port->database_name : "";
	id->roleid = get_role_oid(id->role, true);
	id->superuser = OidIsValid(id->roleid) && superuser_arg(id->roleid);
	id->exempt = (id->superuser && lg_exempt_superusers) || lg_role_exempt(id->role);
	id->pooler = lg_pooler_login(id->app, id->role, id->db);
}

/*
 * Count an admitted login in its slot and application, with the events
 * its admission raised.  Caller holds lg_shared->lock exclusively.
 */
static void
lg_claim_locked(LifeguardSlot *slot, LifeguardApp *entry,
				const LoginIdentity *id, const AdmitResult *res, TimestampTz now)
{
	/* a slot still held by a process that is gone: give its place back */
	if (slot->pid != 0)
		lg_slot_release_locked(slot, now);
	else
		lg_slot_clear(slot);

	slot->pid = MyProcPid;
	slot->roleid = id->roleid;
	slot->superuser = id->superuser;
	slot->exempt = id->exempt;
	slot->pooler = id->pooler;
	slot->connected_at = now;
	slot->app = entry;
	slot->be = MyBEEntry;
	strlcpy(slot->rolname, id->role, NAMEDATALEN);
	strlcpy(slot->datname, id->db, NAMEDATALEN);
	lg_rule_counts_adjust_locked(slot, 1);

	lg_app_seen_locked(entry);
	entry->opened++;
	entry->connections++;
	entry->last_active = now;
	if (entry->connections > entry->peak)
	{
		entry->peak = entry->connections;
		entry->peak_at = now;
	}
	if (res->soft_warning)
	{
		entry->soft_warnings++;
		lg_event_add_locked(LG_EV_SOFT_WARNING, entry->name, MyProcPid, id->role, id->db,
							"\"connections\": %d, \"soft_limit\": %d, \"hard_limit\": %d",
							res->count + 1, res->soft_limit, res->hard_limit);
	}
	if (res->would_reject)
	{
		entry->would_reject++;
		lg_event_add_locked(LG_EV_WOULD_REJECT, entry->name, MyProcPid, id->role, id->db,
							"\"connections\": %d, \"hard_limit\": %d",
							res->count + 1, res->hard_limit);
	}
	lg_shared->total_connections++;
}

/*
 * Count a refused login.  Caller holds lg_shared->lock exclusively.
 */
static void
lg_refuse_locked(LifeguardApp *entry, const LoginIdentity *id,
				 const AdmitResult *res)
{
	lg_app_seen_locked(entry);
	entry->rejected++;
	lg_shared->total_rejected++;
	if (res->decision == REJECT_HARD)
		lg_event_add_locked(LG_EV_REJECTED, entry->name, MyProcPid, id->role, id->db,
							"\"reason\": \"hard_limit\", \"connections\": %d, \"hard_limit\": %d",
							res->count, res->hard_limit);
	else
		lg_event_add_locked(LG_EV_REJECTED, entry->name, MyProcPid, id->role, id->db,
							"\"reason\": \"reserved\", \"free\": %d, \"reserved_for_others\": %d",
							res->free_slots, res->reserved_for_others);
}

/*
 * Tell the log and the client what admission decided; a refusal ends the
 * backend here.  Runs after the lock is released.
 */
static void
lg_report_admission(const LoginIdentity *id, const AdmitResult *res)
{
	const char *app = id->app;

	if (res->overflowed)
	{
		ereport(WARNING,
				(errmsg("pg_lifeguard application table is full, counting new applications under the overflow entry"),
				 errdetail("lifeguard.max_applications is %d and every entry holds connections; application \"%s\" and later new names share one entry, which the '*' rule limits as one application.",
						   lg_max_applications, app),
				 errhint("Raise lifeguard.max_applications, or call lifeguard.reset_stats() to forget applications with no connections.")));
	}

	if (res->decision == REJECT_HARD)
		ereport(FATAL,
				(errcode(ERRCODE_TOO_MANY_CONNECTIONS),
				 errmsg("too many connections for application \"%s\"", app),
				 errdetail("Application \"%s\" already holds %d connections and its hard limit is %d.",
						   app, res->count, res->hard_limit),
				 errhint("Size the client pool to at most %d connections (SQLAlchemy pool_size + max_overflow, asyncpg max_size, psycopg_pool max_size), or raise the limit with lifeguard.set_quota().",
						 res->hard_limit)));
	if (res->decision == REJECT_RESERVED)
		ereport(FATAL,
				(errcode(ERRCODE_TOO_MANY_CONNECTIONS),
				 errmsg("remaining connection slots are reserved for other applications"),
				 errdetail("%d usable connection slots are free and %d of them are reserved for applications with a reservation in lifeguard.quotas.",
						   res->free_slots, res->reserved_for_others),
				 errhint("Close idle connections of application \"%s\", or lower other applications' reservations.", app)));

	if (res->would_reject)
		ereport(LOG,
				(errmsg("application \"%s\" exceeded its connection quota, admitted because the quota is in warn mode", app),
				 errdetail("It holds %d connections; the hard limit is %d and %d of %d usable slots are free with %d reserved for others.",
						   res->count + 1, res->hard_limit, res->free_slots,
						   lg_usable_connections(), res->reserved_for_others)));

	if (res->soft_warning)
	{
		static bool registered = false;

		soft_warning = *res;
		strlcpy(soft_warning_app, app, NAMEDATALEN);
		soft_warning_pending = true;
		if (!registered)
		{
			RegisterXactCallback(lg_startup_xact_callback, NULL);
			registered = true;
		}
	}
}

/*
 * The hook: identify the login, decide, claim or refuse, report.  See the
 * file header.
 */
static void
lg_client_auth(Port *port, int status)
{
	LoginIdentity id;
	LifeguardSlot *slot;
	LifeguardApp *entry;
	AdmitResult res;
	TimestampTz now;
	bool		overflowed;

	if (prev_client_auth_hook)
		prev_client_auth_hook(port, status);

	/* Only successful logins of client backends count. */
	if (status != STATUS_OK || lg_shared == NULL || am_walsender ||
		MyBackendType != B_BACKEND)
		return;
	slot = lg_my_slot();
	if (slot == NULL)
		return;

	lg_login_identify(port, &id);

	/*
	 * Everything that can fail comes before the claim, and the exit
	 * callback is in place before it: whatever happens after, the slot is
	 * given back.
	 */
	before_shmem_exit(lg_backend_exit, (Datum) 0);
	lg_recycle_backend_init();
	if (!xact_callback_registered)
	{
		RegisterXactCallback(lg_backend_xact_callback, NULL);
		xact_callback_registered = true;
	}
	now = GetCurrentTimestamp();

	/* no page fault under the lock: see lg_login_prefault */
	lg_login_prefault(slot);
	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	entry = lg_app_lookup_for_slot(slot, id.app, &overflowed);
	lg_admit_locked(entry, &id, &res);
	res.overflowed = overflowed;
	if (overflowed)
	{
		lg_event_add_locked(LG_EV_APP_TABLE_FULL, NULL, MyProcPid, id.role, id.db,
							"\"max_applications\": %d", lg_max_applications);
	}
	if (res.decision != ADMIT)
		lg_refuse_locked(entry, &id, &res);
	else
	{
		lg_claim_locked(slot, entry, &id, &res, now);
		counted_slot = slot;
		counted_pooler = id.pooler;
	}
	LWLockRelease(lg_shared->lock);

	lg_report_admission(&id, &res);
}

/*
 * Raise the soft-limit warning once authentication is over, at the commit
 * that ends InitPostgres, so that the client receives it.  The callback
 * stays registered but does nothing afterwards.
 */
static void
lg_startup_xact_callback(XactEvent event, void *arg)
{
	if (!soft_warning_pending || ClientAuthInProgress ||
		event != XACT_EVENT_PRE_COMMIT)
		return;
	soft_warning_pending = false;
	ereport(WARNING,
			(errcode(ERRCODE_TOO_MANY_CONNECTIONS),
			 errmsg("application \"%s\" is above its soft connection limit", soft_warning_app),
			 errdetail("It now holds %d connections; its soft limit is %d and its hard limit is %d.",
					   soft_warning.count + 1, soft_warning.soft_limit,
					   soft_warning.hard_limit),
			 errhint("The client pool is using its overflow; if this is its steady state, raise pool_size or the soft limit.")));
}

/*
 * The counted backend's one transaction callback: count its transactions
 * and their time, for the Little's-law view of pool sizing, then let
 * recycling see the event.  One callback rather than one per subsystem:
 * it runs at every transaction event of the backend.
 */
static void
lg_backend_xact_callback(XactEvent event, void *arg)
{
	LifeguardSlot *slot = counted_slot;

	/*
	 * Not the empty transaction a read point runs while the backend waits
	 * for its client (catch-up, for recycling and memory sampling): no
	 * client work.  Only the backend writes its own counters.
	 */
	if ((event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT) &&
		slot != NULL && !pq_is_reading_msg())
	{
		TimestampTz now = GetCurrentTimestamp();
		int64		busy_us = Max(now - GetCurrentTransactionStartTimestamp(), 0);

		pg_atomic_write_u64(&slot->xacts, pg_atomic_read_u64(&slot->xacts) + 1);
		pg_atomic_write_u64(&slot->xact_us, pg_atomic_read_u64(&slot->xact_us) + busy_us);
		/* a pooler's server connection: also per client (pooler.c) */
		if (counted_pooler)
			lg_pooler_count_xact(busy_us, now);
	}
	lg_recycle_xact_event(event);
}

/*
 * Exit callback: give the slot back, counting a recycle it accepted.
 */
static void
lg_backend_exit(int code, Datum arg)
{
	LifeguardSlot *slot = lg_my_slot();

	if (slot == NULL || lg_shared == NULL)
		return;

	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	counted_slot = NULL;
	if (slot->pid == MyProcPid)
	{
		int			kind = lg_recycle_exit_kind();
		TimestampTz now = GetCurrentTimestamp();

		if (slot->app && kind != LG_EV_NONE)
		{
			LifeguardApp *app = slot->app;

			if (kind == LG_EV_RECLAIMED)
				app->reclaimed++;
			else
				app->recycled++;
			if (kind == LG_EV_RECYCLED_MEMORY)
			{
				/* the limit as it stands now: the rules may have changed */
				int			r = lg_rule_match(app, slot->rolname, slot->datname);
				LgRecycleLimits lim;

				lg_recycle_limits(r >= 0 ? &lg_shared->rules[r] : NULL, &lim);
				lg_event_add_locked(kind, app->name, MyProcPid, slot->rolname, slot->datname,
									"\"connection_age_s\": %.1f, \"deferred\": %u, "
									"\"memory_bytes\": " INT64_FORMAT ", \"max_memory\": " INT64_FORMAT,
									(double) (now - slot->connected_at) / 1000000.0,
									slot->recycle_deferred, lg_slot_memory(slot),
									lim.max_memory_bytes);
			}
			else
				lg_event_add_locked(kind, app->name, MyProcPid, slot->rolname, slot->datname,
									"\"connection_age_s\": %.1f, \"deferred\": %u",
									(double) (now - slot->connected_at) / 1000000.0,
									slot->recycle_deferred);
		}
		lg_slot_release_locked(slot, now);
	}
	LWLockRelease(lg_shared->lock);
}
