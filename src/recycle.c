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
 * ends the session at the top of the read loop exactly as
 * pg_terminate_backend() would.  Otherwise it declines, counts the
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

#include "libpq/libpq.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"

#include "compat.h"
#include "recycle.h"
#include "shmem.h"

/* Slot of this backend, cached for the signal handler. */
static LifeguardSlot *my_slot = NULL;

/* Set by the handler when it accepted a request: why we are exiting. */
static volatile sig_atomic_t exiting_for = LG_RECYCLE_NONE;

static void lg_recycle_sigusr2(SIGNAL_ARGS);
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
	if (!pq_is_reading_msg() || pq_buffer_has_data())
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
			die(postgres_signal_arg);
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
