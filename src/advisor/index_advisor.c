/*-------------------------------------------------------------------------
 *
 * index_advisor.c
 *		Index advice: hypothetical-index costing of one query.
 *
 * lifeguard.advise_indexes(query) plans the query as written, then again
 * with candidate btree indexes that exist only in the planner's view of
 * the tables, and keeps the candidates the cheaper plan uses:
 *
 *	1. The text is parsed with PostgreSQL's parser; exactly one SELECT,
 *	   INSERT, UPDATE or DELETE is accepted.  $1..$n parameters are allowed
 *	   and their types inferred, as for an unnamed prepared statement.
 *	2. Candidates come from the analysed query: columns compared with a
 *	   btree operator to something that is not the same table (constants,
 *	   parameters, other tables' columns: join keys, and columns of an
 *	   outer query in a correlated subquery), and ORDER BY columns, on every
 *	   query level (FROM, CTEs, sublinks in WHERE, the target list, HAVING).
 *	   Expressions over one table compared that way become expression
 *	   keys, and LIKE 'prefix%' a range key, under a pattern operator class
 *	   when the collation is not C.
 *	   min()/max() columns count as ORDER BY columns.  Per table: each
 *	   column alone, all equality columns together (most distinct values
 *	   first), the equality columns followed by each range column, the
 *	   equality columns (all, and each alone) followed by the ORDER BY
 *	   columns, and partial indexes WHERE column = constant for columns of
 *	   few values.  A candidate that an existing valid index already
 *	   serves (same leading keys, operator classes, predicate) is dropped.
 *	3. The query is planned without and with all candidates, over the
 *	   parameter sets of lg_param_sets (generic, and values from the
 *	   columns' statistics), or the values a sampled statement ran with
 *	   (lg_seen_param_sets), costs being the (weighted) mean.  The candidates the plan
 *	   uses are kept; each one the plan does as well without is dropped;
 *	   then each kept index may give way to one of fewer of its columns, to
 *	   a longer one adding ORDER BY or range columns, or to a smaller
 *	   partial one, when the plan costs about the same (LG_*_TOLERANCE);
 *	   last, INCLUDE columns when they let a SELECT scan the index only.
 *	   The set is kept only when it saves at least
 *	   lifeguard.advice_min_improvement of the total cost.
 *
 * Before any costing, the privileges the query needs are checked on every
 * query level as the executor checks them: no costs (which would show the
 * statistics of a table) and no advice on what the caller may not read.
 *
 * Candidates are injected by a chained planner hook (get_relation_info_hook,
 * or build_simple_rel_hook from PostgreSQL 19; see compat.h) that is a no-op
 * unless a call is planning, and then only for the query that call plans;
 * a second chained hook, get_index_stats_hook, gives an expression
 * candidate its column's statistics, likewise only while a call plans.
 * Calls nest (a function the planner folds may call advise_indexes): each
 * keeps its state in its own LgAdviseCall.  All of the work happens inside
 * a subtransaction that is always rolled back, so the locks parse analysis
 * takes are released and nothing is left behind; an error of the statement
 * (several statements, DDL, an unknown table, a parameter of unknown type,
 * permission denied, an error of a function the planner folds) is reported
 * in the errors column instead of being raised, while cancel, timeouts and
 * resource errors end the call (guard.c).  Nothing is written, so it works
 * on a hot standby.
 *
 * Whose rights: advise_indexes plans the caller's own text as the caller.
 * lifeguard._advise_sampled, which index_advice uses, plans a statement
 * the workload sampler kept (workload.c) only as the role that ran it, in
 * a security-restricted operation with the search_path it ran with, never
 * as the reader; the reader must be allowed to read its text and tables.
 * The parameter values it was seen with (workload.h) are the author's
 * data: they are used only when planning as the author (there, or when
 * advise_indexes is given the text of the caller's own sampled statement)
 * and never returned; an error of a planning with them is replaced by
 * the error of a planning without them.
 *
 * Owns: advise_indexes, its planner hooks and _index_statement_parts.
 * Must not: leave anything behind (every call runs in a subtransaction
 * that is rolled back).
 *
 * src/advisor/index_advisor.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/amapi.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "storage/bufpage.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
#include "utils/selfuncs.h"
#include "utils/syscache.h"

#include "advisor/index_advisor.h"
#include "advisor/workload.h"
#include "core/compat.h"
#include "core/guard.h"

#define LG_MAX_CANDIDATE_COLS	8
#define LG_MAX_CANDIDATES		64

/*
 * INCLUDE columns: at most this many, added when the plan then costs at
 * most this fraction of what it did
 */
#define LG_MAX_INCLUDE			3
#define LG_INCLUDE_GAIN			0.9

/* an index is dropped when the plan costs at most this much more without it */
#define LG_DROP_TOLERANCE		1.02

/* an index of fewer of the same columns replaces one at up to this cost ratio */
#define LG_NARROW_TOLERANCE		1.05

/* a longer index replaces a shorter one at up to this cost ratio */
#define LG_WIDEN_TOLERANCE		1.05

/*
 * A partial index replaces a full one at least twice its size at up to
 * this cost ratio (the planner costs a scan of a partial index without
 * index conditions a little above the same rows read through the full
 * index), and is a candidate only when its predicate keeps at most this
 * fraction of the rows.
 */
#define LG_PARTIAL_TOLERANCE	1.25
#define LG_PARTIAL_MAX_FRACTION	0.2
#define LG_MAX_PREDICATES		4

/*
 * A partial predicate compares a column of few values (a status, a kind):
 * at most this many distinct values in its statistics, and not a number
 * that grows with the table.
 */
#define LG_PARTIAL_MAX_DISTINCT	100

/*
 * Index key columns are AttrNumbers: a positive one is a table column
 * under its type's default btree operator class; a negative one, -(i+1),
 * is the i-th LgKey of the call: an expression over the table, or a
 * column under another operator class (text_pattern_ops for LIKE
 * 'prefix%' under a collation that is not C).  Keys are interned, so two
 * candidates have the same columns when their AttrNumbers are equal.
 */
typedef struct LgKey
{
	Oid			relid;
	AttrNumber	attnum;			/* a column, or 0 for expr */
	Node	   *expr;			/* an expression over the table, varno 1 */
	Oid			opclass;		/* its btree operator class */
	Oid			typid;			/* of the column or expression */
	int32		typmod;
	Oid			collid;
} LgKey;

/* A candidate (hypothetical) btree index. */
typedef struct LgIndexCandidate
{
	Oid			relid;
	int			ncols;
	AttrNumber	cols[LG_MAX_CANDIDATE_COLS];
	int			neq;			/* leading equality columns; then range or order */
	int			ninclude;		/* the last ninclude cols are INCLUDE columns */
	Node	   *pred;			/* partial index predicate (varno 1), or NULL */
	double		pages;			/* estimated size, summed over partitions */
	double		size_pages;		/* the same, from the planning with all */
	Oid			fakeoid;		/* its OID in the planner's eyes */
	bool		active;			/* injected in the current planning */
	bool		used;
	bool		index_only;		/* used by an index-only scan */
	bool		partitioned;	/* on a partitioned table: goes to each partition */
} LgIndexCandidate;

/* Columns one table contributes, in order of first appearance. */
typedef struct LgRelCols
{
	Oid			relid;
	int			neq,
				nrange,
				norder;
	AttrNumber	eq[LG_MAX_CANDIDATE_COLS];
	AttrNumber	range[LG_MAX_CANDIDATE_COLS];
	AttrNumber	order[LG_MAX_CANDIDATE_COLS];
	int			npred;
	AttrNumber	predcol[LG_MAX_PREDICATES];	/* column of each predicate */
	Node	   *pred[LG_MAX_PREDICATES];	/* column = constant, varno 1 */
	/*
	 * Equality columns whose value is known before the table is scanned:
	 * compared with a constant, a parameter or an outer query's column,
	 * or joined to such a column of another table (lg_bound_columns).
	 */
	int			nbound;
	AttrNumber	bound[LG_MAX_CANDIDATE_COLS];
	/*
	 * column = $n on a column of few values: a partial index's predicate
	 * when every run seen gave $n the same value (lg_seen_predicates)
	 */
	int			npparam;
	int			pparam[LG_MAX_PREDICATES];	/* n of $n */
	Node	   *pclause[LG_MAX_PREDICATES];	/* the comparison, varno 1 */
} LgRelCols;

/* col1 = col2 between two tables of one query level */
typedef struct LgJoinPair
{
	Oid			rel1,
				rel2;
	AttrNumber	att1,
				att2;
} LgJoinPair;

#define LG_MAX_PARAMS			32

typedef struct LgCollect
{
	List	   *rels;			/* of LgRelCols * */
	List	   *joins;			/* of LgJoinPair * */
	List	   *seen;			/* of ParamListInfo: values as seen, or NIL */
	double	   *seen_weights;	/* runs each set stands for */
	List	   *seen_ids;		/* of Bitmapset *: in each set, the $n whose
								 * value was seen (not the statistics') */
	List	   *keys;			/* of LgKey *: the negative key columns */
	/* the column each $n is compared with, if any, and how */
	Oid			param_rel[LG_MAX_PARAMS];
	AttrNumber	param_att[LG_MAX_PARAMS];
	int			param_strategy[LG_MAX_PARAMS];
} LgCollect;

static double lg_advice_min_improvement = 0.1;
static int	lg_advice_min_table_size = 256;	/* kB; read by index_advice */

/*
 * One advise_indexes call in progress.  Calls nest: a function the planner
 * folds while costing a query may itself call advise_indexes.  Each call
 * keeps its state in its own LgAdviseCall on its C stack; lg_advising
 * points to the innermost one and is restored to the outer one however the
 * inner call ends.
 */
typedef struct LgAdviseCall
{
	LgIndexCandidate *hypo;			/* candidates, nhypo of them */
	int			nhypo;
	List	   *keys;			/* of LgKey *, for negative key columns */
	List	   *paramsets;		/* of ParamListInfo: NULL is the generic plan */
	double	   *weights;		/* of each set in the mean, or NULL: equal */
	List	   *seen_ids;		/* values as seen: of Bitmapset *, the $n of
								 * each set that had one */
	Query	   *planning;		/* the query being planned now, or NULL */
} LgAdviseCall;

static lg_relinfo_hook_type prev_relinfo_hook = NULL;
static get_index_stats_hook_type prev_index_stats_hook = NULL;
static LgAdviseCall *lg_advising = NULL;	/* innermost call, NULL outside */

static pg_attribute_hot void lg_relinfo_hook(LG_RELINFO_HOOK_PARAMS);
static bool lg_index_stats_hook(PlannerInfo *root, Oid indexOid,
								AttrNumber indexattnum, VariableStatData *vardata);

PG_FUNCTION_INFO_V1(lifeguard_advise_indexes);
PG_FUNCTION_INFO_V1(lifeguard_advise_sampled);
PG_FUNCTION_INFO_V1(lifeguard_index_statement_parts);

void
lg_index_advisor_init(void)
{
	DefineCustomRealVariable("lifeguard.advice_min_improvement",
							 "Sets the fraction of a query's total cost an index advice must save.",
							 NULL,
							 &lg_advice_min_improvement,
							 0.1, 0.0, 1.0,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("lifeguard.advice_min_table_size",
							"Sets the table size below which index_advice advises no index.",
							"Sequential scans of smaller tables are cheap; an index there costs more to keep up than it saves.",
							&lg_advice_min_table_size,
							256, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);

	prev_relinfo_hook = LG_RELINFO_HOOK;
	LG_RELINFO_HOOK = lg_relinfo_hook;
	prev_index_stats_hook = get_index_stats_hook;
	get_index_stats_hook = lg_index_stats_hook;
}

/*---- Candidate collection ----*/

static LgRelCols *
lg_rel_cols(LgCollect *cx, Oid relid)
{
	ListCell   *lc;
	LgRelCols  *r;

	foreach(lc, cx->rels)
	{
		r = lfirst(lc);
		if (r->relid == relid)
			return r;
	}
	r = palloc0(sizeof(LgRelCols));
	r->relid = relid;
	cx->rels = lappend(cx->rels, r);
	return r;
}

static void
lg_add_col(AttrNumber *arr, int *n, AttrNumber col)
{
	for (int i = 0; i < *n; i++)
		if (arr[i] == col)
			return;
	if (*n < LG_MAX_CANDIDATE_COLS)
		arr[(*n)++] = col;
}

/*
 * The table column a Var of this query level reads, when the table is one
 * advice can apply to: an ordinary table or materialized view outside the
 * system schemas.
 */
static bool
lg_var_column(Query *q, Node *n, Oid *relid, AttrNumber *attnum)
{
	Var		   *var;
	RangeTblEntry *rte;
	char		relkind;
	Oid			nsp;

	while (n && IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	if (n == NULL || !IsA(n, Var))
		return false;
	var = (Var *) n;
	if (var->varlevelsup != 0 || var->varattno <= 0 ||
		var->varno < 1 || var->varno > list_length(q->rtable))
		return false;
	rte = rt_fetch(var->varno, q->rtable);
	if (rte->rtekind != RTE_RELATION)
		return false;
	relkind = get_rel_relkind(rte->relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_PARTITIONED_TABLE)
		return false;
	nsp = get_rel_namespace(rte->relid);
	if (IsCatalogNamespace(nsp) || IsToastNamespace(nsp) ||
		nsp == get_namespace_oid("information_schema", true))
		return false;
	*relid = rte->relid;
	*attnum = var->varattno;
	return true;
}

/*
 * The default btree operator class of a type.  GetDefaultOpClass scans
 * every btree class; a call asks for the same few types again at each
 * planning, so the answers are kept for the call (lg_advise empties the
 * cache when it starts: classes may change between calls).
 */
#define LG_OPCLASS_CACHE	16
static Oid	lg_opclass_cache_type[LG_OPCLASS_CACHE];
static Oid	lg_opclass_cache_class[LG_OPCLASS_CACHE];
static int	lg_opclass_cache_n = 0;

static Oid
lg_default_btree_opclass(Oid typid)
{
	Oid			opclass;

	for (int i = 0; i < lg_opclass_cache_n; i++)
		if (lg_opclass_cache_type[i] == typid)
			return lg_opclass_cache_class[i];
	opclass = GetDefaultOpClass(typid, BTREE_AM_OID);
	if (lg_opclass_cache_n < LG_OPCLASS_CACHE)
	{
		lg_opclass_cache_type[lg_opclass_cache_n] = typid;
		lg_opclass_cache_class[lg_opclass_cache_n++] = opclass;
	}
	return opclass;
}

/* Btree strategy of opno for the column's default btree opclass, or 0. */
static int
lg_btree_strategy(Oid relid, AttrNumber attnum, Oid opno)
{
	Oid			typid;
	int32		typmod;
	Oid			collid;
	Oid			opclass;

	get_atttypetypmodcoll(relid, attnum, &typid, &typmod, &collid);
	opclass = lg_default_btree_opclass(typid);
	if (!OidIsValid(opclass))
		return 0;
	return get_op_opfamily_strategy(opno, get_opclass_family(opclass));
}

/*
 * Does any Var of this query level in node read table relid?  Vars of outer
 * levels (a correlated subquery's reference to the row outside) are, like
 * parameters, known when the subquery runs: they do not count, and the
 * search must not trip over them as pull_var_clause would.
 */
typedef struct LgMentions
{
	Query	   *q;
	Oid			relid;
	int			sublevels_up;
} LgMentions;

static bool
lg_mentions_walker(Node *node, void *context)
{
	LgMentions *m = (LgMentions *) context;

	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		Oid			r;
		AttrNumber	a;

		if (var->varlevelsup != m->sublevels_up)
			return false;
		if (m->sublevels_up == 0)
			return lg_var_column(m->q, node, &r, &a) && r == m->relid;
		/* a whole-row or system column of this level in a sublink */
		return var->varno >= 1 && var->varno <= list_length(m->q->rtable) &&
			rt_fetch(var->varno, m->q->rtable)->relid == m->relid;
	}
	if (IsA(node, Query))
	{
		bool		found;

		m->sublevels_up++;
		found = query_tree_walker((Query *) node, lg_mentions_walker, context, 0);
		m->sublevels_up--;
		return found;
	}
	return expression_tree_walker(node, lg_mentions_walker, context);
}

static bool
lg_mentions_rel(Query *q, Node *node, Oid relid)
{
	LgMentions	m = {q, relid, 0};

	return lg_mentions_walker(node, &m);
}

/* The LgKey a negative key column stands for. */
static LgKey *
lg_key(List *keys, AttrNumber code)
{
	Assert(code < 0);
	return (LgKey *) list_nth(keys, -code - 1);
}

static AttrNumber
lg_intern_key(LgCollect *cx, Oid relid, AttrNumber attnum, Node *expr,
			  Oid opclass, Oid typid, int32 typmod, Oid collid)
{
	ListCell   *lc;
	LgKey	   *k;
	int			i = 0;

	foreach(lc, cx->keys)
	{
		k = lfirst(lc);
		if (k->relid == relid && k->attnum == attnum && k->opclass == opclass &&
			equal(k->expr, expr))
			return (AttrNumber) -(i + 1);
		i++;
	}
	k = palloc0(sizeof(LgKey));
	k->relid = relid;
	k->attnum = attnum;
	k->expr = expr;
	k->opclass = opclass;
	k->typid = typid;
	k->typmod = typmod;
	k->collid = collid;
	cx->keys = lappend(cx->keys, k);
	return (AttrNumber) -(i + 1);
}

typedef struct LgExprVars
{
	int			varno;			/* the one table the Vars read, 0 if none yet */
	bool		bad;
} LgExprVars;

static bool
lg_expr_vars_walker(Node *node, void *context)
{
	LgExprVars *v = (LgExprVars *) context;

	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varlevelsup != 0 || var->varattno <= 0 ||
			(v->varno != 0 && v->varno != (int) var->varno))
			v->bad = true;
		v->varno = var->varno;
		return v->bad;
	}
	if (IsA(node, Query) || IsA(node, SubLink) || IsA(node, Aggref) ||
		IsA(node, WindowFunc) || IsA(node, GroupingFunc) ||
		IsA(node, PlaceHolderVar))
	{
		v->bad = true;
		return true;
	}
	return expression_tree_walker(node, lg_expr_vars_walker, context);
}

/*
 * An expression over the columns of one advisable table of this query
 * level, which an expression index could hold (lower(email)): immutable,
 * no subqueries or aggregates.  Returned with the table as varno 1 and
 * constants folded, as the planner sees an index's expressions.
 */
static Node *
lg_expr_column(Query *q, Node *node, Oid *relid)
{
	LgExprVars	v = {0, false};
	Var		   *var;
	AttrNumber	attnum;
	Node	   *expr;

	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node == NULL || IsA(node, Var) || IsA(node, Const) || IsA(node, Param))
		return NULL;
	if (lg_expr_vars_walker(node, &v) || v.bad || v.varno == 0)
		return NULL;
	if (contain_mutable_functions(node))
		return NULL;
	/* the table must be one advice applies to */
	var = makeVar(v.varno, 1, INT4OID, -1, InvalidOid, 0);
	if (!lg_var_column(q, (Node *) var, relid, &attnum))
		return NULL;
	expr = copyObject(node);
	ChangeVarNodes(expr, v.varno, 1, 0);
	return eval_const_expressions(NULL, expr);
}

/*
 * Is this LIKE with a constant pattern that starts with a fixed prefix, so
 * that an index can serve it as a range?
 */
static bool
lg_like_prefix(Oid opno, Node *other)
{
	Oid			fn = get_opcode(opno);
	Const	   *c;
	char	   *pattern;

	if (fn != F_TEXTLIKE && fn != F_BPCHARLIKE)
		return false;
	while (other && IsA(other, RelabelType))
		other = (Node *) ((RelabelType *) other)->arg;
	if (other == NULL || !IsA(other, Const) || ((Const *) other)->constisnull)
		return false;
	c = (Const *) other;
	if (c->consttype != TEXTOID && c->consttype != BPCHAROID &&
		c->consttype != VARCHAROID)
		return false;
	pattern = TextDatumGetCString(c->constvalue);
	return pattern[0] != '\0' && pattern[0] != '%' && pattern[0] != '_' &&
		pattern[0] != '\\';
}

/* The pattern operator class for a string type, or InvalidOid. */
static Oid
lg_pattern_opclass(Oid typid)
{
	const char *name;

	switch (typid)
	{
		case TEXTOID:
			name = "text_pattern_ops";
			break;
		case VARCHAROID:
			name = "varchar_pattern_ops";
			break;
		case BPCHAROID:
			name = "bpchar_pattern_ops";
			break;
		default:
			return InvalidOid;
	}
	return get_opclass_oid(BTREE_AM_OID,
						   list_make2(makeString("pg_catalog"), makeString(pstrdup(name))),
						   true);
}

/*
 * The column's number of distinct values by its statistics, or -1 when
 * unknown (no statistics, an expression).
 */
static double
lg_ndistinct(Oid relid, AttrNumber code)
{
	HeapTuple	tup;
	double		nd;

	if (code <= 0)
		return -1;
	tup = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(relid),
						  Int16GetDatum(code), BoolGetDatum(false));
	if (!HeapTupleIsValid(tup))
		return -1;
	nd = ((Form_pg_statistic) GETSTRUCT(tup))->stadistinct;
	ReleaseSysCache(tup);
	if (nd < 0)
	{
		HeapTuple	ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

		if (HeapTupleIsValid(ctup))
		{
			nd = -nd * Max(((Form_pg_class) GETSTRUCT(ctup))->reltuples, 1);
			ReleaseSysCache(ctup);
		}
	}
	return nd;
}

/* Does the column hold few distinct values, by its statistics? */
static bool
lg_few_values(Oid relid, AttrNumber attnum)
{
	HeapTuple	tup = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(relid),
									  Int16GetDatum(attnum), BoolGetDatum(false));
	float4		ndistinct;

	if (!HeapTupleIsValid(tup))
		return false;
	ndistinct = ((Form_pg_statistic) GETSTRUCT(tup))->stadistinct;
	ReleaseSysCache(tup);
	return ndistinct > 0 && ndistinct <= LG_PARTIAL_MAX_DISTINCT;
}

/*
 * One side of a comparison: a column of an advisable table, or an
 * expression over one, the other side not mentioning that table.
 */
static void
lg_consider(LgCollect *cx, Query *q, Node *clause, Node *col, Node *other,
			Oid opno, bool commuted)
{
	Oid			relid;
	AttrNumber	attnum = 0;
	Node	   *expr = NULL;
	Oid			typid;
	int32		typmod;
	Oid			collid;
	Oid			defclass,
				opclass;
	int			strategy = 0;
	AttrNumber	code;
	LgRelCols  *r;

	if (lg_var_column(q, col, &relid, &attnum))
		get_atttypetypmodcoll(relid, attnum, &typid, &typmod, &collid);
	else if ((expr = lg_expr_column(q, col, &relid)) != NULL)
	{
		typid = exprType(expr);
		typmod = exprTypmod(expr);
		collid = exprCollation(expr);
	}
	else
		return;
	if (other != NULL && lg_mentions_rel(q, other, relid))
		return;
	if (commuted)
		opno = get_commutator(opno);
	if (!OidIsValid(opno))
		return;
	defclass = opclass = lg_default_btree_opclass(typid);
	if (OidIsValid(opclass))
		strategy = get_op_opfamily_strategy(opno, get_opclass_family(opclass));
	if (strategy == 0)
	{
		/*
		 * LIKE 'prefix%' is a range over the prefix: the default operator
		 * class serves it under the C collation only, the pattern class
		 * under any.
		 */
		if (commuted || !lg_like_prefix(opno, other))
			return;
		strategy = BTGreaterEqualStrategyNumber;
		if (!lg_collation_is_c(collid))
			opclass = lg_pattern_opclass(getBaseType(typid));
		if (!OidIsValid(opclass))
			return;
	}
	if (expr == NULL && opclass == defclass)
		code = attnum;
	else
	{
		/* partitions may number their columns otherwise: plain columns only */
		if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
			return;
		code = lg_intern_key(cx, relid, attnum, expr, opclass, typid, typmod, collid);
	}
	r = lg_rel_cols(cx, relid);
	if (strategy == BTEqualStrategyNumber)
		lg_add_col(r->eq, &r->neq, code);
	else
		lg_add_col(r->range, &r->nrange, code);

	/*
	 * An equality's value is known before the scan unless it comes from
	 * another table of this level; a plain join of columns is kept, so
	 * that a column joined to a known one counts as known too.
	 */
	if (strategy == BTEqualStrategyNumber)
	{
		Oid			relid2;
		AttrNumber	att2;

		if (other == NULL || !contain_vars_of_level(other, 0))
			lg_add_col(r->bound, &r->nbound, code);
		else if (code > 0 && lg_var_column(q, other, &relid2, &att2))
		{
			LgJoinPair *jp = palloc(sizeof(LgJoinPair));

			jp->rel1 = relid;
			jp->att1 = attnum;
			jp->rel2 = relid2;
			jp->att2 = att2;
			cx->joins = lappend(cx->joins, jp);
		}
	}

	/*
	 * column op $n: the column's statistics give $n a representative value
	 * (lg_param_sets); an equality wins over a range.
	 */
	if (code > 0 && other != NULL)
	{
		Node	   *o = other;

		while (IsA(o, RelabelType))
			o = (Node *) ((RelabelType *) o)->arg;
		if (IsA(o, Param) && ((Param *) o)->paramkind == PARAM_EXTERN &&
			((Param *) o)->paramid >= 1 && ((Param *) o)->paramid <= LG_MAX_PARAMS &&
			(!OidIsValid(cx->param_rel[((Param *) o)->paramid - 1]) ||
			 (strategy == BTEqualStrategyNumber &&
			  cx->param_strategy[((Param *) o)->paramid - 1] != BTEqualStrategyNumber)))
		{
			cx->param_rel[((Param *) o)->paramid - 1] = relid;
			cx->param_att[((Param *) o)->paramid - 1] = attnum;
			cx->param_strategy[((Param *) o)->paramid - 1] = strategy;
		}
	}

	/*
	 * A column equal to a constant (status = 'pending', status IN (...)):
	 * the comparison can be a partial index's predicate.
	 */
	if (strategy == BTEqualStrategyNumber && code > 0 && r->npred < LG_MAX_PREDICATES &&
		get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE &&
		lg_few_values(relid, attnum))
	{
		Node	   *c = other;
		Node	   *v = col;

		while (c && IsA(c, RelabelType))
			c = (Node *) ((RelabelType *) c)->arg;
		while (v && IsA(v, RelabelType))
			v = (Node *) ((RelabelType *) v)->arg;
		if (c && IsA(c, Param) && ((Param *) c)->paramkind == PARAM_EXTERN &&
			IsA(clause, OpExpr) && r->npparam < LG_MAX_PREDICATES)
		{
			Node	   *pclause = copyObject(clause);

			ChangeVarNodes(pclause, ((Var *) v)->varno, 1, 0);
			r->pparam[r->npparam] = ((Param *) c)->paramid;
			r->pclause[r->npparam++] = pclause;
		}
		else if (c && IsA(c, Const) && !((Const *) c)->constisnull)
		{
			Node	   *pred = copyObject(clause);
			bool		dup = false;

			ChangeVarNodes(pred, ((Var *) v)->varno, 1, 0);
			pred = eval_const_expressions(NULL, pred);
			for (int i = 0; i < r->npred; i++)
				dup |= equal(r->pred[i], pred);
			if (!dup)
			{
				r->predcol[r->npred] = attnum;
				r->pred[r->npred++] = pred;
			}
		}
	}
}

typedef struct LgWalk
{
	LgCollect  *cx;
	Query	   *q;
} LgWalk;

static void lg_collect_query(LgCollect *cx, Query *q);

static bool
lg_qual_walker(Node *node, void *context)
{
	LgWalk	   *w = (LgWalk *) context;

	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		lg_collect_query(w->cx, (Query *) node);
		return false;
	}
	if (IsA(node, OpExpr) && list_length(((OpExpr *) node)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) node;
		Node	   *l = linitial(op->args);
		Node	   *r = lsecond(op->args);

		lg_consider(w->cx, w->q, node, l, r, op->opno, false);
		lg_consider(w->cx, w->q, node, r, l, op->opno, true);
	}
	else if (IsA(node, ScalarArrayOpExpr) && ((ScalarArrayOpExpr *) node)->useOr)
	{
		ScalarArrayOpExpr *op = (ScalarArrayOpExpr *) node;

		lg_consider(w->cx, w->q, node, linitial(op->args), lsecond(op->args),
					op->opno, false);
	}
	return expression_tree_walker(node, lg_qual_walker, context);
}

/*
 * Subqueries outside the join tree (in the target list, HAVING, ORDER BY
 * expressions): their own predicates are candidates, the expressions
 * around them are not.
 */
static bool
lg_sublink_walker(Node *node, void *context)
{
	LgWalk	   *w = (LgWalk *) context;

	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		lg_collect_query(w->cx, (Query *) node);
		return false;
	}
	return expression_tree_walker(node, lg_sublink_walker, context);
}

/*
 * The column of min(col) or max(col) of this query level is an ordering
 * column: with the equality columns before it, an index serves the
 * aggregate by reading one end (the planner's min/max optimisation).
 */
static bool
lg_minmax_walker(Node *node, void *context)
{
	LgWalk	   *w = (LgWalk *) context;

	if (node == NULL || IsA(node, Query))
		return false;
	if (IsA(node, Aggref))
	{
		Aggref	   *agg = (Aggref *) node;
		HeapTuple	tup;
		Oid			sortop = InvalidOid;
		Oid			relid;
		AttrNumber	attnum;

		if (agg->agglevelsup != 0 || list_length(agg->args) != 1 ||
			agg->aggorder != NIL || agg->aggdistinct != NIL ||
			agg->aggfilter != NULL)
			return false;
		tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(agg->aggfnoid));
		if (HeapTupleIsValid(tup))
		{
			sortop = ((Form_pg_aggregate) GETSTRUCT(tup))->aggsortop;
			ReleaseSysCache(tup);
		}
		if (OidIsValid(sortop) &&
			lg_var_column(w->q, (Node *) linitial_node(TargetEntry, agg->args)->expr,
						  &relid, &attnum) &&
			lg_btree_strategy(relid, attnum, sortop) != 0)
		{
			LgRelCols  *r = lg_rel_cols(w->cx, relid);

			lg_add_col(r->order, &r->norder, attnum);
		}
		return false;
	}
	return expression_tree_walker(node, lg_minmax_walker, context);
}

/* Qualifications in the join tree: WHERE and every JOIN ... ON. */
static void
lg_collect_jointree(LgWalk *w, Node *jt)
{
	if (jt == NULL)
		return;
	if (IsA(jt, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jt)->fromlist)
			lg_collect_jointree(w, lfirst(lc));
		(void) lg_qual_walker(((FromExpr *) jt)->quals, w);
	}
	else if (IsA(jt, JoinExpr))
	{
		lg_collect_jointree(w, ((JoinExpr *) jt)->larg);
		lg_collect_jointree(w, ((JoinExpr *) jt)->rarg);
		(void) lg_qual_walker(((JoinExpr *) jt)->quals, w);
	}
}

static void
lg_collect_query(LgCollect *cx, Query *q)
{
	LgWalk		w = {cx, q};
	ListCell   *lc;

	check_stack_depth();

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_SUBQUERY && rte->subquery)
			lg_collect_query(cx, rte->subquery);
	}
	foreach(lc, q->cteList)
	{
		CommonTableExpr *cte = lfirst(lc);

		if (IsA(cte->ctequery, Query))
			lg_collect_query(cx, (Query *) cte->ctequery);
	}
	if (q->setOperations)
		return;					/* branches were visited as subqueries */

	lg_collect_jointree(&w, (Node *) q->jointree);
	(void) lg_sublink_walker((Node *) q->targetList, &w);
	(void) lg_sublink_walker(q->havingQual, &w);

	/* min() and max() over a column: an index scan can fetch the end */
	if (q->hasAggs)
		(void) lg_minmax_walker((Node *) q->targetList, &w);
	if (q->hasAggs && q->havingQual)
		(void) lg_minmax_walker(q->havingQual, &w);

	/* ORDER BY columns of a single table */
	foreach(lc, q->sortClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, q->targetList);
		Oid			relid;
		AttrNumber	attnum;
		LgRelCols  *r;

		if (!lg_var_column(q, (Node *) tle->expr, &relid, &attnum))
			break;
		if (lg_btree_strategy(relid, attnum, sgc->sortop) == 0)
			break;
		r = lg_rel_cols(cx, relid);
		lg_add_col(r->order, &r->norder, attnum);
	}
}

static Oid
lg_rel_am(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			am = InvalidOid;

	if (HeapTupleIsValid(tup))
	{
		am = ((Form_pg_class) GETSTRUCT(tup))->relam;
		ReleaseSysCache(tup);
	}
	return am;
}

/* Does key column j of this index hold what key column code stands for? */
static bool
lg_index_col_is(Form_pg_index ix, HeapTuple tup, List **exprs, int j,
				AttrNumber code, List *keys)
{
	LgKey	   *k;
	bool		isnull;
	oidvector  *classes;
	int			n = 0;

	if (code > 0)
		return ix->indkey.values[j] == code;
	k = lg_key(keys, code);
	classes = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, tup,
															Anum_pg_index_indclass,
															&isnull));
	if (isnull || classes->values[j] != k->opclass)
		return false;
	if (k->attnum > 0)
		return ix->indkey.values[j] == k->attnum;
	if (ix->indkey.values[j] != 0)
		return false;
	if (*exprs == NIL)
	{
		Datum		d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indexprs, &isnull);

		if (isnull)
			return false;
		/* as RelationGetIndexExpressions gives them to the planner */
		*exprs = (List *) eval_const_expressions(NULL,
												 stringToNode(TextDatumGetCString(d)));
	}
	for (int i = 0; i < j; i++)
		n += (ix->indkey.values[i] == 0);
	return n < list_length(*exprs) && equal(list_nth(*exprs, n), k->expr);
}

/*
 * Does a valid btree index of relid already lead with these columns?  An
 * equality-only candidate matches an index that has the same columns, in
 * any order, as its leading key columns.
 */
static bool
lg_already_indexed(Oid relid, const AttrNumber *cols, int ncols, int neq_prefix,
				   Node *pred, List *keys)
{
	Relation	rel;
	List	   *indexes;
	ListCell   *lc;
	bool		found = false;

	rel = table_open(relid, AccessShareLock);
	indexes = RelationGetIndexList(rel);
	table_close(rel, AccessShareLock);

	foreach(lc, indexes)
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index ix;
		List	   *exprs = NIL;
		bool		match = true;

		if (!HeapTupleIsValid(tup))
			continue;
		ix = (Form_pg_index) GETSTRUCT(tup);
		if (!ix->indisvalid || ix->indnkeyatts < ncols ||
			lg_rel_am(ix->indexrelid) != BTREE_AM_OID)
			match = false;
		else if (!heap_attisnull(tup, Anum_pg_index_indpred, NULL))
		{
			/* a partial index counts for a candidate with its predicate */
			bool		isnull;
			Datum		d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indpred, &isnull);
			Node	   *ipred;

			if (pred == NULL)
				match = false;
			else
			{
				ipred = eval_const_expressions(NULL, stringToNode(TextDatumGetCString(d)));
				match = equal(make_ands_implicit((Expr *) ipred), list_make1(pred));
			}
		}
		else if (pred != NULL)
			match = false;
		for (int i = 0; match && i < ncols; i++)
		{
			if (i < neq_prefix)
			{
				/* any order within the equality prefix */
				bool		in = false;

				for (int j = 0; j < neq_prefix && !in; j++)
					in = lg_index_col_is(ix, tup, &exprs, j, cols[i], keys);
				match = in;
			}
			else
				match = lg_index_col_is(ix, tup, &exprs, i, cols[i], keys);
		}
		ReleaseSysCache(tup);
		if (match)
		{
			found = true;
			break;
		}
	}
	list_free(indexes);
	return found;
}

static void
lg_add_candidate(List **cands, Oid relid, const AttrNumber *cols, int ncols,
				 int neq_prefix, Node *pred, List *keys)
{
	ListCell   *lc;
	LgIndexCandidate *c;

	if (ncols == 0 || list_length(*cands) >= LG_MAX_CANDIDATES)
		return;
	ncols = Min(ncols, LG_MAX_CANDIDATE_COLS);
	foreach(lc, *cands)
	{
		c = lfirst(lc);
		if (c->relid == relid && c->ncols == ncols &&
			memcmp(c->cols, cols, sizeof(AttrNumber) * ncols) == 0 &&
			equal(c->pred, pred))
			return;
	}
	if (lg_already_indexed(relid, cols, ncols, Min(neq_prefix, ncols), pred, keys))
		return;
	c = palloc0(sizeof(LgIndexCandidate));
	c->relid = relid;
	c->ncols = ncols;
	c->neq = Min(neq_prefix, ncols);
	c->pred = pred;
	memcpy(c->cols, cols, sizeof(AttrNumber) * ncols);
	*cands = lappend(*cands, c);
}

static bool
lg_has_col(const AttrNumber *arr, int n, AttrNumber col)
{
	for (int i = 0; i < n; i++)
		if (arr[i] == col)
			return true;
	return false;
}

/*
 * Spread "known before the scan" along the join equalities: with
 * a.id = $1 and b.a_id = a.id, b.a_id is known too (the planner puts the
 * three in one equivalence class and scans b with b.a_id = $1).
 */
static void
lg_bound_columns(LgCollect *cx)
{
	bool		changed = true;

	while (changed)
	{
		ListCell   *lc;

		changed = false;
		foreach(lc, cx->joins)
		{
			LgJoinPair *jp = lfirst(lc);
			LgRelCols  *r1 = lg_rel_cols(cx, jp->rel1);
			LgRelCols  *r2 = lg_rel_cols(cx, jp->rel2);

			if (lg_has_col(r2->bound, r2->nbound, jp->att2) &&
				!lg_has_col(r1->bound, r1->nbound, jp->att1) &&
				r1->nbound < LG_MAX_CANDIDATE_COLS)
			{
				r1->bound[r1->nbound++] = jp->att1;
				changed = true;
			}
		}
	}
}

/* Replace $n by a constant (lg_seen_predicates). */
typedef struct LgParamConst
{
	int			paramid;
	Const	   *value;
} LgParamConst;

static Node *
lg_param_const_mutator(Node *node, void *context)
{
	LgParamConst *pc = (LgParamConst *) context;

	if (node == NULL)
		return NULL;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN &&
		((Param *) node)->paramid == pc->paramid)
		return (Node *) copyObject(pc->value);
	return expression_tree_mutator(node, lg_param_const_mutator, context);
}

/*
 * Values as seen: column = $n on a column of few values, where every run
 * seen gave $n the same value (a queue worker asking for 'pending'), is
 * a partial index's predicate as column = constant is, once enough runs
 * were seen for that to say something.
 */
#define LG_SEEN_PREDICATE_RUNS	4

static void
lg_seen_predicates(LgCollect *cx, LgRelCols *r)
{
	for (int p = 0; p < r->npparam && r->npred < LG_MAX_PREDICATES; p++)
	{
		int			id = r->pparam[p];
		ParamExternData *first = NULL;
		bool		same = (cx->seen != NIL);
		ListCell   *lc;
		int16		typlen;
		bool		typbyval;
		Param	   *param = NULL;
		LgParamConst pc;
		Node	   *pred;
		bool		dup = false;
		OpExpr	   *op = (OpExpr *) r->pclause[p];

		foreach(lc, cx->seen)
		{
			ParamListInfo pl = lfirst(lc);
			ParamExternData *prm;

			/* a value the statistics stood in for was not seen */
			if (id < 1 || id > pl->numParams ||
				!bms_is_member(id, (Bitmapset *) list_nth(cx->seen_ids,
														   foreach_current_index(lc))))
			{
				same = false;
				break;
			}
			prm = &pl->params[id - 1];
			if (prm->isnull || !(prm->pflags & PARAM_FLAG_CONST) ||
				!OidIsValid(prm->ptype))
			{
				same = false;
				break;
			}
			if (first == NULL)
			{
				first = prm;
				get_typlenbyval(prm->ptype, &typlen, &typbyval);
			}
			else if (prm->ptype != first->ptype ||
					 !datumIsEqual(prm->value, first->value, typbyval, typlen))
			{
				same = false;
				break;
			}
		}
		if (!same || first == NULL)
			continue;
		{
			double		runs = 0;

			for (int i = 0; i < list_length(cx->seen); i++)
				runs += cx->seen_weights ? cx->seen_weights[i] : 1;
			if (runs < LG_SEEN_PREDICATE_RUNS)
				continue;
		}
		for (int i = 0; i < 2 && param == NULL; i++)
		{
			Node	   *a = (Node *) list_nth(op->args, i);

			while (a && IsA(a, RelabelType))
				a = (Node *) ((RelabelType *) a)->arg;
			if (a && IsA(a, Param))
				param = (Param *) a;
		}
		if (param == NULL || param->paramtype != first->ptype)
			continue;
		pc.paramid = id;
		pc.value = makeConst(param->paramtype, param->paramtypmod, param->paramcollid,
							 typlen, datumCopy(first->value, typbyval, typlen),
							 false, typbyval);
		pred = eval_const_expressions(NULL, lg_param_const_mutator(r->pclause[p], &pc));
		for (int i = 0; i < r->npred; i++)
			dup |= equal(r->pred[i], pred);
		if (dup)
			continue;
		{
			Bitmapset  *attnos = NULL;

			pull_varattnos(pred, 1, &attnos);
			if (bms_num_members(attnos) != 1)
				continue;
			r->predcol[r->npred] = bms_singleton_member(attnos) + FirstLowInvalidHeapAttributeNumber;
			r->pred[r->npred++] = pred;
		}
	}
}

static List *
lg_candidates(LgCollect *cx)
{
	List	   *cands = NIL;
	ListCell   *lc;

	lg_bound_columns(cx);
	foreach(lc, cx->rels)
		lg_seen_predicates(cx, (LgRelCols *) lfirst(lc));

	foreach(lc, cx->rels)
	{
		LgRelCols  *r = lfirst(lc);
		AttrNumber	cols[LG_MAX_CANDIDATE_COLS * 2];
		double		nd[LG_MAX_CANDIDATE_COLS];
		AttrNumber	beq[LG_MAX_CANDIDATE_COLS];
		int			nbeq;
		int			n;

		/*
		 * Equality columns with the most distinct values first (unknown
		 * counts as many): the planner costs a leading column of few values
		 * by its physical order, which says little about the rows of one
		 * value of the next column, and that column alone may do as well.
		 */
		for (int i = 0; i < r->neq; i++)
			nd[i] = lg_ndistinct(r->relid, r->eq[i]);
		for (int i = 1; i < r->neq; i++)
			for (int j = i; j > 0 && (nd[j] < 0 ? DBL_MAX : nd[j]) > (nd[j - 1] < 0 ? DBL_MAX : nd[j - 1]); j--)
			{
				double		td = nd[j];
				AttrNumber	ta = r->eq[j];

				nd[j] = nd[j - 1];
				r->eq[j] = r->eq[j - 1];
				nd[j - 1] = td;
				r->eq[j - 1] = ta;
			}

		for (int i = 0; i < r->neq; i++)
			lg_add_candidate(&cands, r->relid, &r->eq[i], 1, 1, NULL, cx->keys);
		for (int i = 0; i < r->nrange; i++)
			lg_add_candidate(&cands, r->relid, &r->range[i], 1, 0, NULL, cx->keys);
		if (r->norder > 0)
			lg_add_candidate(&cands, r->relid, r->order, r->norder, 0, NULL, cx->keys);
		if (r->neq >= 2)
			lg_add_candidate(&cands, r->relid, r->eq, r->neq, r->neq, NULL, cx->keys);
		/* the equality columns followed by each range column */
		for (int k = 0; k < r->nrange && r->neq >= 1; k++)
		{
			memcpy(cols, r->eq, sizeof(AttrNumber) * r->neq);
			cols[r->neq] = r->range[k];
			lg_add_candidate(&cands, r->relid, cols, r->neq + 1, r->neq, NULL, cx->keys);
		}
		/*
		 * The equality columns, all or each one, followed by the ordering:
		 * only those whose values are known before the scan.  An ordering
		 * after a join column cannot be read from the index (the sort
		 * comes above the join), and the wider index only reads more.
		 */
		nbeq = 0;
		for (int i = 0; i < r->neq; i++)
			if (lg_has_col(r->bound, r->nbound, r->eq[i]))
				beq[nbeq++] = r->eq[i];
		for (int k = -1; k < nbeq && r->norder >= 1; k++)
		{
			const AttrNumber *eq = (k < 0) ? beq : &beq[k];
			int			neq = (k < 0) ? nbeq : 1;

			if (k >= 0 && nbeq == 1)
				break;
			n = neq;
			memcpy(cols, eq, sizeof(AttrNumber) * n);
			for (int i = 0; i < r->norder && n < LG_MAX_CANDIDATE_COLS; i++)
			{
				bool		dup = false;

				for (int j = 0; j < neq; j++)
					dup |= (eq[j] == r->order[i]);
				if (!dup)
					cols[n++] = r->order[i];
			}
			if (neq > 0)
				lg_add_candidate(&cands, r->relid, cols, n, neq, NULL, cx->keys);
		}

		/*
		 * Partial indexes, one per column = constant: the other equality
		 * columns, then the ordering (or the first range column), WHERE
		 * that comparison; the compared column itself when nothing else
		 * is left.
		 */
		for (int p = 0; p < r->npred; p++)
		{
			int			neq = 0;

			n = 0;
			for (int i = 0; i < r->neq; i++)
				if (r->eq[i] != r->predcol[p])
					cols[n++] = r->eq[i];
			neq = n;
			for (int i = 0; i < r->norder && n < LG_MAX_CANDIDATE_COLS; i++)
			{
				bool		dup = (r->order[i] == r->predcol[p]);

				for (int j = 0; j < n; j++)
					dup |= (cols[j] == r->order[i]);
				if (!dup)
					cols[n++] = r->order[i];
			}
			if (n == neq && r->nrange > 0)
				cols[n++] = r->range[0];
			if (n == 0)
			{
				cols[n++] = r->predcol[p];
				neq = 1;
			}
			lg_add_candidate(&cands, r->relid, cols, n, neq, r->pred[p], cx->keys);
		}
	}
	return cands;
}

/*---- Hypothetical indexes in the planner ----*/

/*
 * What key column code of a candidate on relid is: for a plain column, its
 * type and the type's default btree operator class.
 */
static void
lg_key_of(List *keys, Oid relid, AttrNumber code, LgKey *k)
{
	if (code < 0)
	{
		*k = *lg_key(keys, code);
		return;
	}
	memset(k, 0, sizeof(LgKey));
	k->relid = relid;
	k->attnum = code;
	get_atttypetypmodcoll(relid, code, &k->typid, &k->typmod, &k->collid);
	k->opclass = lg_default_btree_opclass(k->typid);
}

/* An OID no relation has, for the planner to know a candidate by. */
static Oid
lg_fake_oid(int i)
{
	Oid			oid = (Oid) (PG_UINT32_MAX - 1 - i * 2);

	while (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(oid)))
		oid -= 2 * LG_MAX_CANDIDATES;
	return oid;
}

/* Estimated pages and height of a btree on these columns. */
static void
lg_estimate_size(double ntuples, LgIndexCandidate *c, List *keys,
				 BlockNumber *pages, int *height)
{
	double		width = MAXALIGN(sizeof(IndexTupleData));
	double		per_page,
				leaves;
	double		tuples = Max(ntuples, 1);

	for (int i = 0; i < c->ncols; i++)
	{
		LgKey		k;
		int32		w = 0;

		lg_key_of(keys, c->relid, c->cols[i], &k);
		if (k.attnum > 0)
			w = get_attavgwidth(c->relid, k.attnum);
		if (w <= 0)
			w = get_typavgwidth(k.typid, k.typmod);
		width += w;
	}
	width = MAXALIGN((Size) width) + sizeof(ItemIdData);
	/* leaf pages at btree's default fillfactor */
	per_page = floor((BLCKSZ - SizeOfPageHeaderData - sizeof(BTPageOpaqueData)) *
					 BTREE_DEFAULT_FILLFACTOR / 100.0 / width);
	per_page = Max(per_page, 2);
	leaves = ceil(tuples / per_page);
	*pages = (BlockNumber) Min(leaves * (1.0 + 1.0 / per_page) + 1, (double) MaxBlockNumber);
	*height = 0;
	while (leaves > 1 && *height < 10)
	{
		leaves = ceil(leaves / per_page);
		(*height)++;
	}
}

/*
 * The planner's view of a candidate btree index.
 *
 * No release has a constructor for IndexOptInfo: get_relation_info
 * (optimizer/util/plancat.c) makes one with makeNode, which zeroes every
 * field, and sets the fields below.  This does the same, field by field in
 * the order of struct IndexOptInfo (nodes/pathnodes.h), so a field a
 * release adds is zero, false or NULL as it is when makeNode leaves it and
 * get_relation_info does not set it.  Checked against pathnodes.h and
 * get_relation_info of 14, 15, 16, 17, 18 and 19:
 *
 *	indexoid, reltablespace, rel			as get_relation_info (14-19)
 *	pages, tuples, tree_height				estimated (lg_estimate_size)
 *	ncolumns, nkeycolumns					no INCLUDE columns: equal
 *	indexkeys, indexcollations, opfamily,
 *	opcintype								the default btree opclass
 *	sortopfamily, reverse_sort, nulls_first	btree: opfamily, ASC NULLS LAST
 *	opclassoptions							an array of NULLs (no options)
 *	canreturn								true: btree can return every column
 *	relam									BTREE_AM_OID
 *	indexprs, indpred						NIL: plain columns, not partial
 *	indextlist								one Var per column, as
 *											build_index_tlist makes it
 *	indrestrictinfo, predOK					set later by indxpath.c (14-19)
 *	unique, immediate						false, true
 *	nullsnotdistinct (18+)					false, as makeNode leaves it
 *	disabled (19+)							false: get_relation_info leaves it
 *											too; other hooks may set it
 *	hypothetical							true
 *	amcanorderbyop ... amcostestimate		from the btree IndexAmRoutine;
 *											amhasgetbitmap also needs the
 *											table AM's bitmap scan (14-19)
 *
 * 14 to 17 have the same fields; 18 added nullsnotdistinct, 19 disabled.
 */
static IndexOptInfo *
lg_make_index(PlannerInfo *root, RelOptInfo *rel, LgIndexCandidate *c, List *keys)
{
	IndexOptInfo *info;
	const IndexAmRoutine *am = GetIndexAmRoutineByAmId(BTREE_AM_OID, false);
	Relation	heap;
	int			n = c->ncols;
	List	   *indpred = NIL;
	double		tuples = rel->tuples;

	if (c->pred != NULL)
	{
		Selectivity sel;

		/*
		 * The rows the predicate keeps, as the planner estimates them.  The
		 * relation enters simple_rel_array only after this hook (before 19),
		 * and the estimate looks it up there.
		 */
		indpred = list_make1(copyObject(c->pred));
		if (rel->relid != 1)
			ChangeVarNodes((Node *) indpred, 1, rel->relid, 0);
		if (root->simple_rel_array[rel->relid] == NULL)
		{
			root->simple_rel_array[rel->relid] = rel;
			sel = clauselist_selectivity(root, indpred, rel->relid, JOIN_INNER, NULL);
			root->simple_rel_array[rel->relid] = NULL;
		}
		else
			sel = clauselist_selectivity(root, indpred, rel->relid, JOIN_INNER, NULL);
		if (sel > LG_PARTIAL_MAX_FRACTION)
			return NULL;
		tuples = clamp_row_est(rel->tuples * sel);
	}

	info = makeNode(IndexOptInfo);
	info->indexoid = c->fakeoid;
	info->reltablespace = rel->reltablespace;
	info->rel = rel;
	lg_estimate_size(tuples, c, keys, &info->pages, &info->tree_height);
	c->pages += info->pages;
	info->tuples = tuples;
	info->ncolumns = n;
	info->nkeycolumns = n - c->ninclude;
	info->indexkeys = palloc0(sizeof(int) * n);
	info->indexcollations = palloc0(sizeof(Oid) * n);
	info->opfamily = palloc0(sizeof(Oid) * n);
	info->opcintype = palloc0(sizeof(Oid) * n);
	info->sortopfamily = info->opfamily;	/* as get_relation_info for btree */
	info->reverse_sort = palloc0(sizeof(bool) * n);
	info->nulls_first = palloc0(sizeof(bool) * n);
	info->opclassoptions = palloc0(sizeof(bytea *) * n);
	info->canreturn = palloc0(sizeof(bool) * n);
	info->relam = BTREE_AM_OID;

	info->indexprs = NIL;
	for (int i = 0; i < n; i++)
	{
		LgKey		k;
		Expr	   *key;

		lg_key_of(keys, c->relid, c->cols[i], &k);
		info->indexkeys[i] = k.attnum;
		info->canreturn[i] = true;
		if (i < info->nkeycolumns)
		{
			/* as get_relation_info: INCLUDE columns have no operator class */
			info->indexcollations[i] = k.collid;
			info->opfamily[i] = get_opclass_family(k.opclass);
			info->opcintype[i] = get_opclass_input_type(k.opclass);
		}
		if (k.attnum > 0)
			key = (Expr *) makeVar(rel->relid, k.attnum, k.typid, k.typmod, k.collid, 0);
		else
		{
			/* as get_relation_info: the table's own varno */
			key = (Expr *) copyObject(k.expr);
			if (rel->relid != 1)
				ChangeVarNodes((Node *) key, 1, rel->relid, 0);
			info->indexprs = lappend(info->indexprs, key);
		}
		info->indextlist = lappend(info->indextlist,
								   makeTargetEntry(key, i + 1, NULL, false));
	}

	info->indpred = indpred;
	info->indrestrictinfo = NIL;	/* set later, in indxpath.c */
	info->predOK = false;
	info->unique = false;
	info->immediate = true;
	info->hypothetical = true;

	info->amcanorderbyop = am->amcanorderbyop;
	info->amoptionalkey = am->amoptionalkey;
	info->amsearcharray = am->amsearcharray;
	info->amsearchnulls = am->amsearchnulls;
	info->amhasgettuple = (am->amgettuple != NULL);
	/* the planner is already holding a lock on the table */
	heap = table_open(c->relid, NoLock);
	info->amhasgetbitmap = (am->amgetbitmap != NULL && heap->rd_tableam != NULL &&
							LG_TABLEAM_HAS_BITMAP_SCAN(heap->rd_tableam));
	table_close(heap, NoLock);
	info->amcanparallel = am->amcanparallel;
	info->amcanmarkpos = (am->ammarkpos != NULL && am->amrestrpos != NULL);
	info->amcostestimate = am->amcostestimate;
	return info;
}

static void
lg_relinfo_hook(LG_RELINFO_HOOK_PARAMS)
{
	LgAdviseCall *call = lg_advising;
	PlannerInfo *top = root;
	List	   *ancestors = NIL;
	bool		ancestors_read = false;

	if (prev_relinfo_hook)
		prev_relinfo_hook(LG_RELINFO_HOOK_ARGS);

	if (call == NULL || call->planning == NULL || call->hypo == NULL ||
		LG_RELINFO_INH || !OidIsValid(LG_RELINFO_OID))
		return;

	/*
	 * Only the planning that advise_indexes asked for sees the candidates:
	 * not a query that a function folded meanwhile plans and then runs.
	 */
	while (top->parent_root != NULL)
		top = top->parent_root;
	if (top->parse != call->planning)
		return;
	for (int i = 0; i < call->nhypo; i++)
	{
		if (!call->hypo[i].active)
			continue;
		if (call->hypo[i].relid == LG_RELINFO_OID)
		{
			IndexOptInfo *info = lg_make_index(root, rel, &call->hypo[i], call->keys);

			if (info != NULL)
				rel->indexlist = lappend(rel->indexlist, info);
		}
		else if (call->hypo[i].partitioned)
		{
			/*
			 * A candidate on a partitioned table is what CREATE INDEX on the
			 * parent would give each partition: the same columns, by name.
			 */
			LgIndexCandidate part;
			bool		ok = true;

			if (!ancestors_read)
			{
				if (get_rel_relispartition(LG_RELINFO_OID))
					ancestors = get_partition_ancestors(LG_RELINFO_OID);
				ancestors_read = true;
			}
			if (!list_member_oid(ancestors, call->hypo[i].relid))
				continue;
			part = call->hypo[i];
			part.relid = LG_RELINFO_OID;
			for (int k = 0; k < part.ncols && ok; k++)
			{
				part.cols[k] = get_attnum(LG_RELINFO_OID,
										  get_attname(call->hypo[i].relid, call->hypo[i].cols[k], false));
				ok = (part.cols[k] != InvalidAttrNumber);
			}
			part.pages = 0;
			if (ok)
			{
				IndexOptInfo *info = lg_make_index(root, rel, &part, call->keys);

				if (info != NULL)
					rel->indexlist = lappend(rel->indexlist, info);
				call->hypo[i].pages += part.pages;
			}
		}
	}
}

/*
 * Statistics of a candidate's expression column.  A real expression index
 * has its own statistics once analysed; a hypothetical one has none, and
 * the planner would guess 0.5 % of the rows for lower(email) = $1.  An
 * expression over one column is given that column's statistics instead:
 * its distinct values and null fraction stand for the expression's (exact
 * for lower(email) on unique addresses, an overestimate of the distinct
 * values for a function that folds many values into one).
 */
static bool
lg_index_stats_hook(PlannerInfo *root, Oid indexOid, AttrNumber indexattnum,
					VariableStatData *vardata)
{
	LgAdviseCall *call = lg_advising;

	if (prev_index_stats_hook &&
		prev_index_stats_hook(root, indexOid, indexattnum, vardata))
		return true;
	if (call == NULL || call->planning == NULL)
		return false;
	for (int i = 0; i < call->nhypo; i++)
	{
		LgIndexCandidate *c = &call->hypo[i];
		LgKey	   *k;
		Bitmapset  *attnos = NULL;
		int			attnum;

		if (c->fakeoid != indexOid || !c->active)
			continue;
		if (indexattnum < 1 || indexattnum > c->ncols || c->cols[indexattnum - 1] >= 0)
			return false;
		k = lg_key(call->keys, c->cols[indexattnum - 1]);
		if (k->expr == NULL)
			return false;
		pull_varattnos(k->expr, 1, &attnos);
		if (bms_num_members(attnos) != 1)
			return false;
		attnum = bms_singleton_member(attnos) + FirstLowInvalidHeapAttributeNumber;
		vardata->statsTuple = SearchSysCache3(STATRELATTINH,
											  ObjectIdGetDatum(c->relid),
											  Int16GetDatum(attnum),
											  BoolGetDatum(false));
		vardata->freefunc = ReleaseSysCache;
		/* as examine_variable decides for a column of the table */
		vardata->acl_ok = HeapTupleIsValid(vardata->statsTuple) &&
			(pg_class_aclcheck(c->relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK ||
			 pg_attribute_aclcheck(c->relid, attnum, GetUserId(), ACL_SELECT) == ACLCHECK_OK);
		return true;
	}
	return false;
}

/*---- INCLUDE columns ----*/

/* Is column attnum of relid dropped? */
static bool
lg_attisdropped(Oid relid, AttrNumber attnum)
{
	HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid),
									  Int16GetDatum(attnum));
	bool		dropped = true;

	if (HeapTupleIsValid(tup))
	{
		dropped = ((Form_pg_attribute) GETSTRUCT(tup))->attisdropped;
		ReleaseSysCache(tup);
	}
	return dropped;
}

typedef struct LgNeeded
{
	Oid			relid;
	List	   *levels;			/* Query of each level, innermost first */
	Bitmapset  *atts;
	bool		other;			/* a whole-row or system column */
} LgNeeded;

static bool
lg_needed_walker(Node *node, void *context)
{
	LgNeeded   *n = (LgNeeded *) context;

	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		Query	   *q;
		RangeTblEntry *rte;

		if (var->varlevelsup >= (Index) list_length(n->levels))
			return false;
		q = list_nth(n->levels, var->varlevelsup);
		if (var->varno < 1 || var->varno > list_length(q->rtable))
			return false;
		rte = rt_fetch(var->varno, q->rtable);
		if (rte->rtekind != RTE_RELATION || rte->relid != n->relid)
			return false;
		if (var->varattno > 0)
			n->atts = bms_add_member(n->atts, var->varattno);
		else
			n->other = true;
		return false;
	}
	if (IsA(node, Query))
	{
		bool		r;

		n->levels = lcons(node, n->levels);
		r = query_tree_walker((Query *) node, lg_needed_walker, context, 0);
		n->levels = list_delete_first(n->levels);
		return r;
	}
	return expression_tree_walker(node, lg_needed_walker, context);
}

/*
 * The columns of the candidate's table that the statement reads and the
 * candidate's keys do not hold, when they are few and plain; else none.
 */
static int
lg_include_columns(Query *query, LgIndexCandidate *c, List *keys, AttrNumber *extra)
{
	LgNeeded	n = {c->relid, NIL, NULL, false};
	int			nextra = 0;
	int			att = -1;
	int			ncolumns = 0;
	HeapTuple	tup;

	if (c->partitioned)
		return 0;
	(void) lg_needed_walker((Node *) query, &n);
	if (n.other)
		return 0;

	/*
	 * A statement that reads every column (SELECT *) would make the index
	 * a second copy of the table: no INCLUDE then.
	 */
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(c->relid));
	if (!HeapTupleIsValid(tup))
		return 0;
	for (int i = 1; i <= ((Form_pg_class) GETSTRUCT(tup))->relnatts; i++)
		ncolumns += !lg_attisdropped(c->relid, i);
	ReleaseSysCache(tup);
	if (bms_num_members(n.atts) >= ncolumns)
		return 0;

	while ((att = bms_next_member(n.atts, att)) >= 0)
	{
		bool		key = false;

		/* a key column, also under another operator class */
		for (int i = 0; i < c->ncols; i++)
			key |= (c->cols[i] == att ||
					(c->cols[i] < 0 && lg_key(keys, c->cols[i])->attnum == att));
		if (key)
			continue;
		if (nextra == LG_MAX_INCLUDE)
			return 0;
		extra[nextra++] = (AttrNumber) att;
	}
	return nextra;
}

/*---- Planning ----*/

static bool
lg_mark_used_walker(LgAdviseCall *call, Plan *plan)
{
	ListCell   *lc;
	Oid			indexid = InvalidOid;

	if (plan == NULL)
		return false;
	if (IsA(plan, IndexScan))
		indexid = ((IndexScan *) plan)->indexid;
	else if (IsA(plan, IndexOnlyScan))
	{
		indexid = ((IndexOnlyScan *) plan)->indexid;
		for (int i = 0; i < call->nhypo; i++)
			if (call->hypo[i].fakeoid == indexid)
				call->hypo[i].index_only = true;
	}
	else if (IsA(plan, BitmapIndexScan))
		indexid = ((BitmapIndexScan *) plan)->indexid;
	for (int i = 0; OidIsValid(indexid) && i < call->nhypo; i++)
		if (call->hypo[i].fakeoid == indexid)
			call->hypo[i].used = true;

	lg_mark_used_walker(call, plan->lefttree);
	lg_mark_used_walker(call, plan->righttree);
	if (IsA(plan, Append))
		foreach(lc, ((Append *) plan)->appendplans)
			lg_mark_used_walker(call, lfirst(lc));
	if (IsA(plan, MergeAppend))
		foreach(lc, ((MergeAppend *) plan)->mergeplans)
			lg_mark_used_walker(call, lfirst(lc));
	if (IsA(plan, BitmapAnd))
		foreach(lc, ((BitmapAnd *) plan)->bitmapplans)
			lg_mark_used_walker(call, lfirst(lc));
	if (IsA(plan, BitmapOr))
		foreach(lc, ((BitmapOr *) plan)->bitmapplans)
			lg_mark_used_walker(call, lfirst(lc));
	if (IsA(plan, SubqueryScan))
		lg_mark_used_walker(call, ((SubqueryScan *) plan)->subplan);
	return false;
}

/* Plan a copy of the query with the active candidates; mark the used ones. */
static void
lg_plan_cost(LgAdviseCall *call, Query *query, const char *text,
			 Cost *startup, Cost *total)
{
	PlannedStmt *ps;
	ListCell   *lc;

	ListCell   *ls;
	int			nsets = list_length(call->paramsets);
	double		wsum = 0;

	for (int i = 0; i < call->nhypo; i++)
	{
		call->hypo[i].used = false;
		call->hypo[i].index_only = false;
		call->hypo[i].pages = 0;
	}
	*startup = *total = 0;
	foreach(ls, call->paramsets)
	{
		double		w = call->weights ? call->weights[foreach_current_index(ls)] : 1;

		call->planning = copyObject(query);
		ps = lg_plan_query(call->planning, text, CURSOR_OPT_PARALLEL_OK,
						   (ParamListInfo) lfirst(ls));
		call->planning = NULL;
		*startup += w * ps->planTree->startup_cost;
		*total += w * ps->planTree->total_cost;
		wsum += w;
		lg_mark_used_walker(call, ps->planTree);
		foreach(lc, ps->subplans)
			lg_mark_used_walker(call, lfirst(lc));
	}
	/* the (weighted) mean over the parameter sets; sizes were added once per set */
	*startup /= wsum;
	*total /= wsum;
	for (int i = 0; i < call->nhypo; i++)
		call->hypo[i].pages /= nsets;
}

/*
 * What the planning of the current set of candidates found: which ones its
 * plan uses (and how), and their sizes.  A try that is not kept puts this
 * back instead of planning the kept set again.
 */
typedef struct LgPlanSnap
{
	bool	   *used;
	bool	   *index_only;
	double	   *pages;
} LgPlanSnap;

static void
lg_snap_save(LgAdviseCall *call, LgPlanSnap *snap)
{
	if (snap->used == NULL)
	{
		snap->used = palloc(sizeof(bool) * call->nhypo);
		snap->index_only = palloc(sizeof(bool) * call->nhypo);
		snap->pages = palloc(sizeof(double) * call->nhypo);
	}
	for (int i = 0; i < call->nhypo; i++)
	{
		snap->used[i] = call->hypo[i].used;
		snap->index_only[i] = call->hypo[i].index_only;
		snap->pages[i] = call->hypo[i].pages;
	}
}

static void
lg_snap_restore(LgAdviseCall *call, const LgPlanSnap *snap)
{
	for (int i = 0; i < call->nhypo; i++)
	{
		call->hypo[i].used = snap->used[i];
		call->hypo[i].index_only = snap->index_only[i];
		call->hypo[i].pages = snap->pages[i];
	}
}

/*
 * Try candidate b in place of a: plan with b active instead of a, and keep
 * the swap when the plan uses b at no more than "tolerance" times *total;
 * else put a back, and what the kept set's planning found (snap).  Returns
 * whether b was kept (*startup and *total are then its costs, and snap
 * what its planning found).
 */
static bool
lg_try_replace(LgAdviseCall *call, Query *query, const char *text,
			   LgIndexCandidate *a, LgIndexCandidate *b, double tolerance,
			   Cost *startup, Cost *total, LgPlanSnap *snap)
{
	Cost		s,
				t;

	a->active = false;
	b->active = true;
	lg_plan_cost(call, query, text, &s, &t);
	if (b->used && t <= *total * tolerance)
	{
		*startup = s;
		*total = t;
		lg_snap_save(call, snap);
		return true;
	}
	a->active = true;
	b->active = false;
	lg_snap_restore(call, snap);
	return false;
}

/*
 * The parameter sets a statement with $1..$n is costed over: the generic
 * plan (no values, the planner's average estimates), and one where each
 * $n compared for equality with a column takes that column's most common
 * value by its statistics, and each $n bounding a range of a column a
 * value from the top of its histogram (the last bucket when both ends are
 * parameters, the first one for an upper bound alone): the narrow range
 * of recent rows that created_at >= $1 usually asks for.  Generic
 * estimates hide skew and take a third of the table for any range: the
 * value that brings a thousand rows to sort is the one an index must
 * serve, and with it the planner sees those rows.
 */
static List *
lg_param_sets(LgCollect *cx, Oid *ptypes, int nparams)
{
	ParamListInfo params;
	bool		any = false;

	if (nparams == 0)
		return list_make1(NULL);
	params = makeParamList(nparams);
	for (int i = 0; i < nparams; i++)
	{
		ParamExternData *prm = &params->params[i];
		HeapTuple	tup;
		AttStatsSlot sslot;
		Oid			typid;
		int32		typmod;
		Oid			collid;
		int			strategy;
		int			pick = -1;
		bool		both_ends = false;

		/*
		 * No value: no type either, or estimation would take $n for a
		 * NULL (eval_const_expressions substitutes any typed parameter
		 * when it estimates).
		 */
		prm->ptype = InvalidOid;
		prm->isnull = true;
		prm->pflags = 0;
		prm->value = (Datum) 0;
		if (i >= LG_MAX_PARAMS || !OidIsValid(cx->param_rel[i]))
			continue;
		strategy = cx->param_strategy[i];
		get_atttypetypmodcoll(cx->param_rel[i], cx->param_att[i], &typid, &typmod, &collid);
		if (typid != ptypes[i])
			continue;
		tup = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(cx->param_rel[i]),
							  Int16GetDatum(cx->param_att[i]), BoolGetDatum(false));
		if (!HeapTupleIsValid(tup))
			continue;
		if (strategy == BTLessStrategyNumber || strategy == BTLessEqualStrategyNumber)
			for (int j = 0; j < Min(nparams, LG_MAX_PARAMS); j++)
				both_ends |= (cx->param_rel[j] == cx->param_rel[i] &&
							  cx->param_att[j] == cx->param_att[i] &&
							  (cx->param_strategy[j] == BTGreaterStrategyNumber ||
							   cx->param_strategy[j] == BTGreaterEqualStrategyNumber));
		if (get_attstatsslot(&sslot, tup,
							 strategy == BTEqualStrategyNumber ? STATISTIC_KIND_MCV :
							 STATISTIC_KIND_HISTOGRAM,
							 InvalidOid, ATTSTATSSLOT_VALUES))
		{
			if (strategy == BTEqualStrategyNumber)
				pick = (sslot.nvalues > 0) ? 0 : -1;
			else if (sslot.nvalues >= 3)
			{
				if (strategy == BTGreaterStrategyNumber ||
					strategy == BTGreaterEqualStrategyNumber)
					pick = sslot.nvalues - 2;
				else
					pick = both_ends ? sslot.nvalues - 1 : 1;
			}
			if (pick >= 0)
			{
				int16		typlen;
				bool		typbyval;

				get_typlenbyval(typid, &typlen, &typbyval);
				prm->value = datumCopy(sslot.values[pick], typbyval, typlen);
				prm->ptype = typid;
				prm->isnull = false;
				prm->pflags = PARAM_FLAG_CONST;
				any = true;
			}
			free_attstatsslot(&sslot);
		}
		ReleaseSysCache(tup);
	}
	return any ? list_make2(NULL, params) : list_make1(NULL);
}

static char *
lg_candidate_statement(LgIndexCandidate *c, List *keys)
{
	StringInfoData s;
	Oid			nsp = get_rel_namespace(c->relid);
	List	   *dpcontext = NIL;

	initStringInfo(&s);
	appendStringInfo(&s, "CREATE INDEX ON %s USING btree (",
					 quote_qualified_identifier(get_namespace_name(nsp),
												get_rel_name(c->relid)));
	for (int i = 0; i < c->ncols; i++)
	{
		LgKey		k;

		lg_key_of(keys, c->relid, c->cols[i], &k);
		if (i > 0 && i == c->ncols - c->ninclude)
			appendStringInfoString(&s, ") INCLUDE (");
		else if (i > 0)
			appendStringInfoString(&s, ", ");
		if (k.attnum > 0)
			appendStringInfoString(&s, quote_identifier(get_attname(c->relid, k.attnum, false)));
		else
		{
			char	   *e;

			if (dpcontext == NIL)
				dpcontext = deparse_context_for(get_rel_name(c->relid), c->relid);
			e = deparse_expression(k.expr, dpcontext, false, false);
			/*
			 * As pg_get_indexdef: a function call needs no parentheses; an
			 * operator comes back in them already.
			 */
			if ((IsA(k.expr, FuncExpr) &&
				 ((FuncExpr *) k.expr)->funcformat == COERCE_EXPLICIT_CALL) ||
				IsA(k.expr, OpExpr))
				appendStringInfoString(&s, e);
			else
				appendStringInfo(&s, "(%s)", e);
		}
		if (i < c->ncols - c->ninclude &&
			k.opclass != lg_default_btree_opclass(k.typid))
		{
			HeapTuple	tup = SearchSysCache1(CLAOID, ObjectIdGetDatum(k.opclass));

			if (HeapTupleIsValid(tup))
			{
				appendStringInfo(&s, " %s",
								 quote_identifier(NameStr(((Form_pg_opclass) GETSTRUCT(tup))->opcname)));
				ReleaseSysCache(tup);
			}
		}
	}
	appendStringInfoChar(&s, ')');
	if (c->pred != NULL)
	{
		if (dpcontext == NIL)
			dpcontext = deparse_context_for(get_rel_name(c->relid), c->relid);
		appendStringInfo(&s, " WHERE %s",
						 deparse_expression(c->pred, dpcontext, false, false));
	}
	return s.data;
}

typedef struct LgAdvice
{
	bool		have_costs;
	Cost		startup_before,
				total_before,
				startup_after,
				total_after;
	List	   *statements;		/* of char *, in the caller's context */
	List	   *sizes;			/* of int64 *: each one's estimated bytes */
	List	   *errors;
	const char *confidence;		/* high, medium, low: see lg_advise */
} LgAdvice;

/* One advise_indexes call: what to advise on, as whom, and the answer. */
typedef struct LgAdviseRun
{
	const char *text;
	Oid			as_user;		/* plan as this role, or InvalidOid: as the caller */
	const char *search_path;	/* with this search_path (as_user only) */
	LgAdviseCall *call;
	LgAdvice   *adv;			/* allocated in result_cxt */
	MemoryContext result_cxt;
	/* parameter values the statement ran with (as its author), or NULL */
	const LgSampledStatement *sampled;
	bool		used_seen;		/* costed over them */
	bool		seen_complete;	/* ... with a value for every $n */
} LgAdviseRun;

/* One seen parameter set to turn into values of the statement's types. */
typedef struct LgConvertSet
{
	const LgParamSet *set;
	const Oid  *ptypes;
	int			nparams;
	ParamListInfo stats;		/* values from the statistics, or NULL */
	ParamListInfo out;
	bool		complete;		/* every $n had a value as seen */
	Bitmapset  *seen_ids;		/* the $n (from 1) that had one */
} LgConvertSet;

/*
 * Run under lg_run_guarded: a value that its type's input function
 * refuses (a literal compared with a column of another type) makes the
 * whole set unusable, and the error, which may quote the value, is never
 * shown.  A $n without a value as seen takes the statistics' value, if
 * any.
 */
static void
lg_convert_set(void *arg)
{
	LgConvertSet *cv = (LgConvertSet *) arg;
	ParamListInfo params = makeParamList(cv->nparams);
	const char *p = cv->set->data;

	cv->complete = true;
	cv->seen_ids = NULL;
	for (int i = 0; i < cv->nparams; i++)
	{
		ParamExternData *prm = &params->params[i];
		char		tag = LG_PARAM_UNKNOWN;
		const char *value = NULL;

		prm->ptype = InvalidOid;
		prm->isnull = true;
		prm->pflags = 0;
		prm->value = (Datum) 0;
		if (i < cv->set->nvalues)
		{
			tag = *p++;
			if (tag == LG_PARAM_VALUE)
			{
				value = p;
				p += strlen(p) + 1;
			}
		}
		if (tag == LG_PARAM_VALUE)
		{
			Oid			typinput,
						typioparam;

			getTypeInputInfo(cv->ptypes[i], &typinput, &typioparam);
			prm->value = OidInputFunctionCall(typinput, (char *) value, typioparam, -1);
			prm->ptype = cv->ptypes[i];
			prm->isnull = false;
			prm->pflags = PARAM_FLAG_CONST;
			cv->seen_ids = bms_add_member(cv->seen_ids, i + 1);
		}
		else if (tag == LG_PARAM_NULL)
		{
			prm->ptype = cv->ptypes[i];
			prm->pflags = PARAM_FLAG_CONST;
			cv->seen_ids = bms_add_member(cv->seen_ids, i + 1);
		}
		else
		{
			cv->complete = false;
			if (cv->stats != NULL && OidIsValid(cv->stats->params[i].ptype))
				*prm = cv->stats->params[i];
		}
	}
	cv->out = params;
}

/*
 * Values as seen: when the sampled statement kept parameter sets, it is
 * costed over those (each weighted by how often it was seen) instead of
 * the generic plan and the statistics' values, which stand in only for
 * a $n that a set lacks.  Only ever called as the statement's author: by
 * _advise_sampled, which plans as that role, or by advise_indexes when
 * the caller gives the text of a statement it ran itself.
 */
static void
lg_seen_param_sets(LgAdviseRun *run, const Oid *ptypes, int nparams)
{
	LgAdviseCall *call = run->call;
	const LgSampledStatement *st = run->sampled;
	ParamListInfo stats = (list_length(call->paramsets) > 1) ?
		(ParamListInfo) llast(call->paramsets) : NULL;
	List	   *sets = NIL;
	List	   *seen_ids = NIL;
	double	   *weights = palloc(sizeof(double) * LG_PARAM_SETS);
	bool		complete = true;

	for (int i = 0; i < st->nsets && i < LG_PARAM_SETS; i++)
	{
		LgConvertSet cv = {&st->sets[i], ptypes, nparams, stats, NULL, false, NULL};
		ErrorData  *edata = lg_run_guarded(lg_convert_set, &cv, LG_GUARD_SUBXACT);

		if (edata != NULL)
		{
			FreeErrorData(edata);
			continue;
		}
		weights[list_length(sets)] = Max(st->sets[i].count, 1);
		sets = lappend(sets, cv.out);
		seen_ids = lappend(seen_ids, cv.seen_ids);
		complete &= cv.complete;
	}
	if (sets == NIL)
		return;
	call->paramsets = sets;
	call->weights = weights;
	call->seen_ids = seen_ids;
	run->used_seen = true;
	run->seen_complete = complete;
}

/*
 * May the current user run this query?  Checked the way the executor
 * checks a plan before running it, on every query level (subqueries, CTEs,
 * sublinks, views' expansions): no advice, and no costs, on tables the
 * user could not read or write.  Raises 42501 as the executor would.
 */
static bool
lg_permissions_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;

		check_stack_depth();
		(void) lg_check_query_permissions(q);
		return query_tree_walker(q, lg_permissions_walker, context, 0);
	}
	return expression_tree_walker(node, lg_permissions_walker, context);
}

/*
 * The body of advise_indexes, run inside a subtransaction that is always
 * rolled back; throws on bad input.  Results are allocated in result_cxt.
 * When run->as_user is set, the caller has already switched to that role.
 */
static void
lg_advise(LgAdviseRun *run, Oid caller, int caller_sec)
{
	const char *text = run->text;
	LgAdviseCall *call = run->call;
	LgAdvice   *adv = run->adv;
	List	   *raw;
	RawStmt    *rs;
	Oid		   *ptypes = NULL;
	int			nparams = 0;
	Query	   *query;
	List	   *rewritten;
	LgCollect	cx;
	List	   *cands;
	ListCell   *lc;
	int			i;
	Cost		s0,
				t0,
				s1,
				t1;
	MemoryContext old;

	memset(&cx, 0, sizeof(cx));
	lg_opclass_cache_n = 0;
	raw = pg_parse_query(text);
	if (list_length(raw) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("advise_indexes takes exactly one statement, got %d",
						list_length(raw))));
	rs = linitial_node(RawStmt, raw);
	if (!IsA(rs->stmt, SelectStmt) && !IsA(rs->stmt, InsertStmt) &&
		!IsA(rs->stmt, UpdateStmt) && !IsA(rs->stmt, DeleteStmt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("advise_indexes takes a SELECT, INSERT, UPDATE or DELETE statement")));

	query = lg_parse_analyze_varparams(rs, text, &ptypes, &nparams);
	for (i = 0; i < nparams; i++)
		if (!OidIsValid(ptypes[i]) || ptypes[i] == UNKNOWNOID)
			ereport(ERROR,
					(errcode(ERRCODE_INDETERMINATE_DATATYPE),
					 errmsg("could not determine data type of parameter $%d", i + 1)));
	rewritten = pg_rewrite_query(query);
	if (list_length(rewritten) != 1 ||
		linitial_node(Query, rewritten)->commandType == CMD_UTILITY)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("advise_indexes cannot advise on a statement that rules rewrite into several")));
	query = linitial_node(Query, rewritten);

	/*
	 * Permissions before any costing: the role the query is planned as, and
	 * also the caller when that is another role, since the caller sees the
	 * costs.
	 */
	(void) lg_permissions_walker((Node *) query, NULL);
	if (OidIsValid(run->as_user) && run->as_user != caller)
	{
		SetUserIdAndSecContext(caller, caller_sec);
		(void) lg_permissions_walker((Node *) query, NULL);
		SetUserIdAndSecContext(run->as_user, caller_sec | SECURITY_RESTRICTED_OPERATION);
	}

	lg_collect_query(&cx, query);
	call->keys = cx.keys;
	call->paramsets = lg_param_sets(&cx, ptypes, nparams);
	call->weights = NULL;
	call->seen_ids = NIL;
	if (run->sampled != NULL && run->sampled->nsets > 0 && nparams > 0)
		lg_seen_param_sets(run, ptypes, nparams);
	cx.seen = run->used_seen ? call->paramsets : NIL;
	cx.seen_weights = call->weights;
	cx.seen_ids = run->used_seen ? call->seen_ids : NIL;
	cands = lg_candidates(&cx);
	call->keys = cx.keys;

	/* plan as it is */
	call->hypo = palloc0(sizeof(LgIndexCandidate) * Max(list_length(cands), 1));
	call->nhypo = 0;
	lg_plan_cost(call, query, text, &s0, &t0);
	s1 = s0;
	t1 = t0;

	i = 0;
	foreach(lc, cands)
	{
		call->hypo[i] = *(LgIndexCandidate *) lfirst(lc);
		call->hypo[i].fakeoid = lg_fake_oid(i);
		call->hypo[i].active = true;
		call->hypo[i].partitioned = (get_rel_relkind(call->hypo[i].relid) == RELKIND_PARTITIONED_TABLE);
		i++;
	}
	call->nhypo = i;

	if (call->nhypo > 0)
	{
		Cost		s,
					t;
		int			nused = 0;
		LgPlanSnap	snap = {NULL, NULL, NULL};

		/*
		 * With every candidate; then only the ones that plan used, which
		 * is the same plan: the planner keeps the cheapest paths, and the
		 * winning one needs only those, so that set is not planned again.
		 * Each later step plans the set with one change and, when the
		 * change is not kept, puts back what the planning of the kept set
		 * found (snap): every planning is of a set not planned before.
		 */
		lg_plan_cost(call, query, text, &s, &t);
		for (i = 0; i < call->nhypo; i++)
		{
			call->hypo[i].active = call->hypo[i].used;
			call->hypo[i].size_pages = call->hypo[i].pages;
			nused += call->hypo[i].used;
		}
		if (nused > 0)
		{
			s1 = s;
			t1 = t;
			lg_snap_save(call, &snap);
			/* drop each index the plan does as well without */
			for (i = 0; i < call->nhypo && nused > 1; i++)
			{
				if (!call->hypo[i].active)
					continue;
				call->hypo[i].active = false;
				lg_plan_cost(call, query, text, &s, &t);
				if (t <= t1 * LG_DROP_TOLERANCE)
				{
					s1 = s;
					t1 = t;
					nused--;
					lg_snap_save(call, &snap);
				}
				else
				{
					call->hypo[i].active = true;
					lg_snap_restore(call, &snap);
				}
			}
			/*
			 * Narrow: an index the plan uses gives way to a candidate of
			 * some of its columns when the plan costs the same with it
			 * ((user_id) for status = 'done' AND user_id = $1, when nearly
			 * every row is done).
			 */
			for (i = 0; i < call->nhypo; i++)
			{
				if (!call->hypo[i].active)
					continue;
				for (int j = 0; j < call->nhypo; j++)
				{
					LgIndexCandidate *a = &call->hypo[i];
					LgIndexCandidate *b = &call->hypo[j];
					bool		subset = true;

					if (b->active || b->relid != a->relid || b->ncols >= a->ncols ||
						!equal(a->pred, b->pred))
						continue;
					for (int x = 0; x < b->ncols && subset; x++)
					{
						bool		in = false;

						for (int y = 0; y < a->ncols; y++)
							in |= (a->cols[y] == b->cols[x]);
						subset = in;
					}
					if (!subset)
						continue;
					if (lg_try_replace(call, query, text, a, b,
									   LG_NARROW_TOLERANCE, &s1, &t1, &snap))
						break;
				}
			}

			/*
			 * Widen: an index the plan uses gives way to a longer candidate
			 * that starts with its columns and adds only ORDER BY or range
			 * columns after its equality columns, when the plan costs about
			 * the same with it.  Estimates from generic or average values
			 * hide how many rows a frequent value brings to sort or filter;
			 * the longer index reads only the rows the query returns
			 * whatever the value, which is what a DBA would choose.
			 */
			for (i = 0; i < call->nhypo; i++)
			{
				if (!call->hypo[i].active)
					continue;
				for (int j = 0; j < call->nhypo; j++)
				{
					LgIndexCandidate *a = &call->hypo[i];
					LgIndexCandidate *b = &call->hypo[j];

					if (b->active || b->relid != a->relid || b->ncols <= a->ncols ||
						b->neq > a->ncols || !equal(a->pred, b->pred) ||
						memcmp(b->cols, a->cols, sizeof(AttrNumber) * a->ncols) != 0)
						continue;
					if (lg_try_replace(call, query, text, a, b,
									   LG_WIDEN_TOLERANCE, &s1, &t1, &snap))
						break;
				}
			}
			/*
			 * A full index gives way to a partial candidate on the same
			 * table that the plan uses as well, at about the same cost and
			 * at most half the size: it is cheaper to keep up and to cache,
			 * and serves the rows the statement reads.
			 */
			for (i = 0; i < call->nhypo; i++)
			{
				double		a_pages = call->hypo[i].pages;

				if (!call->hypo[i].active || call->hypo[i].pred != NULL)
					continue;
				for (int j = 0; j < call->nhypo; j++)
				{
					LgIndexCandidate *a = &call->hypo[i];
					LgIndexCandidate *b = &call->hypo[j];

					if (b->active || b->pred == NULL || b->relid != a->relid ||
						b->size_pages * 2 > a_pages)
						continue;
					if (lg_try_replace(call, query, text, a, b,
									   LG_PARTIAL_TOLERANCE, &s1, &t1, &snap))
						break;
				}
			}
			/* the final set's planning is the last one kept (snap) */

			/*
			 * INCLUDE: an index the plan reads the table through gives the
			 * few other columns the statement needs of that table, when
			 * the plan then scans the index only and costs clearly less
			 * (the planner counts on it only as far as the visibility map
			 * lets it).
			 */
			for (i = 0; i < call->nhypo && query->commandType == CMD_SELECT; i++)
			{
				LgIndexCandidate *a = &call->hypo[i];
				LgIndexCandidate saved = *a;
				AttrNumber	extra[LG_MAX_INCLUDE];
				int			nextra;

				if (!a->active || !a->used || a->index_only)
					continue;
				nextra = lg_include_columns(query, a, call->keys, extra);
				if (nextra == 0 || a->ncols + nextra > LG_MAX_CANDIDATE_COLS)
					continue;
				memcpy(&a->cols[a->ncols], extra, sizeof(AttrNumber) * nextra);
				a->ncols += nextra;
				a->ninclude = nextra;
				lg_plan_cost(call, query, text, &s, &t);
				if (a->used && a->index_only && t <= t1 * LG_INCLUDE_GAIN)
				{
					s1 = s;
					t1 = t;
					lg_snap_save(call, &snap);
				}
				else
				{
					*a = saved;
					lg_snap_restore(call, &snap);
				}
			}
			for (i = 0; i < call->nhypo; i++)
				call->hypo[i].active = call->hypo[i].active && call->hypo[i].used;

			if (t0 <= 0 || t1 >= t0 || (t0 - t1) / t0 < lg_advice_min_improvement)
			{
				s1 = s0;
				t1 = t0;
				for (i = 0; i < call->nhypo; i++)
					call->hypo[i].active = false;
			}
		}
	}

	old = MemoryContextSwitchTo(run->result_cxt);
	adv->have_costs = true;
	adv->startup_before = s0;
	adv->total_before = t0;
	adv->startup_after = s1;
	adv->total_after = t1;

	/*
	 * How far to trust the estimate: costs for the statement's own values
	 * (no parameters, or every $n with values it ran with), for values
	 * partly as seen or its columns' common values and the generic plan,
	 * or for the generic plan only; an expression index is costed with
	 * its column's statistics, borrowed.
	 */
	adv->confidence = (nparams == 0 || (run->used_seen && run->seen_complete)) ? "high" :
		(run->used_seen || list_length(call->paramsets) > 1) ? "medium" : "low";
	for (i = 0; i < call->nhypo; i++)
		if (call->hypo[i].active)
			for (int k = 0; k < call->hypo[i].ncols; k++)
				if (call->hypo[i].cols[k] < 0 &&
					lg_key(call->keys, call->hypo[i].cols[k])->expr != NULL)
					adv->confidence = "low";
	for (i = 0; i < call->nhypo; i++)
		if (call->hypo[i].active)
		{
			int64	   *bytes = palloc(sizeof(int64));

			*bytes = (int64) call->hypo[i].pages * BLCKSZ;
			adv->statements = lappend(adv->statements, lg_candidate_statement(&call->hypo[i], call->keys));
			adv->sizes = lappend(adv->sizes, bytes);
		}
	MemoryContextSwitchTo(old);
}

static Datum
lg_text_array(List *strings)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(strings), 1));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, strings)
		elems[n++] = CStringGetTextDatum(lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
lg_int8_array(List *values)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(values), 1));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, values)
		elems[n++] = Int64GetDatum(*(int64 *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * Run one advise_indexes call, as the caller or (as_user) as the role that
 * ran a sampled statement, and form its result row.
 *
 * Errors of the statement (bad input, an unknown table, permission
 * denied, an error raised by a function the planner folds) go to the
 * errors column; cancel, timeouts and resource errors end the call
 * (lg_run_guarded).  Whatever happens, the subtransaction is rolled back,
 * which also gives back the caller's user id, security context and
 * settings if an error left them switched; lg_advising is restored to the
 * outer call, if any, even when an error passes through.
 */
static void lg_advise_guarded(void *arg);

static Datum
lg_advise_result(FunctionCallInfo fcinfo, const char *sql, Oid as_user,
				 const char *search_path, const LgSampledStatement *sampled,
				 const char *refusal)
{
	LgAdviseCall call;
	LgAdviseCall *outer = lg_advising;
	LgAdvice	adv;
	LgAdviseRun run;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	memset(&adv, 0, sizeof(adv));
	if (refusal != NULL)
		adv.errors = list_make1(pstrdup(refusal));
	else
	{
		ErrorData  *edata;

		memset(&call, 0, sizeof(call));
		run.text = sql;
		run.as_user = as_user;
		run.search_path = search_path;
		run.call = &call;
		run.adv = &adv;
		run.result_cxt = CurrentMemoryContext;
		run.sampled = sampled;
		run.used_seen = run.seen_complete = false;

		lg_advising = &call;
		PG_TRY();
		{
			edata = lg_run_guarded(lg_advise_guarded, &run, LG_GUARD_SUBXACT);

			/*
			 * An error while planning with the values the statement ran
			 * with may quote them: the reader gets the error of a
			 * planning without them instead.
			 */
			if (edata != NULL && run.used_seen)
			{
				FreeErrorData(edata);
				memset(&call, 0, sizeof(call));
				memset(&adv, 0, sizeof(adv));
				run.sampled = NULL;
				run.used_seen = run.seen_complete = false;
				edata = lg_run_guarded(lg_advise_guarded, &run, LG_GUARD_SUBXACT);
			}
		}
		PG_FINALLY();
		{
			lg_advising = outer;
		}
		PG_END_TRY();

		if (edata != NULL)
		{
			adv.have_costs = false;
			adv.statements = NIL;
			adv.sizes = NIL;
			adv.errors = lappend(adv.errors, edata->message);
		}
	}

	if (adv.have_costs)
	{
		values[0] = Float8GetDatum(adv.startup_before);
		values[1] = Float8GetDatum(adv.total_before);
		values[2] = Float8GetDatum(adv.startup_after);
		values[3] = Float8GetDatum(adv.total_after);
		values[7] = Float8GetDatum(adv.total_before > 0 ?
								   (adv.total_before - adv.total_after) / adv.total_before : 0);
		values[8] = CStringGetTextDatum(adv.confidence);
	}
	else
		nulls[0] = nulls[1] = nulls[2] = nulls[3] = nulls[7] = nulls[8] = true;
	values[4] = lg_text_array(adv.statements);
	values[5] = lg_text_array(adv.errors);
	values[6] = lg_int8_array(adv.sizes);

	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * Inside the subtransaction: switch to the statement's role when asked,
 * in a security-restricted operation with the statement's own search_path
 * at a GUC nesting level of its own, and advise.  On error the
 * subtransaction's rollback restores user, security context and settings.
 */
static void
lg_advise_guarded(void *arg)
{
	LgAdviseRun *run = (LgAdviseRun *) arg;
	Oid			caller;
	int			caller_sec;
	int			nestlevel = -1;

	GetUserIdAndSecContext(&caller, &caller_sec);
	if (OidIsValid(run->as_user))
	{
		SetUserIdAndSecContext(run->as_user, caller_sec | SECURITY_RESTRICTED_OPERATION);
		nestlevel = NewGUCNestLevel();
		(void) set_config_option("search_path", run->search_path,
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}

	lg_advise(run, caller, caller_sec);

	if (OidIsValid(run->as_user))
	{
		AtEOXact_GUC(false, nestlevel);
		SetUserIdAndSecContext(caller, caller_sec);
	}
}

/*
 * lifeguard.advise_indexes(query text) returns one row: costs before and
 * after, the CREATE INDEX statements, and errors.  The query is the
 * caller's own text, planned as the caller.
 */
Datum
lifeguard_advise_indexes(PG_FUNCTION_ARGS)
{
	char	   *sql;
	LgSampledStatement *own;

	/* bad input goes to errors, like every other */
	if (PG_ARGISNULL(0))
		return lg_advise_result(fcinfo, NULL, InvalidOid, NULL, NULL,
								"query must not be null");
	sql = text_to_cstring(PG_GETARG_TEXT_PP(0));

	/*
	 * The text of a sampled statement of the caller's own (as index_advice
	 * shows it): costed over the values the caller's runs had.
	 */
	own = palloc(sizeof(LgSampledStatement));
	if (!lg_workload_own_statement(sql, own))
		own = NULL;
	return lg_advise_result(fcinfo, sql, InvalidOid, NULL, own, NULL);
}

/*
 * The search_path setting that gives a sampled statement the schemas it
 * was run with: the recorded schemas that still exist, then pg_temp, so
 * that the reader's temporary tables never take the place of the
 * statement's tables (functions are never looked up in pg_temp without
 * it being named).
 */
static char *
lg_search_path_setting(const LgSampledStatement *st)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < st->npath; i++)
	{
		char	   *name = get_namespace_name(st->path[i]);

		if (name == NULL || isAnyTempNamespace(st->path[i]))
			continue;
		appendStringInfo(&s, "%s, ", quote_identifier(name));
	}
	appendStringInfoString(&s, "pg_temp");
	return s.data;
}

/*
 * lifeguard._advise_sampled(userid oid, queryid bigint): advise_indexes on
 * a statement sampled in this database, planned as the role that ran it
 * (in a security-restricted operation, with the search_path it ran with),
 * never as the caller.  Functions the planner evaluates (constant folding,
 * selectivity estimation) thus run with the privileges of the role that
 * wrote them, as when it ran the statement itself.  The caller must be
 * allowed to read the statement's text (pg_stat_statements' rule) and the
 * tables it uses; the text is taken from shared memory, never from the
 * caller.
 */
Datum
lifeguard_advise_sampled(PG_FUNCTION_ARGS)
{
	Oid			userid = PG_GETARG_OID(0);
	int64		queryid = PG_GETARG_INT64(1);
	LgSampledStatement *st = palloc(sizeof(LgSampledStatement));

	switch (lg_workload_statement(userid, queryid, st))
	{
		case LG_SAMPLED_HIDDEN:
			return lg_advise_result(fcinfo, NULL, InvalidOid, NULL, NULL,
									"permission denied to read the sampled statement");
		case LG_SAMPLED_GONE:
			return lg_advise_result(fcinfo, NULL, InvalidOid, NULL, NULL,
									"no such sampled statement");
		case LG_SAMPLED_FOUND:
			break;
	}
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(userid)))
		return lg_advise_result(fcinfo, NULL, InvalidOid, NULL, NULL,
								"the role that ran the sampled statement no longer exists");
	return lg_advise_result(fcinfo, st->text, userid,
							lg_search_path_setting(st), st, NULL);
}

/*
 * lifeguard._index_statement_parts(statement text, OUT key_columns text[],
 * OUT predicate text): the key columns (each as written: a quoted name, an
 * expression, with its operator class) and the WHERE clause of a
 * statement advise_indexes wrote, "CREATE INDEX ON t USING btree (...)
 * [INCLUDE (...)] [WHERE ...]", so index_advice can tell when one advised
 * index is a
 * prefix of another.  Commas inside parentheses and quotes do not split.
 * NULLs for any other text.
 */
Datum
lifeguard_index_statement_parts(PG_FUNCTION_ARGS)
{
	char	   *stmt = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *marker = " USING btree (";
	char	   *p = strstr(stmt, marker);
	List	   *cols = NIL;
	StringInfoData cur;
	int			depth = 0;
	char		quote = 0;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {true, true};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (p == NULL || strncmp(stmt, "CREATE INDEX ", 13) != 0)
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));

	initStringInfo(&cur);
	for (p += strlen(marker); *p; p++)
	{
		if (quote)
		{
			appendStringInfoChar(&cur, *p);
			if (*p == quote)
				quote = 0;		/* a doubled quote reopens at once */
			continue;
		}
		if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if ((*p == ',' || *p == ')') && depth == 0)
		{
			cols = lappend(cols, pstrdup(cur.data));
			resetStringInfo(&cur);
			if (*p == ')')
				break;
			if (p[1] == ' ')
				p++;
			continue;
		}
		appendStringInfoChar(&cur, *p);
	}
	if (*p != ')' || cols == NIL)
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	values[0] = lg_text_array(cols);
	nulls[0] = false;
	/* INCLUDE columns are not keys: skip them */
	if (strncmp(p + 1, " INCLUDE (", 10) == 0)
	{
		for (p += 11, quote = 0; *p && (quote || *p != ')'); p++)
		{
			if (quote && *p == quote)
				quote = 0;
			else if (!quote && (*p == '"' || *p == '\''))
				quote = *p;
		}
		if (*p != ')')
			PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}
	if (strncmp(p + 1, " WHERE ", 7) == 0)
	{
		values[1] = CStringGetTextDatum(p + 8);
		nulls[1] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

