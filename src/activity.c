/*-------------------------------------------------------------------------
 *
 * activity.c
 *		Reading backend status: the one place that knows how the status
 *		array is fetched on each PostgreSQL version.
 *
 * The worker and the views take one local snapshot of the status array
 * (pgstat_read_current_status copies it with the change-count protocol),
 * keep only client backends that finished starting, sort them by pid and
 * look entries up by binary search.  The snapshot is cleared right after,
 * so each caller sees fresh data.
 *
 * src/activity.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/backend_status.h"
#include "utils/wait_event.h"

#include "activity.h"
#include "compat.h"

static int	lg_backend_cmp(const void *a, const void *b);

static int
lg_backend_cmp(const void *a, const void *b)
{
	int			pa = ((const LgBackend *) a)->pid;
	int			pb = ((const LgBackend *) b)->pid;

	return (pa > pb) - (pa < pb);
}

/*
 * Copy every client backend's status into a palloc'd array sorted by pid
 * (in the current memory context).  Returns the count.
 */
int
lg_read_client_backends(LgBackend **out)
{
	int			total;
	int			n = 0;
	LgBackend  *arr;

	pgstat_clear_backend_activity_snapshot();
	total = pgstat_fetch_stat_numbackends();
	arr = palloc(sizeof(LgBackend) * Max(total, 1));

	for (int i = 1; i <= total; i++)
	{
		LocalPgBackendStatus *local = lg_local_beentry(i);
		PgBackendStatus *be;
		LgBackend  *b;

		if (local == NULL)
			continue;
		be = &local->backendStatus;
		if (be->st_procpid <= 0 || be->st_backendType != B_BACKEND ||
			LG_STATE_IS_STARTING(be->st_state))
			continue;
		b = &arr[n++];
		b->pid = be->st_procpid;
		b->state = be->st_state;
		b->backend_start = be->st_proc_start_timestamp;
		b->state_change = be->st_state_start_timestamp;
		b->userid = be->st_userid;
		b->dbid = be->st_databaseid;
		strlcpy(b->appname, be->st_appname ? be->st_appname : "", NAMEDATALEN);
	}
	pgstat_clear_backend_activity_snapshot();

	qsort(arr, n, sizeof(LgBackend), lg_backend_cmp);
	*out = arr;
	return n;
}

/*
 * Entry for pid in an array from lg_read_client_backends, or NULL.
 */
LgBackend *
lg_find_backend(LgBackend *arr, int n, int pid)
{
	LgBackend	key;

	key.pid = pid;
	return bsearch(&key, arr, n, sizeof(LgBackend), lg_backend_cmp);
}

/*
 * Is the backend with this PGPROC index (still pid) waiting on a
 * heavyweight lock?  Reads wait_event_info without a lock, as
 * pg_stat_activity does.
 */
bool
lg_backend_waiting_on_lock(int procindex, int pid)
{
	PGPROC	   *proc = LG_PROC_BY_INDEX(procindex);
	uint32		wait = *((volatile uint32 *) &proc->wait_event_info);

	return proc->pid == pid && (wait & 0xFF000000) == PG_WAIT_LOCK;
}

/*
 * State names as pg_stat_activity spells them.
 */
const char *
lg_state_name(BackendState st)
{
	switch (st)
	{
		case STATE_IDLE:
			return "idle";
		case STATE_RUNNING:
			return "active";
		case STATE_IDLEINTRANSACTION:
			return "idle in transaction";
		case STATE_FASTPATH:
			return "fastpath function call";
		case STATE_IDLEINTRANSACTION_ABORTED:
			return "idle in transaction (aborted)";
		case STATE_DISABLED:
			return "disabled";
		default:
			return NULL;
	}
}
