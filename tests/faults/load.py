"""Write load for the fault tests: threads that create cases through one or
more servers, each request with its own Idempotency-Key, remembering what
was acknowledged. Afterwards `settle()` retries every request that was not
acknowledged with the same key, subject and body, so that the test can
demand exactly one case per key: none lost, none doubled.
"""
import http.client
import threading
import time
import uuid

from lib.fixtures import case_body
from lib.harness import expect, sql, token


class Attempt:
    __slots__ = ("key", "sub", "status", "case_id", "error", "retry_after", "replayed", "body")

    def __init__(self, key, sub):
        self.key, self.sub = key, sub
        self.status = self.case_id = self.error = self.retry_after = self.replayed = self.body = None

    @property
    def acknowledged(self):
        return self.status is not None and 200 <= self.status < 300


class WriteLoad:
    def __init__(self, apis, tag=None, threads=4, timeout=15):
        self.apis = apis if isinstance(apis, (list, tuple)) else [apis]
        self.tag = tag or uuid.uuid4().hex[:10]
        self.threads = threads
        self.timeout = timeout
        self.attempts = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers = []

    def subject(self, worker):
        return f"fault-{self.tag}-{worker}"

    def _one(self, api, attempt, body):
        tok = token("patient", sub=attempt.sub)
        try:
            r = api.post("/v1/cases", tok, body, headers={"Idempotency-Key": attempt.key},
                         timeout=self.timeout)
            attempt.status = r.status
            attempt.retry_after = r.headers.get("retry-after")
            attempt.replayed = r.headers.get("idempotent-replayed")
            attempt.body = r.body[:300]
            if 200 <= r.status < 300:
                attempt.case_id = r.json["id"]
        except (OSError, http.client.HTTPException) as e:
            attempt.error = type(e).__name__

    def _worker(self, w):
        n = 0
        body = case_body()
        while not self._stop.is_set():
            a = Attempt(f"{self.tag}-{w}-{n}", self.subject(w))
            with self._lock:
                self.attempts.append(a)
            self._one(self.apis[(w + n) % len(self.apis)], a, body)
            n += 1
            if not a.acknowledged:
                time.sleep(0.05)  # back off as a client would; a refusal comes back at once

    def start(self):
        for w in range(self.threads):
            t = threading.Thread(target=self._worker, args=(w,), daemon=True)
            t.start()
            self._workers.append(t)
        return self

    def stop(self):
        self._stop.set()
        for t in self._workers:
            t.join(60)
        return self

    # ------------------------------------------------------------ checks

    def acknowledged(self):
        return [a for a in self.attempts if a.acknowledged]

    def unacknowledged(self):
        return [a for a in self.attempts if not a.acknowledged]

    def stored(self):
        """{case id} of this load's subjects in the database."""
        rows = sql(f"SELECT id FROM cases WHERE patient_sub LIKE 'fault-{self.tag}-%'")
        return {r[0] for r in rows}

    def missing_acknowledged(self):
        stored = self.stored()
        return [a for a in self.acknowledged() if a.case_id not in stored]

    def settle(self, api, deadline_s=30):
        """Retries every unacknowledged request (same key, subject, body)
        until it is acknowledged. Returns the attempts that never were."""
        body = case_body()
        pending = list(self.unacknowledged())
        end = time.time() + deadline_s
        while pending and time.time() < end:
            still = []
            for a in pending:
                retry = Attempt(a.key, a.sub)
                self._one(api, retry, body)
                if retry.acknowledged:
                    a.status, a.case_id, a.replayed = retry.status, retry.case_id, retry.replayed
                else:
                    still.append(a)
            pending = still
            if pending:
                time.sleep(0.5)
        return pending

    def exactly_once_problems(self):
        """After settle(): one case per key, and the ids the clients were
        given are exactly the cases stored for this load's subjects."""
        problems = []
        given = {}
        for a in self.attempts:
            if a.acknowledged:
                given.setdefault(a.key, set()).add(a.case_id)
        for key, ids in given.items():
            if len(ids) != 1:
                problems.append(f"key {key} was answered with several cases: {sorted(ids)}")
        acked_ids = {next(iter(ids)) for ids in given.values()}
        stored = self.stored()
        if stored - acked_ids:
            problems.append(f"{len(stored - acked_ids)} stored cases no client was told about "
                            f"(a key created twice?): {sorted(stored - acked_ids)[:5]}")
        if acked_ids - stored:
            problems.append(f"{len(acked_ids - stored)} acknowledged cases are missing: "
                            f"{sorted(acked_ids - stored)[:5]}")
        keys = {a.key for a in self.attempts}
        if len(given) != len(keys):
            problems.append(f"{len(keys) - len(given)} keys never acknowledged")
        return problems


def wait_until_ok(api, seconds=20):
    end = time.time() + seconds
    last = None
    while time.time() < end:
        try:
            last = api.get("/readyz", timeout=3)
            if last.status == 200:
                return True
        except OSError as e:
            last = e
        time.sleep(0.2)
    raise AssertionError(f"not ready after {seconds}s: {last}")


def create_case(api, sub):
    r = expect(api.post("/v1/cases", token("patient", sub=sub), case_body()), 201)
    return r.json
