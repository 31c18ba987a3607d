"""Assignments: who may assign whom, capacity (including the race for the last
slot), accept/decline by the named specialist only, the case status that
follows, video consultations, worklists, events and audit."""
import threading
import uuid

from lib.fixtures import case_body
from lib.harness import api, count, expect, expect_problem, sql, token, test
from lib.review import Journey, make_specialist


def post_assignment(j, spec_id, tok=None, **extra):
    body = {"specialist_id": spec_id}
    body.update(extra)
    return api.post(f"/v1/cases/{j.case_id}/assignments", tok or j.navigator, body)


@test
def navigator_assigns_and_the_specialist_accepts():
    j = Journey().submit()
    spec = make_specialist(turnaround_days=10)
    r = expect(post_assignment(j, spec.id), 201)
    a = r.json
    assert r.headers["location"] == f"/v1/assignments/{a['id']}"
    assert r.headers["etag"] == '"1"'
    assert a["status"] == "offered" and a["case_id"] == j.case_id and a["version"] == 1
    assert a["specialist"]["id"] == spec.id and a["specialist"]["name"] == spec.name
    assert a["created_by"]["role"] == "navigator" and a["consultation"] is None
    # due date from the specialist's turnaround
    assert sql(f"SELECT due_at::date = (created_at + interval '10 days')::date FROM assignments "
               f"WHERE id = '{a['id']}'") == [["t"]]
    assert spec.open_cases() == 1
    assert count("events", f"type = 'assignment.created' AND subject_id = '{a['id']}' "
                           f"AND case_id = '{j.case_id}'") == 1
    assert count("audit_events", f"action = 'assignment.create' AND resource_id = '{a['id']}'") == 1
    # offered: the specialist may look at the case before answering
    expect(api.get(f"/v1/cases/{j.case_id}", spec.token), 200)
    assert j.status() == "submitted"
    r = expect(api.post(f"/v1/assignments/{a['id']}/accept", spec.token), 200)
    assert r.json["status"] == "accepted" and r.json["accepted_at"] and r.headers["etag"] == '"2"'
    assert j.status() == "in_review"
    assert spec.open_cases() == 1, "accepting keeps the slot it already holds"
    h = expect(api.get(f"/v1/cases/{j.case_id}/history", j.patient), 200).json["items"]
    assert (h[-1]["from_status"], h[-1]["to_status"], h[-1]["actor"]["role"]) == \
        ("submitted", "in_review", "specialist")
    assert count("events", f"type = 'assignment.accepted' AND subject_id = '{a['id']}'") == 1
    assert count("events", f"type = 'case.review_started' AND case_id = '{j.case_id}'") == 1
    expect_problem(api.post(f"/v1/assignments/{a['id']}/accept", spec.token), 409)
    expect_problem(api.post(f"/v1/assignments/{a['id']}/decline", spec.token, {"reason": "Too late now"}), 409)


@test
def events_carry_ids_not_patient_data():
    j = Journey().submit().assign().accept()
    rows = sql(f"SELECT type, subject_type, coalesce(subject_id::text, ''), coalesce(actor_role, '') "
               f"FROM events WHERE case_id = '{j.case_id}' ORDER BY id")
    assert [r[0] for r in rows] == ["case.created", "case.submitted", "assignment.created",
                                    "assignment.accepted", "case.review_started"], rows
    for _, _, subject, _ in rows:
        uuid.UUID(subject)


@test
def assignment_needs_a_submitted_case_and_a_valid_body():
    spec = make_specialist()
    draft = Journey()
    before = count("assignments")
    p = expect_problem(post_assignment(draft, spec.id), 409)
    assert "submitted" in p["detail"]
    j = Journey().submit()
    for body, field in (({}, "specialist_id"), ({"specialist_id": "nope"}, "specialist_id"),
                        ({"specialist_id": str(uuid.uuid4())}, "specialist_id"),
                        ({"specialist_id": spec.id, "status": "accepted"}, "status"),
                        ({"specialist_id": spec.id, "due_at": "2030-01-01T00:00:00Z"}, "due_at"),
                        ({"specialist_id": spec.id, "surprise": 1}, "surprise"),
                        ({"specialist_id": spec.id, "consultation": {"scheduled_at": "2030-01-01T10:00:00Z",
                                                                     "url": "http://meet.example.org/x"}},
                         "consultation.url"),
                        ({"specialist_id": spec.id, "consultation": {"scheduled_at": "2020-01-01T10:00:00Z",
                                                                     "url": "https://meet.example.org/x"}},
                         "consultation.scheduled_at"),
                        ({"specialist_id": spec.id, "consultation": {"url": "https://meet.example.org/x"}},
                         "consultation.scheduled_at"),
                        ({"specialist_id": spec.id, "consultation": {"scheduled_at": "2030-01-01T10:00:00Z",
                                                                     "url": "https://meet.example.org/x",
                                                                     "duration_minutes": 5}},
                         "consultation.duration_minutes")):
        p = expect_problem(api.post(f"/v1/cases/{j.case_id}/assignments", j.navigator, body), 400, str(body))
        assert field in [e["field"] for e in p["errors"]], (field, p)
    expect_problem(api.request("POST", f"/v1/cases/{j.case_id}/assignments", j.navigator, body=b"{",
                               content_type="application/json"), 400)
    expect_problem(api.request("POST", f"/v1/cases/{j.case_id}/assignments", j.navigator,
                               body=b"specialist_id=x", content_type="text/plain"), 415)
    assert count("assignments") == before
    assert spec.open_cases() == 0
    assert j.status() == "submitted"


@test
def roles_and_visibility_for_assigning():
    spec = make_specialist()
    j = Journey().submit()
    before = count("assignments")
    expect_problem(post_assignment(j, spec.id, tok=spec.token), 403)
    expect_problem(post_assignment(j, spec.id, tok=token("patient")), 404)  # another patient's case
    expect_problem(api.post(f"/v1/cases/{uuid.uuid4()}/assignments", j.navigator, {"specialist_id": spec.id}), 404)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/assignments", None, {"specialist_id": spec.id}), 401)
    assert count("assignments") == before
    assert count("audit_events", f"case_id = '{j.case_id}' AND outcome = 'not_found'") >= 1
    expect(post_assignment(j, spec.id, tok=token("admin")), 201)


@test
def one_live_assignment_per_case():
    j = Journey().submit().assign()
    other = make_specialist()
    p = expect_problem(post_assignment(j, other.id), 409)
    assert p["type"].endswith("/case-already-assigned") and p["assignment_id"] == j.assignment_id
    assert other.open_cases() == 0


@test
def unavailable_specialists_are_refused():
    j = Journey().submit()
    full = make_specialist(capacity=2, open_cases=2)
    paused = make_specialist(accepting=False)
    retired = make_specialist(retired=True)
    for spec in (full, paused, retired):
        p = expect_problem(post_assignment(j, spec.id), 409)
        assert p["type"].endswith("/specialist-unavailable"), p
    assert full.open_cases() == 2
    assert count("assignments", f"case_id = '{j.case_id}'") == 0


@test
def patient_may_choose_only_one_of_their_matches():
    j = Journey().submit()
    melanoma_only = make_specialist(cancer_types=("melanoma",))
    lab_only = make_specialist(patient_care=False)
    full = make_specialist(capacity=1, open_cases=1)
    for spec in (melanoma_only, lab_only, full):
        p = expect_problem(post_assignment(j, spec.id, tok=j.patient), 409)
        assert p["type"].endswith("/not-a-match"), p
        assert spec.open_cases() == (1 if spec is full else 0)
    assert count("assignments", f"case_id = '{j.case_id}'") == 0
    # staff may assign outside the matches (they know things the filters do not)
    staff_pick = expect(post_assignment(j, melanoma_only.id), 201).json["id"]
    expect(api.post(f"/v1/assignments/{staff_pick}/decline", melanoma_only.token,
                    {"reason": "I do not review breast cancer."}), 200)
    match = make_specialist()
    r = expect(post_assignment(j, match.id, tok=j.patient), 201)
    assert r.json["created_by"] == {"subject": j.patient_sub, "role": "patient"}
    # another patient cannot assign on this case
    expect_problem(post_assignment(j, match.id, tok=token("patient")), 404)


def institution_in(state, city=None):
    where = f"state = '{state}'" + (f" AND city = '{city}'" if city else "")
    return sql(f"SELECT id FROM institutions WHERE patient_care AND retired_at IS NULL AND {where}"
               " AND latitude IS NOT NULL ORDER BY name LIMIT 1")[0][0]


@test
def patient_choice_keeps_the_travel_limit_of_the_matches():
    """The patient's pick is checked with the matcher's own hard filters,
    travel included: a case that will not travel past 50 km and does not
    accept telehealth (Houston) cannot choose a reviewer in Seattle, with or
    without telehealth, and the matches never list one."""
    body = case_body(preferences={"telehealth_ok": False, "max_travel_km": 50, "languages": ["es"]})
    j = Journey(body=body).submit()
    seattle = institution_in("WA", "Seattle")
    far = make_specialist(institution=seattle, telehealth=False)
    far_remote = make_specialist(institution=seattle, telehealth=True)
    near = make_specialist(institution=institution_in("TX", "Houston"), telehealth=False)
    listed = {i["specialist"]["id"] for i in
              expect(api.get(f"/v1/cases/{j.case_id}/matches?limit=50", j.navigator), 200).json["items"]}
    assert far.id not in listed and far_remote.id not in listed
    for spec in (far, far_remote):
        p = expect_problem(post_assignment(j, spec.id, tok=j.patient), 409)
        assert p["type"].endswith("/not-a-match"), p
        assert spec.open_cases() == 0
    assert count("assignments", f"case_id = '{j.case_id}'") == 0
    expect(post_assignment(j, near.id, tok=j.patient), 201)
    assert near.open_cases() == 1


@test
def only_the_named_specialist_answers_and_declining_frees_the_case():
    j = Journey().submit().assign()
    spec = j.specialist
    aid = j.assignment_id
    stranger = make_specialist()
    expect_problem(api.post(f"/v1/assignments/{aid}/accept", stranger.token), 404)
    expect_problem(api.post(f"/v1/assignments/{aid}/decline", stranger.token, {"reason": "Not mine at all"}), 404)
    expect_problem(api.get(f"/v1/assignments/{aid}", stranger.token), 404)
    expect_problem(api.post(f"/v1/assignments/{aid}/accept", j.navigator), 403)
    expect_problem(api.post(f"/v1/assignments/{aid}/accept", j.patient), 403)
    expect_problem(api.post(f"/v1/assignments/{uuid.uuid4()}/accept", spec.token), 404)
    expect_problem(api.post("/v1/assignments/not-a-uuid/accept", spec.token), 404)
    for body, field in (({}, "reason"), ({"reason": ""}, "reason"), ({"reason": 7}, "reason"),
                        ({"reason": "Busy", "extra": 1}, "extra")):
        p = expect_problem(api.post(f"/v1/assignments/{aid}/decline", spec.token, body), 400)
        assert field in [e["field"] for e in p["errors"]], p
    assert sql(f"SELECT status, version FROM assignments WHERE id = '{aid}'") == [["offered", "1"]]
    r = expect(api.post(f"/v1/assignments/{aid}/decline", spec.token,
                        {"reason": "Conflict of interest: I treated this patient."}), 200)
    assert r.json["status"] == "declined" and r.json["declined_at"]
    assert r.json["decline_reason"] == "Conflict of interest: I treated this patient."
    assert spec.open_cases() == 0
    assert j.status() == "submitted"
    assert count("events", f"type = 'assignment.declined' AND subject_id = '{aid}'") == 1
    assert count("audit_events", f"action = 'assignment.decline' AND resource_id = '{aid}'") == 1
    # declined: the case is no longer theirs to see
    expect_problem(api.get(f"/v1/cases/{j.case_id}", spec.token), 404)
    expect_problem(api.post(f"/v1/assignments/{aid}/accept", spec.token), 404)
    # staff see why; the patient sees that it was declined, not why
    assert expect(api.get(f"/v1/assignments/{aid}", j.navigator), 200).json["decline_reason"]
    assert expect(api.get(f"/v1/assignments/{aid}", j.patient), 200).json["decline_reason"] is None
    # the case is free for another specialist
    j.assign()
    assert expect(api.get(f"/v1/cases/{j.case_id}/assignments", j.navigator), 200).json["items"][-1]["id"] \
        == j.assignment_id


@test
def two_navigators_racing_for_the_last_slot_one_wins():
    for _ in range(4):
        spec = make_specialist(capacity=3, open_cases=2)
        cases = [Journey().submit() for _ in range(2)]
        navs = [token("navigator"), token("navigator")]
        barrier = threading.Barrier(2)
        results = [None, None]

        def go(i):
            barrier.wait()
            results[i] = api.post(f"/v1/cases/{cases[i].case_id}/assignments", navs[i], {"specialist_id": spec.id})

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.status for r in results) == [201, 409], results
        loser = [r for r in results if r.status == 409][0]
        assert loser.json["type"].endswith("/specialist-unavailable"), loser.json
        assert spec.open_cases() == 3
        assert count("assignments", f"specialist_id = '{spec.id}'") == 1
        assert count("events", f"type = 'assignment.created' AND case_id IN ('{cases[0].case_id}', "
                               f"'{cases[1].case_id}')") == 1


@test
def two_navigators_assigning_one_case_at_once_one_wins():
    j = Journey().submit()
    specs = [make_specialist(), make_specialist()]
    barrier = threading.Barrier(2)
    results = [None, None]

    def go(i):
        barrier.wait()
        results[i] = api.post(f"/v1/cases/{j.case_id}/assignments", token("navigator"), {"specialist_id": specs[i].id})

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == [201, 409], results
    assert count("assignments", f"case_id = '{j.case_id}'") == 1
    assert sorted([specs[0].open_cases(), specs[1].open_cases()]) == [0, 1]


@test
def withdrawing_a_case_gives_the_slot_back():
    j = Journey().submit().assign().accept()
    assert j.specialist.open_cases() == 1
    expect(api.post(f"/v1/cases/{j.case_id}/withdraw", j.patient), 200)
    assert j.specialist.open_cases() == 0
    assert sql(f"SELECT status FROM assignments WHERE id = '{j.assignment_id}'") == [["cancelled"]]


@test
def video_consultation_is_scheduled_changed_and_cancelled():
    j = Journey().submit()
    spec = make_specialist()
    when = "2031-03-04T15:30:00Z"
    r = expect(post_assignment(j, spec.id, consultation={"scheduled_at": when, "url": "https://meet.example.org/abc-123"}), 201)
    a = r.json
    assert a["consultation"]["url"] == "https://meet.example.org/abc-123"
    assert a["consultation"]["duration_minutes"] == 30
    assert sql(f"SELECT consultation_at = '{when}'::timestamptz FROM assignments WHERE id = '{a['id']}'") == [["t"]]
    url = f"/v1/assignments/{a['id']}/consultation"
    new = {"scheduled_at": "2031-03-05T09:00:00-05:00", "url": "https://video.example.org/room/9", "duration_minutes": 45}
    expect_problem(api.request("PUT", url, spec.token, json_body=new), 428)
    expect_problem(api.request("PUT", url, spec.token, json_body=new, headers={"If-Match": '"9"'}), 412)
    expect_problem(api.request("PUT", url, j.patient, json_body=new, headers={"If-Match": '"1"'}), 403)
    expect_problem(api.request("PUT", url, make_specialist().token, json_body=new, headers={"If-Match": '"1"'}), 404)
    for bad, field in (({"scheduled_at": "tomorrow", "url": "https://x.example.org/1"}, "scheduled_at"),
                       ({"scheduled_at": "2020-01-01T00:00:00Z", "url": "https://x.example.org/1"}, "scheduled_at"),
                       ({"scheduled_at": "2031-01-01T00:00:00Z", "url": "javascript:alert(1)"}, "url"),
                       ({"scheduled_at": "2031-01-01T00:00:00Z", "url": "https://x.example.org/1", "duration_minutes": 999},
                        "duration_minutes")):
        p = expect_problem(api.request("PUT", url, spec.token, json_body=bad, headers={"If-Match": '"1"'}), 400)
        assert field in [e["field"] for e in p["errors"]], p
    r = expect(api.request("PUT", url, spec.token, json_body=new, headers={"If-Match": '"1"'}), 200)
    assert r.json["consultation"]["duration_minutes"] == 45 and r.headers["etag"] == '"2"'
    assert sql(f"SELECT consultation_at = '2031-03-05T14:00:00Z'::timestamptz FROM assignments "
               f"WHERE id = '{a['id']}'") == [["t"]]
    assert count("events", f"type = 'assignment.consultation_scheduled' AND subject_id = '{a['id']}'") == 1
    # the patient reads it on the assignment
    g = expect(api.get(f"/v1/assignments/{a['id']}", j.patient), 200)
    assert g.json["consultation"]["url"] == "https://video.example.org/room/9" and g.headers["etag"] == '"2"'
    r = expect(api.request("DELETE", url, j.navigator, headers={"If-Match": '"2"'}), 200)
    assert r.json["consultation"] is None
    expect_problem(api.request("DELETE", url, j.navigator, headers={"If-Match": '"3"'}), 409)
    assert count("events", f"type = 'assignment.consultation_cancelled' AND subject_id = '{a['id']}'") == 1
    # declined assignments take no consultation
    expect(api.post(f"/v1/assignments/{a['id']}/decline", spec.token, {"reason": "On leave next month"}), 200)
    expect_problem(api.request("PUT", url, j.navigator, json_body=new, headers={"If-Match": '"4"'}), 409)


@test
def worklists_are_scoped_by_role_and_paginated():
    spec = make_specialist(capacity=10)
    mine = [Journey().submit().assign(spec) for _ in range(3)]
    other = Journey().submit().assign()
    r = expect(api.get("/v1/assignments?limit=2", spec.token), 200).json
    assert len(r["items"]) == 2 and r["next_cursor"]
    seen = [a["id"] for a in r["items"]]
    r = expect(api.get("/v1/assignments?limit=2&cursor=" + r["next_cursor"], spec.token), 200).json
    seen += [a["id"] for a in r["items"]]
    assert r["next_cursor"] is None
    assert seen == [j.assignment_id for j in reversed(mine)], "newest first, no overlap"
    assert other.assignment_id not in seen
    expect(api.post(f"/v1/assignments/{mine[0].assignment_id}/accept", spec.token), 200)
    r = expect(api.get("/v1/assignments?status=accepted", spec.token), 200).json
    assert [a["id"] for a in r["items"]] == [mine[0].assignment_id]
    # a patient sees the assignments of their own cases only
    r = expect(api.get("/v1/assignments", mine[1].patient), 200).json
    assert [a["id"] for a in r["items"]] == [mine[1].assignment_id]
    r = expect(api.get(f"/v1/cases/{mine[1].case_id}/assignments", mine[1].patient), 200).json
    assert [a["id"] for a in r["items"]] == [mine[1].assignment_id]
    expect_problem(api.get(f"/v1/cases/{mine[1].case_id}/assignments", other.specialist.token), 404)
    expect_problem(api.get("/v1/assignments?status=lost", spec.token), 400)
    expect_problem(api.get("/v1/assignments?cursor=zzz", spec.token), 400)
    expect_problem(api.get("/v1/assignments?specialist_id=x", spec.token), 400)
    assert count("audit_events", f"action = 'assignment.list' AND resource_id = '{mine[0].assignment_id}'") >= 1
