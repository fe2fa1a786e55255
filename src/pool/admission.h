/*-------------------------------------------------------------------------
 *
 * admission.h
 *		Connect-time accounting and quota enforcement.
 *
 * src/pool/admission.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_ADMISSION_H
#define PG_LIFEGUARD_ADMISSION_H

extern void lg_admission_init(void);

#endif							/* PG_LIFEGUARD_ADMISSION_H */
