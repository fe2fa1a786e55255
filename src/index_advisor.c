/*-------------------------------------------------------------------------
 *
 * index_advisor.c
 *		Index advice: hypothetical-index costing of queries.
 *
 * src/index_advisor.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "index_advisor.h"

void
lg_index_advisor_init(void)
{
}
