/*-------------------------------------------------------------------------
 *
 * migration.h
 *		Schema snapshot, diff and migration reversibility check.
 *
 * src/migration/migration.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_MIGRATION_H
#define PG_LIFEGUARD_MIGRATION_H

#endif							/* PG_LIFEGUARD_MIGRATION_H */
