/*-------------------------------------------------------------------------
 *
 * events.h
 *		Events, history samples and alerts: shared rings, persistence by
 *		the worker, and the functions behind their views.
 *
 * src/pool/events.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_EVENTS_H
#define PG_LIFEGUARD_EVENTS_H

#include "pool/pooler.h"
#include "pool/shmem.h"

/*
 * Event kinds, which are also the reasons a backend is retired (the first
 * five and LG_EV_RECYCLED_MEMORY): a recycle request in a slot is the
 * event its exit will record.
 * Stored in slots and rings; keep the values stable.
 */
typedef enum LifeguardEventKind
{
	LG_EV_NONE = 0,
	LG_EV_RECYCLED_AGE,			/* older than max_age */
	LG_EV_RECYCLED_IDLE,		/* idle longer than idle_timeout */
	LG_EV_RECYCLED_IDLE_XACT,	/* idle in transaction too long */
	LG_EV_RECLAIMED,			/* server short of slots, app over soft */
	LG_EV_RECYCLED_MANUAL,		/* lifeguard.recycle() and friends */
	LG_EV_REJECTED,
	LG_EV_SOFT_WARNING,
	LG_EV_WOULD_REJECT,
	LG_EV_ALERT_RAISED,
	LG_EV_ALERT_CLEARED,
	LG_EV_APP_TABLE_FULL,
	LG_EV_RECYCLED_MEMORY		/* private memory above max_memory */
} LifeguardEventKind;

extern const char *lg_event_kind_name(int kind);

/* caller holds lg_shared->lock exclusively; never throws */
extern void lg_event_add_locked(int kind, const char *app, int pid,
								const char *usename, const char *datname,
								const char *fmt,...) pg_attribute_printf(6, 7);
extern void lg_sample_add_locked(const LifeguardApp *app, TimestampTz at);

/* worker, inside a transaction, on a primary */
extern void lg_persist_rings(bool prune, uint64 *events_upto,
							 uint64 *samples_upto);
extern void lg_rings_mark_persisted(uint64 events_upto, uint64 samples_upto);

/* worker, once per cycle: raise and clear alerts (see events.c) */
typedef struct LgAlertChange
{
	bool		raised;			/* else cleared */
	bool		server;			/* else application or pooler */
	bool		pooler;			/* a client's share of a pooler pool */
	char		app[NAMEDATALEN];	/* application; for pooler: the client */
	LgPoolerKey pool;			/* pooler: the pool (client too) */
	double		value;
	double		threshold;
	int32		connections;
	int32		limit;
} LgAlertChange;

extern int	lg_alerts_evaluate_locked(LgAlertChange *changes, int max_changes);
extern int	lg_alerts_add_pooler_locked(const LgPoolerAlertChange *pc, int npc,
										LgAlertChange *changes, int max_changes);
extern void lg_alerts_report(LgAlertChange *changes, int n, bool can_notify);

#endif							/* PG_LIFEGUARD_EVENTS_H */
