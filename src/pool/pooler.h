/*-------------------------------------------------------------------------
 *
 * pooler.h
 *		Pooler-aware accounting: which backends belong to a connection
 *		pooler, and who (by current application_name) uses them.
 *
 * src/pool/pooler.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_POOLER_H
#define PG_LIFEGUARD_POOLER_H

#include "core/compat.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"

/*
 * A (pooler pool, client application) pair.  The pool is what the pooler's
 * server connections connected as: their connect-time application name,
 * role and database.  The client is the backend's current application_name
 * (the pooler sets it when it links a client), with the " - address:port"
 * that PgBouncer's application_name_add_host appends cut off.  Zero the
 * whole key before filling it: it is hashed as bytes.
 */
typedef struct LgPoolerKey
{
	char		pool_app[NAMEDATALEN];
	char		role[NAMEDATALEN];
	char		db[NAMEDATALEN];
	char		client[NAMEDATALEN];
} LgPoolerKey;

/* bytes of the key that name the pool (its first three fields) */
#define LG_POOLER_POOL_KEYLEN	(3 * NAMEDATALEN)

/* One pooler backend as the worker saw it in a cycle. */
typedef struct LgPoolerSeen
{
	LgPoolerKey key;
	bool		busy;			/* running, or inside a transaction */
} LgPoolerSeen;

/* A pooler alert raised or cleared in a cycle, for the worker to report. */
typedef struct LgPoolerAlertChange
{
	bool		raised;			/* else cleared */
	LgPoolerKey key;
	double		share;			/* mean share over the window */
	double		threshold;
	int32		server_connections;
} LgPoolerAlertChange;

/* An active pooler alert, for lifeguard.alerts. */
typedef struct LgPoolerAlertRow
{
	char		client[NAMEDATALEN];
	TimestampTz raised_at;
	double		share;
} LgPoolerAlertRow;

extern void lg_pooler_shmem_request(void);
extern void lg_pooler_shmem_startup(void);

/* connect path: does this login belong to a pooler?  Remembers its pool. */
extern pg_attribute_hot bool lg_pooler_login(const char *app, const char *role, const char *db);
/* transaction end of a backend for which lg_pooler_login returned true */
extern bool lg_pooler_backend;
extern void lg_pooler_count_xact(int64 busy_us, TimestampTz now);

/* running a statement or inside a transaction (not idle, not unknown) */
extern bool lg_pooler_state_busy(BackendState state);

/* the client key of a current application_name */
extern void lg_pooler_client_key(const char *current, char *key);

/* worker, once per cycle, without holding lg_shared->lock */
extern int	lg_pooler_evaluate(LgPoolerSeen *seen, int nseen, TimestampTz now,
							   LgPoolerAlertChange *changes, int max_changes);

/* lifeguard.alerts: palloc'd rows of the active pooler alerts */
extern int	lg_pooler_alert_rows(LgPoolerAlertRow **rows);

/* lifeguard.reset_stats */
extern void lg_pooler_reset(void);

#endif							/* PG_LIFEGUARD_POOLER_H */
