#include "opinion_pdf.h"

#include <hpdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../log/log.h"
#include "winansi.h"

/* US Letter in points, with one-inch-ish margins. */
#define PAGE_W 612.0f
#define PAGE_H 792.0f
#define MARGIN 56.0f
#define BOTTOM 64.0f
#define LABEL_W 120.0f
#define LEADING 1.35f

struct layout {
    HPDF_Doc pdf;
    HPDF_Page page;
    HPDF_Font regular, bold, italic;
    float y;
    int page_no;
    char footer[96];
    HPDF_STATUS error; /* first libharu error, 0 when none */
};

static void HPDF_STDCALL on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user_data)
{
    struct layout *l = user_data;
    (void)detail_no;
    /* Reading the finished document to its end reports EOF; not an error. */
    if (error_no == HPDF_STREAM_EOF)
        return;
    if (!l->error)
        l->error = error_no;
}

/* ---------- primitives ---------- */

static void draw(struct layout *l, HPDF_Font f, float size, float x, float y, const char *enc)
{
    HPDF_Page_BeginText(l->page);
    HPDF_Page_SetFontAndSize(l->page, f, size);
    HPDF_Page_TextOut(l->page, x, y, enc);
    HPDF_Page_EndText(l->page);
}

static void new_page(struct layout *l)
{
    char enc[128];
    l->page = HPDF_AddPage(l->pdf);
    HPDF_Page_SetSize(l->page, HPDF_PAGE_SIZE_LETTER, HPDF_PAGE_PORTRAIT);
    l->page_no++;
    l->y = PAGE_H - MARGIN;
    snprintf(enc, sizeof enc, "%s - page %d", l->footer, l->page_no);
    HPDF_Page_SetGrayFill(l->page, 0.4f);
    draw(l, l->regular, 8, MARGIN, 36, enc);
    HPDF_Page_SetGrayFill(l->page, 0.0f);
}

/* Moves down one line of the given size, starting a new page when the line
 * would run into the bottom margin. */
static void advance(struct layout *l, float size)
{
    if (l->y - size * LEADING < BOTTOM)
        new_page(l);
    l->y -= size * LEADING;
}

static void gap(struct layout *l, float points)
{
    l->y -= points;
}

/* Draws Windows-1252 text wrapped at spaces between x and the right
 * margin, one paragraph per '\n'. The first line goes on the current
 * baseline when first_on_current is set (a label was drawn there). */
static void wrapped(struct layout *l, HPDF_Font f, float size, float x, const char *enc,
                    int first_on_current)
{
    float width = PAGE_W - MARGIN - x;
    const char *p = enc;
    int first = 1;
    while (1) {
        const char *nl = strchr(p, '\n');
        size_t plen = nl ? (size_t)(nl - p) : strlen(p);
        const char *q = p, *end = p + plen;
        if (plen == 0) {
            if (!(first && first_on_current))
                advance(l, size);
            first = 0;
        }
        while (q < end) {
            HPDF_REAL real;
            HPDF_UINT n = HPDF_Font_MeasureText(f, (const HPDF_BYTE *)q, (HPDF_UINT)(end - q),
                                                width, size, 0, 0, HPDF_TRUE, &real);
            char line[512];
            size_t take;
            if (n == 0) /* one word wider than the line: break it */
                n = HPDF_Font_MeasureText(f, (const HPDF_BYTE *)q, (HPDF_UINT)(end - q), width,
                                          size, 0, 0, HPDF_FALSE, &real);
            if (n == 0)
                n = 1;
            take = n < sizeof line - 1 ? n : sizeof line - 1;
            memcpy(line, q, take);
            while (take > 0 && line[take - 1] == ' ')
                take--;
            line[take] = 0;
            if (!(first && first_on_current))
                advance(l, size);
            first = 0;
            draw(l, f, size, x, l->y, line);
            q += n < sizeof line - 1 ? n : sizeof line - 1;
            while (q < end && *q == ' ')
                q++;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
}

static void text(struct layout *l, HPDF_Font f, float size, float x, const char *utf8)
{
    char *enc = winansi_from_utf8(utf8);
    if (!enc) {
        l->error = l->error ? l->error : HPDF_FAILD_TO_ALLOC_MEM;
        return;
    }
    wrapped(l, f, size, x, enc, 0);
    free(enc);
}

/* "Label    value" with the value wrapped in its own column. */
static void field(struct layout *l, const char *label, const char *utf8)
{
    char *enc;
    if (!utf8 || !*utf8)
        return;
    if (!(enc = winansi_from_utf8(utf8))) {
        l->error = l->error ? l->error : HPDF_FAILD_TO_ALLOC_MEM;
        return;
    }
    advance(l, 10);
    draw(l, l->bold, 10, MARGIN, l->y, label);
    wrapped(l, l->regular, 10, MARGIN + LABEL_W, enc, 1);
    free(enc);
}

static void heading(struct layout *l, const char *title)
{
    gap(l, 10);
    if (l->y - 60 < BOTTOM) /* keep a heading with what follows it */
        new_page(l);
    advance(l, 12.5f);
    draw(l, l->bold, 12.5f, MARGIN, l->y, title);
    HPDF_Page_SetLineWidth(l->page, 0.5f);
    HPDF_Page_MoveTo(l->page, MARGIN, l->y - 4);
    HPDF_Page_LineTo(l->page, PAGE_W - MARGIN, l->y - 4);
    HPDF_Page_Stroke(l->page);
    gap(l, 4);
}

static void paragraph(struct layout *l, const char *utf8)
{
    if (utf8 && *utf8)
        text(l, l->regular, 10, MARGIN, utf8);
}

static void bullet(struct layout *l, const char *utf8)
{
    advance(l, 10);
    draw(l, l->regular, 10, MARGIN + 4, l->y, "\x95");
    {
        char *enc = winansi_from_utf8(utf8);
        if (!enc)
            return;
        wrapped(l, l->regular, 10, MARGIN + 16, enc, 1);
        free(enc);
    }
}

/* ---------- vocabulary ---------- */

static const char *concordance_label(const char *c)
{
    static const struct {
        const char *code, *label;
    } labels[] = {
        {"agree", "Agree: the original diagnosis and treatment plan are confirmed"},
        {"minor_change", "Minor change to the original diagnosis or treatment plan"},
        {"major_change", "Major change to the original diagnosis or treatment plan"},
        {"different_diagnosis", "Different diagnosis from the original"},
        {"insufficient_records", "Insufficient records to give an opinion"},
    };
    size_t i;
    for (i = 0; c && i < sizeof labels / sizeof labels[0]; i++)
        if (!strcmp(labels[i].code, c))
            return labels[i].label;
    return c ? c : "Not stated";
}

static const char *stage_system_label(const char *s)
{
    if (!s)
        return NULL;
    if (!strcmp(s, "ajcc8"))
        return "AJCC 8th edition";
    if (!strcmp(s, "ajcc7"))
        return "AJCC 7th edition";
    if (!strcmp(s, "figo"))
        return "FIGO";
    if (!strcmp(s, "ann_arbor"))
        return "Ann Arbor";
    if (!strcmp(s, "iss"))
        return "International Staging System";
    return "Other system";
}

static void stage_text(const json_t *stage, char *out, size_t cap)
{
    const char *sys, *t, *n, *m, *group;
    size_t o = 0;
    out[0] = 0;
    if (!json_is_object(stage))
        return;
    if (json_is_true(json_object_get(stage, "unknown"))) {
        snprintf(out, cap, "Unknown");
        return;
    }
    sys = stage_system_label(json_string_value(json_object_get(stage, "system")));
    t = json_string_value(json_object_get(stage, "t"));
    n = json_string_value(json_object_get(stage, "n"));
    m = json_string_value(json_object_get(stage, "m"));
    group = json_string_value(json_object_get(stage, "group"));
#define APPEND(...)                                                                                \
    do {                                                                                           \
        if (o < cap)                                                                               \
            o += (size_t)snprintf(out + o, cap - o, __VA_ARGS__);                                  \
    } while (0)
    if (group)
        APPEND("Stage %s", group);
    if (t || n || m)
        APPEND("%s%s%s%s%s%s", o ? " (" : "", t ? t : "", t && (n || m) ? " " : "", n ? n : "",
               n && m ? " " : "", m ? m : "");
    if (group && (t || n || m))
        APPEND(")");
    if (sys)
        APPEND(", %s", sys);
#undef APPEND
}

/* "2026-11-22T10:15:30.123+00:00" -> "2026-11-22 10:15 UTC" (sessions run
 * in UTC, so the offset is always zero). */
static void when_text(const char *ts, char *out, size_t cap)
{
    if (!ts || strlen(ts) < 16) {
        snprintf(out, cap, "%s", ts ? ts : "");
        return;
    }
    snprintf(out, cap, "%.10s %.5s UTC", ts, ts + 11);
}

static const char *cancer_name(const json_t *report, const char *code)
{
    const char *name = json_string_value(
        json_object_get(json_object_get(report, "cancer_type_names"), code ? code : ""));
    return name ? name : code;
}

/* ---------- sections ---------- */

static void diagnosis_block(struct layout *l, const json_t *report, const json_t *dx)
{
    char stage[160];
    field(l, "Cancer type",
          cancer_name(report, json_string_value(json_object_get(dx, "cancer_type"))));
    stage_text(json_object_get(dx, "stage"), stage, sizeof stage);
    field(l, "Stage", stage);
    field(l, "Histology", json_string_value(json_object_get(dx, "histology")));
}

static void tests_block(struct layout *l, const json_t *tests)
{
    size_t i;
    const json_t *t;
    json_array_foreach(tests, i, t)
    {
        char buf[2400];
        const char *rationale = json_string_value(json_object_get(t, "rationale"));
        snprintf(buf, sizeof buf, "%s%s%s", json_string_value(json_object_get(t, "name")),
                 rationale ? " \xE2\x80\x94 " : "", rationale ? rationale : "");
        bullet(l, buf);
    }
}

static void trials_block(struct layout *l, const json_t *trials)
{
    size_t i;
    const json_t *t;
    json_array_foreach(trials, i, t)
    {
        char buf[400];
        snprintf(buf, sizeof buf, "%s \xE2\x80\x94 %s", json_string_value(json_object_get(t, "id")),
                 json_string_value(json_object_get(t, "title")));
        bullet(l, buf);
    }
}

static void answers_block(struct layout *l, const json_t *answers)
{
    size_t i;
    const json_t *a;
    json_array_foreach(answers, i, a)
    {
        gap(l, 3);
        text(l, l->bold, 10, MARGIN, json_string_value(json_object_get(a, "question")));
        text(l, l->regular, 10, MARGIN + 12, json_string_value(json_object_get(a, "answer")));
    }
}

static void amendment_block(struct layout *l, const json_t *report, const json_t *m)
{
    const json_t *changes = json_object_get(m, "changes");
    char title[96], when[40];
    when_text(json_string_value(json_object_get(m, "signed_at")), when, sizeof when);
    snprintf(title, sizeof title, "Amendment %lld - signed %s",
             (long long)json_integer_value(json_object_get(m, "seq")), when);
    gap(l, 4);
    text(l, l->bold, 10.5f, MARGIN, title);
    field(l, "Reason", json_string_value(json_object_get(m, "reason")));
    if (json_is_object(changes)) {
        if (json_object_get(changes, "concordance"))
            field(l, "Concordance",
                  concordance_label(json_string_value(json_object_get(changes, "concordance"))));
        if (json_is_object(json_object_get(changes, "diagnosis"))) {
            text(l, l->italic, 10, MARGIN, "Revised diagnosis:");
            diagnosis_block(l, report, json_object_get(changes, "diagnosis"));
        }
        field(l, "Treatment",
              json_string_value(json_object_get(changes, "treatment_recommendation")));
        if (json_array_size(json_object_get(changes, "additional_tests"))) {
            text(l, l->italic, 10, MARGIN, "Additional tests (replacing the list above):");
            tests_block(l, json_object_get(changes, "additional_tests"));
        }
        if (json_array_size(json_object_get(changes, "clinical_trials"))) {
            text(l, l->italic, 10, MARGIN, "Clinical trials (replacing the list above):");
            trials_block(l, json_object_get(changes, "clinical_trials"));
        }
        if (json_array_size(json_object_get(changes, "answers"))) {
            text(l, l->italic, 10, MARGIN, "Answers (replacing those above):");
            answers_block(l, json_object_get(changes, "answers"));
        }
    }
    if (json_string_value(json_object_get(m, "narrative"))) {
        gap(l, 2);
        paragraph(l, json_string_value(json_object_get(m, "narrative")));
    }
}

static void body(struct layout *l, const json_t *report)
{
    const json_t *op = json_object_get(report, "opinion"), *cs = json_object_get(report, "case"),
                 *rv = json_object_get(report, "reviewer"),
                 *att = json_object_get(op, "attestation"), *dx = json_object_get(op, "diagnosis"),
                 *item;
    const char *concordance = json_string_value(json_object_get(op, "concordance"));
    char buf[512], when[40], stage[160];
    size_t i;

    advance(l, 20);
    draw(l, l->bold, 20, MARGIN, l->y, "Second Opinion Report");
    HPDF_Page_SetGrayFill(l->page, 0.35f);
    text(l, l->italic, 9, MARGIN,
         "Confidential: contains protected health information. For the patient and their "
         "treating physician.");
    HPDF_Page_SetGrayFill(l->page, 0.0f);
    gap(l, 6);

    field(l, "Patient", json_string_value(json_object_get(cs, "patient_name")));
    field(l, "Date of birth", json_string_value(json_object_get(cs, "patient_dob")));
    snprintf(buf, sizeof buf, "%s (round %lld)", json_string_value(json_object_get(cs, "id")),
             (long long)json_integer_value(json_object_get(cs, "round")));
    field(l, "Case", buf);
    field(l, "Reviewer", json_string_value(json_object_get(rv, "name")));
    field(l, "Specialty", json_string_value(json_object_get(rv, "specialty")));
    snprintf(buf, sizeof buf, "%s, %s, %s", json_string_value(json_object_get(rv, "institution")),
             json_string_value(json_object_get(rv, "city")),
             json_string_value(json_object_get(rv, "state")));
    field(l, "Institution", buf);
    when_text(json_string_value(json_object_get(op, "signed_at")), when, sizeof when);
    field(l, "Signed", when);

    heading(l, "Concordance with the original diagnosis and plan");
    text(l, l->bold, 11, MARGIN, concordance_label(concordance));

    heading(l, "Original diagnosis (as submitted)");
    field(l, "Cancer type",
          cancer_name(report, json_string_value(json_object_get(cs, "cancer_type"))));
    stage_text(json_object_get(cs, "stage"), stage, sizeof stage);
    field(l, "Stage", stage);
    field(l, "Histology", json_string_value(json_object_get(cs, "histology")));
    field(l, "Proposed plan", json_string_value(json_object_get(cs, "treatment_plan")));

    heading(l, "Diagnosis (confirmed or revised)");
    if (json_is_object(dx))
        diagnosis_block(l, report, dx);
    else
        paragraph(l, "Not given.");

    heading(l, "Treatment recommendation");
    paragraph(l, json_string_value(json_object_get(op, "treatment_recommendation"))
                     ? json_string_value(json_object_get(op, "treatment_recommendation"))
                     : "Not given.");

    heading(l, "Additional tests recommended");
    if (json_array_size(json_object_get(op, "additional_tests")))
        tests_block(l, json_object_get(op, "additional_tests"));
    else
        paragraph(l, "None.");

    heading(l, "Clinical trials to consider");
    if (json_array_size(json_object_get(op, "clinical_trials")))
        trials_block(l, json_object_get(op, "clinical_trials"));
    else
        paragraph(l, "None.");

    if (json_array_size(json_object_get(op, "answers"))) {
        heading(l, "Answers to your questions");
        answers_block(l, json_object_get(op, "answers"));
    }

    heading(l, "Reviewer's narrative");
    paragraph(l, json_string_value(json_object_get(op, "narrative")));

    heading(l, "Attestation");
    paragraph(l, json_string_value(json_object_get(att, "statement")));
    buf[0] = 0;
    json_array_foreach(json_object_get(att, "reviewed_materials"), i, item)
    {
        size_t o = strlen(buf);
        char *p;
        snprintf(buf + o, sizeof buf - o, "%s%s", i ? ", " : "", json_string_value(item));
        for (p = buf + o; *p; p++)
            if (*p == '_')
                *p = ' ';
    }
    gap(l, 2);
    field(l, "Materials reviewed", buf);
    field(l, "Conflicts of interest",
          json_string_value(json_object_get(att, "conflicts_of_interest"))
              ? json_string_value(json_object_get(att, "conflicts_of_interest"))
              : "None declared");
    snprintf(buf, sizeof buf, "Electronically signed by %s on %s.",
             json_string_value(json_object_get(rv, "name")), when);
    gap(l, 4);
    text(l, l->italic, 10, MARGIN, buf);

    if (json_array_size(json_object_get(op, "amendments"))) {
        heading(l, "Amendments");
        paragraph(l, "Corrections made after signing. The opinion above is shown as originally "
                     "signed; where an amendment changes it, the amendment applies.");
        json_array_foreach(json_object_get(op, "amendments"), i, item)
            amendment_block(l, report, item);
    }
}

int opinion_pdf_render(const json_t *report, unsigned char **pdf, size_t *len,
                       struct app_error *err)
{
    struct layout l;
    HPDF_UINT32 size;
    unsigned char *buf = NULL;

    memset(&l, 0, sizeof l);
    *pdf = NULL;
    *len = 0;
    snprintf(l.footer, sizeof l.footer, "Second opinion report, case %.36s",
             json_string_value(json_object_get(json_object_get(report, "case"), "id"))
                 ? json_string_value(json_object_get(json_object_get(report, "case"), "id"))
                 : "");
    l.pdf = HPDF_New(on_error, &l);
    if (!l.pdf)
        return app_error_internal(err);
    HPDF_SetCompressionMode(l.pdf, HPDF_COMP_ALL);
    /* Document metadata stays free of patient data. */
    HPDF_SetInfoAttr(l.pdf, HPDF_INFO_TITLE, "Second opinion report");
    HPDF_SetInfoAttr(l.pdf, HPDF_INFO_CREATOR, "Cancer Second Opinion API");
    l.regular = HPDF_GetFont(l.pdf, "Helvetica", "WinAnsiEncoding");
    l.bold = HPDF_GetFont(l.pdf, "Helvetica-Bold", "WinAnsiEncoding");
    l.italic = HPDF_GetFont(l.pdf, "Helvetica-Oblique", "WinAnsiEncoding");
    if (!l.error) {
        new_page(&l);
        body(&l, report);
    }
    if (!l.error && HPDF_SaveToStream(l.pdf) == HPDF_OK && !l.error) {
        size = HPDF_GetStreamSize(l.pdf);
        HPDF_ResetStream(l.pdf);
        buf = size > 0 ? malloc(size) : NULL;
        if (buf) {
            HPDF_UINT32 got = size;
            HPDF_ReadFromStream(l.pdf, buf, &got);
            if (got != size && !l.error)
                l.error = HPDF_STREAM_EOF;
        } else if (!l.error) {
            l.error = HPDF_FAILD_TO_ALLOC_MEM;
        }
    }
    HPDF_Free(l.pdf);
    if (l.error || !buf) {
        log_msg(LOG_ERROR, "pdf: libharu error 0x%04X while rendering a report", (unsigned)l.error);
        free(buf);
        return app_error_internal(err);
    }
    *pdf = buf;
    *len = size;
    return 0;
}
