/*-------------------------------------------------------------------------
 *
 * workload.c
 *		Workload observation: sampled predicates and N+1 detection.
 *
 * Two things are learnt from the executor, for client statements only
 * (top level of a client backend):  a statement run by a function, a
 * procedure, a DO block, a trigger, another utility command or a function
 * the planner folds is not one.  The nesting depth counts the executor's
 * run and finish phases, planning, and every utility command but EXECUTE
 * and PREPARE (whose statement is the client's own).  Planning and utility
 * commands save and restore it around the call, so an error leaves it as
 * it was.  The executor's depth is kept apart, without a PG_TRY per call
 * (that was a measurable part of a short statement's cost): an error that
 * leaves executor frames is caught either at top level, whose abort sets
 * the depth to 0 (transaction control in a procedure never runs inside an
 * executor call), or by a subtransaction (a PL/pgSQL exception block),
 * whose abort restores the depth it started at.
 *
 *	- Predicates.  A fraction lifeguard.predicate_sample_rate of statements
 *	  run with row instrumentation.  When a sampled statement ends, its plan
 *	  tree is walked and every simple predicate (column op expression,
 *	  column = ANY(array), column op column across a join) is recorded per
 *	  (database, table, column, operator): how often it ran, rows scanned,
 *	  rows its filter removed, whether an index served it, whether it was a
 *	  join clause.  Statements whose filters removed rows are also kept
 *	  (text normalised to $n placeholders, with the role that ran them and
 *	  the schemas of its search_path) so index_advice can cost them, as
 *	  that role (see index_advisor.c).  With each, up to LG_PARAM_SETS
 *	  sets of the values its $n ran with (bound parameters, and the
 *	  literals the normaliser replaced), a reservoir sample of its sampled
 *	  runs; they are the author's data, read only by _advise_sampled when
 *	  it plans as the author, and shown by no view.
 *
 *	- Chatty access (N+1).  Every statement's query identifier (enabled
 *	  with EnableQueryId, so pg_stat_statements is not needed) is counted
 *	  per transaction in a backend-local table (a transaction's first
 *	  statement is only noted until a second one runs: alone, it reaches
 *	  no threshold above 1).  At transaction end each identifier that ran
 *	  at least lifeguard.n_plus_one_threshold times is added to a shared
 *	  table per (database, role, application, query id): transactions
 *	  affected, statements, worst count, a normalised text.
 *
 * Shared state and locking
 * ------------------------
 * Three dynahash tables and a header live in their own shared memory
 * area, guarded by one LWLock of its own (named tranche
 * "pg_lifeguard_workload"), never taken together with the main
 * pg_lifeguard lock.  Readers take it shared, copy, release, then build
 * tuples; writers (a sampled statement's end, a flagged transaction's
 * end, a reset) take it exclusive for straight-line hash updates.
 * Nothing that may throw runs while it is held.  Writers are rare by
 * design (sampling, and only flagged transactions), so a single lock is
 * enough; a full table drops new keys and counts them.
 *
 * Owns: the executor and utility hooks, sampled predicates and
 * statements, N+1 counting, in a shared area with its own lock.  Must
 * not: take lg_shared->lock or plan anything.
 *
 * src/advisor/workload.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "funcapi.h"
#include "libpq/libpq-be.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parser.h"
#include "parser/parsetree.h"
#include "parser/scanner.h"
#include "parser/scansup.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "advisor/workload.h"
#include "core/compat.h"
#include "core/guard.h"
#include "core/settings.h"

#define LG_WORKLOAD_TRANCHE "pg_lifeguard_workload"

/*---- Shared structures ----*/

/* Zero the whole key before filling it: it is hashed as bytes. */
typedef struct LgPredKey
{
	Oid			dbid;
	Oid			relid;
	Oid			opno;			/* operator as written col op expr */
	int32		attnum;
} LgPredKey;

typedef struct LgPredEntry
{
	LgPredKey	key;
	int64		executions;		/* sampled plan nodes that evaluated it */
	int64		index_executions;	/* ... as an index condition */
	int64		join_executions;	/* ... as a join clause */
	double		rows_scanned;	/* rows the scans read */
	double		rows_filtered;	/* rows a filter removed */
	TimestampTz last_seen;
} LgPredEntry;

typedef struct LgQueryKey
{
	Oid			dbid;
	Oid			userid;
	lg_queryid	queryid;
} LgQueryKey;

typedef struct LgQueryEntry
{
	LgQueryKey	key;
	int64		samples;
	double		rows_scanned;
	double		rows_filtered;
	TimestampTz last_seen;
	int			npath;			/* the search_path it first ran with */
	Oid			path[LG_SEARCH_PATH_MAX];
	char		text[LG_QUERY_TEXT_MAX];
	/* parameter sets as seen: a reservoir sample of its sampled runs */
	int64		nseen;			/* sampled runs that offered a set */
	int			nsets;
	LgParamSet	sets[LG_PARAM_SETS];
} LgQueryEntry;

typedef struct LgNpoKey
{
	Oid			dbid;
	Oid			userid;
	lg_queryid	queryid;
	char		app[NAMEDATALEN];
} LgNpoKey;

typedef struct LgNpoEntry
{
	LgNpoKey	key;
	int64		transactions;	/* transactions at or over the threshold */
	int64		calls;			/* statements in those transactions */
	int64		worst;			/* most runs in one transaction */
	TimestampTz first_seen;
	TimestampTz last_seen;
	char		text[LG_QUERY_TEXT_MAX];
} LgNpoEntry;

typedef struct LgWorkloadShared
{
	LWLock	   *lock;
	TimestampTz predicates_reset;
	TimestampTz n_plus_one_reset;
	int64		dropped;		/* new keys refused by a full table */
	bool		full_logged;	/* "table full" already logged */
} LgWorkloadShared;

/*---- Settings ----*/
static double lg_predicate_sample_rate = 0.01;
static int	lg_max_predicates = 4000;
static int	lg_max_workload_queries = 500;
static int	lg_n_plus_one_threshold = 10;

/*---- Shared pointers ----*/
static LgWorkloadShared *lg_wl = NULL;
static HTAB *lg_pred_hash = NULL;
static HTAB *lg_query_hash = NULL;
static HTAB *lg_npo_hash = NULL;

/*---- Backend-local state ----*/
static int	lg_nesting = 0;		/* planning and utility depth (see top) */
static int	lg_exec_depth = 0;	/* executor run and finish depth */
static List *lg_sampled = NIL;	/* QueryDescs running with instrumentation */

static int *lg_sub_depth = NULL;	/* lg_exec_depth at each subxact level */
static int	lg_sub_depth_size = 0;

/*
 * Predicate sampling decides per client statement, with probability
 * lifeguard.predicate_sample_rate.  Rather than a random number per
 * statement, the number of statements up to and including the next
 * sampled one is drawn once per sample, from the geometric distribution
 * of those gaps: the same sampling, for one decrement per statement.
 * Drawn for one rate; a change of the setting draws again.
 */
static int64 lg_sample_countdown = 0;
static double lg_sample_rate_drawn = -1.0;	/* no draw yet */

/*
 * log(1 - rate), kept for the rate now set by lg_assign_sample_rate: in
 * the postmaster at start and at every reload, so that a backend that
 * keeps the setting it was started with draws without calling the math
 * library (see lg_log_unit).
 */
static double lg_sample_log_q = 0.0;

/*
 * A backend's first statement is sampled or not by one comparison of
 * integers, 53 random bits against rate * 2^53 (kept with
 * lg_sample_log_q); the first gap is drawn at the second statement.  The floating-point constants of a draw are in
 * read-only data, a page that nothing else on a short connection's path
 * reads: a connection that runs one statement (a pool's pre-ping,
 * pgbench -C) never reads it.  The sampling is the same, each statement
 * sampled with probability rate independently: a geometric gap starts
 * afresh at any statement.
 */
static uint64 lg_sample_first_threshold = 0;
static bool lg_sample_first_done = false;

typedef struct LgXactCount
{
	lg_queryid	queryid;		/* hash key */
	int64		count;
	char	   *text;			/* normalised, once count reaches threshold */
} LgXactCount;

/*
 * Per-transaction counts: the first LG_XACT_SMALL distinct statements in
 * an array searched linearly (most transactions run a handful), the rest
 * in a hash table.
 */
#define LG_XACT_SMALL 16
static LgXactCount lg_xact_small[LG_XACT_SMALL];
static int	lg_xact_nsmall = 0;
static HTAB *lg_xact_counts = NULL;	/* overflow of the array */
static MemoryContext lg_xact_text_cxt = NULL;

/*
 * The transaction's first statement, while it is the only one and the
 * threshold is above 1: one run reaches no such threshold, and most
 * transactions run a single statement, so its entry (count 1, no text) is
 * made only when a second statement comes, or at the transaction's end if
 * the threshold was lowered to 1 meanwhile.  0: none (a statement without
 * an identifier is not counted).
 */
static lg_queryid lg_xact_first = 0;

/*---- Saved hook values ----*/
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static planner_hook_type prev_planner = NULL;

/*---- Function declarations ----*/
static pg_attribute_hot void lg_ExecutorStart(QueryDesc *queryDesc, int eflags);
static pg_attribute_hot void lg_ExecutorRun(QueryDesc *queryDesc,
											ScanDirection direction,
											uint64 count LG_EXECUTOR_RUN_EXTRA_PARAM);
static pg_attribute_hot void lg_ExecutorFinish(QueryDesc *queryDesc);
static pg_attribute_hot void lg_ExecutorEnd(QueryDesc *queryDesc);
static pg_attribute_hot void lg_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
											   bool readOnlyTree, ProcessUtilityContext context,
											   ParamListInfo params, QueryEnvironment *queryEnv,
											   DestReceiver *dest, QueryCompletion *qc);
static pg_attribute_hot PlannedStmt *lg_planner(LG_PLANNER_HOOK_PARAMS);
static pg_attribute_hot void lg_workload_xact_callback(XactEvent event, void *arg);
static void lg_workload_subxact_callback(SubXactEvent event,
										 SubTransactionId mySubid,
										 SubTransactionId parentSubid, void *arg);
static void lg_publish_count(LgXactCount *c, LgNpoKey *key, bool *locked,
							 TimestampTz *now);
static pg_attribute_hot void lg_count_statement(QueryDesc *queryDesc);
static void lg_take_first_count(void);
static inline bool lg_sample_statement(void);
static int64 lg_sample_gap(double rate);
static void lg_assign_sample_rate(double newval, void *extra);
static void lg_flush_xact_counts(bool record);
static void lg_record_predicates(QueryDesc *queryDesc);
static bool lg_client_statement(void);
static void lg_copy_text(char *dst, const char *src);
static char *lg_normalize_text(const char *source, int location, int len,
							   List **values, int *max_param);
static bool lg_param_set_build(LgParamSet *set, ParamListInfo params,
							   int max_param, List *literals);
static void lg_param_set_keep(LgQueryEntry *q, const LgParamSet *set,
							  double chance, double slot);

PG_FUNCTION_INFO_V1(lifeguard_predicate_stats);
PG_FUNCTION_INFO_V1(lifeguard_workload_queries);
PG_FUNCTION_INFO_V1(lifeguard_n_plus_one);
PG_FUNCTION_INFO_V1(lifeguard_reset_predicate_stats);
PG_FUNCTION_INFO_V1(lifeguard_reset_n_plus_one);

void
lg_workload_init(void)
{
	DefineCustomRealVariable("lifeguard.predicate_sample_rate",
							 "Sets the fraction of client statements whose predicates are recorded.",
							 "Sampled statements run with row counting; 0 turns predicate sampling off.",
							 &lg_predicate_sample_rate,
							 0.01, 0.0, 1.0,
							 PGC_SUSET, 0,
							 NULL, lg_assign_sample_rate, NULL);

	DefineCustomIntVariable("lifeguard.max_predicates",
							"Sets the number of (table, column, operator) predicates tracked.",
							NULL,
							&lg_max_predicates,
							4000, 100, 1000000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.max_workload_queries",
							"Sets the number of sampled statements and of N+1 entries kept.",
							"Each kept statement takes about 2 kB of shared memory: its text and up to 4 sets of parameter values.",
							&lg_max_workload_queries,
							500, 10, 100000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.n_plus_one_threshold",
							"Sets how many runs of one statement in one transaction count as N+1 access.",
							"0 turns N+1 detection off.",
							&lg_n_plus_one_threshold,
							10, 0, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	/* statement identifiers without pg_stat_statements */
	EnableQueryId();

	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = lg_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = lg_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = lg_ExecutorFinish;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = lg_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = lg_ProcessUtility;
	prev_planner = planner_hook;
	planner_hook = lg_planner;

	RegisterXactCallback(lg_workload_xact_callback, NULL);
	RegisterSubXactCallback(lg_workload_subxact_callback, NULL);
}

/*---- Shared memory ----*/

Size
lg_workload_shmem_size(void)
{
	Size		size = MAXALIGN(sizeof(LgWorkloadShared));

	size = add_size(size, hash_estimate_size(lg_max_predicates, sizeof(LgPredEntry)));
	size = add_size(size, hash_estimate_size(lg_max_workload_queries, sizeof(LgQueryEntry)));
	size = add_size(size, hash_estimate_size(lg_max_workload_queries, sizeof(LgNpoEntry)));
	return size;
}

void
lg_workload_shmem_request(void)
{
	RequestAddinShmemSpace(lg_workload_shmem_size());
	RequestNamedLWLockTranche(LG_WORKLOAD_TRANCHE, 1);
}

void
lg_workload_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	lg_wl = ShmemInitStruct("pg_lifeguard workload", sizeof(LgWorkloadShared), &found);
	if (!found)
	{
		memset(lg_wl, 0, sizeof(LgWorkloadShared));
		lg_wl->lock = &(GetNamedLWLockTranche(LG_WORKLOAD_TRANCHE))->lock;
		lg_wl->predicates_reset = GetCurrentTimestamp();
		lg_wl->n_plus_one_reset = lg_wl->predicates_reset;
	}

	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(LgPredKey);
	info.entrysize = sizeof(LgPredEntry);
	lg_pred_hash = lg_ShmemInitHash("pg_lifeguard predicates", lg_max_predicates,
									&info, HASH_ELEM | HASH_BLOBS);
	info.keysize = sizeof(LgQueryKey);
	info.entrysize = sizeof(LgQueryEntry);
	lg_query_hash = lg_ShmemInitHash("pg_lifeguard sampled statements",
									 lg_max_workload_queries,
									 &info, HASH_ELEM | HASH_BLOBS);
	info.keysize = sizeof(LgNpoKey);
	info.entrysize = sizeof(LgNpoEntry);
	lg_npo_hash = lg_ShmemInitHash("pg_lifeguard n_plus_one", lg_max_workload_queries,
								   &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Insert or find an entry; NULL (and one log line, later) when the table
 * is full.  Caller holds lg_wl->lock exclusive.
 */
static void *
lg_wl_enter(HTAB *hash, const void *key, long max, bool *found)
{
	void	   *entry;

	entry = hash_search(hash, key, HASH_FIND, found);
	if (entry)
		return entry;
	if (hash_get_num_entries(hash) >= max)
	{
		lg_wl->dropped++;
		return NULL;
	}
	return hash_search(hash, key, HASH_ENTER_NULL, found);
}

/* Log the first refusal by a full table, outside the lock. */
static void
lg_wl_note_full(void)
{
	bool		log_it = false;

	if (lg_wl->dropped == 0 || lg_wl->full_logged)
		return;
	LWLockAcquire(lg_wl->lock, LW_EXCLUSIVE);
	if (!lg_wl->full_logged)
		log_it = lg_wl->full_logged = true;
	LWLockRelease(lg_wl->lock);
	if (log_it)
		ereport(LOG,
				(errmsg("pg_lifeguard workload table is full, new predicates and statements are not recorded"),
				 errhint("Raise lifeguard.max_predicates or lifeguard.max_workload_queries, or call lifeguard.reset_predicate_stats().")));
}

/*---- Executor hooks ----*/

/*
 * log(u) for u in (0, 1], to within 1e-13, without the math library: a
 * backend's first statement draws a sampling gap, and a call into libm
 * there faults in pages of its code that nothing else on a short
 * connection's path touches.  u = m * 2^-e with m in [0.5, 1], and
 * log(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) with
 * s = (m - 1) / (m + 1) in [-1/3, 0].
 */
static double
lg_log_unit(double u)
{
	int			e = 0;
	double		s;
	double		s2;
	double		term;
	double		sum = 0.0;

	while (u < 0.5)
	{
		u *= 2.0;
		e++;
	}
	s = (u - 1.0) / (u + 1.0);
	s2 = s * s;
	term = s;
	for (int k = 1; k <= 25; k += 2)
	{
		sum += term / k;
		term *= s2;
	}
	return 2.0 * sum - e * M_LN2;
}

/*
 * Assign hook of lifeguard.predicate_sample_rate: the constants of a draw
 * for the new rate (see lg_sample_log_q and lg_sample_first_threshold).
 * Rate 1 gives a threshold of 2^53, above every draw; rate 0 gives 0.
 */
static void
lg_assign_sample_rate(double newval, void *extra)
{
	lg_sample_first_threshold = (uint64) ldexp(newval, 53);
	lg_sample_log_q = (newval > 0.0 && newval < 1.0) ? log1p(-newval) : 0.0;
}

/*
 * Statements up to and including the next sampled one, under "rate": 1 +
 * floor(log(U) / log(1 - rate)) for U uniform in (0, 1], the number of
 * trials up to the first success, each succeeding with probability rate.
 * Rate 0 never samples (the countdown would take centuries to run out).
 */
static int64
lg_sample_gap(double rate)
{
	double		gap;

	if (rate >= 1.0)
		return 1;
	if (rate <= 0.0)
		return PG_INT64_MAX;
	gap = floor(lg_log_unit(1.0 - lg_random_double()) / lg_sample_log_q);
	if (!(gap < (double) (PG_INT64_MAX / 2)))
		return PG_INT64_MAX;
	return (int64) gap + 1;
}

/*
 * The first statement of the backend, or the first since the setting
 * changed: see lg_sample_first_threshold.  Out of line, to keep
 * lg_sample_statement small.
 */
static pg_noinline pg_attribute_hot bool
lg_sample_start(void)
{
	double		rate = lg_predicate_sample_rate;

	if (!lg_sample_first_done)
	{
		lg_sample_first_done = true;
		/* lg_sample_rate_drawn stays unequal: the next statement draws */
		return lg_random_bits53() < lg_sample_first_threshold;
	}
	lg_sample_rate_drawn = rate;
	lg_sample_countdown = lg_sample_gap(rate);
	if (--lg_sample_countdown > 0)
		return false;
	lg_sample_countdown = lg_sample_gap(rate);
	return true;
}

/*
 * Is this client statement sampled?  See lg_sample_countdown.
 */
static inline bool
lg_sample_statement(void)
{
	if (unlikely(lg_sample_rate_drawn != lg_predicate_sample_rate))
		return lg_sample_start();
	if (--lg_sample_countdown > 0)
		return false;
	lg_sample_countdown = lg_sample_gap(lg_sample_rate_drawn);
	return true;
}

/*
 * A statement the client sent: top level, in a client backend, with the
 * shared tables in place.  What the process is cannot change once it runs
 * statements: it is looked up at the first one.
 */
static bool
lg_client_statement(void)
{
	static int	client_process = -1;	/* not known yet */

	if (lg_nesting != 0 || lg_exec_depth != 0)
		return false;
	if (unlikely(client_process < 0))
		client_process = lg_wl != NULL && MyBackendType == B_BACKEND &&
			!IsParallelWorker();
	return client_process;
}

static void
lg_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	bool		sample = false;

	lg_executor_starts++;		/* for recycling (see settings.h) */
	if (lg_client_statement() && !(eflags & EXEC_FLAG_EXPLAIN_ONLY))
	{
		if (lg_n_plus_one_threshold > 0 && queryDesc->plannedstmt->queryId != 0)
			lg_count_statement(queryDesc);
		if (lg_sample_statement())
		{
			queryDesc->instrument_options |= INSTRUMENT_ROWS;
			sample = true;
		}
	}

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if (sample)
	{
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		lg_sampled = lappend(lg_sampled, queryDesc);
		MemoryContextSwitchTo(old);
	}
}

static void
lg_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
			   uint64 count LG_EXECUTOR_RUN_EXTRA_PARAM)
{
	int			save_depth = lg_exec_depth;

	lg_exec_depth++;
	if (prev_ExecutorRun)
		prev_ExecutorRun(queryDesc, direction, count LG_EXECUTOR_RUN_EXTRA_ARG);
	else
		standard_ExecutorRun(queryDesc, direction, count LG_EXECUTOR_RUN_EXTRA_ARG);
	lg_exec_depth = save_depth;
}

static void
lg_ExecutorFinish(QueryDesc *queryDesc)
{
	int			save_depth = lg_exec_depth;

	lg_exec_depth++;
	if (prev_ExecutorFinish)
		prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
	lg_exec_depth = save_depth;
}

/*
 * Parallel workers' row counts reach the leader's plan nodes only when the
 * Gather (Merge) nodes shut down (ExecShutdownNode): ExecutePlan does it
 * when a run ends, but not for a plan that may be run backwards, and
 * nothing guarantees it for a portal ended before its last row.  Shutting
 * the tree down here, as ExecutePlan would, is idempotent (a node already
 * shut down has nothing left to do) and makes the sampled counts the whole
 * plan's, whichever way it ran.  Only plans that ran in parallel mode have
 * workers to wait for.
 */
static void
lg_collect_worker_counts(QueryDesc *queryDesc)
{
	EState	   *estate = queryDesc->estate;
	MemoryContext old;

	if (queryDesc->planstate == NULL || estate == NULL ||
		!queryDesc->plannedstmt->parallelModeNeeded)
		return;
	old = MemoryContextSwitchTo(estate->es_query_cxt);
	(void) ExecShutdownNode(queryDesc->planstate);
	MemoryContextSwitchTo(old);
}

static void
lg_ExecutorEnd(QueryDesc *queryDesc)
{
	if (lg_sampled != NIL && list_member_ptr(lg_sampled, queryDesc))
	{
		lg_sampled = list_delete_ptr(lg_sampled, queryDesc);
		lg_collect_worker_counts(queryDesc);
		lg_record_predicates(queryDesc);
	}

	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

/*
 * Utility commands: everything they run (a DO block's or a procedure's
 * statements, triggers fired by COPY, functions of an index expression)
 * is nested.  EXECUTE and PREPARE are left at the client's level: the
 * prepared statement EXECUTE runs is the client's statement.
 */
static void
lg_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	int			save_nesting = lg_nesting;

	if (!IsA(parsetree, ExecuteStmt) && !IsA(parsetree, PrepareStmt))
		lg_nesting++;
	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		lg_nesting = save_nesting;
	}
	PG_END_TRY();
}

/* Planning: statements a function folded at plan time runs are nested. */
static PlannedStmt *
lg_planner(LG_PLANNER_HOOK_PARAMS)
{
	PlannedStmt *result;
	int			save_nesting = lg_nesting;

	lg_nesting++;
	PG_TRY();
	{
		if (prev_planner)
			result = prev_planner(LG_PLANNER_HOOK_ARGS);
		else
			result = standard_planner(LG_PLANNER_HOOK_ARGS);
	}
	PG_FINALLY();
	{
		lg_nesting = save_nesting;
	}
	PG_END_TRY();
	return result;
}

/*---- N+1: per-transaction counts ----*/

static void
lg_count_statement(QueryDesc *queryDesc)
{
	LgXactCount *c = NULL;
	PlannedStmt *stmt = queryDesc->plannedstmt;

	/* a first statement is only noted (see lg_xact_first) */
	if (lg_xact_nsmall == 0)
	{
		if (lg_xact_first == 0 && lg_n_plus_one_threshold > 1)
		{
			lg_xact_first = stmt->queryId;
			return;
		}
		if (lg_xact_first != 0)
			lg_take_first_count();
	}

	for (int i = 0; i < lg_xact_nsmall; i++)
	{
		if (lg_xact_small[i].queryid == stmt->queryId)
		{
			c = &lg_xact_small[i];
			break;
		}
	}
	if (c == NULL && lg_xact_nsmall < LG_XACT_SMALL)
	{
		c = &lg_xact_small[lg_xact_nsmall++];
		c->queryid = stmt->queryId;
		c->count = 0;
		c->text = NULL;
	}
	if (c == NULL)
	{
		bool		found;

		if (lg_xact_counts == NULL)
		{
			HASHCTL		info;

			memset(&info, 0, sizeof(info));
			info.keysize = sizeof(lg_queryid);
			info.entrysize = sizeof(LgXactCount);
			info.hcxt = TopMemoryContext;
			lg_xact_counts = hash_create("pg_lifeguard statement counts", 64, &info,
										 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		c = hash_search(lg_xact_counts, &stmt->queryId, HASH_ENTER, &found);
		if (!found)
		{
			c->count = 0;
			c->text = NULL;
		}
	}
	c->count++;
	if (c->count == lg_n_plus_one_threshold && c->text == NULL &&
		queryDesc->sourceText != NULL)
	{
		MemoryContext old;

		if (lg_xact_text_cxt == NULL)
			lg_xact_text_cxt = AllocSetContextCreate(TopMemoryContext,
													 "pg_lifeguard statement texts",
													 ALLOCSET_SMALL_SIZES);
		old = MemoryContextSwitchTo(lg_xact_text_cxt);
		c->text = lg_normalize_statement(queryDesc->sourceText,
										 stmt->stmt_location, stmt->stmt_len);
		MemoryContextSwitchTo(old);
	}
}

/*
 * Give the noted first statement its entry, as counting it then made it:
 * the first of the array, count 1, no text (the threshold was above 1).
 */
static void
lg_take_first_count(void)
{
	LgXactCount *c = &lg_xact_small[0];

	Assert(lg_xact_nsmall == 0);
	c->queryid = lg_xact_first;
	c->count = 1;
	c->text = NULL;
	lg_xact_nsmall = 1;
	lg_xact_first = 0;
}

/*
 * Publish one statement's count if it reached the threshold, taking the
 * lock (and the key's fixed part) at the first one.
 */
static void
lg_publish_count(LgXactCount *c, LgNpoKey *key, bool *locked, TimestampTz *now)
{
	LgNpoEntry *e;
	bool		found;

	if (lg_n_plus_one_threshold <= 0 || c->count < lg_n_plus_one_threshold ||
		lg_wl == NULL)
		return;
	if (!*locked)
	{
		memset(key, 0, sizeof(*key));
		key->dbid = MyDatabaseId;
		key->userid = GetUserId();
		if (MyProcPort)
			lg_app_name_key(MyProcPort->application_name, key->app);
		*now = GetCurrentTimestamp();
		LWLockAcquire(lg_wl->lock, LW_EXCLUSIVE);
		*locked = true;
	}
	key->queryid = c->queryid;
	e = lg_wl_enter(lg_npo_hash, key, lg_max_workload_queries, &found);
	if (e)
	{
		if (!found)
		{
			e->transactions = e->calls = e->worst = 0;
			e->first_seen = *now;
			e->text[0] = '\0';
		}
		e->transactions++;
		e->calls += c->count;
		e->worst = Max(e->worst, c->count);
		e->last_seen = *now;
		if (e->text[0] == '\0' && c->text)
			lg_copy_text(e->text, c->text);
	}
}

/*
 * End of a transaction: publish the statements that reached the
 * threshold (when record is set) and forget the counts.  Runs in the
 * commit and abort callbacks, so it must not throw: hash updates only.
 */
static pg_attribute_hot void
lg_flush_xact_counts(bool record)
{
	bool		locked = false;
	TimestampTz now = 0;
	LgNpoKey	key;

	if (lg_xact_first != 0)
	{
		/* its one run reaches a threshold lowered to 1 since */
		if (lg_n_plus_one_threshold == 1)
			lg_take_first_count();
		else
			lg_xact_first = 0;
	}
	if (lg_xact_nsmall == 0)
		return;					/* the array fills before the hash table */
	if (record)
	{
		for (int i = 0; i < lg_xact_nsmall; i++)
			lg_publish_count(&lg_xact_small[i], &key, &locked, &now);
	}
	lg_xact_nsmall = 0;
	if (lg_xact_counts != NULL && hash_get_num_entries(lg_xact_counts) > 0)
	{
		HASH_SEQ_STATUS seq;
		LgXactCount *c;

		hash_seq_init(&seq, lg_xact_counts);
		while ((c = hash_seq_search(&seq)) != NULL)
		{
			if (record)
				lg_publish_count(c, &key, &locked, &now);
			(void) hash_search(lg_xact_counts, &c->queryid, HASH_REMOVE, NULL);
		}
	}
	if (locked)
		LWLockRelease(lg_wl->lock);
	if (lg_xact_text_cxt != NULL)
		MemoryContextReset(lg_xact_text_cxt);
}

static void
lg_workload_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			lg_flush_xact_counts(true);
			lg_sampled = NIL;	/* its memory went with the transaction */
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			lg_flush_xact_counts(true);
			lg_sampled = NIL;
			/* lg_nesting is restored by the frames that raised it */
			lg_exec_depth = 0;
			break;
		default:
			break;
	}
}

/*
 * Subtransactions remember the executor depth they started at; an abort
 * (an error caught by an exception block) restores it.
 */
static void
lg_workload_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
							 SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	switch (event)
	{
		case SUBXACT_EVENT_START_SUB:
			if (level >= lg_sub_depth_size)
			{
				/* no error here, inside StartSubTransaction: grow or skip */
				int			newsize = Max(16, level * 2);
				int		   *grown;

				grown = MemoryContextAllocExtended(TopMemoryContext,
												   newsize * sizeof(int),
												   MCXT_ALLOC_NO_OOM);
				if (grown == NULL)
					break;		/* this level's abort restores nothing */
				if (lg_sub_depth != NULL)
				{
					memcpy(grown, lg_sub_depth, lg_sub_depth_size * sizeof(int));
					pfree(lg_sub_depth);
				}
				lg_sub_depth = grown;
				lg_sub_depth_size = newsize;
			}
			lg_sub_depth[level] = lg_exec_depth;
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			if (level < lg_sub_depth_size)
				lg_exec_depth = lg_sub_depth[level];
			break;
		default:
			break;
	}
}

/*---- Predicates of a sampled plan ----*/

/* One predicate occurrence found in the plan, before it is published. */
typedef struct LgPredHit
{
	LgPredKey	key;
	bool		indexed;
	bool		join;
	double		rows_scanned;
	double		rows_filtered;
} LgPredHit;

typedef struct LgWalkContext
{
	EState	   *estate;
	List	   *hits;			/* of LgPredHit * */
	double		rows_scanned;	/* summed over filtered scans */
	double		rows_filtered;
} LgWalkContext;

static Node *
lg_strip(Node *n)
{
	while (n && IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	return n;
}

/*
 * Follow a Var of a plan node down to the table column it reads: OUTER_VAR
 * and INNER_VAR through the children's target lists, INDEX_VAR through an
 * index-only scan's index target list, scan Vars through the range table.
 */
static bool
lg_resolve_var(Plan *plan, Var *var, EState *estate, Oid *relid, AttrNumber *attnum)
{
	for (int depth = 0; plan != NULL && depth < 64; depth++)
	{
		Plan	   *child;
		TargetEntry *tle;
		Node	   *expr;

		if (var->varno == OUTER_VAR)
			child = outerPlan(plan);
		else if (var->varno == INNER_VAR)
			child = innerPlan(plan);
		else if (var->varno == INDEX_VAR)
		{
			if (!IsA(plan, IndexOnlyScan))
				return false;
			tle = list_nth_node(TargetEntry, ((IndexOnlyScan *) plan)->indextlist,
								var->varattno - 1);
			expr = lg_strip((Node *) tle->expr);
			if (!IsA(expr, Var))
				return false;
			var = (Var *) expr;
			continue;
		}
		else
		{
			RangeTblEntry *rte;

			if (var->varattno <= 0 || var->varlevelsup != 0 ||
				var->varno > list_length(estate->es_range_table))
				return false;
			rte = exec_rt_fetch(var->varno, estate);
			if (rte->rtekind != RTE_RELATION)
				return false;
			*relid = rte->relid;
			*attnum = var->varattno;
			return true;
		}

		/* Append, MergeAppend and the like have no single child */
		if (child == NULL || var->varattno <= 0 ||
			var->varattno > list_length(child->targetlist))
			return false;
		tle = list_nth_node(TargetEntry, child->targetlist, var->varattno - 1);
		expr = lg_strip((Node *) tle->expr);
		if (!IsA(expr, Var))
			return false;
		var = (Var *) expr;
		plan = child;
	}
	return false;
}

static void
lg_add_hit(LgWalkContext *cx, Oid relid, AttrNumber attnum, Oid opno,
		   bool indexed, bool join, double scanned, double filtered)
{
	LgPredHit  *h = palloc0(sizeof(LgPredHit));

	h->key.dbid = MyDatabaseId;
	h->key.relid = relid;
	h->key.opno = opno;
	h->key.attnum = attnum;
	h->indexed = indexed;
	h->join = join;
	h->rows_scanned = scanned;
	h->rows_filtered = filtered;
	cx->hits = lappend(cx->hits, h);
}

/* Record the simple predicates of one qual list of plan node "plan". */
static void
lg_scan_quals(LgWalkContext *cx, Plan *plan, List *quals, bool indexed,
			  bool join, double scanned, double filtered)
{
	ListCell   *lc;

	foreach(lc, quals)
	{
		Node	   *q = lg_strip(lfirst(lc));
		Node	   *l = NULL,
				   *r = NULL;
		Oid			opno = InvalidOid;
		Oid			relid;
		AttrNumber	attnum;

		if (IsA(q, OpExpr) && list_length(((OpExpr *) q)->args) == 2)
		{
			opno = ((OpExpr *) q)->opno;
			l = lg_strip(linitial(((OpExpr *) q)->args));
			r = lg_strip(lsecond(((OpExpr *) q)->args));
		}
		else if (IsA(q, ScalarArrayOpExpr))
		{
			opno = ((ScalarArrayOpExpr *) q)->opno;
			l = lg_strip(linitial(((ScalarArrayOpExpr *) q)->args));
		}
		else if (is_andclause(q))
		{
			lg_scan_quals(cx, plan, ((BoolExpr *) q)->args, indexed, join,
						  scanned, filtered);
			continue;
		}
		else
			continue;

		if (l && IsA(l, Var) &&
			lg_resolve_var(plan, (Var *) l, cx->estate, &relid, &attnum))
			lg_add_hit(cx, relid, attnum, opno, indexed, join, scanned, filtered);
		if (r && IsA(r, Var) &&
			lg_resolve_var(plan, (Var *) r, cx->estate, &relid, &attnum))
		{
			Oid			commuted = get_commutator(opno);

			lg_add_hit(cx, relid, attnum, OidIsValid(commuted) ? commuted : opno,
					   indexed, join, scanned, filtered);
		}
	}
}

static bool
lg_plan_walker(PlanState *ps, void *context)
{
	LgWalkContext *cx = (LgWalkContext *) context;
	Plan	   *plan = ps->plan;
	lg_node_instrumentation *instr = ps->instrument;
	double		rows = 0,
				filtered = 0;

	if (instr)
	{
		InstrEndLoop(instr);
		rows = instr->ntuples;
		filtered = instr->nfiltered1;
	}

	/*
	 * Rows a scan's filter threw away make the statement worth advising on,
	 * whatever the scan: a sequential scan, or an index scan that reads
	 * many rows to keep a few (a backward primary-key scan for ORDER BY id
	 * DESC LIMIT with a filter on another column).
	 */
	switch (nodeTag(plan))
	{
		case T_SeqScan:
		case T_SampleScan:
		case T_TidScan:
		case T_TidRangeScan:
		case T_IndexScan:
		case T_IndexOnlyScan:
		case T_BitmapHeapScan:
			if (plan->qual != NIL && filtered > 0)
			{
				cx->rows_scanned += rows + filtered;
				cx->rows_filtered += filtered;
			}
			break;
		default:
			break;
	}

	switch (nodeTag(plan))
	{
		case T_SeqScan:
		case T_SampleScan:
		case T_TidScan:
		case T_TidRangeScan:
			lg_scan_quals(cx, plan, plan->qual, false, false, rows + filtered, filtered);
			break;
		case T_IndexScan:
			lg_scan_quals(cx, plan, ((IndexScan *) plan)->indexqualorig, true, false,
						  rows + filtered, 0);
			lg_scan_quals(cx, plan, plan->qual, false, false, rows + filtered, filtered);
			break;
		case T_IndexOnlyScan:
			lg_scan_quals(cx, plan, ((IndexOnlyScan *) plan)->indexqual, true, false,
						  rows + filtered, 0);
			lg_scan_quals(cx, plan, plan->qual, false, false, rows + filtered, filtered);
			break;
		case T_BitmapHeapScan:
			lg_scan_quals(cx, plan, ((BitmapHeapScan *) plan)->bitmapqualorig, true,
						  false, rows + filtered, 0);
			lg_scan_quals(cx, plan, plan->qual, false, false, rows + filtered, filtered);
			break;
		case T_NestLoop:
		case T_MergeJoin:
		case T_HashJoin:
			if (IsA(plan, MergeJoin))
				lg_scan_quals(cx, plan, ((MergeJoin *) plan)->mergeclauses, false,
							  true, rows, 0);
			if (IsA(plan, HashJoin))
				lg_scan_quals(cx, plan, ((HashJoin *) plan)->hashclauses, false,
							  true, rows, 0);
			lg_scan_quals(cx, plan, ((Join *) plan)->joinqual, false, true, rows, 0);
			break;
		default:
			break;
	}
	return planstate_tree_walker(ps, lg_plan_walker, context);
}

/*
 * A sampled statement ended: record its predicates.  Errors here must not
 * fail the user's statement, and the work is bounded by the plan's size.
 */
static void
lg_record_predicates(QueryDesc *queryDesc)
{
	LgWalkContext cx;
	ListCell   *lc;
	TimestampTz now;
	char	   *text = NULL;
	Oid			path[LG_SEARCH_PATH_MAX];
	int			npath = 0;
	LgParamSet *set = NULL;
	double		chance = 0,
				slot = 0;
	MemoryContext cxt,
				old;

	if (queryDesc->planstate == NULL || lg_wl == NULL)
		return;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_lifeguard predicates",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);

	memset(&cx, 0, sizeof(cx));
	cx.estate = queryDesc->estate;
	(void) lg_plan_walker(queryDesc->planstate, &cx);

	if (cx.rows_filtered > 0 && queryDesc->plannedstmt->queryId != 0 &&
		queryDesc->sourceText != NULL)
	{
		List	   *literals = NIL;
		int			max_param = 0;

		text = lg_normalize_text(queryDesc->sourceText,
								 queryDesc->plannedstmt->stmt_location,
								 queryDesc->plannedstmt->stmt_len,
								 &literals, &max_param);
		/* the schemas it resolved names in, to plan it the same way */
		npath = Min(fetch_search_path_array(path, LG_SEARCH_PATH_MAX),
					LG_SEARCH_PATH_MAX);

		/*
		 * The values of its $n as it ran: bound parameters, then the
		 * literals the normaliser replaced.  Made before the lock is taken
		 * (output functions run here); the dice for the reservoir too.
		 */
		set = palloc(sizeof(LgParamSet));
		if (lg_param_set_build(set, queryDesc->params, max_param, literals))
		{
			chance = lg_random_double();
			slot = lg_random_double();
		}
		else
			set = NULL;
	}

	if (cx.hits != NIL || text != NULL)
	{
		now = GetCurrentTimestamp();
		LWLockAcquire(lg_wl->lock, LW_EXCLUSIVE);
		foreach(lc, cx.hits)
		{
			LgPredHit  *h = lfirst(lc);
			LgPredEntry *e;
			bool		found;

			e = lg_wl_enter(lg_pred_hash, &h->key, lg_max_predicates, &found);
			if (e == NULL)
				continue;
			if (!found)
			{
				e->executions = e->index_executions = e->join_executions = 0;
				e->rows_scanned = e->rows_filtered = 0;
			}
			e->executions++;
			if (h->indexed)
				e->index_executions++;
			if (h->join)
				e->join_executions++;
			e->rows_scanned += h->rows_scanned;
			e->rows_filtered += h->rows_filtered;
			e->last_seen = now;
		}
		if (text != NULL)
		{
			LgQueryKey	key;
			LgQueryEntry *q;
			bool		found;

			memset(&key, 0, sizeof(key));
			key.dbid = MyDatabaseId;
			key.userid = GetUserId();
			key.queryid = queryDesc->plannedstmt->queryId;
			q = lg_wl_enter(lg_query_hash, &key, lg_max_workload_queries, &found);
			if (q)
			{
				if (!found)
				{
					q->samples = 0;
					q->rows_scanned = q->rows_filtered = 0;
					lg_copy_text(q->text, text);
					q->npath = npath;
					memcpy(q->path, path, sizeof(Oid) * npath);
					q->nseen = 0;
					q->nsets = 0;
				}
				q->samples++;
				if (set != NULL)
					lg_param_set_keep(q, set, chance, slot);
				q->rows_scanned += cx.rows_scanned;
				q->rows_filtered += cx.rows_filtered;
				q->last_seen = now;
			}
		}
		LWLockRelease(lg_wl->lock);
		lg_wl_note_full();
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* Copy a text into a fixed shared buffer, cut on a character boundary. */
static void
lg_copy_text(char *dst, const char *src)
{
	int			len = strlen(src);

	if (len >= LG_QUERY_TEXT_MAX)
		len = pg_mbcliplen(src, len, LG_QUERY_TEXT_MAX - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*---- Parameter values as seen ----*/

/*
 * Append one value to a set: a tag, and for a value its text and a NUL.
 * A value that does not fit is kept as unknown; false when not even that
 * fits (the set then ends: later parameters count as unknown).
 */
static bool
lg_param_set_add(LgParamSet *set, char tag, const char *value)
{
	int			need = 1 + ((tag == LG_PARAM_VALUE) ? strlen(value) + 1 : 0);

	if (tag == LG_PARAM_VALUE &&
		(strlen(value) >= LG_PARAM_VALUE_MAX || set->len + need > LG_PARAM_SET_BYTES))
	{
		tag = LG_PARAM_UNKNOWN;
		need = 1;
	}
	if (set->len + need > LG_PARAM_SET_BYTES)
		return false;
	set->data[set->len] = tag;
	if (tag == LG_PARAM_VALUE)
		memcpy(set->data + set->len + 1, value, need - 1);
	set->len += need;
	set->nvalues++;
	return true;
}

/*
 * A bound parameter's value as text, through its type's output function
 * when that function is built in (so that it cannot fail or run user
 * code here, at the end of the user's statement), and short.
 */
static void
lg_param_set_add_datum(LgParamSet *set, ParamExternData *prm)
{
	Oid			typoutput;
	bool		varlena;
	Oid			elem;
	char		typtype;

	if (prm->isnull)
	{
		(void) lg_param_set_add(set, LG_PARAM_NULL, NULL);
		return;
	}
	if (!OidIsValid(prm->ptype))
	{
		(void) lg_param_set_add(set, LG_PARAM_UNKNOWN, NULL);
		return;
	}
	getTypeOutputInfo(prm->ptype, &typoutput, &varlena);
	typtype = get_typtype(getBaseType(prm->ptype));
	elem = get_element_type(prm->ptype);
	if (typoutput >= FirstGenbkiObjectId ||
		typtype == TYPTYPE_COMPOSITE || typtype == TYPTYPE_PSEUDO ||
		(OidIsValid(elem) && get_typtype(getBaseType(elem)) != TYPTYPE_BASE &&
		 get_typtype(getBaseType(elem)) != TYPTYPE_ENUM) ||
		(varlena && toast_raw_datum_size(prm->value) > LG_PARAM_VALUE_MAX + VARHDRSZ))
	{
		(void) lg_param_set_add(set, LG_PARAM_UNKNOWN, NULL);
		return;
	}
	if (OidIsValid(elem))
	{
		Oid			elemout;
		bool		elemvarlena;

		getTypeOutputInfo(elem, &elemout, &elemvarlena);
		if (elemout >= FirstGenbkiObjectId)
		{
			(void) lg_param_set_add(set, LG_PARAM_UNKNOWN, NULL);
			return;
		}
	}
	(void) lg_param_set_add(set, LG_PARAM_VALUE,
							OidOutputFunctionCall(typoutput, prm->value));
}

/*
 * The values a run gave the $n of its normalised text: $1..$max_param
 * from the bound parameters (extended protocol, EXECUTE), then the
 * literals the normaliser replaced, in their order.  False when there
 * are none.
 */
static bool
lg_param_set_build(LgParamSet *set, ParamListInfo params, int max_param,
				   List *literals)
{
	ListCell   *lc;

	memset(set, 0, sizeof(LgParamSet));
	set->count = 1;
	for (int i = 0; i < max_param; i++)
	{
		if (params == NULL || params->paramFetch != NULL || i >= params->numParams)
		{
			if (!lg_param_set_add(set, LG_PARAM_UNKNOWN, NULL))
				break;
		}
		else
			lg_param_set_add_datum(set, &params->params[i]);
	}
	foreach(lc, literals)
	{
		const char *v = lfirst(lc);

		if (!lg_param_set_add(set, v[0], v + 1))
			break;
	}
	return set->nvalues > 0;
}

/*
 * Keep a run's parameter set in a statement's entry: a uniform sample of
 * the runs (reservoir sampling: the n-th run replaces a random set with
 * chance LG_PARAM_SETS / n), a set seen again counting once more, so
 * the sets stay in proportion to how often the application sends them.
 * chance and slot are uniform in [0, 1), drawn before the lock.  Caller
 * holds lg_wl->lock exclusive.
 */
static void
lg_param_set_keep(LgQueryEntry *q, const LgParamSet *set, double chance,
				  double slot)
{
	q->nseen++;
	for (int i = 0; i < q->nsets; i++)
	{
		LgParamSet *s = &q->sets[i];

		if (s->len == set->len && s->nvalues == set->nvalues &&
			memcmp(s->data, set->data, set->len) == 0)
		{
			if (s->count < PG_INT32_MAX)
				s->count++;
			return;
		}
	}
	if (q->nsets < LG_PARAM_SETS)
		q->sets[q->nsets++] = *set;
	else if (chance * q->nseen < LG_PARAM_SETS)
		q->sets[Min((int) (slot * LG_PARAM_SETS), LG_PARAM_SETS - 1)] = *set;
}

/*---- Normalising statement texts ----*/

typedef struct LgConstScan
{
	List	   *locations;		/* of int: where each literal starts */
	int			max_param;		/* highest $n already in the text */
	/* typed literals (interval '1 day'): literal start, type name start */
	List	   *typed_literals;
	List	   *typed_names;
} LgConstScan;

static bool
lg_const_walker(Node *node, void *context)
{
	LgConstScan *cs = (LgConstScan *) context;

	if (node == NULL)
		return false;
	if (IsA(node, A_Const))
	{
		if (((A_Const *) node)->location >= 0)
			cs->locations = lappend_int(cs->locations, ((A_Const *) node)->location);
		return false;
	}
	if (IsA(node, ParamRef))
		cs->max_param = Max(cs->max_param, ((ParamRef *) node)->number);
	/*
	 * A typed literal, type 'text', is a cast with no location of its own
	 * whose type name comes right before the string: it becomes $n::type,
	 * so the normalised text can be planned again.
	 */
	if (IsA(node, TypeCast) && ((TypeCast *) node)->location < 0 &&
		((TypeCast *) node)->arg && IsA(((TypeCast *) node)->arg, A_Const) &&
		((TypeCast *) node)->typeName->location >= 0 &&
		((TypeCast *) node)->typeName->location < ((A_Const *) ((TypeCast *) node)->arg)->location)
	{
		cs->typed_literals = lappend_int(cs->typed_literals,
										 ((A_Const *) ((TypeCast *) node)->arg)->location);
		cs->typed_names = lappend_int(cs->typed_names,
									  ((TypeCast *) node)->typeName->location);
	}
	/* a type name's modifiers, as in varchar(10), are not values */
	if (IsA(node, TypeName))
		return false;
	return raw_expression_tree_walker(node, lg_const_walker, context);
}

static int
lg_cmp_int(const ListCell *a, const ListCell *b)
{
	int			x = lfirst_int(a),
				y = lfirst_int(b);

	return (x > y) - (x < y);
}

/* One statement to normalise, and its result buffer. */
typedef struct LgNormalize
{
	const char *stmt;
	int			len;
	char	   *result;			/* LG_QUERY_TEXT_MAX bytes */
	bool		want_values;
	List	   *values;			/* of char *: each replaced literal, tagged */
	int			max_param;		/* highest $n the text had */
} LgNormalize;

/* Does the literal at p have a string's text (yylval.str) as its value? */
static bool
lg_string_literal(const char *p)
{
	if (p[0] == '\'' || p[0] == '$')
		return true;
	return (p[0] == 'E' || p[0] == 'e' || p[0] == 'B' || p[0] == 'b' ||
			p[0] == 'X' || p[0] == 'x') && p[1] == '\'';
}

/*
 * A replaced literal's value, tagged as in LgParamSet: a string's text as
 * the scanner read it (escapes resolved; b'..' and x'..' keep the letter
 * that bit input reads), a number as written, true, false or NULL;
 * anything else unknown.
 */
static char *
lg_literal_value(const char *stmt, int start, int end, bool neg, const char *sval)
{
	char	   *word;

	if (sval != NULL)
		return psprintf("%c%s", LG_PARAM_VALUE, sval);
	word = pnstrdup(stmt + start, end - start);
	if (isdigit((unsigned char) word[0]) || word[0] == '.')
		return psprintf("%c%s%s", LG_PARAM_VALUE, neg ? "-" : "", word);
	if (!neg && pg_strcasecmp(word, "true") == 0)
		return psprintf("%ctrue", LG_PARAM_VALUE);
	if (!neg && pg_strcasecmp(word, "false") == 0)
		return psprintf("%cfalse", LG_PARAM_VALUE);
	if (!neg && pg_strcasecmp(word, "null") == 0)
		return psprintf("%c", LG_PARAM_NULL);
	return psprintf("%c", LG_PARAM_UNKNOWN);
}

/*
 * Literal locations from the raw parse tree (no catalog access), then
 * each literal's extent from the scanner: from its first token (a minus
 * sign makes two) to the start of the next token, less blanks.
 */
static void
lg_normalize(void *arg)
{
	LgNormalize *norm = (LgNormalize *) arg;
	const char *stmt = norm->stmt;
	int			len = norm->len;
	List	   *raw;
	LgConstScan cs = {NIL, 0, NIL, NIL};
	core_yyscan_t scanner;
	core_yy_extra_type extra;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	StringInfoData out;
	ListCell   *lc;
	int			copied = 0;
	int			n;
	int			tok;

	raw = raw_parser(stmt, RAW_PARSE_DEFAULT);
	foreach(lc, raw)
		(void) raw_expression_tree_walker(lfirst_node(RawStmt, lc)->stmt,
										  lg_const_walker, &cs);
	list_sort(cs.locations, lg_cmp_int);

	initStringInfo(&out);
	n = cs.max_param;
	scanner = scanner_init(stmt, &extra, &ScanKeywords, ScanKeywordTokens);
	tok = core_yylex(&yylval, &yylloc, scanner);
	foreach(lc, cs.locations)
	{
		int			loc = lfirst_int(lc);
		int			end;
		int			vstart = loc;
		bool		neg = false;
		char	   *sval = NULL;

		while (tok != 0 && yylloc < loc)
			tok = core_yylex(&yylval, &yylloc, scanner);
		if (tok == 0 || yylloc != loc || loc < copied)
			continue;
		if (tok == '-')
		{
			neg = true;
			tok = core_yylex(&yylval, &yylloc, scanner);
			vstart = yylloc;
		}
		if (norm->want_values && tok != 0 && lg_string_literal(stmt + vstart))
			sval = pstrdup(yylval.str);
		tok = core_yylex(&yylval, &yylloc, scanner);
		end = (tok == 0) ? len : yylloc;
		while (end > loc && scanner_isspace(stmt[end - 1]))
			end--;
		if (norm->want_values)
			norm->values = lappend(norm->values,
								   lg_literal_value(stmt, vstart, Max(end, vstart),
													neg, sval));
		{
			int			tstart = loc;
			ListCell   *tl,
					   *tn;

			forboth(tl, cs.typed_literals, tn, cs.typed_names)
				if (lfirst_int(tl) == loc)
					tstart = lfirst_int(tn);

			if (tstart < copied)
				tstart = loc;
			appendBinaryStringInfo(&out, stmt + copied, tstart - copied);
			appendStringInfo(&out, "$%d", ++n);
			if (tstart < loc)
			{
				int			tend = loc;

				while (tend > tstart && scanner_isspace(stmt[tend - 1]))
					tend--;
				appendStringInfoString(&out, "::");
				appendBinaryStringInfo(&out, stmt + tstart, tend - tstart);
			}
		}
		copied = end;
	}
	scanner_finish(scanner);
	appendStringInfoString(&out, stmt + copied);
	lg_copy_text(norm->result, out.data);
	norm->max_param = cs.max_param;
}

char *
lg_normalize_statement(const char *source, int location, int len)
{
	return lg_normalize_text(source, location, len, NULL, NULL);
}

/*
 * lg_normalize_statement, and when values is given, the values of the
 * literals it replaced (tagged as in LgParamSet) and the highest $n the
 * text already had; none when the text could not be normalised.
 */
static char *
lg_normalize_text(const char *source, int location, int len, List **values,
				  int *max_param)
{
	LgNormalize n;
	int			srclen = strlen(source);

	if (location < 0 || location > srclen)
	{
		location = 0;
		len = 0;
	}
	if (len <= 0 || len > srclen - location)
		len = srclen - location;
	n.stmt = pnstrdup(source + location, len);
	n.len = len;
	n.result = palloc(LG_QUERY_TEXT_MAX);
	n.want_values = (values != NULL);
	n.values = NIL;
	n.max_param = 0;

	/*
	 * Raw parsing only, so no subtransaction.  Text this parser does not
	 * read is kept as given; cancel and resource errors still end the
	 * statement.
	 */
	if (lg_run_guarded(lg_normalize, &n, 0) != NULL)
	{
		lg_copy_text(n.result, n.stmt);
		n.values = NIL;
		n.max_param = 0;
	}
	if (values != NULL)
	{
		*values = n.values;
		*max_param = n.max_param;
	}
	return n.result;
}

/*---- SQL-callable functions ----*/

static bool
lg_may_read_text(Oid userid)
{
	Oid			me = GetUserId();

	return me == userid || has_privs_of_role(me, ROLE_PG_READ_ALL_STATS) ||
		has_privs_of_role(me, userid);
}

static void
lg_check_workload_ready(void)
{
	if (lg_wl == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_lifeguard must be loaded via shared_preload_libraries")));
}

LgSampledLookup
lg_workload_statement(Oid userid, int64 queryid, LgSampledStatement *out)
{
	LgQueryKey	key;
	LgQueryEntry *e;
	bool		found = false;

	lg_check_workload_ready();
	if (!lg_may_read_text(userid))
		return LG_SAMPLED_HIDDEN;

	memset(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	key.userid = userid;
	key.queryid = (lg_queryid) queryid;
	LWLockAcquire(lg_wl->lock, LW_SHARED);
	e = hash_search(lg_query_hash, &key, HASH_FIND, NULL);
	if (e != NULL)
	{
		found = true;
		memcpy(out->text, e->text, LG_QUERY_TEXT_MAX);
		out->npath = e->npath;
		memcpy(out->path, e->path, sizeof(Oid) * LG_SEARCH_PATH_MAX);
		out->nsets = e->nsets;
		memcpy(out->sets, e->sets, sizeof(LgParamSet) * e->nsets);
	}
	LWLockRelease(lg_wl->lock);
	return found ? LG_SAMPLED_FOUND : LG_SAMPLED_GONE;
}

bool
lg_workload_own_statement(const char *text, LgSampledStatement *out)
{
	HASH_SEQ_STATUS seq;
	LgQueryEntry *e;
	Oid			me = GetUserId();
	bool		found = false;

	if (lg_wl == NULL || strchr(text, '$') == NULL)
		return false;
	LWLockAcquire(lg_wl->lock, LW_SHARED);
	hash_seq_init(&seq, lg_query_hash);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (e->key.dbid != MyDatabaseId || e->key.userid != me ||
			e->nsets == 0 || strcmp(e->text, text) != 0)
			continue;
		memcpy(out->text, e->text, LG_QUERY_TEXT_MAX);
		out->npath = e->npath;
		memcpy(out->path, e->path, sizeof(Oid) * LG_SEARCH_PATH_MAX);
		out->nsets = e->nsets;
		memcpy(out->sets, e->sets, sizeof(LgParamSet) * e->nsets);
		found = true;
		hash_seq_term(&seq);
		break;
	}
	LWLockRelease(lg_wl->lock);
	return found;
}

/*
 * A local copy of every entry of a shared table, taken under the shared
 * lock; the copy is allocated before the lock is taken, so entries added
 * in between are left for the next call.
 */
static void *
lg_copy_entries(HTAB *hash, Size entrysize, long *n)
{
	HASH_SEQ_STATUS seq;
	char	   *copy;
	void	   *e;
	long		cap;

	LWLockAcquire(lg_wl->lock, LW_SHARED);
	cap = hash_get_num_entries(hash);
	LWLockRelease(lg_wl->lock);
	copy = palloc(entrysize * (cap + 1));

	*n = 0;
	LWLockAcquire(lg_wl->lock, LW_SHARED);
	hash_seq_init(&seq, hash);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (*n >= cap)
		{
			hash_seq_term(&seq);
			break;
		}
		memcpy(copy + entrysize * (*n)++, e, entrysize);
	}
	LWLockRelease(lg_wl->lock);
	return copy;
}

/*
 * lifeguard.predicate_stats(): one row per tracked predicate (raw OIDs;
 * the view resolves names in the current database).
 */
Datum
lifeguard_predicate_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LgPredEntry *e;
	LgPredEntry *copy;
	long		n;

	lg_check_workload_ready();
	InitMaterializedSRF(fcinfo, 0);

	copy = lg_copy_entries(lg_pred_hash, sizeof(LgPredEntry), &n);

	for (long i = 0; i < n; i++)
	{
		Datum		values[10];
		bool		nulls[10] = {0};

		e = &copy[i];
		values[0] = ObjectIdGetDatum(e->key.dbid);
		values[1] = ObjectIdGetDatum(e->key.relid);
		values[2] = Int16GetDatum((int16) e->key.attnum);
		values[3] = ObjectIdGetDatum(e->key.opno);
		values[4] = Int64GetDatum(e->executions);
		values[5] = Int64GetDatum(e->index_executions);
		values[6] = Int64GetDatum(e->join_executions);
		values[7] = Float8GetDatum(e->rows_scanned);
		values[8] = Float8GetDatum(e->rows_filtered);
		values[9] = TimestampTzGetDatum(e->last_seen);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * lifeguard.workload_queries(): sampled statements whose filters removed
 * rows; text shown under pg_stat_statements' rule.
 */
Datum
lifeguard_workload_queries(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LgQueryEntry *e;
	LgQueryEntry *copy;
	long		n;

	lg_check_workload_ready();
	InitMaterializedSRF(fcinfo, 0);

	copy = lg_copy_entries(lg_query_hash, sizeof(LgQueryEntry), &n);

	for (long i = 0; i < n; i++)
	{
		Datum		values[8];
		bool		nulls[8] = {0};

		e = &copy[i];
		values[0] = ObjectIdGetDatum(e->key.dbid);
		values[1] = ObjectIdGetDatum(e->key.userid);
		values[2] = Int64GetDatum((int64) e->key.queryid);
		values[3] = Int64GetDatum(e->samples);
		values[4] = Float8GetDatum(e->rows_scanned);
		values[5] = Float8GetDatum(e->rows_filtered);
		values[6] = TimestampTzGetDatum(e->last_seen);
		if (lg_may_read_text(e->key.userid))
			values[7] = CStringGetTextDatum(e->text);
		else
			values[7] = CStringGetTextDatum("<insufficient privilege>");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* lifeguard.n_plus_one(): statements run many times per transaction. */
Datum
lifeguard_n_plus_one(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LgNpoEntry *e;
	LgNpoEntry *copy;
	long		n;

	lg_check_workload_ready();
	InitMaterializedSRF(fcinfo, 0);

	copy = lg_copy_entries(lg_npo_hash, sizeof(LgNpoEntry), &n);

	for (long i = 0; i < n; i++)
	{
		Datum		values[10];
		bool		nulls[10] = {0};

		e = &copy[i];
		values[0] = ObjectIdGetDatum(e->key.dbid);
		values[1] = ObjectIdGetDatum(e->key.userid);
		values[2] = CStringGetTextDatum(e->key.app);
		values[3] = Int64GetDatum((int64) e->key.queryid);
		values[4] = Int64GetDatum(e->transactions);
		values[5] = Int64GetDatum(e->calls);
		values[6] = Int64GetDatum(e->worst);
		values[7] = TimestampTzGetDatum(e->first_seen);
		values[8] = TimestampTzGetDatum(e->last_seen);
		if (lg_may_read_text(e->key.userid))
			values[9] = CStringGetTextDatum(e->text);
		else
			values[9] = CStringGetTextDatum("<insufficient privilege>");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static void
lg_hash_clear(HTAB *hash)
{
	HASH_SEQ_STATUS seq;
	void	   *e;

	hash_seq_init(&seq, hash);
	while ((e = hash_seq_search(&seq)) != NULL)
		(void) hash_search(hash, e, HASH_REMOVE, NULL);
}

/* lifeguard.reset_predicate_stats(): forget predicates and statements. */
Datum
lifeguard_reset_predicate_stats(PG_FUNCTION_ARGS)
{
	lg_check_workload_ready();
	LWLockAcquire(lg_wl->lock, LW_EXCLUSIVE);
	lg_hash_clear(lg_pred_hash);
	lg_hash_clear(lg_query_hash);
	lg_wl->predicates_reset = GetCurrentTimestamp();
	lg_wl->dropped = 0;
	lg_wl->full_logged = false;
	LWLockRelease(lg_wl->lock);
	PG_RETURN_VOID();
}

/* lifeguard.reset_n_plus_one(): forget N+1 findings. */
Datum
lifeguard_reset_n_plus_one(PG_FUNCTION_ARGS)
{
	lg_check_workload_ready();
	LWLockAcquire(lg_wl->lock, LW_EXCLUSIVE);
	lg_hash_clear(lg_npo_hash);
	lg_wl->n_plus_one_reset = GetCurrentTimestamp();
	LWLockRelease(lg_wl->lock);
	PG_RETURN_VOID();
}
