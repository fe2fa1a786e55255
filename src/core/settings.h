/*-------------------------------------------------------------------------
 *
 * settings.h
 *		The lifeguard.* settings shared by the files of pg_lifeguard.
 *
 * src/core/settings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_SETTINGS_H
#define PG_LIFEGUARD_SETTINGS_H

#include "core/compat.h"

/* Quota modes, in increasing strength (the effective mode is the minimum). */
typedef enum LifeguardMode
{
	LG_MODE_OFF = 0,
	LG_MODE_WARN = 1,
	LG_MODE_ENFORCE = 2
} LifeguardMode;

extern void lg_settings_define(void);

/* lifeguard.* settings, defined in settings.c */
extern int	lg_max_applications;
extern int	lg_max_quotas;
extern char *lg_database;
extern int	lg_naptime_ms;
extern int	lg_quota_mode;
extern bool lg_exempt_superusers;
extern char *lg_exempt_roles;
extern pg_attribute_hot bool lg_role_exempt(const char *rolname);
extern pg_attribute_hot bool lg_pooler_role_listed(const char *rolname);
extern bool lg_pooler_app_listed(const char *app);
extern double lg_reclaim_threshold;
extern int	lg_max_recycles_per_cycle;
extern int	lg_max_age_ms;
extern int	lg_idle_timeout_ms;
extern int	lg_idle_xact_timeout_ms;
extern bool lg_recycle_superusers;
extern bool lg_dry_run;
extern int	lg_recycle_min_idle_ms;
extern int	lg_max_memory_kb;
extern int	lg_memory_sample_interval_ms;
extern int	lg_event_ring_size;
extern int	lg_event_retention_s;
extern int	lg_history_ring_size;
extern int	lg_history_interval_ms;
extern int	lg_history_retention_s;
extern double lg_alert_threshold;
extern double lg_alert_clear_threshold;
extern double lg_app_alert_threshold;
extern char *lg_pooler_roles;
extern char *lg_pooler_application_names;
extern int	lg_max_pooler_clients;
extern double lg_pooler_alert_threshold;
extern int	lg_pooler_alert_hold_ms;

/* lifeguard.recycle_at: where a connection past max_age may be ended */
typedef enum LgRecycleAt
{
	LG_RECYCLE_AT_IDLE,			/* only once idle for recycle_min_idle */
	LG_RECYCLE_AT_TRANSACTION_END,	/* also right after a unit of work */
	LG_RECYCLE_AT_AUTO,			/* idle first, unit end after a cycle */
	LG_RECYCLE_AT_STATEMENT_END	/* also right after any statement outside
								 * a transaction block */
} LgRecycleAt;
extern int	lg_recycle_at;

/*
 * An application's identity, as every subsystem keys it: the first
 * NAMEDATALEN-1 bytes of the name the client sent, NUL padded (what
 * pg_stat_activity keeps of it), '' for NULL.  The server has already
 * replaced bytes outside printable ASCII, so the cut never splits a
 * character.
 */
static inline void
lg_app_name_key(const char *raw, char *key)
{
	memset(key, 0, NAMEDATALEN);
	if (raw)
		strlcpy(key, raw, NAMEDATALEN);
}

/* true once _PG_init ran from shared_preload_libraries */
extern bool lg_preloaded;

/*
 * Executor starts in this process, counted by the advisor's ExecutorStart
 * hook, which is installed at load so that every executor start passes
 * through it.  Recycling compares the count from one transaction end to
 * the next to tell whether a statement ran the executor, without a hook
 * of its own in every statement's path.  Not exported from the library,
 * so that each statement's increment is a direct access.
 */
#ifdef __GNUC__
extern uint64 lg_executor_starts __attribute__((visibility("hidden")));
#else
extern uint64 lg_executor_starts;
#endif

/* Name of the role that may manage quotas. */
#define LG_ADMIN_ROLE "lifeguard_admin"

#endif							/* PG_LIFEGUARD_SETTINGS_H */
