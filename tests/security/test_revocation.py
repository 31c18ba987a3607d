"""Issue 15 item 5: retiring a specialist ends their access at once.

The retired specialist's token is still valid (it names their specialist
id), so the service must look at the directory row on every request: reads
of the case and its records, assignments and opinions answer 404 as for any
stranger, and so does every write (draft create, patch, sign,
consultation). Their offered and accepted assignments are revoked in the
retirement's transaction: cancelled, with `assignment.revoked` events, and a
case under their review goes back to `submitted`, assignable to someone else.
Their draft stays, unchanged and read-only, readable by staff and by the
case's next reviewer.
"""
import datetime
import uuid

from lib.harness import api, count, expect, expect_problem, sql, test, token
from lib.review import Journey, in_review, make_specialist, opinion_body


def admin():
    return token("admin")


def retire(spec):
    r = expect(api.post(f"/v1/specialists/{spec.id}/retire", admin()), 200)
    assert r.json["retired_at"], r.json
    return r


def feed_types(case_id):
    """The event types of case_id in the feed, read as staff, in feed order."""
    types, cur = [], None
    while True:
        q = "/v1/events?limit=500" + (f"&cursor={cur}" if cur else "")
        page = expect(api.get(q, token("navigator")), 200).json
        types += [(e["type"], e["subject_id"]) for e in page["items"] if e["case_id"] == case_id]
        cur = page["next_cursor"]
        if not page["has_more"]:
            return types


def future(days=30):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%dT10:00:00Z")


@test
def retired_reviewer_reads_nothing_of_the_case():
    j = in_review().draft()
    spec = j.specialist
    doc = sql(f"SELECT id FROM documents WHERE case_id = '{j.case_id}' LIMIT 1")[0][0]
    paths = [f"/v1/cases/{j.case_id}", f"/v1/cases/{j.case_id}/history",
             f"/v1/cases/{j.case_id}/checklist", f"/v1/cases/{j.case_id}/documents",
             f"/v1/cases/{j.case_id}/documents/{doc}", f"/v1/cases/{j.case_id}/medications",
             f"/v1/cases/{j.case_id}/assignments", f"/v1/cases/{j.case_id}/opinions",
             f"/v1/assignments/{j.assignment_id}", f"/v1/opinions/{j.opinion_id}"]
    for p in paths:
        expect(api.get(p, spec.token), 200, p)
    retire(spec)
    for p in paths:
        expect_problem(api.get(p, spec.token), 404, p)
    # Lists show nothing of theirs any more.
    items = expect(api.get("/v1/assignments", spec.token), 200).json["items"]
    assert items == [], items
    items = expect(api.get("/v1/cases", spec.token), 200).json["items"]
    assert j.case_id not in [c["id"] for c in items], items


@test
def retired_reviewer_writes_nothing():
    j = in_review().draft()
    spec = j.specialist
    before = sql(f"SELECT version, status, updated_at FROM opinions WHERE id = '{j.opinion_id}'")
    retire(spec)
    expect_problem(api.post(f"/v1/cases/{j.case_id}/opinions", spec.token, opinion_body()), 404)
    expect_problem(api.patch(f"/v1/opinions/{j.opinion_id}", spec.token, {"narrative": "Changed."},
                             headers={"If-Match": j.etag}), 404)
    expect_problem(api.post(f"/v1/opinions/{j.opinion_id}/sign", spec.token,
                            headers={"If-Match": j.etag}), 404)
    consult = {"scheduled_at": future(), "duration_minutes": 30, "url": "https://video.example.org/r1"}
    expect_problem(api.request("PUT", f"/v1/assignments/{j.assignment_id}/consultation", spec.token,
                               consult, headers={"If-Match": "*"}), 404)
    expect_problem(api.post(f"/v1/assignments/{j.assignment_id}/decline", spec.token,
                            {"reason": "No longer here."}), 404)
    assert sql(f"SELECT version, status, updated_at FROM opinions WHERE id = '{j.opinion_id}'") == before
    assert count("opinions", f"case_id = '{j.case_id}'") == 1
    assert count("assignments", f"id = '{j.assignment_id}' AND consultation_at IS NOT NULL") == 0


@test
def retired_offer_cannot_be_accepted():
    j = Journey().submit().assign()
    spec = j.specialist
    retire(spec)
    expect_problem(api.post(f"/v1/assignments/{j.assignment_id}/accept", spec.token), 404)
    assert j.status() == "submitted"
    assert sql(f"SELECT status FROM assignments WHERE id = '{j.assignment_id}'")[0][0] == "cancelled"
    assert spec.open_cases() == 0
    assert ("assignment.revoked", j.assignment_id) in feed_types(j.case_id)


@test
def case_under_review_goes_back_to_the_queue():
    j = in_review().draft()
    spec = j.specialist
    assert spec.open_cases() == 1
    retire(spec)
    assert j.status() == "submitted"
    assert sql(f"SELECT status FROM assignments WHERE id = '{j.assignment_id}'")[0][0] == "cancelled"
    assert spec.open_cases() == 0
    hist = sql(f"SELECT from_status, to_status FROM case_status_history WHERE case_id = '{j.case_id}'"
               " ORDER BY id DESC LIMIT 1")
    assert hist == [["in_review", "submitted"]], hist
    types = feed_types(j.case_id)
    assert ("assignment.revoked", j.assignment_id) in types, types
    assert ("case.review_revoked", j.case_id) in types, types
    # The audit trail names the admin who retired the reviewer.
    assert count("audit_events", f"action = 'assignment.revoke' AND resource_id = '{j.assignment_id}'"
                 " AND actor_role = 'admin'") == 1
    # Another specialist can take the case over and write their own opinion.
    nxt = make_specialist()
    r = expect(api.post(f"/v1/cases/{j.case_id}/assignments", j.navigator, {"specialist_id": nxt.id}), 201)
    expect(api.post(f"/v1/assignments/{r.json['id']}/accept", nxt.token), 200)
    assert j.status() == "in_review"
    expect(api.post(f"/v1/cases/{j.case_id}/opinions", nxt.token, opinion_body()), 201)


@test
def retired_reviewers_draft_stays_read_only():
    j = in_review().draft()
    spec = j.specialist
    retire(spec)
    # Still there, unchanged, readable by staff.
    o = expect(api.get(f"/v1/opinions/{j.opinion_id}", token("navigator")), 200).json
    assert o["status"] == "draft" and o["narrative"] == opinion_body()["narrative"], o
    ids = [x["id"] for x in expect(api.get(f"/v1/cases/{j.case_id}/opinions", admin()), 200).json["items"]]
    assert j.opinion_id in ids, ids
    # The next reviewer reads it for context, and cannot change it.
    nxt = make_specialist()
    r = expect(api.post(f"/v1/cases/{j.case_id}/assignments", j.navigator, {"specialist_id": nxt.id}), 201)
    expect(api.post(f"/v1/assignments/{r.json['id']}/accept", nxt.token), 200)
    seen = expect(api.get(f"/v1/opinions/{j.opinion_id}", nxt.token), 200)
    assert seen.json["status"] == "draft", seen.json
    ids = [x["id"] for x in expect(api.get(f"/v1/cases/{j.case_id}/opinions", nxt.token), 200).json["items"]]
    assert j.opinion_id in ids, ids
    expect_problem(api.patch(f"/v1/opinions/{j.opinion_id}", nxt.token, {"narrative": "Mine now."},
                             headers={"If-Match": seen.headers["etag"]}), 404)
    expect_problem(api.post(f"/v1/opinions/{j.opinion_id}/sign", nxt.token,
                            headers={"If-Match": seen.headers["etag"]}), 404)
    # A specialist with no assignment to the case still sees nothing of it.
    expect_problem(api.get(f"/v1/opinions/{j.opinion_id}", make_specialist().token), 404)
    # Not the patient's to read, nor anyone's to delete.
    expect_problem(api.get(f"/v1/opinions/{j.opinion_id}", j.patient), 404)
    r = api.delete(f"/v1/opinions/{j.opinion_id}", admin())
    assert r.status in (404, 405), r
    assert count("opinions", f"id = '{j.opinion_id}' AND status = 'draft'") == 1
    after = expect(api.get(f"/v1/opinions/{j.opinion_id}", token("navigator")), 200).json
    assert after == o, (after, o)


@test
def retirement_leaves_other_specialists_alone():
    mine = in_review()
    other = in_review()
    retire(mine.specialist)
    expect(api.get(f"/v1/cases/{other.case_id}", other.specialist.token), 200)
    assert other.status() == "in_review"
    assert sql(f"SELECT status FROM assignments WHERE id = '{other.assignment_id}'")[0][0] == "accepted"


@test
def retiring_twice_revokes_nothing_more():
    j = in_review()
    retire(j.specialist)
    before = count("events", f"case_id = '{j.case_id}'")
    expect_problem(api.post(f"/v1/specialists/{j.specialist.id}/retire", admin()), 409)
    assert count("events", f"case_id = '{j.case_id}'") == before
    expect_problem(api.post(f"/v1/specialists/{uuid.uuid4()}/retire", admin()), 404)
