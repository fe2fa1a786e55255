/*-------------------------------------------------------------------------
 *
 * quota.c
 *		Quota rules: which rule governs a login, reading lifeguard.quotas,
 *		and publishing committed changes to the connect path.
 *
 * The table lifeguard.quotas, in the database named by lifeguard.database,
 * is the truth.  The connect path cannot read tables (it runs before the
 * backend has a database), so shared memory holds a copy, and so does a
 * small file in the data directory, which the postmaster reads at start
 * so rules hold from the very first login after a restart.
 *
 * How a change reaches the copy: every statement that changes the table
 * (lifeguard.set_quota, lifeguard.drop_quota, or a direct INSERT, UPDATE,
 * DELETE or TRUNCATE) fires a statement trigger that calls
 * lifeguard._quotas_changed(), which takes a self-conflicting lock on
 * itself (held to the end of the transaction).
 * That marks the transaction.  At PRE_COMMIT the backend reads the whole
 * table with the latest snapshot (the lock guarantees no other writer is
 * between its read and its commit) and writes the file under a temporary
 * name; at COMMIT it installs the rules in shared memory and renames the
 * file into place.  A transaction that aborts installs nothing.  So a rule
 * holds for the next login as soon as the COMMIT returns, and a rolled
 * back change never shows.  The worker re-reads the table at start, on a
 * standby every few seconds (replayed changes fire no trigger there), and
 * when asked.
 *
 * Owns: the rule model, reading lifeguard.quotas, publishing rules at
 * commit and the rules file.  Must not: count connections.
 *
 * src/pool/quota.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "commands/dbcommands.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/guard.h"
#include "core/settings.h"
#include "pool/quota.h"
#include "pool/shmem.h"

#define LG_RULES_FILE		"pg_lifeguard.rules"
#define LG_RULES_MAGIC		0x4c475231	/* "LGR1" */

/* Transaction-local state of a quota change. */
static bool xact_changed = false;
static bool xact_callback_registered = false;
static LifeguardRule *pending_rules = NULL;
static int	pending_nrules = -1;
static char pending_tmpfile[MAXPGPATH];

static void lg_quota_xact_callback(XactEvent event, void *arg);

PG_FUNCTION_INFO_V1(lifeguard_quotas_changed);

/*
 * Connections ordinary roles may use: max_connections less the slots
 * reserved for superusers (and, on 16+, for pg_use_reserved_connections).
 */
int
lg_usable_connections(void)
{
	return Max(MaxConnections - lg_reserved_slots(), 0);
}

/*
 * The order rules are kept in, everywhere (shared memory, the rules file):
 * by application, role and database, bytewise, '' first.  lg_rule_match
 * relies on it.
 */
int
lg_rule_cmp(const void *a, const void *b)
{
	const LifeguardRule *ra = a;
	const LifeguardRule *rb = b;
	int			c = strcmp(ra->app, rb->app);

	if (c == 0)
		c = strcmp(ra->role, rb->role);
	if (c == 0)
		c = strcmp(ra->db, rb->db);
	return c;
}

/*
 * Index of the most specific rule covering (app, role, db), or -1.
 * Specificity: an exact application beats '*'; then a role beats a
 * database; a rule naming both beats one naming either.
 *
 * The rules are sorted (lg_rule_cmp), so only the rules of "app" and of
 * '*' are looked at, from where the application's entry says its rules
 * start (first_rule) and from star_first: what a login reads here does not
 * grow with the number of rules.  "app" is the entry (NULL: none; the
 * overflow entry has no rules of its own).  Caller holds lg_shared->lock.
 */
int
lg_rule_match(const LifeguardApp *app, const char *role, const char *db)
{
	const LifeguardRule *rules = lg_shared->rules;
	int			nrules = lg_shared->nrules;
	const int32 starts[2] = {app ? app->first_rule : -1, lg_shared->star_first};
	int			best = -1;
	int			best_score = -1;

	for (int n = 0; n < 2; n++)
	{
		const char *name;

		if (starts[n] < 0)
			continue;
		name = rules[starts[n]].app;
		for (int i = starts[n]; i < nrules && strcmp(rules[i].app, name) == 0; i++)
		{
			const LifeguardRule *r = &rules[i];
			int			score;

			if (!lg_rule_covers(r, name, role, db))
				continue;
			score = (n == 0 ? 4 : 0) + (r->role[0] ? 2 : 0) + (r->db[0] ? 1 : 0);
			if (score > best_score)
			{
				best = i;
				best_score = score;
			}
		}
		if (best_score >= 4)
			break;				/* an exact rule beats every '*' rule */
	}
	return best;
}

/*
 * A rule's mode after the global lifeguard.quota_mode override: the weaker
 * of the two wins.
 */
int
lg_effective_mode(const LifeguardRule *rule)
{
	return Min(rule->mode, lg_quota_mode);
}

/*
 * Is the current database the one whose lifeguard.quotas is the truth?
 */
bool
lg_in_rules_database(void)
{
	char	   *dbname = get_database_name(MyDatabaseId);

	return dbname != NULL && strcmp(dbname, lg_database) == 0;
}

/*
 * A quota time limit in milliseconds: -1 for NULL, else clamped to
 * [1, LG_MAX_TIME_LIMIT_MS].  The table's validation trigger refuses
 * values outside that range; the clamp keeps rows written before it
 * existed from overflowing a deadline.  Computed here, with PostgreSQL's
 * own epoch of an interval, rather than by an operator in SQL.
 */
static int64
lg_interval_ms(Datum value, bool isnull)
{
	double		secs;

	if (isnull)
		return -1;
	secs = DatumGetFloat8(DirectFunctionCall2(interval_part,
											  CStringGetTextDatum("epoch"),
											  value));
	if (!(secs * 1000.0 >= 1.0))
		return 1;
	if (secs * 1000.0 >= (double) LG_MAX_TIME_LIMIT_MS)
		return LG_MAX_TIME_LIMIT_MS;
	return (int64) (secs * 1000.0);
}

/* A text or name column as a C string, '' for NULL. */
static void
lg_column_name(HeapTuple tup, TupleDesc desc, int col, char *dst)
{
	bool		isnull;
	char	   *v = SPI_getvalue(tup, desc, col);

	(void) SPI_getbinval(tup, desc, col, &isnull);
	strlcpy(dst, (isnull || v == NULL) ? "" : v, NAMEDATALEN);
}

/*
 * Read every row of lifeguard.quotas into a palloc'd array (in the
 * current memory context) and return the count.  Uses the latest
 * snapshot, not the transaction's, so a repeatable-read caller still sees
 * every committed rule.  The query names only columns (no operator, no
 * function) and runs with a pinned search_path, because it also runs in
 * the worker and in an administrator's commit.  Caller must be in a
 * transaction; SPI is connected and finished here.
 */
int
lg_rules_read_table(LifeguardRule **rules)
{
	MemoryContext caller = CurrentMemoryContext;
	LifeguardRule *out;
	int			n;
	int			ret;
	int			level;
	int			mem_col;
	int			at_col;

	level = lg_pin_search_path();
	SPI_connect();
	PushActiveSnapshot(GetLatestSnapshot());
	ret = SPI_execute(
		"SELECT q.application_name, q.role, q.database, q.soft_limit, "
		"q.hard_limit, q.reserved, q.min_idle, q.max_age, q.idle_timeout, "
		"q.idle_in_transaction_timeout, q.mode, q.* "
		"FROM lifeguard.quotas q "
		"ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST",
		true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read lifeguard.quotas: %s",
			 SPI_result_code_string(ret));

	n = (int) SPI_processed;
	out = MemoryContextAllocZero(caller, sizeof(LifeguardRule) * Max(n, 1));

	/*
	 * max_memory and recycle_at came with 1.1: found by name among the
	 * columns of q.*, so that rules are still read while a database runs
	 * 1.0's table.
	 */
	mem_col = SPI_fnumber(SPI_tuptable->tupdesc, "max_memory");
	if (mem_col <= 11)
		mem_col = -1;
	at_col = SPI_fnumber(SPI_tuptable->tupdesc, "recycle_at");
	if (at_col <= 11)
		at_col = -1;
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		LifeguardRule *r = &out[i];
		char		mode[NAMEDATALEN];
		bool		isnull;
		Datum		d;

		lg_column_name(tup, desc, 1, r->app);
		lg_column_name(tup, desc, 2, r->role);
		lg_column_name(tup, desc, 3, r->db);
		r->soft_limit = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		r->hard_limit = DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull));
		r->reserved = DatumGetInt32(SPI_getbinval(tup, desc, 6, &isnull));
		r->min_idle = DatumGetInt32(SPI_getbinval(tup, desc, 7, &isnull));
		d = SPI_getbinval(tup, desc, 8, &isnull);
		r->max_age_ms = lg_interval_ms(d, isnull);
		d = SPI_getbinval(tup, desc, 9, &isnull);
		r->idle_timeout_ms = lg_interval_ms(d, isnull);
		d = SPI_getbinval(tup, desc, 10, &isnull);
		r->idle_xact_timeout_ms = lg_interval_ms(d, isnull);
		r->max_memory_bytes = -1;
		if (mem_col > 0)
		{
			d = SPI_getbinval(tup, desc, mem_col, &isnull);
			if (!isnull && DatumGetInt64(d) > 0)
				r->max_memory_bytes = DatumGetInt64(d);
		}
		lg_column_name(tup, desc, 11, mode);
		r->mode = strcmp(mode, "off") == 0 ? LG_MODE_OFF :
			strcmp(mode, "warn") == 0 ? LG_MODE_WARN : LG_MODE_ENFORCE;
		r->recycle_at = 0;
		if (at_col > 0)
		{
			char		at[NAMEDATALEN];

			/* the table's trigger admits only these values, or NULL */
			lg_column_name(tup, desc, at_col, at);
			if (strcmp(at, "idle") == 0)
				r->recycle_at = 1 + LG_RECYCLE_AT_IDLE;
			else if (strcmp(at, "transaction_end") == 0)
				r->recycle_at = 1 + LG_RECYCLE_AT_TRANSACTION_END;
			else if (strcmp(at, "auto") == 0)
				r->recycle_at = 1 + LG_RECYCLE_AT_AUTO;
			else if (strcmp(at, "statement_end") == 0)
				r->recycle_at = 1 + LG_RECYCLE_AT_STATEMENT_END;
		}
	}
	PopActiveSnapshot();
	SPI_finish();
	lg_unpin_search_path(level);
	if (n > 1)
		qsort(out, n, sizeof(LifeguardRule), lg_rule_cmp);

	if (n > lg_max_quotas)
		ereport(WARNING,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("lifeguard.quotas has %d rules, only the first %d are enforced", n, lg_max_quotas),
				 errhint("Raise lifeguard.max_quotas and restart the server.")));
	*rules = out;
	return Min(n, lg_max_quotas);
}

/*
 * Write the rules to "path".  Errors are reported at "elevel"; returns
 * false on failure.
 */
static bool
lg_rules_file_write_to(const char *path, const LifeguardRule *rules,
					   int nrules, int elevel)
{
	FILE	   *f;
	uint32		header[3] = {LG_RULES_MAGIC, (uint32) sizeof(LifeguardRule), (uint32) nrules};

	f = AllocateFile(path, PG_BINARY_W);
	if (f == NULL)
	{
		ereport(elevel,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for writing: %m", path)));
		return false;
	}
	if (fwrite(header, sizeof(header), 1, f) != 1 ||
		(nrules > 0 && fwrite(rules, sizeof(LifeguardRule), nrules, f) != (size_t) nrules) ||
		fflush(f) != 0 || pg_fsync(fileno(f)) != 0)
	{
		ereport(elevel,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", path)));
		FreeFile(f);
		unlink(path);
		return false;
	}
	FreeFile(f);
	return true;
}

/*
 * Put a written rules file in place, unless a file of a newer generation
 * of rules is already there (then remove it).  The rename is ordered by
 * lg_shared->file_lock (see shmem.c).  Never throws.
 */
static void
lg_rules_file_publish(const char *tmp, uint64 generation)
{
	bool		done = false;

	LWLockAcquire(lg_shared->file_lock, LW_EXCLUSIVE);
	if (generation > lg_shared->file_generation &&
		durable_rename(tmp, LG_RULES_FILE, LOG) == 0)
	{
		lg_shared->file_generation = generation;
		done = true;
	}
	LWLockRelease(lg_shared->file_lock);
	if (!done)
		(void) unlink(tmp);
}

/*
 * Save the rules of generation "generation" so the postmaster can load
 * them before the first login after a restart.  Used by the worker;
 * failures are logged, not raised.
 */
void
lg_rules_file_write(const LifeguardRule *rules, int nrules, uint64 generation)
{
	char		tmp[MAXPGPATH];

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", LG_RULES_FILE, (int) MyProcPid);
	if (lg_rules_file_write_to(tmp, rules, nrules, LOG))
		lg_rules_file_publish(tmp, generation);
}

/*
 * Load the saved rules into shared memory.  Runs in the postmaster from
 * shmem_startup_hook; a missing or unreadable file leaves the rules
 * unloaded (the worker will read the table).
 */
void
lg_rules_file_load(void)
{
	FILE	   *f;
	uint32		header[3];
	LifeguardRule *rules;

	f = AllocateFile(LG_RULES_FILE, PG_BINARY_R);
	if (f == NULL)
		return;
	if (fread(header, sizeof(header), 1, f) != 1 ||
		header[0] != LG_RULES_MAGIC || header[1] != sizeof(LifeguardRule) ||
		header[2] > (uint32) lg_max_quotas)
	{
		ereport(LOG,
				(errmsg("ignoring invalid pg_lifeguard rules file \"%s\"", LG_RULES_FILE),
				 errdetail("The quota rules will be read from lifeguard.quotas when the worker starts.")));
		FreeFile(f);
		return;
	}
	rules = palloc0(sizeof(LifeguardRule) * Max(header[2], 1));
	if (header[2] > 0 &&
		fread(rules, sizeof(LifeguardRule), header[2], f) != header[2])
	{
		ereport(LOG,
				(errmsg("ignoring truncated pg_lifeguard rules file \"%s\"", LG_RULES_FILE)));
		FreeFile(f);
		pfree(rules);
		return;
	}
	FreeFile(f);
	/* a file written before rules were kept sorted */
	if (header[2] > 1)
		qsort(rules, header[2], sizeof(LifeguardRule), lg_rule_cmp);
	lg_install_rules(rules, (int) header[2]);
	pfree(rules);
}

static void lg_quota_pending_reset(void);

/*
 * Transaction callback for quota changes; see the file header.
 */
static void
lg_quota_xact_callback(XactEvent event, void *arg)
{
	if (!xact_changed)
		return;

	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot PREPARE a transaction that changed lifeguard.quotas")));
			break;

		case XACT_EVENT_PRE_COMMIT:
			{
				MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

				pending_nrules = lg_rules_read_table(&pending_rules);
				MemoryContextSwitchTo(old);
				snprintf(pending_tmpfile, sizeof(pending_tmpfile), "%s.tmp.%d",
						 LG_RULES_FILE, (int) MyProcPid);
				if (!lg_rules_file_write_to(pending_tmpfile, pending_rules,
											pending_nrules, WARNING))
					pending_tmpfile[0] = '\0';
			}
			break;

		case XACT_EVENT_COMMIT:
			if (pending_rules && pending_nrules >= 0)
			{
				uint64		gen = lg_install_rules(pending_rules, pending_nrules);

				/* unchanged rules need no new file: reset removes it */
				if (gen != 0 && pending_tmpfile[0])
				{
					lg_rules_file_publish(pending_tmpfile, gen);
					pending_tmpfile[0] = '\0';
				}
			}
			lg_quota_pending_reset();
			break;

		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			lg_quota_pending_reset();
			break;

		default:
			break;
	}
}

/*
 * Forget a transaction's pending rule change, removing its rules file if
 * it was not renamed into place.
 */
static void
lg_quota_pending_reset(void)
{
	if (pending_tmpfile[0])
		(void) unlink(pending_tmpfile);
	if (pending_rules)
		pfree(pending_rules);
	pending_rules = NULL;
	pending_nrules = -1;
	pending_tmpfile[0] = '\0';
	xact_changed = false;
}

/*
 * lifeguard._quotas_changed(): called by the statement trigger on
 * lifeguard.quotas.  Refuses changes outside lifeguard.database (the
 * worker and the connect path would never see them) and marks the
 * transaction so its commit publishes the new rules.
 */
Datum
lifeguard_quotas_changed(PG_FUNCTION_ARGS)
{
	lg_require_shmem();

	if (!lg_in_rules_database())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("quota rules must be changed in database \"%s\"", lg_database),
				 errdetail("lifeguard.database names the database whose lifeguard.quotas the server enforces; this is \"%s\".",
						   get_database_name(MyDatabaseId)),
				 errhint("Connect to database \"%s\" and run the command there.", lg_database)));

	/*
	 * One changing transaction at a time, so that each commit reads and
	 * publishes a complete set (see the file header).  The lock is on this
	 * function, not on the table: the statement firing the trigger already
	 * holds ROW EXCLUSIVE on the table, and upgrading that to a stronger
	 * table lock deadlocks two plain-DML writers.  Nobody else takes a
	 * lock on this object.
	 */
	LockDatabaseObject(ProcedureRelationId, fcinfo->flinfo->fn_oid, 0,
					   ExclusiveLock);

	if (!xact_callback_registered)
	{
		RegisterXactCallback(lg_quota_xact_callback, NULL);
		xact_callback_registered = true;
	}
	xact_changed = true;
	PG_RETURN_VOID();
}
