"""Write load for the fault tests: threads that create cases through one or
more servers, each request with its own Idempotency-Key, remembering what
was acknowledged. When the build has an operation that uploads a file to a
case (found in the spec: a POST under /v1/cases/{id} with a non-JSON
example), each new case also gets its example file, so that crashes happen
in the middle of uploads too. Afterwards `settle()` retries every case
request that was not acknowledged with the same key, subject and body, so
that the test can demand exactly one case per key: none lost, none doubled.
"""
import http.client
import threading
import time
import uuid

from lib import contract as c
from lib.examples import is_json_type
from lib.fixtures import case_body
from lib.harness import expect, sql, token
from lib.integrity import db_now, integrity_problems


def upload_target():
    """(op, media type, bytes, query) of an operation that uploads a file to
    a case, or None in a build without one."""
    for op in c.operations():
        if op.method != "POST" or len(op.path_param_names) != 1 or not op.path.startswith("/v1/cases/{"):
            continue
        if "patient" not in (op.roles or []):
            continue
        for _n, mt, value in op.request_examples():
            if not is_json_type(mt) and isinstance(value, str):
                xp = op.get("x-example-path") or ""
                query = xp.split("?", 1)[1] if "?" in xp else ""
                return op, mt, value.encode(), "" if "{" in query else query
    return None


class Attempt:
    __slots__ = ("key", "sub", "status", "case_id", "error", "retry_after", "replayed", "body", "doc_id")

    def __init__(self, key, sub):
        self.key, self.sub = key, sub
        self.status = self.case_id = self.error = self.retry_after = self.replayed = self.body = None
        self.doc_id = None

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
        self.uploads = []  # Attempts of file uploads (doc_id when acknowledged)
        self.upload = upload_target()
        self.since = None
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

    def _upload(self, api, case_attempt):
        op, mt, data, query = self.upload
        u = Attempt(f"{case_attempt.key}-doc", case_attempt.sub)
        u.case_id = case_attempt.case_id
        with self._lock:
            self.uploads.append(u)
        path = op.path.replace("{" + op.path_param_names[0] + "}", case_attempt.case_id)
        h = {"Content-Type": mt}
        if op.param("Idempotency-Key", "header"):
            h["Idempotency-Key"] = u.key
        try:
            r = api.request("POST", path + ("?" + query if query else ""), token("patient", sub=u.sub),
                            body=data, headers=h, timeout=self.timeout)
            u.status, u.body = r.status, r.body[:300]
            u.retry_after = r.headers.get("retry-after")
            if 200 <= r.status < 300:
                u.doc_id = r.json.get("id")
        except (OSError, http.client.HTTPException) as e:
            u.error = type(e).__name__

    def _worker(self, w):
        n = 0
        body = case_body()
        while not self._stop.is_set():
            a = Attempt(f"{self.tag}-{w}-{n}", self.subject(w))
            with self._lock:
                self.attempts.append(a)
            api = self.apis[(w + n) % len(self.apis)]
            self._one(api, a, body)
            if a.acknowledged and self.upload and not self._stop.is_set():
                self._upload(api, a)
            n += 1
            if not a.acknowledged:
                time.sleep(0.05)  # back off as a client would; a refusal comes back at once

    def start(self):
        self.since = db_now()
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

    def in_flight(self):
        """Requests sent (or about to be) and not yet answered or failed."""
        return [a for a in self.attempts + self.uploads if a.status is None and a.error is None]

    def running(self, acknowledged=20):
        """True once the load has had `acknowledged` writes acknowledged and
        has a request in flight right now: the moment to break something."""
        return len(self.acknowledged()) >= acknowledged and bool(self.in_flight())

    def refused_since(self, index):
        """Attempts from self.attempts[index] on that failed without an answer
        (connection refused or reset): the load has met a server that is gone."""
        return [a for a in self.attempts[index:] if a.error]

    def unacknowledged(self):
        return [a for a in self.attempts if not a.acknowledged]

    def stored(self):
        """{case id} of this load's subjects in the database."""
        rows = sql(f"SELECT id FROM cases WHERE patient_sub LIKE 'fault-{self.tag}-%'")
        return {r[0] for r in rows}

    def missing_acknowledged(self):
        """Acknowledged cases and uploads that are not in the database."""
        stored = self.stored()
        missing = [a for a in self.acknowledged() if a.case_id not in stored]
        docs = [u for u in self.uploads if u.doc_id]
        if docs:
            quoted = ",".join(f"'{u.doc_id}'" for u in docs)
            have = {r[0] for r in sql(f"SELECT id FROM documents WHERE id IN ({quoted})")}
            missing += [u for u in docs if u.doc_id not in have]
        return missing

    def integrity(self):
        """integrity_problems() for what was written since the load started."""
        return integrity_problems(self.since)

    def upload_summary(self):
        if not self.upload:
            return "no upload route in this build"
        return (f"{sum(1 for u in self.uploads if u.doc_id)} of {len(self.uploads)} uploads acknowledged "
                f"({self.upload[0].label})")

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
