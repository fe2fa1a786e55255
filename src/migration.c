/*-------------------------------------------------------------------------
 *
 * migration.c
 *		Migration reversibility check: up, down, up again, always rolled back.
 *
 * lifeguard.check_migration(up, down, schemas) answers "does down really
 * undo up?" inside the caller's session:
 *
 *	1. Both scripts are split with PostgreSQL's own parser.  A statement
 *	   that cannot run in a transaction block (CREATE INDEX CONCURRENTLY,
 *	   VACUUM, transaction control, ALTER SYSTEM, ...) is reported as
 *	   not_transactional and nothing runs.
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
 * The snapshot (snapshot.c) and the diff (30_migration.sql) are called
 * through SPI.  Nothing the scripts did survives: the outer subtransaction
 * is rolled back on success and on error, and the scripts run with the
 * caller's privileges.
 *
 * src/migration.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parser.h"
#include "parser/scansup.h"
#include "parser/parse_type.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "migration.h"

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

/* Split a script; a syntax error is reported against its step. */
static bool
lg_split_script(LgCheck *c, const char *step, const char *script, List **stmts)
{
	MemoryContext cxt = CurrentMemoryContext;
	bool		ok = true;

	/* raw parsing takes no lock and no buffer: catching its error is safe */
	PG_TRY();
	{
		*stmts = lg_split(script);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		lg_find(c, step, 0, "error", "error", NULL, "%s (SQLSTATE %s)",
				edata->message, unpack_sql_state(edata->sqlerrcode));
		ok = false;
	}
	PG_END_TRY();
	return ok;
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
	char	   *want = psprintf("CHECK ((%s IS NOT NULL))", quote_identifier(col));
	char	   *q = psprintf("SELECT 1 FROM pg_catalog.pg_constraint "
							 "WHERE conrelid = %u AND contype = 'c' AND convalidated "
							 "AND pg_catalog.pg_get_constraintdef(oid) = %s",
							 relid, quote_literal_cstr(want));

	return SPI_execute(q, false, 1) == SPI_OK_SELECT && SPI_processed > 0;
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

/*
 * Every SPI read below passes read_only = false: only then does SPI take a
 * fresh snapshot, so the query sees what the statements just did.
 */

static Datum
lg_snapshot(LgCheck *c)
{
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		values[1] = {c->schemas};
	char		nulls[1] = {c->schemas_null ? 'n' : ' '};
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args("SELECT lifeguard.schema_snapshot($1)", 1, argtypes,
							  values, nulls, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "schema_snapshot returned no row");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return SPI_datumTransfer(d, false, -1);
}

/* Remember the tables that exist now, with their storage. */
static void
lg_load_tables(LgCheck *c)
{
	const char *q =
		"SELECT c.oid, c.relfilenode, c.oid::pg_catalog.regclass::text "
		"FROM pg_catalog.pg_class c "
		"WHERE c.relkind IN ('r', 'm', 'p') "
		"AND c.relnamespace <> 'pg_catalog'::pg_catalog.regnamespace "
		"AND c.relnamespace <> 'information_schema'::pg_catalog.regnamespace "
		"AND c.relnamespace <> 'pg_toast'::pg_catalog.regnamespace "
		"AND c.relpersistence <> 't' ORDER BY c.oid";

	if (SPI_execute(q, false, 0) != SPI_OK_SELECT)
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

	if (SPI_execute("SELECT relation, mode FROM pg_catalog.pg_locks "
					"WHERE pid = pg_catalog.pg_backend_pid() AND locktype = 'relation' "
					"AND granted ORDER BY 1, 2", false, 0) != SPI_OK_SELECT)
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
	char	   *q = psprintf("SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid), "
							 "d.adbin::text FROM pg_catalog.pg_attrdef d "
							 "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
							 "WHERE d.adrelid = %u AND a.attname = %s",
							 relid, quote_literal_cstr(def->colname));

	if (SPI_execute(q, false, 1) == SPI_OK_SELECT && SPI_processed == 1)
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

/* Sequence positions, as a jsonb {name: last_value}. */
static Datum
lg_sequence_state(void)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute("SELECT coalesce(pg_catalog.jsonb_object_agg("
					"pg_catalog.format('%I.%I', schemaname, sequencename), last_value), '{}') "
					"FROM pg_catalog.pg_sequences", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_sequences");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return SPI_datumTransfer(d, false, -1);
}

/*---- Running the steps ----*/

/*
 * Run one script; returns false at the first failing statement (reported
 * as error_kind).  static_findings: report lint and data loss (not for the
 * second up, which would repeat them).
 */
static bool
lg_run_step(LgCheck *c, const char *step, List *stmts, const char *error_kind,
			bool static_findings)
{
	ListCell   *lc;

	foreach(lc, stmts)
	{
		LgStmt	   *s = lfirst(lc);
		MemoryContext cxt = CurrentMemoryContext;
		ResourceOwner owner = CurrentResourceOwner;
		List	   *locks_before;
		List	   *rewritten;
		bool		ok = true;

		if (static_findings)
			lg_static_findings(c, step, s);
		locks_before = lg_held_locks(c);

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			int			rc = SPI_execute(s->sql, false, 0);

			if (rc < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("SPI_execute failed: %s", SPI_result_code_string(rc))));
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
			lg_find(c, step, s->no, "error", error_kind, NULL, "%s: %s (SQLSTATE %s) in: %s",
					strcmp(error_kind, "stairway_failed") == 0 ?
					"up failed after down" : "statement failed",
					edata->message, unpack_sql_state(edata->sqlerrcode), s->sql);
			FreeErrorData(edata);
			ok = false;
		}
		PG_END_TRY();
		if (!ok)
			return false;

		lg_report_locks(c, step, s->no, locks_before, lg_held_locks(c));
		rewritten = lg_report_rewrites(c, step, s->no);
		if (static_findings)
		{
			lg_run_lints(c, step, s, rewritten);
		}
	}
	return true;
}

static void
lg_report_diff(LgCheck *c, Datum before, Datum after)
{
	Oid			argtypes[2] = {JSONBOID, JSONBOID};
	Datum		values[2] = {before, after};

	if (SPI_execute_with_args("SELECT object_type, object_name, attribute, "
							  "before::text, after::text FROM lifeguard.schema_diff($1, $2)",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
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

static void
lg_report_sequences(LgCheck *c, Datum before, Datum after)
{
	Oid			argtypes[2] = {JSONBOID, JSONBOID};
	Datum		values[2] = {before, after};

	if (SPI_execute_with_args("SELECT key, $1 -> key, value FROM pg_catalog.jsonb_each($2) "
							  "WHERE $1 ? key AND ($1 -> key) IS DISTINCT FROM value "
							  "AND value <> 'null' ORDER BY key",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not compare sequences");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;

		lg_find(c, NULL, 0, "warning", "sequence_consumed", SPI_getvalue(t, d, 1),
				"the migration moved the sequence from %s to %s, and the rollback does not undo that",
				SPI_getvalue(t, d, 2), SPI_getvalue(t, d, 3));
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

	refused = lg_refuse_not_transactional(c, "up", up_stmts);
	refused |= lg_refuse_not_transactional(c, "down", down_stmts);
	if (refused)
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lg_load_tables(c);
	snap0 = lg_snapshot(c);

	if (lg_run_step(c, "up", up_stmts, "error", true))
	{
		if (lg_run_step(c, "down", down_stmts, "error", true))
		{
			snap2 = lg_snapshot(c);
			lg_report_diff(c, snap0, snap2);
			(void) lg_run_step(c, "up_again", up_stmts, "stairway_failed", false);
		}
	}
	SPI_finish();
}

/*
 * lifeguard.check_migration(up text, down text, schemas text[])
 */
Datum
lifeguard_check_migration(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	LgCheck		c;
	ListCell   *lc;
	char	   *up,
			   *down;
	Datum		seq_before;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("up and down scripts must not be null"),
				 errhint("Pass an empty string for a step that does nothing.")));
	up = text_to_cstring(PG_GETARG_TEXT_PP(0));
	down = text_to_cstring(PG_GETARG_TEXT_PP(1));

	InitMaterializedSRF(fcinfo, 0);
	caller = CurrentMemoryContext;

	memset(&c, 0, sizeof(c));
	c.result_cxt = caller;
	c.schemas_null = PG_ARGISNULL(2);
	c.schemas = c.schemas_null ? (Datum) 0 : PG_GETARG_DATUM(2);

	/* sequence positions before, to compare with what survives the rollback */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	seq_before = lg_sequence_state();
	SPI_finish();

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		lg_check(&c, up, down);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		lg_find(&c, NULL, 0, "error", "error", NULL, "%s (SQLSTATE %s)",
				edata->message, unpack_sql_state(edata->sqlerrcode));
	}
	PG_END_TRY();
	/* whatever happened, nothing the scripts did survives ... */
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(caller);
	CurrentResourceOwner = owner;

	/* ... except values taken from sequences */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lg_report_sequences(&c, seq_before, lg_sequence_state());
	SPI_finish();

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
