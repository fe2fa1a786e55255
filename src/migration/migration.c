/*-------------------------------------------------------------------------
 *
 * migration.c
 *		Migration reversibility check: up, down, up again, always rolled back.
 *
 * lifeguard.check_migration(up, down, schemas) answers "does down really
 * undo up?" inside the caller's session:
 *
 *	1. Both scripts are split with PostgreSQL's own parser.  One outer
 *	   BEGIN/START TRANSACTION ... COMMIT/END pair around a whole script
 *	   (offline SQL from Alembic or Django) is left out, with an info
 *	   finding.  Any other statement that cannot run in a transaction
 *	   block (CREATE INDEX CONCURRENTLY, VACUUM, transaction control,
 *	   ALTER SYSTEM, ...) is reported as not_transactional and nothing
 *	   runs.
 *	2. Inside a subtransaction that is always rolled back: snapshot, run
 *	   up, run down, snapshot, run up again (the "stairway").  Each
 *	   statement runs in a subtransaction of its own so a failure is
 *	   reported with its SQLSTATE and position.  After each statement the
 *	   locks it newly holds on pre-existing tables are read from pg_locks,
 *	   and a changed relfilenode reveals a table rewrite.
 *	3. Rows: not_reversible for every difference between the snapshots
 *	   before up and after down (schema_diff), stairway_failed when up
 *	   fails after down, error for a failing step, lock, rewrite,
 *	   data_loss, lint for well-known unsafe operations on tables that
 *	   existed before, and warnings for sequence values consumed (nextval
 *	   is not undone by a rollback).
 *
 * Only the scripts' own errors become findings: a cancel, statement or
 * lock timeout, or a resource error ends the call as it would end any
 * statement (lg_run_guarded, guard.c).
 *
 * Nothing the scripts did survives: the outer subtransaction is rolled
 * back on success and on error, and what a rollback does not undo in the
 * session is undone by hand: settings after each step, prepared
 * statements and cursors the scripts made after each step and after the
 * call, session-level advisory locks they took after the call.  Values
 * taken from sequences are reported instead.  Outside that subtransaction
 * the check itself takes no lock that outlives it and assigns no
 * transaction ID (scripts that write do get one: a subtransaction's ID
 * needs its parent's).
 *
 * The scripts run as the calling role, with the caller's search_path and
 * settings (this is no SECURITY DEFINER function).  The snapshot
 * (snapshot.c), the diff (30_migration.sql) and every other query of this
 * file run through lg_spi(), with search_path pinned to pg_catalog.
 *
 * All state lives in the call's LgCheck, none in file-level variables: a
 * script may call check_migration or schema_snapshot again, directly or
 * through a function the planner folds, and each call checks and undoes
 * only its own scripts.
 *
 * Owns: check_migration.  Must not: let anything a script does survive
 * the call.
 *
 * src/migration/migration.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/prepare.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parser.h"
#include "parser/scansup.h"
#include "parser/parse_type.h"
#include "storage/lock.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "core/compat.h"
#include "core/guard.h"
#include "migration/migration.h"

/* One parsed statement of a script. */
typedef struct LgStmt
{
	int			no;				/* 1-based position in its script */
	Node	   *parsetree;
	char	   *sql;			/* its own text */
} LgStmt;

/* One result row. */
typedef struct LgFinding
{
	const char *step;
	int			statement_no;	/* 0: not about one statement */
	const char *severity;
	const char *kind;
	char	   *object_name;
	char	   *detail;
} LgFinding;

typedef struct LgCheck
{
	MemoryContext result_cxt;	/* findings live here */
	List	   *findings;
	Datum		schemas;		/* text[] or 0 */
	bool		schemas_null;
	/* pre-existing tables: oid -> relfilenode, and their names */
	int			ntables;
	Oid		   *table_oids;
	Oid		   *table_nodes;
	char	  **table_names;
	/* the session's own state before the call, in result_cxt */
	List	   *prepared;		/* names of prepared statements */
	List	   *cursors;		/* names of open cursors */
} LgCheck;

PG_FUNCTION_INFO_V1(lifeguard_check_migration);

static void
lg_find(LgCheck *c, const char *step, int no, const char *severity,
		const char *kind, const char *object, const char *fmt,...)
	pg_attribute_printf(7, 8);

static void
lg_find(LgCheck *c, const char *step, int no, const char *severity,
		const char *kind, const char *object, const char *fmt,...)
{
	MemoryContext old = MemoryContextSwitchTo(c->result_cxt);
	LgFinding  *f = palloc0(sizeof(LgFinding));
	StringInfoData buf;

	f->step = step;
	f->statement_no = no;
	f->severity = severity;
	f->kind = kind;
	f->object_name = object ? pstrdup(object) : NULL;
	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	f->detail = buf.data;
	c->findings = lappend(c->findings, f);
	MemoryContextSwitchTo(old);
}

/*---- This file's own queries ----*/

/*
 * Run one of this file's own queries through SPI (never a script's).
 * search_path is pinned to pg_catalog, pg_temp while it runs, so neither
 * the caller's setting nor a script's SET search_path or CREATE OPERATOR
 * can put other functions or operators under the names it uses; the
 * queries name their operators by schema besides.  read_only = false makes
 * SPI take a fresh snapshot, so the query sees what the statements just
 * did.  An error unwinds the pinned setting with the (sub)transaction.
 */
static int
lg_spi(const char *query, int nargs, Oid *argtypes, Datum *values,
	   const char *nulls, long tcount)
{
	int			nest = NewGUCNestLevel();
	int			rc;

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	rc = SPI_execute_with_args(query, nargs, argtypes, values, nulls, false, tcount);
	AtEOXact_GUC(true, nest);
	return rc;
}

/*---- Splitting ----*/

static List *
lg_split(const char *script)
{
	List	   *raw = raw_parser(script, RAW_PARSE_DEFAULT);
	List	   *out = NIL;
	ListCell   *lc;
	int			no = 0;

	foreach(lc, raw)
	{
		RawStmt    *rs = lfirst_node(RawStmt, lc);
		LgStmt	   *s = palloc0(sizeof(LgStmt));
		int			len = rs->stmt_len > 0 ? rs->stmt_len :
			(int) strlen(script + rs->stmt_location);

		s->no = ++no;
		s->parsetree = rs->stmt;
		s->sql = pnstrdup(script + rs->stmt_location, len);
		while (s->sql[0] != '\0' && scanner_isspace(s->sql[0]))
			s->sql++;
		out = lappend(out, s);
	}
	return out;
}

typedef struct LgSplitArg
{
	const char *script;
	List	   *stmts;
} LgSplitArg;

static void
lg_split_guarded(void *arg)
{
	LgSplitArg *a = (LgSplitArg *) arg;

	a->stmts = lg_split(a->script);
}

/* Split a script; a syntax error is reported against its step. */
static bool
lg_split_script(LgCheck *c, const char *step, const char *script, List **stmts)
{
	LgSplitArg	a = {script, NIL};
	ErrorData  *edata;

	/* raw parsing takes no lock and no buffer: no subtransaction needed */
	edata = lg_run_guarded(lg_split_guarded, &a, 0);
	if (edata != NULL)
	{
		lg_find(c, step, 0, "error", "error", NULL, "%s (SQLSTATE %s)",
				edata->message, unpack_sql_state(edata->sqlerrcode));
		FreeErrorData(edata);
		return false;
	}
	*stmts = a.stmts;
	return true;
}

/*
 * Offline SQL from migration tools (Alembic --sql, Django sqlmigrate) is
 * wrapped in BEGIN; ... COMMIT;.  One plain BEGIN or START TRANSACTION
 * first and one plain COMMIT or END last are left out, with an info
 * finding; transaction control anywhere else is still refused.  Options
 * (isolation level, read only) and COMMIT AND CHAIN are not plain: the
 * check could not honour them.
 */
static bool
lg_is_plain_begin(Node *n)
{
	TransactionStmt *t = (TransactionStmt *) n;

	return IsA(n, TransactionStmt) && t->options == NIL &&
		(t->kind == TRANS_STMT_BEGIN || t->kind == TRANS_STMT_START);
}

static bool
lg_is_plain_commit(Node *n)
{
	TransactionStmt *t = (TransactionStmt *) n;

	return IsA(n, TransactionStmt) && t->kind == TRANS_STMT_COMMIT && !t->chain;
}

static List *
lg_strip_outer_transaction(LgCheck *c, const char *step, List *stmts)
{
	LgStmt	   *first,
			   *last;

	if (list_length(stmts) < 2)
		return stmts;
	first = linitial(stmts);
	last = llast(stmts);
	if (!lg_is_plain_begin(first->parsetree) || !lg_is_plain_commit(last->parsetree))
		return stmts;
	lg_find(c, step, 0, "info", "outer_transaction_stripped", NULL,
			"the script's own %s (statement %d) and COMMIT (statement %d) were left out: "
			"the statements between them run in a subtransaction that is always rolled back",
			((TransactionStmt *) first->parsetree)->kind == TRANS_STMT_START ?
			"START TRANSACTION" : "BEGIN",
			first->no, last->no);
	stmts = list_delete_first(stmts);
	return list_delete_last(stmts);
}

static bool
lg_has_option(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *d = lfirst_node(DefElem, lc);

		if (strcmp(d->defname, name) == 0)
			return d->arg == NULL || defGetBoolean(d);
	}
	return false;
}

/*
 * CLUSTER (and from 19 every form of REPACK) runs each table in its own
 * transaction when it has no table or its table is partitioned; 19's
 * REPACK (CONCURRENTLY) never runs in a transaction block.  A table the
 * script itself creates is not known yet: running it reports the error.
 */
static const char *
lg_cluster_not_transactional(Node *n)
{
	RangeVar   *rv = lg_cluster_relation(n);
	const char *cmd = CreateCommandName(n);	/* CLUSTER or REPACK */
	Oid			relid;

	if (lg_has_option(lg_cluster_params(n), "concurrently"))
		return psprintf("%s (CONCURRENTLY)", cmd);
	if (rv == NULL)
		return psprintf("%s without a table", cmd);
	if (!LG_CLUSTER_PARTITIONED_OWN_XACTS)
		return NULL;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		return psprintf("%s of a partitioned table", cmd);
	return NULL;
}

/* Why a statement cannot run inside a transaction block, or NULL. */
static const char *
lg_not_transactional(Node *n)
{
	switch (nodeTag(n))
	{
		case T_TransactionStmt:
			return "transaction control";
		case T_VacuumStmt:
			return ((VacuumStmt *) n)->is_vacuumcmd ? "VACUUM" : NULL;
		case T_IndexStmt:
			return ((IndexStmt *) n)->concurrent ? "CREATE INDEX CONCURRENTLY" : NULL;
		case T_DropStmt:
			return ((DropStmt *) n)->concurrent ? "DROP INDEX CONCURRENTLY" : NULL;
		case T_ReindexStmt:
			if (lg_has_option(((ReindexStmt *) n)->params, "concurrently"))
				return "REINDEX CONCURRENTLY";
			if (((ReindexStmt *) n)->kind == REINDEX_OBJECT_SYSTEM ||
				((ReindexStmt *) n)->kind == REINDEX_OBJECT_DATABASE)
				return "REINDEX SYSTEM or DATABASE";
			return NULL;
		case T_LgClusterStmt:
			return lg_cluster_not_transactional(n);
		case T_CreatedbStmt:
			return "CREATE DATABASE";
		case T_DropdbStmt:
			return "DROP DATABASE";
		case T_AlterSystemStmt:
			return "ALTER SYSTEM";
		case T_CreateTableSpaceStmt:
			return "CREATE TABLESPACE";
		case T_DropTableSpaceStmt:
			return "DROP TABLESPACE";
		case T_CreateSubscriptionStmt:
			return "CREATE SUBSCRIPTION";
		case T_DropSubscriptionStmt:
			return "DROP SUBSCRIPTION";
		case T_DiscardStmt:
			return ((DiscardStmt *) n)->target == DISCARD_ALL ? "DISCARD ALL" : NULL;
		case T_CopyStmt:
			if (((CopyStmt *) n)->filename == NULL)
				return "COPY to or from the client";
			return NULL;
		default:
			return NULL;
	}
}

/*---- Static findings: data loss and lint ----*/

static char *
lg_rv_name(RangeVar *rv)
{
	return quote_qualified_identifier(rv->schemaname, rv->relname);
}

/* OID of a table that existed before the migration, or InvalidOid. */
static Oid
lg_preexisting(LgCheck *c, RangeVar *rv)
{
	Oid			relid = RangeVarGetRelid(rv, NoLock, true);

	for (int i = 0; OidIsValid(relid) && i < c->ntables; i++)
		if (c->table_oids[i] == relid)
			return relid;
	return InvalidOid;
}

/* Is there a validated CHECK (col IS NOT NULL) on the table? */
static bool
lg_has_not_null_check(Oid relid, const char *col)
{
	Oid			argtypes[2] = {OIDOID, TEXTOID};
	Datum		values[2];

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(psprintf("CHECK ((%s IS NOT NULL))", quote_identifier(col)));
	return lg_spi("SELECT 1 FROM pg_catalog.pg_constraint "
				  "WHERE conrelid OPERATOR(pg_catalog.=) $1 "
				  "AND contype OPERATOR(pg_catalog.=) 'c' AND convalidated "
				  "AND pg_catalog.pg_get_constraintdef(oid) OPERATOR(pg_catalog.=) $2",
				  2, argtypes, values, NULL, 1) == SPI_OK_SELECT && SPI_processed > 0;
}

/*
 * Would changing this column to the new type lose data?  Narrowing: the
 * same type with a smaller typmod, or a type the old one has no implicit
 * cast to.
 */
static bool
lg_narrowing(Oid relid, const char *col, TypeName *tn)
{
	AttrNumber	attnum = get_attnum(relid, col);
	Type		typ;
	Oid			oldtype,
				newtype,
				collid;
	int32		oldmod,
				newmod;

	if (attnum == InvalidAttrNumber || tn == NULL)
		return false;

	get_atttypetypmodcoll(relid, attnum, &oldtype, &oldmod, &collid);
	typ = LookupTypeName(NULL, tn, &newmod, true);
	if (typ == NULL)
		return false;			/* the statement itself will fail */
	newtype = typeTypeId(typ);
	ReleaseSysCache(typ);
	if (oldtype == newtype)
		return newmod >= 0 && (oldmod < 0 || newmod < oldmod);
	return !can_coerce_type(1, &oldtype, &newtype, COERCION_IMPLICIT);
}

/*
 * Findings that need only the statement and the catalogs as they are just
 * before it runs.
 */
static void
lg_static_findings(LgCheck *c, const char *step, LgStmt *s)
{
	Node	   *n = s->parsetree;

	switch (nodeTag(n))
	{
		case T_DropStmt:
			{
				DropStmt   *d = (DropStmt *) n;

				if (d->removeType == OBJECT_TABLE || d->removeType == OBJECT_MATVIEW)
				{
					ListCell   *lc;

					foreach(lc, d->objects)
						lg_find(c, step, s->no, "warning", "data_loss",
								NameListToString(lfirst(lc)),
								"DROP %s destroys its rows",
								d->removeType == OBJECT_TABLE ? "TABLE" : "MATERIALIZED VIEW");
				}
				break;
			}
		case T_TruncateStmt:
			{
				ListCell   *lc;

				foreach(lc, ((TruncateStmt *) n)->relations)
					lg_find(c, step, s->no, "warning", "data_loss",
							lg_rv_name(lfirst(lc)), "TRUNCATE destroys every row");
				break;
			}
		case T_DeleteStmt:
			if (((DeleteStmt *) n)->whereClause == NULL)
				lg_find(c, step, s->no, "warning", "data_loss",
						lg_rv_name(((DeleteStmt *) n)->relation),
						"DELETE without WHERE removes every row");
			break;
		case T_IndexStmt:
			{
				IndexStmt  *ix = (IndexStmt *) n;

				if (!ix->concurrent && OidIsValid(lg_preexisting(c, ix->relation)))
					lg_find(c, step, s->no, "warning", "lint", lg_rv_name(ix->relation),
							"CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds; "
							"run CREATE INDEX CONCURRENTLY outside a transaction block instead");
				break;
			}
		case T_AlterEnumStmt:
			{
				AlterEnumStmt *ae = (AlterEnumStmt *) n;

				if (ae->newVal != NULL && ae->oldVal == NULL && ae->newValNeighbor == NULL)
					lg_find(c, step, s->no, "warning", "lint", NameListToString(ae->typeName),
							"ALTER TYPE ... ADD VALUE without BEFORE or AFTER appends \"%s\" at the end, "
							"and a down migration cannot remove it; say where it goes with BEFORE or AFTER "
							"and plan the down as a new type",
							ae->newVal);
				break;
			}
		case T_AlterTableStmt:
			{
				AlterTableStmt *at = (AlterTableStmt *) n;
				Oid			relid = lg_preexisting(c, at->relation);
				char	   *rel = lg_rv_name(at->relation);
				ListCell   *lc;

				foreach(lc, at->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
					char	   *obj = cmd->name ? psprintf("%s.%s", rel, quote_identifier(cmd->name)) : rel;

					switch (cmd->subtype)
					{
						case AT_DropColumn:
							lg_find(c, step, s->no, "warning", "data_loss", obj,
									"DROP COLUMN destroys the column's data");
							break;
						case AT_AlterColumnType:
							if (!OidIsValid(relid))
								break;
							if (lg_narrowing(relid, cmd->name,
											 ((ColumnDef *) cmd->def)->typeName))
								lg_find(c, step, s->no, "warning", "data_loss", obj,
										"the new type is narrower: values that do not fit fail or are cut");
							/* the lint waits for the run: only a rewrite earns it */
							break;
						case AT_SetNotNull:
							if (OidIsValid(relid) && !lg_has_not_null_check(relid, cmd->name))
								lg_find(c, step, s->no, "warning", "lint", obj,
										"SET NOT NULL scans the whole table under ACCESS EXCLUSIVE lock; "
										"first ADD CONSTRAINT ... CHECK (%s IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT, then SET NOT NULL",
										quote_identifier(cmd->name));
							break;
						case AT_AddConstraint:
							{
								Constraint *con = (Constraint *) cmd->def;

								if (OidIsValid(relid) && IsA(con, Constraint) &&
									con->contype == CONSTR_FOREIGN && !con->skip_validation)
									lg_find(c, step, s->no, "warning", "lint",
											con->conname ? psprintf("%s.%s", rel, quote_identifier(con->conname)) : rel,
											"ADD FOREIGN KEY without NOT VALID scans the table and locks both tables against writes; "
											"add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction");
								if (OidIsValid(relid) && IsA(con, Constraint) &&
									con->contype == CONSTR_CHECK && !con->skip_validation)
									lg_find(c, step, s->no, "warning", "lint",
											con->conname ? psprintf("%s.%s", rel, quote_identifier(con->conname)) : rel,
											"ADD CHECK without NOT VALID scans the table under ACCESS EXCLUSIVE lock; "
											"add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction");
								break;
							}
						default:
							break;
					}
				}
				break;
			}
		default:
			break;
	}
}

/*---- Snapshots, locks, rewrites through SPI ----*/

static Datum
lg_snapshot(LgCheck *c)
{
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		values[1] = {c->schemas};
	char		nulls[1] = {c->schemas_null ? 'n' : ' '};
	bool		isnull;
	Datum		d;

	if (lg_spi("SELECT lifeguard.schema_snapshot($1)", 1, argtypes,
			   values, nulls, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "schema_snapshot returned no row");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return SPI_datumTransfer(d, false, -1);
}

/* Remember the tables that exist now, with their storage. */
static void
lg_load_tables(LgCheck *c)
{
	const char *q =
		"SELECT c.oid, c.relfilenode, pg_catalog.format('%I.%I', n.nspname, c.relname) "
		"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
		"ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
		"WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,m,p}'::pg_catalog.\"char\"[]) "
		"AND n.nspname OPERATOR(pg_catalog.<>) ALL "
		"('{pg_catalog,information_schema,pg_toast}'::pg_catalog.name[]) "
		"AND c.relpersistence OPERATOR(pg_catalog.<>) 't' ORDER BY c.oid";

	if (lg_spi(q, 0, NULL, NULL, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list tables");
	c->ntables = SPI_processed;
	c->table_oids = palloc(sizeof(Oid) * (c->ntables + 1));
	c->table_nodes = palloc(sizeof(Oid) * (c->ntables + 1));
	c->table_names = palloc(sizeof(char *) * (c->ntables + 1));
	for (int i = 0; i < c->ntables; i++)
	{
		bool		isnull;
		HeapTuple	t = SPI_tuptable->vals[i];

		c->table_oids[i] = DatumGetObjectId(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull));
		c->table_nodes[i] = DatumGetObjectId(SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull));
		c->table_names[i] = SPI_getvalue(t, SPI_tuptable->tupdesc, 3);
	}
}

/* Locks this transaction holds on pre-existing tables, as "oid mode" strings. */
static List *
lg_held_locks(LgCheck *c)
{
	List	   *out = NIL;

	if (lg_spi("SELECT relation, mode FROM pg_catalog.pg_locks "
			   "WHERE pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid() "
			   "AND locktype OPERATOR(pg_catalog.=) 'relation' "
			   "AND granted ORDER BY 1, 2", 0, NULL, NULL, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_locks");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			rel = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 1, &isnull));

		for (int j = 0; j < c->ntables; j++)
			if (c->table_oids[j] == rel)
			{
				out = lappend(out, psprintf("%d %s", j,
											SPI_getvalue(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 2)));
				break;
			}
	}
	return out;
}

static bool
lg_strong_lock(const char *mode)
{
	return strcmp(mode, "AccessExclusiveLock") == 0 ||
		strcmp(mode, "ExclusiveLock") == 0 ||
		strcmp(mode, "ShareRowExclusiveLock") == 0 ||
		strcmp(mode, "ShareLock") == 0;
}

static void
lg_report_locks(LgCheck *c, const char *step, int no, List *before, List *after)
{
	ListCell   *lc;

	foreach(lc, after)
	{
		char	   *entry = lfirst(lc);
		ListCell   *lc2;
		bool		seen = false;
		int			idx;
		char	   *mode;

		foreach(lc2, before)
			if (strcmp(lfirst(lc2), entry) == 0)
				seen = true;
		if (seen)
			continue;
		idx = atoi(entry);
		mode = strchr(entry, ' ') + 1;
		lg_find(c, step, no, lg_strong_lock(mode) ? "warning" : "info", "lock",
				c->table_names[idx], "%s%s", mode,
				strcmp(mode, "AccessExclusiveLock") == 0 ?
				": blocks every read and write of the table until the transaction ends" :
				lg_strong_lock(mode) ? ": blocks writes to the table until the transaction ends" : "");
	}
}

/* Report rewritten pre-existing tables; returns their OIDs. */
static List *
lg_report_rewrites(LgCheck *c, const char *step, int no)
{
	List	   *rewritten = NIL;

	for (int i = 0; i < c->ntables; i++)
	{
		HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(c->table_oids[i]));
		Oid			node;

		if (!HeapTupleIsValid(tup))
			continue;			/* dropped: a data_loss finding says so */
		node = ((Form_pg_class) GETSTRUCT(tup))->relfilenode;
		ReleaseSysCache(tup);
		if (OidIsValid(node) && node != c->table_nodes[i])
		{
			lg_find(c, step, no, "warning", "rewrite", c->table_names[i],
					"the table's storage was rewritten (a full copy under ACCESS EXCLUSIVE lock)");
			c->table_nodes[i] = node;
			rewritten = lappend_oid(rewritten, c->table_oids[i]);
		}
	}
	return rewritten;
}

/*
 * ADD COLUMN on a table that existed before, after it ran: a volatile
 * default makes PostgreSQL rewrite the table to fill the column.
 */
static void
lg_volatile_default(LgCheck *c, const char *step, LgStmt *s, AlterTableStmt *at,
					Oid relid, ColumnDef *def)
{
	Oid			argtypes[2] = {OIDOID, TEXTOID};
	Datum		values[2];

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(def->colname);
	if (lg_spi("SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid), "
			   "d.adbin::pg_catalog.text FROM pg_catalog.pg_attrdef d "
			   "JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) d.adrelid "
			   "AND a.attnum OPERATOR(pg_catalog.=) d.adnum "
			   "WHERE d.adrelid OPERATOR(pg_catalog.=) $1 "
			   "AND a.attname OPERATOR(pg_catalog.=) $2",
			   2, argtypes, values, NULL, 1) == SPI_OK_SELECT && SPI_processed == 1)
	{
		char	   *expr = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *bin = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		if (bin && contain_volatile_functions(stringToNode(bin)))
			lg_find(c, step, s->no, "warning", "lint",
					psprintf("%s.%s", lg_rv_name(at->relation), quote_identifier(def->colname)),
					"ADD COLUMN with the volatile default %s rewrites the table under ACCESS EXCLUSIVE lock; "
					"add the column without a default (or with a constant one), then backfill in batches",
					expr);
	}
}

/*
 * Lints that need the statement to have run, on ALTER TABLE of a table
 * that existed before: volatile defaults of new columns, and column type
 * changes that rewrote the table (a binary-compatible change, varchar(10)
 * to varchar(20) or varchar to text, only touches the catalog).
 */
static void
lg_run_lints(LgCheck *c, const char *step, LgStmt *s, List *rewritten)
{
	AlterTableStmt *at;
	Oid			relid;
	ListCell   *lc;

	if (!IsA(s->parsetree, AlterTableStmt))
		return;
	at = (AlterTableStmt *) s->parsetree;
	relid = lg_preexisting(c, at->relation);
	if (!OidIsValid(relid))
		return;
	foreach(lc, at->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AddColumn && IsA(cmd->def, ColumnDef))
			lg_volatile_default(c, step, s, at, relid, (ColumnDef *) cmd->def);
		else if (cmd->subtype == AT_AlterColumnType && list_member_oid(rewritten, relid))
			lg_find(c, step, s->no, "warning", "lint",
					psprintf("%s.%s", lg_rv_name(at->relation), quote_identifier(cmd->name)),
					"changing the column's type rewrote the table under ACCESS EXCLUSIVE lock; "
					"add a new column, backfill it in batches and switch over instead");
	}
}

/*---- Sequences: what a rollback does not undo ----*/

typedef struct LgSeqPos
{
	Oid			relid;
	bool		called;			/* false: no value handed out yet */
	int64		last_value;
	char	   *name;			/* for a finding */
} LgSeqPos;

static int
lg_seq_cmp(const ListCell *a, const ListCell *b)
{
	Oid			x = ((LgSeqPos *) lfirst(a))->relid;
	Oid			y = ((LgSeqPos *) lfirst(b))->relid;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * The position of every sequence the caller may read (SELECT or USAGE, the
 * sequences pg_sequences shows a value for), sorted by OID.  Taken outside
 * the subtransaction the scripts run in, so it must leave nothing behind:
 * pg_sequences calls pg_sequence_last_value, which keeps RowExclusiveLock
 * on every sequence until the caller's transaction ends.  Here each
 * sequence is opened with AccessShareLock, its one row read, and the lock
 * released at once (a lock the caller already held stays held).
 */
static List *
lg_sequence_positions(void)
{
	Relation	catalog;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *relids = NIL;
	List	   *out = NIL;
	ListCell   *lc;

	catalog = table_open(SequenceRelationId, AccessShareLock);
	scan = systable_beginscan(catalog, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		relids = lappend_oid(relids, ((Form_pg_sequence) GETSTRUCT(tup))->seqrelid);
	systable_endscan(scan);
	table_close(catalog, AccessShareLock);

	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	seq;

		CHECK_FOR_INTERRUPTS();
		seq = try_relation_open(relid, AccessShareLock);
		if (seq == NULL)
			continue;			/* dropped meanwhile */
		if (seq->rd_rel->relkind == RELKIND_SEQUENCE &&
			!RELATION_IS_OTHER_TEMP(seq) &&
			!(seq->rd_rel->relpersistence == RELPERSISTENCE_UNLOGGED && RecoveryInProgress()) &&
			pg_class_aclcheck(relid, GetUserId(), ACL_SELECT | ACL_USAGE) == ACLCHECK_OK)
		{
			/* a sequence is read like a heap of one row, as SELECT * FROM it does */
			SysScanDesc ts = systable_beginscan(seq, InvalidOid, false, NULL, 0, NULL);
			HeapTuple	row = systable_getnext(ts);

			if (HeapTupleIsValid(row))
			{
				TupleDesc	desc = RelationGetDescr(seq);
				LgSeqPos   *p = palloc0(sizeof(LgSeqPos));
				bool		isnull;

				/* its columns: last_value, log_cnt, is_called */
				p->relid = relid;
				p->last_value = DatumGetInt64(heap_getattr(row, 1, desc, &isnull));
				p->called = DatumGetBool(heap_getattr(row, 3, desc, &isnull));
				p->name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(seq)),
													 RelationGetRelationName(seq));
				out = lappend(out, p);
			}
			systable_endscan(ts);
		}
		relation_close(seq, AccessShareLock);
	}
	list_sort(out, lg_seq_cmp);
	return out;
}

typedef struct LgSeqMove
{
	char	   *name;
	char	   *detail;
} LgSeqMove;

static int
lg_seq_move_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(((LgSeqMove *) lfirst(a))->name, ((LgSeqMove *) lfirst(b))->name);
}

/* Sequences that moved between before and after (both sorted by OID). */
static void
lg_report_sequences(LgCheck *c, List *before, List *after)
{
	List	   *moved = NIL;
	ListCell   *lb = list_head(before);
	ListCell   *lc;

	foreach(lc, after)
	{
		LgSeqPos   *a = lfirst(lc);
		LgSeqPos   *b = NULL;
		LgSeqMove  *m;

		while (lb != NULL && ((LgSeqPos *) lfirst(lb))->relid < a->relid)
			lb = lnext(before, lb);
		if (lb != NULL && ((LgSeqPos *) lfirst(lb))->relid == a->relid)
			b = lfirst(lb);
		/* new since: not the scripts' (theirs were rolled back) */
		if (b == NULL || !a->called || (b->called && b->last_value == a->last_value))
			continue;
		m = palloc(sizeof(LgSeqMove));
		m->name = a->name;
		m->detail = psprintf("the migration moved the sequence from %s to " INT64_FORMAT
							 ", and the rollback does not undo that",
							 b->called ? psprintf(INT64_FORMAT, b->last_value) : "its start",
							 a->last_value);
		moved = lappend(moved, m);
	}
	list_sort(moved, lg_seq_move_cmp);
	foreach(lc, moved)
	{
		LgSeqMove  *m = lfirst(lc);

		lg_find(c, NULL, 0, "warning", "sequence_consumed", m->name, "%s", m->detail);
	}
}

/*---- Session state the scripts may leave behind ----*/

/*
 * The rollback undoes what the scripts did to the database, not all they
 * did to the session.  Settings (SET, SET ROLE, set_config) are restored
 * after each step (lg_run_script).  Prepared statements and cursors are
 * not transactional, or not undone before the next step: those the scripts
 * made are dropped after each step, so the second up finds the session as
 * the first did, and once more after the call (a step cut short by an
 * error did not get to it).  Session-level advisory locks the scripts took
 * are released after the call (lg_restore_advisory_locks).  What the
 * caller had before is kept; what a script took from it is reported.
 *
 * The lists are read through functions, not the views over them, so
 * reading them locks no relation.
 */
#define LG_PREPARED_NAMES	"SELECT name FROM pg_catalog.pg_prepared_statement()"
#define LG_CURSOR_NAMES		"SELECT name FROM pg_catalog.pg_cursor()"

/* Names a query returns, in cxt.  SPI must be connected. */
static List *
lg_names(const char *query, MemoryContext cxt)
{
	List	   *out = NIL;
	MemoryContext old;

	if (lg_spi(query, 0, NULL, NULL, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the session's prepared statements or cursors");
	old = MemoryContextSwitchTo(cxt);
	for (uint64 i = 0; i < SPI_processed; i++)
		out = lappend(out, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	MemoryContextSwitchTo(old);
	return out;
}

static bool
lg_has_name(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp(lfirst(lc), name) == 0)
			return true;
	return false;
}

/* Prepared statements and cursors before the call.  SPI must be connected. */
static void
lg_session_baseline(LgCheck *c)
{
	c->prepared = lg_names(LG_PREPARED_NAMES, c->result_cxt);
	c->cursors = lg_names(LG_CURSOR_NAMES, c->result_cxt);
}

/*
 * The caller's names (prepared statements or cursors) that still exist
 * ("now"); each one a script removed is reported with "fmt" (one %s, the
 * name) and dropped from the list, which is returned.
 */
static List *
lg_keep_callers(LgCheck *c, const char *step, List *callers, List *now,
				const char *fmt)
{
	ListCell   *lc;

	foreach(lc, callers)
	{
		char	   *name = lfirst(lc);

		if (lg_has_name(now, name))
			continue;
		lg_find(c, step, 0, "error", "session_state", name, fmt, name);
		callers = foreach_delete_current(callers, lc);
	}
	return callers;
}

/*
 * Drop the prepared statements and cursors that were not there before the
 * call; report the caller's own that a script removed (DEALLOCATE and
 * CLOSE cannot be undone), once.  SPI must be connected.
 */
static void
lg_undo_session(LgCheck *c, const char *step)
{
	List	   *prepared = lg_names(LG_PREPARED_NAMES, CurrentMemoryContext);
	List	   *cursors = lg_names(LG_CURSOR_NAMES, CurrentMemoryContext);
	ListCell   *lc;

	foreach(lc, prepared)
		if (!lg_has_name(c->prepared, lfirst(lc)))
			DropPreparedStatement(lfirst(lc), false);
	foreach(lc, cursors)
	{
		Portal		portal;

		if (lg_has_name(c->cursors, lfirst(lc)))
			continue;
		portal = GetPortalByName(lfirst(lc));
		if (PortalIsValid(portal))
			PortalDrop(portal, false);
	}

	c->prepared = lg_keep_callers(c, step, c->prepared, prepared,
								  "a script deallocated the caller's prepared statement \"%s\", and the check cannot prepare it again");
	c->cursors = lg_keep_callers(c, step, c->cursors, cursors,
								 "a script closed the caller's cursor \"%s\", and the check cannot open it again");
}

/* One advisory lock this backend holds, in one mode. */
typedef struct LgAdvisoryLock
{
	LOCKTAG		tag;
	LOCKMODE	mode;
} LgAdvisoryLock;

/*
 * The advisory locks this backend holds, whatever their level, from the
 * lock manager (what pg_locks shows, without reading the view).
 */
static List *
lg_advisory_locks(void)
{
	LockData   *data = GetLockStatusData();
	List	   *out = NIL;

	for (int i = 0; i < data->nelements; i++)
	{
		LockInstanceData *inst = &data->locks[i];

		if (inst->pid != MyProcPid || inst->locktag.locktag_type != LOCKTAG_ADVISORY)
			continue;
		for (LOCKMODE mode = 1; mode < MAX_LOCKMODES; mode++)
			if (inst->holdMask & LOCKBIT_ON(mode))
			{
				LgAdvisoryLock *a = palloc(sizeof(LgAdvisoryLock));

				a->tag = inst->locktag;
				a->mode = mode;
				out = lappend(out, a);
			}
	}
	return out;
}

static bool
lg_advisory_member(List *locks, const LgAdvisoryLock *a)
{
	ListCell   *lc;

	foreach(lc, locks)
	{
		LgAdvisoryLock *b = lfirst(lc);

		if (b->mode == a->mode && memcmp(&b->tag, &a->tag, sizeof(LOCKTAG)) == 0)
			return true;
	}
	return false;
}

/* As the SQL functions take it: one bigint key, or two integer keys. */
static char *
lg_advisory_name(const LgAdvisoryLock *a)
{
	const char *mode = GetLockmodeName(a->tag.locktag_lockmethodid, a->mode);

	if (a->tag.locktag_field4 == 2)
		return psprintf("advisory lock (%d, %d) %s", (int32) a->tag.locktag_field2,
						(int32) a->tag.locktag_field3, mode);
	return psprintf("advisory lock " INT64_FORMAT " %s",
					(int64) (((uint64) a->tag.locktag_field2 << 32) | a->tag.locktag_field3),
					mode);
}

/*
 * After the call, with the scripts' subtransaction rolled back: their
 * transaction-level advisory locks went with it, so an advisory lock held
 * now that was not held before the call was taken at session level by a
 * script (pg_advisory_lock and friends), once per call: release it until
 * it is no longer held.  Every lock held before stays held; one a script
 * released (pg_advisory_unlock, pg_advisory_unlock_all) is taken again
 * without waiting, and reported.  A script's extra session-level hold on
 * a lock the caller already held cannot be told from the caller's own and
 * stays.
 */
static void
lg_restore_advisory_locks(LgCheck *c, List *before)
{
	List	   *after = lg_advisory_locks();
	ListCell   *lc;

	foreach(lc, after)
	{
		LgAdvisoryLock *a = lfirst(lc);

		if (lg_advisory_member(before, a))
			continue;
		while (lg_lock_held_by_me(&a->tag, a->mode))
			if (!LockRelease(&a->tag, a->mode, true))
				break;
	}
	foreach(lc, before)
	{
		LgAdvisoryLock *b = lfirst(lc);

		if (lg_advisory_member(after, b))
			continue;
		if (LockAcquire(&b->tag, b->mode, true, true) == LOCKACQUIRE_NOT_AVAIL)
			lg_find(c, NULL, 0, "error", "session_state", lg_advisory_name(b),
					"a script released the caller's advisory lock, and another session has taken it since");
		else
			lg_find(c, NULL, 0, "warning", "session_state", lg_advisory_name(b),
					"a script released the caller's advisory lock; the check took it again");
	}
}

/*---- Running the steps ----*/

static void
lg_exec_guarded(void *arg)
{
	int			rc = SPI_execute((const char *) arg, false, 0);

	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("SPI_execute failed: %s", SPI_result_code_string(rc))));
}

/*
 * Run one script; returns false at the first failing statement (reported
 * as error_kind).  static_findings: report lint and data loss (not for the
 * second up, which would repeat them).  Each statement runs in a
 * subtransaction of its own, kept when it succeeds; its error is a
 * finding, but a cancel, timeout or resource error ends the whole call
 * (lg_run_guarded).
 */
static bool
lg_run_step(LgCheck *c, const char *step, List *stmts, const char *error_kind,
			bool static_findings)
{
	ListCell   *lc;

	foreach(lc, stmts)
	{
		LgStmt	   *s = lfirst(lc);
		List	   *locks_before;
		List	   *rewritten;
		ErrorData  *edata;

		if (static_findings)
			lg_static_findings(c, step, s);
		locks_before = lg_held_locks(c);

		edata = lg_run_guarded(lg_exec_guarded, s->sql, LG_GUARD_SUBXACT | LG_GUARD_KEEP);
		if (edata != NULL)
		{
			lg_find(c, step, s->no, "error", error_kind, NULL, "%s: %s (SQLSTATE %s) in: %s",
					strcmp(error_kind, "stairway_failed") == 0 ?
					"up failed after down" : "statement failed",
					edata->message, unpack_sql_state(edata->sqlerrcode), s->sql);
			FreeErrorData(edata);
			return false;
		}

		lg_report_locks(c, step, s->no, locks_before, lg_held_locks(c));
		rewritten = lg_report_rewrites(c, step, s->no);
		if (static_findings)
			lg_run_lints(c, step, s, rewritten);
	}
	return true;
}

/*
 * One step, as if in a session of its own: the settings it changes (SET,
 * SET ROLE, set_config) are back to the caller's after it, and the
 * prepared statements and cursors it made are gone.
 */
static bool
lg_run_script(LgCheck *c, const char *step, List *stmts, const char *error_kind,
			  bool static_findings)
{
	int			nest = NewGUCNestLevel();
	bool		ok = lg_run_step(c, step, stmts, error_kind, static_findings);

	AtEOXact_GUC(false, nest);
	lg_undo_session(c, step);
	return ok;
}

static void
lg_report_diff(LgCheck *c, Datum before, Datum after)
{
	Oid			argtypes[2] = {JSONBOID, JSONBOID};
	Datum		values[2] = {before, after};

	if (lg_spi("SELECT object_type, object_name, attribute, before::pg_catalog.text, "
			   "after::pg_catalog.text FROM lifeguard.schema_diff($1, $2)",
			   2, argtypes, values, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "schema_diff failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		char	   *type = SPI_getvalue(t, d, 1);
		char	   *name = SPI_getvalue(t, d, 2);
		char	   *attr = SPI_getvalue(t, d, 3);
		char	   *b = SPI_getvalue(t, d, 4);
		char	   *a = SPI_getvalue(t, d, 5);
		char	   *obj = psprintf("%s %s", type, name);

		if (attr == NULL)
			lg_find(c, "down", 0, "error", "not_reversible", obj,
					b == NULL ? "created by up and still there after down" :
					"dropped by up or down and not restored");
		else
			lg_find(c, "down", 0, "error", "not_reversible", obj,
					"%s: before up %s, after down %s", attr,
					b ? b : "(none)", a ? a : "(none)");
	}
}

/*
 * Report every statement of a script that cannot run in a transaction
 * block; true when there was one.
 */
static bool
lg_refuse_not_transactional(LgCheck *c, const char *step, List *stmts)
{
	bool		refused = false;
	ListCell   *lc;

	foreach(lc, stmts)
	{
		LgStmt	   *s = lfirst(lc);
		const char *why = lg_not_transactional(s->parsetree);

		if (why)
		{
			lg_find(c, step, s->no, "error", "not_transactional", NULL,
					"%s cannot run inside a transaction block, so it cannot be checked: %s", why, s->sql);
			refused = true;
		}
	}
	return refused;
}

static void
lg_check(LgCheck *c, const char *up, const char *down)
{
	List	   *up_stmts = NIL,
			   *down_stmts = NIL;
	bool		refused;
	Datum		snap0,
				snap2;

	/* split both before running anything */
	if (!lg_split_script(c, "up", up, &up_stmts) ||
		!lg_split_script(c, "down", down, &down_stmts))
		return;
	up_stmts = lg_strip_outer_transaction(c, "up", up_stmts);
	down_stmts = lg_strip_outer_transaction(c, "down", down_stmts);

	refused = lg_refuse_not_transactional(c, "up", up_stmts);
	refused |= lg_refuse_not_transactional(c, "down", down_stmts);
	if (refused)
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lg_load_tables(c);
	snap0 = lg_snapshot(c);

	if (lg_run_script(c, "up", up_stmts, "error", true))
	{
		if (lg_run_script(c, "down", down_stmts, "error", true))
		{
			snap2 = lg_snapshot(c);
			lg_report_diff(c, snap0, snap2);
			(void) lg_run_script(c, "up_again", up_stmts, "stairway_failed", false);
		}
	}
	SPI_finish();
}

typedef struct LgCheckArg
{
	LgCheck    *c;
	const char *up;
	const char *down;
} LgCheckArg;

static void
lg_check_guarded(void *arg)
{
	LgCheckArg *a = (LgCheckArg *) arg;

	lg_check(a->c, a->up, a->down);
}

/*
 * After the call, however it ends: drop what the scripts left in the
 * session, release their advisory locks.
 */
static void
lg_restore_session(LgCheck *c, List *advisory_before)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lg_undo_session(c, NULL);
	SPI_finish();
	lg_restore_advisory_locks(c, advisory_before);
}

/*
 * schemas: NULL compares every schema but lifeguard and extension members
 * (schema_snapshot's default).  An empty array would compare nothing and
 * call every migration reversible, so it is refused before anything runs.
 * Unknown names and nulls are reported by schema_snapshot, as an error
 * finding.
 */
static void
lg_check_schemas(Datum schemas)
{
	ArrayType  *arr = DatumGetArrayTypeP(schemas);

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schemas must be a one-dimensional array")));
	if (ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schemas must not be an empty array"),
				 errdetail("An empty array selects no schema, so the check would compare nothing."),
				 errhint("Pass NULL to compare every schema except lifeguard and extension members, or name the schemas to compare.")));
}

/*
 * lifeguard.check_migration(up text, down text, schemas text[])
 *
 * All state is in this call's LgCheck: a script may call check_migration
 * or schema_snapshot again (directly, or through a function the planner
 * folds), and each call checks its own scripts and undoes its own.
 */
Datum
lifeguard_check_migration(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext caller;
	LgCheck		c;
	LgCheckArg	arg;
	ListCell   *lc;
	char	   *up,
			   *down;
	List	   *seq_before;
	List	   *advisory_before;
	ErrorData  *edata;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("up and down scripts must not be null"),
				 errhint("Pass an empty string for a step that does nothing.")));
	if (!PG_ARGISNULL(2))
		lg_check_schemas(PG_GETARG_DATUM(2));
	up = text_to_cstring(PG_GETARG_TEXT_PP(0));
	down = text_to_cstring(PG_GETARG_TEXT_PP(1));

	InitMaterializedSRF(fcinfo, 0);
	caller = CurrentMemoryContext;

	memset(&c, 0, sizeof(c));
	c.result_cxt = caller;
	c.schemas_null = PG_ARGISNULL(2);
	c.schemas = c.schemas_null ? (Datum) 0 : PG_GETARG_DATUM(2);

	/*
	 * What the session has before: none of these reads keeps a lock or
	 * assigns a transaction ID.
	 */
	seq_before = lg_sequence_positions();
	advisory_before = lg_advisory_locks();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lg_session_baseline(&c);
	SPI_finish();

	/*
	 * Everything runs in a subtransaction that is rolled back whatever
	 * happens.  An error of the scripts' making is a finding; a cancel,
	 * timeout or resource error ends the call, after the session is given
	 * back as it was.
	 */
	arg.c = &c;
	arg.up = up;
	arg.down = down;
	PG_TRY();
	{
		edata = lg_run_guarded(lg_check_guarded, &arg, LG_GUARD_SUBXACT);
	}
	PG_CATCH();
	{
		ErrorData  *err;

		MemoryContextSwitchTo(caller);
		err = CopyErrorData();
		FlushErrorState();
		lg_restore_session(&c, advisory_before);
		ReThrowError(err);
	}
	PG_END_TRY();
	if (edata != NULL)
	{
		lg_find(&c, NULL, 0, "error", "error", NULL, "%s (SQLSTATE %s)",
				edata->message, unpack_sql_state(edata->sqlerrcode));
		FreeErrorData(edata);
	}
	lg_restore_session(&c, advisory_before);

	/* values taken from sequences survive the rollback */
	lg_report_sequences(&c, seq_before, lg_sequence_positions());

	foreach(lc, c.findings)
	{
		LgFinding  *f = lfirst(lc);
		Datum		values[6];
		bool		nulls[6] = {0};

		values[0] = f->step ? CStringGetTextDatum(f->step) : (Datum) 0;
		nulls[0] = (f->step == NULL);
		values[1] = Int32GetDatum(f->statement_no);
		nulls[1] = (f->statement_no == 0);
		values[2] = CStringGetTextDatum(f->severity);
		values[3] = CStringGetTextDatum(f->kind);
		values[4] = f->object_name ? CStringGetTextDatum(f->object_name) : (Datum) 0;
		nulls[4] = (f->object_name == NULL);
		values[5] = CStringGetTextDatum(f->detail);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
