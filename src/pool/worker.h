/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The pg_lifeguard background worker.
 *
 * src/pool/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_WORKER_H
#define PG_LIFEGUARD_WORKER_H

extern void lg_worker_register(void);
extern PGDLLEXPORT void lifeguard_worker_main(Datum main_arg);

#endif							/* PG_LIFEGUARD_WORKER_H */
