/*-------------------------------------------------------------------------
 *
 * workload.c
 *		Workload observation: sampled predicates and N+1 detection.
 *
 * src/workload.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "workload.h"

void
lg_workload_init(void)
{
}

Size
lg_workload_shmem_size(void)
{
	return 0;
}

void
lg_workload_shmem_request(void)
{
}

void
lg_workload_shmem_startup(void)
{
}
