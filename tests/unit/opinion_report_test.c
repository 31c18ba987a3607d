/* Unit tests for the opinion report: WinAnsi text and the PDF renderer. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "opinions/opinion_pdf.h"
#include "opinions/winansi.h"
#include "unit.h"

static int converts_to(const char *utf8, const char *expected)
{
    char *out = winansi_from_utf8(utf8);
    int ok = out && !strcmp(out, expected);
    if (!ok)
        fprintf(stderr, "  winansi(\"%s\") gave \"%s\"\n", utf8, out ? out : "(null)");
    free(out);
    return ok;
}

static void test_winansi(void)
{
    CHECK(converts_to("Maria Lopez", "Maria Lopez"));
    CHECK(converts_to("Jos\xC3\xA9 Mu\xC3\xB1oz", "Jos\xE9 Mu\xF1oz"));   /* Latin-1 */
    CHECK(converts_to("a \xE2\x80\x94 b \xE2\x82\xAC", "a \x97 b \x80")); /* em dash, euro */
    CHECK(converts_to("\xE2\x80\x9Cq\xE2\x80\x9D", "\x93q\x94"));         /* curly quotes */
    CHECK(converts_to("Ki-67 \xE2\x89\xA5 20%", "Ki-67 >= 20%"));         /* >= */
    CHECK(converts_to("TGF-\xCE\xB2, 5 \xCE\xBCm", "TGF-beta, 5 \xB5m")); /* Greek */
    CHECK(converts_to("\xC5\x81\xC3\xB3\xC5\xBA", "L\xF3z"));             /* Latin Ext-A */
    CHECK(converts_to("\xC8\x98tefan", "Stefan"));                        /* S comma */
    CHECK(converts_to("Nguy\xE1\xBB\x85n Th\xE1\xBB\x8B", "Nguyen Thi")); /* Vietnamese */
    CHECK(converts_to("Jose\xCC\x81", "Jose"));                           /* combining */
    CHECK(converts_to("\xE4\xB8\xAD\xE6\x96\x87", "??"));                 /* CJK */
    CHECK(converts_to("\xF0\x9F\x98\x80!", "?!"));                        /* emoji */
    CHECK(converts_to("a\tb\x01"
                      "c\nd",
                      "a bc\nd"));             /* controls */
    CHECK(converts_to("bad \xC3", "bad ?"));   /* truncated */
    CHECK(converts_to("\xC0\xAF", "??"));      /* overlong */
    CHECK(converts_to("\xED\xA0\x80", "???")); /* surrogate */
    CHECK(converts_to("", ""));
    CHECK(converts_to(NULL, ""));
}

static json_t *sample_report(int answers)
{
    json_t *r = json_loads(
        "{\"opinion\":{\"id\":\"6f1c2a9e-8d4b-4c6e-9f0a-1b2c3d4e5f61\",\"status\":\"signed\","
        "\"concordance\":\"minor_change\",\"diagnosis\":{\"cancer_type\":\"breast\","
        "\"stage\":{\"system\":\"ajcc8\",\"t\":\"T2\",\"n\":\"N1\",\"m\":\"M0\",\"group\":\"IIB\"},"
        "\"histology\":\"Invasive ductal carcinoma, ER+ (\\u2265 90%), HER2\\u2212\"},"
        "\"treatment_recommendation\":\"Neoadjuvant chemotherapy \\u2014 then surgery.\","
        "\"additional_tests\":[{\"name\":\"Oncotype DX\",\"rationale\":\"Recurrence score\"}],"
        "\"clinical_trials\":[{\"id\":\"NCT01234567\",\"title\":\"A trial \\u4e2d\"}],"
        "\"answers\":[],\"narrative\":\"Line one.\\n\\nA very long word: "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa end.\","
        "\"attestation\":{\"statement\":\"I personally reviewed the records listed.\","
        "\"reviewed_materials\":[\"pathology_report\",\"imaging\"]},"
        "\"signed_at\":\"2026-11-22T10:15:30.123456+00:00\","
        "\"amendments\":[{\"seq\":1,\"reason\":\"Typo\",\"changes\":{\"concordance\":\"agree\"},"
        "\"narrative\":\"Corrected.\",\"signed_at\":\"2026-11-23T09:00:00+00:00\"}]},"
        "\"case\":{\"id\":\"3f1c2a9e-8d4b-4c6e-9f0a-1b2c3d4e5f60\",\"round\":1,"
        "\"patient_name\":\"Zo\\u00eb \\u0141ukasiewicz\",\"patient_dob\":\"1968-04-12\","
        "\"cancer_type\":\"breast\",\"stage\":{\"unknown\":true},\"histology\":null,"
        "\"treatment_plan\":\"Chemotherapy\",\"questions\":[]},"
        "\"reviewer\":{\"name\":\"Dr. Ana Ruiz\",\"specialty\":\"Medical Oncology\","
        "\"institution\":\"Center\",\"city\":\"Houston\",\"state\":\"TX\"},"
        "\"cancer_type_names\":{\"breast\":\"Breast cancer\"}}",
        0, NULL);
    json_t *list = json_object_get(json_object_get(r, "opinion"), "answers");
    int i;
    for (i = 0; i < answers; i++)
        json_array_append_new(list,
                              json_pack("{s:s,s:s}", "question", "Is surgery first an option?",
                                        "answer", "Yes, after discussion with your surgeon."));
    return r;
}

static void test_opinion_pdf(void)
{
    struct app_error err = {0};
    unsigned char *pdf = NULL;
    size_t len = 0;
    json_t *r = sample_report(1);
    CHECK(r != NULL);
    CHECK(opinion_pdf_render(r, &pdf, &len, &err) == 0);
    CHECK(pdf && len > 800 && !memcmp(pdf, "%PDF-", 5));
    CHECK(pdf && len > 6 && memmem(pdf + len - 8, 8, "%%EOF", 5) != NULL);
    free(pdf);
    json_decref(r);
    /* Many answers run onto further pages. */
    r = sample_report(150);
    pdf = NULL;
    CHECK(opinion_pdf_render(r, &pdf, &len, &err) == 0);
    CHECK(pdf && memmem(pdf, len, "/Count ", 7) != NULL);
    free(pdf);
    json_decref(r);
    /* Missing members render as gaps, not crashes. */
    r = json_pack("{s:{},s:{},s:{}}", "opinion", "case", "reviewer");
    pdf = NULL;
    CHECK(opinion_pdf_render(r, &pdf, &len, &err) == 0);
    free(pdf);
    json_decref(r);
    app_error_clear(&err);
}

const struct unit_test opinion_report_tests[] = {
    {"winansi", test_winansi},
    {"opinion_pdf", test_opinion_pdf},
    {NULL, NULL},
};
