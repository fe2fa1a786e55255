/*-------------------------------------------------------------------------
 *
 * pg_lifeguard.c
 *		Entry point: registers the subsystems' settings, hooks, shared
 *		memory and the worker.
 *
 * pg_lifeguard is the server-side half of client connection pools: it
 * counts every application's connections (by the application_name sent at
 * connect time), holds each application to a quota, retires backends that
 * have lived or idled too long, warns before the server runs out of
 * connections, and answers index and migration questions.  It must be
 * loaded through shared_preload_libraries.
 *
 * The tree reads like the architecture (README, "Design"):
 *
 *	core/       this file, settings, compat (every version difference),
 *	            guard (errors of a caller's SQL, the pinned search_path)
 *	pool/       connection management: shared state and its lock (shmem),
 *	            the connect path (admission), rules (quota), recycling,
 *	            events and alerts, backend status (activity), the views'
 *	            functions, the background worker
 *	advisor/    workload sampling and N+1 (workload), advise_indexes
 *	migration/  snapshot (catalog readers), jsonb_writer, check_migration
 *
 * Subsystems depend on core only; the advisor and migration checks do
 * not depend on the pool.
 *
 * Owns: _PG_init and the shared memory hooks: the one file that knows
 * every subsystem, to register them.  Must not: hold state of its own.
 *
 * src/core/pg_lifeguard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/guc.h"

#include "advisor/index_advisor.h"
#include "advisor/workload.h"
#include "core/compat.h"
#include "core/settings.h"
#include "pool/admission.h"
#include "pool/pooler.h"
#include "pool/quota.h"
#include "pool/shmem.h"
#include "pool/worker.h"

PG_MODULE_MAGIC;

/*---- Saved hook values in case of unload ----*/
#ifdef LG_HAVE_SHMEM_REQUEST_HOOK
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/*---- Function declarations ----*/
void		_PG_init(void);
#ifdef LG_HAVE_SHMEM_REQUEST_HOOK
static void lg_shmem_request_hook(void);
#endif
static void lg_shmem_startup_hook(void);

/*
 * Module load.
 */
void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	if (IsBinaryUpgrade)
		return;

	lg_settings_define();

	lg_preloaded = true;

#ifdef LG_HAVE_SHMEM_REQUEST_HOOK
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = lg_shmem_request_hook;
#else
	lg_shmem_request();
	lg_pooler_shmem_request();
	lg_workload_shmem_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = lg_shmem_startup_hook;

	lg_admission_init();
	lg_workload_init();
	lg_index_advisor_init();
	lg_worker_register();

	/* after every lifeguard.* setting of every file is defined */
	MarkGUCPrefixReserved("lifeguard");
}

#ifdef LG_HAVE_SHMEM_REQUEST_HOOK
static void
lg_shmem_request_hook(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	lg_shmem_request();
	lg_pooler_shmem_request();
	lg_workload_shmem_request();
}
#endif

static void
lg_shmem_startup_hook(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	lg_shmem_startup();
	lg_pooler_shmem_startup();
	lg_workload_shmem_startup();
	/* the postmaster loads the saved rules before the first login */
	if (!IsUnderPostmaster)
		lg_rules_file_load();
}
