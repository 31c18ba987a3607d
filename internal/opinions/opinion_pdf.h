/* opinion_pdf: the signed opinion as a PDF report a patient can read and
 * hand to their treating physician. Rendered with libharu (Debian
 * libhpdf) in its standard Helvetica fonts, so text goes through
 * winansi_from_utf8. No database and no global state: safe from any
 * thread. */
#ifndef CSO_OPINION_PDF_H
#define CSO_OPINION_PDF_H

#include <jansson.h>
#include <stddef.h>

#include "../apperr/apperr.h"

/* Renders report, the document opinion_store_report builds:
 *   {"opinion": <opinion representation with amendments>,
 *    "case": {id, round, patient_name, patient_dob, cancer_type, stage,
 *             histology, treatment_plan, questions},
 *    "reviewer": {name, specialty, institution, city, state},
 *    "cancer_type_names": {code: name}}
 * On success *pdf is a malloc'd buffer of *len bytes (caller frees) and 0
 * is returned; on failure -1 with err set (500). */
int opinion_pdf_render(const json_t *report, unsigned char **pdf, size_t *len,
                       struct app_error *err);

#endif
