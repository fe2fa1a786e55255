/*-------------------------------------------------------------------------
 *
 * guard.h
 *		Running a caller's SQL so that its errors become findings, while
 *		cancel, timeouts and resource errors still end the call.
 *
 * src/core/guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_GUARD_H
#define PG_LIFEGUARD_GUARD_H

#include "utils/elog.h"

typedef void (*LgGuardedFn) (void *arg);

/* flags of lg_run_guarded */
#define LG_GUARD_SUBXACT	0x01	/* run inside an internal subtransaction */
#define LG_GUARD_KEEP		0x02	/* ...and commit it when fn succeeds */

extern ErrorData *lg_run_guarded(LgGuardedFn fn, void *arg, int flags);
extern bool lg_error_is_finding(const ErrorData *edata);

extern int	lg_pin_search_path(void);
extern void lg_unpin_search_path(int level);

#endif							/* PG_LIFEGUARD_GUARD_H */
