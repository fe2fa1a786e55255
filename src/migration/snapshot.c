/*-------------------------------------------------------------------------
 *
 * snapshot.c
 *		lifeguard.schema_snapshot(): a name-based description of a schema.
 *
 * The snapshot is a jsonb {"format": 1, "objects": {"<type> <name>":
 * {attribute: value}}}.  Nothing in it is an OID, so dropping and creating
 * an object again the same way gives the same snapshot; column positions
 * count live columns only, so dropped columns and attnum gaps do not show.
 *
 * Why C: a CI job takes a snapshot from a new session, where every cache
 * is cold.  Here each catalog is read once, with an index range scan over
 * the rows made after initdb (scan_from), and the jsonb is built directly
 * from those rows, one object at a time (see "jsonb output" below, and
 * jsonb_writer.c for the document around the objects).  A new
 * backend pays for each page of memory it touches first, so the memory
 * kept is the rows read and the objects' binary form, nothing more.
 *
 * PostgreSQL's deparsers read every name they print through the catalog
 * caches, one miss at a time; for the objects a schema has by the
 * thousand, primary/unique/foreign keys and plain one-column indexes, the
 * text is composed here from the rows already read, in exactly the
 * deparsers' words.  Anything else (CHECK and exclusion constraints,
 * expressions, operator classes, options) goes to the deparsers.  The
 * regression suite compares every composed definition with the deparser's.
 *
 * search_path is pinned to pg_catalog by the SQL declaration, so every
 * name the deparsers print is schema-qualified, as the composed text is.
 * It runs no query of its own (catalog scans and deparsers only).
 *
 * All state is the call's Snap, none is in file-level variables: a call
 * from inside another (a migration script that takes a snapshot while
 * check_migration takes its own, or a function the planner folds) is
 * independent of it.
 *
 * Owns: reading the catalogs into a snapshot.  Must not: write jsonb's
 * binary format (jsonb_writer.c does).
 *
 * src/migration/snapshot.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_description.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_publication.h"
#include "catalog/pg_publication_rel.h"
#include "catalog/pg_range.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_tablespace.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablespace.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "core/compat.h"
#include "migration/jsonb_writer.h"
#ifdef LG_HAVE_PUBLICATION_SCHEMAS
#include "catalog/pg_publication_namespace.h"
#endif

PG_FUNCTION_INFO_V1(lifeguard_schema_snapshot);

#define SMALL_NUMERICS	1024
#define ARENA_BLOCK		(64 * 1024)

/* A schema: selected ones are described. */
typedef struct SnapNsp
{
	Oid			oid;			/* hash key */
	bool		selected;
	char	   *name;
	char	   *qname;			/* quote_identifier(name) */
	HeapTuple	tuple;			/* for selected schemas */
} SnapNsp;

/* A pg_class row; rows in selected schemas keep their tuple and columns. */
typedef struct SnapRel
{
	Oid			oid;			/* hash key */
	Oid			nspoid;
	char		relkind;
	bool		selected;		/* described: a table, view or sequence */
	const char *relname;
	HeapTuple	tuple;			/* rows in selected schemas only */
	char	   *qname;			/* "schema.name", quoted; same rows */
	HeapTuple  *attbynum;		/* pg_attribute rows by attnum, 1 .. natts */
	int			natts;			/* pg_class.relnatts, once a column is read */
	List	   *parents;		/* pg_inherits parents, as OIDs */
	bool		attoptions;		/* an index with per-column options */
	bool		identity;		/* a sequence owned by an identity column */
	Oid			owner_rel;		/* a sequence's OWNED BY column, if any */
	int16		owner_att;
} SnapRel;

typedef struct ObjKey
{
	Oid			classid;
	Oid			objid;
	int32		subid;
} ObjKey;

typedef struct ObjText			/* pg_description and pg_attrdef entries */
{
	ObjKey		key;
	char	   *text;
} ObjText;

typedef struct ObjOid			/* identity columns: key -> their sequence */
{
	ObjKey		key;
	Oid			oid;
} ObjOid;

/* One object of the map, converted to jsonb as soon as it is complete. */
typedef LgJsonbMember SnapEntry;

typedef struct Snap
{
	bool		all;			/* schemas IS NULL: leave extension members out */
	HTAB	   *nsps;
	HTAB	   *rels;
	HTAB	   *extmembers;		/* ObjKey(classid, objid, 0) */
	HTAB	   *comments;		/* ObjKey -> description */
	HTAB	   *defaults;		/* ObjKey(pg_class, relid, attnum) -> adbin */
	HTAB	   *identity_seq;	/* ObjKey(pg_class, relid, attnum) -> sequence */
	HTAB	   *conname_by_index;	/* ObjKey(pg_class, indexid, 0) -> constraint */
	HTAB	   *enum_labels;	/* ObjKey(pg_type, typid, 0) -> EnumLabels */
	HTAB	   *index_by_oid;	/* index OID -> pg_index tuple */
	List	   *rellist;		/* selected SnapRels, in pg_class order */
	List	   *constraints;	/* pg_constraint tuples on selected relations */
	List	   *domain_constraints;	/* pg_constraint tuples of domains */
	List	   *indexes;		/* pg_index tuples on selected relations */
	List	   *toast_options;	/* pg_class rows of TOAST tables with reloptions */
	TupleDesc	nsp_desc;
	TupleDesc	class_desc;
	TupleDesc	attr_desc;
	TupleDesc	con_desc;
	TupleDesc	index_desc;
	List	   *opclasses;		/* cache of GetDefaultOpClass: OpclassEntry */
	Oid			min_oid;		/* no object described has a lower OID */
	MemoryContext work;			/* everything that lives until the end */
	MemoryContext tmp;			/* one object's temporaries */
	MemoryContext objcxt;		/* the open object's jsonb tree */
	lg_jsonb_state obj;			/* the open object */
	bool		in_object;
	char	   *key;			/* the open object's key in the map */
	int			keylen;
	SnapEntry  *entries;		/* the objects done, in order of creation */
	int			nentries;
	int			maxentries;
	char	   *arena;			/* keys and containers of the objects done */
	Size		arena_left;
	Numeric		small[SMALL_NUMERICS];	/* 0 .. SMALL_NUMERICS - 1, made once */
} Snap;

typedef struct OpclassEntry
{
	Oid			type;
	Oid			am;
	Oid			opclass;
} OpclassEntry;

/*
 * Each object is described with CurrentMemoryContext set to a scratch
 * context that is reset after it (the deparsers leave several kilobytes
 * behind per call); what goes into the jsonb is copied out first.  A new
 * session pays for every page of memory it touches, so this is most of
 * the difference between 28 MB and a few.
 */
static inline MemoryContext
object_begin(Snap *s)
{
	return MemoryContextSwitchTo(s->tmp);
}

static inline void
object_end(Snap *s, MemoryContext saved)
{
	MemoryContextSwitchTo(saved);
	MemoryContextReset(s->tmp);
}

typedef struct IndexEntry
{
	Oid			oid;			/* hash key */
	HeapTuple	tuple;
} IndexEntry;

typedef struct EnumLabels
{
	ObjKey		key;
	List	   *labels;			/* of EnumLabel */
} EnumLabels;

typedef struct EnumLabel
{
	float4		sortorder;
	char	   *label;
} EnumLabel;

/*---- jsonb output ----*/

/*
 * The map holds one entry per object, thousands of them for a real
 * schema.  Built as one JsonbValue tree, it would take about 800 bytes of
 * fresh memory per object (pair arrays grown by doubling), megabytes that
 * a new session pays for page by page.  So each object is built as its
 * own small tree in objcxt, converted to jsonb at j_end, and only that
 * binary form is kept; lg_jsonb_document() writes the map around them.
 */

/* Memory that lives until the end, MAXALIGNed, without per-chunk overhead. */
static char *
arena_alloc(Snap *s, Size size)
{
	char	   *p;

	size = MAXALIGN(size);
	if (size > s->arena_left)
	{
		Size		block = Max(ARENA_BLOCK, size);

		s->arena = MemoryContextAlloc(s->work, block);
		s->arena_left = block;
	}
	p = s->arena;
	s->arena += size;
	s->arena_left -= size;
	return p;
}

/* A copy of a string that lives until the end. */
static char *
keep_long(Snap *s, const char *str)
{
	Size		len = strlen(str);
	char	   *copy = arena_alloc(s, len + 1);

	memcpy(copy, str, len + 1);
	return copy;
}

/*
 * heap_copytuple() into the arena: catalog rows are read by the thousand,
 * and palloc would round each up to a power of two.
 */
static HeapTuple
keep_tuple(Snap *s, HeapTuple tup)
{
	HeapTuple	copy = (HeapTuple) arena_alloc(s, HEAPTUPLESIZE + tup->t_len);

	copy->t_len = tup->t_len;
	copy->t_self = tup->t_self;
	copy->t_tableOid = tup->t_tableOid;
	copy->t_data = (HeapTupleHeader) ((char *) copy + HEAPTUPLESIZE);
	memcpy(copy->t_data, tup->t_data, tup->t_len);
	return copy;
}

/* A copy of a string that lives until the open object is converted. */
static char *
keep(Snap *s, const char *str, int len)
{
	char	   *copy = MemoryContextAlloc(s->objcxt, len + 1);

	memcpy(copy, str, len);
	copy[len] = '\0';
	return copy;
}

static void
j_push(Snap *s, JsonbIteratorToken tok, JsonbValue *v)
{
	MemoryContext old;

	if (!s->in_object)
		elog(ERROR, "schema snapshot: attribute outside of an object");
	old = MemoryContextSwitchTo(s->objcxt);
	lg_jsonb_push(&s->obj, tok, v);
	MemoryContextSwitchTo(old);
}

static Numeric
j_numeric(Snap *s, int64 val)
{
	bool		small = (val >= 0 && val < SMALL_NUMERICS);
	MemoryContext old;
	Numeric		n;

	if (small && s->small[val] != NULL)
		return s->small[val];
	/* small ones are made once and kept; others live as long as the object */
	old = MemoryContextSwitchTo(small ? s->work : s->objcxt);
	n = int64_to_numeric(val);
	MemoryContextSwitchTo(old);
	if (small)
		s->small[val] = n;
	return n;
}

static void
j_push_key(Snap *s, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.len = strlen(key);
	v.val.string.val = keep(s, key, v.val.string.len);
	j_push(s, WJB_KEY, &v);
}

static void
j_push_string(Snap *s, JsonbIteratorToken tok, const char *val)
{
	JsonbValue	v;

	if (val == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.len = strlen(val);
		v.val.string.val = keep(s, val, v.val.string.len);
	}
	j_push(s, tok, &v);
}

/* Open the object "<kind> <name>" of the map. */
static void
j_begin(Snap *s, const char *kind, const char *name)
{
	int			kindlen = strlen(kind);
	int			namelen = strlen(name);

	if (s->in_object)
		elog(ERROR, "schema snapshot: object inside of an object");
	s->keylen = kindlen + 1 + namelen;
	s->key = arena_alloc(s, s->keylen);
	memcpy(s->key, kind, kindlen);
	s->key[kindlen] = ' ';
	memcpy(s->key + kindlen + 1, name, namelen);
	memset(&s->obj, 0, sizeof(s->obj));
	s->in_object = true;
	j_push(s, WJB_BEGIN_OBJECT, NULL);
}

/* Close the open object: keep its jsonb container, drop its tree. */
static void
j_end(Snap *s)
{
	MemoryContext old;
	Jsonb	   *jb;
	SnapEntry  *e;

	j_push(s, WJB_END_OBJECT, NULL);
	old = MemoryContextSwitchTo(s->objcxt);
	jb = JsonbValueToJsonb(lg_jsonb_result(&s->obj));
	MemoryContextSwitchTo(old);

	if (s->nentries == s->maxentries)
	{
		s->maxentries = Max(1024, s->maxentries * 2);
		if ((Size) s->maxentries > JB_CMASK)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("schema snapshot has too many objects"),
					 errdetail("A jsonb object holds at most %d pairs.", JB_CMASK)));
		s->entries = s->entries == NULL
			? MemoryContextAlloc(s->work, sizeof(SnapEntry) * s->maxentries)
			: repalloc(s->entries, sizeof(SnapEntry) * s->maxentries);
	}
	e = &s->entries[s->nentries];
	e->key = s->key;
	e->keylen = s->keylen;
	e->order = s->nentries++;
	e->size = VARSIZE(jb) - VARHDRSZ;
	e->container = arena_alloc(s, e->size);
	memcpy(e->container, VARDATA(jb), e->size);

	s->in_object = false;
	MemoryContextReset(s->objcxt);
}

/* An attribute with a string value; NULL leaves the attribute out. */
static void
j_str(Snap *s, const char *key, const char *val)
{
	if (val == NULL)
		return;
	j_push_key(s, key);
	j_push_string(s, WJB_VALUE, val);
}

static void
j_bool(Snap *s, const char *key, bool val)
{
	JsonbValue	v;

	j_push_key(s, key);
	v.type = jbvBool;
	v.val.boolean = val;
	j_push(s, WJB_VALUE, &v);
}

static void
j_int(Snap *s, const char *key, int64 val)
{
	JsonbValue	v;

	j_push_key(s, key);
	v.type = jbvNumeric;
	v.val.numeric = j_numeric(s, val);
	j_push(s, WJB_VALUE, &v);
}

/* A float4 written as to_json() writes it. */
static void
j_float4(Snap *s, const char *key, float4 val)
{
	JsonbValue	v;
	char	   *txt = DatumGetCString(DirectFunctionCall1(float4out, Float4GetDatum(val)));
	MemoryContext old;

	j_push_key(s, key);
	v.type = jbvNumeric;
	old = MemoryContextSwitchTo(s->objcxt);
	v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(txt),
														ObjectIdGetDatum(InvalidOid),
														Int32GetDatum(-1)));
	MemoryContextSwitchTo(old);
	j_push(s, WJB_VALUE, &v);
}

/* An array of strings, in the order given (NULL elements as null). */
static void
j_strings(Snap *s, const char *key, char **items, int n)
{
	j_push_key(s, key);
	j_push(s, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
		j_push_string(s, WJB_ELEM, items[i]);
	j_push(s, WJB_END_ARRAY, NULL);
}

static void
j_string_list(Snap *s, const char *key, List *items)
{
	ListCell   *lc;

	j_push_key(s, key);
	j_push(s, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, items)
		j_push_string(s, WJB_ELEM, (char *) lfirst(lc));
	j_push(s, WJB_END_ARRAY, NULL);
}

/* A text[] column (options, config) as to_json() writes it. */
static void
j_text_array(Snap *s, const char *key, HeapTuple tup, int attno, TupleDesc desc)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attno, desc, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	  **items;

	if (isnull)
		return;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	items = palloc(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
		items[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
	j_strings(s, key, items, n);
}

static int
cmp_cstring_c(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*---- lookups ----*/

static ObjKey
objkey(Oid classid, Oid objid, int32 subid)
{
	ObjKey		k;

	memset(&k, 0, sizeof(k));
	k.classid = classid;
	k.objid = objid;
	k.subid = subid;
	return k;
}

static HTAB *
objhash(const char *name, Size entrysize)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(ObjKey);
	ctl.entrysize = entrysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static const char *
comment_of(Snap *s, Oid classid, Oid objid, int32 subid)
{
	ObjKey		k = objkey(classid, objid, subid);
	ObjText    *e = hash_search(s->comments, &k, HASH_FIND, NULL);

	return e ? e->text : NULL;
}

static bool
is_extension_member(Snap *s, Oid classid, Oid objid)
{
	ObjKey		k = objkey(classid, objid, 0);

	return s->all && hash_search(s->extmembers, &k, HASH_FIND, NULL) != NULL;
}

static SnapNsp *
nsp_of(Snap *s, Oid oid)
{
	return hash_search(s->nsps, &oid, HASH_FIND, NULL);
}

static SnapRel *
rel_of(Snap *s, Oid oid)
{
	return hash_search(s->rels, &oid, HASH_FIND, NULL);
}

/* "schema.name" with both parts quoted, for any relation. */
static char *
rel_qname(Snap *s, Oid relid)
{
	SnapRel    *r = rel_of(s, relid);
	SnapNsp    *n;

	if (r == NULL)
	{
		char	   *name = get_rel_name(relid);

		if (name == NULL)
			return NULL;
		return psprintf("%s.%s", quote_identifier(get_namespace_name(get_rel_namespace(relid))),
						quote_identifier(name));
	}
	if (r->qname)
		return r->qname;
	n = nsp_of(s, r->nspoid);
	return psprintf("%s.%s", n ? n->qname : "?", quote_identifier(r->relname));
}

/* The pg_attribute row of a column, from the rows read (or NULL). */
static HeapTuple
att_of(SnapRel *r, int attnum)
{
	if (attnum < 1 || attnum > r->natts)
		return NULL;
	return r->attbynum[attnum];
}

/* A column's name, from the rows read or, for other schemas, the cache. */
static const char *
attname_of(Snap *s, Oid relid, int attnum)
{
	SnapRel    *r = rel_of(s, relid);
	HeapTuple	t = r && r->tuple ? att_of(r, attnum) : NULL;

	if (t)
		return NameStr(((Form_pg_attribute) GETSTRUCT(t))->attname);
	return get_attname(relid, attnum, true);
}

static const char *
role_name(Oid roleid)
{
	char	   *name = GetUserNameFromId(roleid, true);

	return name ? name : psprintf("unknown (OID=%u)", roleid);
}

/*
 * Call a text-returning deparser with OID (and optional second) arguments;
 * NULL when it returns NULL.
 */
static char *
call_text(PGFunction fn, int nargs, Datum arg1, Datum arg2)
{
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, nargs, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = arg2;
	fcinfo->args[1].isnull = false;
	result = (*fn) (fcinfo);
	if (fcinfo->isnull)
		return NULL;
	return TextDatumGetCString(result);
}

/* pg_get_expr(expr, relid) for a pg_node_tree column (NULL when null). */
static char *
expr_text(HeapTuple tup, int attno, TupleDesc desc, Oid relid)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attno, desc, &isnull);

	if (isnull)
		return NULL;
	return call_text(pg_get_expr, 2, d, ObjectIdGetDatum(relid));
}

/* The output of a reg* type, as its ::text cast prints it. */
static char *
reg_text(PGFunction outfn, Oid oid)
{
	return DatumGetCString(DirectFunctionCall1(outfn, ObjectIdGetDatum(oid)));
}

/*
 * Privileges: written only when they differ from the kind's default (as
 * sets), then as the sorted text of every item.
 */
static void
j_acl(Snap *s, HeapTuple tup, int attno, TupleDesc desc, ObjectType kind, Oid owner)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attno, desc, &isnull);
	Acl		   *acl;
	Acl		   *def;
	AclItem    *a;
	AclItem    *b;
	int			na;
	int			nb;
	bool		same = true;
	List	   *items = NIL;

	if (isnull)
		return;
	acl = DatumGetAclP(d);
	def = acldefault(kind, owner);
	a = ACL_DAT(acl);
	b = ACL_DAT(def);
	na = ACL_NUM(acl);
	nb = ACL_NUM(def);
	for (int pass = 0; pass < 2 && same; pass++)
	{
		AclItem    *x = pass == 0 ? a : b;
		AclItem    *y = pass == 0 ? b : a;
		int			nx = pass == 0 ? na : nb;
		int			ny = pass == 0 ? nb : na;

		for (int i = 0; i < nx && same; i++)
		{
			bool		found = false;

			for (int j = 0; j < ny && !found; j++)
				found = x[i].ai_grantee == y[j].ai_grantee &&
					x[i].ai_grantor == y[j].ai_grantor &&
					x[i].ai_privs == y[j].ai_privs;
			same = found;
		}
	}
	if (same)
		return;
	for (int i = 0; i < na; i++)
		items = lappend(items, DatumGetCString(DirectFunctionCall1(aclitemout,
																   PointerGetDatum(&a[i]))));
	list_sort(items, cmp_cstring_c);
	j_string_list(s, "acl", items);
}

/* Column privileges: written whenever there are any, sorted. */
static void
j_column_acl(Snap *s, HeapTuple tup)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, Anum_pg_attribute_attacl, s->attr_desc, &isnull);
	Acl		   *acl;
	List	   *items = NIL;

	if (isnull)
		return;
	acl = DatumGetAclP(d);
	if (ACL_NUM(acl) == 0)
		return;
	for (int i = 0; i < ACL_NUM(acl); i++)
		items = lappend(items, DatumGetCString(DirectFunctionCall1(aclitemout,
																   PointerGetDatum(&ACL_DAT(acl)[i]))));
	list_sort(items, cmp_cstring_c);
	j_string_list(s, "acl", items);
}

/*---- reading the catalogs ----*/

/* A sequential scan of a whole catalog: callers loop on systable_getnext. */
static SysScanDesc
scan_catalog(Relation rel)
{
	return systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
}

/*
 * The rows of a catalog whose OID column attno is at least min_oid.
 * Everything made after initdb has an OID of FirstNormalObjectId or more,
 * and a user's rows sit together at the end of each catalog's index: in a
 * new session, reading only those pages instead of the whole catalog
 * (mostly PostgreSQL's own objects) saves most of the page faults.  With
 * a system schema selected, min_oid is 0 and this is a plain heap scan.
 */
static SysScanDesc
scan_from(Snap *s, Relation rel, Oid indexid, AttrNumber attno, ScanKey key)
{
	ScanKeyInit(key, attno, BTGreaterEqualStrategyNumber, F_OIDGE,
				ObjectIdGetDatum(s->min_oid));
	return systable_beginscan(rel, indexid, s->min_oid != InvalidOid, NULL, 1, key);
}

/* One key: column attno equals value. */
static SysScanDesc
scan_eq(Relation rel, Oid indexid, AttrNumber attno, Oid value, ScanKey key)
{
	ScanKeyInit(key, attno, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(value));
	return systable_beginscan(rel, indexid, true, NULL, 1, key);
}

static void
read_namespaces(Snap *s, ArrayType *schemas)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	Datum	   *names;
	bool	   *nulls;
	int			nnames = 0;
	Oid		   *wanted = NULL;

	/* every schema named must exist */
	if (schemas)
	{
		deconstruct_array(schemas, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &nnames);
		wanted = palloc(sizeof(Oid) * (nnames + 1));
		for (int i = 0; i < nnames; i++)
		{
			char	   *name;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("schema names must not be null"),
						 errhint("Pass existing schema names, or NULL for every non-system schema.")));
			name = TextDatumGetCString(names[i]);
			wanted[i] = get_namespace_oid(name, true);
			if (!OidIsValid(wanted[i]))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_SCHEMA),
						 errmsg("schema \"%s\" does not exist", name),
						 errhint("Pass existing schema names, or NULL for every non-system schema.")));
		}
	}

	rel = table_open(NamespaceRelationId, AccessShareLock);
	s->nsp_desc = CreateTupleDescCopy(RelationGetDescr(rel));
	scan = scan_catalog(rel);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_namespace f = (Form_pg_namespace) GETSTRUCT(tup);
		const char *name = NameStr(f->nspname);
		bool		selected = false;
		SnapNsp    *n;

		if (schemas)
		{
			for (int i = 0; i < nnames && !selected; i++)
				selected = (wanted[i] == f->oid);
		}
		else
			selected = strcmp(name, "pg_catalog") != 0 &&
				strcmp(name, "information_schema") != 0 &&
				strcmp(name, "lifeguard") != 0 &&
				strncmp(name, "pg_toast", 8) != 0 &&
				strncmp(name, "pg_temp_", 8) != 0;

		n = hash_search(s->nsps, &f->oid, HASH_ENTER, NULL);
		n->selected = selected;
		n->name = pstrdup(name);
		n->qname = (char *) quote_identifier(n->name);
		n->tuple = selected ? keep_tuple(s, tup) : NULL;
		/* a system schema (public aside, which initdb leaves empty) */
		if (selected && f->oid < FirstNormalObjectId && f->oid != PG_PUBLIC_NAMESPACE)
			s->min_oid = InvalidOid;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* Extension members: only left out of a snapshot of every schema. */
static void
read_extension_members(Snap *s)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;

	if (!s->all)
		return;
	rel = table_open(DependRelationId, AccessShareLock);
	scan = scan_eq(rel, DependReferenceIndexId, Anum_pg_depend_refclassid,
				   ExtensionRelationId, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
		ObjKey		k;

		if (d->deptype != DEPENDENCY_EXTENSION)
			continue;
		k = objkey(d->classid, d->objid, 0);
		hash_search(s->extmembers, &k, HASH_ENTER, NULL);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * What each sequence depends on: the column it is OWNED BY (auto), or the
 * identity column that owns it (internal).
 */
static void
read_sequence_owners(Snap *s)
{
	Relation	rel = NULL;
	ListCell   *lc;

	foreach(lc, s->rellist)
	{
		SnapRel    *r = lfirst(lc);
		SysScanDesc scan;
		ScanKeyData keys[2];
		HeapTuple	tup;

		if (r->relkind != RELKIND_SEQUENCE)
			continue;
		if (rel == NULL)
			rel = table_open(DependRelationId, AccessShareLock);
		ScanKeyInit(&keys[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(RelationRelationId));
		ScanKeyInit(&keys[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(r->oid));
		scan = systable_beginscan(rel, DependDependerIndexId, true, NULL, 2, keys);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
			ObjKey		k;
			ObjOid	   *e;
			bool		found;

			if (d->refclassid != RelationRelationId)
				continue;
			if (d->deptype == DEPENDENCY_INTERNAL)
			{
				r->identity = true;
				k = objkey(RelationRelationId, d->refobjid, d->refobjsubid);
				e = hash_search(s->identity_seq, &k, HASH_ENTER, &found);
				if (!found)
					e->oid = d->objid;
			}
			else if (d->deptype == DEPENDENCY_AUTO && d->refobjsubid > 0 &&
					 !OidIsValid(r->owner_rel))
			{
				r->owner_rel = d->refobjid;
				r->owner_att = d->refobjsubid;
			}
		}
		systable_endscan(scan);
	}
	if (rel != NULL)
		table_close(rel, AccessShareLock);
}

static void
read_classes(Snap *s)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan = scan_from(s, rel, ClassOidIndexId, Anum_pg_class_oid, &key);
	HeapTuple	tup;

	s->class_desc = CreateTupleDescCopy(RelationGetDescr(rel));
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_class f = (Form_pg_class) GETSTRUCT(tup);
		SnapNsp    *n = nsp_of(s, f->relnamespace);
		SnapRel    *r;
		bool		found;

		/* TOAST tables and their indexes: only options are shown */
		if (f->relnamespace == PG_TOAST_NAMESPACE)
		{
			if (f->relkind == RELKIND_TOASTVALUE &&
				!heap_attisnull(tup, Anum_pg_class_reloptions, s->class_desc))
				s->toast_options = lappend(s->toast_options, keep_tuple(s, tup));
			continue;
		}
		r = hash_search(s->rels, &f->oid, HASH_ENTER, &found);
		memset(((char *) r) + sizeof(Oid), 0, sizeof(SnapRel) - sizeof(Oid));
		r->nspoid = f->relnamespace;
		r->relkind = f->relkind;
		if (n == NULL || !n->selected)
		{
			r->relname = keep_long(s, NameStr(f->relname));
			continue;
		}
		r->tuple = keep_tuple(s, tup);
		r->relname = NameStr(((Form_pg_class) GETSTRUCT(r->tuple))->relname);
		r->qname = psprintf("%s.%s", n->qname, quote_identifier(NameStr(f->relname)));
		if (strchr("rpfvmS", f->relkind) != NULL &&
			!is_extension_member(s, RelationRelationId, f->oid))
		{
			r->selected = true;
			s->rellist = lappend(s->rellist, r);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
read_attributes(Snap *s)
{
	Relation	rel = table_open(AttributeRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			last = InvalidOid;
	SnapRel    *r = NULL;

	s->attr_desc = CreateTupleDescCopy(RelationGetDescr(rel));
	/* user columns only: the index tells, without a visit to the heap */
	ScanKeyInit(&keys[0], Anum_pg_attribute_attrelid, BTGreaterEqualStrategyNumber, F_OIDGE,
				ObjectIdGetDatum(s->min_oid));
	ScanKeyInit(&keys[1], Anum_pg_attribute_attnum, BTGreaterStrategyNumber, F_INT2GT,
				Int16GetDatum(0));
	scan = systable_beginscan(rel, AttributeRelidNumIndexId, s->min_oid != InvalidOid,
							  NULL, 2, keys);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_attribute f = (Form_pg_attribute) GETSTRUCT(tup);

		if (f->attrelid != last)
		{
			last = f->attrelid;
			r = rel_of(s, last);
		}
		if (r == NULL || r->tuple == NULL)
			continue;
		/* of an index's columns, only whether one has options is needed */
		if (r->relkind == RELKIND_INDEX || r->relkind == RELKIND_PARTITIONED_INDEX)
		{
			if (!heap_attisnull(tup, Anum_pg_attribute_attoptions, s->attr_desc))
				r->attoptions = true;
			continue;
		}
		if (r->attbynum == NULL)
		{
			r->natts = ((Form_pg_class) GETSTRUCT(r->tuple))->relnatts;
			r->attbynum = (HeapTuple *) arena_alloc(s, sizeof(HeapTuple) * (r->natts + 1));
			memset(r->attbynum, 0, sizeof(HeapTuple) * (r->natts + 1));
		}
		if (f->attnum <= r->natts)
			r->attbynum[f->attnum] = keep_tuple(s, tup);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
add_comments(Snap *s, SysScanDesc scan, TupleDesc desc)
{
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_description f = (Form_pg_description) GETSTRUCT(tup);
		ObjKey		k;
		ObjText    *e;
		bool		isnull;
		Datum		d;

		d = heap_getattr(tup, Anum_pg_description_description, desc, &isnull);
		if (isnull)
			continue;
		k = objkey(f->classoid, f->objoid, f->objsubid);
		e = hash_search(s->comments, &k, HASH_ENTER, NULL);
		e->text = TextDatumGetCString(d);
	}
	systable_endscan(scan);
}

/* Comments on the objects described, and on schemas made by initdb. */
static void
read_comments(Snap *s)
{
	Relation	rel = table_open(DescriptionRelationId, AccessShareLock);
	ScanKeyData key;
	HASH_SEQ_STATUS hs;
	SnapNsp    *n;

	add_comments(s, scan_from(s, rel, DescriptionObjIndexId, Anum_pg_description_objoid, &key),
				 RelationGetDescr(rel));
	hash_seq_init(&hs, s->nsps);
	while ((n = hash_seq_search(&hs)) != NULL)
		if (n->selected && n->oid < s->min_oid)
			add_comments(s, scan_eq(rel, DescriptionObjIndexId, Anum_pg_description_objoid,
									n->oid, &key),
						 RelationGetDescr(rel));
	table_close(rel, AccessShareLock);
}

static void
read_defaults(Snap *s)
{
	Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan = scan_from(s, rel, AttrDefaultIndexId, Anum_pg_attrdef_adrelid, &key);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_attrdef f = (Form_pg_attrdef) GETSTRUCT(tup);
		SnapRel    *r = rel_of(s, f->adrelid);
		ObjKey		k;
		ObjText    *e;
		bool		isnull;
		Datum		d;

		if (r == NULL || !r->selected)
			continue;
		d = heap_getattr(tup, Anum_pg_attrdef_adbin, RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		k = objkey(RelationRelationId, f->adrelid, f->adnum);
		e = hash_search(s->defaults, &k, HASH_ENTER, NULL);
		e->text = TextDatumGetCString(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
read_constraints(Snap *s)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan = scan_from(s, rel, ConstraintOidIndexId, Anum_pg_constraint_oid, &key);
	HeapTuple	tup;

	s->con_desc = CreateTupleDescCopy(RelationGetDescr(rel));
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint f = (Form_pg_constraint) GETSTRUCT(tup);

		if (LG_PLAIN_NOT_NULL(f))
			continue;			/* shown as not_null */
		if (OidIsValid(f->conrelid))
		{
			SnapRel    *r = rel_of(s, f->conrelid);

			if (r == NULL || !r->selected)
				continue;
			s->constraints = lappend(s->constraints, keep_tuple(s, tup));
			if (OidIsValid(f->conindid) &&
				(f->contype == CONSTRAINT_PRIMARY || f->contype == CONSTRAINT_UNIQUE ||
				 f->contype == CONSTRAINT_EXCLUSION))
			{
				ObjKey		k = objkey(RelationRelationId, f->conindid, 0);
				ObjText    *e = hash_search(s->conname_by_index, &k, HASH_ENTER, NULL);

				e->text = pstrdup(NameStr(f->conname));
			}
		}
		else if (OidIsValid(f->contypid))
		{
			SnapNsp    *n = nsp_of(s, f->connamespace);

			if (n && n->selected)
				s->domain_constraints = lappend(s->domain_constraints, keep_tuple(s, tup));
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
read_indexes(Snap *s)
{
	Relation	rel = table_open(IndexRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan = scan_from(s, rel, IndexIndrelidIndexId, Anum_pg_index_indrelid, &key);
	HeapTuple	tup;

	s->index_desc = CreateTupleDescCopy(RelationGetDescr(rel));
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_index f = (Form_pg_index) GETSTRUCT(tup);
		SnapRel    *r = rel_of(s, f->indrelid);
		IndexEntry *e;

		if (r == NULL || !r->selected)
			continue;
		e = hash_search(s->index_by_oid, &f->indexrelid, HASH_ENTER, NULL);
		e->tuple = keep_tuple(s, tup);
		s->indexes = lappend(s->indexes, e->tuple);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
read_inherits(Snap *s)
{
	Relation	rel = table_open(InheritsRelationId, AccessShareLock);
	SysScanDesc scan = scan_catalog(rel);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_inherits f = (Form_pg_inherits) GETSTRUCT(tup);
		SnapRel    *r = rel_of(s, f->inhrelid);

		if (r && r->selected)
			r->parents = lappend_oid(r->parents, f->inhparent);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*---- tables, columns, constraints, indexes, sequences, views ----*/

static void
describe_schemas(Snap *s)
{
	MemoryContext saved;
	HASH_SEQ_STATUS hs;
	SnapNsp    *n;

	hash_seq_init(&hs, s->nsps);
	while ((n = hash_seq_search(&hs)) != NULL)
	{
		Form_pg_namespace f;

		if (!n->selected || is_extension_member(s, NamespaceRelationId, n->oid))
			continue;
		f = (Form_pg_namespace) GETSTRUCT(n->tuple);
		saved = object_begin(s);
		j_begin(s, "schema", n->qname);
		j_str(s, "owner", role_name(f->nspowner));
		j_acl(s, n->tuple, Anum_pg_namespace_nspacl, s->nsp_desc, OBJECT_SCHEMA, f->nspowner);
		j_str(s, "comment", comment_of(s, NamespaceRelationId, n->oid, 0));
		j_end(s);
		object_end(s, saved);
	}
}

static void
describe_table(Snap *s, SnapRel *r)
{
	Form_pg_class f = (Form_pg_class) GETSTRUCT(r->tuple);
	ListCell   *lc;

	j_begin(s, "table", r->qname);
	j_str(s, "kind", f->relkind == RELKIND_RELATION ? "table" :
		  f->relkind == RELKIND_PARTITIONED_TABLE ? "partitioned table" : "foreign table");
	if (f->relpersistence == RELPERSISTENCE_UNLOGGED)
		j_str(s, "persistence", "unlogged");
	j_text_array(s, "options", r->tuple, Anum_pg_class_reloptions, s->class_desc);
	foreach(lc, s->toast_options)
	{
		HeapTuple	toast = lfirst(lc);

		if (((Form_pg_class) GETSTRUCT(toast))->oid == f->reltoastrelid)
			j_text_array(s, "toast_options", toast, Anum_pg_class_reloptions, s->class_desc);
	}
	if (f->relrowsecurity)
		j_bool(s, "row_security", true);
	if (f->relforcerowsecurity)
		j_bool(s, "force_row_security", true);
	if (f->relreplident != REPLICA_IDENTITY_DEFAULT)
		j_str(s, "replica_identity", psprintf("%c", f->relreplident));
	if (OidIsValid(f->relam) && f->relam != HEAP_TABLE_AM_OID)
		j_str(s, "access_method", get_am_name(f->relam));
	if (OidIsValid(f->reltablespace))
		j_str(s, "tablespace", get_tablespace_name(f->reltablespace));
	j_str(s, "owner", role_name(f->relowner));
	j_acl(s, r->tuple, Anum_pg_class_relacl, s->class_desc, OBJECT_TABLE, f->relowner);
	if (f->relkind == RELKIND_PARTITIONED_TABLE)
		j_str(s, "partition_key", call_text(pg_get_partkeydef, 1, ObjectIdGetDatum(r->oid), 0));
	if (f->relispartition)
		j_str(s, "partition_bound",
			  expr_text(r->tuple, Anum_pg_class_relpartbound, s->class_desc, InvalidOid));
	if (r->parents != NIL)
	{
		List	   *names = NIL;

		foreach(lc, r->parents)
			names = lappend(names, rel_qname(s, lfirst_oid(lc)));
		list_sort(names, cmp_cstring_c);
		j_string_list(s, "inherits", names);
	}
	if (f->relkind == RELKIND_FOREIGN_TABLE)
	{
		HeapTuple	ft = SearchSysCache1(FOREIGNTABLEREL, ObjectIdGetDatum(r->oid));

		if (HeapTupleIsValid(ft))
		{
			Form_pg_foreign_table ff = (Form_pg_foreign_table) GETSTRUCT(ft);
			HeapTuple	srv = SearchSysCache1(FOREIGNSERVEROID, ObjectIdGetDatum(ff->ftserver));
			bool		isnull;
			Datum		opts;

			if (HeapTupleIsValid(srv))
			{
				j_str(s, "server", pstrdup(NameStr(((Form_pg_foreign_server) GETSTRUCT(srv))->srvname)));
				ReleaseSysCache(srv);
			}
			opts = SysCacheGetAttr(FOREIGNTABLEREL, ft, Anum_pg_foreign_table_ftoptions, &isnull);
			if (!isnull)
			{
				Datum	   *elems;
				bool	   *nulls;
				int			n;
				char	  **items;

				deconstruct_array(DatumGetArrayTypeP(opts), TEXTOID, -1, false, TYPALIGN_INT,
								  &elems, &nulls, &n);
				items = palloc(sizeof(char *) * (n + 1));
				for (int i = 0; i < n; i++)
					items[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
				j_strings(s, "foreign_options", items, n);
			}
			ReleaseSysCache(ft);
		}
	}
	j_str(s, "comment", comment_of(s, RelationRelationId, r->oid, 0));
	j_end(s);
}

/* "schema.name" of a collation, both parts quoted. */
static char *
collation_qname(Snap *s, Oid collid)
{
	HeapTuple	t = SearchSysCache1(COLLOID, ObjectIdGetDatum(collid));
	Form_pg_collation c;
	SnapNsp    *n;
	char	   *result;

	if (!HeapTupleIsValid(t))
		return NULL;
	c = (Form_pg_collation) GETSTRUCT(t);
	n = nsp_of(s, c->collnamespace);
	result = psprintf("%s.%s", n ? n->qname : "?", quote_identifier(NameStr(c->collname)));
	ReleaseSysCache(t);
	return result;
}

static void
describe_columns(Snap *s, SnapRel *r)
{
	int			position = 0;

	for (int attnum = 1; attnum <= r->natts; attnum++)
	{
		HeapTuple	tup = r->attbynum[attnum];
		Form_pg_attribute a;
		HeapTuple	tt;
		Form_pg_type t;
		int			stattarget;
		bool		isnull;
		Datum		d;

		if (tup == NULL)
			continue;
		a = (Form_pg_attribute) GETSTRUCT(tup);
		if (a->attisdropped)
			continue;
		position++;
		tt = SearchSysCache1(TYPEOID, ObjectIdGetDatum(a->atttypid));
		if (!HeapTupleIsValid(tt))
			elog(ERROR, "cache lookup failed for type %u", a->atttypid);
		t = (Form_pg_type) GETSTRUCT(tt);

		j_begin(s, "column", psprintf("%s.%s", r->qname, quote_identifier(NameStr(a->attname))));
		j_int(s, "position", position);
		j_str(s, "type", format_type_with_typemod(a->atttypid, a->atttypmod));
		if (a->attcollation != t->typcollation)
			j_str(s, "collation", collation_qname(s, a->attcollation));
		if (a->atthasdef)
		{
			ObjKey		k = objkey(RelationRelationId, r->oid, a->attnum);
			ObjText    *e = hash_search(s->defaults, &k, HASH_FIND, NULL);

			/* a default cannot name a column: deparsed without the table */
			if (e)
				j_str(s, a->attgenerated == '\0' ? "default" : "generated",
					  call_text(pg_get_expr, 2, CStringGetTextDatum(e->text),
								ObjectIdGetDatum(a->attgenerated == '\0' ? InvalidOid : r->oid)));
		}

		/*
		 * Stored or (18+) virtual: the same expression either way, so a
		 * virtual column says so in an attribute of its own, and STORED ->
		 * VIRTUAL is a change.  Stored columns, the only kind before 18,
		 * have no such attribute, so their snapshots are as they were.
		 */
		if (LG_ATTGENERATED_IS_VIRTUAL(a->attgenerated))
			j_str(s, "generated_kind", "virtual");
		if (a->attnotnull)
			j_bool(s, "not_null", true);
		if (a->attidentity != '\0')
		{
			ObjKey		k = objkey(RelationRelationId, r->oid, a->attnum);
			ObjOid	   *e = hash_search(s->identity_seq, &k, HASH_FIND, NULL);

			j_str(s, "identity", a->attidentity == ATTRIBUTE_IDENTITY_ALWAYS ? "always" : "by default");
			if (e)
			{
				HeapTuple	st = SearchSysCache1(SEQRELID, ObjectIdGetDatum(e->oid));

				if (HeapTupleIsValid(st))
				{
					Form_pg_sequence q = (Form_pg_sequence) GETSTRUCT(st);

					j_str(s, "identity_sequence",
						  psprintf("AS %s START " INT64_FORMAT " INCREMENT " INT64_FORMAT
								   " MINVALUE " INT64_FORMAT " MAXVALUE " INT64_FORMAT
								   " CACHE " INT64_FORMAT "%s",
								   format_type_be(q->seqtypid), q->seqstart, q->seqincrement,
								   q->seqmin, q->seqmax, q->seqcache,
								   q->seqcycle ? " CYCLE" : ""));
					ReleaseSysCache(st);
				}
			}
		}
		if (a->attstorage != t->typstorage)
			j_str(s, "storage", psprintf("%c", a->attstorage));
		if (a->attcompression != '\0')
			j_str(s, "compression", psprintf("%c", a->attcompression));
		stattarget = lg_attstattarget(tup, s->attr_desc);
		if (stattarget >= 0)
			j_int(s, "statistics", stattarget);

		/* (some builds keep a private pg_attver entry there: not schema) */
		d = heap_getattr(tup, Anum_pg_attribute_attoptions, s->attr_desc, &isnull);
		if (!isnull)
		{
			Datum	   *elems;
			int			n;
			List	   *opts = NIL;

			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, NULL, &n);
			for (int i = 0; i < n; i++)
			{
				char	   *o = TextDatumGetCString(elems[i]);

				if (strncmp(o, "pg_attver=", 10) != 0)
					opts = lappend(opts, o);
			}
			if (opts != NIL)
			{
				list_sort(opts, cmp_cstring_c);
				j_string_list(s, "options", opts);
			}
		}
		j_text_array(s, "fdw_options", tup, Anum_pg_attribute_attfdwoptions, s->attr_desc);
		j_column_acl(s, tup);
		j_str(s, "comment", comment_of(s, RelationRelationId, r->oid, a->attnum));
		j_end(s);
		ReleaseSysCache(tt);
	}
}

/* Column names of an int2[] key list, quoted and comma-separated. */
static bool
append_columns(Snap *s, StringInfo buf, Oid relid, HeapTuple tup, int attno, TupleDesc desc)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attno, desc, &isnull);
	Datum	   *keys;
	int			n;

	if (isnull)
		return false;
	deconstruct_array(DatumGetArrayTypeP(d), INT2OID, 2, true, TYPALIGN_SHORT, &keys, NULL, &n);
	for (int i = 0; i < n; i++)
	{
		const char *name = attname_of(s, relid, DatumGetInt16(keys[i]));

		if (name == NULL)
			return false;
		if (i > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfoString(buf, quote_identifier(name));
	}
	return true;
}

static const char *
fk_action(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE:
			return "CASCADE";
		case FKCONSTR_ACTION_SETNULL:
			return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT:
			return "SET DEFAULT";
		default:
			return NULL;
	}
}

/*
 * pg_get_constraintdef's text for a primary, unique or foreign key,
 * composed from the rows read; NULL for anything else.
 */
static char *
compose_constraintdef(Snap *s, HeapTuple tup)
{
	Form_pg_constraint c = (Form_pg_constraint) GETSTRUCT(tup);
	StringInfoData buf;
	bool		isnull;

	if (!LG_CONSTRAINT_COMPOSABLE(c))
		return NULL;
	initStringInfo(&buf);
	if (c->contype == CONSTRAINT_FOREIGN)
	{
		SnapRel    *ref = rel_of(s, c->confrelid);
		const char *action;

		/* the referenced table's columns must be at hand */
		if (ref == NULL || ref->tuple == NULL)
			return NULL;
		if (LG_CONFDELSETCOLS_ATTNO != 0)
		{
			heap_getattr(tup, LG_CONFDELSETCOLS_ATTNO, s->con_desc, &isnull);
			if (!isnull)
				return NULL;
		}
		appendStringInfoString(&buf, "FOREIGN KEY (");
		if (!append_columns(s, &buf, c->conrelid, tup, Anum_pg_constraint_conkey, s->con_desc))
			return NULL;
		appendStringInfo(&buf, ") REFERENCES %s(", ref->qname);
		if (!append_columns(s, &buf, c->confrelid, tup, Anum_pg_constraint_confkey, s->con_desc))
			return NULL;
		appendStringInfoChar(&buf, ')');
		if (c->confmatchtype == FKCONSTR_MATCH_FULL)
			appendStringInfoString(&buf, " MATCH FULL");
		else if (c->confmatchtype == FKCONSTR_MATCH_PARTIAL)
			appendStringInfoString(&buf, " MATCH PARTIAL");
		if ((action = fk_action(c->confupdtype)) != NULL)
			appendStringInfo(&buf, " ON UPDATE %s", action);
		if ((action = fk_action(c->confdeltype)) != NULL)
			appendStringInfo(&buf, " ON DELETE %s", action);
	}
	else if (c->contype == CONSTRAINT_PRIMARY || c->contype == CONSTRAINT_UNIQUE)
	{
		IndexEntry *ind = hash_search(s->index_by_oid, &c->conindid, HASH_FIND, NULL);
		Form_pg_index fi;
		int			nkeys;

		if (ind == NULL)
			return NULL;
		fi = (Form_pg_index) GETSTRUCT(ind->tuple);
		appendStringInfoString(&buf, c->contype == CONSTRAINT_PRIMARY ? "PRIMARY KEY " : "UNIQUE ");
		if (c->contype == CONSTRAINT_UNIQUE && LG_INDEX_NULLS_NOT_DISTINCT(fi))
			appendStringInfoString(&buf, "NULLS NOT DISTINCT ");
		appendStringInfoChar(&buf, '(');
		if (!append_columns(s, &buf, c->conrelid, tup, Anum_pg_constraint_conkey, s->con_desc))
			return NULL;
		appendStringInfoChar(&buf, ')');
		nkeys = fi->indnkeyatts;
		if (fi->indnatts > nkeys)
		{
			appendStringInfoString(&buf, " INCLUDE (");
			for (int i = nkeys; i < fi->indnatts; i++)
			{
				const char *name = attname_of(s, c->conrelid, fi->indkey.values[i]);

				if (name == NULL)
					return NULL;
				if (i > nkeys)
					appendStringInfoString(&buf, ", ");
				appendStringInfoString(&buf, quote_identifier(name));
			}
			appendStringInfoChar(&buf, ')');
		}
	}
	else
		return NULL;
	if (c->condeferrable)
		appendStringInfoString(&buf, " DEFERRABLE");
	if (c->condeferred)
		appendStringInfoString(&buf, " INITIALLY DEFERRED");
	if (!c->convalidated)
		appendStringInfoString(&buf, " NOT VALID");
	return buf.data;
}

static void
describe_constraints(Snap *s)
{
	ListCell   *lc;

	foreach(lc, s->constraints)
	{
		HeapTuple	tup = lfirst(lc);
		Form_pg_constraint c = (Form_pg_constraint) GETSTRUCT(tup);
		SnapRel    *r = rel_of(s, c->conrelid);
		MemoryContext saved = object_begin(s);
		char	   *def = compose_constraintdef(s, tup);

		if (def == NULL)
			def = call_text(pg_get_constraintdef, 1, ObjectIdGetDatum(c->oid), 0);
		j_begin(s, "constraint", psprintf("%s.%s", r->qname, quote_identifier(NameStr(c->conname))));
		j_str(s, "definition", def);
		if (c->condeferrable)
			j_bool(s, "deferrable", true);
		if (c->condeferred)
			j_bool(s, "deferred", true);
		if (!c->convalidated)
			j_bool(s, "validated", false);
		j_str(s, "comment", comment_of(s, ConstraintRelationId, c->oid, 0));
		j_end(s);
		object_end(s, saved);
	}
}

/* GetDefaultOpClass, asked once per type and access method. */
static Oid
default_opclass(Snap *s, Oid type, Oid am)
{
	ListCell   *lc;
	OpclassEntry *e;
	MemoryContext old;

	foreach(lc, s->opclasses)
	{
		e = lfirst(lc);
		if (e->type == type && e->am == am)
			return e->opclass;
	}
	old = MemoryContextSwitchTo(s->work);
	e = palloc(sizeof(OpclassEntry));
	e->type = type;
	e->am = am;
	e->opclass = GetDefaultOpClass(type, am);
	s->opclasses = lappend(s->opclasses, e);
	MemoryContextSwitchTo(old);
	return e->opclass;
}

/*
 * pg_get_indexdef's text for a one-column index with the column's default
 * operator class, collation and order, and no options, expression,
 * predicate or INCLUDE; NULL for anything else.
 */
static char *
compose_indexdef(Snap *s, HeapTuple itup, SnapRel *table, SnapRel *index)
{
	Form_pg_index fi = (Form_pg_index) GETSTRUCT(itup);
	Form_pg_class ic = (Form_pg_class) GETSTRUCT(index->tuple);
	HeapTuple	at;
	Form_pg_attribute a;
	bool		isnull;
	oidvector  *indclass;
	oidvector  *indcoll;
	int2vector *indoption;
	Datum		d;
	Oid			opclass;

	if (fi->indnatts != 1 || fi->indkey.values[0] == 0 || LG_INDEX_NULLS_NOT_DISTINCT(fi) ||
		!heap_attisnull(itup, Anum_pg_index_indexprs, s->index_desc) ||
		!heap_attisnull(itup, Anum_pg_index_indpred, s->index_desc) ||
		!heap_attisnull(index->tuple, Anum_pg_class_reloptions, s->class_desc))
		return NULL;
	at = att_of(table, fi->indkey.values[0]);
	if (at == NULL || index->attoptions)
		return NULL;
	a = (Form_pg_attribute) GETSTRUCT(at);

	d = heap_getattr(itup, Anum_pg_index_indclass, s->index_desc, &isnull);
	indclass = (oidvector *) DatumGetPointer(d);
	d = heap_getattr(itup, Anum_pg_index_indcollation, s->index_desc, &isnull);
	indcoll = (oidvector *) DatumGetPointer(d);
	d = heap_getattr(itup, Anum_pg_index_indoption, s->index_desc, &isnull);
	indoption = (int2vector *) DatumGetPointer(d);
	if (indoption->values[0] != 0 ||
		(OidIsValid(indcoll->values[0]) && indcoll->values[0] != a->attcollation))
		return NULL;

	/* the column's default operator class for this access method */
	opclass = default_opclass(s, a->atttypid, ic->relam);
	if (!OidIsValid(opclass) || opclass != indclass->values[0])
		return NULL;

	return psprintf("CREATE %sINDEX %s ON %s%s USING %s (%s)",
					fi->indisunique ? "UNIQUE " : "",
					quote_identifier(NameStr(ic->relname)),
					ic->relkind == RELKIND_PARTITIONED_INDEX ? "ONLY " : "",
					table->qname,
					quote_identifier(get_am_name(ic->relam)),
					quote_identifier(NameStr(a->attname)));
}

static void
describe_indexes(Snap *s)
{
	MemoryContext saved;
	ListCell   *lc;

	foreach(lc, s->indexes)
	{
		HeapTuple	itup = lfirst(lc);
		Form_pg_index fi = (Form_pg_index) GETSTRUCT(itup);
		SnapRel    *table = rel_of(s, fi->indrelid);
		SnapRel    *index = rel_of(s, fi->indexrelid);
		Form_pg_class ic;
		char	   *def;
		ObjKey		k = objkey(RelationRelationId, fi->indexrelid, 0);
		ObjText    *con;

		if (index == NULL || index->tuple == NULL)
			continue;
		saved = object_begin(s);
		ic = (Form_pg_class) GETSTRUCT(index->tuple);
		def = compose_indexdef(s, itup, table, index);
		if (def == NULL)
			def = call_text(pg_get_indexdef, 1, ObjectIdGetDatum(fi->indexrelid), 0);
		j_begin(s, "index", psprintf("%s.%s", table->qname, quote_identifier(NameStr(ic->relname))));
		j_str(s, "definition", def);
		if (!fi->indisvalid)
			j_bool(s, "valid", false);
		j_str(s, "predicate", expr_text(itup, Anum_pg_index_indpred, s->index_desc, fi->indrelid));
		if (fi->indisclustered)
			j_bool(s, "clustered", true);
		if (fi->indisreplident)
			j_bool(s, "replica_identity", true);
		con = hash_search(s->conname_by_index, &k, HASH_FIND, NULL);
		if (con)
			j_str(s, "constraint", con->text);
		if (OidIsValid(ic->reltablespace))
			j_str(s, "tablespace", get_tablespace_name(ic->reltablespace));
		j_str(s, "comment", comment_of(s, RelationRelationId, fi->indexrelid, 0));
		j_end(s);
		object_end(s, saved);
	}
}

static void
describe_sequence(Snap *s, SnapRel *r)
{
	Form_pg_class f = (Form_pg_class) GETSTRUCT(r->tuple);
	HeapTuple	st;
	Form_pg_sequence q;

	/* identity sequences are described by their column */
	if (r->identity)
		return;
	st = SearchSysCache1(SEQRELID, ObjectIdGetDatum(r->oid));
	if (!HeapTupleIsValid(st))
		return;
	q = (Form_pg_sequence) GETSTRUCT(st);
	j_begin(s, "sequence", r->qname);
	j_str(s, "type", format_type_be(q->seqtypid));
	j_int(s, "start", q->seqstart);
	j_int(s, "increment", q->seqincrement);
	j_int(s, "min", q->seqmin);
	j_int(s, "max", q->seqmax);
	j_int(s, "cache", q->seqcache);
	j_bool(s, "cycle", q->seqcycle);
	ReleaseSysCache(st);
	if (f->relpersistence == RELPERSISTENCE_UNLOGGED)
		j_str(s, "persistence", "unlogged");
	if (OidIsValid(r->owner_rel))
	{
		const char *col = attname_of(s, r->owner_rel, r->owner_att);
		char	   *tab = rel_qname(s, r->owner_rel);

		if (col && tab)
			j_str(s, "owned_by", psprintf("%s.%s", tab, quote_identifier(col)));
	}
	j_str(s, "owner", role_name(f->relowner));
	j_acl(s, r->tuple, Anum_pg_class_relacl, s->class_desc, OBJECT_SEQUENCE, f->relowner);
	j_str(s, "comment", comment_of(s, RelationRelationId, r->oid, 0));
	j_end(s);
}

/* "name type" of every live column, in order (views, composite types). */
static List *
column_list(SnapRel *r, bool with_collation)
{
	List	   *cols = NIL;

	for (int attnum = 1; attnum <= r->natts; attnum++)
	{
		HeapTuple	tup = r->attbynum[attnum];
		Form_pg_attribute a;
		char	   *col;

		if (tup == NULL)
			continue;
		a = (Form_pg_attribute) GETSTRUCT(tup);
		if (a->attisdropped)
			continue;
		col = psprintf("%s %s", quote_identifier(NameStr(a->attname)),
					   format_type_with_typemod(a->atttypid, a->atttypmod));
		if (with_collation && a->attcollation != get_typcollation(a->atttypid))
			col = psprintf("%s COLLATE %s", col, reg_text(regcollationout, a->attcollation));
		cols = lappend(cols, col);
	}
	return cols;
}

static void
describe_view(Snap *s, SnapRel *r)
{
	Form_pg_class f = (Form_pg_class) GETSTRUCT(r->tuple);
	List	   *cols = column_list(r, false);

	j_begin(s, f->relkind == RELKIND_VIEW ? "view" : "materialized_view", r->qname);
	j_str(s, "definition", call_text(pg_get_viewdef, 1, ObjectIdGetDatum(r->oid), 0));
	j_text_array(s, "options", r->tuple, Anum_pg_class_reloptions, s->class_desc);
	if (cols != NIL)
		j_string_list(s, "columns", cols);
	j_str(s, "owner", role_name(f->relowner));
	j_acl(s, r->tuple, Anum_pg_class_relacl, s->class_desc, OBJECT_TABLE, f->relowner);
	j_str(s, "comment", comment_of(s, RelationRelationId, r->oid, 0));
	j_end(s);
}

/*---- functions, triggers, types, policies, statistics, publications ----*/

static char *
aggregate_text(Oid fnoid)
{
	HeapTuple	t = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(fnoid));
	Form_pg_aggregate ag;
	List	   *parts = NIL;
	bool		isnull;
	Datum		d;
	StringInfoData buf;
	ListCell   *lc;

	if (!HeapTupleIsValid(t))
		return NULL;
	ag = (Form_pg_aggregate) GETSTRUCT(t);
	parts = lappend(parts, psprintf("SFUNC = %s", reg_text(regprocout, ag->aggtransfn)));
	parts = lappend(parts, psprintf("STYPE = %s", format_type_be(ag->aggtranstype)));
	if (OidIsValid(ag->aggfinalfn))
		parts = lappend(parts, psprintf("FINALFUNC = %s", reg_text(regprocout, ag->aggfinalfn)));
	if (OidIsValid(ag->aggcombinefn))
		parts = lappend(parts, psprintf("COMBINEFUNC = %s", reg_text(regprocout, ag->aggcombinefn)));
	d = SysCacheGetAttr(AGGFNOID, t, Anum_pg_aggregate_agginitval, &isnull);
	if (!isnull)
		parts = lappend(parts, psprintf("INITCOND = %s",
										quote_literal_cstr(TextDatumGetCString(d))));
	if (OidIsValid(ag->aggsortop))
		parts = lappend(parts, psprintf("SORTOP = %s", reg_text(regoperatorout, ag->aggsortop)));
	if (OidIsValid(ag->aggmtransfn))
		parts = lappend(parts, psprintf("MSFUNC = %s", reg_text(regprocout, ag->aggmtransfn)));
	if (ag->aggkind == AGGKIND_ORDERED_SET)
		parts = lappend(parts, "ORDERED");
	else if (ag->aggkind == AGGKIND_HYPOTHETICAL)
		parts = lappend(parts, "HYPOTHETICAL");
	ReleaseSysCache(t);

	initStringInfo(&buf);
	foreach(lc, parts)
	{
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, (char *) lfirst(lc));
	}
	return buf.data;
}

static void
describe_functions(Snap *s)
{
	MemoryContext saved;
	Relation	rel = table_open(ProcedureRelationId, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	ScanKeyData key;
	SysScanDesc scan = scan_from(s, rel, ProcedureOidIndexId, Anum_pg_proc_oid, &key);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
		SnapNsp    *n = nsp_of(s, p->pronamespace);
		Datum		oid = ObjectIdGetDatum(p->oid);
		bool		isnull;
		Datum		d;
		char		buf[2] = {0, 0};

		if (n == NULL || !n->selected || is_extension_member(s, ProcedureRelationId, p->oid))
			continue;
		saved = object_begin(s);
		j_begin(s, p->prokind == PROKIND_PROCEDURE ? "procedure" :
				p->prokind == PROKIND_AGGREGATE ? "aggregate" : "function",
				psprintf("%s.%s(%s)", n->qname, quote_identifier(NameStr(p->proname)),
						 call_text(pg_get_function_identity_arguments, 1, oid, 0)));
		j_str(s, "arguments", call_text(pg_get_function_arguments, 1, oid, 0));
		j_str(s, "result", call_text(pg_get_function_result, 1, oid, 0));
		j_str(s, "language", get_language_name(p->prolang, true));
		buf[0] = p->provolatile;
		j_str(s, "volatility", pstrdup(buf));
		j_bool(s, "strict", p->proisstrict);
		j_bool(s, "security_definer", p->prosecdef);
		j_bool(s, "leakproof", p->proleakproof);
		buf[0] = p->proparallel;
		j_str(s, "parallel", pstrdup(buf));
		j_float4(s, "cost", p->procost);
		j_float4(s, "rows", p->prorows);
		j_text_array(s, "config", tup, Anum_pg_proc_proconfig, desc);
		if (!heap_attisnull(tup, Anum_pg_proc_prosqlbody, desc))
			j_str(s, "body", call_text(pg_get_function_sqlbody, 1, oid, 0));
		else
		{
			d = heap_getattr(tup, Anum_pg_proc_prosrc, desc, &isnull);
			if (!isnull)
				j_str(s, "body", TextDatumGetCString(d));
		}
		d = heap_getattr(tup, Anum_pg_proc_probin, desc, &isnull);
		if (!isnull)
			j_str(s, "library", TextDatumGetCString(d));
		if (p->prokind == PROKIND_AGGREGATE)
			j_str(s, "aggregate", aggregate_text(p->oid));
		j_str(s, "owner", role_name(p->proowner));
		j_acl(s, tup, Anum_pg_proc_proacl, desc, OBJECT_FUNCTION, p->proowner);
		j_str(s, "comment", comment_of(s, ProcedureRelationId, p->oid, 0));
		j_end(s);
		object_end(s, saved);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
describe_triggers(Snap *s)
{
	MemoryContext saved;
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan = scan_from(s, rel, TriggerOidIndexId, Anum_pg_trigger_oid, &key);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_trigger t = (Form_pg_trigger) GETSTRUCT(tup);
		SnapRel    *r = rel_of(s, t->tgrelid);

		/* not the internal ones behind foreign keys */
		if (t->tgisinternal || r == NULL || !r->selected)
			continue;
		saved = object_begin(s);
		j_begin(s, "trigger", psprintf("%s.%s", r->qname, quote_identifier(NameStr(t->tgname))));
		j_str(s, "definition", call_text(pg_get_triggerdef, 1, ObjectIdGetDatum(t->oid), 0));
		j_str(s, "enabled", psprintf("%c", t->tgenabled));
		j_str(s, "comment", comment_of(s, TriggerRelationId, t->oid, 0));
		j_end(s);
		object_end(s, saved);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static int
cmp_enum_label(const ListCell *a, const ListCell *b)
{
	float4		x = ((EnumLabel *) lfirst(a))->sortorder;
	float4		y = ((EnumLabel *) lfirst(b))->sortorder;

	return x < y ? -1 : x > y ? 1 : 0;
}

static void
read_enums(Snap *s)
{
	Relation	rel = table_open(EnumRelationId, AccessShareLock);
	SysScanDesc scan = scan_catalog(rel);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_enum e = (Form_pg_enum) GETSTRUCT(tup);
		ObjKey		k = objkey(TypeRelationId, e->enumtypid, 0);
		EnumLabels *l;
		EnumLabel  *lab = palloc(sizeof(EnumLabel));
		bool		found;

		l = hash_search(s->enum_labels, &k, HASH_ENTER, &found);
		if (!found)
			l->labels = NIL;
		lab->sortorder = e->enumsortorder;
		lab->label = pstrdup(NameStr(e->enumlabel));
		l->labels = lappend(l->labels, lab);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
describe_type(Snap *s, HeapTuple tup, TupleDesc desc, SnapNsp *n)
{
	Form_pg_type t = (Form_pg_type) GETSTRUCT(tup);
	bool		isnull;
	Datum		d;

	j_begin(s, "type", psprintf("%s.%s", n->qname, quote_identifier(NameStr(t->typname))));
	j_str(s, "kind", t->typtype == TYPTYPE_ENUM ? "enum" : t->typtype == TYPTYPE_DOMAIN ? "domain" :
		  t->typtype == TYPTYPE_COMPOSITE ? "composite" : "range");
	if (t->typtype == TYPTYPE_ENUM)
	{
		ObjKey		k = objkey(TypeRelationId, t->oid, 0);
		EnumLabels *l = hash_search(s->enum_labels, &k, HASH_FIND, NULL);
		List	   *labels = NIL;
		ListCell   *lc;

		if (l)
		{
			list_sort(l->labels, cmp_enum_label);
			foreach(lc, l->labels)
				labels = lappend(labels, ((EnumLabel *) lfirst(lc))->label);
		}
		j_string_list(s, "labels", labels);
	}
	if (t->typtype == TYPTYPE_DOMAIN)
		j_str(s, "base_type", format_type_with_typemod(t->typbasetype, t->typtypmod));
	d = heap_getattr(tup, Anum_pg_type_typdefault, desc, &isnull);
	if (!isnull)
		j_str(s, "default", TextDatumGetCString(d));
	if (t->typtype == TYPTYPE_DOMAIN)
	{
		ListCell   *lc;
		bool		any = false;

		j_bool(s, "not_null", t->typnotnull);
		foreach(lc, s->domain_constraints)
		{
			Form_pg_constraint c = (Form_pg_constraint) GETSTRUCT((HeapTuple) lfirst(lc));

			if (c->contypid != t->oid)
				continue;
			if (!any)
			{
				j_push_key(s, "constraints");
				j_push(s, WJB_BEGIN_OBJECT, NULL);
				any = true;
			}
			j_push_key(s, pstrdup(NameStr(c->conname)));
			j_push(s, WJB_BEGIN_OBJECT, NULL);
			j_str(s, "definition", call_text(pg_get_constraintdef, 1, ObjectIdGetDatum(c->oid), 0));
			j_bool(s, "validated", c->convalidated);
			j_push(s, WJB_END_OBJECT, NULL);
		}
		if (any)
			j_push(s, WJB_END_OBJECT, NULL);
	}
	if (t->typtype == TYPTYPE_COMPOSITE)
	{
		SnapRel    *r = rel_of(s, t->typrelid);

		j_string_list(s, "attributes", r ? column_list(r, true) : NIL);
	}
	if (t->typtype == TYPTYPE_RANGE)
	{
		HeapTuple	rt = SearchSysCache1(RANGETYPE, ObjectIdGetDatum(t->oid));

		if (HeapTupleIsValid(rt))
		{
			Form_pg_range rg = (Form_pg_range) GETSTRUCT(rt);
			HeapTuple	oc = SearchSysCache1(CLAOID, ObjectIdGetDatum(rg->rngsubopc));

			j_str(s, "subtype", format_type_be(rg->rngsubtype));
			if (HeapTupleIsValid(oc))
			{
				Form_pg_opclass o = (Form_pg_opclass) GETSTRUCT(oc);
				SnapNsp    *on = nsp_of(s, o->opcnamespace);

				j_str(s, "subtype_opclass", psprintf("%s.%s", on ? on->qname : "?",
													 quote_identifier(NameStr(o->opcname))));
				ReleaseSysCache(oc);
			}
			if (OidIsValid(rg->rngsubdiff))
				j_str(s, "subtype_diff", reg_text(regprocout, rg->rngsubdiff));
			if (OidIsValid(rg->rngcanonical))
				j_str(s, "canonical", reg_text(regprocout, rg->rngcanonical));
			j_str(s, "multirange", format_type_be(rg->rngmultitypid));
			if (OidIsValid(rg->rngcollation))
				j_str(s, "collation", reg_text(regcollationout, rg->rngcollation));
			ReleaseSysCache(rt);
		}
	}
	if (t->typtype == TYPTYPE_DOMAIN && OidIsValid(t->typcollation) &&
		t->typcollation != get_typcollation(t->typbasetype))
		j_str(s, "collation", reg_text(regcollationout, t->typcollation));
	j_str(s, "owner", role_name(t->typowner));
	j_acl(s, tup, Anum_pg_type_typacl, desc, OBJECT_TYPE, t->typowner);
	j_str(s, "comment", comment_of(s, TypeRelationId, t->oid, 0));
	j_end(s);
}

static void
describe_types(Snap *s)
{
	MemoryContext saved;
	Relation	rel = table_open(TypeRelationId, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	ScanKeyData key;
	SysScanDesc scan = scan_from(s, rel, TypeOidIndexId, Anum_pg_type_oid, &key);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_type t = (Form_pg_type) GETSTRUCT(tup);
		SnapNsp    *n = nsp_of(s, t->typnamespace);

		if (n == NULL || !n->selected)
			continue;
		if (t->typtype == TYPTYPE_COMPOSITE)
		{
			SnapRel    *r = rel_of(s, t->typrelid);

			if (r == NULL || r->relkind != RELKIND_COMPOSITE_TYPE)
				continue;
		}
		else if (t->typtype != TYPTYPE_ENUM && t->typtype != TYPTYPE_DOMAIN &&
				 t->typtype != TYPTYPE_RANGE)
			continue;
		if (is_extension_member(s, TypeRelationId, t->oid))
			continue;
		saved = object_begin(s);
		describe_type(s, tup, desc, n);
		object_end(s, saved);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
describe_policies(Snap *s)
{
	MemoryContext saved;
	Relation	rel = table_open(PolicyRelationId, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	SysScanDesc scan = scan_catalog(rel);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_policy p = (Form_pg_policy) GETSTRUCT(tup);
		SnapRel    *r = rel_of(s, p->polrelid);
		bool		isnull;
		Datum		d;

		if (r == NULL || !r->selected)
			continue;
		saved = object_begin(s);
		j_begin(s, "policy", psprintf("%s.%s", r->qname, quote_identifier(NameStr(p->polname))));
		j_str(s, "command", psprintf("%c", p->polcmd));
		j_bool(s, "permissive", p->polpermissive);
		d = heap_getattr(tup, Anum_pg_policy_polroles, desc, &isnull);
		if (!isnull)
		{
			Datum	   *roles;
			int			n;
			List	   *names = NIL;

			deconstruct_array(DatumGetArrayTypeP(d), OIDOID, sizeof(Oid), true, TYPALIGN_INT,
							  &roles, NULL, &n);
			for (int i = 0; i < n; i++)
			{
				Oid			role = DatumGetObjectId(roles[i]);

				names = lappend(names, OidIsValid(role) ? (char *) role_name(role) : "public");
			}
			if (names != NIL)
			{
				list_sort(names, cmp_cstring_c);
				j_string_list(s, "roles", names);
			}
		}
		j_str(s, "using", expr_text(tup, Anum_pg_policy_polqual, desc, p->polrelid));
		j_str(s, "with_check", expr_text(tup, Anum_pg_policy_polwithcheck, desc, p->polrelid));
		j_str(s, "comment", comment_of(s, PolicyRelationId, p->oid, 0));
		j_end(s);
		object_end(s, saved);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
describe_statistics(Snap *s)
{
	MemoryContext saved;
	Relation	rel = table_open(StatisticExtRelationId, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	SysScanDesc scan = scan_catalog(rel);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_statistic_ext st = (Form_pg_statistic_ext) GETSTRUCT(tup);
		SnapNsp    *n = nsp_of(s, st->stxnamespace);
		int			target;

		if (n == NULL || !n->selected || is_extension_member(s, StatisticExtRelationId, st->oid))
			continue;
		saved = object_begin(s);
		j_begin(s, "statistics", psprintf("%s.%s", n->qname, quote_identifier(NameStr(st->stxname))));
		j_str(s, "definition", call_text(pg_get_statisticsobjdef, 1, ObjectIdGetDatum(st->oid), 0));
		target = lg_stxstattarget(tup, desc);
		if (target >= 0)
			j_int(s, "target", target);
		j_str(s, "owner", role_name(st->stxowner));
		j_str(s, "comment", comment_of(s, StatisticExtRelationId, st->oid, 0));
		j_end(s);
		object_end(s, saved);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

#ifdef LG_HAVE_PUBLICATION_COLUMNS
static int
cmp_int16(const void *a, const void *b)
{
	return (int) *(const int16 *) a - (int) *(const int16 *) b;
}
#endif

/* Each table of a publication with its column list and row filter. */
static List *
publication_tables(Snap *s, Oid pubid)
{
	Relation	rel = table_open(PublicationRelRelationId, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	SysScanDesc scan = scan_catalog(rel);
	HeapTuple	tup;
	List	   *tables = NIL;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_publication_rel pr = (Form_pg_publication_rel) GETSTRUCT(tup);
		StringInfoData buf;

		if (pr->prpubid != pubid)
			continue;
		initStringInfo(&buf);
		appendStringInfoString(&buf, rel_qname(s, pr->prrelid));
#ifdef LG_HAVE_PUBLICATION_COLUMNS
		{
			bool		isnull;
			Datum		d = heap_getattr(tup, Anum_pg_publication_rel_prattrs, desc, &isnull);
			char	   *filter;

			if (!isnull)
			{
				int2vector *cols = (int2vector *) DatumGetPointer(d);
				int16	   *nums = palloc(sizeof(int16) * (cols->dim1 + 1));
				bool		any = false;

				memcpy(nums, cols->values, sizeof(int16) * cols->dim1);
				qsort(nums, cols->dim1, sizeof(int16), cmp_int16);
				for (int i = 0; i < cols->dim1; i++)
				{
					const char *name = get_attname(pr->prrelid, nums[i], true);

					if (name == NULL)
						continue;
					appendStringInfoString(&buf, any ? ", " : " (");
					appendStringInfoString(&buf, quote_identifier(name));
					any = true;
				}
				if (any)
					appendStringInfoChar(&buf, ')');
			}
			filter = expr_text(tup, Anum_pg_publication_rel_prqual, desc, pr->prrelid);
			if (filter)
				appendStringInfo(&buf, " WHERE %s", filter);
		}
#endif
		tables = lappend(tables, buf.data);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	(void) desc;
	if (tables != NIL)
		list_sort(tables, cmp_cstring_c);
	return tables;
}

static List *
publication_schemas(Snap *s, Oid pubid)
{
	List	   *schemas = NIL;

#ifdef LG_HAVE_PUBLICATION_SCHEMAS
	Relation	rel = table_open(PublicationNamespaceRelationId, AccessShareLock);
	SysScanDesc scan = scan_catalog(rel);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_publication_namespace pn = (Form_pg_publication_namespace) GETSTRUCT(tup);
		SnapNsp    *n;

		if (pn->pnpubid != pubid || (n = nsp_of(s, pn->pnnspid)) == NULL)
			continue;
		schemas = lappend(schemas, n->name);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (schemas != NIL)
		list_sort(schemas, cmp_cstring_c);
#endif
	return schemas;
}

/* Publications are database-wide: only in a snapshot of every schema. */
static void
describe_publications(Snap *s)
{
	Relation	rel = table_open(PublicationRelationId, AccessShareLock);
	SysScanDesc scan = scan_catalog(rel);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_publication pb = (Form_pg_publication) GETSTRUCT(tup);
		List	   *tables;
		List	   *schemas;
		MemoryContext saved = object_begin(s);

		j_begin(s, "publication", quote_identifier(NameStr(pb->pubname)));
		j_bool(s, "all_tables", pb->puballtables);
		j_bool(s, "insert", pb->pubinsert);
		j_bool(s, "update", pb->pubupdate);
		j_bool(s, "delete", pb->pubdelete);
		j_bool(s, "truncate", pb->pubtruncate);
		j_bool(s, "via_root", pb->pubviaroot);
		j_str(s, "owner", role_name(pb->pubowner));
		tables = publication_tables(s, pb->oid);
		if (tables != NIL)
			j_string_list(s, "tables", tables);
		schemas = publication_schemas(s, pb->oid);
		if (schemas != NIL)
			j_string_list(s, "schemas", schemas);
		j_end(s);
		object_end(s, saved);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*---- the function ----*/

Datum
lifeguard_schema_snapshot(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work;
	ArrayType  *schemas = PG_ARGISNULL(0) ? NULL : PG_GETARG_ARRAYTYPE_P(0);
	Snap	   *s;
	HASHCTL		ctl;
	ListCell   *lc;
	Jsonb	   *result;

	work = AllocSetContextCreate(CurrentMemoryContext, "schema snapshot",
								 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(work);

	s = palloc0(sizeof(Snap));
	s->work = work;
	s->tmp = AllocSetContextCreate(work, "schema snapshot object", ALLOCSET_DEFAULT_SIZES);
	s->objcxt = AllocSetContextCreate(work, "schema snapshot jsonb", ALLOCSET_DEFAULT_SIZES);
	s->all = (schemas == NULL);
	s->min_oid = FirstNormalObjectId;
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(SnapNsp);
	ctl.hcxt = work;
	s->nsps = hash_create("snapshot schemas", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(SnapRel);
	s->rels = hash_create("snapshot relations", 4096, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	s->extmembers = objhash("snapshot extension members", sizeof(ObjKey));
	s->comments = objhash("snapshot comments", sizeof(ObjText));
	s->defaults = objhash("snapshot defaults", sizeof(ObjText));
	s->identity_seq = objhash("snapshot identity sequences", sizeof(ObjOid));
	s->conname_by_index = objhash("snapshot index constraints", sizeof(ObjText));
	s->enum_labels = objhash("snapshot enum labels", sizeof(EnumLabels));
	ctl.entrysize = sizeof(IndexEntry);
	s->index_by_oid = hash_create("snapshot indexes", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	/* one pass over each catalog */
	read_namespaces(s, schemas);
	read_extension_members(s);
	read_classes(s);
	read_sequence_owners(s);
	read_attributes(s);
	read_comments(s);
	read_defaults(s);
	read_constraints(s);
	read_indexes(s);
	read_inherits(s);
	read_enums(s);

	describe_schemas(s);
	foreach(lc, s->rellist)
	{
		SnapRel    *r = lfirst(lc);
		MemoryContext saved = object_begin(s);

		CHECK_FOR_INTERRUPTS();
		switch (r->relkind)
		{
			case RELKIND_RELATION:
			case RELKIND_PARTITIONED_TABLE:
			case RELKIND_FOREIGN_TABLE:
				describe_table(s, r);
				describe_columns(s, r);
				break;
			case RELKIND_SEQUENCE:
				describe_sequence(s, r);
				break;
			case RELKIND_VIEW:
			case RELKIND_MATVIEW:
				describe_view(s, r);
				break;
		}
		object_end(s, saved);
	}
	describe_constraints(s);
	describe_indexes(s);
	describe_functions(s);
	describe_triggers(s);
	describe_types(s);
	describe_policies(s);
	describe_statistics(s);
	if (s->all)
		describe_publications(s);

	MemoryContextSwitchTo(caller);
	result = lg_jsonb_document(1, "objects", s->entries, s->nentries);
	MemoryContextDelete(work);
	PG_RETURN_JSONB_P(result);
}
