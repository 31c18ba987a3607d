"""Provider directory: institutions (/v1/providers) and specialists
(/v1/specialists): the NCI centers from the CSV, filters, cursor pages, reads
by id, and admin create / update (If-Match) / retire with their rules."""
import csv
import math
import os
import uuid

from lib.directory import (ADMIN, all_pages, institution_body, new_institution, new_specialist,
                           payer_ids, q, set_open_cases, specialist_body)
from lib.harness import ROOT, api, count, expect, expect_problem, sql, sql_as_app, test, token


def km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1, math.sqrt(a)))


# ---------------------------------------------------------------- the NCI centers


@test
def every_nci_center_of_the_csv_is_served_as_loaded():
    with open(os.path.join(ROOT, "sql", "data", "nci_designated_centers.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 74
    served = all_pages("/v1/providers", params={"nci_designation": "comprehensive,clinical,basic_laboratory"},
                       limit=200)
    by_key = {(p["name"], p["city"], p["state"]): p for p in served}
    for row in rows:
        p = by_key.get((row["name"], row["city"], row["state"]))
        assert p, f"missing {row['name']}"
        assert p["nci_designation"] == row["designation"], p
        assert p["latitude"] == float(row["latitude"]) and p["longitude"] == float(row["longitude"]), p
        assert p["patient_care"] == (row["patient_care"] == "true"), p
        assert p["retired_at"] is None
    basic = [p for p in served if p["nci_designation"] == "basic_laboratory"]
    assert len([p for p in basic if (p["name"], p["city"], p["state"]) in
                {(r["name"], r["city"], r["state"]) for r in rows}]) == 8
    assert all(p["patient_care"] is False for p in basic)


@test
def non_nci_hospitals_are_listed_with_designation_none():
    hospitals = all_pages("/v1/providers", params={"nci_designation": "none"})
    assert len(hospitals) >= 10
    assert all(h["nci_designation"] is None for h in hospitals)
    names = {h["name"] for h in hospitals}
    assert "Bayside General Hospital" in names


# ---------------------------------------------------------------- filters


@test
def provider_filters_combine():
    tx = all_pages("/v1/providers", params={"state": "TX"})
    assert tx and all(p["state"] == "TX" for p in tx)
    want = int(sql("SELECT count(*) FROM institutions WHERE state = 'TX' AND retired_at IS NULL")[0][0])
    assert len(tx) == want
    cc = all_pages("/v1/providers", params={"state": "CA", "nci_designation": "clinical,comprehensive"})
    assert cc and all(p["state"] == "CA" and p["nci_designation"] in ("clinical", "comprehensive") for p in cc)
    # specialist terms: institutions with an active specialist who matches all of them
    got = {p["id"] for p in all_pages("/v1/providers", params={"cancer_type": "glioblastoma", "telehealth": "true"})}
    want = {r[0] for r in sql(
        "SELECT DISTINCT s.institution_id FROM specialists s JOIN specialist_cancer_types t"
        " ON t.specialist_id = s.id JOIN institutions i ON i.id = s.institution_id"
        " WHERE t.cancer_type = 'glioblastoma' AND s.telehealth AND s.retired_at IS NULL"
        " AND i.retired_at IS NULL")}
    assert got and got == want, (got ^ want)


@test
def providers_near_a_point_come_nearest_first_within_the_radius():
    houston = (29.76, -95.37)
    items = all_pages("/v1/providers", params={"near": "29.76,-95.37", "within_km": "400"}, limit=2)
    assert items, "no provider within 400 km of Houston"
    dists = [p["distance_km"] for p in items]
    assert dists == sorted(dists) and all(d <= 400 for d in dists), dists
    for p in items:
        assert abs(p["distance_km"] - km(*houston, p["latitude"], p["longitude"])) < 0.2, p
    names = {p["name"] for p in items}
    assert "The University of Texas MD Anderson Cancer Center" in names
    assert "Memorial Sloan Kettering Cancer Center" not in names
    # without within_km, near orders everything by distance
    r = expect(api.get("/v1/providers?near=29.76,-95.37&limit=3", token("patient")), 200).json
    assert [p["distance_km"] for p in r["items"]] == sorted(p["distance_km"] for p in r["items"])
    assert r["next_cursor"]


@test
def specialist_filters_match_the_database():
    medicare, = payer_ids("Medicare (Original, Part B)")
    cases = [
        ({"cancer_type": "aml"},
         "EXISTS (SELECT 1 FROM specialist_cancer_types t WHERE t.specialist_id = s.id AND t.cancer_type = 'aml')"),
        ({"nci_designation": "none"}, "i.nci_designation IS NULL"),
        ({"nci_designation": "clinical,none"}, "coalesce(i.nci_designation, 'none') IN ('clinical', 'none')"),
        ({"state": "NY"}, "i.state = 'NY'"),
        ({"telehealth": "false"}, "NOT s.telehealth"),
        ({"accepting": "false"}, "NOT s.accepting"),
        ({"language": "es"}, "'es' = ANY (s.languages)"),
        ({"specialty": "hematopathology"}, "s.specialty = 'hematopathology'"),
        ({"payer": medicare},
         f"EXISTS (SELECT 1 FROM specialist_payers p WHERE p.specialist_id = s.id AND p.payer_id = '{medicare}')"),
        ({"cancer_type": "breast", "telehealth": "true", "accepting": "true", "language": "es"},
         "EXISTS (SELECT 1 FROM specialist_cancer_types t WHERE t.specialist_id = s.id AND t.cancer_type = 'breast')"
         " AND s.telehealth AND s.accepting AND 'es' = ANY (s.languages)"),
    ]
    for params, where in cases:
        got = {s["id"] for s in all_pages("/v1/specialists", params=params, limit=200)}
        want = {r[0] for r in sql("SELECT s.id FROM specialists s JOIN institutions i ON i.id = s.institution_id"
                                  f" WHERE s.retired_at IS NULL AND {where}")}
        assert got and got == want, (params, len(got), len(want))


@test
def specialists_of_one_institution_near_a_point():
    inst = sql("SELECT id FROM institutions WHERE name = 'Memorial Sloan Kettering Cancer Center'")[0][0]
    items = all_pages("/v1/specialists", params={"institution_id": inst})
    assert items and all(s["institution"]["id"] == inst for s in items)
    near = all_pages("/v1/specialists", params={"near": "40.76,-73.96", "within_km": "25"}, limit=20)
    assert near and all(s["distance_km"] <= 25 for s in near)
    assert [s["distance_km"] for s in near] == sorted(s["distance_km"] for s in near)
    assert inst in {s["institution"]["id"] for s in near}


@test
def specialist_pages_are_ordered_by_name_and_cover_everything():
    items = all_pages("/v1/specialists", limit=37)
    keys = [(s["name"], s["id"]) for s in items]
    assert keys == sorted(keys)
    want = int(sql("SELECT count(*) FROM specialists WHERE retired_at IS NULL")[0][0])
    assert len(items) == want and want >= 300


@test
def specialist_entries_carry_what_a_navigator_needs():
    s = all_pages("/v1/specialists", params={"cancer_type": "myeloma"})[0]
    for k in ("id", "name", "specialty", "institution", "cancer_types", "languages", "telehealth",
              "accepting", "turnaround_days", "open_cases", "capacity", "payers", "retired_at"):
        assert k in s, k
    assert "myeloma" in s["cancer_types"]
    assert {"id", "name", "city", "state", "nci_designation"} <= set(s["institution"])
    assert all({"id", "name"} == set(p) for p in s["payers"])


@test
def seeded_specialists_cover_every_cancer_type_at_patient_care_centers():
    rows = sql("SELECT ct.code, count(s.id) FROM cancer_types ct"
               " LEFT JOIN specialist_cancer_types t ON t.cancer_type = ct.code"
               " LEFT JOIN specialists s ON s.id = t.specialist_id AND s.retired_at IS NULL"
               "   AND s.accepting AND s.open_cases < s.capacity"
               " GROUP BY ct.code")
    assert len(rows) == 60
    thin = [code for code, n in rows if int(n) < 2]
    assert not thin, f"cancer types with fewer than 2 available seeded reviewers: {thin}"
    # the seed's own specialists (other tests plant bad rows on purpose)
    seeded = "s.id IN (SELECT md5('cso-dev-specialist-' || n)::uuid FROM generate_series(1, 400) n)"
    assert count("specialists s", seeded) == 400
    assert count("specialists s JOIN institutions i ON i.id = s.institution_id",
                 f"{seeded} AND (NOT i.patient_care OR i.nci_designation = 'basic_laboratory'"
                 " OR i.retired_at IS NOT NULL)") == 0


BAD_FILTERS = [
    ("cancer_type", "Breast"), ("cancer_type", "not_a_type"), ("nci_designation", "comprehensive,"),
    ("nci_designation", "basic"), ("nci_designation", "clinical,clinical"), ("state", "tx"),
    ("state", "ZZ"), ("telehealth", "yes"), ("accepting", "1"), ("payer", "not-a-uuid"),
    ("payer", str(uuid.UUID(int=1))), ("language", "english"), ("language", "EN"),
    ("near", "91,0"), ("near", "29.7"), ("near", "29.7,-95.3,1"), ("near", "nan,0"),
    ("near", "1e1,2"), ("within_km", "0"), ("within_km", "-5"), ("within_km", "abc"),
    ("within_km", "30000"), ("include_retired", "maybe"), ("limit", "0"), ("limit", "201"),
    ("cursor", "bm9wZQ"), ("bogus", "1"),
]


@test
def each_bad_filter_value_is_400_on_both_lists():
    tok = token("patient")
    for path in ("/v1/providers", "/v1/specialists"):
        for key, value in BAD_FILTERS:
            params = {key: value}
            if key == "within_km":
                params["near"] = "29.7,-95.3"
            p = expect_problem(api.get(f"{path}?{q(params)}", tok), 400, f"{path} {key}={value}")
            assert any(e["field"] == key for e in p.get("errors", [])), (key, value, p)
    for key, value in (("specialty", "surgeon"), ("specialty", "Medical"), ("institution_id", "x"),
                       ("institution_id", str(uuid.UUID(int=2)))):
        expect_problem(api.get(f"/v1/specialists?{q({key: value})}", tok), 400, f"{key}={value}")
    # specialist-only filters are not filters of the providers list
    expect_problem(api.get("/v1/providers?specialty=medical_oncology", tok), 400)
    # within_km needs near
    p = expect_problem(api.get("/v1/providers?within_km=10", tok), 400)
    assert p["errors"][0]["field"] == "within_km"
    # a cursor from the name order is refused for the distance order
    r = expect(api.get("/v1/providers?limit=1", tok), 200).json
    expect_problem(api.get(f"/v1/providers?limit=1&near=1,1&cursor={r['next_cursor']}", tok), 400)


@test
def directory_reads_are_open_to_every_role_but_need_a_token():
    for role in ("patient", "navigator", "specialist", "admin"):
        expect(api.get("/v1/providers?limit=1", token(role)), 200)
        expect(api.get("/v1/specialists?limit=1", token(role)), 200)
    expect_problem(api.get("/v1/providers"), 401)
    expect_problem(api.get("/v1/specialists"), 401)


@test
def entries_are_read_by_id_with_an_etag():
    p = all_pages("/v1/providers", params={"state": "MN"})[0]
    r = expect(api.get(f"/v1/providers/{p['id']}", token("patient")), 200)
    assert r.json == p and r.headers["etag"].startswith('"')
    s = all_pages("/v1/specialists", params={"cancer_type": "wilms"})[0]
    r = expect(api.get(f"/v1/specialists/{s['id']}", token("specialist")), 200)
    assert r.json == s and r.headers["etag"].startswith('"')
    for path in ("/v1/providers/", "/v1/specialists/"):
        expect_problem(api.get(path + str(uuid.uuid4()), token("patient")), 404)
        expect_problem(api.get(path + "not-a-uuid", token("patient")), 404)


# ---------------------------------------------------------------- admin: institutions


@test
def admin_creates_an_institution_with_audit_and_event():
    body = institution_body(nci_designation="clinical")
    r = expect(api.post("/v1/providers", ADMIN, body), 201)
    p = r.json
    assert r.headers["location"] == f"/v1/providers/{p['id']}" and r.headers["etag"] == '"1"'
    assert p["name"] == body["name"] and p["nci_designation"] == "clinical" and p["patient_care"] is True
    assert count("audit_events", f"resource_id = '{p['id']}' AND action = 'institution.create'") == 1
    assert count("events", f"subject_id = '{p['id']}' AND type = 'institution.created'") == 1
    lab = new_institution(nci_designation="basic_laboratory")
    assert lab["patient_care"] is False
    expect_problem(api.post("/v1/providers", ADMIN, body), 409)  # same name, city, state


@test
def only_admins_write_the_directory():
    inst = new_institution()
    n = count("institutions")
    m = count("specialists")
    for role in ("patient", "navigator", "specialist"):
        t = token(role)
        expect_problem(api.post("/v1/providers", t, institution_body()), 403)
        expect_problem(api.patch(f"/v1/providers/{inst['id']}", t, {"city": "Reno"},
                                 headers={"If-Match": '"1"'}), 403)
        expect_problem(api.post(f"/v1/providers/{inst['id']}/retire", t), 403)
        expect_problem(api.post("/v1/specialists", t, specialist_body(inst["id"])), 403)
    assert count("institutions") == n and count("specialists") == m
    assert expect(api.get(f"/v1/providers/{inst['id']}", ADMIN), 200).json["city"] == "Elko"


@test
def invalid_institutions_are_refused_and_nothing_is_stored():
    n = count("institutions")
    bad = [
        ({"state": "ZZ"}, "state"),
        ({"state": "nv"}, "state"),
        ({"nci_designation": "basic_laboratory", "patient_care": True}, "patient_care"),
        ({"nci_designation": "comprehensive", "patient_care": False}, "patient_care"),
        ({"nci_designation": "cancer_center"}, "nci_designation"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": "-115"}, "longitude"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"retired_at": "2026-01-01T00:00:00Z"}, "retired_at"),
        ({"beds": 300}, "beds"),
    ]
    for change, field in bad:
        p = expect_problem(api.post("/v1/providers", ADMIN, institution_body(**change)), 400, str(change))
        assert any(e["field"] == field for e in p["errors"]), (change, p)
    body = institution_body()
    del body["latitude"]
    p = expect_problem(api.post("/v1/providers", ADMIN, body), 400)
    assert any(e["field"] == "latitude" for e in p["errors"])
    expect_problem(api.post("/v1/providers", ADMIN, body=b"[1]", content_type="application/json"), 400)
    assert count("institutions") == n


@test
def institution_patch_needs_if_match_and_bumps_the_etag():
    inst = new_institution()
    path = f"/v1/providers/{inst['id']}"
    expect_problem(api.patch(path, ADMIN, {"city": "Ely"}), 428)
    expect_problem(api.patch(path, ADMIN, {"city": "Ely"}, headers={"If-Match": '"7"'}), 412)
    r = expect(api.patch(path, ADMIN, {"city": "Ely", "latitude": 39.247, "longitude": -114.889},
                         headers={"If-Match": '"1"'}), 200)
    assert r.json["city"] == "Ely" and r.json["latitude"] == 39.247 and r.headers["etag"] == '"2"'
    assert r.json["name"] == inst["name"]
    expect_problem(api.patch(path, ADMIN, {"city": "Wells"}, headers={"If-Match": '"1"'}), 412)
    p = expect_problem(api.patch(path, ADMIN, {"state": "XX", "id": str(uuid.uuid4())},
                                 headers={"If-Match": '"2"'}), 400)
    assert {e["field"] for e in p["errors"]} >= {"id"}
    expect_problem(api.patch(path, ADMIN, {"state": "XX"}, headers={"If-Match": '"2"'}), 400)
    expect_problem(api.patch(path, ADMIN, {}, headers={"If-Match": '"2"'}), 400)
    assert expect(api.get(path, ADMIN), 200).json["city"] == "Ely"
    assert count("audit_events", f"resource_id = '{inst['id']}' AND action = 'institution.update'") == 1
    assert count("events", f"subject_id = '{inst['id']}' AND type = 'institution.updated'") == 1
    # a new designation without patient_care takes that designation's default
    r = expect(api.patch(path, ADMIN, {"nci_designation": "basic_laboratory"}, headers={"If-Match": '"2"'}), 200)
    assert r.json["patient_care"] is False


@test
def an_institution_with_active_specialists_keeps_seeing_patients():
    inst = new_institution(nci_designation="clinical")
    spec = new_specialist(inst["id"])
    path = f"/v1/providers/{inst['id']}"
    for change in ({"nci_designation": "basic_laboratory"}, {"patient_care": False, "nci_designation": None}):
        expect_problem(api.patch(path, ADMIN, change, headers={"If-Match": '"1"'}), 409)
    p = expect_problem(api.post(path + "/retire", ADMIN), 409)
    assert "active specialists" in p["detail"]
    assert expect(api.get(path, ADMIN), 200).json["nci_designation"] == "clinical"
    # once its specialist is retired, it may be retired too
    expect(api.post(f"/v1/specialists/{spec['id']}/retire", ADMIN), 200)
    r = expect(api.post(path + "/retire", ADMIN), 200).json
    assert r["retired_at"]
    expect_problem(api.post(path + "/retire", ADMIN), 409)
    expect_problem(api.patch(path, ADMIN, {"city": "Ely"}, headers={"If-Match": '"2"'}), 409)


@test
def retired_institutions_leave_the_lists_but_keep_their_history():
    inst = new_institution(state="WY", nci_designation="clinical")
    path = f"/v1/providers/{inst['id']}"
    expect(api.post(path + "/retire", ADMIN), 200)
    listed = {p["id"] for p in all_pages("/v1/providers", params={"state": "WY"})}
    assert inst["id"] not in listed
    listed = {p["id"] for p in all_pages("/v1/providers", params={"state": "WY", "include_retired": "true"})}
    assert inst["id"] in listed
    got = expect(api.get(path, token("patient")), 200).json
    assert got["retired_at"] and got["name"] == inst["name"]
    # nobody can join a retired institution
    p = expect_problem(api.post("/v1/specialists", ADMIN, specialist_body(inst["id"])), 400)
    assert p["errors"][0]["field"] == "institution_id"


# ---------------------------------------------------------------- admin: specialists


@test
def admin_creates_a_specialist():
    inst = new_institution(nci_designation="comprehensive")
    body = specialist_body(inst["id"], cancer_types=["cml", "aml"], specialty="hematology_oncology",
                           payer_ids=payer_ids("Medicare (Original, Part B)", "Self-pay"))
    r = expect(api.post("/v1/specialists", ADMIN, body), 201)
    s = r.json
    assert r.headers["location"] == f"/v1/specialists/{s['id']}" and r.headers["etag"] == '"1"'
    assert s["cancer_types"] == ["aml", "cml"] and s["specialty"] == "hematology_oncology"
    assert s["institution"]["id"] == inst["id"] and s["institution"]["nci_designation"] == "comprehensive"
    assert sorted(p["name"] for p in s["payers"]) == ["Medicare (Original, Part B)", "Self-pay"]
    assert s["open_cases"] == 0 and s["capacity"] == 10 and s["languages"] == ["en", "es"]
    assert count("audit_events", f"resource_id = '{s['id']}' AND action = 'specialist.create'") == 1
    assert count("events", f"subject_id = '{s['id']}' AND type = 'specialist.created'") == 1
    # defaults
    minimal = {"name": "Dr. Minimal Example", "specialty": "hematopathology", "institution_id": inst["id"],
               "cancer_types": ["mds"], "turnaround_days": 10, "capacity": 5}
    m = expect(api.post("/v1/specialists", ADMIN, minimal), 201).json
    assert m["languages"] == ["en"] and m["telehealth"] and m["accepting"] and m["open_cases"] == 0
    assert m["payers"] == []


@test
def invalid_specialists_are_refused_and_nothing_is_stored():
    inst = new_institution()
    lab = new_institution(nci_designation="basic_laboratory")
    n, links = count("specialists"), count("specialist_cancer_types")
    bad = [
        ({"cancer_types": ["breast", "unicorn"]}, "cancer_types"),
        ({"cancer_types": []}, "cancer_types"),
        ({"cancer_types": ["breast", "breast"]}, "cancer_types"),
        ({"specialty": "surgeon"}, "specialty"),
        ({"institution_id": str(uuid.uuid4())}, "institution_id"),
        ({"institution_id": lab["id"]}, "institution_id"),
        ({"languages": ["EN"]}, "languages"),
        ({"languages": ["en", "en"]}, "languages"),
        ({"languages": []}, "languages"),
        ({"payer_ids": [str(uuid.uuid4())]}, "payer_ids"),
        ({"payer_ids": ["medicare"]}, "payer_ids"),
        ({"open_cases": 0}, "open_cases"),
        ({"capacity": -1}, "capacity"),
        ({"turnaround_days": 0}, "turnaround_days"),
        ({"turnaround_days": 91}, "turnaround_days"),
        ({"telehealth": "yes"}, "telehealth"),
        ({"retired_at": None}, "retired_at"),
        ({"institution": {}}, "institution"),
    ]
    for change, field in bad:
        body = specialist_body(inst["id"])
        body.update(change)
        p = expect_problem(api.post("/v1/specialists", ADMIN, body), 400, str(change))
        assert any(e["field"] == field for e in p["errors"]), (change, p)
    assert count("specialists") == n and count("specialist_cancer_types") == links


@test
def specialist_patch_replaces_sets_and_needs_if_match():
    inst = new_institution()
    other = new_institution(nci_designation="comprehensive")
    s = new_specialist(inst["id"], cancer_types=["breast", "ovarian"])
    path = f"/v1/specialists/{s['id']}"
    expect_problem(api.patch(path, ADMIN, {"accepting": False}), 428)
    change = {"cancer_types": ["ovarian", "uterine"], "institution_id": other["id"],
              "payer_ids": payer_ids("Self-pay"), "accepting": False, "capacity": 4}
    r = expect(api.patch(path, ADMIN, change, headers={"If-Match": '"1"'}), 200)
    got = r.json
    assert got["cancer_types"] == ["ovarian", "uterine"] and got["institution"]["id"] == other["id"]
    assert [p["name"] for p in got["payers"]] == ["Self-pay"] and got["accepting"] is False
    assert got["capacity"] == 4 and r.headers["etag"] == '"2"' and got["name"] == s["name"]
    assert count("specialist_cancer_types", f"specialist_id = '{s['id']}'") == 2
    # open_cases belongs to the assignments module: never written here, and
    # capacity cannot go below it
    set_open_cases(s["id"], 3)
    got = expect(api.get(path, ADMIN), 200).json
    p = expect_problem(api.patch(path, ADMIN, {"capacity": 2}, headers={"If-Match": '"2"'}), 400)
    assert p["errors"][0]["field"] == "capacity" and "3" in p["errors"][0]["message"]
    p = expect_problem(api.patch(path, ADMIN, {"open_cases": 0}, headers={"If-Match": '"2"'}), 400)
    assert p["errors"][0]["field"] == "open_cases"
    # refused patches change nothing
    for bad in ({"cancer_types": ["nope"]}, {"name": None}, {"languages": ["en", "EN"]}):
        expect_problem(api.patch(path, ADMIN, bad, headers={"If-Match": '"2"'}), 400, str(bad))
    assert expect(api.get(path, ADMIN), 200).json == got
    expect(api.patch(path, ADMIN, {"capacity": 3}, headers={"If-Match": '"2"'}), 200)


@test
def retired_specialists_are_kept_but_hidden_from_lists():
    inst = new_institution()
    s = new_specialist(inst["id"], cancer_types=["thymoma"])
    path = f"/v1/specialists/{s['id']}"
    r = expect(api.post(path + "/retire", ADMIN), 200)
    assert r.json["retired_at"] and r.headers["etag"] == '"2"'
    assert count("audit_events", f"resource_id = '{s['id']}' AND action = 'specialist.retire'") == 1
    assert count("events", f"subject_id = '{s['id']}' AND type = 'specialist.retired'") == 1
    ids = {x["id"] for x in all_pages("/v1/specialists", params={"cancer_type": "thymoma"})}
    assert s["id"] not in ids
    ids = {x["id"] for x in all_pages("/v1/specialists", params={"cancer_type": "thymoma", "include_retired": "true"})}
    assert s["id"] in ids
    assert expect(api.get(path, token("navigator")), 200).json["cancer_types"] == ["thymoma"]
    expect_problem(api.post(path + "/retire", ADMIN), 409)
    expect_problem(api.patch(path, ADMIN, {"accepting": True}, headers={"If-Match": '"2"'}), 409)
    expect_problem(api.post(f"/v1/specialists/{uuid.uuid4()}/retire", ADMIN), 404)


@test
def idempotent_retry_creates_one_specialist():
    inst = new_institution()
    body = specialist_body(inst["id"])
    key = {"Idempotency-Key": "spec-" + uuid.uuid4().hex}
    a = expect(api.post("/v1/specialists", ADMIN, body, headers=key), 201).json
    b = expect(api.post("/v1/specialists", ADMIN, body, headers=key), 201)
    assert b.headers.get("idempotent-replayed") == "true" and b.json["id"] == a["id"]
    assert count("specialists", f"name = '{body['name']}'") == 1


@test
def the_matching_read_model_always_equals_the_directory():
    # runs last: the directory and matching tests created, changed, filled
    # up and retired specialists and replaced their cancer types
    truth = ("SELECT t.cancer_type, s.id, s.institution_id, s.telehealth, s.turnaround_days,"
             " s.open_cases, s.capacity, s.languages, matching_language_bits(s.languages)"
             " FROM specialists s"
             " JOIN specialist_cancer_types t ON t.specialist_id = s.id"
             " WHERE s.retired_at IS NULL AND s.accepting AND s.open_cases < s.capacity")
    model = ("SELECT cancer_type, specialist_id, institution_id, telehealth, turnaround_days,"
             " open_cases, capacity, languages, language_bits FROM specialist_matching")
    assert sql(f"SELECT count(*) FROM (({truth}) EXCEPT ({model})) x") == [["0"]]
    assert sql(f"SELECT count(*) FROM (({model}) EXCEPT ({truth})) x") == [["0"]]
    assert int(sql("SELECT count(*) FROM specialist_matching")[0][0]) > 500
    # only the triggers write it: the service role can read it, not change it
    rc, err = sql_as_app("DELETE FROM specialist_matching")
    assert rc != 0 and "permission denied" in err, err
    rc, err = sql_as_app("SELECT count(*) FROM specialist_matching")
    assert rc == 0, err
