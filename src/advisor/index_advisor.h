/*-------------------------------------------------------------------------
 *
 * index_advisor.h
 *		Index advice: hypothetical-index costing of queries.
 *
 * src/advisor/index_advisor.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_INDEX_ADVISOR_H
#define PG_LIFEGUARD_INDEX_ADVISOR_H

/* called from _PG_init (settings, planner hooks) */
extern void lg_index_advisor_init(void);

#endif							/* PG_LIFEGUARD_INDEX_ADVISOR_H */
