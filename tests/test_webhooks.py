"""Webhooks: the admin API (/v1/webhooks) and the delivery worker, tested
against receivers this module runs on loopback. The shared server runs no
delivery threads (WEBHOOK_WORKERS=0 in the harness), so every delivery here
comes from a server the test started itself."""
import hashlib
import hmac
import http.server
import json
import signal
import subprocess
import threading
import time
import uuid

from lib.fixtures import case_body
from lib.harness import (Server, api, count, expect, expect_problem, free_port, sql, test, token,
                         wait_until)
from test_foundation import start_fails_with

SECRET = "whsec_Zq8t3LmX9vR2pK7n"
EVENT_KEYS = {"id", "type", "case_id", "subject_type", "subject_id", "actor_role", "occurred_at"}


def admin():
    return token("admin")


# ---------------------------------------------------------------- a receiver

def verify_signature(secret, header, body, now=None, tolerance=300):
    """What a receiver does: recompute v1 over "<t>.<raw body>" and reject
    stale timestamps."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        ts = int(parts["t"])
    except (ValueError, KeyError, AttributeError):
        return False
    if abs((now or time.time()) - ts) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class Receiver:
    """An HTTP endpoint on 127.0.0.1. mode: "ok" (200), "fail" (500) or
    "redirect" (302 to /elsewhere). Records every request it gets, whatever
    its method; answers each after `delay` seconds (cut short by stop(); an
    entry's "answered" says whether the delay ran out, so that the answer
    was sent)."""

    def __init__(self, secret=SECRET, port=None, mode="ok", delay=0.0):
        self.secret, self.port, self.mode, self.delay = secret, port or free_port(), mode, delay
        self.requests, self.lock, self.httpd = [], threading.Lock(), None
        self.closing = threading.Event()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/cso"

    def start(self):
        rcv = self
        self.closing.clear()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                entry = {"at": time.time(), "method": self.command, "path": self.path,
                         "headers": dict(self.headers), "body": body, "mode": rcv.mode,
                         "verified": verify_signature(rcv.secret, self.headers.get("X-CSO-Signature"), body),
                         "answered": False}
                with rcv.lock:
                    rcv.requests.append(entry)
                if rcv.delay and rcv.stopped_within(rcv.delay):
                    return  # stopped while delaying: no answer
                entry["answered"] = True
                try:
                    if entry["mode"] == "ok":
                        self.send_response(200)
                    elif entry["mode"] == "redirect":
                        self.send_response(302)
                        self.send_header("Location", "/elsewhere")
                    else:
                        self.send_response(500)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (timeout tests)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST  # a redirect followed would be a GET

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stopped_within(self, seconds):
        """True when stop() comes within seconds. Short relative sleeps, not
        Event.wait(seconds): that waits for an absolute deadline which, under
        libfaketime (make test-shifted-clock), is computed on the moved clock
        and then awaited on the real one, a year away."""
        deadline = time.monotonic() + seconds
        while not self.closing.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(left, 0.01))
        return True

    def stop(self):
        self.closing.set()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def delivered(self):
        """Requests answered 2xx, as (event, entry), in arrival order."""
        with self.lock:
            return [(json.loads(r["body"]), r) for r in self.requests
                    if r["mode"] == "ok" and r["method"] == "POST"]

    def wait_for(self, n, timeout=15):
        wait_until(lambda: len(self.delivered()) >= n, timeout,
                   lambda: f"{n} deliveries; the receiver got {len(self.delivered())}")
        return self.delivered()


# ---------------------------------------------------------------- helpers

def create_webhook(url, types=("case.*",), secret=SECRET, via=None, **extra):
    body = {"url": url, "secret": secret, "event_types": list(types)}
    body.update(extra)
    return expect((via or api).post("/v1/webhooks", admin(), body), 201).json


def delete_webhook(wid):
    r = api.delete(f"/v1/webhooks/{wid}", admin())
    assert r.status in (204, 404), r


def create_case(via=None):
    r = expect((via or api).post("/v1/cases", token("navigator"), case_body()), 201)
    return r.json["id"]


def attempts(wid, where="true"):
    return sql("SELECT event_id, attempt, outcome, coalesce(status_code::text, ''),"
               " coalesce(error, ''), extract(epoch FROM attempted_at), worker,"
               " next_attempt_at IS NOT NULL"
               f" FROM webhook_attempts WHERE subscription_id = '{wid}' AND {where} ORDER BY id")


def wait_attempts(wid, n, where="true", timeout=15):
    wait_until(lambda: len(attempts(wid, where)) >= n, timeout,
               lambda: f"{n} attempts; {len(attempts(wid, where))} recorded")
    return attempts(wid, where)


def wait_past(wid, event_id, timeout=15):
    """Waits until subscription wid's position in the feed has reached event
    event_id. A subscription is sent its events one at a time in feed order,
    and its position moves (forward only) when an attempt is recorded as
    delivered, or, for events it does not want, when the worker skips past
    them. So once there, every event up to event_id that it wants has been
    delivered and recorded, none of them can be sent to it again, and
    anything it was wrongly sent has arrived: what was received by then is
    all it will ever be sent of that part of the feed."""
    wait_until(lambda: sql("SELECT (s.last_txid, s.last_event_id) >= (e.txid, e.id)"
                           " FROM webhook_subscriptions s, events e"
                           f" WHERE s.id = '{wid}' AND e.id = {event_id}") == [["t"]], timeout,
               f"subscription {wid} to get past event {event_id}")


class Scene:
    """Servers, receivers and webhooks a test uses, torn down however the
    test ends: every server is stopped (and, if the test passed, must have
    exited 0 with no sanitizer report), every receiver closed, every webhook
    deleted - so nothing of one test keeps delivering during the next."""

    def __init__(self):
        self.servers, self.receivers, self.webhooks = [], [], []

    def server(self, **env):
        env.setdefault("WEBHOOK_WORKERS", "2")
        srv = Server(**env)
        self.servers.append(srv)
        return srv.start()

    def receiver(self, start=True, **kw):
        rcv = Receiver(**kw)
        self.receivers.append(rcv)
        return rcv.start() if start else rcv

    def webhook(self, url, types=("case.*",), **kw):
        w = create_webhook(url, types, **kw)
        self.webhooks.append(w["id"])
        return w

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        problems = []
        for srv in self.servers:
            rc = srv.stop()
            if rc != 0 or srv.sanitizer_report():
                problems.append(f"server {srv.port}: rc={rc}\n"
                                f"{srv.sanitizer_report() or srv.output()[-3000:]}")
        for rcv in self.receivers:
            rcv.stop()
        for wid in self.webhooks:
            delete_webhook(wid)
        if exc_type is None and problems:
            raise AssertionError("\n".join(problems))
        return False


def feed_events_for(case_ids, types=("case.created",)):
    rows = sql("SELECT id FROM events WHERE case_id IN (" + ",".join(f"'{c}'" for c in case_ids) +
               ") AND type IN (" + ",".join(f"'{t}'" for t in types) + ") ORDER BY txid, id")
    return [int(r[0]) for r in rows]


# ---------------------------------------------------------------- the admin API

@test
def registering_a_webhook_stores_the_secret_but_never_returns_it():
    a = token("admin", sub="admin-" + uuid.uuid4().hex[:8])
    body = {"url": "https://crm.example.org/hooks/cso", "secret": SECRET,
            "event_types": ["case.*", "document.added"], "description": "Hotline CRM"}
    r = expect(api.post("/v1/webhooks", a, body), 201)
    w = r.json
    try:
        assert r.headers["location"] == f"/v1/webhooks/{w['id']}"
        assert r.headers["etag"] == '"1"'
        assert w["url"] == body["url"] and w["event_types"] == body["event_types"]
        assert w["status"] == "active" and w["consecutive_failures"] == 0 and w["version"] == 1
        assert w["description"] == "Hotline CRM"
        assert w["secret_fingerprint"] == hashlib.sha256(SECRET.encode()).hexdigest()[:16]
        for resp in (r, api.get(f"/v1/webhooks/{w['id']}", a), api.get("/v1/webhooks?limit=200", a)):
            assert SECRET not in resp.body.decode() and '"secret"' not in resp.body.decode()
        # stored, because the worker signs with it
        assert sql(f"SELECT secret FROM webhook_subscriptions WHERE id = '{w['id']}'") == [[SECRET]]
        assert count("audit_events", f"resource_id = '{w['id']}' AND action = 'webhook.create'"
                     " AND outcome = 'success' AND actor_role = 'admin'") == 1
    finally:
        delete_webhook(w["id"])


@test
def bad_registrations_are_refused_and_store_nothing():
    good = {"url": "https://crm.example.org/hooks", "secret": SECRET, "event_types": ["case.created"]}
    cases = [
        ({"url": "ftp://crm.example.org/hooks"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "crm.example.org/hooks"}, "url"),
        ({"url": "https://user:pw@crm.example.org/hooks"}, "url"),
        ({"url": "https://crm.example.org/hooks#frag"}, "url"),
        ({"url": "https://crm.example.org/a b"}, "url"),
        ({"url": ""}, "url"),
        ({"url": "https://" + "a" * 2050 + ".org/"}, "url"),
        ({"url": None}, "url"),
        ({"url": 42}, "url"),
        ({"secret": "short-secret"}, "secret"),
        ({"secret": "a" * 20}, "secret"),
        ({"secret": "abababababababababab"}, "secret"),
        ({"secret": "has spaces in the secret 123"}, "secret"),
        ({"secret": "x" * 257}, "secret"),
        ({"event_types": []}, "event_types"),
        ({"event_types": "case.created"}, "event_types"),
        ({"event_types": ["Case.Created"]}, "event_types[0]"),
        ({"event_types": ["case"]}, "event_types[0]"),
        ({"event_types": ["*.created"]}, "event_types[0]"),
        ({"event_types": ["case.created", "case.created"]}, "event_types[1]"),
        ({"event_types": ["x.y"] * 51}, "event_types"),
        ({"status": "active"}, "status"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"secret_fingerprint": "abc"}, "secret_fingerprint"),
        ({"colour": "blue"}, "colour"),
    ]
    before = count("webhook_subscriptions")
    for change, field in cases:
        body = dict(good)
        for k, v in change.items():
            if v is None:
                body.pop(k)
            else:
                body[k] = v
        p = expect_problem(api.post("/v1/webhooks", admin(), body), 400, str(change)[:80])
        assert any(e["field"] == field for e in p["errors"]), (change, p)
    expect_problem(api.post("/v1/webhooks", admin(), body=b"[]", content_type="application/json"), 400)
    expect_problem(api.post("/v1/webhooks", admin(), body=json.dumps(good).encode(),
                            content_type="text/plain"), 415)
    assert count("webhook_subscriptions") == before


@test
def only_admins_manage_webhooks():
    w = create_webhook("https://crm.example.org/roles")
    try:
        before = count("webhook_subscriptions")
        calls = [("POST", "/v1/webhooks", {"url": "https://crm.example.org/x", "secret": SECRET,
                                           "event_types": ["*"]}),
                 ("GET", "/v1/webhooks", None), ("GET", f"/v1/webhooks/{w['id']}", None),
                 ("PATCH", f"/v1/webhooks/{w['id']}", {"status": "disabled"}),
                 ("DELETE", f"/v1/webhooks/{w['id']}", None)]
        for role in ("patient", "navigator", "specialist"):
            for method, path, body in calls:
                expect_problem(api.request(method, path, token(role), json_body=body,
                                           headers={"If-Match": '"1"'}), 403, f"{role} {method} {path}")
        for method, path, body in calls:
            expect_problem(api.request(method, path, None, json_body=body), 401)
        assert count("webhook_subscriptions") == before
        g = expect(api.get(f"/v1/webhooks/{w['id']}", admin()), 200).json
        assert g["status"] == "active" and g["version"] == 1
    finally:
        delete_webhook(w["id"])


@test
def private_destinations_are_refused_unless_allowed():
    with Scene() as sc:
        srv = sc.server(WEBHOOK_ALLOW_PRIVATE="0", WEBHOOK_WORKERS="0")
        before = count("webhook_subscriptions")
        for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://LOCALHOST./x",
                    "http://10.1.2.3/x", "http://192.168.0.10/x", "http://172.20.0.1/x",
                    "http://169.254.169.254/latest/meta-data/", "http://[::1]/x",
                    "http://[::ffff:127.0.0.1]/x", "http://127.1/x", "http://2130706433/x",
                    "http://0.0.0.0/x", "http://[fd00::1]/x"):
            p = expect_problem(srv.api.post("/v1/webhooks", admin(),
                                            {"url": url, "secret": SECRET, "event_types": ["*"]}),
                               422, url)
            assert p["type"].endswith("/destination-not-allowed"), (url, p)
            assert any(e["field"] == "url" for e in p["errors"]), (url, p)
        assert count("webhook_subscriptions") == before
        # (a public address: with the rule on, a name must resolve, and the
        # test cannot count on DNS)
        w = expect(srv.api.post("/v1/webhooks", admin(), {"url": "https://93.184.216.34/ok",
                                                          "secret": SECRET, "event_types": ["*"]}), 201).json
        sc.webhooks.append(w["id"])
        # the shared server allows loopback (WEBHOOK_ALLOW_PRIVATE=1 in the harness)
        sc.webhook("http://127.0.0.1:9/x")


@test
def list_get_patch_and_delete():
    ws = [create_webhook(f"https://crm.example.org/list/{i}") for i in range(3)]
    try:
        a = admin()
        page1 = expect(api.get("/v1/webhooks?limit=2", a), 200).json
        assert len(page1["items"]) == 2 and page1["next_cursor"]
        page2 = expect(api.get(f"/v1/webhooks?limit=2&cursor={page1['next_cursor']}", a), 200).json
        listed = [x["id"] for x in page1["items"] + page2["items"]]
        assert [w["id"] for w in reversed(ws)] == listed[:3], "newest first"
        assert len(listed) == len(set(listed))
        expect_problem(api.get("/v1/webhooks?limit=0", a), 400)
        expect_problem(api.get("/v1/webhooks?cursor=bogus", a), 400)
        expect_problem(api.get(f"/v1/webhooks/{uuid.uuid4()}", a), 404)
        expect_problem(api.get("/v1/webhooks/not-a-uuid", a), 404)

        w = ws[0]
        path = f"/v1/webhooks/{w['id']}"
        g = expect(api.get(path, a), 200)
        assert g.headers["etag"] == '"1"' and g.json["recent_attempts"] == []
        expect_problem(api.patch(path, a, {"status": "disabled"}), 428)
        expect_problem(api.patch(path, a, {"status": "disabled"}, headers={"If-Match": '"7"'}), 412)
        for bad, field in (({"status": "failing"}, "status"), ({"url": None}, "url"),
                           ({"secret": "short"}, "secret"), ({"event_types": ["nope"]}, "event_types[0]"),
                           ({"url": "gopher://x.example/"}, "url"), ({"version": 3}, "version")):
            p = expect_problem(api.patch(path, a, bad, headers={"If-Match": '"1"'}), 400, str(bad))
            assert any(e["field"] == field for e in p["errors"]), (bad, p)
        expect_problem(api.patch(path, a, {}, headers={"If-Match": '"1"'}), 400)
        assert expect(api.get(path, a), 200).json["version"] == 1, "a refused patch changed nothing"

        r = expect(api.patch(path, a, {"status": "disabled", "description": "paused"},
                             headers={"If-Match": '"1"'}), 200)
        assert r.json["status"] == "disabled" and r.json["version"] == 2
        assert r.json["next_attempt_at"] is None and r.json["description"] == "paused"
        assert r.headers["etag"] == '"2"'
        r = expect(api.patch(path, a, {"secret": "another-S3cret-value!", "description": None,
                                       "event_types": ["case.created"]},
                             headers={"If-Match": '"2"'}), 200).json
        assert r["secret_fingerprint"] == hashlib.sha256(b"another-S3cret-value!").hexdigest()[:16]
        assert r["description"] is None and r["event_types"] == ["case.created"]
        assert r["status"] == "disabled"
        # re-enabling a failing subscription clears its failure count
        sql(f"UPDATE webhook_subscriptions SET status = 'failing', consecutive_failures = 9,"
            f" next_attempt_at = now() + interval '1 hour' WHERE id = '{w['id']}'")
        r = expect(api.patch(path, a, {"status": "active"}, headers={"If-Match": '"3"'}), 200).json
        assert r["status"] == "active" and r["consecutive_failures"] == 0
        assert count("audit_events", f"resource_id = '{w['id']}' AND action = 'webhook.update'") == 3

        expect(api.delete(path, a), 204)
        expect_problem(api.get(path, a), 404)
        expect_problem(api.delete(path, a), 404)
        assert count("webhook_subscriptions", f"id = '{w['id']}'") == 0
        assert count("audit_events", f"resource_id = '{w['id']}' AND action = 'webhook.delete'") == 1
    finally:
        for w in ws:
            delete_webhook(w["id"])


@test
def idempotency_key_makes_registration_safe_to_retry():
    key = "wh-" + uuid.uuid4().hex
    body = {"url": "https://crm.example.org/idem", "secret": SECRET, "event_types": ["case.*"]}
    a = token("admin", sub="admin-idem-" + uuid.uuid4().hex[:6])
    r1 = expect(api.post("/v1/webhooks", a, body, headers={"Idempotency-Key": key}), 201)
    try:
        r2 = expect(api.post("/v1/webhooks", a, body, headers={"Idempotency-Key": key}), 201)
        assert r1.json["id"] == r2.json["id"]
        assert count("webhook_subscriptions", "url = 'https://crm.example.org/idem'") == 1
    finally:
        delete_webhook(r1.json["id"])


@test
def bad_webhook_settings_stop_start_up():
    start_fails_with({"WEBHOOK_WORKERS": "17"}, "WEBHOOK_WORKERS")
    start_fails_with({"WEBHOOK_BASE_BACKOFF_MS": "5000", "WEBHOOK_MAX_BACKOFF_MS": "1000"},
                     "WEBHOOK_MAX_BACKOFF_MS")
    start_fails_with({"WEBHOOK_ALLOW_PRIVATE": "yes"}, "WEBHOOK_ALLOW_PRIVATE")
    start_fails_with({"WEBHOOK_TIMEOUT_MS": "10"}, "WEBHOOK_TIMEOUT_MS")
    start_fails_with({"WEBHOOK_MAX_FAILURES": "0"}, "WEBHOOK_MAX_FAILURES")


# ---------------------------------------------------------------- delivery

@test
def events_are_delivered_signed_in_feed_order_to_matching_subscriptions():
    with Scene() as sc:
        rcv, other = sc.receiver(), sc.receiver()
        sc.server()
        before_sub = create_case()  # committed before the subscription: not delivered
        w = sc.webhook(rcv.url, ["case.*"])
        w2 = sc.webhook(other.url, ["document.added", "opinion.*"])
        ids = [create_case() for _ in range(3)]
        expect(api.patch(f"/v1/cases/{ids[0]}", token("admin"), {"request": {"urgency": "urgent"}},
                         headers={"If-Match": '"1"'}), 200)
        last = feed_events_for(ids, ("case.created", "case.updated"))[-1]
        rcv.wait_for(4)
        wait_past(w["id"], last)   # anything extra for w has arrived by now
        wait_past(w2["id"], last)  # and so has anything w2 was wrongly sent
        got = rcv.delivered()
        events = [e for e, _ in got]
        assert len(got) == 4, [e["type"] for e in events]
        assert [e["id"] for e in events] == feed_events_for(ids, ("case.created", "case.updated"))
        assert before_sub not in {e["case_id"] for e in events}
        for e, req in got:
            assert set(e) == EVENT_KEYS, e
            assert req["verified"], req["headers"]
            assert not verify_signature("another-secret-entirely", req["headers"]["X-CSO-Signature"], req["body"])
            assert req["path"] == "/hooks/cso"
            assert req["headers"]["Content-Type"] == "application/json"
            assert req["headers"]["X-CSO-Event-Id"] == str(e["id"])
            assert req["headers"]["X-CSO-Event-Type"] == e["type"]
            assert req["headers"]["X-CSO-Subscription-Id"] == w["id"]
            assert req["headers"]["X-CSO-Delivery-Attempt"] == "1"
            assert b"Maria" not in req["body"] and b"Lopez" not in req["body"]
        rows = attempts(w["id"])
        assert [(int(r[0]), r[1], r[2], r[3]) for r in rows] == [(e["id"], "1", "delivered", "200") for e in events]
        g = expect(api.get(f"/v1/webhooks/{w['id']}", admin()), 200).json
        assert g["status"] == "active" and g["last_success_at"] and g["consecutive_failures"] == 0
        assert [x["event_id"] for x in g["recent_attempts"]] == [e["id"] for e in reversed(events)]
        assert all(x["outcome"] == "delivered" and x["status_code"] == 200 for x in g["recent_attempts"])
        # the other subscription wants other types: nothing sent, nothing recorded
        assert other.requests == [] and attempts(w2["id"]) == []
        # deleting removes the attempts too, though the service cannot delete them itself
        expect(api.delete(f"/v1/webhooks/{w['id']}", admin()), 204)
        assert count("webhook_attempts", f"subscription_id = '{w['id']}'") == 0


@test
def failed_deliveries_back_off_turn_failing_then_resume_when_the_receiver_returns():
    with Scene() as sc:
        rcv = sc.receiver(start=False)  # not listening yet: connections are refused
        sc.server()
        w = sc.webhook(rcv.url, ["case.created"])
        first, second = create_case(), create_case()
        first_ev, second_ev = feed_events_for([first, second])
        rows = wait_attempts(w["id"], 4)
        # Head of line: the later event waits for the earlier one.
        assert {int(r[0]) for r in rows} == {first_ev}, rows
        assert [r[1] for r in rows[:4]] == ["1", "2", "3", "4"]
        assert all(r[2] == "failed" and r[3] == "" and "connect" in r[4].lower() and r[7] == "t"
                   for r in rows), rows
        times = [float(r[5]) for r in rows[:4]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        # base 200 ms doubling (minus up to 20% jitter), plus polling slack
        assert 0.15 <= gaps[0] < gaps[1] < gaps[2], gaps
        assert gaps[2] < 1.5, gaps
        g = expect(api.get(f"/v1/webhooks/{w['id']}", admin()), 200).json
        assert g["status"] == "failing" and g["consecutive_failures"] >= 3, g
        assert g["last_error"] and g["last_failure_at"]

        # It answers, but with 500: still failing, the status code is recorded.
        rcv.mode = "fail"
        rcv.start()
        rows = wait_attempts(w["id"], 1, where="status_code = 500")
        assert rows[0][2] == "failed" and rows[0][4] == "HTTP 500"
        with rcv.lock:
            failed_req = rcv.requests[0]
        assert failed_req["verified"] and int(failed_req["headers"]["X-CSO-Delivery-Attempt"]) >= 5

        # Back to health: both pending events arrive, in order, once each.
        rcv.mode = "ok"
        rcv.wait_for(2)
        wait_past(w["id"], second_ev)  # a duplicate would have arrived by now
        got = rcv.delivered()
        assert [e["id"] for e, _ in got] == [first_ev, second_ev], [e["id"] for e, _ in got]
        assert all(r["verified"] for _, r in got)
        rows = attempts(w["id"])
        delivered = [r for r in rows if r[2] == "delivered"]
        assert [(int(r[0]), r[1]) for r in delivered] == [(first_ev, str(len(rows) - 1)), (second_ev, "1")], rows
        g = expect(api.get(f"/v1/webhooks/{w['id']}", admin()), 200).json
        assert g["status"] == "active" and g["consecutive_failures"] == 0


@test
def redirects_are_not_followed():
    with Scene() as sc:
        rcv = sc.receiver(mode="redirect")
        sc.server()
        w = sc.webhook(rcv.url, ["case.created"])
        create_case()
        rows = wait_attempts(w["id"], 1)
        assert rows[0][2] == "failed" and rows[0][3] == "302" and "redirect" in rows[0][4], rows
        # A redirect followed would have been requested (and recorded here)
        # before the attempt that got the 302 ended and was recorded.
        assert all(r["path"] == "/hooks/cso" and r["method"] == "POST" for r in rcv.requests), \
            [(r["method"], r["path"]) for r in rcv.requests]


@test
def a_name_that_resolves_to_a_private_address_is_refused_at_connect_time():
    """Registration only sees the name; a name can resolve to loopback (or be
    re-pointed there later). The worker checks the address it connects to.
    The row is written directly, as if the name had once resolved publicly."""
    with Scene() as sc:
        rcv = sc.receiver()
        sc.server(WEBHOOK_ALLOW_PRIVATE="0", WEBHOOK_WORKERS="1")
        wid = str(uuid.uuid4())
        sql("INSERT INTO webhook_subscriptions (id, url, secret, event_types, created_by_sub)"
            f" VALUES ('{wid}', 'http://localhost:{rcv.port}/hooks/cso', '{SECRET}',"
            " ARRAY['case.created'], 'test')")
        sc.webhooks.append(wid)
        create_case()
        rows = wait_attempts(wid, 1)
        assert rows[0][2] == "failed" and rows[0][3] == "" and "not allowed" in rows[0][4], rows
        assert rcv.requests == []


@test
def a_disabled_subscription_waits_and_catches_up_when_re_enabled():
    with Scene() as sc:
        rcv, control = sc.receiver(), sc.receiver()
        # One delivery thread, which claims the most overdue subscription
        # first: the disabled one, were it not held back, since it was made
        # (and due) before the control that wants the same events.
        sc.server(WEBHOOK_WORKERS="1")
        w = sc.webhook(rcv.url, ["case.created"])
        path = f"/v1/webhooks/{w['id']}"
        expect(api.patch(path, admin(), {"status": "disabled"}, headers={"If-Match": '"1"'}), 200)
        c = sc.webhook(control.url, ["case.created"])
        assert sql("SELECT w.next_attempt_at < c.next_attempt_at FROM webhook_subscriptions w,"
                   f" webhook_subscriptions c WHERE w.id = '{w['id']}' AND c.id = '{c['id']}'") == [["t"]]
        cid = create_case()
        assert control.wait_for(1)[0][0]["case_id"] == cid
        wait_past(c["id"], feed_events_for([cid])[0])
        assert rcv.requests == [] and attempts(w["id"]) == []
        expect(api.patch(path, admin(), {"status": "active"}, headers={"If-Match": '"2"'}), 200)
        got = rcv.wait_for(1)
        assert got[0][0]["case_id"] == cid


@test
def two_replicas_deliver_each_event_exactly_once_in_order():
    with Scene() as sc:
        receivers = [sc.receiver(delay=0.01) for _ in range(3)]
        sc.server()
        sc.server()
        subs = [sc.webhook(r.url, ["case.created"]) for r in receivers]
        made, lock = [], threading.Lock()

        def writer():
            for _ in range(5):
                cid = create_case()
                with lock:
                    made.append(cid)

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expected = feed_events_for(made)
        assert len(expected) == 15
        for r, w in zip(receivers, subs):
            r.wait_for(15, timeout=30)
            wait_past(w["id"], expected[-1], timeout=30)  # a duplicate would have arrived by now
        workers = set()
        for r, w in zip(receivers, subs):
            got = [e["id"] for e, _ in r.delivered()]
            assert got == expected, (got, expected)
            rows = attempts(w["id"])
            assert len(rows) == 15 and all(x[1] == "1" and x[2] == "delivered" for x in rows), rows
            workers |= {x[6].split("/")[0] for x in rows}
        assert len(workers) == 2, f"deliveries came from {workers}; both replicas should have worked"


@test
def slow_receivers_time_out_and_sigterm_does_not_wait_for_them():
    with Scene() as sc:
        # The receiver answers after 120 s, the second server would wait up
        # to 60 s (the longest WEBHOOK_TIMEOUT_MS) for it, the test gives
        # the server 30 s to exit.
        rcv = sc.receiver(delay=120)
        first = sc.server(WEBHOOK_TIMEOUT_MS="500", WEBHOOK_WORKERS="1")
        w = sc.webhook(rcv.url, ["case.created"])
        create_case()
        rows = wait_attempts(w["id"], 1)
        assert rows[0][2] == "failed" and "timeout" in rows[0][4].lower(), rows
        assert first.stop() == 0 and not first.sanitizer_report()
        # A request in flight when SIGTERM comes is abandoned, its lease given
        # back, and no attempt recorded for it.
        n_before, n_requests = len(attempts(w["id"])), len(rcv.requests)
        sql(f"UPDATE webhook_subscriptions SET next_attempt_at = now() WHERE id = '{w['id']}'")
        srv = sc.server(WEBHOOK_TIMEOUT_MS="60000", WEBHOOK_WORKERS="1")
        wait_until(lambda: len(rcv.requests) > n_requests, 10, "the second server to send the request")
        srv.proc.send_signal(signal.SIGTERM)
        try:
            rc = srv.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError("SIGTERM waited for the slow receiver") from None
        assert rc == 0, rc
        # Gone before the receiver answered, and not by waiting out the
        # request's time-out either: that would have recorded an attempt.
        with rcv.lock:
            assert not any(r["answered"] for r in rcv.requests[n_requests:]), rcv.requests[n_requests:]
        assert len(attempts(w["id"])) == n_before
        assert sql("SELECT lease_until = '-infinity', lease_token IS NULL FROM webhook_subscriptions"
                   f" WHERE id = '{w['id']}'") == [["t", "t"]]
