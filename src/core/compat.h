/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every PostgreSQL version difference pg_lifeguard cares about.
 *
 * The rest of the tree never tests PG_VERSION_NUM: it uses the names
 * defined here.  Supported: PostgreSQL 14 to 19.  Functions that newer
 * releases provide and older ones lack are backported in compat.c.
 *
 * src/core/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_COMPAT_H
#define PG_LIFEGUARD_COMPAT_H

#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/backend_status.h"

#if PG_VERSION_NUM < 140000
#error "pg_lifeguard requires PostgreSQL 14 or later"
#endif

/*
 * Index of the current process's PGPROC in ProcGlobal->allProcs; client
 * backends always get an index below MaxBackends.
 */
#if PG_VERSION_NUM >= 170000
#include "storage/procnumber.h"
#define LG_MY_PROC_INDEX()		((int) MyProcNumber)
#define LG_PROC_BY_INDEX(i)		GetPGProcByNumber(i)
#else
#define LG_MY_PROC_INDEX()		(MyProc->pgprocno)
#define LG_PROC_BY_INDEX(i)		(&ProcGlobal->allProcs[(i)])
#endif

/* 18 shows connecting backends in the status array with STATE_STARTING. */
#if PG_VERSION_NUM >= 180000
#define LG_STATE_IS_STARTING(st)	((st) == STATE_STARTING)
#else
#define LG_STATE_IS_STARTING(st)	false
#endif

/* Shared hash tables: 19 dropped the separate initial size. */
#if PG_VERSION_NUM >= 190000
#define lg_ShmemInitHash(name, size, info, flags) \
	ShmemInitHash((name), (size), (info), (flags))
#else
#define lg_ShmemInitHash(name, size, info, flags) \
	ShmemInitHash((name), (size), (size), (info), (flags))
#endif

/* GUC prefix reservation. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(p)	EmitWarningsOnPlaceholders(p)
#endif

/* Materialized set-returning functions. */
#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000
#ifndef MAT_SRF_USE_EXPECTED_DESC
/* 15.0 spelled it SetSingleFuncCall; 15.1 added the new name. */
#define InitMaterializedSRF(f, fl)	SetSingleFuncCall((f), (fl))
#define MAT_SRF_USE_EXPECTED_DESC	SRF_SINGLE_USE_EXPECTED
#define MAT_SRF_BLESS				SRF_SINGLE_BLESS
#endif
#elif PG_VERSION_NUM < 150000
#define MAT_SRF_USE_EXPECTED_DESC	0x01
#define MAT_SRF_BLESS				0x02
extern void InitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags);
#endif
/* InitMaterializedSRF's checks, for a function that makes its own store */
extern void lg_srf_require_materialize(ReturnSetInfo *rsinfo);

/*
 * Reserved connection slots: 16 split superuser_reserved_connections into
 * two settings.  Returns the number of slots ordinary roles cannot use.
 */
extern int	lg_reserved_slots(void);
extern int	lg_superuser_reserved_slots(void);

/*
 * MaxBackends is only valid from shmem_request_hook on (15+); on 14 the
 * size of the per-backend arrays is computed from the settings.
 */
extern int	lg_max_backends(void);

/* Shared memory requests: from shmem_request_hook on 15+, _PG_init on 14. */
#if PG_VERSION_NUM >= 150000
#define LG_HAVE_SHMEM_REQUEST_HOOK 1
#endif

/* Custom wait event for the worker's sleep. */
extern uint32 lg_worker_wait_event(void);

/* Query identifiers: EnableQueryId's header moved in 16, signed in 18. */
#if PG_VERSION_NUM >= 160000
#include "nodes/queryjumble.h"
#else
#include "utils/queryjumble.h"
#endif
#if PG_VERSION_NUM >= 180000
typedef int64 lg_queryid;
#else
typedef uint64 lg_queryid;
#endif

/*
 * pg_attribute_hot (c.h from 15): marks the functions every login,
 * statement or transaction end calls, which the compiler then places
 * together, so that they share a few cache lines and pages of code: a new
 * backend faults in each page of the library it runs.
 */
#if PG_VERSION_NUM < 150000 && !defined(pg_attribute_hot)
#if defined(__GNUC__)
#define pg_attribute_hot __attribute__((hot))
#else
#define pg_attribute_hot
#endif
#endif

/* 53 random bits, and a random double in [0, 1): pg_prng from 15 on. */
extern pg_attribute_hot uint64 lg_random_bits53(void);
extern pg_attribute_hot double lg_random_double(void);

/* pg_clean_ascii: in place before 16, a new string from 16 on. */
extern char *lg_clean_ascii(const char *s);

/* ExecutorRun_hook lost its execute_once argument in 18. */
#if PG_VERSION_NUM >= 180000
#define LG_EXECUTOR_RUN_EXTRA_PARAM
#define LG_EXECUTOR_RUN_EXTRA_ARG
#else
#define LG_EXECUTOR_RUN_EXTRA_PARAM , bool execute_once
#define LG_EXECUTOR_RUN_EXTRA_ARG , execute_once
#endif

/*
 * Parse analysis with parameter types inferred ($1..$n): 15 added the
 * query-environment argument; the caller rewrites.
 */
#if PG_VERSION_NUM >= 150000
#define lg_parse_analyze_varparams(raw, str, types, n) \
	parse_analyze_varparams((raw), (str), (types), (n), NULL)
#else
#define lg_parse_analyze_varparams(raw, str, types, n) \
	parse_analyze_varparams((raw), (str), (types), (n))
#endif

/*
 * Does this collation sort bytewise (C, POSIX)?  lc_collate_is_c up to 17;
 * from 18 the collation's pg_locale_t says so.
 */
extern bool lg_collation_is_c(Oid collid);

/* pg_plan_query gained a trailing ExplainState in 19. */
#if PG_VERSION_NUM >= 190000
#define lg_plan_query(q, str, opts, params) \
	pg_plan_query((q), (str), (opts), (params), NULL)
#else
#define lg_plan_query(q, str, opts, params) \
	pg_plan_query((q), (str), (opts), (params))
#endif

/*
 * Where the planner lets an extension add indexes to a base relation:
 * get_relation_info_hook up to 18, build_simple_rel_hook from 19.  The
 * advisor writes one function with LG_RELINFO_HOOK_PARAMS and gets the
 * relation's OID and inheritance flag through LG_RELINFO_OID/INH.
 */
#if PG_VERSION_NUM >= 190000
#include "optimizer/pathnode.h"
typedef build_simple_rel_hook_type lg_relinfo_hook_type;
#define LG_RELINFO_HOOK				build_simple_rel_hook
#define LG_RELINFO_HOOK_PARAMS		PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte
#define LG_RELINFO_HOOK_ARGS		root, rel, rte
#define LG_RELINFO_OID				(rte->rtekind == RTE_RELATION ? rte->relid : InvalidOid)
#define LG_RELINFO_INH				(rte->inh)
#else
#include "optimizer/plancat.h"
typedef get_relation_info_hook_type lg_relinfo_hook_type;
#define LG_RELINFO_HOOK				get_relation_info_hook
#define LG_RELINFO_HOOK_PARAMS		PlannerInfo *root, Oid relationObjectId, bool inhparent, RelOptInfo *rel
#define LG_RELINFO_HOOK_ARGS		root, relationObjectId, inhparent, rel
#define LG_RELINFO_OID				(relationObjectId)
#define LG_RELINFO_INH				(inhparent)
#endif

/*
 * Building a jsonb value: 19 keeps the parse state and the result in one
 * JsonbInState.  lg_jsonb_state is zeroed before the first push.
 */
#include "utils/jsonb.h"
#if PG_VERSION_NUM >= 190000
typedef JsonbInState lg_jsonb_state;
#define lg_jsonb_push(st, seq, v)	pushJsonbValue((st), (seq), (v))
#else
typedef struct lg_jsonb_state
{
	JsonbParseState *parse;
	JsonbValue *result;
} lg_jsonb_state;
#define lg_jsonb_push(st, seq, v) \
	((st)->result = pushJsonbValue(&(st)->parse, (seq), (v)))
#endif
#define lg_jsonb_result(st)			((st)->result)

/*
 * Statistics targets: an int32 in the fixed part up to 15, an int16 in 16,
 * a nullable int16 (NULL for the default) from 17.  -1 means the default.
 */
#if PG_VERSION_NUM >= 170000
#define lg_attstattarget(tup, desc) \
	lg_nullable_int16((tup), Anum_pg_attribute_attstattarget, (desc))
#define lg_stxstattarget(tup, desc) \
	lg_nullable_int16((tup), Anum_pg_statistic_ext_stxstattarget, (desc))
#else
#define lg_attstattarget(tup, desc) \
	((void) (desc), (int) ((Form_pg_attribute) GETSTRUCT(tup))->attstattarget)
#define lg_stxstattarget(tup, desc) \
	((void) (desc), (int) ((Form_pg_statistic_ext) GETSTRUCT(tup))->stxstattarget)
#endif
extern int	lg_nullable_int16(HeapTuple tup, int attno, TupleDesc desc);

/*
 * Constraint and index features that change their deparsed text: NULLS
 * NOT DISTINCT (15), ON DELETE SET NULL (cols) (15), WITHOUT OVERLAPS /
 * PERIOD and NOT ENFORCED (18).  A constraint with any of them is left to
 * pg_get_constraintdef.
 */
#if PG_VERSION_NUM >= 150000
#define LG_INDEX_NULLS_NOT_DISTINCT(form)	((form)->indnullsnotdistinct)
#define LG_CONFDELSETCOLS_ATTNO				Anum_pg_constraint_confdelsetcols
#define LG_HAVE_PUBLICATION_SCHEMAS			1
#define LG_HAVE_PUBLICATION_COLUMNS			1
#else
#define LG_INDEX_NULLS_NOT_DISTINCT(form)	false
#define LG_CONFDELSETCOLS_ATTNO				0
#endif
#if PG_VERSION_NUM >= 180000
#define LG_CONSTRAINT_COMPOSABLE(form)	(!(form)->conperiod && (form)->conenforced)
#else
#define LG_CONSTRAINT_COMPOSABLE(form)	true
#endif

/*
 * NOT NULL has its own pg_constraint row for domains from 17 and for table
 * columns from 18.  The snapshot shows NOT NULL as the column's or the
 * domain's not_null, so a plain one (validated, inherited by children) is
 * not listed again as a constraint; NO INHERIT or NOT VALID ones are.
 */
#if PG_VERSION_NUM >= 170000
#define LG_PLAIN_NOT_NULL(form) \
	((form)->contype == CONSTRAINT_NOTNULL && (form)->convalidated && !(form)->connoinherit)
#else
#define LG_PLAIN_NOT_NULL(form)			false
#endif

/*
 * Is there client data in the backend's receive buffer?  17 replaced the
 * boolean test by a byte count (libpq/libpq.h).
 */
#if PG_VERSION_NUM >= 170000
#define lg_pq_buffer_has_data()		(pq_buffer_remaining_data() > 0)
#else
#define lg_pq_buffer_has_data()		pq_buffer_has_data()
#endif

/*
 * Signal handlers take the sender's details as a second argument from 19;
 * LG_SIGNAL_ARGS passes a handler's own arguments on (to die()).
 */
#if PG_VERSION_NUM >= 190000
#define LG_SIGNAL_ARGS				postgres_signal_arg, pg_siginfo
#else
#define LG_SIGNAL_ARGS				postgres_signal_arg
#endif

/* A plan node's run-time counters: NodeInstrumentation from 19. */
#include "executor/instrument.h"
#if PG_VERSION_NUM >= 190000
typedef NodeInstrumentation lg_node_instrumentation;
#else
typedef Instrumentation lg_node_instrumentation;
#endif

/*
 * CLUSTER: its own statement up to 18; from 19 one form of REPACK, whose
 * relation is a VacuumRelation.  lg_cluster_relation gives the RangeVar
 * (NULL: every clustered table), lg_cluster_params the option list.
 * From 15 a partitioned table is clustered one partition per transaction.
 */
#if PG_VERSION_NUM >= 150000
#define LG_CLUSTER_PARTITIONED_OWN_XACTS	true
#else
#define LG_CLUSTER_PARTITIONED_OWN_XACTS	false	/* refused outright */
#endif
#if PG_VERSION_NUM >= 190000
#define T_LgClusterStmt				T_RepackStmt
#define lg_cluster_relation(n) \
	(((RepackStmt *) (n))->relation ? ((RepackStmt *) (n))->relation->relation : NULL)
#define lg_cluster_params(n)		(((RepackStmt *) (n))->params)
#else
#define T_LgClusterStmt				T_ClusterStmt
#define lg_cluster_relation(n)		(((ClusterStmt *) (n))->relation)
#define lg_cluster_params(n)		(((ClusterStmt *) (n))->params)
#endif

/*
 * Permission checks as the executor does them, and the planner hook's
 * signature.
 *
 * lg_check_query_permissions(q): may the current user run one query level
 * of q?  ERROR 42501 when not.  16 moved the required permissions from the
 * range table entries to Query.rteperminfos.
 */
#include "executor/executor.h"
#if PG_VERSION_NUM >= 160000
#define lg_check_query_permissions(q) \
	ExecCheckPermissions((q)->rtable, (q)->rteperminfos, true)
#else
#define lg_check_query_permissions(q) \
	ExecCheckRTPerms((q)->rtable, true)
#endif

/* planner_hook and standard_planner gained a trailing ExplainState in 19. */
#include "optimizer/planner.h"
#if PG_VERSION_NUM >= 190000
#define LG_PLANNER_HOOK_PARAMS \
	Query *parse, const char *query_string, int cursorOptions, \
	ParamListInfo boundParams, ExplainState *es
#define LG_PLANNER_HOOK_ARGS	parse, query_string, cursorOptions, boundParams, es
#else
#define LG_PLANNER_HOOK_PARAMS \
	Query *parse, const char *query_string, int cursorOptions, \
	ParamListInfo boundParams
#define LG_PLANNER_HOOK_ARGS	parse, query_string, cursorOptions, boundParams
#endif

/*
 * Does this backend hold the lock in exactly this mode (to tell the
 * advisory locks a migration script took from the caller's)?  17 added the
 * orstronger argument (storage/lock.h).
 */
#include "storage/lock.h"
#if PG_VERSION_NUM >= 170000
#define lg_lock_held_by_me(tag, mode)	LockHeldByMe((tag), (mode), false)
#else
#define lg_lock_held_by_me(tag, mode)	LockHeldByMe((tag), (mode))
#endif

/*
 * Can the table AM do bitmap heap scans?  get_relation_info asks for its
 * scan_bitmap_next_block callback up to 17, scan_bitmap_next_tuple from
 * 18 (access/tableam.h).
 */
#if PG_VERSION_NUM >= 180000
#define LG_TABLEAM_HAS_BITMAP_SCAN(tam)	((tam)->scan_bitmap_next_tuple != NULL)
#else
#define LG_TABLEAM_HAS_BITMAP_SCAN(tam)	((tam)->scan_bitmap_next_block != NULL)
#endif

/*
 * Generated columns: stored only up to 17; 18 added virtual ones
 * (catalog/pg_attribute.h, ATTRIBUTE_GENERATED_VIRTUAL).
 */
#if PG_VERSION_NUM >= 180000
#define LG_ATTGENERATED_IS_VIRTUAL(c)	((c) == ATTRIBUTE_GENERATED_VIRTUAL)
#else
#define LG_ATTGENERATED_IS_VIRTUAL(c)	((void) (c), false)
#endif

/*
 * Memory for a GUC check hook's "extra": the GUC code frees it with free()
 * up to 15, and from its own memory context (guc_free) from 16 on.
 * Returns NULL (after a LOG) when out of memory.
 */
#if PG_VERSION_NUM >= 160000
#define lg_guc_malloc(size)	guc_malloc(LOG, (size))
#else
#define lg_guc_malloc(size)	malloc(size)
#endif

#endif							/* PG_LIFEGUARD_COMPAT_H */
