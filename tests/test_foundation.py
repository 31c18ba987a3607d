"""Foundation: health, routing, problem+json, request ids, configuration,
database outage and graceful shutdown."""
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
import uuid

from lib.fixtures import case_body
from lib.harness import (Server, api, count, expect, expect_problem, pg_ctl, sql, sql_as_app, test,
                         token, wait_until, MINT_BIN, ISSUER, AUDIENCE, SECRET, SERVER_BIN)
from lib import harness
from lib.locks import RowLock


@test
def healthz_and_readyz_need_no_token():
    r = expect(api.get("/healthz"), 200)
    assert r.json == {"status": "ok"}
    r = expect(api.get("/readyz"), 200)
    assert r.json["status"] == "ready"


@test
def unknown_route_is_problem_404():
    p = expect_problem(api.get("/v1/nothing-here", token("admin")), 404)
    assert p["type"].endswith("/not-found")


@test
def wrong_method_on_known_path_is_405():
    expect_problem(api.delete("/healthz"), 405)


@test
def request_id_is_kept_or_generated():
    r = api.get("/healthz", headers={"X-Request-Id": "abc-123.test"})
    assert r.headers["x-request-id"] == "abc-123.test"
    r = api.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces" and len(r.headers["x-request-id"]) == 32
    r = api.get("/healthz")
    assert len(r.headers["x-request-id"]) == 32


@test
def request_id_and_route_template_are_in_the_log_line():
    rid = "log-check-" + os.urandom(4).hex()
    api.get("/v1/audit-events?limit=1", token("admin", sub="log-admin"), headers={"X-Request-Id": rid})
    lines = wait_until(lambda: [l for l in harness.shared_server.output().splitlines() if rid in l],
                       10, "the request's log line")
    line = lines[-1]
    assert '"route":"/v1/audit-events"' in line and '"subject":"log-admin"' in line, line
    assert '"status":200' in line and "latency_ms" in line, line


@test
def query_parameters_are_strict():
    t = token("admin")
    expect_problem(api.get("/v1/audit-events?limit=1&limit=2", t), 400)
    expect_problem(api.get("/v1/audit-events?bogus=1", t), 400)
    expect_problem(api.get("/v1/audit-events?limit=0", t), 400)
    expect_problem(api.get("/v1/audit-events?limit=201", t), 400)
    expect_problem(api.get("/v1/audit-events?limit=abc", t), 400)
    expect_problem(api.get("/v1/audit-events?cursor=%%%", t), 400)
    expect_problem(api.get("/v1/audit-events?cursor=bm90LWEtY3Vyc29y", t), 400)
    expect(api.get("/v1/audit-events?limit=200", t), 200)


@test
def token_in_query_string_is_refused():
    t = token("admin")
    expect_problem(api.get("/v1/audit-events?access_token=" + t), 401)


@test
def audit_events_are_admin_only():
    for role in ("patient", "navigator", "specialist"):
        expect_problem(api.get("/v1/audit-events", token(role)), 403)
    expect(api.get("/v1/audit-events", token("admin")), 200)


@test
def audit_events_paginate_with_cursor():
    t = token("admin")
    for _ in range(3):
        api.get("/v1/audit-events", token("patient"))  # refusals add rows
    r = expect(api.get("/v1/audit-events?limit=2", t), 200).json
    assert len(r["items"]) == 2 and r["next_cursor"]
    r2 = expect(api.get("/v1/audit-events?limit=2&cursor=" + r["next_cursor"], t), 200).json
    ids1 = [i["id"] for i in r["items"]]
    ids2 = [i["id"] for i in r2["items"]]
    assert max(ids2) < min(ids1), (ids1, ids2)


@test
def audit_event_filters_are_validated_like_every_list():
    """Issue 15 item 6: a filter no row can match is the caller's mistake,
    400 naming the field, not 200 with an empty page."""
    t = token("admin")
    for query, field in (("outcome=maybe", "outcome"), ("outcome=SUCCESS", "outcome"),
                         ("actor=" + "a" * 129, "actor"), ("action=" + "b" * 65, "action"),
                         ("case_id=not-a-uuid", "case_id")):
        p = expect_problem(api.get(f"/v1/audit-events?{query}", t), 400, query)
        assert [e["field"] for e in p["errors"]] == [field], (query, p)
    # every problem at once
    p = expect_problem(api.get("/v1/audit-events?outcome=maybe&actor=" + "a" * 129, t), 400)
    assert sorted(e["field"] for e in p["errors"]) == ["actor", "outcome"], p
    # the bounds themselves are fine, and so is every outcome
    expect(api.get("/v1/audit-events?actor=" + "a" * 128 + "&action=" + "b" * 64, t), 200)
    for outcome in ("success", "denied", "not_found", "invalid", "error"):
        r = expect(api.get(f"/v1/audit-events?outcome={outcome}&limit=5", t), 200, outcome).json
        assert all(i["outcome"] == outcome for i in r["items"]), outcome
    # bounds count characters, not bytes
    expect(api.get("/v1/audit-events?actor=" + "%C3%A9" * 128, t), 200)


@test
def audit_table_is_insert_only_for_the_service_role():
    rc, err = sql_as_app("UPDATE audit_events SET outcome = 'success' WHERE id = 1")
    assert rc != 0 and "permission denied" in err, err
    rc, err = sql_as_app("DELETE FROM audit_events")
    assert rc != 0 and "permission denied" in err, err
    rc, err = sql_as_app("SELECT count(*) FROM audit_events")
    assert rc == 0, err


@test
def refused_requests_leave_an_audit_event():
    before = count("audit_events", "status = 403 AND action = 'request.denied'")
    api.get("/v1/audit-events", token("navigator"))
    after = count("audit_events", "status = 403 AND action = 'request.denied'")
    assert after == before + 1


@test
def mint_token_cli_signs_tokens_the_server_accepts():
    env = dict(os.environ, JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE, JWT_ALG="HS256")
    out = subprocess.run([MINT_BIN, "--role", "admin", "--sub", "cli-admin"], env=env,
                         capture_output=True, text=True, check=True)
    expect(api.get("/v1/audit-events?limit=1", out.stdout.strip()), 200)
    bad = subprocess.run([MINT_BIN, "--role", "admin"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2


def start_fails_with(env, needle):
    e = dict(os.environ)
    base = {"PORT": "1", "DATABASE_URL": harness.database_url(), "JWT_ALG": "HS256",
            "JWT_SECRET": SECRET, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}
    base.update(env)
    for k in ("PORT", "DATABASE_URL", "JWT_ALG", "JWT_SECRET", "JWT_ISSUER", "JWT_AUDIENCE",
              "JWT_PUBLIC_KEY_FILE", "DB_POOL_SIZE", "LOG_LEVEL", "MAX_BODY_BYTES"):
        e.pop(k, None)
    for k, v in base.items():
        if v is not None:
            e[k] = v
    e["ASAN_OPTIONS"] = harness.asan_options("detect_leaks=0")
    out = subprocess.run([SERVER_BIN], env=e, capture_output=True, text=True, timeout=20)
    assert out.returncode != 0, f"server started with {env}"
    lines = [l for l in out.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and needle in lines[0], out.stderr


@test
def bad_configuration_stops_start_up_with_one_clear_line():
    start_fails_with({"DATABASE_URL": None}, "DATABASE_URL")
    start_fails_with({"JWT_SECRET": "short"}, "JWT_SECRET")
    start_fails_with({"JWT_SECRET": "a" * 40}, "JWT_SECRET")
    start_fails_with({"JWT_ALG": "none"}, "JWT_ALG")
    start_fails_with({"JWT_ALG": "RS256"}, "JWT_PUBLIC_KEY_FILE")
    start_fails_with({"JWT_ALG": "RS256", "JWT_PUBLIC_KEY_FILE": "/nonexistent"}, "JWT_PUBLIC_KEY_FILE")
    start_fails_with({"JWT_ISSUER": None}, "JWT_ISSUER")
    start_fails_with({"JWT_AUDIENCE": None}, "JWT_AUDIENCE")
    start_fails_with({"PORT": "70000"}, "PORT")
    start_fails_with({"DB_POOL_SIZE": "0"}, "DB_POOL_SIZE")
    start_fails_with({"LOG_LEVEL": "loud"}, "LOG_LEVEL")
    start_fails_with({"MAX_BODY_BYTES": "12abc"}, "MAX_BODY_BYTES")


@test
def database_outage_gives_503_and_service_recovers_without_restart():
    srv = Server().start()
    try:
        t = token("admin")
        expect(srv.api.get("/v1/audit-events?limit=1", t), 200)
        pg_ctl("stop")
        try:
            r = srv.api.get("/readyz")
            p = expect_problem(r, 503)
            assert r.headers.get("retry-after"), r.headers
            r = srv.api.get("/v1/audit-events?limit=1", t)
            expect_problem(r, 503)
            assert r.headers.get("retry-after")
            assert "SQL" not in r.body.decode() and "postgres" not in r.body.decode().lower()
            expect(srv.api.get("/healthz"), 200)  # alive, just not ready
        finally:
            pg_ctl("start")
        deadline = time.time() + 15
        while time.time() < deadline:
            if srv.api.get("/v1/audit-events?limit=1", t).status == 200:
                break
            time.sleep(0.3)
        expect(srv.api.get("/v1/audit-events?limit=1", t), 200)
        expect(srv.api.get("/readyz"), 200)
    finally:
        rc = srv.stop()
    assert rc == 0, srv.output()[-2000:]
    assert not srv.sanitizer_report(), srv.sanitizer_report()


def connection_refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


@test
def sigterm_finishes_requests_in_flight_and_exits_0():
    """One request is held in flight (its case row locked) while SIGTERM
    comes and reads keep arriving: the server stops accepting at once, yet
    answers the held request when it can go on, and exits 0. Every read
    either got its 200 or never got to the server (refused, or reset or
    closed before an answer), never an error status; reads the server had
    finished before the signal were all answered."""
    srv = Server(DB_POOL_SIZE=2).start()
    tag = uuid.uuid4().hex[:8]
    lock = None
    try:
        case = expect(srv.api.post("/v1/cases", token("patient"), case_body()), 201).json
        lock = RowLock("cases", case["id"])
        reads, patch = [], {}
        t = token("admin")

        def reader(i):
            n, deadline = 0, time.monotonic() + 60
            while time.monotonic() < deadline:
                rid = f"sigterm-{tag}-read-{i}-{n}"
                n += 1
                try:
                    status = srv.api.get("/v1/audit-events?limit=200", t, timeout=30,
                                         headers={"X-Request-Id": rid}).status
                except (OSError, http.client.HTTPException) as e:
                    reads.append((rid, e))  # the server is gone: this reader is done
                    return
                reads.append((rid, status))
                if status != 200:
                    return
            reads.append((None, "the server still took requests after 60 s"))

        def held():
            try:
                patch["r"] = srv.api.patch(f"/v1/cases/{case['id']}", token("admin"),
                                           {"request": {"urgency": "urgent"}}, timeout=30,
                                           headers={"If-Match": '"1"', "X-Request-Id": f"sigterm-{tag}-held"})
            except (OSError, http.client.HTTPException) as e:
                patch["r"] = e

        readers = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
        for th in readers:
            th.start()
        wait_until(lambda: sum(1 for _, r in list(reads) if r == 200) >= 8, 30, "reads to be answered")
        holder = threading.Thread(target=held)
        holder.start()
        wait_until(lock.waiters, 10, "the update to wait for the locked row")
        srv.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: "signal 15: draining" in srv.output(), 10, "the server to begin draining")
        wait_until(lambda: connection_refused(srv.port), 10,
                   "new connections to be refused while a request is in flight")
        assert "r" not in patch and lock.waiters() == 1, \
            f"the held request ended before it was let go (the lock timed out?): {patch}"
        lock.release()
        lock = None
        holder.join(30)
        for th in readers:
            th.join(90)
    finally:
        if lock:
            lock.release()
        rc = srv.stop()
    assert rc == 0, srv.output()[-2000:]
    assert not srv.sanitizer_report(), srv.sanitizer_report()
    # The request in flight at the signal was finished and answered.
    assert isinstance(patch.get("r"), harness.Resp), patch
    expect(patch["r"], 200)
    assert patch["r"].json["request"]["urgency"] == "urgent"
    assert sql(f"SELECT version FROM cases WHERE id = '{case['id']}'") == [["2"]]
    lines = srv.output().splitlines()
    draining = next(i for i, l in enumerate(lines) if "signal 15: draining" in l)
    held_line = [i for i, l in enumerate(lines) if f'"request_id":"sigterm-{tag}-held"' in l]
    assert held_line and held_line[0] > draining, "the held request was not in flight at the signal"
    # Reads: a 200, or no answer at all because the server never took the
    # request (refused at connect, reset in the backlog, or closed unstarted).
    bad = [(rid, r) for rid, r in reads if r != 200 and not isinstance(r, ConnectionError)]
    assert not bad, bad
    finished_before = {l.split('"request_id":"', 1)[1].split('"', 1)[0]
                       for l in lines[:draining] if f'"request_id":"sigterm-{tag}-read-' in l}
    unanswered = [(rid, r) for rid, r in reads if rid in finished_before and r != 200]
    assert not unanswered, f"reads the server finished before the signal got no 200: {unanswered}"
    assert sum(1 for _, r in reads if r == 200) >= 8, reads


@test
def pooled_connections_closed_by_a_database_restart_are_replaced_without_a_503():
    # A restart (or failover) terminates every idle pooled connection; the
    # pool must notice at hand-out instead of failing one request per slot.
    srv = Server(DB_POOL_SIZE=3).start()
    try:
        t = token("admin")
        for _ in range(6):
            expect(srv.api.get("/v1/audit-events?limit=1", t), 200)
        pg_ctl("stop")
        pg_ctl("start")
        statuses = [srv.api.get("/v1/audit-events?limit=1", t).status for _ in range(6)]
        assert statuses == [200] * 6, statuses
    finally:
        rc = srv.stop()
    assert rc == 0, srv.output()[-2000:]
    assert not srv.sanitizer_report(), srv.sanitizer_report()


@test
def http_threads_default_to_the_pool_size_and_can_be_set():
    # One HTTP thread per pooled connection unless configured: no request
    # thread waits for a connection (see bench/README.md for the trade-off).
    for env, threads in (({"DB_POOL_SIZE": 3}, 3), ({"DB_POOL_SIZE": 3, "HTTP_THREADS": 5}, 5)):
        srv = Server(**env).start()
        try:
            expect(srv.api.get("/healthz"), 200)
        finally:
            rc = srv.stop()
        assert rc == 0, srv.output()[-2000:]
        assert f"db pool 3, http threads {threads})" in srv.output(), srv.output()[-2000:]
