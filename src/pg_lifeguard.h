/*-------------------------------------------------------------------------
 *
 * pg_lifeguard.h
 *		Settings shared by the files of pg_lifeguard.
 *
 * src/pg_lifeguard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_H
#define PG_LIFEGUARD_H

/* lifeguard.* settings, defined in pg_lifeguard.c */
extern int	lg_max_applications;
extern int	lg_max_quotas;
extern char *lg_database;
extern int	lg_naptime_ms;
extern int	lg_quota_mode;
extern bool lg_exempt_superusers;
extern char *lg_exempt_roles;
extern double lg_reclaim_threshold;
extern int	lg_max_recycles_per_cycle;

/* true once _PG_init ran from shared_preload_libraries */
extern bool lg_preloaded;

/* Name of the role that may manage quotas. */
#define LG_ADMIN_ROLE "lifeguard_admin"

#endif							/* PG_LIFEGUARD_H */
