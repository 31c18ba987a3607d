"""Opinions: the whole journey from intake to an acknowledged opinion driven as
patient, navigator and specialist would; drafts and who sees them; signing
(once); amendments; acknowledgement; third opinions; the PDF report."""
import shutil
import subprocess
import threading
import uuid

from lib.fixtures import case_body
from lib.harness import api, count, expect, expect_problem, sql, token, test
from lib.review import QUESTIONS, Journey, add_records, in_review, make_specialist, opinion_body, signed


def pdf_text(data):
    assert shutil.which("pdftotext"), "pdftotext is missing: run scripts/deps.sh (poppler-utils)"
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode("utf-8")


@test
def whole_journey_from_intake_to_acknowledged_opinion():
    # patient: intake and submission
    patient_sub = f"patient-{uuid.uuid4().hex[:12]}"
    patient = token("patient", sub=patient_sub)
    c = expect(api.post("/v1/cases", patient, case_body()), 201).json
    cid = c["id"]
    add_records(cid)
    expect(api.post(f"/v1/cases/{cid}/submit", patient), 200)
    # navigator: finds a specialist and assigns
    navigator = token("navigator")
    spec = make_specialist(turnaround_days=7)
    a = expect(api.post(f"/v1/cases/{cid}/assignments", navigator, {"specialist_id": spec.id}), 201).json
    # specialist: worklist, accept, read the case, draft, revise, sign
    work = expect(api.get("/v1/assignments?status=offered", spec.token), 200).json["items"]
    assert [x["id"] for x in work] == [a["id"]]
    expect(api.post(f"/v1/assignments/{a['id']}/accept", spec.token), 200)
    case_seen = expect(api.get(f"/v1/cases/{cid}", spec.token), 200).json
    assert case_seen["status"] == "in_review"
    draft_body = opinion_body(narrative=None, attestation=None)
    r = expect(api.post(f"/v1/cases/{cid}/opinions", spec.token, draft_body), 201)
    op = r.json
    oid = op["id"]
    assert r.headers["location"] == f"/v1/opinions/{oid}"
    assert op["status"] == "draft" and op["case_id"] == cid and op["round"] == 1
    assert op["assignment_id"] == a["id"] and op["reviewer"]["specialist_id"] == spec.id
    assert op["signed_at"] is None and op["amendments"] == [] and op["narrative"] is None
    etag = r.headers["etag"]
    # the patient cannot see the draft yet
    assert expect(api.get(f"/v1/cases/{cid}/opinions", patient), 200).json["items"] == []
    expect_problem(api.get(f"/v1/opinions/{oid}", patient), 404)
    p = expect_problem(api.post(f"/v1/opinions/{oid}/sign", spec.token, headers={"If-Match": etag}), 409)
    assert {"narrative", "attestation"} <= {e["field"] for e in p["errors"]}, p
    r = expect(api.patch(f"/v1/opinions/{oid}", spec.token,
                         {"narrative": opinion_body()["narrative"], "attestation": opinion_body()["attestation"]},
                         headers={"If-Match": etag}), 200)
    assert r.json["version"] == 2 and r.json["narrative"] == opinion_body()["narrative"]
    assert r.json["diagnosis"] == draft_body["diagnosis"], "untouched members are kept"
    r = expect(api.post(f"/v1/opinions/{oid}/sign", spec.token, headers={"If-Match": r.headers["etag"]}), 200)
    signed_op = r.json
    assert signed_op["status"] == "signed" and signed_op["signed_at"]
    assert sql(f"SELECT status FROM cases WHERE id = '{cid}'") == [["opinion_ready"]]
    assert sql(f"SELECT status FROM assignments WHERE id = '{a['id']}'") == [["completed"]]
    assert spec.open_cases() == 0, "completion gives the slot back"
    # the completed reviewer still sees the case and their opinion
    expect(api.get(f"/v1/cases/{cid}", spec.token), 200)
    # patient: reads the opinion and the report, acknowledges
    items = expect(api.get(f"/v1/cases/{cid}/opinions", patient), 200).json["items"]
    assert [x["id"] for x in items] == [oid] and items[0]["round"] == 1
    g = expect(api.get(f"/v1/opinions/{oid}", patient), 200)
    assert g.json == signed_op and g.headers["etag"] == r.headers["etag"]
    pdf = expect(api.get(f"/v1/opinions/{oid}", patient, headers={"Accept": "application/pdf"}), 200)
    assert pdf.body.startswith(b"%PDF-")
    k = expect(api.post(f"/v1/cases/{cid}/acknowledge", patient), 201).json
    assert k["case_id"] == cid and k["opinion_id"] == oid and k["patient_subject"] == patient_sub
    assert expect(api.get(f"/v1/cases/{cid}/acknowledgement", navigator), 200).json == k
    # navigator closes the case
    expect(api.post(f"/v1/cases/{cid}/close", navigator), 200)
    h = expect(api.get(f"/v1/cases/{cid}/history", patient), 200).json["items"]
    assert [x["to_status"] for x in h] == ["draft", "submitted", "in_review", "opinion_ready", "closed"]
    types = [t for (t,) in sql(f"SELECT type FROM events WHERE case_id = '{cid}' ORDER BY id")]
    assert types == ["case.created", "case.submitted", "assignment.created", "assignment.accepted",
                     "case.review_started", "opinion.created", "opinion.updated", "opinion.signed",
                     "assignment.completed", "case.opinion_ready", "case.acknowledged", "case.closed"], types
    for action in ("opinion.create", "opinion.update", "opinion.sign", "opinion.read", "opinion.report.read",
                   "case.acknowledge"):
        assert count("audit_events", f"case_id = '{cid}' AND action = '{action}' AND outcome = 'success'") >= 1, action


@test
def a_specialist_not_assigned_is_404_on_the_case_and_its_opinions():
    j = signed()
    stranger = make_specialist()
    expect_problem(api.get(f"/v1/cases/{j.case_id}", stranger.token), 404)
    expect_problem(api.get(f"/v1/cases/{j.case_id}/opinions", stranger.token), 404)
    expect_problem(api.get(f"/v1/opinions/{j.opinion_id}", stranger.token), 404)
    expect_problem(api.get(f"/v1/opinions/{j.opinion_id}", stranger.token, headers={"Accept": "application/pdf"}), 404)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/opinions", stranger.token, opinion_body()), 404)
    expect_problem(api.post(f"/v1/opinions/{j.opinion_id}/amendments", stranger.token,
                            {"reason": "Not mine to fix", "narrative": "x"}), 404)
    # other patients too
    other = token("patient")
    expect_problem(api.get(f"/v1/opinions/{j.opinion_id}", other), 404)
    expect_problem(api.get(f"/v1/cases/{j.case_id}/opinions", other), 404)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/acknowledge", other), 404)
    assert count("audit_events", f"resource_id = '{j.opinion_id}' AND outcome = 'not_found'") >= 2


@test
def drafts_are_for_their_author_and_staff_only():
    j = in_review().draft()
    expect(api.get(f"/v1/opinions/{j.opinion_id}", j.specialist.token), 200)
    expect(api.get(f"/v1/opinions/{j.opinion_id}", j.navigator), 200)
    expect(api.get(f"/v1/opinions/{j.opinion_id}", token("admin")), 200)
    assert [x["id"] for x in expect(api.get(f"/v1/cases/{j.case_id}/opinions", j.navigator), 200).json["items"]] \
        == [j.opinion_id]
    expect_problem(api.get(f"/v1/opinions/{j.opinion_id}", j.patient), 404)
    assert expect(api.get(f"/v1/cases/{j.case_id}/opinions", j.patient), 200).json["items"] == []
    # staff read drafts but do not write opinions
    expect_problem(api.patch(f"/v1/opinions/{j.opinion_id}", j.navigator, {"narrative": "x"},
                             headers={"If-Match": j.etag}), 403)
    expect_problem(api.post(f"/v1/opinions/{j.opinion_id}/sign", j.navigator, headers={"If-Match": j.etag}), 403)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/opinions", j.navigator, opinion_body()), 403)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/opinions", j.patient, opinion_body()), 403)


@test
def only_the_accepted_specialist_drafts_and_only_once():
    j = Journey().submit().assign()
    # offered, not accepted: the case is not in review yet
    p = expect_problem(api.post(f"/v1/cases/{j.case_id}/opinions", j.specialist.token, opinion_body()), 409)
    assert "in_review" in p["detail"]
    j.accept().draft(body={})
    p = expect_problem(api.post(f"/v1/cases/{j.case_id}/opinions", j.specialist.token, opinion_body()), 409)
    assert p["type"].endswith("/opinion-exists") and p["opinion_id"] == j.opinion_id
    assert count("opinions", f"case_id = '{j.case_id}'") == 1


@test
def opinion_bodies_are_validated_and_refusals_store_nothing():
    j = in_review()
    url = f"/v1/cases/{j.case_id}/opinions"
    cases = [
        (opinion_body(concordance="mostly_agree"), "concordance"),
        (opinion_body(diagnosis={"cancer_type": "no_such_cancer"}), "diagnosis.cancer_type"),
        (opinion_body(diagnosis={"stage": {"group": "II"}}), "diagnosis.cancer_type"),
        (opinion_body(diagnosis={"cancer_type": "breast", "stage": {"unknown": True, "group": "II"}}),
         "diagnosis.stage"),
        (opinion_body(diagnosis={"cancer_type": "breast", "stage": {"system": "tnm9", "group": "II"}}),
         "diagnosis.stage.system"),
        (opinion_body(clinical_trials=[{"id": "NCT123", "title": "Short id"}]), "clinical_trials[0].id"),
        (opinion_body(clinical_trials=[{"id": "NCTABCDEFGH", "title": "Letters"}]), "clinical_trials[0].id"),
        (opinion_body(clinical_trials=[{"id": "NCT03155997", "title": "A"}, {"id": "NCT03155997", "title": "B"}]),
         "clinical_trials[1].id"),
        (opinion_body(clinical_trials=[{"id": "NCT03155997"}]), "clinical_trials[0].title"),
        (opinion_body(additional_tests=[{"rationale": "why"}]), "additional_tests[0].name"),
        (opinion_body(answers=[{"question": "Q?"}]), "answers[0].answer"),
        (opinion_body(attestation={"statement": "short", "reviewed_materials": ["imaging"]}), "attestation.statement"),
        (opinion_body(attestation={"statement": "I personally reviewed everything here.", "reviewed_materials": []}),
         "attestation.reviewed_materials"),
        (opinion_body(attestation={"statement": "I personally reviewed everything here.",
                                   "reviewed_materials": ["tea_leaves"]}), "attestation.reviewed_materials[0]"),
        (opinion_body(narrative="x" * 20001), "narrative"),
        (opinion_body(treatment_recommendation=12), "treatment_recommendation"),
        (opinion_body(status="signed"), "status"),
        (opinion_body(signed_at="2026-01-01T00:00:00Z"), "signed_at"),
        (opinion_body(reviewer={"name": "Someone else"}), "reviewer"),
        (opinion_body(secret_notes="x"), "secret_notes"),
    ]
    for body, field in cases:
        p = expect_problem(api.post(url, j.specialist.token, body), 400, field)
        assert field in [e["field"] for e in p.get("errors", [])], (field, p)
    expect_problem(api.request("POST", url, j.specialist.token, body=b"[]", content_type="application/json"), 400)
    expect_problem(api.request("POST", url, j.specialist.token, body=b"{}", content_type="text/plain"), 415)
    assert count("opinions", f"case_id = '{j.case_id}'") == 0
    assert count("events", f"case_id = '{j.case_id}' AND type LIKE 'opinion.%'") == 0


@test
def signing_needs_a_complete_draft_and_the_current_etag():
    j = in_review().draft(body=opinion_body(answers=[], treatment_recommendation=None))
    url = f"/v1/opinions/{j.opinion_id}/sign"
    expect_problem(api.post(url, j.specialist.token), 428)
    expect_problem(api.post(url, j.specialist.token, headers={"If-Match": '"7-0"'}), 412)
    p = expect_problem(api.post(url, j.specialist.token, headers={"If-Match": j.etag}), 409)
    assert p["type"].endswith("/opinion-incomplete")
    fields = [e["field"] for e in p["errors"]]
    assert "treatment_recommendation" in fields and "answers" in fields, p
    assert QUESTIONS[0] not in p["detail"] and QUESTIONS[0] not in str(p["errors"]), "no patient words in problems"
    assert sql(f"SELECT status FROM opinions WHERE id = '{j.opinion_id}'") == [["draft"]]
    assert j.status() == "in_review"
    # insufficient records: no diagnosis or treatment is needed
    r = expect(api.patch(f"/v1/opinions/{j.opinion_id}", j.specialist.token,
                         {"concordance": "insufficient_records", "diagnosis": None,
                          "answers": [{"question": QUESTIONS[0], "answer": "I cannot say without the slides."}]},
                         headers={"If-Match": j.etag}), 200)
    j.etag = r.headers["etag"]
    j.sign()
    assert j.status() == "opinion_ready"


@test
def signing_twice_and_changing_a_signed_opinion_are_409():
    j = signed()
    before = sql(f"SELECT version, narrative, updated_at FROM opinions WHERE id = '{j.opinion_id}'")
    p = expect_problem(api.post(f"/v1/opinions/{j.opinion_id}/sign", j.specialist.token,
                                headers={"If-Match": j.etag}), 409)
    assert p["type"].endswith("/opinion-signed")
    p = expect_problem(api.patch(f"/v1/opinions/{j.opinion_id}", j.specialist.token, {"narrative": "Changed my mind."},
                                 headers={"If-Match": j.etag}), 409)
    assert "amendment" in p["detail"]
    expect_problem(api.post(f"/v1/cases/{j.case_id}/opinions", j.specialist.token, opinion_body()), 409)
    assert sql(f"SELECT version, narrative, updated_at FROM opinions WHERE id = '{j.opinion_id}'") == before
    assert count("events", f"type = 'opinion.signed' AND subject_id = '{j.opinion_id}'") == 1
    # the database refuses too, whoever asks
    try:
        sql(f"UPDATE opinions SET narrative = 'tampered' WHERE id = '{j.opinion_id}'")
        raise AssertionError("a signed opinion was updated in SQL")
    except AssertionError as e:
        assert "signed and cannot change" in str(e), e
    try:
        sql(f"DELETE FROM opinions WHERE id = '{j.opinion_id}'")
        raise AssertionError("a signed opinion was deleted in SQL")
    except AssertionError as e:
        assert "signed and cannot change" in str(e), e


@test
def draft_patches_need_if_match_and_are_validated():
    j = in_review().draft(body={"concordance": "agree"})
    url = f"/v1/opinions/{j.opinion_id}"
    expect_problem(api.patch(url, j.specialist.token, {"narrative": "n"}), 428)
    expect_problem(api.patch(url, j.specialist.token, {"narrative": "n"}, headers={"If-Match": '"1"'}), 412)
    for patch, field in (({"concordance": "maybe"}, "concordance"), ({"version": 3}, "version"),
                         ({"clinical_trials": [{"id": "NCT1", "title": "t"}]}, "clinical_trials[0].id"),
                         ({"diagnosis": {"cancer_type": "nope"}}, "diagnosis.cancer_type")):
        p = expect_problem(api.patch(url, j.specialist.token, patch, headers={"If-Match": j.etag}), 400)
        assert field in [e["field"] for e in p["errors"]], (field, p)
    expect_problem(api.patch(url, j.specialist.token, {}, headers={"If-Match": j.etag}), 400)
    expect_problem(api.patch(url, make_specialist().token, {"narrative": "n"}, headers={"If-Match": j.etag}), 404)
    assert sql(f"SELECT version, concordance FROM opinions WHERE id = '{j.opinion_id}'") == [["1", "agree"]]
    r = expect(api.patch(url, j.specialist.token, {"concordance": None, "narrative": "Working notes."},
                         headers={"If-Match": j.etag}), 200)
    assert r.json["concordance"] is None and r.json["narrative"] == "Working notes."
    assert count("events", f"type = 'opinion.updated' AND subject_id = '{j.opinion_id}'") == 1


@test
def concurrent_signatures_sign_once():
    j = in_review().draft()
    results = []

    def go():
        results.append(api.post(f"/v1/opinions/{j.opinion_id}/sign", j.specialist.token,
                                headers={"If-Match": j.etag}).status)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409, 409, 409], results
    assert count("events", f"type = 'opinion.signed' AND subject_id = '{j.opinion_id}'") == 1
    assert j.specialist.open_cases() == 0


@test
def amendments_keep_the_original_and_are_signed_by_the_author():
    j = signed()
    url = f"/v1/opinions/{j.opinion_id}/amendments"
    original = expect(api.get(f"/v1/opinions/{j.opinion_id}", j.patient), 200).json
    for body, field in (({}, "reason"), ({"reason": "Typo fix"}, "changes"),
                        ({"reason": "Fixing it", "changes": {}}, "changes"),
                        ({"reason": "Fixing it", "changes": {"concordance": "sort_of"}}, "changes.concordance"),
                        ({"reason": "Fixing it", "changes": {"diagnosis": {"cancer_type": "nope"}}},
                         "changes.diagnosis.cancer_type"),
                        ({"reason": "Fixing it", "changes": {"attestation": {}}}, "changes.attestation"),
                        ({"reason": "Fixing it", "narrative": "x", "seq": 4}, "seq")):
        p = expect_problem(api.post(url, j.specialist.token, body), 400, str(body))
        assert field in [e["field"] for e in p["errors"]], (field, p)
    expect_problem(api.post(url, j.navigator, {"reason": "Staff fix", "narrative": "x"}), 403)
    assert count("opinion_amendments", f"opinion_id = '{j.opinion_id}'") == 0
    r = expect(api.post(url, j.specialist.token,
                        {"reason": "Nodal status corrected after re-reading the ultrasound.",
                         "changes": {"concordance": "major_change",
                                     "diagnosis": {"cancer_type": "breast",
                                                   "stage": {"system": "ajcc8", "group": "IIB"}}},
                         "narrative": "One axillary node is suspicious; I recommend biopsy before surgery."}), 201)
    m1 = r.json
    assert m1["seq"] == 1 and m1["opinion_id"] == j.opinion_id and m1["signed_at"]
    assert m1["specialist_id"] == j.specialist.id
    assert r.headers["location"] == f"/v1/opinions/{j.opinion_id}"
    m2 = expect(api.post(url, j.specialist.token, {"reason": "Added a trial.", "changes": {
        "clinical_trials": [{"id": "NCT04191135", "title": "Neoadjuvant endocrine therapy trial"}]}}), 201).json
    assert m2["seq"] == 2
    g = expect(api.get(f"/v1/opinions/{j.opinion_id}", j.patient), 200)
    now = g.json
    assert [m["seq"] for m in now["amendments"]] == [1, 2]
    assert {k: v for k, v in now.items() if k != "amendments"} == \
        {k: v for k, v in original.items() if k != "amendments"}, "the original stays as signed"
    assert g.headers["etag"] != j.etag
    assert count("events", f"type = 'opinion.amended' AND subject_id = '{j.opinion_id}'") == 2
    assert count("audit_events", f"action = 'opinion.amend' AND resource_id = '{j.opinion_id}'") == 2
    text = pdf_text(expect(api.get(f"/v1/opinions/{j.opinion_id}", j.patient,
                                   headers={"Accept": "application/pdf"}), 200).body)
    assert "Amendment 1" in text and "Amendment 2" in text and "NCT04191135" in text
    assert "Major change" in text
    # the amendment table is append-only for the service
    assert count("opinion_amendments", f"opinion_id = '{j.opinion_id}'") == 2


@test
def drafts_are_not_amended():
    j = in_review().draft()
    p = expect_problem(api.post(f"/v1/opinions/{j.opinion_id}/amendments", j.specialist.token,
                                {"reason": "Early fix", "narrative": "x"}), 409)
    assert p["type"].endswith("/opinion-not-signed")


@test
def pdf_report_is_readable_and_negotiated():
    body = case_body()
    body["patient"]["name"] = "Zo\u00eb \u0141ukasiewicz-Nguy\u1ec5n"
    j = in_review(body=body).draft(body=opinion_body(
        narrative="Ki-67 \u2265 20%, TGF-\u03b2 pathway \u2014 see notes. \u4e2d\u6587 and emoji \U0001F600.")).sign()
    url = f"/v1/opinions/{j.opinion_id}"
    r = expect(api.get(url, j.patient, headers={"Accept": "application/pdf"}), 200)
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("inline")
    assert r.headers.get("vary") == "Accept"
    assert r.body.startswith(b"%PDF-")
    text = pdf_text(r.body)
    assert "Zo\u00eb \u0141ukasiewicz" not in text  # \u0141 is outside WinAnsi ...
    assert "Zo\u00eb Lukasiewicz-Nguyen" in text, text[:400]  # ... and is transliterated
    assert "1968-04-12" in text and j.case_id in text
    assert "Minor change to the original diagnosis or treatment plan" in text
    assert j.specialist.name in text and "Medical Oncology" in text
    assert "Oncotype DX" in text and "NCT03155997" in text and QUESTIONS[0] in text
    assert "Ki-67 >= 20%, TGF-beta pathway" in text
    assert "?? and emoji ?." in text, "what cannot be transliterated is replaced"
    assert "Attestation" in text and "Signed" in text
    assert count("audit_events", f"action = 'opinion.report.read' AND resource_id = '{j.opinion_id}'") == 1
    # the treating physician's copy via staff; reports render side by side
    results = []

    def fetch():
        results.append(api.get(url, j.navigator, headers={"Accept": "application/pdf"}))

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in results] == [200] * 6, [r.status for r in results]
    assert all(pdf_text(r.body) == text for r in results)
    # negotiation
    for accept, kind in (("application/json", "json"), ("*/*", "json"), ("application/*", "json"),
                         ("application/pdf, */*;q=0.1", "pdf"), ("application/json;q=0.4, application/pdf", "pdf"),
                         ("application/pdf;q=0.2, application/json;q=0.9", "json"),
                         ("application/pdf, */*", "pdf"), ("text/html, application/PDF;q=0.5", "pdf"),
                         ("application/pdf;q=0, */*", "json")):
        r = expect(api.get(url, j.patient, headers={"Accept": accept}), 200, accept)
        got = "pdf" if r.body.startswith(b"%PDF-") else "json"
        assert got == kind and r.headers["content-type"].startswith("application/" + kind), (accept, got)
    for accept in ("text/html", "image/png, text/*", "application/json;q=0, application/pdf;q=0"):
        p = expect_problem(api.get(url, j.patient, headers={"Accept": accept}), 406, accept)
        assert p["type"].endswith("/not-acceptable")


@test
def pdf_report_carries_the_opinions_etag():
    """Issue 15 item 6: the contract promises an ETag on every 200 of
    GET /v1/opinions/{id}; the report is a representation of the opinion,
    so it carries the opinion's, and follows it when an amendment lands."""
    j = signed()
    url = f"/v1/opinions/{j.opinion_id}"
    as_json = expect(api.get(url, j.patient), 200)
    pdf = expect(api.get(url, j.patient, headers={"Accept": "application/pdf"}), 200)
    assert pdf.body.startswith(b"%PDF-")
    assert pdf.headers.get("etag") == as_json.headers["etag"] == j.etag, (pdf.headers, as_json.headers)
    expect(api.post(f"{url}/amendments", j.specialist.token,
                    {"reason": "Recurrence score came back low.", "changes": {
                        "treatment_recommendation": "Surgery, then endocrine therapy alone."}}), 201)
    after = expect(api.get(url, j.patient), 200).headers["etag"]
    assert after != j.etag
    pdf = expect(api.get(url, j.patient, headers={"Accept": "application/pdf"}), 200)
    assert pdf.headers.get("etag") == after


@test
def drafts_have_no_pdf_report():
    j = in_review().draft()
    p = expect_problem(api.get(f"/v1/opinions/{j.opinion_id}", j.specialist.token,
                               headers={"Accept": "application/pdf"}), 409)
    assert "draft" in p["detail"]


@test
def acknowledgement_is_the_patients_and_happens_once():
    j = in_review().draft()
    expect_problem(api.post(f"/v1/cases/{j.case_id}/acknowledge", j.patient), 409)  # nothing signed yet
    expect_problem(api.get(f"/v1/cases/{j.case_id}/acknowledgement", j.patient), 404)
    j.sign()
    expect_problem(api.post(f"/v1/cases/{j.case_id}/acknowledge", j.navigator), 403)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/acknowledge", j.specialist.token), 403)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/acknowledge", token("patient")), 404)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/acknowledge", j.patient, {"note": "thanks"}), 400)
    assert count("acknowledgements", f"case_id = '{j.case_id}'") == 0
    results = []

    def go():
        results.append(api.post(f"/v1/cases/{j.case_id}/acknowledge", j.patient))

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == [200, 200, 200, 201], [r.status for r in results]
    assert len({r.json["id"] for r in results}) == 1
    # the 201 says where the acknowledgement is read (issue 15 item 6); the
    # 200s found it there already
    ack = f"/v1/cases/{j.case_id}/acknowledgement"
    assert [r.headers.get("location") for r in results if r.status == 201] == [ack], \
        [(r.status, r.headers.get("location")) for r in results]
    assert expect(api.get(ack, j.patient), 200).json == results[0].json
    assert count("acknowledgements", f"case_id = '{j.case_id}'") == 1
    assert count("events", f"type = 'case.acknowledged' AND case_id = '{j.case_id}'") == 1
    expect(api.get(f"/v1/cases/{j.case_id}/acknowledgement", j.specialist.token), 200)


@test
def third_opinion_opens_a_linked_round_for_the_next_reviewer():
    j = signed()
    first = j.opinion_id
    # not before the opinion is ready; not by a specialist; not on another's case
    early = in_review()
    expect_problem(api.post(f"/v1/cases/{early.case_id}/third-opinion", early.patient), 409)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/third-opinion", j.specialist.token), 403)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/third-opinion", token("patient")), 404)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/third-opinion", j.patient, {"questions": "one"}), 400)
    assert count("cases", f"parent_case_id = '{j.case_id}'") == 0
    r = expect(api.post(f"/v1/cases/{j.case_id}/third-opinion", j.patient,
                        {"note": "The two opinions disagree.", "questions": ["Which plan should I follow?"]}), 201)
    new = r.json
    nid = new["id"]
    assert r.headers["location"] == f"/v1/cases/{nid}"
    assert new["round"] == 2 and new["parent_case_id"] == j.case_id and new["status"] == "submitted"
    assert new["patient_subject"] == j.patient_sub and new["submitted_at"]
    assert new["patient"] == expect(api.get(f"/v1/cases/{j.case_id}", j.patient), 200).json["patient"]
    assert new["request"]["questions"] == ["Which plan should I follow?"]
    # same records, copied with their bytes
    assert count("documents", f"case_id = '{nid}'") == count("documents", f"case_id = '{j.case_id}'") == 2
    assert count("medications", f"case_id = '{nid}'") == 1
    assert count("document_contents dc JOIN documents d ON d.id = dc.document_id", f"d.case_id = '{nid}'") == 2
    cl = expect(api.get(f"/v1/cases/{nid}/checklist", j.patient), 200).json
    assert cl["can_submit"] is True
    assert count("events", f"type = 'case.created' AND case_id = '{nid}'") == 1
    assert count("events", f"type = 'case.third_opinion_requested' AND case_id = '{j.case_id}' "
                           f"AND subject_id = '{nid}'") == 1
    expect_problem(api.post(f"/v1/cases/{j.case_id}/third-opinion", j.navigator), 409)  # one open round at a time
    # the next reviewer: assigned on the new case, reads the earlier round through it
    nxt = Journey.for_case(nid, j.patient_sub).assign().accept()
    items = expect(api.get(f"/v1/cases/{nid}/opinions", nxt.specialist.token), 200).json["items"]
    assert [(x["id"], x["round"], x["case_id"]) for x in items] == [(first, 1, j.case_id)]
    expect(api.get(f"/v1/opinions/{first}", nxt.specialist.token), 200)
    pdf = expect(api.get(f"/v1/opinions/{first}", nxt.specialist.token, headers={"Accept": "application/pdf"}), 200)
    assert pdf.body.startswith(b"%PDF-")
    expect_problem(api.get(f"/v1/cases/{j.case_id}", nxt.specialist.token), 404)  # not the earlier case itself
    expect_problem(api.post(f"/v1/opinions/{first}/amendments", nxt.specialist.token,
                            {"reason": "Not mine to amend", "narrative": "x"}), 404)
    # the earlier reviewer does not see the new round
    expect_problem(api.get(f"/v1/cases/{nid}", j.specialist.token), 404)
    nxt.draft(body=opinion_body(concordance="agree", answers=[
        {"question": "Which plan should I follow?", "answer": "Surgery first, as the second opinion said."}])).sign()
    items = expect(api.get(f"/v1/cases/{nid}/opinions", j.patient), 200).json["items"]
    assert [(x["round"], x["id"]) for x in items] == [(1, first), (2, nxt.opinion_id)]
    assert expect(api.post(f"/v1/cases/{nid}/acknowledge", j.patient), 201).json["opinion_id"] == nxt.opinion_id
    # staff can open a round too, once the latest one is ready
    r = expect(api.post(f"/v1/cases/{nid}/third-opinion", j.navigator), 201)
    assert r.json["round"] == 3 and r.json["created_by"]["role"] == "navigator"
    assert r.json["request"]["questions"] == ["Which plan should I follow?"], "questions are kept when not given"
