"""SIGTERM with keep-alive clients under a write load (issue 15, item 1).
test_sigterm.py opens a connection per request; here every client reuses
one connection, which is where answers were lost: requests the server had
committed (it logged 201) whose clients saw the connection close with no
response, and new requests still served on open connections while it
drained.

What must hold: every write in the database was answered to its client in
full (matched by Idempotency-Key: a committed key is a stored response in
idempotency_keys); a request sent once the server drains is answered 503
with Retry-After and Connection: close without being run (nothing stored
for its key); and the server exits 0 within DRAIN_TIMEOUT_S."""
import http.client
import json
import signal
import threading
import time
import uuid

from lib.fixtures import case_body
from lib.harness import Server, sql, test, token, wait_until

CLIENTS = 8
DRAIN_S = 10


class Client(threading.Thread):
    """One keep-alive connection sending POST /v1/cases until the server
    is gone. Records (key, sent_at, status, headers, body, error) per
    request; after a failed connection it opens a new one, and stops when
    that is refused."""

    def __init__(self, port, tag, n, slow=None):
        super().__init__(daemon=True)
        self.port, self.sub, self.tag, self.n = port, f"drain-{tag}-{n}", tag, n
        self.slow = slow  # (path, token, body): a request that takes about a second
        self.log = []
        self.stop = threading.Event()

    def run(self):
        body = json.dumps(case_body()).encode()
        tok = token("patient", sub=self.sub)
        path = "/v1/cases"
        if self.slow:
            path, tok, body = self.slow
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = 0
        while not self.stop.is_set():
            key = f"{self.tag}-{self.n}-{i}"
            i += 1
            entry = {"key": key, "sent_at": time.monotonic(), "status": None, "headers": {},
                     "body": b"", "error": None}
            self.log.append(entry)
            try:
                conn.request("POST", path, body=body, headers={
                    "Authorization": "Bearer " + tok, "Content-Type": "application/json",
                    "Idempotency-Key": key})
                r = conn.getresponse()
                entry["body"] = r.read()  # the whole body, or IncompleteRead
                entry["headers"] = {k.lower(): v for k, v in r.getheaders()}
                entry["status"] = r.status
                if entry["headers"].get("connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                entry["error"] = type(e).__name__
                conn.close()
                # A fresh connection: refused once the server stops listening.
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    conn.connect()
                except OSError:
                    return
        conn.close()


@test
def sigterm_with_keepalive_clients_answers_every_committed_write_and_closes():
    srv = Server(DB_POOL_SIZE=4, DRAIN_TIMEOUT_S=DRAIN_S).start()
    tag = uuid.uuid4().hex[:10]
    clients = [Client(srv.port, tag, n) for n in range(CLIENTS)]
    # Two more keep-alive clients run coverage checks against the slow test
    # payer (about a second each), so that requests are in handlers when the
    # signal comes and the drain lasts long enough for the writers to send
    # more on their open connections.
    sub = f"drain-{tag}-slow"
    ptok = token("patient", sub=sub)
    case_id = srv.api.post("/v1/cases", ptok, case_body()).json["id"]
    payer = sql("SELECT id FROM payers WHERE name = 'Test Payer: Slow Clearinghouse'")[0][0]
    check = json.dumps({"payer_id": payer, "member_id": "BSH100001"}).encode()
    slow = [Client(srv.port, tag, f"slow{n}", (f"/v1/cases/{case_id}/coverage-checks", ptok, check))
            for n in range(2)]
    clients += slow
    try:
        for c in clients:
            c.start()
        wait_until(lambda: sum(1 for c in clients for e in c.log if e["status"] == 201) >= 200,
                   60, "200 writes acknowledged")
        t_signal = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(DRAIN_S + 20)
        exit_s = time.monotonic() - t_signal
        for c in clients:
            c.stop.set()
        for c in clients:
            c.join(30)
    finally:
        srv.stop()
    assert rc == 0, srv.output()[-2000:]
    assert not srv.sanitizer_report(), srv.sanitizer_report()
    # The slow requests in flight at the signal were finished and answered.
    for c in slow:
        begun = [e for e in c.log if e["sent_at"] < t_signal]
        assert begun and begun[-1]["status"] is not None and begun[-1]["status"] < 300, \
            f"slow request in flight at SIGTERM: {begun[-1] if begun else None}"
    log = [e for c in clients if not c.slow for e in c.log]
    answered = {e["key"]: e for e in log if e["status"] is not None}
    committed = {r[0] for r in sql(
        f"SELECT key FROM idempotency_keys WHERE subject LIKE 'drain-{tag}-%' "
        f"AND subject <> '{sub}' AND status IS NOT NULL")}
    unanswered = sorted(k for k in committed if answered.get(k, {}).get("status") != 201)
    assert not unanswered, (
        f"{len(unanswered)} writes were committed but their client got no 201 "
        f"(what the clients saw: {[(answered.get(k) or {}).get('status') for k in unanswered[:8]]}, "
        f"errors: {sorted({e['error'] for e in log if e['error']})})")

    # Once the server had a moment to begin draining, nothing more runs:
    # each request is 503 + Retry-After + Connection: close, or finds the
    # connection closed; nothing is stored for its key.
    late = [e for e in log if e["sent_at"] > t_signal + 0.2 and e["status"] is not None]
    ran_late = [e["key"] for e in late if e["status"] != 503]
    assert not ran_late, f"{len(ran_late)} requests sent while draining were run: {ran_late[:5]}"
    for e in (e for e in log if e["status"] == 503):
        assert e["headers"].get("connection", "").lower() == "close", e["headers"]
        assert int(e["headers"].get("retry-after", "0")) > 0, e["headers"]
        assert e["key"] not in committed, f"503 for {e['key']}, yet it was stored"
    after = [e for e in log if e["sent_at"] > t_signal and e["status"] is not None]
    not_closing = [e["status"] for e in after
                   if e["headers"].get("connection", "").lower() != "close"]
    # A request the server took before it saw the signal may end keep-alive;
    # the connection's next one is then refused with close.
    assert len(not_closing) <= len(clients), f"answers after SIGTERM without Connection: close: {not_closing}"
    assert exit_s < DRAIN_S + 3, f"exit took {exit_s:.1f} s (drain deadline {DRAIN_S} s)"
    refused = [e for e in log if e["status"] == 503]
    assert refused, "no request was refused while the server drained (the slow ones hold it open)"
    print(f"  {len(log)} requests, {len(committed)} committed, {len(refused)} refused while draining, "
          f"exit {exit_s:.2f} s")
