/*-------------------------------------------------------------------------
 *
 * migration.c
 *		Schema snapshot, diff and migration reversibility check.
 *
 * src/migration.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "migration.h"
