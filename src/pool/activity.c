/*-------------------------------------------------------------------------
 *
 * activity.c
 *		Reading one backend's status entry and wait state: the one place
 *		that knows the status entry's fields on each PostgreSQL version.
 *
 * Each counted backend's slot points at its own status entry.  The worker
 * and the views read just those entries, one at a time, with the change-
 * count protocol the server's own readers use: no local snapshot of the
 * whole array is taken (pg_stat_activity's copies every query text).  The
 * wait state comes from the PGPROC with the same index.
 *
 * Owns: reading a backend's status entry and wait state.  Must not: take
 * locks or allocate (callers hold lg_shared->lock).
 *
 * src/pool/activity.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/backend_status.h"
#include "utils/wait_event.h"

#include "core/compat.h"
#include "pool/activity.h"

/*
 * Read one backend's status entry straight from shared memory, with the
 * change-count protocol the server's own readers use, and check that it
 * belongs to "pid", a client backend that finished starting.  Returns
 * false otherwise.  Reading only the entries of counted backends, and only
 * the fields needed, is what keeps the worker's cycle cheap: the full
 * status snapshot pg_stat_activity takes copies every entry's query text.
 *
 * No allocation and no error: callers may hold lg_shared->lock.
 */
bool
lg_read_status(volatile PgBackendStatus *be, int pid, LgBackend *out)
{
	if (be == NULL)
		return false;

	for (;;)
	{
		int			before;
		int			after;

		pgstat_begin_read_activity(be, before);
		out->pid = be->st_procpid;
		out->state = be->st_state;
		out->backend_start = be->st_proc_start_timestamp;
		out->state_change = be->st_state_start_timestamp;
		out->userid = be->st_userid;
		out->dbid = be->st_databaseid;
		out->backend_type = be->st_backendType;
		if (be->st_appname)
			strlcpy(out->appname, (char *) be->st_appname, NAMEDATALEN);
		else
			out->appname[0] = '\0';
		pgstat_end_read_activity(be, after);
		if (pgstat_read_activity_complete(before, after))
			break;
	}
	return out->pid == pid && out->backend_type == B_BACKEND &&
		!LG_STATE_IS_STARTING(out->state);
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
