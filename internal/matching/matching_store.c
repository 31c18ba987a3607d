#include "matching_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../directory/geo_sql.h"

#define W(x) MATCH_SQL_INT(x)

/* ---- The in-network factor: the only SQL that knows the coverage module.
 * A case's plan is the plan of its latest coverage check whose outcome was
 * active (the coverage module's view case_latest_active_coverage, 005) and
 * whose coverage has not ended; a plan's network is a set of institutions
 * (coverage_plan_networks). No such check, or a check answered without a
 * plan (a clearing house that reports no network), leaves the factor
 * "unknown" (0 points, like out of network). */
#define CASE_COVERAGE_JOIN                                                                         \
    " LEFT JOIN case_latest_active_coverage cov ON cov.case_id = c.id"                             \
    "   AND (cov.coverage_end IS NULL OR cov.coverage_end >= current_date)"
#define INSTITUTION_NETWORK(plan, institution)                                                     \
    "CASE WHEN " plan " IS NULL THEN 'unknown'"                                                    \
    " WHEN EXISTS (SELECT 1 FROM coverage_plan_networks pn WHERE pn.plan_id = " plan               \
    "   AND pn.institution_id = " institution ") THEN 'in_network'"                                \
    " ELSE 'out_of_network' END"

/* Institutions a specialist may be matched at. */
// clang-format off
#define MATCHABLE_INSTITUTION(i) \
    i ".retired_at IS NULL AND " i ".patient_care" \
    " AND " i ".nci_designation IS DISTINCT FROM 'basic_laboratory'"
// clang-format on

/* The hard filter on distance: within the case's travel limit (none set:
 * any distance), or remote review, which needs telehealth on both sides. An
 * unknown distance (no patient location) passes only without a limit. */
#define CASE_KM(c, i)                                                                              \
    "CASE WHEN " c ".lat IS NULL OR " c ".lon IS NULL OR " i ".latitude IS NULL"                   \
    " OR " i ".longitude IS NULL THEN NULL"                                                        \
    " ELSE " GEO_SQL_KM(c ".lat", c ".lon", i ".latitude", i ".longitude") " END"
#define WITHIN_TRAVEL(c, km) "(" c ".max_travel_km IS NULL OR " km " <= " c ".max_travel_km)"
#define REMOTE_OK(c, m) "(" c ".telehealth_ok AND " m ".telehealth)"

/* The bit matching_language_bits (006) gives every language outside its
 * catalog. */
#define OTHER_LANGUAGE_BIT "4611686018427387904"

/* Ranking, best first; the same expression orders the LIMIT and the output. */
#define MATCH_ORDER "score DESC, turnaround_days, km NULLS LAST, id"

/* The statements read as SQL, one clause a line. */
// clang-format off
static const struct db_statement statements[] = {
    /* c: the case (one row). inst: every matchable institution with what
     * depends on the institution alone (designation, distance, network,
     * travel limit) and those points, computed once per institution rather
     * than per specialist. scored: the candidates from specialist_matching
     * (006: only matchable specialists, one row per cancer type, read as one
     * index-only range) that pass the travel filter, with the specialist's
     * points. top: always the best MATCH_MAX_LIMIT, so that the limit does
     * not change the estimates of the expensive part and PostgreSQL settles
     * on one generic plan instead of planning this statement on every
     * request; top_n: the `limit` asked for. Display-only values (the
     * matching language, the specialist summary) are computed for those
     * rows only. */
    {"match_rank",
     "WITH c AS MATERIALIZED ("
     "  SELECT c.id, c.cancer_type, ct.name AS cancer_type_name, ct.rare,"
     "   c.patient_lat AS lat, c.patient_lon AS lon,"
     "   c.patient_lat IS NOT NULL AND c.patient_lon IS NOT NULL AS location_known,"
     "   c.telehealth_ok, c.max_travel_km, cov.check_id AS coverage_check_id, cov.plan_id,"
     "   c.preferred_language AS preferred_language_tag,"
     "   array_to_json(c.languages) AS languages_json,"
     /* language tags (pt-BR) compare by their primary subtag (pt), as
      * specialists list ISO 639 codes */
     "   l.preferred_language, l.languages,"
     "   matching_language_bits(ARRAY[l.preferred_language]) AS preferred_bits,"
     "   matching_language_bits(l.languages) AS language_bits"
     "  FROM cases c JOIN cancer_types ct ON ct.code = c.cancer_type" CASE_COVERAGE_JOIN
     "  CROSS JOIN LATERAL (SELECT"
     "   split_part(lower(c.preferred_language), '-', 1) AS preferred_language,"
     "   ARRAY(SELECT DISTINCT split_part(lower(x), '-', 1) FROM unnest(c.languages) x)"
     "    AS languages) l"
     "  WHERE c.id = $1::uuid),"
     " inst AS MATERIALIZED ("
     "  SELECT i.id, d.designation, d.km, d.network,"
     "   " WITHIN_TRAVEL("c", "d.km") " AS within_travel,"
     "   p.*, p.p_nci + p.p_rare + p.p_network + p.p_distance AS points"
     "  FROM institutions i CROSS JOIN c"
     "  CROSS JOIN LATERAL (SELECT coalesce(i.nci_designation, 'none') AS designation,"
     "   " CASE_KM("c", "i") " AS km,"
     "   " INSTITUTION_NETWORK("c.plan_id", "i.id") " AS network) d"
     "  CROSS JOIN LATERAL (SELECT"
     "   CASE d.designation"
     "    WHEN 'comprehensive' THEN " W(MATCH_POINTS_NCI_COMPREHENSIVE)
     "    WHEN 'clinical' THEN " W(MATCH_POINTS_NCI_CLINICAL)
     "    ELSE 0 END AS p_nci,"
     "   CASE WHEN c.rare AND d.designation = 'comprehensive'"
     "    THEN " W(MATCH_POINTS_RARE_AT_COMPREHENSIVE) " ELSE 0 END AS p_rare,"
     "   CASE WHEN d.network = 'in_network' THEN " W(MATCH_POINTS_IN_NETWORK)
     "    ELSE 0 END AS p_network,"
     "   CASE WHEN d.km IS NULL THEN 0"
     "    WHEN d.km <= " W(MATCH_KM_TIER1) " THEN " W(MATCH_POINTS_KM_TIER1)
     "    WHEN d.km <= " W(MATCH_KM_TIER2) " THEN " W(MATCH_POINTS_KM_TIER2)
     "    WHEN d.km <= " W(MATCH_KM_TIER3) " THEN " W(MATCH_POINTS_KM_TIER3)
     "    WHEN d.km <= " W(MATCH_KM_TIER4) " THEN " W(MATCH_POINTS_KM_TIER4)
     "    ELSE 0 END AS p_distance) p"
     "  WHERE " MATCHABLE_INSTITUTION("i") "),"
     " scored AS ("
     "  SELECT m.specialist_id AS id, m.institution_id, m.turnaround_days, m.open_cases,"
     "   m.capacity, inst.km, " REMOTE_OK("c", "m") " AS remote, p.*,"
     "   inst.points + p.p_telehealth + p.p_language + p.p_turnaround + p.p_load AS score"
     "  FROM c"
     "  JOIN specialist_matching m ON m.cancer_type = c.cancer_type"
     "  JOIN inst ON inst.id = m.institution_id"
     "  CROSS JOIN LATERAL (SELECT"
     "   CASE WHEN c.telehealth_ok AND m.telehealth THEN " W(MATCH_POINTS_TELEHEALTH)
     "    ELSE 0 END AS p_telehealth,"
     /* one AND per candidate; the arrays only when a language outside
      * matching_language_bits' catalog (bit 62) is involved */
     "   CASE WHEN (m.language_bits & c.preferred_bits) <> 0"
     "     AND (c.preferred_bits <> " OTHER_LANGUAGE_BIT
     "          OR c.preferred_language = ANY (m.languages))"
     "    THEN " W(MATCH_POINTS_LANGUAGE_PREFERRED)
     "    WHEN (m.language_bits & c.language_bits) <> 0"
     "     AND ((c.language_bits & " OTHER_LANGUAGE_BIT ") = 0 OR m.languages && c.languages)"
     "    THEN " W(MATCH_POINTS_LANGUAGE_SPOKEN)
     "    ELSE 0 END AS p_language,"
     "   CASE WHEN m.turnaround_days <= " W(MATCH_DAYS_TIER1) " THEN " W(MATCH_POINTS_DAYS_TIER1)
     "    WHEN m.turnaround_days <= " W(MATCH_DAYS_TIER2) " THEN " W(MATCH_POINTS_DAYS_TIER2)
     "    WHEN m.turnaround_days <= " W(MATCH_DAYS_TIER3) " THEN " W(MATCH_POINTS_DAYS_TIER3)
     "    ELSE 0 END AS p_turnaround,"
     "   CASE WHEN m.open_cases * 100 < m.capacity * " W(MATCH_LOAD_TIER1_PERCENT)
     "    THEN " W(MATCH_POINTS_LOAD_TIER1)
     "    WHEN m.open_cases * 100 < m.capacity * " W(MATCH_LOAD_TIER2_PERCENT)
     "    THEN " W(MATCH_POINTS_LOAD_TIER2)
     "    ELSE 0 END AS p_load) p"
     "  WHERE inst.within_travel OR " REMOTE_OK("c", "m") "),"
     " top AS (SELECT * FROM scored ORDER BY " MATCH_ORDER " LIMIT " W(MATCH_MAX_LIMIT) "),"
     " top_n AS (SELECT * FROM top ORDER BY " MATCH_ORDER " LIMIT $2::int),"
     " ranked AS ("
     "  SELECT top.id, inst.designation, inst.network, top.km, top.remote, top.turnaround_days,"
     "  top.open_cases, top.capacity, top.score,"
     "  (c.rare AND inst.designation = 'comprehensive') AS rare_at_comprehensive,"
     "  inst.p_nci, inst.p_rare, inst.p_network, inst.p_distance, top.p_telehealth,"
     "  top.p_language, top.p_turnaround, top.p_load,"
     "  CASE WHEN c.preferred_language = ANY (s.languages) THEN c.preferred_language"
     "   ELSE (SELECT l FROM unnest(c.languages) l WHERE l = ANY (s.languages) ORDER BY l LIMIT 1)"
     "  END AS language,"
     "  json_build_object('id', s.id, 'name', s.name, 'specialty', s.specialty,"
     "   'languages', s.languages, 'telehealth', s.telehealth,"
     "   'turnaround_days', s.turnaround_days,"
     "   'institution', json_build_object('id', i.id, 'name', i.name, 'city', i.city,"
     "    'state', i.state, 'nci_designation', i.nci_designation)) AS specialist"
     "  FROM top_n top JOIN inst ON inst.id = top.institution_id"
     "  JOIN specialists s ON s.id = top.id JOIN institutions i ON i.id = top.institution_id"
     "  CROSS JOIN c)"
     /* The case's criteria come with every row, and alone (r.id NULL) when
      * nothing matched; no row at all means there is no such case. */
     " SELECT c.cancer_type, c.cancer_type_name, c.rare AS case_rare, c.location_known,"
     "  c.telehealth_ok, c.max_travel_km, c.preferred_language_tag, c.languages_json,"
     "  c.coverage_check_id, c.plan_id IS NOT NULL AS network_known, r.*"
     " FROM c LEFT JOIN ranked r ON true"
     " ORDER BY r.score DESC, r.turnaround_days, r.km NULLS LAST, r.id"},

    /* match_rank's hard filters for one specialist: specialist_matching
     * holds only matchable specialists, then the institution and travel. */
    {"match_is_candidate",
     "SELECT EXISTS (SELECT 1"
     " FROM (SELECT cancer_type, patient_lat AS lat, patient_lon AS lon, telehealth_ok,"
     "   max_travel_km FROM cases WHERE id = $1::uuid) c"
     " JOIN specialist_matching m ON m.cancer_type = c.cancer_type"
     "   AND m.specialist_id = $2::uuid"
     " JOIN institutions i ON i.id = m.institution_id"
     " WHERE " MATCHABLE_INSTITUTION("i")
     "   AND (" WITHIN_TRAVEL("c", CASE_KM("c", "i")) " OR " REMOTE_OK("c", "m") ")) AS ok"},

    {"match_shortfall",
     "SELECT count(*) AS reviewers,"
     " count(*) FILTER (WHERE s.accepting AND s.open_cases < s.capacity) AS available"
     " FROM cases c"
     " JOIN specialist_cancer_types sct ON sct.cancer_type = c.cancer_type"
     " JOIN specialists s ON s.id = sct.specialist_id"
     " JOIN institutions i ON i.id = s.institution_id"
     " WHERE c.id = $1::uuid AND s.retired_at IS NULL AND " MATCHABLE_INSTITUTION("i")},
    {NULL, NULL},
};
// clang-format on

void matching_store_init(void)
{
    db_register(statements);
}

static json_t *json_column(const PGresult *res, int row, const char *column)
{
    const char *v = db_value(res, row, column);
    return v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
}

/* The criteria object from the first row of match_rank. */
static int read_criteria(const PGresult *res, struct match_criteria *out)
{
    const char *v;
    json_t *languages = json_column(res, 0, "languages_json");
    out->telehealth_ok = db_bool(res, 0, "telehealth_ok");
    out->location_known = db_bool(res, 0, "location_known");
    v = db_value(res, 0, "max_travel_km");
    out->has_travel_limit = v != NULL;
    out->max_travel_km = v ? atoi(v) : 0;
    snprintf(out->cancer_type_name, sizeof out->cancer_type_name, "%s",
             db_value(res, 0, "cancer_type_name"));
    v = db_value(res, 0, "coverage_check_id");
    out->json = json_pack(
        "{s:s,s:s,s:b,s:b,s:o,s:b,s:s,s:o,s:o,s:b}", "cancer_type", db_value(res, 0, "cancer_type"),
        "cancer_type_name", out->cancer_type_name, "rare", db_bool(res, 0, "case_rare"),
        "telehealth_ok", out->telehealth_ok, "max_travel_km",
        out->has_travel_limit ? json_integer(out->max_travel_km) : json_null(),
        "patient_location_known", out->location_known, "preferred_language",
        db_value(res, 0, "preferred_language_tag"), "languages",
        languages ? languages : json_array(), "coverage_check_id", v ? json_string(v) : json_null(),
        "network_known", db_bool(res, 0, "network_known"));
    return out->json ? 0 : -1;
}

static int int_column(const PGresult *res, int row, const char *column)
{
    const char *v = db_value(res, row, column);
    return v ? atoi(v) : 0;
}

int matching_rank(struct db_conn *conn, const char *case_id, int limit,
                  struct match_criteria *criteria, struct match_candidate **out, int *count,
                  struct app_error *err)
{
    static const char *const point_columns[MATCH_FACTOR_COUNT] = {
        "p_nci",        "p_rare",     "p_network",    "p_distance",
        "p_telehealth", "p_language", "p_turnaround", "p_load",
    };
    char limit_s[16];
    const char *params[2] = {case_id, limit_s};
    PGresult *res;
    int i, n;

    *out = NULL;
    *count = 0;
    memset(criteria, 0, sizeof *criteria);
    snprintf(limit_s, sizeof limit_s, "%d", limit);
    if (!(res = db_exec(conn, "match_rank", 2, params, err)))
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    if (read_criteria(res, criteria) != 0) {
        PQclear(res);
        return app_error_internal(err);
    }
    n = !db_value(res, 0, "id") ? 0 : PQntuples(res) < limit ? PQntuples(res) : limit;
    if (n > 0 && !(*out = calloc((size_t)n, sizeof **out))) {
        PQclear(res);
        return app_error_internal(err);
    }
    for (i = 0; i < n; i++) {
        struct match_candidate *c = &(*out)[i];
        const char *km = db_value(res, i, "km"), *lang = db_value(res, i, "language");
        snprintf(c->row.designation, sizeof c->row.designation, "%s",
                 db_value(res, i, "designation"));
        snprintf(c->row.network, sizeof c->row.network, "%s", db_value(res, i, "network"));
        snprintf(c->row.language, sizeof c->row.language, "%s", lang ? lang : "");
        c->row.rare_at_comprehensive = db_bool(res, i, "rare_at_comprehensive");
        c->row.distance_known = km != NULL;
        c->row.distance_km = km ? strtod(km, NULL) : 0;
        c->row.telehealth = db_bool(res, i, "remote");
        c->row.turnaround_days = int_column(res, i, "turnaround_days");
        c->row.open_cases = int_column(res, i, "open_cases");
        c->row.capacity = int_column(res, i, "capacity");
        for (int f = 0; f < MATCH_FACTOR_COUNT; f++)
            c->row.points[f] = int_column(res, i, point_columns[f]);
        c->specialist = json_column(res, i, "specialist");
        /* The database ordered by its own sum; a difference would mean the
         * reasons do not explain the order, which must never be served. */
        if (!c->specialist || match_score(&c->row) != int_column(res, i, "score")) {
            PQclear(res);
            matching_candidates_free(*out, i + 1);
            *out = NULL;
            json_decref(criteria->json);
            criteria->json = NULL;
            return app_error_internal(err);
        }
    }
    *count = n;
    PQclear(res);
    return 0;
}

void matching_candidates_free(struct match_candidate *list, int count)
{
    for (int i = 0; i < count; i++)
        json_decref(list[i].specialist);
    free(list);
}

int matching_is_candidate(struct db_conn *conn, const char *case_id, const char *specialist_id,
                          struct app_error *err)
{
    const char *params[2] = {case_id, specialist_id};
    PGresult *res = db_exec(conn, "match_is_candidate", 2, params, err);
    int ok;
    if (!res)
        return -1;
    ok = db_bool(res, 0, "ok");
    PQclear(res);
    return ok;
}

int matching_shortfall(struct db_conn *conn, const char *case_id, struct match_shortfall *out,
                       struct app_error *err)
{
    const char *params[1] = {case_id};
    PGresult *res = db_exec(conn, "match_shortfall", 1, params, err);
    if (!res)
        return -1;
    out->reviewers = strtol(db_value(res, 0, "reviewers"), NULL, 10);
    out->available = strtol(db_value(res, 0, "available"), NULL, 10);
    PQclear(res);
    return 0;
}
