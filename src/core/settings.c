/*-------------------------------------------------------------------------
 *
 * settings.c
 *		Every lifeguard.* setting: its variable, its definition, its checks.
 *
 * Owns: the settings.  Must not: know what any subsystem does with them.
 *
 * src/core/settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "core/compat.h"
#include "core/settings.h"

static bool lg_check_name_list(char **newval, void **extra, GucSource source);
static void lg_assign_exempt_roles(const char *newval, void *extra);
static void lg_assign_pooler_roles(const char *newval, void *extra);
static void lg_assign_pooler_apps(const char *newval, void *extra);
static bool lg_name_in(const char *names, const char *name);

/*---- the variables ----*/
int			lg_max_applications = 256;
int			lg_max_quotas = 128;
char	   *lg_database = NULL;
int			lg_naptime_ms = 1000;
int			lg_quota_mode = LG_MODE_ENFORCE;
bool		lg_exempt_superusers = true;
char	   *lg_exempt_roles = NULL;
/* the lists above, parsed (see lg_check_name_list) */
static const char *lg_exempt_role_names = NULL;
static const char *lg_pooler_role_names = NULL;
static const char *lg_pooler_app_names = NULL;
double		lg_reclaim_threshold = 0.1;
int			lg_max_recycles_per_cycle = 10;
int			lg_max_age_ms = 0;
int			lg_idle_timeout_ms = 0;
int			lg_idle_xact_timeout_ms = 0;
bool		lg_recycle_superusers = false;
bool		lg_dry_run = false;
int			lg_recycle_min_idle_ms = 20;
int			lg_max_memory_kb = 0;
int			lg_memory_sample_interval_ms = 1000;
int			lg_recycle_at = LG_RECYCLE_AT_AUTO;
int			lg_event_ring_size = 1024;
int			lg_event_retention_s = 7 * 86400;
int			lg_history_ring_size = 4096;
int			lg_history_interval_ms = 60000;
int			lg_history_retention_s = 7 * 86400;
double		lg_alert_threshold = 0.8;
double		lg_alert_clear_threshold = 0.7;
double		lg_app_alert_threshold = 0.9;
char	   *lg_pooler_roles = NULL;
char	   *lg_pooler_application_names = NULL;
int			lg_max_pooler_clients = 256;
double		lg_pooler_alert_threshold = 0.8;
int			lg_pooler_alert_hold_ms = 60000;

bool		lg_preloaded = false;
uint64		lg_executor_starts = 0;

static const struct config_enum_entry recycle_at_options[] = {
	{"idle", LG_RECYCLE_AT_IDLE, false},
	{"transaction_end", LG_RECYCLE_AT_TRANSACTION_END, false},
	{"auto", LG_RECYCLE_AT_AUTO, false},
	{"statement_end", LG_RECYCLE_AT_STATEMENT_END, false},
	{NULL, 0, false}
};

static const struct config_enum_entry quota_mode_options[] = {
	{"off", LG_MODE_OFF, false},
	{"warn", LG_MODE_WARN, false},
	{"enforce", LG_MODE_ENFORCE, false},
	{NULL, 0, false}
};

/*
 * Define the connection-side settings; the advisor's are defined by
 * workload.c and index_advisor.c.  Called from _PG_init.
 */
void
lg_settings_define(void)
{
	DefineCustomIntVariable("lifeguard.max_applications",
							"Sets the maximum number of applications tracked.",
							"Applications beyond it are counted together under one overflow entry.",
							&lg_max_applications,
							256, 16, 65536,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.max_quotas",
							"Sets the maximum number of quota rules enforced.",
							NULL,
							&lg_max_quotas,
							128, 1, 10000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("lifeguard.database",
							   "Sets the database the background worker connects to and whose lifeguard.quotas is enforced.",
							   NULL,
							   &lg_database,
							   "postgres",
							   PGC_POSTMASTER, 0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.naptime",
							"Sets the time between the background worker's cycles.",
							NULL,
							&lg_naptime_ms,
							1000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("lifeguard.quota_mode",
							 "Overrides the mode of every quota rule.",
							 "enforce applies each rule's own mode; warn admits what enforce would refuse and logs it; off only counts.",
							 &lg_quota_mode,
							 LG_MODE_ENFORCE,
							 quota_mode_options,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("lifeguard.exempt_superusers",
							 "Exempts superuser logins from quota limits.",
							 "Exempt logins are still counted.",
							 &lg_exempt_superusers,
							 true,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("lifeguard.exempt_roles",
							   "Sets a comma-separated list of roles exempt from quota limits.",
							   "Exempt logins are still counted.",
							   &lg_exempt_roles,
							   "",
							   PGC_SIGHUP, GUC_LIST_INPUT,
							   lg_check_name_list, lg_assign_exempt_roles, NULL);

	DefineCustomRealVariable("lifeguard.reclaim_threshold",
							 "Sets the fraction of usable connections below which free slots make the worker reclaim idle backends.",
							 "Only backends of applications above their soft limit are reclaimed, longest idle first. Zero turns reclaiming off.",
							 &lg_reclaim_threshold,
							 0.1, 0.0, 1.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.max_recycles_per_cycle",
							"Sets the maximum number of backends the worker retires per cycle.",
							NULL,
							&lg_max_recycles_per_cycle,
							10, 0, 10000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.max_age",
							"Sets the age after which an idle connection is recycled.",
							"Quota rules with max_age override it. Zero turns it off.",
							&lg_max_age_ms,
							0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.idle_timeout",
							"Sets the idle time after which a connection is recycled.",
							"Quota rules with idle_timeout override it. Zero turns it off.",
							&lg_idle_timeout_ms,
							0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.idle_in_transaction_timeout",
							"Sets the time idle in a transaction after which a connection is recycled.",
							"Quota rules with idle_in_transaction_timeout override it. Zero turns it off.",
							&lg_idle_xact_timeout_ms,
							0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.max_memory",
							"Sets the private memory above which an idle connection is recycled.",
							"Quota rules with max_memory override it. Zero turns it off.",
							&lg_max_memory_kb,
							0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.memory_sample_interval",
							"Sets how often a backend publishes its private memory, at most.",
							"The sample is taken between statements, when the backend waits for its client. Zero turns sampling off.",
							&lg_memory_sample_interval_ms,
							1000, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("lifeguard.recycle_superusers",
							 "Allows the worker to recycle superusers' connections.",
							 NULL,
							 &lg_recycle_superusers,
							 false,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("lifeguard.dry_run",
							 "Makes the worker only log and record the connections it would recycle or reclaim.",
							 NULL,
							 &lg_dry_run,
							 false,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.recycle_min_idle",
							"Sets how long a backend must have been idle before it is recycled or reclaimed.",
							"A backend that just answered a statement (a pool's pre-ping) is likely to receive the next one at once.",
							&lg_recycle_min_idle_ms,
							20, 0, 60000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("lifeguard.recycle_at",
							 "Sets where a connection past max_age may be ended.",
							 "idle: only once it has been idle for lifeguard.recycle_min_idle; "
							 "transaction_end: also right after it answered the end of a transaction block; "
							 "auto: idle first, the end of a transaction block once it is overdue by a worker cycle; "
							 "statement_end: also right after it answered any statement that left no transaction open, for clients without a pre-ping.",
							 &lg_recycle_at,
							 LG_RECYCLE_AT_AUTO, recycle_at_options,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.event_ring_size",
							"Sets the number of events kept in shared memory.",
							NULL,
							&lg_event_ring_size,
							1024, 16, 1000000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.event_retention",
							"Sets how long persisted events are kept.",
							NULL,
							&lg_event_retention_s,
							7 * 86400, 60, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.history_ring_size",
							"Sets the number of history samples kept in shared memory.",
							NULL,
							&lg_history_ring_size,
							4096, 16, 1000000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.history_interval",
							"Sets the time between history samples.",
							NULL,
							&lg_history_interval_ms,
							60000, 100, 86400 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.history_retention",
							"Sets how long persisted history samples are kept.",
							NULL,
							&lg_history_retention_s,
							7 * 86400, 60, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomRealVariable("lifeguard.alert_threshold",
							 "Sets the server utilization (used / usable connections) at which an alert is raised.",
							 NULL,
							 &lg_alert_threshold,
							 0.8, 0.0, 1.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomRealVariable("lifeguard.alert_clear_threshold",
							 "Sets the utilization below which a raised alert is cleared.",
							 "Also applies to application alerts, as a fraction of the hard limit.",
							 &lg_alert_clear_threshold,
							 0.7, 0.0, 1.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomRealVariable("lifeguard.application_alert_threshold",
							 "Sets the fraction of its hard limit at which an application alert is raised.",
							 NULL,
							 &lg_app_alert_threshold,
							 0.9, 0.0, 1.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("lifeguard.pooler_roles",
							   "Sets a comma-separated list of roles whose connections belong to a connection pooler.",
							   "A backend of such a role is also accounted to the client application that currently uses it, by its current application_name.",
							   &lg_pooler_roles,
							   "",
							   PGC_SIGHUP, GUC_LIST_INPUT,
							   lg_check_name_list, lg_assign_pooler_roles, NULL);

	DefineCustomStringVariable("lifeguard.pooler_application_names",
							   "Sets a comma-separated list of connect-time application names whose connections belong to a connection pooler.",
							   "A backend that connected under such a name is also accounted to the client application that currently uses it, by its current application_name.",
							   &lg_pooler_application_names,
							   "",
							   PGC_SIGHUP, GUC_LIST_INPUT,
							   lg_check_name_list, lg_assign_pooler_apps, NULL);

	DefineCustomIntVariable("lifeguard.max_pooler_clients",
							"Sets the maximum number of (pooler pool, client application) pairs whose usage is accumulated.",
							"Transactions of pairs beyond it are counted as untracked.",
							&lg_max_pooler_clients,
							256, 16, 65536,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomRealVariable("lifeguard.pooler_alert_threshold",
							 "Sets the share of a pooler pool's server connections that one client application must keep busy to raise an alert.",
							 "Zero turns pooler alerts off.",
							 &lg_pooler_alert_threshold,
							 0.8, 0.0, 1.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.pooler_alert_hold",
							"Sets how long a client application's mean share must stay at the pooler alert threshold before an alert is raised.",
							"The share is averaged over windows of this length; a window below the threshold clears the alert.",
							&lg_pooler_alert_hold_ms,
							60000, 100, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
}

/*
 * lifeguard.exempt_roles, lifeguard.pooler_roles and
 * lifeguard.pooler_application_names must parse as lists of identifiers.
 * The names are kept parsed (the hook's "extra": one block of
 * NUL-terminated names ending with an empty one), so that a login
 * compares, never parses.
 */
static bool
lg_check_name_list(char **newval, void **extra, GucSource source)
{
	char	   *raw = pstrdup(*newval);
	List	   *names;
	ListCell   *lc;
	Size		len = 1;
	char	   *block;
	char	   *p;

	if (!SplitIdentifierString(raw, ',', &names))
	{
		GUC_check_errdetail("List syntax is invalid.");
		list_free(names);
		pfree(raw);
		return false;
	}
	foreach(lc, names)
		len += strlen((char *) lfirst(lc)) + 1;
	block = lg_guc_malloc(len);
	if (block == NULL)
	{
		list_free(names);
		pfree(raw);
		return false;
	}
	p = block;
	foreach(lc, names)
	{
		strcpy(p, (char *) lfirst(lc));
		p += strlen(p) + 1;
	}
	*p = '\0';
	*extra = block;
	list_free(names);
	pfree(raw);
	return true;
}

/*
 * An empty list is kept as NULL: every login asks the three lists, and
 * with nothing to read it touches none of the memory they are kept in (a
 * page a new backend touches costs it a fault).
 */
static const char *
lg_name_list_or_null(void *extra)
{
	const char *names = extra;

	return (names != NULL && names[0] != '\0') ? names : NULL;
}

static void
lg_assign_exempt_roles(const char *newval, void *extra)
{
	lg_exempt_role_names = lg_name_list_or_null(extra);
}

static void
lg_assign_pooler_roles(const char *newval, void *extra)
{
	lg_pooler_role_names = lg_name_list_or_null(extra);
}

static void
lg_assign_pooler_apps(const char *newval, void *extra)
{
	lg_pooler_app_names = lg_name_list_or_null(extra);
}

/*
 * Is "name" one of a parsed list's names?
 */
static bool
lg_name_in(const char *names, const char *name)
{
	for (const char *p = names; p != NULL && *p != '\0'; p += strlen(p) + 1)
	{
		if (strcmp(p, name) == 0)
			return true;
	}
	return false;
}

/* Is the role listed in lifeguard.exempt_roles? */
bool
lg_role_exempt(const char *rolname)
{
	return lg_name_in(lg_exempt_role_names, rolname);
}

/* Is the role listed in lifeguard.pooler_roles? */
bool
lg_pooler_role_listed(const char *rolname)
{
	return lg_name_in(lg_pooler_role_names, rolname);
}

/* Is the connect-time name listed in lifeguard.pooler_application_names? */
bool
lg_pooler_app_listed(const char *app)
{
	return lg_name_in(lg_pooler_app_names, app);
}
