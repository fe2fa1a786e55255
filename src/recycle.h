/*-------------------------------------------------------------------------
 *
 * recycle.h
 *		Retiring idle backends: the policy (which, and why) and the
 *		mechanism (a request the backend carries out at a safe point).
 *
 * src/recycle.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_RECYCLE_H
#define PG_LIFEGUARD_RECYCLE_H

#include "shmem.h"
#include "utils/backend_status.h"

/* Why a backend is retired.  Stored in slots; keep the values stable. */
typedef enum LifeguardRecycleKind
{
	LG_RECYCLE_NONE = 0,
	LG_RECYCLE_AGE,				/* older than max_age */
	LG_RECYCLE_IDLE,			/* idle longer than idle_timeout */
	LG_RECYCLE_IDLE_XACT,		/* idle in transaction too long */
	LG_RECYCLE_RECLAIM,			/* server short of slots, app over soft */
	LG_RECYCLE_MANUAL			/* lifeguard.recycle() and friends */
} LifeguardRecycleKind;

extern const char *lg_recycle_kind_name(int kind);

/* Time limits that apply to one backend; -1 = not set. */
typedef struct LgRecycleLimits
{
	int64		max_age_ms;
	int64		idle_ms;
	int64		idle_xact_ms;
	int32		min_idle;
} LgRecycleLimits;

/* policy: pure functions of their inputs */
extern void lg_recycle_limits(const LifeguardRule *rule, LgRecycleLimits *lim);
extern int	lg_recycle_decide(BackendState state, TimestampTz now,
							  TimestampTz connected_at, TimestampTz state_change,
							  bool superuser, const LgRecycleLimits *lim,
							  TimestampTz *eligible_at);

/* backend side */
extern void lg_recycle_backend_init(void);
extern int	lg_recycle_exit_kind(void);

/* requester side; caller must hold lg_shared->lock exclusively */
extern bool lg_recycle_request_locked(LifeguardSlot *slot, int kind,
									  bool allow_xact);

#endif							/* PG_LIFEGUARD_RECYCLE_H */
