/*-------------------------------------------------------------------------
 *
 * recycle.c
 *		How an idle backend is retired without hurting its client.
 *
 * A backend killed from outside while it looks idle can still lose a
 * query: the client may have sent it a moment before the signal, and the
 * FATAL then answers that query.  Pool pre-ping cannot hide that.  So the
 * requester (the worker, or lifeguard.recycle()) does not send SIGTERM.
 * It leaves a request in the backend's slot and sends SIGUSR2, which
 * regular backends otherwise ignore.  The backend's handler checks, in
 * the backend itself, that it is at the one safe point:
 *
 *	- its own status says idle (or idle in transaction, where the request
 *	  allows it);
 *	- it is blocked reading the first byte of the next protocol message
 *	  (pq_is_reading_msg() and nothing in libpq's receive buffer);
 *	- nothing is waiting in its socket (a non-blocking MSG_PEEK).
 *
 * Only then does it call die(), the server's own SIGTERM handler, which
 * ends the session at the top of the read loop as pg_terminate_backend()
 * would, except that the client gets no unsolicited FATAL message: the
 * connection is simply closed, which every pool treats as a dead
 * connection.  Otherwise it declines, counts the
 * refusal in its slot, and the requester tries again in a later cycle.
 * The window left is the few microseconds between the peek and the
 * process's exit; a query arriving inside it gets 57P01, which pool
 * pre-ping and retry logic handle.  (With SSL or GSS encryption, bytes the
 * library already pulled off the socket are not seen by the peek.)
 *
 * Everything the handler reads is either its own process's memory or a
 * naturally aligned int in its own slot; recv() is async-signal-safe.
 *
 * src/recycle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <sys/socket.h>

#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "libpq/libpq.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "pg_lifeguard.h"
#include "quota.h"
#include "recycle.h"
#include "shmem.h"

/* Slot of this backend, cached for the signal handler. */
static LifeguardSlot *my_slot = NULL;

/* Set by the handler when it accepted a request: why we are exiting. */
static volatile sig_atomic_t exiting_for = LG_RECYCLE_NONE;

static void lg_recycle_sigusr2(SIGNAL_ARGS);
static bool lg_may_signal(Oid roleid, bool target_superuser);
static bool lg_wait_for_exit(int pid, int timeout_ms);

PG_FUNCTION_INFO_V1(lifeguard_recycle);
PG_FUNCTION_INFO_V1(lifeguard_recycle_application);
static bool lg_backend_at_safe_point(bool allow_xact);

/*
 * Name of a recycle kind, as shown in events and views.
 */
const char *
lg_recycle_kind_name(int kind)
{
	switch (kind)
	{
		case LG_RECYCLE_AGE:
			return "recycled_age";
		case LG_RECYCLE_IDLE:
			return "recycled_idle";
		case LG_RECYCLE_IDLE_XACT:
			return "recycled_idle_in_transaction";
		case LG_RECYCLE_RECLAIM:
			return "reclaimed";
		case LG_RECYCLE_MANUAL:
			return "recycled_manual";
	}
	return "none";
}

/*
 * The limits that apply under "rule" (NULL: none): the rule's own value
 * where it sets one, else the server-wide setting, where 0 means off.
 */
void
lg_recycle_limits(const LifeguardRule *rule, LgRecycleLimits *lim)
{
	lim->max_age_ms = lg_max_age_ms > 0 ? lg_max_age_ms : -1;
	lim->idle_ms = lg_idle_timeout_ms > 0 ? lg_idle_timeout_ms : -1;
	lim->idle_xact_ms = lg_idle_xact_timeout_ms > 0 ? lg_idle_xact_timeout_ms : -1;
	lim->min_idle = 0;
	if (rule == NULL || lg_effective_mode(rule) == LG_MODE_OFF)
		return;
	if (rule->max_age_ms >= 0)
		lim->max_age_ms = rule->max_age_ms;
	if (rule->idle_timeout_ms >= 0)
		lim->idle_ms = rule->idle_timeout_ms;
	if (rule->idle_xact_timeout_ms >= 0)
		lim->idle_xact_ms = rule->idle_xact_timeout_ms;
	lim->min_idle = rule->min_idle;
}

/*
 * Should this backend be retired now, and why?  Only idle backends are
 * (idle in transaction only under an idle-in-transaction limit); a
 * superuser's only with lifeguard.recycle_superusers.  *eligible_at gets
 * the earliest time a limit is reached given the current state (0: no
 * limit applies), which lifeguard.backends shows as recycle_at.
 */
int
lg_recycle_decide(BackendState state, TimestampTz now,
				  TimestampTz connected_at, TimestampTz state_change,
				  bool superuser, const LgRecycleLimits *lim,
				  TimestampTz *eligible_at)
{
	TimestampTz age_at = 0;
	TimestampTz idle_at = 0;
	TimestampTz xact_at = 0;
	bool		idle = (state == STATE_IDLE);
	bool		in_xact = (state == STATE_IDLEINTRANSACTION ||
						   state == STATE_IDLEINTRANSACTION_ABORTED);

	*eligible_at = 0;
	if (superuser && !lg_recycle_superusers)
		return LG_RECYCLE_NONE;

	if (lim->max_age_ms >= 0)
		age_at = connected_at + lim->max_age_ms * 1000;
	if (lim->idle_ms >= 0 && idle && state_change != 0)
		idle_at = state_change + lim->idle_ms * 1000;
	if (lim->idle_xact_ms >= 0 && in_xact && state_change != 0)
		xact_at = state_change + lim->idle_xact_ms * 1000;

	*eligible_at = age_at;
	if (idle_at && (*eligible_at == 0 || idle_at < *eligible_at))
		*eligible_at = idle_at;
	if (xact_at && (*eligible_at == 0 || xact_at < *eligible_at))
		*eligible_at = xact_at;

	if (in_xact)
		return (xact_at && now >= xact_at) ? LG_RECYCLE_IDLE_XACT : LG_RECYCLE_NONE;
	if (!idle)
		return LG_RECYCLE_NONE;
	/* see lg_backend_at_safe_point: not right after a statement */
	if (state_change != 0 && now - state_change < (TimestampTz) lg_recycle_min_idle_ms * 1000)
		return LG_RECYCLE_NONE;
	if (age_at && now >= age_at)
		return LG_RECYCLE_AGE;
	if (idle_at && now >= idle_at)
		return LG_RECYCLE_IDLE;
	return LG_RECYCLE_NONE;
}

/*
 * Called by the connect hook once the backend holds its slot: route
 * SIGUSR2 (ignored by regular backends) to our handler.
 */
void
lg_recycle_backend_init(void)
{
	my_slot = lg_my_slot();
	pqsignal(SIGUSR2, lg_recycle_sigusr2);
}

/*
 * Why this backend is exiting, if it accepted a recycle request.  Read by
 * the exit callback to count it.
 */
int
lg_recycle_exit_kind(void)
{
	return (int) exiting_for;
}

/*
 * Is the backend waiting for the client's next message with nothing on
 * its way?  Runs in the signal handler: no allocation, no locks.
 */
static bool
lg_backend_at_safe_point(bool allow_xact)
{
	volatile PgBackendStatus *be = MyBEEntry;
	BackendState st;
	char		c;
	ssize_t		n;

	if (be == NULL || MyProcPort == NULL)
		return false;
	st = be->st_state;
	if (st != STATE_IDLE &&
		!(allow_xact && (st == STATE_IDLEINTRANSACTION ||
						 st == STATE_IDLEINTRANSACTION_ABORTED)))
		return false;
	if (!pq_is_reading_msg() || lg_pq_buffer_has_data())
		return false;

	/*
	 * A backend that went idle a moment ago has most likely just answered a
	 * statement whose follow-up is on its way (a pool's pre-ping, then the
	 * real query): leave it alone until it has been idle a little while.
	 * GetCurrentTimestamp() is async-signal-safe (clock_gettime).
	 */
	if (GetCurrentTimestamp() - be->st_state_start_timestamp <
		(TimestampTz) lg_recycle_min_idle_ms * 1000)
		return false;

	n = recv(MyProcPort->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		return false;			/* the client has sent something */
	return true;				/* nothing waiting, or the client is gone */
}

/*
 * SIGUSR2: carry out a pending recycle request if it is safe now.
 */
static void
lg_recycle_sigusr2(SIGNAL_ARGS)
{
	int			save_errno = errno;
	LifeguardSlot *slot = my_slot;

	if (slot != NULL && slot->pid == MyProcPid && slot->recycle_request != 0 &&
		exiting_for == LG_RECYCLE_NONE)
	{
		int			kind = slot->recycle_request;
		bool		allow_xact = slot->recycle_allow_xact != 0;

		slot->recycle_request = 0;
		if (lg_backend_at_safe_point(allow_xact))
		{
			exiting_for = kind;
			/*
			 * Close the connection without an unsolicited error message:
			 * nothing is in flight, and a client library that is idle does
			 * not expect one (asyncpg, for one, then fails its next call
			 * instead of seeing a closed connection).  The server log
			 * still records the termination.
			 */
			whereToSendOutput = DestNone;
			die(LG_SIGNAL_ARGS);
		}
		else
			slot->recycle_deferred++;
	}
	errno = save_errno;
}

/*
 * Ask the backend in "slot" to end itself at its next safe point.
 * Returns false if the signal could not be sent (the process is gone).
 *
 * Caller must hold lg_shared->lock exclusively, so that the slot cannot
 * be reused by another process between the check and the kill().
 */
bool
lg_recycle_request_locked(LifeguardSlot *slot, int kind, bool allow_xact)
{
	if (slot->pid == 0)
		return false;
	slot->recycle_allow_xact = allow_xact ? 1 : 0;
	slot->recycle_request = kind;
	pg_memory_barrier();
	if (kill(slot->pid, SIGUSR2) != 0)
	{
		slot->recycle_request = 0;
		return false;
	}
	return true;
}

/*
 * May the current user retire a backend of this role?  The rules of
 * pg_terminate_backend (superuser targets need a superuser; otherwise the
 * target's role or pg_signal_backend), plus lifeguard_admin for
 * non-superuser targets.  Looks up catalogs: never call under our lock.
 */
static bool
lg_may_signal(Oid roleid, bool target_superuser)
{
	Oid			me = GetUserId();
	Oid			admin;

	if (superuser())
		return true;
	if (target_superuser || !OidIsValid(roleid))
		return false;
	if (has_privs_of_role(me, roleid) ||
		has_privs_of_role(me, ROLE_PG_SIGNAL_BACKEND))
		return true;
	admin = get_role_oid(LG_ADMIN_ROLE, true);
	return OidIsValid(admin) && has_privs_of_role(me, admin);
}

/*
 * Wait up to timeout_ms for process pid to be gone.
 */
static bool
lg_wait_for_exit(int pid, int timeout_ms)
{
	for (int waited = 0;; waited += 1)
	{
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return true;
		if (waited >= timeout_ms)
			return false;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(1000L);
	}
}

/* A backend to retire, as copied from its slot. */
typedef struct LgTarget
{
	int			slotno;
	int			pid;
	Oid			roleid;
	bool		superuser;
	bool		allowed;
} LgTarget;

/*
 * Copy the slots of pid (if > 0) or of application key (otherwise) into
 * targets[], then check the caller's permission for each without holding
 * the lock.  Returns the count.
 */
static int
lg_collect_targets(int pid, const char *key, LgTarget *targets)
{
	int			n = 0;

	LWLockAcquire(lg_shared->lock, LW_SHARED);
	for (int i = 0; i < lg_shared->nslots; i++)
	{
		LifeguardSlot *s = &lg_shared->slots[i];

		if (s->pid == 0 || s->pid == MyProcPid)
			continue;
		if (pid > 0 ? s->pid != pid :
			(s->app == NULL || strcmp(s->app->name, key) != 0))
			continue;
		targets[n].slotno = i;
		targets[n].pid = s->pid;
		targets[n].roleid = s->roleid;
		targets[n].superuser = s->superuser;
		n++;
	}
	LWLockRelease(lg_shared->lock);

	for (int i = 0; i < n; i++)
		targets[i].allowed = lg_may_signal(targets[i].roleid, targets[i].superuser);
	return n;
}

/*
 * Ask the allowed targets that still hold their slot to end at their next
 * safe point.  Returns how many were asked.
 */
static int
lg_request_targets(LgTarget *targets, int n)
{
	int			asked = 0;

	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
	{
		LifeguardSlot *s = &lg_shared->slots[targets[i].slotno];

		if (targets[i].allowed && s->pid == targets[i].pid &&
			lg_recycle_request_locked(s, LG_RECYCLE_MANUAL, false))
			asked++;
	}
	LWLockRelease(lg_shared->lock);
	return asked;
}

/*
 * lifeguard.recycle(pid int, timeout_ms int DEFAULT 1000) RETURNS boolean
 *
 * Ask one client backend to end at its next safe point (idle, nothing on
 * its way) and wait up to timeout_ms for it.  Returns true if it ended,
 * false if it stayed busy meanwhile.
 */
Datum
lifeguard_recycle(PG_FUNCTION_ARGS)
{
	int			pid = PG_GETARG_INT32(0);
	int			timeout_ms = PG_GETARG_INT32(1);
	LgTarget	target;
	int			n;

	lg_require_shmem();
	if (timeout_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must not be negative")));
	if (pid == MyProcPid)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot recycle the current session")));
	if (pid <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid process ID %d", pid)));

	n = lg_collect_targets(pid, NULL, &target);
	if (n == 0)
	{
		ereport(WARNING,
				(errmsg("PID %d is not a client backend counted by pg_lifeguard", pid)));
		PG_RETURN_BOOL(false);
	}
	if (!target.allowed)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to recycle process %d", pid),
				 errdetail("Only roles with privileges of the role of the backend, of pg_signal_backend or of lifeguard_admin may recycle it; a superuser's backend needs a superuser.")));
	/*
	 * Ask again every 10 ms until the timeout: the backend declines while
	 * it is busy or has only just become idle.
	 */
	for (int waited = 0; waited <= timeout_ms; waited += 10)
	{
		/* the slot is freed by the backend's exit callback: it has ended */
		if (lg_request_targets(&target, 1) == 0)
			PG_RETURN_BOOL(true);
		if (lg_wait_for_exit(pid, 10))
			PG_RETURN_BOOL(true);
	}
	ereport(NOTICE,
			(errmsg("process %d did not end because it is not idle", pid),
			 errhint("Only idle sessions are recycled; use pg_terminate_backend() to end a busy one.")));
	PG_RETURN_BOOL(false);
}

/*
 * lifeguard.recycle_application(application_name text, only_idle bool
 * DEFAULT true) RETURNS integer
 *
 * Ask every backend of an application that the caller may signal to end:
 * at its next safe point when only_idle, else at once with SIGTERM as
 * pg_terminate_backend() does.  Returns the number of backends asked.
 */
Datum
lifeguard_recycle_application(PG_FUNCTION_ARGS)
{
	char		key[NAMEDATALEN];
	bool		only_idle = PG_GETARG_BOOL(1);
	LgTarget   *targets;
	int			n;
	int			asked = 0;
	int			denied = 0;

	lg_require_shmem();
	lg_app_name_key(text_to_cstring(PG_GETARG_TEXT_PP(0)), key);
	targets = palloc(sizeof(LgTarget) * Max(lg_shared->nslots, 1));
	n = lg_collect_targets(0, key, targets);
	for (int i = 0; i < n; i++)
		if (!targets[i].allowed)
			denied++;

	if (only_idle)
		asked = lg_request_targets(targets, n);
	else
	{
		for (int i = 0; i < n; i++)
			if (targets[i].allowed && kill(targets[i].pid, SIGTERM) == 0)
				asked++;
	}
	if (denied > 0)
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("skipped %d backends of application \"%s\" that the current role may not signal",
						denied, key)));
	PG_RETURN_INT32(asked);
}
