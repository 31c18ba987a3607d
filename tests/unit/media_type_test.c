/* Unit tests for media_type: declared types and file signatures. */
#include <string.h>

#include "records/media_type.h"
#include "unit.h"

static void test_media_type_accepted_and_matches(void)
{
    static const unsigned char pdf[] = "%PDF-1.7\n";
    static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0};
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0};
    unsigned char dicom[140];
    memset(dicom, 0xAB, sizeof dicom); /* the preamble is free-form */
    memcpy(dicom + 128, "DICM", 4);

    CHECK(!strcmp(media_type_accepted("application/pdf") ?: "", "application/pdf"));
    CHECK(!strcmp(media_type_accepted(" Image/PNG ; name=x.png") ?: "", "image/png"));
    CHECK(!strcmp(media_type_accepted("application/dicom;transfer-syntax=1.2") ?: "",
                  "application/dicom"));
    CHECK(media_type_accepted("image/jpg") == NULL);
    CHECK(media_type_accepted("image/pngx") == NULL);
    CHECK(media_type_accepted("image/png x") == NULL);
    CHECK(media_type_accepted("") == NULL && media_type_accepted(NULL) == NULL);

    CHECK(media_type_matches("application/pdf", pdf, sizeof pdf - 1));
    CHECK(media_type_matches("image/jpeg", jpeg, sizeof jpeg));
    CHECK(media_type_matches("image/png", png, sizeof png));
    CHECK(media_type_matches("application/dicom", dicom, sizeof dicom));
    CHECK(media_type_matches("application/dicom", dicom, 132));
    CHECK(!media_type_matches("application/dicom", dicom, 131));
    CHECK(!media_type_matches("image/png", pdf, sizeof pdf - 1));
    CHECK(!media_type_matches("application/pdf", png, sizeof png));
    CHECK(!media_type_matches("image/jpeg", jpeg, 2));
    CHECK(!media_type_matches("image/png", png, 7));
    CHECK(!media_type_matches("text/plain", pdf, sizeof pdf - 1));
    dicom[131] = 'X';
    CHECK(!media_type_matches("application/dicom", dicom, sizeof dicom));

    CHECK(!strcmp(media_type_extension("application/dicom"), "dcm"));
    CHECK(!strcmp(media_type_extension("image/jpeg"), "jpg"));
    CHECK(!strcmp(media_type_extension("text/plain"), "bin"));
}

const struct unit_test media_type_tests[] = {
    {"media_type_accepted_and_matches", test_media_type_accepted_and_matches},
    {NULL, NULL},
};
