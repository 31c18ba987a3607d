"""Issue 15, item 3: whose an Idempotency-Key is, and what one may look like.

A stored response is keyed by the caller's issuer, subject and role and by
the operation (method and route template), not by the subject alone: a
patient token that shares a navigator's `sub` must not be handed the
navigator's staff-only case by replaying the navigator's key. A key with a
NUL or another control byte, and a request with more than one
Idempotency-Key header, are refused with 400 before anything is claimed or
written (a NUL used to truncate the key, and two headers used to be joined
into one key, so retries with either value created a duplicate). The
workflow actions (submit, withdraw, sign, accept, decline) honour the key:
a retry replays the first answer instead of a 409.
"""
import json
import socket
import uuid

from lib import harness
from lib.fixtures import case_body, new_sub
from lib.harness import api, count, expect, expect_problem, sql, test, token
from lib.integrity import nothing_stored
from lib.review import Journey, add_records, in_review


def keys_stored(prefix):
    """Rows of idempotency_keys whose key starts with prefix (any caller)."""
    assert "'" not in prefix and "%" not in prefix and "_" not in prefix
    return int(sql(f"SELECT count(*) FROM idempotency_keys WHERE key LIKE '{prefix}%'")[0][0])


def raw_post(path, tok, body, header_lines):
    """POST with header lines sent byte for byte (http.client refuses NULs,
    control bytes and repeated headers). Returns (status, headers, body)."""
    s = socket.create_connection(("127.0.0.1", harness.shared_server.port), timeout=20)
    try:
        head = [f"POST {path} HTTP/1.1".encode(), b"Host: t", b"Connection: close",
                b"Authorization: Bearer " + tok.encode(), b"Content-Type: application/json",
                b"Content-Length: " + str(len(body)).encode()]
        s.sendall(b"\r\n".join(head + list(header_lines)) + b"\r\n\r\n" + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1]) if lines and lines[0].startswith(b"HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.decode().strip().lower()] = v.decode(errors="replace").strip()
    return status, headers, rest


@test
def a_key_does_not_replay_across_roles_sharing_a_subject():
    sub = new_sub("shared")
    navigator, patient = token("navigator", sub=sub), token("patient", sub=sub)
    key = {"Idempotency-Key": "xrole-" + uuid.uuid4().hex}
    staff = expect(api.post("/v1/cases", navigator, case_body(), headers=key), 201)
    assert staff.json["patient_subject"] is None, "a staff-only case"
    expect_problem(api.get(f"/v1/cases/{staff.json['id']}", patient), 404)
    mine = expect(api.post("/v1/cases", patient, case_body(), headers=key), 201)
    assert mine.headers.get("idempotent-replayed") is None, "the patient got the navigator's stored answer"
    assert mine.json["id"] != staff.json["id"] and mine.json["patient_subject"] == sub, mine.json
    expect(api.get(f"/v1/cases/{mine.json['id']}", patient), 200)
    # each role's retry still replays its own first answer
    again = expect(api.post("/v1/cases", navigator, case_body(), headers=key), 201)
    assert again.headers.get("idempotent-replayed") == "true" and again.json["id"] == staff.json["id"]
    again = expect(api.post("/v1/cases", patient, case_body(), headers=key), 201)
    assert again.headers.get("idempotent-replayed") == "true" and again.json["id"] == mine.json["id"]


@test
def a_key_belongs_to_one_operation():
    """The same caller's key on another route is another request (it was
    422: the fingerprint differed); each route replays its own answer."""
    tok = token("navigator")
    key = {"Idempotency-Key": "route-" + uuid.uuid4().hex}
    created = expect(api.post("/v1/cases", tok, case_body(), headers=key), 201)
    cid = created.json["id"]
    slides = expect(api.post(f"/v1/cases/{cid}/slides", tok, {"shipment_status": "requested"}, headers=key), 201)
    assert slides.headers.get("idempotent-replayed") is None and slides.json["kind"] == "pathology_slides", slides
    again = expect(api.post("/v1/cases", tok, case_body(), headers=key), 201)
    assert again.headers.get("idempotent-replayed") == "true" and again.json == created.json
    again = expect(api.post(f"/v1/cases/{cid}/slides", tok, {"shipment_status": "requested"}, headers=key), 201)
    assert again.headers.get("idempotent-replayed") == "true" and again.json == slides.json


@test
def control_bytes_and_nul_in_the_key_are_400_and_store_nothing():
    tok = token("navigator")
    body = json.dumps(case_body()).encode()
    # A NUL used to cut the key (kk<NUL>AAA and kk<NUL>BBB were one key).
    # Sent before another header and as the last one.
    for bad, after in ((b"\x00AAA", []), (b"\x00AAA", [b"X-Trace: 1"]), (b"\x00", [b"X-Trace: 1"]),
                       (b"\x00\x00B", []), (b"\x01A", []), (b"\x1fA", []), (b"\x7fA", []),
                       (b"\tA", []), (b"\xc3\xa9", []), (b"\xff", [])):
        prefix = "ctl-" + uuid.uuid4().hex
        lines = [b"Idempotency-Key: " + prefix.encode() + bad] + after
        (status, _, resp), changed = nothing_stored(lambda: raw_post("/v1/cases", tok, body, lines))
        assert status == 400, (bad, status, resp[:300])
        assert json.loads(resp)["errors"][0]["field"] == "Idempotency-Key", (bad, resp[:300])
        assert changed == [], (bad, changed)
        assert keys_stored(prefix) == 0, (bad, "a key was claimed")


@test
def a_repeated_idempotency_key_header_is_400_and_stores_nothing():
    tok = token("navigator")
    body = json.dumps(case_body()).encode()
    for second in (b"Idempotency-Key: %s-b", b"idempotency-key: %s-b", b"Idempotency-Key: %s",
                   b"Idempotency-Key:"):
        prefix = "dup-" + uuid.uuid4().hex
        lines = [b"Idempotency-Key: " + prefix.encode(), second.replace(b"%s", prefix.encode())]
        (status, _, resp), changed = nothing_stored(lambda: raw_post("/v1/cases", tok, body, lines))
        assert status == 400, (second, status, resp[:300])
        assert changed == [], (second, changed)
        assert keys_stored(prefix) == 0, (second, "a key was claimed")
    # one header is still fine
    prefix = "dup-" + uuid.uuid4().hex
    status, headers, _ = raw_post("/v1/cases", tok, body, [b"Idempotency-Key: " + prefix.encode()])
    assert status == 201 and keys_stored(prefix) == 1, status


@test
def a_retried_submit_replays_the_first_answer():
    j = Journey()
    add_records(j.case_id)
    key = {"Idempotency-Key": "submit-" + uuid.uuid4().hex}
    first = expect(api.post(f"/v1/cases/{j.case_id}/submit", j.patient, headers=key), 200)
    again = expect(api.post(f"/v1/cases/{j.case_id}/submit", j.patient, headers=key), 200)
    assert again.headers.get("idempotent-replayed") == "true", again.headers
    assert again.body == first.body and again.headers.get("etag") == first.headers.get("etag")
    assert count("events", f"case_id = '{j.case_id}' AND type = 'case.submitted'") == 1
    # without the key a second submit is still the conflict it always was
    expect_problem(api.post(f"/v1/cases/{j.case_id}/submit", j.patient), 409)


@test
def retried_workflow_actions_replay_their_first_answer():
    def twice(path, tok, **kw):
        h = dict(kw.pop("headers", {}), **{"Idempotency-Key": "wf-" + uuid.uuid4().hex})
        first = api.post(path, tok, headers=h, **kw)
        assert 200 <= first.status < 300, (path, first)
        again = api.post(path, tok, headers=h, **kw)
        assert again.status == first.status and again.headers.get("idempotent-replayed") == "true", (path, again)
        assert again.body == first.body, path
        return first

    j = Journey().submit().assign()
    twice(f"/v1/assignments/{j.assignment_id}/accept", j.specialist.token)
    j.draft()
    signed_once = twice(f"/v1/opinions/{j.opinion_id}/sign", j.specialist.token, headers={"If-Match": j.etag})
    assert signed_once.json["status"] == "signed"
    assert count("events", f"case_id = '{j.case_id}' AND type = 'opinion.signed'") == 1

    d = Journey().submit().assign()
    twice(f"/v1/assignments/{d.assignment_id}/decline", d.specialist.token,
          json_body={"reason": "conflict_of_interest"})
    w = Journey().submit()
    twice(f"/v1/cases/{w.case_id}/withdraw", w.patient, json_body={"note": "Staying with my oncologist."})
    assert count("events", f"case_id = '{w.case_id}' AND type = 'case.withdrawn'") == 1


@test
def a_stranger_replaying_a_workflow_key_learns_nothing():
    """The scope holds for the new idempotent routes too: another patient
    with the owner's key gets the 404 of a case it cannot see."""
    j = in_review()
    key = {"Idempotency-Key": "strange-" + uuid.uuid4().hex}
    w = Journey().submit()
    expect(api.post(f"/v1/cases/{w.case_id}/withdraw", w.patient, headers=key), 200)
    expect_problem(api.post(f"/v1/cases/{w.case_id}/withdraw", token("patient"), headers=key), 404)
    assert j.status() == "in_review"
