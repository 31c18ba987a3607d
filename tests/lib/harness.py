"""Test harness: the real server binary, the real PostgreSQL, plain HTTP.

Tests are functions decorated with @test in tests/test_*.py. Each gets no
arguments and uses the module-level helpers below: `api` (the running server),
`token(...)` (signed JWTs), `sql(...)` (read-only checks in the database as the
schema owner), and `Server` for tests that need their own process.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import time
import traceback
import uuid

ROOT = os.environ.get("CSO_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
TMP = os.environ.get("CSO_TEST_TMP", "/tmp")
PGPORT = os.environ.get("PGPORT", "5544")
PGDIR = os.environ.get("PGDIR", "")
SERVER_BIN = os.environ.get("CSO_SERVER_BIN", os.path.join(ROOT, "build", "cso-server"))
MINT_BIN = os.environ.get("CSO_MINT_BIN", os.path.join(ROOT, "build", "mint-token"))

SECRET = "test-secret-" + hashlib.sha256(os.urandom(16)).hexdigest()[:32]
ISSUER = "https://auth.test.second-opinion.local"
AUDIENCE = "cso-api-test"

TESTS = []
shared_server = None


class _SharedApi:
    """`api` in tests: forwards to the shared server started by run.py."""

    def __getattr__(self, name):
        return getattr(shared_server.api, name)


api = _SharedApi()


def test(fn):
    TESTS.append(fn)
    return fn


class Skip(Exception):
    """Raised by a test that has nothing to check on this build (say, a
    route another branch adds); the runner reports it as `skip`, counted
    neither as passed nor as failed."""


def skip(reason):
    raise Skip(reason)


# ---------------------------------------------------------------- tokens

def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_hs256(header, payload, key=None):
    """Signs arbitrary header/payload dicts (or raw strings) with HMAC-SHA256."""
    key = (key if key is not None else SECRET)
    if isinstance(key, str):
        key = key.encode()
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    p = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    signing_input = b64u(h) + "." + b64u(p)
    sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64u(sig)


def claims(role, sub=None, specialist_id=None, **extra):
    now = int(time.time())
    c = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub or f"{role}-{uuid.uuid4().hex[:12]}",
         "role": role, "iat": now, "exp": now + 3600}
    if specialist_id:
        c["specialist_id"] = specialist_id
    c.update(extra)
    return c


def token(role, sub=None, specialist_id=None, **extra):
    if role == "specialist" and not specialist_id and "specialist_id" not in extra:
        specialist_id = str(uuid.uuid4())
    return sign_hs256({"alg": "HS256", "typ": "JWT"}, claims(role, sub, specialist_id, **extra))


# ---------------------------------------------------------------- HTTP

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Api:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, token=None, json_body=None, body=None, headers=None,
                content_type=None, timeout=30):
        h = {}
        if token:
            h["Authorization"] = "Bearer " + token
        if json_body is not None:
            body = json.dumps(json_body).encode()
            h["Content-Type"] = "application/json"
        if content_type:
            h["Content-Type"] = content_type
        if headers:
            h.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token, **kw)

    def post(self, path, token=None, json_body=None, **kw):
        return self.request("POST", path, token, json_body=json_body, **kw)

    def patch(self, path, token=None, json_body=None, **kw):
        return self.request("PATCH", path, token, json_body=json_body, **kw)

    def delete(self, path, token=None, **kw):
        return self.request("DELETE", path, token, **kw)


def wait_until(predicate, timeout=15, what="the condition", interval=0.02):
    """Calls predicate until it returns something true and returns that;
    raises AssertionError naming `what` (a string, or a function that makes
    one, for a message with the state at the deadline) if it is still false
    after timeout seconds. The one way tests wait for something to happen:
    for a condition, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout}s for {what() if callable(what) else what}")
        time.sleep(interval)


def asan_options(options):
    """options for a sanitizer build, plus CSO_ASAN_EXTRA when the run sets
    it (scripts/test-shifted-clock.sh: libfaketime is preloaded before the
    sanitizer runtime)."""
    extra = os.environ.get("CSO_ASAN_EXTRA")
    return f"{options}:{extra}" if extra else options


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def database_url():
    return f"postgresql://cso_app:cso_app_dev@127.0.0.1:{PGPORT}/cso"


class Server:
    """One server process. env overrides the test defaults; binary replaces
    the server under test (say, the release build for a memory measure)."""

    def __init__(self, binary=None, **env):
        self.binary = binary
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update({
            "PORT": str(self.port), "BIND_ADDRESS": "127.0.0.1", "DATABASE_URL": database_url(),
            "JWT_ALG": "HS256", "JWT_SECRET": SECRET, "JWT_ISSUER": ISSUER,
            "JWT_AUDIENCE": AUDIENCE, "DB_POOL_SIZE": "8", "LOG_LEVEL": "info",
            "RATE_LIMIT_PER_MINUTE": "100000",
            # Webhook delivery: off unless a test starts its own server with
            # WEBHOOK_WORKERS set, so deliveries only ever come from servers
            # a test controls. Loopback receivers and quick retries for tests.
            "WEBHOOK_WORKERS": "0", "WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_POLL_MS": "50",
            "WEBHOOK_BASE_BACKOFF_MS": "200", "WEBHOOK_MAX_BACKOFF_MS": "1000",
            "WEBHOOK_MAX_FAILURES": "3", "WEBHOOK_TIMEOUT_MS": "3000",
            "ASAN_OPTIONS": asan_options("detect_leaks=1:abort_on_error=0:halt_on_error=1"),
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
            "LSAN_OPTIONS": "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp"),
        })
        for k, v in env.items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = str(v)
        self.log_path = os.path.join(TMP, f"server-{self.port}.log")
        self.proc = None
        self.api = Api(self.port)

    def start(self, wait=True):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary or SERVER_BIN], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            deadline = time.time() + 20
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"server exited early ({self.proc.returncode}): {self.output()[-2000:]}")
                try:
                    if self.api.get("/healthz", timeout=2).status == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            raise AssertionError("server did not become healthy")
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc

    def threads(self):
        """How many threads the process runs now (0 once it has exited)."""
        try:
            return len(os.listdir(f"/proc/{self.proc.pid}/task"))
        except OSError:
            return 0

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def sanitizer_report(self):
        out = self.output()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in out:
                i = out.index(marker)
                return out[max(0, i - 200): i + 3000]
        return None


# ---------------------------------------------------------------- database

def sql(query):
    """Runs a query as the schema owner; returns rows as lists of strings."""
    env = dict(os.environ, PGPASSWORD="cso_owner_dev")
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
                          "-h", "127.0.0.1", "-p", PGPORT, "-U", "cso_owner", "-d", "cso", "-c", query],
                         env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError("sql failed: " + out.stderr)
    return [line.split("\x1f") for line in out.stdout.splitlines()]


def sql_as_app(query):
    """Runs a query as the service's own role; returns (returncode, stderr)."""
    env = dict(os.environ, PGPASSWORD="cso_app_dev")
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                          "-p", PGPORT, "-U", "cso_app", "-d", "cso", "-c", query],
                         env=env, capture_output=True, text=True, timeout=60)
    return out.returncode, out.stderr


def pg_ctl(action):
    """Stops or starts the test PostgreSQL (for outage tests)."""
    env = dict(os.environ, PGPORT=PGPORT, PGDIR=PGDIR)
    subprocess.run([os.path.join(ROOT, "scripts", "pg.sh"), action], env=env, check=True,
                   capture_output=True, timeout=120)
    if action == "start" and shared_server is not None:
        _use_up_stale_connections(shared_server)


def _use_up_stale_connections(server):
    """After a restart every pooled connection of the shared server fails once
    (503) before it reconnects. Spend those failures here, on /readyz, so that
    the tests that run after an outage test do not see them."""
    deadline = time.time() + 30
    healthy = 0
    while time.time() < deadline and healthy < 3:
        try:
            status = server.api.get("/readyz", timeout=5).status
        except OSError:
            status = 0
        healthy = healthy + 1 if status == 200 else 0
        if status != 200:
            time.sleep(0.05)


# ---------------------------------------------------------------- assertions

def expect(resp, status, msg=""):
    if resp.status != status:
        raise AssertionError(f"expected {status}, got {resp.status} {msg}: {resp.body[:500]!r}")
    return resp


def expect_problem(resp, status, msg=""):
    expect(resp, status, msg)
    ct = resp.headers.get("content-type", "")
    assert ct.startswith("application/problem+json"), f"problem content-type, got {ct!r}"
    p = resp.json
    for k in ("type", "title", "status", "detail"):
        assert k in p, f"problem lacks {k}: {p}"
    assert p["status"] == status, p
    return p


def count(table, where="true"):
    return int(sql(f"SELECT count(*) FROM {table} WHERE {where}")[0][0])
