/* directory rules: what an institution or a specialist body may contain
 * (the validate tables) and the checks between fields that validate_object
 * cannot express. Pure: no database; names that must exist (cancer types,
 * specialty, payers, institution) are checked by the store. */
#ifndef CSO_DIRECTORY_RULES_H
#define CSO_DIRECTORY_RULES_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../validate/validate.h"

/* Bodies of POST/PATCH /v1/providers and /v1/specialists. */
extern const struct vfield institution_fields[];
extern const struct vfield specialist_fields[];

/* Checks a complete institution (after a PATCH is merged): state is a USPS
 * code, coordinates are given, and designation agrees with patient_care
 * (basic-laboratory centers see no patients; comprehensive and clinical
 * centers do). Fills in patient_care when absent. Returns 0 or -1 with field
 * errors added. */
int directory_rules_institution(json_t *obj, struct app_error *err);

/* Checks a complete specialist: language codes, cancer-type codes and payer
 * ids are well formed and not repeated, and capacity is at least the
 * specialist's open_cases (0 for a new one; the assignments module keeps
 * that count, admins never write it). Fills in the defaults (languages
 * ["en"], telehealth and accepting true, payer_ids []). Returns 0 or -1 with
 * field errors added. */
int directory_rules_specialist(json_t *obj, int open_cases, struct app_error *err);

/* Copies the members of patch into target (JSON merge patch, RFC 7396, one
 * level deep: a null member sets null). */
void directory_merge_patch(json_t *target, const json_t *patch);

#endif
