/*-------------------------------------------------------------------------
 *
 * quota.h
 *		Quota rules: matching, loading from lifeguard.quotas, and keeping
 *		shared memory in step with committed changes.
 *
 * src/pool/quota.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_QUOTA_H
#define PG_LIFEGUARD_QUOTA_H

#include "pool/shmem.h"

extern int	lg_rule_cmp(const void *a, const void *b);
extern pg_attribute_hot int	lg_rule_match(const LifeguardApp *app, const char *role,
										  const char *db);
extern pg_attribute_hot int	lg_effective_mode(const LifeguardRule *rule);
extern pg_attribute_hot int	lg_usable_connections(void);
extern int	lg_rules_read_table(LifeguardRule **rules);
extern void lg_rules_file_load(void);
extern void lg_rules_file_write(const LifeguardRule *rules, int nrules,
								uint64 generation);

/* Quota time limits are at most 100 years (in ms; validated in SQL too). */
#define LG_MAX_TIME_LIMIT_MS	INT64CONST(3155760000000)
extern bool lg_in_rules_database(void);

#endif							/* PG_LIFEGUARD_QUOTA_H */
