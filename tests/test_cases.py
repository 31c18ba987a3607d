"""Case intake: create, read, list, update, workflow, history, checklist,
access rules, idempotency, ETags and audit."""
import copy
import threading
import uuid

from lib.fixtures import case_body, new_sub
from lib.harness import api, count, expect, expect_problem, sql, test, token


def create_case(tok=None, body=None, sub=None, **kw):
    sub = sub or new_sub()
    tok = tok or token("patient", sub=sub)
    r = expect(api.post("/v1/cases", tok, body or case_body(), **kw), 201)
    return r.json, tok, r


@test
def patient_creates_case_and_reads_it_back():
    sub = new_sub()
    tok = token("patient", sub=sub)
    c, _, r = create_case(tok)
    assert r.headers["location"] == f"/v1/cases/{c['id']}"
    assert r.headers["etag"] == '"1"'
    assert c["status"] == "draft" and c["version"] == 1 and c["patient_subject"] == sub
    assert c["patient"]["name"] == "Maria Lopez" and c["diagnosis"]["cancer_type"] == "breast"
    assert c["created_by"] == {"subject": sub, "role": "patient"}
    g = expect(api.get(f"/v1/cases/{c['id']}", tok), 200)
    assert g.json == c
    assert g.headers["etag"] == '"1"'
    assert count("case_status_history", f"case_id = '{c['id']}' AND to_status = 'draft'") == 1
    assert count("events", f"case_id = '{c['id']}' AND type = 'case.created'") == 1


@test
def create_and_read_are_audited():
    c, tok, _ = create_case()
    assert count("audit_events", f"case_id = '{c['id']}' AND action = 'case.create' AND outcome = 'success'") == 1
    api.get(f"/v1/cases/{c['id']}", tok)
    api.get(f"/v1/cases/{c['id']}", tok)
    assert count("audit_events", f"case_id = '{c['id']}' AND action = 'case.read'") == 2


@test
def navigator_creates_case_for_a_patient_account():
    psub = new_sub()
    body = case_body()
    body["patient_subject"] = psub
    c, _, _ = create_case(token("navigator"), body)
    assert c["patient_subject"] == psub and c["created_by"]["role"] == "navigator"
    expect(api.get(f"/v1/cases/{c['id']}", token("patient", sub=psub)), 200)
    expect_problem(api.get(f"/v1/cases/{c['id']}", token("patient")), 404)


@test
def navigator_case_without_patient_account_is_staff_only():
    c, _, _ = create_case(token("navigator"), case_body())
    assert c["patient_subject"] is None
    expect(api.get(f"/v1/cases/{c['id']}", token("admin")), 200)


@test
def another_patients_case_is_404_with_the_same_body_as_a_missing_one():
    c, _, _ = create_case()
    other = token("patient")
    r1 = expect_problem(api.get(f"/v1/cases/{c['id']}", other), 404)
    r2 = expect_problem(api.get(f"/v1/cases/{uuid.uuid4()}", other), 404)
    assert {k: v for k, v in r1.items() if k != "request_id"} == {k: v for k, v in r2.items() if k != "request_id"}
    expect_problem(api.get("/v1/cases/not-a-uuid", other), 404)
    # the refusal is audited
    assert count("audit_events", f"case_id = '{c['id']}' AND outcome = 'not_found'") >= 1


@test
def specialist_without_assignment_sees_no_case():
    c, _, _ = create_case()
    expect_problem(api.get(f"/v1/cases/{c['id']}", token("specialist")), 404)
    r = expect(api.get("/v1/cases", token("specialist")), 200)
    assert r.json["items"] == []


@test
def specialists_cannot_create_or_change_cases():
    expect_problem(api.post("/v1/cases", token("specialist"), case_body()), 403)
    c, _, _ = create_case()
    expect_problem(api.patch(f"/v1/cases/{c['id']}", token("specialist"), {"request": {"urgency": "routine"}},
                             headers={"If-Match": '"1"'}), 403)
    expect_problem(api.post(f"/v1/cases/{c['id']}/submit", token("specialist")), 403)


def assert_refused(body, field=None, tok=None, status=400):
    tok = tok or token("patient")
    before = count("cases")
    p = expect_problem(api.post("/v1/cases", tok, body), status, str(field))
    if field:
        fields = [e["field"] for e in p.get("errors", [])]
        assert field in fields, (field, p)
    assert count("cases") == before, "a refused create stored a case"
    return p


@test
def invalid_bodies_are_refused_with_field_errors_and_store_nothing():
    b = case_body()
    del b["patient"]["name"]
    assert_refused(b, "patient.name")
    b = case_body()
    b["patient"]["date_of_birth"] = "1968-02-30"
    assert_refused(b, "patient.date_of_birth")
    b = case_body()
    b["patient"]["date_of_birth"] = "2999-01-01"
    assert_refused(b, "patient.date_of_birth")
    b = case_body()
    b["patient"]["sex"] = "other"
    assert_refused(b, "patient.sex")
    b = case_body()
    b["patient"]["state"] = "tx"
    assert_refused(b, "patient.state")
    b = case_body()
    b["patient"]["zip"] = "7703A"
    assert_refused(b, "patient.zip")
    b = case_body()
    b["patient"]["location"] = {"lat": 91, "lon": 0}
    assert_refused(b, "patient.location.lat")
    b = case_body()
    b["patient"]["contact"]["email"] = "not-an-email"
    assert_refused(b, "patient.contact.email")
    b = case_body()
    b["diagnosis"]["cancer_type"] = "no_such_cancer"
    assert_refused(b, "diagnosis.cancer_type")
    b = case_body()
    b["diagnosis"]["stage"] = {"unknown": True, "group": "II"}
    assert_refused(b, "diagnosis.stage")
    b = case_body()
    b["diagnosis"]["stage"] = {}
    assert_refused(b, "diagnosis.stage")
    b = case_body()
    b["request"]["reasons"] = []
    assert_refused(b, "request.reasons")
    b = case_body()
    b["request"]["reasons"] = ["confirm_stage", "confirm_stage"]
    assert_refused(b, "request.reasons[1]")
    b = case_body()
    b["request"]["reasons"] = ["other"]
    assert_refused(b, "request.reason_other")
    b = case_body()
    b["request"]["urgency"] = "urgent"
    del b["request"]["urgency_reason"]
    assert_refused(b, "request.urgency_reason")
    b = case_body()
    b["request"]["urgency"] = "asap"
    assert_refused(b, "request.urgency")
    b = case_body()
    b["preferences"]["max_travel_km"] = -1
    assert_refused(b, "preferences.max_travel_km")
    b = case_body()
    b["preferences"]["languages"] = ["english!"]
    assert_refused(b, "preferences.languages[0]")
    b = case_body()
    b["treatment_plan"]["modalities"] = ["prayer"]
    assert_refused(b, "treatment_plan.modalities[0]")
    b = case_body()
    b["patient"]["name"] = "Maria\u0000Lopez"
    assert_refused(b)  # the JSON parser refuses NUL escapes outright
    b = case_body()
    b["patient"]["name"] = "x" * 201
    assert_refused(b, "patient.name")
    b = case_body()
    b["surprise"] = 1
    assert_refused(b, "surprise")
    assert_refused(case_body(patient=None), "patient")


@test
def server_owned_fields_are_refused():
    for field, value in (("id", str(uuid.uuid4())), ("status", "closed"), ("version", 9),
                         ("created_at", "2020-01-01T00:00:00Z"), ("owner", "someone"),
                         ("created_by", {"subject": "x", "role": "admin"}), ("round", 2)):
        b = case_body()
        b[field] = value
        assert_refused(b, field)
    b = case_body()
    b["patient_subject"] = "someone-else"
    assert_refused(b, "patient_subject")  # a patient cannot open a case for another account


@test
def malformed_requests_are_refused():
    tok = token("patient")
    before = count("cases")
    expect_problem(api.request("POST", "/v1/cases", tok, body=b"{not json", content_type="application/json"), 400)
    expect_problem(api.request("POST", "/v1/cases", tok, body=b"[1,2]", content_type="application/json"), 400)
    expect_problem(api.request("POST", "/v1/cases", tok, body=b'{"patient":{},"patient":{}}',
                               content_type="application/json"), 400)
    expect_problem(api.request("POST", "/v1/cases", tok, body=b"patient=x", content_type="application/x-www-form-urlencoded"), 415)
    expect_problem(api.request("POST", "/v1/cases", tok, body=b'{"a":1}', content_type="text/plain"), 415)
    expect_problem(api.request("POST", "/v1/cases", tok, body=b""), 400)
    big = b'{"patient":{"name":"' + b"x" * (1024 * 1024 + 10) + b'"}}'
    r = api.request("POST", "/v1/cases", tok, body=big, content_type="application/json")
    expect_problem(r, 413)
    assert count("cases") == before


@test
def idempotent_retry_creates_one_case():
    tok = token("patient")
    key = "retry-" + uuid.uuid4().hex
    r1 = expect(api.post("/v1/cases", tok, case_body(), headers={"Idempotency-Key": key}), 201)
    r2 = expect(api.post("/v1/cases", tok, case_body(), headers={"Idempotency-Key": key}), 201)
    assert r1.json["id"] == r2.json["id"]
    assert r2.headers.get("idempotent-replayed") == "true"
    assert r2.headers["location"] == r1.headers["location"]
    assert r2.headers["etag"] == r1.headers["etag"] == '"1"'
    assert count("cases", f"id = '{r1.json['id']}'") == 1
    other = case_body()
    other["patient"]["name"] = "Someone Else"
    before = count("cases")
    expect_problem(api.post("/v1/cases", tok, other, headers={"Idempotency-Key": key}), 422)
    assert count("cases") == before
    # keys are per caller: another subject's identical key is independent
    r3 = expect(api.post("/v1/cases", token("patient"), case_body(), headers={"Idempotency-Key": key}), 201)
    assert r3.json["id"] != r1.json["id"]


@test
def concurrent_retries_with_one_key_create_one_case():
    tok = token("patient")
    key = "race-" + uuid.uuid4().hex
    results = []

    def go():
        results.append(api.post("/v1/cases", tok, case_body(), headers={"Idempotency-Key": key}))

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {r.json["id"] for r in results if r.status == 201}
    assert len(ids) == 1, [r.status for r in results]
    assert all(r.status in (201, 409) for r in results), [r.status for r in results]
    assert count("cases", f"id = '{ids.pop()}'") == 1


@test
def failed_create_does_not_burn_the_idempotency_key():
    tok = token("patient")
    key = "fix-" + uuid.uuid4().hex
    b = case_body()
    b["patient"]["sex"] = "bogus"
    expect_problem(api.post("/v1/cases", tok, b, headers={"Idempotency-Key": key}), 400)
    expect(api.post("/v1/cases", tok, b | {"patient": case_body()["patient"]}, headers={"Idempotency-Key": key}), 201)


@test
def list_is_scoped_filtered_and_paginated():
    sub = new_sub()
    tok = token("patient", sub=sub)
    ids = [create_case(tok)[0]["id"] for _ in range(5)]
    other = create_case()[0]
    r = expect(api.get("/v1/cases?limit=2", tok), 200).json
    assert len(r["items"]) == 2 and r["next_cursor"]
    seen = [c["id"] for c in r["items"]]
    while r["next_cursor"]:
        r = expect(api.get("/v1/cases?limit=2&cursor=" + r["next_cursor"], tok), 200).json
        seen += [c["id"] for c in r["items"]]
    assert sorted(seen) == sorted(ids) and len(seen) == 5, "pages overlap or miss"
    assert other["id"] not in seen
    assert seen == list(reversed(ids)), "newest first"
    body = case_body()
    body["diagnosis"]["cancer_type"] = "melanoma"
    mel = create_case(tok, body)[0]
    r = expect(api.get("/v1/cases?cancer_type=melanoma", tok), 200).json
    assert [c["id"] for c in r["items"]] == [mel["id"]]
    r = expect(api.get("/v1/cases?status=submitted", tok), 200).json
    assert r["items"] == []
    # staff see everyone's cases
    r = expect(api.get("/v1/cases?limit=200", token("navigator")), 200).json
    assert {other["id"], ids[0]} <= {c["id"] for c in r["items"]} or r["next_cursor"]
    # each listed case is audited
    assert count("audit_events", f"case_id = '{mel['id']}' AND action = 'case.list'") >= 1


@test
def list_filters_are_validated():
    tok = token("navigator")
    expect_problem(api.get("/v1/cases?status=lost", tok), 400)
    expect_problem(api.get("/v1/cases?cancer_type=nope", tok), 400)
    expect_problem(api.get("/v1/cases?updated_since=yesterday", tok), 400)
    expect_problem(api.get("/v1/cases?limit=500", tok), 400)
    expect_problem(api.get("/v1/cases?status=draft&status=submitted", tok), 400)
    expect_problem(api.get("/v1/cases?cursor=abc", tok), 400)
    expect(api.get("/v1/cases?updated_since=2026-01-01T00:00:00Z", tok), 200)


@test
def patch_needs_if_match_and_applies_a_merge_patch():
    c, tok, _ = create_case()
    url = f"/v1/cases/{c['id']}"
    expect_problem(api.patch(url, tok, {"request": {"urgency": "routine"}}), 428)
    expect_problem(api.patch(url, tok, {"request": {"urgency": "routine"}}, headers={"If-Match": '"7"'}), 412)
    r = expect(api.patch(url, tok, {"request": {"urgency": "routine"}, "patient": {"zip": None}},
                         headers={"If-Match": '"1"'}), 200)
    assert r.headers["etag"] == '"2"'
    c2 = r.json
    assert c2["request"]["urgency"] == "routine" and c2["patient"]["zip"] is None
    assert c2["request"]["reasons"] == c["request"]["reasons"], "untouched members are kept"
    assert c2["patient"]["name"] == c["patient"]["name"]
    assert count("events", f"case_id = '{c['id']}' AND type = 'case.updated'") == 1
    assert count("audit_events", f"case_id = '{c['id']}' AND action = 'case.update'") == 1
    # stale ETag after the change
    expect_problem(api.patch(url, tok, {"request": {"urgency": "soon"}}, headers={"If-Match": '"1"'}), 412)


@test
def patch_is_validated_and_stores_nothing_when_refused():
    c, tok, _ = create_case()
    url = f"/v1/cases/{c['id']}"
    for patch, field in (({"status": "closed"}, "status"), ({"patient": {"sex": "x"}}, "patient.sex"),
                         ({"diagnosis": {"cancer_type": "nope"}}, "diagnosis.cancer_type"),
                         ({"request": {"reasons": ["other"]}}, "request.reason_other"),
                         ({"patient_subject": "stolen"}, "patient_subject"),
                         ({"nonsense": True}, "nonsense")):
        p = expect_problem(api.patch(url, tok, patch, headers={"If-Match": '"1"'}), 400, str(patch))
        assert field in [e["field"] for e in p["errors"]], (field, p)
    expect_problem(api.patch(url, tok, {}, headers={"If-Match": '"1"'}), 400)
    assert sql(f"SELECT version FROM cases WHERE id = '{c['id']}'") == [["1"]]


@test
def concurrent_patches_exactly_one_wins():
    c, tok, _ = create_case()
    url = f"/v1/cases/{c['id']}"
    results = []

    def go(i):
        results.append(api.patch(url, tok, {"request": {"questions": [f"question {i}"]}},
                                 headers={"If-Match": '"1"'}).status)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(200) == 1, results
    assert all(s in (200, 412) for s in results), results
    assert sql(f"SELECT version FROM cases WHERE id = '{c['id']}'") == [["2"]]


def add_records(case_id, kinds=("pathology_report", "imaging"), meds=1):
    """Inserts record rows directly; the records API has its own tests."""
    for kind in kinds:
        sql(f"""INSERT INTO documents (case_id, kind, media_type, size_bytes, sha256, uploaded_by_sub, uploaded_by_role)
                VALUES ('{case_id}', '{kind}', 'application/pdf', 10, repeat('a', 64), 'fixture', 'navigator')""")
    for i in range(meds):
        sql(f"INSERT INTO medications (case_id, drug, created_by_sub) VALUES ('{case_id}', 'tamoxifen', 'fixture')")


@test
def checklist_reports_missing_records_and_submit_refuses_until_complete():
    c, tok, _ = create_case()
    cid = c["id"]
    cl = expect(api.get(f"/v1/cases/{cid}/checklist", tok), 200).json
    assert cl["can_submit"] is False
    assert set(cl["missing"]) == {"pathology_report", "imaging", "medication_list"}, cl
    plan = [i for i in cl["items"] if i["item"] == "treatment_plan"][0]
    assert plan["present"] and plan["satisfied_by"] == "case_treatment_plan"
    p = expect_problem(api.post(f"/v1/cases/{cid}/submit", tok), 409)
    assert set(p["missing"]) == {"pathology_report", "imaging", "medication_list"}
    assert sql(f"SELECT status FROM cases WHERE id = '{cid}'") == [["draft"]]
    add_records(cid)
    cl = expect(api.get(f"/v1/cases/{cid}/checklist", tok), 200).json
    assert cl["can_submit"] is True and cl["missing"] == []
    r = expect(api.post(f"/v1/cases/{cid}/submit", tok), 200)
    assert r.json["status"] == "submitted" and r.json["submitted_at"]
    assert count("events", f"case_id = '{cid}' AND type = 'case.submitted'") == 1
    # submitting twice is a conflict
    expect_problem(api.post(f"/v1/cases/{cid}/submit", tok), 409)


@test
def blood_cancers_do_not_need_imaging():
    body = case_body()
    body["diagnosis"]["cancer_type"] = "aml"
    c, tok, _ = create_case(body=body)
    cl = expect(api.get(f"/v1/cases/{c['id']}/checklist", tok), 200).json
    assert "imaging" not in cl["missing"]
    assert [i for i in cl["items"] if i["item"] == "imaging"][0]["required"] is False


@test
def workflow_history_withdraw_and_close():
    c, tok, _ = create_case()
    cid = c["id"]
    add_records(cid)
    expect(api.post(f"/v1/cases/{cid}/submit", tok), 200)
    expect_problem(api.post(f"/v1/cases/{cid}/close", tok), 409)  # not opinion_ready
    r = expect(api.post(f"/v1/cases/{cid}/withdraw", tok, {"note": "Decided to stay with my oncologist."}), 200)
    assert r.json["status"] == "withdrawn" and r.json["closed_at"]
    expect_problem(api.post(f"/v1/cases/{cid}/withdraw", tok), 409)
    expect_problem(api.patch(f"/v1/cases/{cid}", tok, {"request": {"urgency": "routine"}},
                             headers={"If-Match": r.headers["etag"]}), 409)
    h = expect(api.get(f"/v1/cases/{cid}/history", tok), 200).json["items"]
    assert [(x["from_status"], x["to_status"]) for x in h] == [(None, "draft"), ("draft", "submitted"),
                                                             ("submitted", "withdrawn")]
    assert h[2]["note"] == "Decided to stay with my oncologist." and h[2]["actor"]["role"] == "patient"
    expect_problem(api.post(f"/v1/cases/{cid}/withdraw", tok, {"note": 5}), 400)
    # opinion_ready -> closed (the opinion module moves cases there; set it directly here)
    c2, tok2, _ = create_case()
    sql(f"UPDATE cases SET status = 'opinion_ready' WHERE id = '{c2['id']}'")
    r = expect(api.post(f"/v1/cases/{c2['id']}/close", token("navigator")), 200)
    assert r.json["status"] == "closed"
    assert count("events", f"case_id = '{c2['id']}' AND type = 'case.closed'") == 1


@test
def withdraw_releases_a_live_assignment():
    c, tok, _ = create_case()
    inst = sql("SELECT id FROM institutions WHERE patient_care LIMIT 1")[0][0]
    spec = sql(f"""INSERT INTO specialists (name, specialty, institution_id, turnaround_days, capacity, open_cases)
                   VALUES ('Dr. Fixture', 'medical_oncology', '{inst}', 7, 5, 1) RETURNING id""")[0][0]
    sql(f"""INSERT INTO assignments (case_id, specialist_id, status, due_at, created_by_sub)
            VALUES ('{c['id']}', '{spec}', 'accepted', now() + interval '7 days', 'fixture')""")
    # the assigned specialist can now see the case
    expect(api.get(f"/v1/cases/{c['id']}", token("specialist", specialist_id=spec)), 200)
    expect(api.post(f"/v1/cases/{c['id']}/withdraw", tok), 200)
    assert sql(f"SELECT status FROM assignments WHERE case_id = '{c['id']}'") == [["cancelled"]]
    assert sql(f"SELECT open_cases FROM specialists WHERE id = '{spec}'") == [["0"]]
    expect_problem(api.get(f"/v1/cases/{c['id']}", token("specialist", specialist_id=spec)), 404)


@test
def vocabularies_are_served():
    r = expect(api.get("/v1/cancer-types", token("patient")), 200).json["items"]
    assert len(r) == 60
    sclc = [x for x in r if x["code"] == "sclc"][0]
    assert sclc == {"code": "sclc", "name": "Small cell lung cancer", "icd10_range": "C34",
                    "category": "solid_tumor", "rare": True}
    r = expect(api.get("/v1/specialties", token("specialist")), 200).json["items"]
    assert len(r) == 16 and {"code": "medical_oncology", "name": "Medical Oncology",
                             "nucc_taxonomy": "207RX0202X"} in r
    expect_problem(api.get("/v1/cancer-types"), 401)


@test
def query_id_cannot_shadow_path_id():
    c, tok, _ = create_case()
    other, _, _ = create_case()
    expect_problem(api.get(f"/v1/cases/{c['id']}?id={other['id']}", tok), 400)
