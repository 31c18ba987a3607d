"""OWASP API5 (function-level authorization): what tests/test_contract.py
does not already cover. That test derives the role x operation table from
api/openapi.yaml (x-roles) and proves every role outside x-roles gets 403
(audited) and that an operation without x-roles fails the suite. Here the
same table is attacked around its edges:

  - other spellings of each path (trailing slash, doubled or dot segments,
    `..` from another route, percent-encoded letters, upper case, a `;`
    parameter, an encoded slash) must not reach the operation for a role
    outside its x-roles: never 2xx;
  - every method the spec does not list for a path (HEAD, OPTIONS, PUT,
    DELETE, PATCH, POST, TRACE, and a made-up one) is never 2xx, whatever
    the role;
  - X-HTTP-Method-Override and X-Original-URL style headers change nothing.
"""
import socket
import uuid

from lib import contract as c
from lib import harness
from lib.harness import api, test, token

METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "POST", "TRACE", "BREW")


def role_token(role):
    return token(role, specialist_id=str(uuid.uuid4()) if role == "specialist" else None)


def concrete(path):
    for name in c.Operation(path, "get", {}, {}).path_param_names:
        path = path.replace("{" + name + "}", str(uuid.uuid4()), 1)
    return path


def spellings(path):
    segs = path.split("/")
    out = [path + "/", path.replace("/", "//", 1), path.replace("/v1/", "/v1/./", 1),
           "/v1/x/.." + path[3:] if path.startswith("/v1/") else None,
           path.upper(), path + ";x=1", path.replace("/", "%2F")]
    if len(segs) > 2 and segs[2]:
        first = segs[2][0]
        out.append("/".join(segs[:2] + ["%%%02X" % ord(first) + segs[2][1:]] + segs[3:]))
    return [p for p in out if p and p != path]


def raw(method, target, headers):
    """A request http.client would refuse to send as is."""
    s = socket.create_connection(("127.0.0.1", harness.shared_server.port), timeout=10)
    try:
        lines = [f"{method} {target} HTTP/1.1", "Host: t", "Connection: close", "Content-Length: 0"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
        return status, data
    finally:
        s.close()


@test
def other_spellings_of_a_path_do_not_bypass_the_role_check():
    problems, n = [], 0
    for op in c.operations():
        if not op.roles:
            continue
        outside = [r for r in c.ALL_ROLES if r not in op.roles]
        for role in outside:
            tok = role_token(role)
            for variant in spellings(concrete(op.path)):
                status, data = raw(op.method, variant, {"Authorization": "Bearer " + tok})
                n += 1
                if 200 <= status < 300:
                    problems.append(f"{op.method} {variant} as {role} (outside {op.roles}): {status} {data[:200]!r}")
    assert not problems, "\n  ".join(problems)


@test
def methods_the_spec_does_not_list_are_never_served():
    spec_methods = {}
    for op in c.operations():
        spec_methods.setdefault(op.path, set()).add(op.method)
    problems = []
    for path, listed in spec_methods.items():
        target = concrete(path)
        for method in METHODS:
            if method in listed:
                continue
            for role in c.ALL_ROLES:
                status, data = raw(method, target, {"Authorization": "Bearer " + role_token(role)})
                if 200 <= status < 300:
                    problems.append(f"{method} {path} as {role}: {status} {data[:200]!r}")
    assert not problems, "\n  ".join(problems)


@test
def override_headers_change_nothing():
    problems = []
    for op in c.operations():
        if not op.roles:
            continue
        for role in (r for r in c.ALL_ROLES if r not in op.roles):
            tok = role_token(role)
            other = next((o for o in c.operations() if role in (o.roles or []) and o.method == "GET"
                          and not o.path_param_names), None)
            headers = {"X-HTTP-Method-Override": op.method, "X-Method-Override": op.method,
                       "X-Original-URL": concrete(op.path), "X-Rewrite-URL": concrete(op.path),
                       "X-Forwarded-Prefix": "/admin", "X-Role": "admin", "X-User-Role": "admin"}
            r = api.request(op.method, concrete(op.path), tok, headers=headers)
            if r.status != 403:
                problems.append(f"{op.label} as {role} with override headers: {r.status}")
            if other is not None:
                r = api.request("GET", other.path, tok, headers=headers)
                # served as the GET it is, never as the operation named in the headers
                if r.status == 200 and op.method != "GET" and r.headers.get("location"):
                    problems.append(f"GET {other.path} with overrides acted as {op.label}")
    assert not problems, "\n  ".join(problems)
