/*-------------------------------------------------------------------------
 *
 * workload.h
 *		Workload observation through executor hooks: sampled predicate
 *		statistics and chatty (N+1) access detection.
 *
 * src/workload.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_WORKLOAD_H
#define PG_LIFEGUARD_WORKLOAD_H

#include "postgres.h"

/* called from _PG_init (settings, hooks) */
extern void lg_workload_init(void);
/* called from the shared memory request and startup hooks */
extern Size lg_workload_shmem_size(void);
extern void lg_workload_shmem_request(void);
extern void lg_workload_shmem_startup(void);

#endif							/* PG_LIFEGUARD_WORKLOAD_H */
