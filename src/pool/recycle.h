/*-------------------------------------------------------------------------
 *
 * recycle.h
 *		Retiring idle backends: the policy (which, and why) and the
 *		mechanism (a request the backend carries out at a safe point).
 *
 * src/pool/recycle.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_RECYCLE_H
#define PG_LIFEGUARD_RECYCLE_H

#include "access/xact.h"
#include "core/compat.h"
#include "pool/events.h"
#include "pool/shmem.h"
#include "utils/backend_status.h"


/* Limits that apply to one backend; -1 = not set. */
typedef struct LgRecycleLimits
{
	int64		max_age_ms;
	int64		idle_ms;
	int64		idle_xact_ms;
	int64		max_memory_bytes;
	int32		min_idle;
	int			recycle_at;		/* LgRecycleAt: where max_age may end it */
} LgRecycleLimits;

/*
 * Where a backend asked to end may do so, as bits of the request's mode
 * (the slot's recycle_allow_xact).  Without any bit: only at the idle
 * safe point, once idle for lifeguard.recycle_min_idle.
 */
#define LG_AT_IDLE_XACT		0x01	/* may end an idle transaction */
#define LG_AT_UNIT_END		0x02	/* right after a unit of work ended */
#define LG_AT_STATEMENT_END	0x04	/* with UNIT_END: after any statement
									 * that left no transaction open */
#define LG_AT_IDLE_LONG		0x08	/* the idle point only after
									 * LG_UNTRACKED_IDLE_MS of idleness */

/*
 * A backend past max_age by this much is asked to end whatever the
 * per-cycle cap and the age rate limit say.
 */
#define LG_HARD_OVERDUE_MS	1000

/*
 * A backend that was not counting arrivals on its socket when it went idle
 * (no request was pending then) starts counting when asked, and may end at
 * the idle point only once nothing has arrived for this long: far longer
 * than the pieces of one message take to arrive one after the other.
 */
#define LG_UNTRACKED_IDLE_MS	500

/*
 * At a unit end, a client's next message that has already arrived holds
 * the backend back (it is served) for this long after the first time it
 * did; past that, the unit end is taken whatever has arrived, so that a
 * client that always answers first cannot keep its connection forever.
 * Never for a pooler's connection: its next message is another client's.
 */
#define LG_UNIT_END_PATIENCE_MS	1000

/* policy: pure functions of their inputs and the settings */
extern void lg_recycle_limits(const LifeguardRule *rule, LgRecycleLimits *lim);
extern int	lg_recycle_decide(BackendState state, TimestampTz now,
							  TimestampTz connected_at, TimestampTz state_change,
							  int64 memory_bytes, bool superuser,
							  const LgRecycleLimits *lim,
							  TimestampTz *eligible_at);
extern int	lg_recycle_plan(BackendState state, TimestampTz now,
							TimestampTz connected_at, TimestampTz state_change,
							int64 memory_bytes, bool superuser,
							const LgRecycleLimits *lim,
							TimestampTz *eligible_at, int *mode);

/* backend side */
extern pg_attribute_hot void lg_recycle_backend_init(void);
extern pg_attribute_hot void lg_recycle_xact_event(XactEvent event);
extern pg_attribute_hot int	lg_recycle_exit_kind(void);

/* requester side; caller must hold lg_shared->lock exclusively */
extern bool lg_recycle_request_locked(LifeguardSlot *slot, int kind, int mode);

#endif							/* PG_LIFEGUARD_RECYCLE_H */
