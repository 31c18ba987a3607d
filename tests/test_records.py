"""Records: document uploads (PDF, JPEG, PNG, DICOM) with media-type checks,
SHA-256 and size, metadata, downloads, physical slides with a shipment
status, medications; who may see and change them, limits, interrupted
uploads, idempotency, the checklist and audit."""
import base64
import hashlib
import os
import socket
import threading
import time
import uuid

from lib.fixtures import case_body, new_sub
from lib.harness import Server, api, count, expect, expect_problem, sql, test, token

ALL_BYTES = bytes(range(256))  # NUL and every other byte value: the store must be binary-safe


def pdf(extra=b""):
    return b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\n" + ALL_BYTES + os.urandom(64) + extra + b"\n%%EOF\n"


def jpeg():
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + ALL_BYTES + os.urandom(64) + b"\xff\xd9"


def png():
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + ALL_BYTES + os.urandom(64)


def dicom():
    return b"\x00" * 128 + b"DICM\x02\x00\x00\x00UL\x04\x00" + ALL_BYTES + os.urandom(64)


FILES = (("application/pdf", pdf, "pathology_report"), ("image/jpeg", jpeg, "imaging"),
         ("image/png", png, "operative_report"), ("application/dicom", dicom, "imaging"))


def create_case(tok=None, body=None, sub=None):
    sub = sub or new_sub()
    tok = tok or token("patient", sub=sub)
    r = expect(api.post("/v1/cases", tok, body or case_body()), 201)
    return r.json, tok


def upload(case_id, tok, data, media_type="application/pdf", kind="pathology_report", title=None,
           headers=None, on=None):
    q = f"?kind={kind}" if kind else ""
    if title is not None:
        q += ("&" if q else "?") + "title=" + title.replace(" ", "%20")
    return (on or api).request("POST", f"/v1/cases/{case_id}/documents{q}", tok, body=data,
                               content_type=media_type, headers=headers)


def docs_of(case_id):
    return count("documents", f"case_id = '{case_id}'")


def contents_of(case_id):
    return count("document_contents", f"document_id IN (SELECT id FROM documents WHERE case_id = '{case_id}')")


def assign_specialist(case_id, status="accepted"):
    inst = sql("SELECT id FROM institutions WHERE patient_care LIMIT 1")[0][0]
    spec = sql(f"""INSERT INTO specialists (name, specialty, institution_id, turnaround_days, capacity, open_cases)
                   VALUES ('Dr. Records Fixture', 'medical_oncology', '{inst}', 7, 5, 1) RETURNING id""")[0][0]
    sql(f"""INSERT INTO assignments (case_id, specialist_id, status, due_at, created_by_sub)
            VALUES ('{case_id}', '{spec}', '{status}', now() + interval '7 days', 'fixture')""")
    return token("specialist", specialist_id=spec)


def audit_rows(case_id, action, resource_id=None):
    where = f"case_id = '{case_id}' AND action = '{action}' AND outcome = 'success'"
    if resource_id:
        where += f" AND resource_id = '{resource_id}'"
    return count("audit_events", where)


# ---------------------------------------------------------------- uploads and downloads

@test
def each_media_type_uploads_and_downloads_byte_for_byte():
    c, tok = create_case()
    cid = c["id"]
    for media_type, make, kind in FILES:
        data = make()
        r = expect(upload(cid, tok, data, media_type, kind, title="Report from 2026-09-02"), 201, media_type)
        d = r.json
        assert r.headers["location"] == f"/v1/cases/{cid}/documents/{d['id']}"
        assert r.headers["etag"].startswith('"')
        assert d["case_id"] == cid and d["kind"] == kind and d["media_type"] == media_type
        assert d["title"] == "Report from 2026-09-02"
        assert d["size_bytes"] == len(data)
        assert d["sha256"] == hashlib.sha256(data).hexdigest()
        assert d["shipment_status"] is None and d["carrier"] is None and d["tracking_number"] is None
        assert d["uploaded_by"]["role"] == "patient" and d["content_url"] == f"/v1/cases/{cid}/documents/{d['id']}/content"
        # stored: metadata, the bytes, and the SHA-256 of the stored bytes
        row = sql(f"""SELECT d.size_bytes, d.sha256, encode(sha256(c.content), 'hex'), length(c.content)
                      FROM documents d JOIN document_contents c ON c.document_id = d.id WHERE d.id = '{d['id']}'""")
        assert row == [[str(len(data)), d["sha256"], d["sha256"], str(len(data))]], row
        # metadata reads back the same
        g = expect(api.get(f"/v1/cases/{cid}/documents/{d['id']}", tok), 200)
        assert g.json == d and g.headers["etag"] == r.headers["etag"]
        # the download is identical, with the stored type and safe headers
        dl = expect(api.get(d["content_url"], tok), 200)
        assert dl.body == data, media_type
        assert dl.headers["content-type"] == media_type
        assert dl.headers["content-disposition"].startswith("attachment")
        assert dl.headers["x-content-type-options"] == "nosniff"
        assert dl.headers["repr-digest"] == "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"
        assert hashlib.sha256(dl.body).hexdigest() == d["sha256"]
    assert count("events", f"case_id = '{cid}' AND type = 'document.added'") == 4
    assert audit_rows(cid, "document.upload") == 4


@test
def title_length_counts_characters_not_bytes():
    c, tok = create_case()
    r = expect(upload(c["id"], tok, pdf(), title="%C3%A9" * 200), 201)  # 200 characters, 400 bytes
    assert r.json["title"] == "\u00e9" * 200


@test
def navigator_and_admin_upload_to_any_case():
    c, _ = create_case()
    for role in ("navigator", "admin"):
        r = expect(upload(c["id"], token(role), pdf(), kind="discharge_summary"), 201)
        assert r.json["uploaded_by"]["role"] == role
    assert docs_of(c["id"]) == 2


@test
def content_type_parameters_and_case_are_tolerated():
    c, tok = create_case()
    r = expect(upload(c["id"], tok, pdf(), "Application/PDF; name=report.pdf"), 201)
    assert r.json["media_type"] == "application/pdf"


@test
def mistyped_or_malformed_uploads_are_refused_and_store_nothing():
    c, tok = create_case()
    cid = c["id"]
    before_contents = count("document_contents")
    # PDF bytes declared as PNG, and the other mismatches
    p = expect_problem(upload(cid, tok, pdf(), "image/png"), 415)
    assert "image/png" in p["detail"]
    expect_problem(upload(cid, tok, png(), "application/pdf"), 415)
    expect_problem(upload(cid, tok, jpeg(), "image/png"), 415)
    expect_problem(upload(cid, tok, pdf(), "application/dicom"), 415)
    expect_problem(upload(cid, tok, b"\x00" * 128 + b"DICX" + ALL_BYTES, "application/dicom"), 415)
    expect_problem(upload(cid, tok, b"\x00" * 130, "application/dicom"), 415)  # too short for the marker
    expect_problem(upload(cid, tok, b"\x89PNG\r\n", "image/png"), 415)  # truncated signature
    # types outside the four, or none
    expect_problem(upload(cid, tok, b"hello", "text/plain"), 415)
    expect_problem(upload(cid, tok, pdf(), "application/octet-stream"), 415)
    expect_problem(upload(cid, tok, pdf(), "image/jpg"), 415)
    expect_problem(upload(cid, tok, pdf(), None), 415)
    # empty body, missing or unknown kind, bad title, unknown query key
    expect_problem(upload(cid, tok, b"", "application/pdf"), 400)
    p = expect_problem(upload(cid, tok, pdf(), kind=None), 400)
    assert [e["field"] for e in p["errors"]] == ["kind"]
    p = expect_problem(upload(cid, tok, pdf(), kind="xray"), 400)
    assert [e["field"] for e in p["errors"]] == ["kind"]
    p = expect_problem(upload(cid, tok, pdf(), title="x" * 201), 400)
    assert [e["field"] for e in p["errors"]] == ["title"]
    p = expect_problem(upload(cid, tok, pdf(), title="%C3%A9" * 201), 400)  # 201 characters
    assert [e["field"] for e in p["errors"]] == ["title"]
    expect_problem(upload(cid, tok, pdf(), title="%20%20"), 400)
    expect_problem(api.request("POST", f"/v1/cases/{cid}/documents?kind=other&kind=imaging", tok, body=pdf(),
                               content_type="application/pdf"), 400)
    expect_problem(api.request("POST", f"/v1/cases/{cid}/documents?kind=other&filename=a.pdf", tok, body=pdf(),
                               content_type="application/pdf"), 400)
    assert docs_of(cid) == 0
    assert count("document_contents") == before_contents
    assert count("events", f"case_id = '{cid}' AND type = 'document.added'") == 0
    # refusals are audited by the dispatcher
    assert count("audit_events", f"case_id = '{cid}' AND resource_type = 'document' AND outcome = 'invalid'") >= 10


@test
def upload_without_token_or_as_specialist_is_refused():
    c, _ = create_case()
    expect_problem(upload(c["id"], None, pdf()), 401)
    spec = assign_specialist(c["id"])
    expect_problem(upload(c["id"], spec, pdf()), 403)
    assert docs_of(c["id"]) == 0


@test
def interrupted_upload_stores_nothing_and_server_stays_healthy():
    c, tok = create_case()
    cid = c["id"]
    data = pdf(os.urandom(200_000))
    head = (f"POST /v1/cases/{cid}/documents?kind=pathology_report HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Bearer {tok}\r\nContent-Type: application/pdf\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode()
    # 1: the client sends half the body and drops the connection
    s = socket.create_connection(("127.0.0.1", api.port), timeout=10)
    s.sendall(head + data[: len(data) // 2])
    s.close()
    # 2: the client sends part of the body, says it is done sending and waits
    # (libmicrohttpd keeps waiting for the rest until CONNECTION_TIMEOUT_S; the
    # handler never runs, so there is no answer to wait for here)
    s = socket.create_connection(("127.0.0.1", api.port), timeout=2)
    s.sendall(head + data[:1000])
    s.shutdown(socket.SHUT_WR)
    answer = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    except OSError:
        pass
    s.close()
    assert not answer.startswith(b"HTTP/1.1 2"), answer[:200]
    time.sleep(0.5)
    expect(api.get("/healthz"), 200)
    assert docs_of(cid) == 0
    assert audit_rows(cid, "document.upload") == 0
    # the same upload, complete, still works
    r = expect(upload(cid, tok, data), 201)
    assert r.json["size_bytes"] == len(data)
    assert docs_of(cid) == 1


@test
def size_and_count_limits_come_from_configuration():
    srv = Server(MAX_DOCUMENT_BYTES=2048, MAX_DOCUMENTS_PER_CASE=3).start()
    try:
        sub = new_sub()
        tok = token("patient", sub=sub)
        cid = expect(srv.api.post("/v1/cases", tok, case_body()), 201).json["id"]
        too_big = b"%PDF-1.7\n" + b"x" * (2049 - 9)
        assert len(too_big) == 2049
        p = expect_problem(upload(cid, tok, too_big, on=srv.api), 413)
        assert "2048" in p["detail"]
        assert docs_of(cid) == 0
        exact = b"%PDF-1.7\n" + b"x" * (2048 - 9)
        first = expect(upload(cid, tok, exact, on=srv.api), 201).json
        assert first["size_bytes"] == 2048
        expect(upload(cid, tok, png()[:1000], "image/png", "imaging", on=srv.api), 201)
        # physical slides count too
        expect(srv.api.post(f"/v1/cases/{cid}/slides", tok, {"shipment_status": "requested"}), 201)
        assert docs_of(cid) == 3
        p = expect_problem(upload(cid, tok, pdf()[:500], on=srv.api), 409)
        assert p["type"].endswith("/document-limit-reached") and p["limit"] == 3
        expect_problem(srv.api.post(f"/v1/cases/{cid}/slides", tok, {}), 409)
        assert docs_of(cid) == 3
        # removing one makes room again
        expect(srv.api.delete(f"/v1/cases/{cid}/documents/{first['id']}", tok), 204)
        expect(upload(cid, tok, pdf()[:500], on=srv.api), 201)
        assert docs_of(cid) == 3
        # concurrent uploads for the last free place: exactly one gets it
        expect(srv.api.delete(f"/v1/cases/{cid}/documents/{first['id']}", tok), 404)
        last = sql(f"SELECT id FROM documents WHERE case_id = '{cid}' AND kind = 'imaging'")[0][0]
        expect(srv.api.delete(f"/v1/cases/{cid}/documents/{last}", tok), 204)
        statuses = []

        def race():
            statuses.append(upload(cid, tok, pdf()[:500], on=srv.api).status)

        threads = [threading.Thread(target=race) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [201, 409, 409, 409, 409], statuses
        assert docs_of(cid) == 3
    finally:
        rc = srv.stop()
    assert rc == 0, srv.output()[-2000:]
    assert not srv.sanitizer_report(), srv.sanitizer_report()


@test
def idempotent_upload_retry_stores_one_document():
    c, tok = create_case()
    cid = c["id"]
    data = pdf()
    key = "upload-" + uuid.uuid4().hex
    r1 = expect(upload(cid, tok, data, headers={"Idempotency-Key": key}), 201)
    r2 = expect(upload(cid, tok, data, headers={"Idempotency-Key": key}), 201)
    assert r2.headers.get("idempotent-replayed") == "true"
    assert r1.json["id"] == r2.json["id"] and r2.headers["location"] == r1.headers["location"]
    assert r2.headers["etag"] == r1.headers["etag"]
    assert docs_of(cid) == 1
    assert count("audit_events", f"action = 'request.replayed' AND resource_type = 'document' "
                                 f"AND actor_sub = (SELECT uploaded_by_sub FROM documents WHERE case_id = '{cid}')") == 1
    # the same key for a different upload: other bytes, other kind, other declared type
    expect_problem(upload(cid, tok, pdf(), headers={"Idempotency-Key": key}), 422)
    expect_problem(upload(cid, tok, data, kind="other", headers={"Idempotency-Key": key}), 422)
    expect_problem(upload(cid, tok, data, "Application/PDF", headers={"Idempotency-Key": key}), 422)
    assert docs_of(cid) == 1


# ---------------------------------------------------------------- who sees what

@test
def another_patient_cannot_see_or_touch_the_records():
    c, tok_a = create_case()
    cid = c["id"]
    doc = expect(upload(cid, tok_a, pdf()), 201).json
    med = expect(api.post(f"/v1/cases/{cid}/medications", tok_a, {"drug": "letrozole"}), 201).json
    tok_b = token("patient")
    base = f"/v1/cases/{cid}"
    for path in (f"{base}/documents", f"{base}/documents/{doc['id']}", f"{base}/documents/{doc['id']}/content",
                 f"{base}/medications", f"{base}/medications/{med['id']}"):
        p = expect_problem(api.get(path, tok_b), 404, path)
        assert "sha256" not in str(p) and doc["sha256"] not in str(p)
    expect_problem(upload(cid, tok_b, pdf()), 404)
    expect_problem(api.delete(f"{base}/documents/{doc['id']}", tok_b), 404)
    expect_problem(api.patch(f"{base}/documents/{doc['id']}", tok_b, {"title": "mine"}, headers={"If-Match": "*"}), 404)
    expect_problem(api.post(f"{base}/slides", tok_b, {}), 404)
    expect_problem(api.post(f"{base}/medications", tok_b, {"drug": "aspirin"}), 404)
    expect_problem(api.delete(f"{base}/medications/{med['id']}", tok_b), 404)
    assert docs_of(cid) == 1 and count("medications", f"case_id = '{cid}'") == 1
    # the body is the same as for a case that does not exist
    r1 = expect_problem(api.get(f"{base}/documents/{doc['id']}", tok_b), 404)
    r2 = expect_problem(api.get(f"/v1/cases/{uuid.uuid4()}/documents/{doc['id']}", tok_b), 404)
    assert {k: v for k, v in r1.items() if k != "request_id"} == {k: v for k, v in r2.items() if k != "request_id"}
    # each refusal is audited against the case
    assert count("audit_events", f"case_id = '{cid}' AND actor_sub IS NOT NULL AND outcome = 'not_found'") >= 12
    assert count("audit_events", f"resource_id = '{doc['id']}' AND outcome = 'not_found'") >= 3


@test
def a_document_is_found_only_under_its_own_case():
    c1, tok = create_case()
    c2, _ = create_case(tok)
    doc = expect(upload(c1["id"], tok, pdf()), 201).json
    nav = token("navigator")
    expect(api.get(f"/v1/cases/{c1['id']}/documents/{doc['id']}", nav), 200)
    expect_problem(api.get(f"/v1/cases/{c2['id']}/documents/{doc['id']}", nav), 404)
    expect_problem(api.get(f"/v1/cases/{c2['id']}/documents/{doc['id']}/content", nav), 404)
    expect_problem(api.delete(f"/v1/cases/{c2['id']}/documents/{doc['id']}", nav), 404)
    expect_problem(api.get(f"/v1/cases/{c1['id']}/documents/not-a-uuid", nav), 404)
    expect_problem(api.get(f"/v1/cases/{c1['id']}/documents/{uuid.uuid4()}", nav), 404)
    assert docs_of(c1["id"]) == 1


@test
def specialists_read_assigned_cases_only_and_never_write():
    c, tok = create_case()
    cid = c["id"]
    doc = expect(upload(cid, tok, dicom(), "application/dicom", "imaging"), 201).json
    med = expect(api.post(f"/v1/cases/{cid}/medications", tok, {"drug": "anastrozole"}), 201).json
    stranger = token("specialist")
    expect_problem(api.get(f"/v1/cases/{cid}/documents", stranger), 404)
    expect_problem(api.get(f"/v1/cases/{cid}/documents/{doc['id']}/content", stranger), 404)
    expect_problem(api.get(f"/v1/cases/{cid}/medications", stranger), 404)
    spec = assign_specialist(cid)
    assert [d["id"] for d in expect(api.get(f"/v1/cases/{cid}/documents", spec), 200).json["items"]] == [doc["id"]]
    expect(api.get(f"/v1/cases/{cid}/documents/{doc['id']}", spec), 200)
    dl = expect(api.get(f"/v1/cases/{cid}/documents/{doc['id']}/content", spec), 200)
    assert hashlib.sha256(dl.body).hexdigest() == doc["sha256"]
    assert [m["id"] for m in expect(api.get(f"/v1/cases/{cid}/medications", spec), 200).json["items"]] == [med["id"]]
    expect(api.get(f"/v1/cases/{cid}/medications/{med['id']}", spec), 200)
    # reading, yes; changing, no
    expect_problem(upload(cid, spec, pdf()), 403)
    expect_problem(api.delete(f"/v1/cases/{cid}/documents/{doc['id']}", spec), 403)
    expect_problem(api.patch(f"/v1/cases/{cid}/documents/{doc['id']}", spec, {"title": "x"}, headers={"If-Match": "*"}), 403)
    expect_problem(api.post(f"/v1/cases/{cid}/slides", spec, {}), 403)
    expect_problem(api.post(f"/v1/cases/{cid}/medications", spec, {"drug": "aspirin"}), 403)
    expect_problem(api.delete(f"/v1/cases/{cid}/medications/{med['id']}", spec), 403)
    assert docs_of(cid) == 1 and count("medications", f"case_id = '{cid}'") == 1
    assert count("audit_events", f"case_id = '{cid}' AND action = 'request.denied' AND actor_role = 'specialist'") >= 6


@test
def records_are_frozen_once_the_case_leaves_the_open_states():
    c, tok = create_case()
    cid = c["id"]
    doc = expect(upload(cid, tok, pdf()), 201).json
    med = expect(api.post(f"/v1/cases/{cid}/medications", tok, {"drug": "tamoxifen"}), 201).json
    slides = expect(api.post(f"/v1/cases/{cid}/slides", tok, {}), 201)
    for status in ("opinion_ready", "closed", "withdrawn"):
        sql(f"UPDATE cases SET status = '{status}' WHERE id = '{cid}'")
        p = expect_problem(upload(cid, tok, pdf()), 409, status)
        assert p["type"].endswith("/case-not-open-for-records") and status in p["detail"]
        expect_problem(api.post(f"/v1/cases/{cid}/slides", token("navigator"), {}), 409)
        expect_problem(api.delete(f"/v1/cases/{cid}/documents/{doc['id']}", tok), 409)
        expect_problem(api.patch(f"/v1/cases/{cid}/documents/{slides.json['id']}", token("admin"),
                                 {"shipment_status": "received"}, headers={"If-Match": slides.headers["etag"]}), 409)
        expect_problem(api.post(f"/v1/cases/{cid}/medications", tok, {"drug": "aspirin"}), 409)
        expect_problem(api.delete(f"/v1/cases/{cid}/medications/{med['id']}", tok), 409)
        # reading stays possible
        expect(api.get(f"/v1/cases/{cid}/documents/{doc['id']}/content", tok), 200)
        expect(api.get(f"/v1/cases/{cid}/medications", tok), 200)
    assert docs_of(cid) == 2 and count("medications", f"case_id = '{cid}'") == 1
    assert sql(f"SELECT shipment_status FROM documents WHERE id = '{slides.json['id']}'") == [["requested"]]
    # in_review is still open
    sql(f"UPDATE cases SET status = 'in_review' WHERE id = '{cid}'")
    expect(upload(cid, tok, pdf()), 201)


# ---------------------------------------------------------------- lists and audit

@test
def document_list_pages_filters_and_validates():
    c, tok = create_case()
    cid = c["id"]
    ids = [expect(upload(cid, tok, pdf()), 201).json["id"] for _ in range(3)]
    ids.append(expect(upload(cid, tok, png(), "image/png", "imaging"), 201).json["id"])
    ids.append(expect(api.post(f"/v1/cases/{cid}/slides", tok, {"carrier": "UPS"}), 201).json["id"])
    r = expect(api.get(f"/v1/cases/{cid}/documents?limit=2", tok), 200).json
    assert len(r["items"]) == 2 and r["next_cursor"]
    seen = [d["id"] for d in r["items"]]
    while r["next_cursor"]:
        r = expect(api.get(f"/v1/cases/{cid}/documents?limit=2&cursor={r['next_cursor']}", tok), 200).json
        seen += [d["id"] for d in r["items"]]
    assert seen == ids, "oldest first, no overlap, nothing missed"
    assert all("_cursor_key" not in d for d in r["items"])
    r = expect(api.get(f"/v1/cases/{cid}/documents?kind=imaging", tok), 200).json
    assert [d["id"] for d in r["items"]] == [ids[3]] and r["next_cursor"] is None
    r = expect(api.get(f"/v1/cases/{cid}/documents?kind=pathology_slides", tok), 200).json
    assert [d["shipment_status"] for d in r["items"]] == ["requested"]
    for bad in ("kind=xray", "limit=0", "limit=201", "cursor=nope", "sort=kind", "kind=imaging&kind=other"):
        expect_problem(api.get(f"/v1/cases/{cid}/documents?{bad}", tok), 400, bad)


@test
def every_read_of_records_is_audited():
    c, tok = create_case()
    cid = c["id"]
    # an empty list is still a read of the case's records
    expect(api.get(f"/v1/cases/{cid}/documents", tok), 200)
    assert count("audit_events", f"case_id = '{cid}' AND action = 'document.list' AND resource_id IS NULL") == 1
    expect(api.get(f"/v1/cases/{cid}/medications", tok), 200)
    assert count("audit_events", f"case_id = '{cid}' AND action = 'medication.list' AND resource_id IS NULL") == 1
    doc = expect(upload(cid, tok, jpeg(), "image/jpeg", "imaging"), 201).json
    med = expect(api.post(f"/v1/cases/{cid}/medications", tok, {"drug": "capecitabine"}), 201).json
    nav = token("navigator")
    expect(api.get(f"/v1/cases/{cid}/documents", nav), 200)
    assert audit_rows(cid, "document.list", doc["id"]) == 1
    expect(api.get(f"/v1/cases/{cid}/documents/{doc['id']}", nav), 200)
    expect(api.get(f"/v1/cases/{cid}/documents/{doc['id']}", tok), 200)
    assert audit_rows(cid, "document.read", doc["id"]) == 2
    for _ in range(3):
        expect(api.get(f"/v1/cases/{cid}/documents/{doc['id']}/content", nav), 200)
    assert audit_rows(cid, "document.download", doc["id"]) == 3
    row = sql(f"""SELECT actor_role, resource_type, status FROM audit_events
                  WHERE action = 'document.download' AND resource_id = '{doc['id']}' LIMIT 1""")
    assert row == [["navigator", "document", "200"]]
    expect(api.get(f"/v1/cases/{cid}/medications", nav), 200)
    assert audit_rows(cid, "medication.list", med["id"]) == 1
    expect(api.get(f"/v1/cases/{cid}/medications/{med['id']}", nav), 200)
    assert audit_rows(cid, "medication.read", med["id"]) == 1


# ---------------------------------------------------------------- removal

@test
def removing_a_document_deletes_its_bytes_and_is_recorded():
    c, tok = create_case()
    cid = c["id"]
    doc = expect(upload(cid, tok, pdf()), 201).json
    keep = expect(upload(cid, tok, pdf()), 201).json
    r = expect(api.delete(f"/v1/cases/{cid}/documents/{doc['id']}", tok), 204)
    assert r.body == b""
    assert count("documents", f"id = '{doc['id']}'") == 0
    assert count("document_contents", f"document_id = '{doc['id']}'") == 0
    assert count("documents", f"id = '{keep['id']}'") == 1
    assert count("events", f"case_id = '{cid}' AND type = 'document.removed' AND subject_id = '{doc['id']}'") == 1
    assert audit_rows(cid, "document.remove", doc["id"]) == 1
    expect_problem(api.get(f"/v1/cases/{cid}/documents/{doc['id']}/content", tok), 404)
    expect_problem(api.delete(f"/v1/cases/{cid}/documents/{doc['id']}", tok), 404)
    # staff may remove a patient's upload
    expect(api.delete(f"/v1/cases/{cid}/documents/{keep['id']}", token("navigator")), 204)
    assert docs_of(cid) == 0


# ---------------------------------------------------------------- checklist

@test
def uploads_and_medications_complete_the_checklist_and_allow_submission():
    c, tok = create_case()
    cid = c["id"]
    cl = expect(api.get(f"/v1/cases/{cid}/checklist", tok), 200).json
    assert set(cl["missing"]) == {"pathology_report", "imaging", "medication_list"}
    report = expect(upload(cid, tok, pdf(), kind="pathology_report"), 201).json
    expect(upload(cid, tok, dicom(), "application/dicom", "imaging"), 201)
    cl = expect(api.get(f"/v1/cases/{cid}/checklist", tok), 200).json
    assert cl["missing"] == ["medication_list"] and cl["can_submit"] is False
    expect_problem(api.post(f"/v1/cases/{cid}/submit", tok), 409)
    med = expect(api.post(f"/v1/cases/{cid}/medications", tok,
                          {"drug": "doxorubicin", "dose": 60, "unit": "mg/m2", "route": "intravenous"}), 201).json
    cl = expect(api.get(f"/v1/cases/{cid}/checklist", tok), 200).json
    assert cl["can_submit"] is True and cl["missing"] == []
    meds = [i for i in cl["items"] if i["item"] == "medication_list"][0]
    assert meds["satisfied_by"] == "medication_entries" and meds["count"] == 1
    expect(api.post(f"/v1/cases/{cid}/submit", tok), 200)
    # a submitted case may not lose the last record of a required item ...
    p = expect_problem(api.delete(f"/v1/cases/{cid}/documents/{report['id']}", tok), 409)
    assert p["type"].endswith("/checklist-incomplete") and p["missing"] == ["pathology_report"]
    p = expect_problem(api.delete(f"/v1/cases/{cid}/medications/{med['id']}", tok), 409)
    assert p["missing"] == ["medication_list"]
    assert count("documents", f"id = '{report['id']}'") == 1
    assert count("medications", f"id = '{med['id']}'") == 1
    # ... but may replace it: add the new one first, then remove the old
    expect(upload(cid, tok, pdf(), kind="pathology_report"), 201)
    expect(api.delete(f"/v1/cases/{cid}/documents/{report['id']}", tok), 204)
    # a draft may be incomplete: removal there is not checked
    d2, tok2 = create_case()
    only = expect(upload(d2["id"], tok2, pdf()), 201).json
    expect(api.delete(f"/v1/cases/{d2['id']}/documents/{only['id']}", tok2), 204)


# ---------------------------------------------------------------- physical slides

@test
def physical_slides_move_forward_through_shipment():
    c, tok = create_case()
    cid = c["id"]
    r = expect(api.post(f"/v1/cases/{cid}/slides", tok, {"title": "Core biopsy blocks"}), 201)
    s = r.json
    assert s["kind"] == "pathology_slides" and s["shipment_status"] == "requested"
    assert s["media_type"] is None and s["size_bytes"] is None and s["sha256"] is None and s["content_url"] is None
    assert r.headers["location"] == f"/v1/cases/{cid}/documents/{s['id']}"
    etag = r.headers["etag"]
    url = f"/v1/cases/{cid}/documents/{s['id']}"
    p = expect_problem(api.get(url + "/content", tok), 404)
    assert "slides" in p["detail"]
    assert count("document_contents", f"document_id = '{s['id']}'") == 0
    # updates need the current ETag
    expect_problem(api.patch(url, tok, {"shipment_status": "shipped"}), 428)
    expect_problem(api.patch(url, tok, {"shipment_status": "shipped"}, headers={"If-Match": '"1"'}), 412)
    # the patient ships them
    r = expect(api.patch(url, tok, {"shipment_status": "shipped", "carrier": "FedEx",
                                    "tracking_number": "7712 3456 7890"}, headers={"If-Match": etag}), 200)
    assert r.json["shipment_status"] == "shipped" and r.json["carrier"] == "FedEx"
    assert r.headers["etag"] != etag
    expect_problem(api.patch(url, tok, {"title": "x"}, headers={"If-Match": etag}), 412)  # stale now
    etag = r.headers["etag"]
    assert expect(api.get(url, tok), 200).headers["etag"] == etag
    # only staff confirm receipt
    expect_problem(api.patch(url, tok, {"shipment_status": "received"}, headers={"If-Match": etag}), 403)
    r = expect(api.patch(url, token("navigator"), {"shipment_status": "received"}, headers={"If-Match": etag}), 200)
    assert r.json["shipment_status"] == "received" and r.json["tracking_number"] == "7712 3456 7890"
    etag = r.headers["etag"]
    # never backwards
    p = expect_problem(api.patch(url, token("admin"), {"shipment_status": "shipped"}, headers={"If-Match": etag}), 409)
    assert "received" in p["detail"]
    assert sql(f"SELECT shipment_status FROM documents WHERE id = '{s['id']}'") == [["received"]]
    assert count("events", f"case_id = '{cid}' AND type = 'document.updated' AND subject_id = '{s['id']}'") == 2
    assert audit_rows(cid, "document.update", s["id"]) == 2
    assert audit_rows(cid, "document.create", s["id"]) == 1


@test
def slides_bodies_are_validated():
    c, tok = create_case()
    cid = c["id"]
    for body, field in (({"shipment_status": "lost"}, "shipment_status"), ({"tracking_number": "1Z<script>"}, "tracking_number"),
                        ({"carrier": ""}, "carrier"), ({"kind": "imaging"}, "kind"), ({"sha256": "0" * 64}, "sha256"),
                        ({"surprise": 1}, "surprise"), ({"title": "a\nb"}, "title"), ({"shipment_status": None}, "shipment_status")):
        p = expect_problem(api.post(f"/v1/cases/{cid}/slides", tok, body), 400, str(body))
        assert field in [e["field"] for e in p["errors"]], (field, p)
    # a patient cannot record slides as already received; staff can
    expect_problem(api.post(f"/v1/cases/{cid}/slides", tok, {"shipment_status": "received"}), 403)
    assert docs_of(cid) == 0
    r = expect(api.post(f"/v1/cases/{cid}/slides", token("navigator"), {"shipment_status": "received", "carrier": "Courier"}), 201)
    assert r.json["shipment_status"] == "received"


@test
def file_documents_take_a_new_title_but_no_shipment_fields():
    c, tok = create_case()
    cid = c["id"]
    r = expect(upload(cid, tok, pdf(), title="scan"), 201)
    url = f"/v1/cases/{cid}/documents/{r.json['id']}"
    for body in ({"shipment_status": "shipped"}, {"carrier": "UPS"}, {"tracking_number": "1"}):
        p = expect_problem(api.patch(url, tok, body, headers={"If-Match": r.headers["etag"]}), 400)
        assert list(body) == [e["field"] for e in p["errors"]]
    expect_problem(api.patch(url, tok, {}, headers={"If-Match": r.headers["etag"]}), 400)
    expect_problem(api.patch(url, tok, {"size_bytes": 1}, headers={"If-Match": r.headers["etag"]}), 400)
    g = expect(api.patch(url, tok, {"title": "Pathology report, core biopsy"}, headers={"If-Match": r.headers["etag"]}), 200)
    assert g.json["title"] == "Pathology report, core biopsy" and g.json["sha256"] == r.json["sha256"]
    assert g.json["shipment_status"] is None
    g = expect(api.patch(url, tok, {"title": None}, headers={"If-Match": g.headers["etag"]}), 200)
    assert g.json["title"] is None


# ---------------------------------------------------------------- medications

@test
def medications_are_added_read_listed_and_removed():
    c, tok = create_case()
    cid = c["id"]
    body = {"drug": "Paclitaxel", "dose": 80, "unit": "mg/m2", "route": "intravenous", "frequency": "weekly",
            "start_date": "2026-09-15", "end_date": "2026-12-01"}
    r = expect(api.post(f"/v1/cases/{cid}/medications", tok, body), 201)
    m = r.json
    assert r.headers["location"] == f"/v1/cases/{cid}/medications/{m['id']}"
    assert {k: m[k] for k in body} == body
    assert m["case_id"] == cid and m["created_by"]["subject"] and m["created_at"]
    assert expect(api.get(f"/v1/cases/{cid}/medications/{m['id']}", tok), 200).json == m
    m2 = expect(api.post(f"/v1/cases/{cid}/medications", token("navigator"),
                         {"drug": "Ondansetron", "dose": 0.5, "unit": "mg", "route": "oral"}), 201).json
    assert m2["dose"] == 0.5 and m2["frequency"] is None and m2["start_date"] is None
    m3 = expect(api.post(f"/v1/cases/{cid}/medications", tok, {"drug": "Dexamethasone"}), 201).json
    r = expect(api.get(f"/v1/cases/{cid}/medications?limit=2", tok), 200).json
    seen = [x["id"] for x in r["items"]]
    r = expect(api.get(f"/v1/cases/{cid}/medications?limit=2&cursor={r['next_cursor']}", tok), 200).json
    seen += [x["id"] for x in r["items"]]
    assert seen == [m["id"], m2["id"], m3["id"]] and r["next_cursor"] is None
    assert count("events", f"case_id = '{cid}' AND type = 'medication.added'") == 3
    assert audit_rows(cid, "medication.add") == 3
    expect(api.delete(f"/v1/cases/{cid}/medications/{m2['id']}", tok), 204)
    assert count("medications", f"id = '{m2['id']}'") == 0
    assert count("events", f"case_id = '{cid}' AND type = 'medication.removed' AND subject_id = '{m2['id']}'") == 1
    assert audit_rows(cid, "medication.remove", m2["id"]) == 1
    expect_problem(api.delete(f"/v1/cases/{cid}/medications/{m2['id']}", tok), 404)
    expect_problem(api.get(f"/v1/cases/{cid}/medications/{m2['id']}", tok), 404)
    # an entry of another case is not found under this one
    other, _ = create_case(tok)
    expect_problem(api.get(f"/v1/cases/{other['id']}/medications/{m['id']}", tok), 404)
    expect_problem(api.delete(f"/v1/cases/{other['id']}/medications/{m['id']}", tok), 404)
    assert count("medications", f"id = '{m['id']}'") == 1
    expect_problem(api.get(f"/v1/cases/{cid}/medications?cursor=abc", tok), 400)
    expect_problem(api.get(f"/v1/cases/{cid}/medications?kind=x", tok), 400)


@test
def medication_bodies_are_validated_and_store_nothing():
    c, tok = create_case()
    cid = c["id"]
    url = f"/v1/cases/{cid}/medications"
    for body, field in (({}, "drug"), ({"drug": ""}, "drug"), ({"drug": "   "}, "drug"), ({"drug": "x" * 201}, "drug"),
                        ({"drug": "a", "dose": 0, "unit": "mg"}, "dose"), ({"drug": "a", "dose": -5, "unit": "mg"}, "dose"),
                        ({"drug": "a", "dose": "10", "unit": "mg"}, "dose"), ({"drug": "a", "dose": 10}, "unit"),
                        ({"drug": "a", "unit": "mg"}, "dose"), ({"drug": "a", "dose": 1, "unit": "spoonful"}, "unit"),
                        ({"drug": "a", "route": "nasal-ish"}, "route"), ({"drug": "a", "start_date": "2026-02-30"}, "start_date"),
                        ({"drug": "a", "start_date": "2026-05-01", "end_date": "2026-04-30"}, "end_date"),
                        ({"drug": "a", "start_date": "2999-01-01"}, "start_date"), ({"drug": "a", "end_date": "1850-01-01"}, "end_date"),
                        ({"drug": "a", "frequency": "x" * 101}, "frequency"), ({"drug": "a", "id": str(uuid.uuid4())}, "id"),
                        ({"drug": "a", "created_by": {"subject": "x"}}, "created_by"), ({"drug": "a", "notes": "x"}, "notes")):
        p = expect_problem(api.post(url, tok, body), 400, str(body))
        assert field in [e["field"] for e in p["errors"]], (field, p)
    expect_problem(api.request("POST", url, tok, body=b"drug=a", content_type="application/x-www-form-urlencoded"), 415)
    expect_problem(api.request("POST", url, tok, body=b"{", content_type="application/json"), 400)
    assert count("medications", f"case_id = '{cid}'") == 0
    assert count("events", f"case_id = '{cid}' AND type = 'medication.added'") == 0


@test
def idempotent_medication_and_slides_retries_create_once():
    c, tok = create_case()
    cid = c["id"]
    key = "med-" + uuid.uuid4().hex
    r1 = expect(api.post(f"/v1/cases/{cid}/medications", tok, {"drug": "tamoxifen"}, headers={"Idempotency-Key": key}), 201)
    r2 = expect(api.post(f"/v1/cases/{cid}/medications", tok, {"drug": "tamoxifen"}, headers={"Idempotency-Key": key}), 201)
    assert r1.json["id"] == r2.json["id"] and r2.headers.get("idempotent-replayed") == "true"
    assert count("medications", f"case_id = '{cid}'") == 1
    key = "slides-" + uuid.uuid4().hex
    s1 = expect(api.post(f"/v1/cases/{cid}/slides", tok, {"carrier": "UPS"}, headers={"Idempotency-Key": key}), 201)
    s2 = expect(api.post(f"/v1/cases/{cid}/slides", tok, {"carrier": "UPS"}, headers={"Idempotency-Key": key}), 201)
    assert s1.json["id"] == s2.json["id"] and docs_of(cid) == 1
