/*-------------------------------------------------------------------------
 *
 * memory.c
 *		Each client backend's private memory, published in its slot.
 *
 * The sample is MemoryContextMemAllocated(TopMemoryContext, true): the
 * blocks held by every memory context of the backend, which is what
 * pg_backend_memory_contexts sums to inside the session.  Shared buffers
 * the backend touched are not in it (operating-system RSS counts them).
 * It walks every context, and a backend that has touched thousands of
 * tables has thousands of them (README, "Backend memory", gives the
 * cost), so it is taken at most once per lifeguard.memory_sample_interval
 * and never while a statement runs:
 *
 *	- at the end of a top-level transaction (main line), if no sample is
 *	  due and no timeout is active, one is armed for the interval after
 *	  the last sample.  A backend that runs nothing arms nothing, and a
 *	  busy one arms once per interval: per statement, the cost is a test
 *	  of two flags;
 *	- the timeout's handler (signal context) only marks the sample due
 *	  and asks for a sinval catch-up, which sets the latch (as recycle.c
 *	  does for a recycle request);
 *	- the catch-up is served when the backend waits for its next client
 *	  message: outside a transaction, by an empty transaction whose
 *	  pre-commit is recycle.c's read point, which calls
 *	  lg_memory_read_point.  The sample is taken there, between
 *	  statements, with the previous statement's memory released;
 *	- a catch-up served inside a transaction block (no transaction is
 *	  started then), or consumed by a running statement's own
 *	  invalidation processing, leaves the sample due; the next transaction
 *	  end asks for a catch-up again.
 *
 * The first sample is taken at the end of the transaction that ends the
 * login (its commit, in the main line, before the first statement), so a
 * new session publishes its size before its first wait for the client.
 * It is taken there rather than at a read point: a catch-up served at the
 * first wait would run an empty transaction for it, on every connection,
 * which a client that connects for one statement pays in full.  That
 * sample is also kept as the backend's initial size, against which its
 * growth is measured.
 *
 * The slot's three values are written by the backend only, with atomic
 * stores; a reader may see a new size with the previous time, never a
 * torn value.
 *
 * Owns: the memory sample.  Must not: decide anything about it (the
 * policy is recycle.c's).
 *
 * src/pool/memory.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "portability/instr_time.h"
#include "storage/sinval.h"
#include "utils/memutils.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "core/settings.h"
#include "pool/memory.h"
#include "pool/shmem.h"

static LifeguardSlot *mem_slot = NULL;
static TimeoutId mem_timeout = MAX_TIMEOUTS;
/* set by the timeout handler; cleared by the sample */
static volatile sig_atomic_t sample_due = false;
/* set at login; cleared by the first sample, at the login's commit */
static bool first_sample_due = false;
static TimestampTz last_sample_at = 0;

static void lg_memory_timeout_handler(void);
static pg_attribute_hot void lg_memory_take_sample(LifeguardSlot *slot);

/*
 * Called once the backend holds its slot (the connect hook).
 */
void
lg_memory_backend_init(LifeguardSlot *slot)
{
	mem_slot = slot;
	if (mem_timeout == MAX_TIMEOUTS)
		mem_timeout = RegisterTimeout(USER_TIMEOUT, lg_memory_timeout_handler);
	last_sample_at = 0;
	/* the first sample, at the end of the login's transaction */
	first_sample_due = true;
	sample_due = false;
}

/*
 * Timeout handler, in signal context: only flags.  HandleCatchupInterrupt
 * is the server's own signal-safe entry point; it sets the latch, so an
 * idle backend serves the catch-up at once.
 */
static void
lg_memory_timeout_handler(void)
{
	sample_due = true;
	HandleCatchupInterrupt();
}

/*
 * A top-level transaction ended, in the main line (recycle.c calls this
 * at every such end).  Ask for the sample where one is due, or arm the
 * timer for the next one.
 */
void
lg_memory_transaction_ended(void)
{
	if (mem_slot == NULL || lg_memory_sample_interval_ms <= 0)
		return;
	if (first_sample_due)
	{
		/* the login's commit: see the file header */
		first_sample_due = false;
		if (mem_slot->pid == MyProcPid)
			lg_memory_take_sample(mem_slot);
	}
	if (sample_due)
	{
		/* served at the next wait for the client: see the file header */
		catchupInterruptPending = true;
		return;
	}
	/* error recovery disables every timeout: ask the timer, not a flag */
	if (get_timeout_active(mem_timeout))
		return;
	enable_timeout_at(mem_timeout,
					  last_sample_at + (TimestampTz) lg_memory_sample_interval_ms * 1000);
}

/*
 * The read point: the backend waits for a client message, outside any
 * statement (recycle.c's pre-commit of the catch-up transaction).  Take
 * the sample if one is due.
 */
void
lg_memory_read_point(void)
{
	LifeguardSlot *slot = mem_slot;

	if (slot == NULL || !sample_due || slot->pid != MyProcPid)
		return;
	if (lg_memory_sample_interval_ms <= 0)
	{
		sample_due = false;
		return;
	}
	sample_due = false;
	lg_memory_take_sample(slot);
}

/*
 * Take the sample and publish it in the slot (main line, outside any
 * statement).
 */
static void
lg_memory_take_sample(LifeguardSlot *slot)
{
	bool		timed = message_level_is_interesting(DEBUG2);
	instr_time	start;
	instr_time	took;
	uint64		bytes;
	TimestampTz now;

	/* the walk is timed only for its DEBUG2 line */
	if (timed)
		INSTR_TIME_SET_CURRENT(start);
	bytes = (uint64) MemoryContextMemAllocated(TopMemoryContext, true);
	if (timed)
	{
		INSTR_TIME_SET_CURRENT(took);
		INSTR_TIME_SUBTRACT(took, start);
		ereport(DEBUG2,
				(errmsg_internal("pg_lifeguard memory sample: " UINT64_FORMAT " bytes, walked in %.1f us",
								 bytes, INSTR_TIME_GET_DOUBLE(took) * 1e6)));
	}
	now = GetCurrentTimestamp();
	if (pg_atomic_read_u64(&slot->memory_initial) == 0)
		pg_atomic_write_u64(&slot->memory_initial, bytes);
	pg_atomic_write_u64(&slot->memory_bytes, bytes);
	pg_atomic_write_u64(&slot->memory_sampled_at, (uint64) now);
	last_sample_at = now;
}

/*
 * The latest sample of a slot, 0 if none.  Any process may call these.
 */
int64
lg_slot_memory(LifeguardSlot *slot)
{
	return (int64) pg_atomic_read_u64(&slot->memory_bytes);
}

TimestampTz
lg_slot_memory_sampled_at(LifeguardSlot *slot)
{
	return (TimestampTz) pg_atomic_read_u64(&slot->memory_sampled_at);
}
