/*-------------------------------------------------------------------------
 *
 * jsonb_writer.c
 *		Writing a jsonb document around containers that are already in
 *		jsonb's binary form.
 *
 * schema_snapshot builds each object's jsonb on its own, keeps only its
 * binary container, and needs one document around thousands of them:
 * {"format": 1, "objects": {"<key>": <object>, ...}}.  Building that as one
 * jsonb tree costs new memory per object, which a new backend pays for
 * page by page; writing the outer containers directly costs one buffer.
 * This is the only place pg_lifeguard writes jsonb's binary format itself,
 * as utils/jsonb.h documents it (JEntry, JB_OFFSET_STRIDE).  The
 * regression suite checks the result against jsonb's own parse of its
 * text, with more members than two offset strides.
 *
 * Owns: the binary layout.  Must not: know what the members mean.
 *
 * src/migration/jsonb_writer.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "migration/jsonb_writer.h"

/*
 * jsonb's binary format, as utils/jsonb.h describes it: a container is a
 * header word (count and flags), a JEntry per key and then per value, the
 * keys' bytes, then the values'.  Containers and numerics start on a 4-byte
 * boundary, and the padding counts in their length; every
 * JB_OFFSET_STRIDE'th JEntry holds the end offset instead of the length.
 * Object keys are unique and sorted, shorter first, then bytewise.  An
 * object's container is the same bytes wherever it sits, as long as it
 * starts 4-byte aligned, so the containers made by j_end are copied as is.
 */
typedef struct ObjectWriter
{
	int			jentries;		/* buffer offset of the JEntry array */
	int			next;			/* the JEntry to set next */
	uint32		total;			/* bytes of keys and values so far */
	int			value_start;	/* buffer offset of the open value */
} ObjectWriter;

static void
pad_to_int(StringInfo buf)
{
	int			pad = INTALIGN(buf->len) - buf->len;

	enlargeStringInfo(buf, pad);
	memset(buf->data + buf->len, 0, pad);
	buf->len += pad;
}

static void
ow_entry(ObjectWriter *w, StringInfo buf, uint32 type, uint32 len)
{
	JEntry		e;

	w->total += len;
	if (w->total > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("total size of jsonb object elements exceeds the maximum of %d bytes",
						JENTRY_OFFLENMASK)));
	if (w->next % JB_OFFSET_STRIDE == 0)
		e = type | JENTRY_HAS_OFF | w->total;
	else
		e = type | len;
	memcpy(buf->data + w->jentries + w->next * sizeof(JEntry), &e, sizeof(JEntry));
	w->next++;
}

/* Start an object of npairs pairs; then come its keys, then its values. */
static void
ow_begin(ObjectWriter *w, StringInfo buf, int npairs)
{
	uint32		header = npairs | JB_FOBJECT;

	pad_to_int(buf);
	appendBinaryStringInfo(buf, (char *) &header, sizeof(header));
	w->jentries = buf->len;
	w->next = 0;
	w->total = 0;
	enlargeStringInfo(buf, sizeof(JEntry) * npairs * 2);
	buf->len += sizeof(JEntry) * npairs * 2;
}

static void
ow_key(ObjectWriter *w, StringInfo buf, const char *key, int len)
{
	appendBinaryStringInfo(buf, key, len);
	ow_entry(w, buf, JENTRY_ISSTRING, len);
}

/* A container or numeric value: aligned, then written by the caller. */
static void
ow_value_begin(ObjectWriter *w, StringInfo buf)
{
	w->value_start = buf->len;
	pad_to_int(buf);
}

static void
ow_value_end(ObjectWriter *w, StringInfo buf, uint32 type)
{
	ow_entry(w, buf, type, buf->len - w->value_start);
}

/* jsonb's order of object keys; of equal keys, the later object first */
static int
cmp_entry(const void *a, const void *b)
{
	const LgJsonbMember *ea = a;
	const LgJsonbMember *eb = b;
	int			c;

	if (ea->keylen != eb->keylen)
		return ea->keylen < eb->keylen ? -1 : 1;
	c = memcmp(ea->key, eb->key, ea->keylen);
	if (c != 0)
		return c;
	return ea->order > eb->order ? -1 : 1;
}

/*
 * {"format": <format>, "<name>": {<key>: <container>, ...}}, from the
 * members' containers, as a jsonb datum in the current memory context.
 * Members are sorted in place; of members with equal keys, the one with
 * the highest order is kept, as jsonb keeps the last of duplicate keys.
 */
Jsonb *
lg_jsonb_document(int format_version, const char *name,
				  LgJsonbMember *members, int nmembers)
{
	Numeric		format = int64_to_numeric(format_version);
	int			namelen = strlen(name);
	StringInfoData buf;
	ObjectWriter root;
	ObjectWriter map;
	Size		need;
	int			n = 0;

	if (nmembers > 1)
		qsort(members, nmembers, sizeof(LgJsonbMember), cmp_entry);
	for (int i = 0; i < nmembers; i++)
	{
		LgJsonbMember *e = &members[i];

		if (n > 0 && members[n - 1].keylen == e->keylen &&
			memcmp(members[n - 1].key, e->key, e->keylen) == 0)
			continue;
		members[n++] = *e;
	}

	/* the size, to check the limit first and allocate once */
	need = VARHDRSZ + 2 * sizeof(uint32) + 6 * sizeof(JEntry) + strlen("format") +
		namelen + VARSIZE_ANY(format) + 3 * (INTALIGN(1) - 1);
	for (int i = 0; i < n; i++)
		need += sizeof(JEntry) * 2 + members[i].keylen + members[i].size + INTALIGN(1) - 1;
	if (need > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("total size of jsonb object elements exceeds the maximum of %d bytes",
						JENTRY_OFFLENMASK)));
	initStringInfo(&buf);
	enlargeStringInfo(&buf, need);
	buf.len = VARHDRSZ;

	/* root keys in jsonb's order: shorter first, then bytewise */
	ow_begin(&root, &buf, 2);
	if (namelen < 6 || (namelen == 6 && memcmp(name, "format", 6) < 0))
		elog(ERROR, "jsonb document member name \"%s\" must sort after \"format\"", name);
	ow_key(&root, &buf, "format", strlen("format"));
	ow_key(&root, &buf, name, namelen);
	ow_value_begin(&root, &buf);
	appendBinaryStringInfo(&buf, (char *) format, VARSIZE_ANY(format));
	ow_value_end(&root, &buf, JENTRY_ISNUMERIC);

	ow_value_begin(&root, &buf);
	ow_begin(&map, &buf, n);
	for (int i = 0; i < n; i++)
		ow_key(&map, &buf, members[i].key, members[i].keylen);
	for (int i = 0; i < n; i++)
	{
		ow_value_begin(&map, &buf);
		appendBinaryStringInfo(&buf, members[i].container, members[i].size);
		ow_value_end(&map, &buf, JENTRY_ISCONTAINER);
	}
	ow_value_end(&root, &buf, JENTRY_ISCONTAINER);

	SET_VARSIZE(buf.data, buf.len);
	return (Jsonb *) buf.data;
}
