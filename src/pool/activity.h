/*-------------------------------------------------------------------------
 *
 * activity.h
 *		Reading one counted backend's status entry and wait state.
 *
 * src/pool/activity.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_ACTIVITY_H
#define PG_LIFEGUARD_ACTIVITY_H

#include "miscadmin.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"

/* What pg_lifeguard needs of one client backend's status entry. */
typedef struct LgBackend
{
	int			pid;
	BackendState state;
	TimestampTz backend_start;
	TimestampTz state_change;
	Oid			userid;
	Oid			dbid;
	BackendType backend_type;
	char		appname[NAMEDATALEN];	/* current application_name */
} LgBackend;

extern bool lg_read_status(volatile PgBackendStatus *be, int pid, LgBackend *out);
extern bool lg_backend_waiting_on_lock(int procindex, int pid);
extern const char *lg_state_name(BackendState st);

#endif							/* PG_LIFEGUARD_ACTIVITY_H */
