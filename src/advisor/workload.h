/*-------------------------------------------------------------------------
 *
 * workload.h
 *		Workload observation through executor hooks: sampled predicate
 *		statistics and chatty (N+1) access detection.
 *
 * src/advisor/workload.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_WORKLOAD_H
#define PG_LIFEGUARD_WORKLOAD_H

/* longest statement text kept per sampled query or N+1 entry, in bytes */
#define LG_QUERY_TEXT_MAX 1024

/* schemas of a sampled statement's search_path kept with it */
#define LG_SEARCH_PATH_MAX 8

/*
 * Parameter sets kept per sampled statement: the values of its $n as the
 * statement ran with them (bound parameters, or the literals the
 * normaliser replaced), as text.  A value longer than LG_PARAM_VALUE_MAX
 * bytes, or of a type whose output function is not built in, is not kept.
 */
#define LG_PARAM_SETS		4
#define LG_PARAM_SET_BYTES	256
#define LG_PARAM_VALUE_MAX	128

/*
 * One parameter set.  data holds nvalues values, $1 first, each a tag
 * byte followed, for LG_PARAM_VALUE, by the value's text and a NUL.
 */
#define LG_PARAM_VALUE		'v'
#define LG_PARAM_NULL		'n'
#define LG_PARAM_UNKNOWN	'u' /* not kept: too long, or not shown */

typedef struct LgParamSet
{
	int32		count;			/* sampled runs with exactly these values */
	int16		len;			/* bytes used in data */
	int16		nvalues;
	char		data[LG_PARAM_SET_BYTES];
} LgParamSet;

/* A sampled statement, as it ran. */
typedef struct LgSampledStatement
{
	char		text[LG_QUERY_TEXT_MAX];	/* normalised: $n placeholders */
	int			npath;
	Oid			path[LG_SEARCH_PATH_MAX];	/* its search_path, pg_catalog
											 * included, pg_temp not */
	int			nsets;			/* parameter sets seen, the author's data */
	LgParamSet	sets[LG_PARAM_SETS];
} LgSampledStatement;

typedef enum LgSampledLookup
{
	LG_SAMPLED_FOUND,
	LG_SAMPLED_GONE,			/* not (or no longer) sampled */
	LG_SAMPLED_HIDDEN			/* the current user may not read its text */
} LgSampledLookup;

/*
 * The statement sampled in this database for (userid, queryid), copied
 * into *out when the current user may read its text.
 */
extern LgSampledLookup lg_workload_statement(Oid userid, int64 queryid,
											 LgSampledStatement *out);

/*
 * The statement the current user ran in this database whose normalised
 * text is exactly text, if it was sampled: its own values, for
 * advise_indexes given that text.
 */
extern bool lg_workload_own_statement(const char *text, LgSampledStatement *out);

/* called from _PG_init (settings, hooks) */
extern void lg_workload_init(void);
/* called from the shared memory request and startup hooks */
extern Size lg_workload_shmem_size(void);
extern void lg_workload_shmem_request(void);
extern void lg_workload_shmem_startup(void);

/*
 * Copy a statement with its literal constants replaced by $n placeholders
 * (numbered after any $n it already has) into a palloc'd string of at most
 * LG_QUERY_TEXT_MAX - 1 bytes.  location/len select one statement of a
 * multi-statement string (location -1: all of it; len 0: to the end).
 * Never throws for bad SQL: it then returns the text as given.
 */
extern char *lg_normalize_statement(const char *source, int location, int len);

#endif							/* PG_LIFEGUARD_WORKLOAD_H */
