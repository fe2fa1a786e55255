/*-------------------------------------------------------------------------
 *
 * memory.h
 *		Each client backend's private memory, sampled between statements
 *		and published in its slot.
 *
 * src/pool/memory.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_MEMORY_H
#define PG_LIFEGUARD_MEMORY_H

#include "core/compat.h"
#include "pool/shmem.h"

/* backend side, all in the backend's main line */
extern pg_attribute_hot void lg_memory_backend_init(LifeguardSlot *slot);
extern pg_attribute_hot void lg_memory_transaction_ended(void);
extern pg_attribute_hot void lg_memory_read_point(void);

/* what the slot shows; the sample is 0 until the first one */
extern int64 lg_slot_memory(LifeguardSlot *slot);
extern TimestampTz lg_slot_memory_sampled_at(LifeguardSlot *slot);

#endif							/* PG_LIFEGUARD_MEMORY_H */
