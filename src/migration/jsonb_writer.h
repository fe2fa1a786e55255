/*-------------------------------------------------------------------------
 *
 * jsonb_writer.h
 *		A jsonb document around containers already in binary form.
 *
 * src/migration/jsonb_writer.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_JSONB_WRITER_H
#define PG_LIFEGUARD_JSONB_WRITER_H

#include "utils/jsonb.h"

/* One member of the document's map: a key and its jsonb container. */
typedef struct LgJsonbMember
{
	char	   *key;
	int			keylen;
	int			order;			/* of two equal keys the higher wins */
	char	   *container;		/* a jsonb container (a jsonb datum's VARDATA) */
	uint32		size;
} LgJsonbMember;

extern Jsonb *lg_jsonb_document(int format_version, const char *name,
								LgJsonbMember *members, int nmembers);

#endif							/* PG_LIFEGUARD_JSONB_WRITER_H */
