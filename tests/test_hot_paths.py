"""The hot paths that bench/ measures do their reads, audit rows and events in
one statement each; these tests pin the behaviour those statements must keep."""
import uuid

from lib.fixtures import case_body, new_sub
from lib.harness import api, count, expect, expect_problem, sql, test, token


def _create(tok, **kw):
    return expect(api.post("/v1/cases", tok, case_body(), **kw), 201)


@test
def list_audits_each_case_shown_but_not_the_look_ahead_row():
    sub = new_sub()
    tok = token("patient", sub=sub)
    ids = [_create(tok).json["id"] for _ in range(3)]
    rid = "list-audit-" + uuid.uuid4().hex
    r = expect(api.get("/v1/cases?limit=2", tok, headers={"X-Request-Id": rid}), 200)
    shown = [c["id"] for c in r.json["items"]]
    assert len(shown) == 2 and r.json["next_cursor"], r.json
    assert shown == ids[::-1][:2], (shown, ids)
    rows = sql(f"SELECT case_id::text, actor_sub, actor_role, outcome, status FROM audit_events "
               f"WHERE request_id = '{rid}' AND action = 'case.list' ORDER BY case_id")
    assert sorted(r[0] for r in rows) == sorted(shown), rows
    assert all(r[1:] == [sub, "patient", "success", "200"] for r in rows), rows
    # the last page: no cursor, and again one row per case shown
    rid2 = "list-audit-" + uuid.uuid4().hex
    r2 = expect(api.get(f"/v1/cases?limit=2&cursor={r.json['next_cursor']}", tok,
                        headers={"X-Request-Id": rid2}), 200)
    assert [c["id"] for c in r2.json["items"]] == [ids[0]] and r2.json["next_cursor"] is None
    assert count("audit_events", f"request_id = '{rid2}' AND action = 'case.list'") == 1


@test
def empty_list_is_valid_json_and_audits_nothing():
    tok = token("patient", sub=new_sub())
    rid = "list-empty-" + uuid.uuid4().hex
    r = expect(api.get("/v1/cases", tok, headers={"X-Request-Id": rid}), 200)
    assert r.json == {"items": [], "next_cursor": None}, r.json
    assert r.headers["content-type"].startswith("application/json")
    assert count("audit_events", f"request_id = '{rid}'") == 0


@test
def create_writes_case_history_audit_and_event_together():
    sub = new_sub()
    tok = token("patient", sub=sub)
    rid = "create-" + uuid.uuid4().hex
    r = _create(tok, headers={"X-Request-Id": rid})
    cid = r.json["id"]
    assert r.headers["etag"] == '"1"' and r.headers["location"] == f"/v1/cases/{cid}"
    assert r.headers["content-type"].startswith("application/json")
    assert r.json["patient"]["location"] == {"lat": 29.71, "lon": -95.4}, r.json["patient"]
    assert count("case_status_history", f"case_id = '{cid}' AND to_status = 'draft'") == 1
    assert count("audit_events", f"request_id = '{rid}' AND action = 'case.create' AND case_id = '{cid}'"
                 f" AND actor_sub = '{sub}' AND outcome = 'success'") == 1
    assert count("events", f"case_id = '{cid}' AND subject_id = '{cid}' AND type = 'case.created'"
                 f" AND actor_role = 'patient'") == 1


@test
def refused_create_stores_nothing_at_all():
    tok = token("patient", sub=new_sub())
    body = case_body()
    body["diagnosis"]["cancer_type"] = "no_such_type"
    before = (count("cases"), count("events"), count("case_status_history"))
    expect_problem(api.post("/v1/cases", tok, body), 400)
    assert (count("cases"), count("events"), count("case_status_history")) == before


@test
def read_passes_the_document_through_with_its_etag():
    tok = token("patient", sub=new_sub())
    c = _create(tok).json
    rid = "read-" + uuid.uuid4().hex
    r = expect(api.get(f"/v1/cases/{c['id']}", tok, headers={"X-Request-Id": rid}), 200)
    assert r.json == c, (r.json, c)
    assert r.headers["etag"] == '"1"' and r.headers["content-type"].startswith("application/json")
    assert count("audit_events", f"request_id = '{rid}' AND action = 'case.read'") == 1
    # not visible: 404 problem, the refusal audited, no case.read row
    other = token("patient", sub=new_sub())
    rid2 = "read-" + uuid.uuid4().hex
    expect_problem(api.get(f"/v1/cases/{c['id']}", other, headers={"X-Request-Id": rid2}), 404)
    assert count("audit_events", f"request_id = '{rid2}' AND action = 'case.read'") == 0
    assert count("audit_events", f"request_id = '{rid2}' AND outcome = 'not_found'") == 1
