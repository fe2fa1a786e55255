/*-------------------------------------------------------------------------
 *
 * recycle.c
 *		How a backend is retired without hurting its client.
 *
 * A backend ended from outside can lose a query: the client may have sent
 * it a moment before, or be half-way through sending it.  So nobody here
 * kills a backend.  The requester (the worker, or lifeguard.recycle())
 * leaves a request in the backend's slot and sends SIGUSR2, which regular
 * backends otherwise ignore.  The handler only notes the request: it asks
 * for a sinval catch-up (HandleCatchupInterrupt, the server's own
 * signal-handler entry point), which sets the latch.  A backend waiting
 * for its client serves that in its own main line: secure_read() calls
 * ProcessClientReadInterrupt(), which runs an empty transaction, whose
 * pre-commit callback is where this file looks at the request and, if
 * the backend is at a message boundary, ends the session with FATAL and
 * no message to the client.  Nothing runs in the signal handler but
 * flag setting.
 *
 * The message boundary.  That callback also runs when the backend waits
 * for the rest of a message it has begun to read (a large Query arriving
 * in pieces): the receive buffer is empty and nothing waits in the socket
 * there too.  What tells the two apart is whether any byte has arrived
 * since the last transaction ended with nothing buffered:
 *
 *	- while a request is pending (and for a while after one was
 *	  declined), the socket is in O_ASYNC mode, so the kernel sends SIGIO
 *	  whenever data arrives, and the SIGIO handler bumps a counter.  A
 *	  signal per client message is not free, so a backend nobody asked to
 *	  end does not pay it: tracking is switched on and off at transaction
 *	  ends;
 *	- at the end of every top-level transaction (main line) the backend
 *	  notes, if it tracks arrivals and neither libpq's receive buffer nor
 *	  the socket holds anything, an anchor: the current value of the
 *	  counter (if the next message is already buffered, at the first top
 *	  of PostgresMain's loop that finds the buffer empty);
 *	- at the read point, an unchanged counter, an empty buffer, an empty
 *	  socket (MSG_PEEK) and the status "idle" (set right before
 *	  ReadyForQuery) mean: the answer has been sent and no byte of a new
 *	  message has arrived since.  Only then does the backend end (but
 *	  see the unit end below);
 *	- a backend that was not tracking when it went idle has no count to
 *	  show: it starts counting at the read point, and may end only after
 *	  LG_UNTRACKED_IDLE_MS (half a second) in which nothing arrived, longer
 *	  than the pieces of one message take to follow each other.  Pools left
 *	  idle are recycled that way; a busy backend asked to end tracks from
 *	  its next transaction end on, and is recycled at its next boundary.
 *
 * When.  Once a backend is asked to end, it does so at one of two safe
 * points, as the request's mode allows (see lifeguard.recycle_at):
 *
 *	- idle: at the message boundary, once idle for recycle_min_idle (a
 *	  backend that just answered a pool's pre-ping is about to receive
 *	  the real query).  An age request under recycle_at = auto asks for
 *	  LG_UNTRACKED_IDLE_MS instead (LG_AT_IDLE_LONG): a client descheduled
 *	  between its ping's answer and its next statement on a loaded
 *	  machine leaves the connection idle for tens of milliseconds, and a
 *	  close then fails that statement; auto has the unit end for busy
 *	  connections, so the idle point only has to serve quiet ones;
 *	- unit end (LG_AT_UNIT_END): right after it answered the end of a
 *	  unit of work: a COMMIT or ROLLBACK (END, ABORT) that ended a
 *	  transaction block in which a statement ran the executor, as an
 *	  ORM's unit of work does.  The pool takes the connection back there
 *	  and checks it (pre-ping) before its next use.  A ping's own
 *	  transaction (BEGIN; ; ROLLBACK) runs no executor and does not
 *	  count.  The transaction end arms the catch-up itself, so the check
 *	  runs at the first read after the answer, before anything is read.
 *	  If the client's next message has arrived by then, it is served: a
 *	  pooler (PgBouncer) hands a connection to its next client as soon as
 *	  the answer arrives and does not recover a query sent into a closing
 *	  connection, while it does replace one it sees close.  A client that
 *	  answers at once from another CPU can win that race at every unit
 *	  end, though; once unit ends have yielded for
 *	  LG_UNIT_END_PATIENCE_MS, the next one is taken whatever has arrived
 *	  (not on a pooler's connection), and what arrived is dropped unread
 *	  (lg_socket_drain): that message is the connection's next use, and
 *	  finds it closed as it would a microsecond later;
 *	- statement end (LG_AT_STATEMENT_END, chosen by recycle_at =
 *	  statement_end): right after any statement, or block, that left no
 *	  transaction open.  For clients with no pre-ping that never leave a
 *	  connection idle (asyncpg's own pool): a transaction is never cut,
 *	  but the client's next statement finds the connection closed.
 *
 * Idle in transaction.  A transaction open in the backend leaves no read
 * point to act at (catch-up then runs no transaction), and ending it is
 * the point of idle_in_transaction_timeout anyway: the handler, after the
 * same buffer and socket checks, sets ProcDiePending as SIGTERM's handler
 * does, and the backend ends at its next interrupt check with the usual
 * FATAL message to the client.
 *
 * With SSL, data OpenSSL has already decrypted counts as buffered.  GSSAPI
 * encryption buffers data this file cannot see: such connections are
 * never ended at the idle or unit-end point.
 *
 * Owns: the recycling policy and the backend's own safe-point exit.
 * Must not: end a backend from outside (no SIGTERM but for
 * recycle_application(only_idle => false), as pg_terminate_backend).
 *
 * src/pool/recycle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "libpq/libpq.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/sinval.h"
#include "tcop/dest.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/settings.h"
#include "pool/memory.h"
#include "pool/quota.h"
#include "pool/recycle.h"
#include "pool/shmem.h"

/* Slot of this backend, cached for the signal handlers. */
static LifeguardSlot *my_slot = NULL;

/* Set when the backend ends at a request: why, for the exit callback. */
static volatile sig_atomic_t exiting_for = LG_EV_NONE;

/* Bumped by SIGIO: data arrived on the client socket. */
static volatile sig_atomic_t data_seq = 0;
/* The socket may be made to signal arrivals (a plain, unencrypted socket). */
static bool can_track = false;
static bool socket_owned = false;	/* SIGIO routed, F_SETOWN done */
/* The socket signals arrivals now (O_ASYNC is on). */
static bool tracking = false;
/* Keep tracking until then: a request was declined, another will come. */
static TimestampTz track_until = 0;
/* Value of data_seq at the last transaction end with nothing buffered. */
static sig_atomic_t anchor_seq = 0;
static bool anchor_valid = false;
/* 0: the anchor was set at a transaction end; else when watching began */
static TimestampTz anchor_watch_from = 0;
/* The last transaction end closed a unit of work. */
static bool last_end_unit = false;
/* lg_executor_starts at the last transaction end (see settings.h) */
static uint64 starts_at_end = 0;
/* A loop-top hook is armed (see lg_looptop_arm). */
static bool looptop_armed = false;
/* The next read point is the first read after a unit end (lg_recycle_anchor) */
static bool unit_end_read = false;
/* Since when unit ends yield to a next message already there (0: not) */
static TimestampTz unit_end_yield_since = 0;

static void lg_recycle_sigusr2(SIGNAL_ARGS);
static void lg_recycle_sigio(SIGNAL_ARGS);
static void lg_recycle_cleanup_callback(void *arg);
static pg_attribute_hot void lg_recycle_transaction_ended(bool block);
static void lg_recycle_read_point(void);
static bool lg_port_gss_encrypted(Port *port);
static bool lg_port_ssl_pending(Port *port);
static pg_attribute_hot bool lg_recv_buffered(void);
static bool lg_socket_has_data(void);
static void lg_socket_drain(void);
static pg_attribute_hot bool lg_recycle_anchor(void);
static bool lg_unit_end_allowed(int mode);
static pg_attribute_hot void lg_recycle_track(bool on);
static void lg_looptop_arm(void);
static void lg_looptop_child_callback(void *arg);
static void lg_looptop_own_callback(void *arg);
static bool lg_ends_block(const char *query);
static bool lg_may_signal(Oid roleid, bool target_superuser);
static bool lg_wait_for_exit(int pid, int timeout_ms);

PG_FUNCTION_INFO_V1(lifeguard_recycle);
PG_FUNCTION_INFO_V1(lifeguard_recycle_application);

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
	lim->max_memory_bytes = lg_max_memory_kb > 0 ? (int64) lg_max_memory_kb * 1024 : -1;
	lim->min_idle = 0;
	lim->recycle_at = lg_recycle_at;
	if (rule == NULL || lg_effective_mode(rule) == LG_MODE_OFF)
		return;
	if (rule->max_age_ms >= 0)
		lim->max_age_ms = rule->max_age_ms;
	if (rule->idle_timeout_ms >= 0)
		lim->idle_ms = rule->idle_timeout_ms;
	if (rule->idle_xact_timeout_ms >= 0)
		lim->idle_xact_ms = rule->idle_xact_timeout_ms;
	if (rule->max_memory_bytes >= 0)
		lim->max_memory_bytes = rule->max_memory_bytes;
	lim->min_idle = rule->min_idle;
	if (rule->recycle_at > 0)
		lim->recycle_at = rule->recycle_at - 1;
}

/*
 * Should this backend be asked to end now, why, and where may it end?
 * Returns the kind (LG_EV_NONE: leave it) and sets *mode to the
 * LG_AT_* bits of the request.  *eligible_at gets the earliest time a
 * limit is reached given the current state (0: no limit applies), which
 * lifeguard.backends shows as recycle_at.
 *
 *	- idle in transaction past idle_in_transaction_timeout: end it;
 *	- past max_age (where it may end: the rule's recycle_at, else
 *	  lifeguard.recycle_at): under idle, only once idle for
 *	  recycle_min_idle; under transaction_end, in any state, at its next
 *	  idle point or unit end; under auto, at the idle point first, and
 *	  also at a unit end once overdue by min(naptime, 1 s), so a busy
 *	  backend is asked with the unit end allowed by the second cycle;
 *	  under statement_end, as transaction_end, and the end of any
 *	  statement that leaves no transaction open counts as a unit end;
 *	- private memory (its latest sample, "memory_bytes", taken between
 *	  statements) above max_memory: end it once idle for
 *	  recycle_min_idle, as for idle_timeout; never in a transaction;
 *	- idle past idle_timeout (and recycle_min_idle): end it when idle.
 *
 * A superuser's backend only with lifeguard.recycle_superusers.
 */
int
lg_recycle_plan(BackendState state, TimestampTz now,
				TimestampTz connected_at, TimestampTz state_change,
				int64 memory_bytes, bool superuser,
				const LgRecycleLimits *lim,
				TimestampTz *eligible_at, int *mode)
{
	TimestampTz age_at = 0;
	TimestampTz idle_at = 0;
	TimestampTz xact_at = 0;
	bool		idle = (state == STATE_IDLE);
	bool		in_xact = (state == STATE_IDLEINTRANSACTION ||
						   state == STATE_IDLEINTRANSACTION_ABORTED);
	bool		idle_settled;

	*eligible_at = 0;
	*mode = 0;
	if (superuser && !lg_recycle_superusers)
		return LG_EV_NONE;

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

	if (xact_at && now >= xact_at)
	{
		*mode = LG_AT_IDLE_XACT;
		return LG_EV_RECYCLED_IDLE_XACT;
	}

	/* see recycle.c's header: not right after a statement */
	idle_settled = idle &&
		(state_change == 0 ||
		 now - state_change >= (TimestampTz) lg_recycle_min_idle_ms * 1000);

	if (age_at && now >= age_at)
	{
		int64		grace_us = (int64) Min(lg_naptime_ms, 1000) * 1000;

		switch (lim->recycle_at)
		{
			case LG_RECYCLE_AT_TRANSACTION_END:
				*mode = LG_AT_UNIT_END;
				return LG_EV_RECYCLED_AGE;
			case LG_RECYCLE_AT_STATEMENT_END:
				*mode = LG_AT_UNIT_END | LG_AT_STATEMENT_END;
				return LG_EV_RECYCLED_AGE;
			case LG_RECYCLE_AT_AUTO:
				/* see recycle.c's header: a client may stall after a ping */
				if (now - age_at >= grace_us)
				{
					*mode = LG_AT_UNIT_END | LG_AT_IDLE_LONG;
					return LG_EV_RECYCLED_AGE;
				}
				if (idle_settled)
				{
					*mode = LG_AT_IDLE_LONG;
					return LG_EV_RECYCLED_AGE;
				}
				break;
			default:
				break;
		}
		if (idle_settled)
			return LG_EV_RECYCLED_AGE;
	}
	if (lim->max_memory_bytes >= 0 && memory_bytes > lim->max_memory_bytes &&
		idle_settled)
		return LG_EV_RECYCLED_MEMORY;
	if (idle_at && now >= idle_at && idle_settled)
		return LG_EV_RECYCLED_IDLE;
	return LG_EV_NONE;
}

/*
 * lg_recycle_plan without the mode, for the views.
 */
int
lg_recycle_decide(BackendState state, TimestampTz now,
				  TimestampTz connected_at, TimestampTz state_change,
				  int64 memory_bytes, bool superuser,
				  const LgRecycleLimits *lim,
				  TimestampTz *eligible_at)
{
	int			mode;

	return lg_recycle_plan(state, now, connected_at, state_change,
						   memory_bytes, superuser, lim, eligible_at, &mode);
}

/*
 * Called by the connect hook once the backend holds its slot: route
 * SIGUSR2 (ignored by regular backends) to our handler; SIGIO (unused by
 * the server) and the socket's owner wait until tracking first starts
 * (lg_recycle_track).  Transaction events come from the connect path's
 * callback (lg_recycle_xact_event); executor starts are counted by the
 * advisor's hook (lg_executor_starts).
 */
void
lg_recycle_backend_init(void)
{
	my_slot = lg_my_slot();
	pqsignal(SIGUSR2, lg_recycle_sigusr2);
	lg_memory_backend_init(my_slot);

	tracking = false;
	can_track = false;
	socket_owned = false;
#ifdef O_ASYNC
	/* the socket is made to signal only when tracking first starts */
	if (MyProcPort != NULL && MyProcPort->sock != PGINVALID_SOCKET &&
		!lg_port_gss_encrypted(MyProcPort))
		can_track = true;
#endif

	starts_at_end = lg_executor_starts;
}

/*
 * Why this backend is exiting, if it ended at a request.  Read by the
 * exit callback to count it.
 */
int
lg_recycle_exit_kind(void)
{
	return (int) exiting_for;
}

/*
 * SIGIO: data (or another event) arrived on the client socket.
 */
static void
lg_recycle_sigio(SIGNAL_ARGS)
{
	data_seq++;
}

/*
 * Transaction events, all in the backend's main line, passed on by the
 * counted backend's transaction callback (admission.c).
 *
 * A transaction that runs while a client message is being read is the
 * catch-up (or notify) transaction of ProcessClientReadInterrupt: its
 * pre-commit is the read point.  Every other top-level transaction end is
 * the end of a statement or block: it sets the anchor.  An abort's end
 * is only known when the transaction is cleaned up, which for an error
 * inside a block happens at its ROLLBACK: a reset callback on
 * TopTransactionContext runs then.
 */
void
lg_recycle_xact_event(XactEvent event)
{
	if (proc_exit_inprogress || my_slot == NULL)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			if (pq_is_reading_msg())
			{
				/* the memory sample first: an exit records it */
				lg_memory_read_point();
				lg_recycle_read_point();
			}
			break;
		case XACT_EVENT_COMMIT:
			if (!pq_is_reading_msg())
				lg_recycle_transaction_ended(IsTransactionBlock());
			break;
		case XACT_EVENT_ABORT:
			if (!pq_is_reading_msg() && TopTransactionContext != NULL)
			{
				MemoryContextCallback *cb;

				cb = MemoryContextAlloc(TopTransactionContext, sizeof(*cb));
				cb->func = lg_recycle_cleanup_callback;
				cb->arg = IsTransactionBlock() ? (void *) cb : NULL;
				MemoryContextRegisterResetCallback(TopTransactionContext, cb);
			}
			break;
		default:
			break;
	}
}

/*
 * An aborted transaction was cleaned up; "arg" is not NULL if it was a
 * transaction block.
 */
static void
lg_recycle_cleanup_callback(void *arg)
{
	if (proc_exit_inprogress || my_slot == NULL)
		return;
	lg_recycle_transaction_ended(arg != NULL);
}

/*
 * A top-level transaction ended (main line, not while reading a message):
 * note whether a unit of work ended, then set the anchor, at once if
 * nothing is buffered, else at the first loop top that finds the buffer
 * empty.  "block": it ended a transaction block.
 */
static void
lg_recycle_transaction_ended(bool block)
{
	bool		did_work = lg_executor_starts != starts_at_end;
	bool		want;

	/*
	 * A statement that ran the executor since the last end did real work,
	 * so the end of its block is a unit end (a ping's BEGIN; ; ROLLBACK
	 * does not run it).
	 */
	starts_at_end = lg_executor_starts;
	last_end_unit = block && did_work && lg_ends_block(debug_query_string);
	/* the request first: without one, the slot's pid is not read */
	want = my_slot->recycle_request != LG_EV_NONE && my_slot->pid == MyProcPid;
	if (!want && track_until != 0)
	{
		if (GetCurrentTimestamp() < track_until)
			want = true;
		else
			track_until = 0;
	}
	lg_recycle_track(want);
	if (!lg_recycle_anchor())
		lg_looptop_arm();
	lg_memory_transaction_ended();
}

/*
 * Have the kernel signal data arrivals on the client socket, or stop.
 * Only a backend with a recycle request pending tracks arrivals: a signal
 * per client message is not free.  Called at transaction ends (main line).
 */
static void
lg_recycle_track(bool on)
{
#ifdef O_ASYNC
	int			sock;
	int			flags;

	if (on == tracking || !can_track)
		return;
	sock = MyProcPort->sock;
	if (!socket_owned)
	{
		/*
		 * The first time: route SIGIO (the handler first: its default
		 * action ends the process) and make this process the socket's
		 * owner.  Not at login, so that a backend never asked to end pays
		 * no system call for it.
		 */
		pqsignal(SIGIO, lg_recycle_sigio);
		if (fcntl(sock, F_SETOWN, MyProcPid) != 0)
		{
			can_track = false;
			ereport(DEBUG1,
					(errmsg_internal("pg_lifeguard could not watch the client socket: %m")));
			return;
		}
		socket_owned = true;
	}
	flags = fcntl(sock, F_GETFL);
	if (flags >= 0 &&
		fcntl(sock, F_SETFL, on ? (flags | O_ASYNC) : (flags & ~O_ASYNC)) == 0)
		tracking = on;
#endif
}

/*
 * Did the last transaction end close a unit at which a request of this
 * mode may end the backend?  Under LG_AT_STATEMENT_END every top-level
 * transaction end does: the statement, or block, left nothing open.
 */
static bool
lg_unit_end_allowed(int mode)
{
	if ((mode & LG_AT_UNIT_END) == 0)
		return false;
	return last_end_unit || (mode & LG_AT_STATEMENT_END) != 0;
}

/*
 * Set the anchor if libpq holds no client data; then, if the backend is
 * asked to end at a unit end and one just ended, arm the check for the
 * first read after the answer.  Returns false if data is buffered.
 */
static bool
lg_recycle_anchor(void)
{
	LifeguardSlot *slot = my_slot;

	unit_end_read = false;
	if (lg_recv_buffered())
	{
		anchor_valid = false;
		return false;
	}
	/* arrivals are counted from here on; nothing may be waiting already */
	anchor_seq = data_seq;
	anchor_valid = tracking && !lg_socket_has_data();
	anchor_watch_from = 0;
	if (anchor_valid && slot->pid == MyProcPid &&
		slot->recycle_request != LG_EV_NONE &&
		lg_unit_end_allowed(slot->recycle_allow_xact))
	{
		/* served by the first read: see the file header */
		catchupInterruptPending = true;
		unit_end_read = true;
	}
	return true;
}

/*
 * Loop-top hook.  PostgresMain resets MessageContext at the top of its
 * loop, after each client message and before ReadyForQuery and the next
 * read.  A reset callback on a child of MessageContext therefore runs at
 * the next loop top; it is armed when a transaction ended while the next
 * message was already buffered (an extended-protocol COMMIT whose Sync
 * came in the same packet), so that the anchor is set once that is read.
 */
static void
lg_looptop_arm(void)
{
	MemoryContext cxt;
	MemoryContextCallback *cb;

	if (looptop_armed || MessageContext == NULL)
		return;
	cxt = AllocSetContextCreate(MessageContext, "pg_lifeguard loop top",
								ALLOCSET_SMALL_SIZES);
	cb = MemoryContextAlloc(cxt, sizeof(*cb));
	cb->func = lg_looptop_child_callback;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(cxt, cb);
	looptop_armed = true;
}

/*
 * At a loop top, while MessageContext deletes its children.  If data is
 * still buffered, look again at the next loop top: a child made now would
 * be deleted at once, so register on MessageContext itself, whose own
 * callbacks run after its children are gone, and arm from there.
 */
static void
lg_looptop_child_callback(void *arg)
{
	MemoryContextCallback *cb;

	looptop_armed = false;
	if (proc_exit_inprogress || lg_recycle_anchor())
		return;
	cb = MemoryContextAlloc(MessageContext, sizeof(*cb));
	cb->func = lg_looptop_own_callback;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(MessageContext, cb);
}

static void
lg_looptop_own_callback(void *arg)
{
	if (!proc_exit_inprogress)
		lg_looptop_arm();
}

/*
 * Is the statement that ended the transaction a COMMIT, END, ROLLBACK or
 * ABORT sent by the client (the end of an explicit block)?  The implicit
 * block of a multi-statement query (asyncpg's reset on release) is not:
 * its pool hands the connection on at once, before it could see the
 * connection close.
 */
static bool
lg_ends_block(const char *query)
{
	static const char *const ends[] = {"commit", "end", "rollback", "abort"};

	if (query == NULL)
		return false;
	while (isspace((unsigned char) *query))
		query++;
	for (int i = 0; i < lengthof(ends); i++)
	{
		int			n = strlen(ends[i]);

		if (pg_strncasecmp(query, ends[i], n) == 0 &&
			!isalnum((unsigned char) query[n]) && query[n] != '_')
			return true;
	}
	return false;
}

/*
 * Does the connection use GSSAPI encryption, whose buffers we cannot see?
 */
static bool
lg_port_gss_encrypted(Port *port)
{
#ifdef ENABLE_GSS
	return port->gss != NULL && port->gss->enc;
#else
	return false;
#endif
}

/*
 * Has OpenSSL decrypted client data that libpq has not read yet?
 */
static bool
lg_port_ssl_pending(Port *port)
{
#ifdef USE_OPENSSL
	return port != NULL && port->ssl_in_use && port->ssl != NULL &&
		SSL_pending(port->ssl) > 0;
#else
	return false;
#endif
}

/*
 * Does libpq (or OpenSSL under it) hold client data not yet consumed?
 */
static bool
lg_recv_buffered(void)
{
	if (lg_pq_buffer_has_data())
		return true;
	return lg_port_ssl_pending(MyProcPort);
}

/*
 * Is a byte waiting in the socket?  A closed or failed socket counts as
 * empty: ending then loses nothing.
 */
static bool
lg_socket_has_data(void)
{
	char		c;

	if (MyProcPort == NULL)
		return false;
	return recv(MyProcPort->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/*
 * Read and drop what the client sent after a unit end, so that closing
 * the socket ends the connection with FIN, not with a reset that could
 * overtake the answer still on its way.  Bounded: a client that keeps
 * sending is cut off at the close anyway.
 */
static void
lg_socket_drain(void)
{
	char		buf[1024];

	for (int i = 0; i < 64; i++)
	{
		if (recv(MyProcPort->sock, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	}
}

/*
 * The read point: the backend waits for its client, in its main line,
 * inside the pre-commit of an empty transaction.  End the session if it
 * is asked to and is at a message boundary (see the file header).
 */
static void
lg_recycle_read_point(void)
{
	LifeguardSlot *slot = my_slot;
	volatile PgBackendStatus *be = MyBEEntry;
	int			kind;
	int			mode;
	bool		boundary;
	bool		proven;
	bool		first_read = unit_end_read;
	bool		at_unit_end;
	TimestampTz now;
	TimestampTz idle_us;

	unit_end_read = false;
	if (slot->pid != MyProcPid || exiting_for != LG_EV_NONE)
		return;
	kind = slot->recycle_request;
	mode = slot->recycle_allow_xact;
	if (kind == LG_EV_NONE || kind == LG_EV_RECYCLED_IDLE_XACT)
	{
		unit_end_yield_since = 0;
		return;
	}

	now = GetCurrentTimestamp();
	idle_us = be != NULL ? now - be->st_state_start_timestamp : 0;
	if (!tracking)
	{
		/*
		 * Nothing was counted since the backend went idle, so it may be
		 * half-way through reading a message.  Start counting now, and
		 * accept silence since then, once it has lasted long enough, as
		 * the boundary (see the file header).
		 */
		lg_recycle_track(true);
		anchor_seq = data_seq;
		anchor_valid = tracking && !lg_recv_buffered() && !lg_socket_has_data();
		anchor_watch_from = now;
	}
	proven = tracking && anchor_valid && data_seq == anchor_seq &&
		(anchor_watch_from == 0 ||
		 now - anchor_watch_from >= (TimestampTz) LG_UNTRACKED_IDLE_MS * 1000);

	/*
	 * The first read after a unit end the request allows, before anything
	 * was read.  A next message already there is served, unless unit ends
	 * have yielded to one for long enough (see the file header).
	 */
	at_unit_end = first_read && tracking && anchor_valid &&
		anchor_watch_from == 0 && lg_unit_end_allowed(mode);
	if (at_unit_end && (data_seq != anchor_seq || lg_socket_has_data()))
	{
		if (unit_end_yield_since == 0)
			unit_end_yield_since = now;
		if (slot->pooler ||
			now - unit_end_yield_since < (TimestampTz) LG_UNIT_END_PATIENCE_MS * 1000)
			at_unit_end = false;
	}
	if (tracking && anchor_valid && data_seq != anchor_seq)
		anchor_valid = false;	/* a message is arriving: wait for its end */
	boundary = (proven || at_unit_end) &&
		be != NULL && be->st_state == STATE_IDLE &&
		!lg_recv_buffered() && (at_unit_end || !lg_socket_has_data());
	if (boundary && !(anchor_watch_from == 0 && lg_unit_end_allowed(mode)) &&
		idle_us < (TimestampTz) ((mode & LG_AT_IDLE_LONG) ?
								 Max(lg_recycle_min_idle_ms, LG_UNTRACKED_IDLE_MS) :
								 lg_recycle_min_idle_ms) * 1000)
		boundary = false;		/* may have just answered a pre-ping */

	if (!boundary)
	{
		/* track arrivals for a while: the worker will ask again */
		track_until = now +
			((TimestampTz) 2 * lg_naptime_ms + LG_UNTRACKED_IDLE_MS) * 1000;
		/* a request to end at a unit end stays until one comes */
		slot->recycle_deferred++;
		if ((mode & LG_AT_UNIT_END) == 0)
			slot->recycle_request = LG_EV_NONE;
		return;
	}

	exiting_for = kind;
	slot->recycle_request = LG_EV_NONE;

	/*
	 * Nothing is in flight: close without an unsolicited error message,
	 * which a client library that is idle does not expect (asyncpg, for
	 * one, then fails its next call instead of seeing a closed
	 * connection).  Shut the socket down first, so that the client sees
	 * the end at once rather than when the process is gone.  The server
	 * log still records the termination.
	 */
	whereToSendOutput = DestNone;
	lg_socket_drain();
	(void) shutdown(MyProcPort->sock, SHUT_RDWR);
	ereport(FATAL,
			(errcode(ERRCODE_ADMIN_SHUTDOWN),
			 errmsg("terminating connection due to connection recycling"),
			 errdetail("pg_lifeguard ended the connection between two client messages (%s).",
					   lg_event_kind_name(kind))));
}

/*
 * SIGUSR2: a request was left in our slot.  Only flags are set here.
 */
static void
lg_recycle_sigusr2(SIGNAL_ARGS)
{
	int			save_errno = errno;
	LifeguardSlot *slot = my_slot;

	if (slot != NULL && slot->pid == MyProcPid &&
		exiting_for == LG_EV_NONE)
	{
		int			kind = slot->recycle_request;

		if (kind == LG_EV_RECYCLED_IDLE_XACT)
		{
			volatile PgBackendStatus *be = MyBEEntry;
			BackendState st = be != NULL ? be->st_state : STATE_UNDEFINED;

			/*
			 * End the open transaction as SIGTERM would, but only while
			 * the backend waits for a message with none on its way.
			 */
			slot->recycle_request = LG_EV_NONE;
			if ((st == STATE_IDLEINTRANSACTION ||
				 st == STATE_IDLEINTRANSACTION_ABORTED) &&
				MyProcPort != NULL && pq_is_reading_msg() &&
				!lg_pq_buffer_has_data() && !lg_socket_has_data())
			{
				exiting_for = kind;
				InterruptPending = true;
				ProcDiePending = true;
			}
			else
				slot->recycle_deferred++;
		}
		else if (kind != LG_EV_NONE)
			HandleCatchupInterrupt();
	}
	SetLatch(MyLatch);
	errno = save_errno;
}

/*
 * Ask the backend in "slot" to end at its next safe point allowed by
 * "mode" (LG_AT_* bits).  Returns false if the signal could not be sent
 * (the process is gone).
 *
 * Caller must hold lg_shared->lock exclusively, so that the slot cannot
 * be reused by another process between the check and the kill().
 */
bool
lg_recycle_request_locked(LifeguardSlot *slot, int kind, int mode)
{
	if (slot->pid == 0)
		return false;
	slot->recycle_allow_xact = mode;
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
 * safe point, or, with "terminate", send them SIGTERM as
 * pg_terminate_backend() does.  The signal is sent under the lock after
 * checking that the slot still holds the target's pid: a backend frees
 * its slot under the same lock before it exits, so the pid cannot have
 * been reused by another process.  Returns how many were signalled.
 */
static int
lg_signal_targets(LgTarget *targets, int n, bool terminate)
{
	int			asked = 0;

	LWLockAcquire(lg_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
	{
		LifeguardSlot *s = &lg_shared->slots[targets[i].slotno];

		if (!targets[i].allowed || s->pid != targets[i].pid)
			continue;
		if (terminate ? kill(s->pid, SIGTERM) == 0 :
			lg_recycle_request_locked(s, LG_EV_RECYCLED_MANUAL, 0))
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
	TimestampTz deadline;

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
	 * it is busy or has only just become idle.  The deadline is a time, so
	 * that no counter overflows for a timeout near INT_MAX.
	 */
	deadline = GetCurrentTimestamp() + (TimestampTz) timeout_ms * 1000;
	for (;;)
	{
		/* the slot is freed by the backend's exit callback: it has ended */
		if (lg_signal_targets(&target, 1, false) == 0)
			PG_RETURN_BOOL(true);
		if (lg_wait_for_exit(pid, Min(timeout_ms, 10)))
			PG_RETURN_BOOL(true);
		if (GetCurrentTimestamp() >= deadline)
			break;
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

	asked = lg_signal_targets(targets, n, !only_idle);
	if (denied > 0)
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("skipped %d backends of application \"%s\" that the current role may not signal",
						denied, key)));
	PG_RETURN_INT32(asked);
}
