"""JWT attacks against every protected operation.

tests/test_auth.py proves each attack on one route; here every attack token
of tests/security/payloads.py (alg none in any case, other algorithm labels,
forged or stripped signatures, time and audience claims, role and subject
tricks, duplicate header members, embedded jwk / jku / x5* key references,
`kid` path and SQL tricks, malformed shapes) is sent to every operation of
api/openapi.yaml that needs a token, with a random id for each path
parameter. Each must be refused with 401 and a Bearer challenge, and leave an
audit event with its request id. Nothing here names a route, so a route added
later is attacked too.

A valid token of one role carrying extra "escalation" claims (roles, scope,
admin, groups, a second role claim in another case) must still be that role
only: 403, audited as denied, on every operation its role is not allowed.
"""
import uuid

from lib import contract as c
from lib.harness import AUDIENCE, ISSUER, SECRET, api, sign_hs256, test, token
from lib.integrity import audit_by_request_prefix
from security import payloads

import time


def random_path(op):
    path = op.path
    for name in op.path_param_names:
        path = path.replace("{" + name + "}", str(uuid.uuid4()), 1)
    return path


def protected_operations():
    return [op for op in c.operations() if op.roles]


def attack_tokens():
    now = int(time.time())
    out = []
    for name, header, claims, key in payloads.jwt_attacks(ISSUER, AUDIENCE, now, SECRET):
        out.append((name, header if key is None else sign_hs256(header, claims, key=key)))
    return out


def new_prefix(what):
    return f"{what}-{uuid.uuid4().hex[:12]}-"


@test
def every_attack_token_is_refused_with_401_on_every_protected_operation():
    ops = protected_operations()
    assert ops, "no protected operation in the spec"
    tokens = attack_tokens()
    problems, rids = [], []
    prefix = new_prefix("jwt")
    for name, tok in tokens:
        for op in ops:
            rid = f"{prefix}{uuid.uuid4().hex}"
            r = api.request(op.method, random_path(op), headers={
                "Authorization": "Bearer " + tok, "X-Request-Id": rid})
            where = f"{name} -> {op.label}"
            if r.status != 401:
                problems.append(f"{where}: {r.status} {r.body[:160]!r}")
                continue
            if not r.headers.get("www-authenticate", "").startswith("Bearer"):
                problems.append(f"{where}: no Bearer challenge")
            if not r.headers.get("content-type", "").startswith("application/problem+json"):
                problems.append(f"{where}: 401 is not problem+json")
            rids.append((where, rid))
    audit = audit_by_request_prefix(prefix)
    problems += [f"{where}: refused but not audited as denied" for where, rid in rids
                 if audit.get(rid, (0, ""))[:2] != (401, "denied")]
    assert not problems, f"{len(problems)} attack requests not handled:\n  " + "\n  ".join(problems[:40])
    assert len(rids) == len(tokens) * len(ops)


@test
def the_attack_list_itself_is_sound():
    """The harness would mask a broken attack list: the same claims signed
    properly are accepted, so each refusal above is about the attack."""
    ops = [op for op in protected_operations() if op.method == "GET" and not op.path_param_names
           and "admin" in op.roles]
    assert ops, "need a parameterless GET that admins may call"
    good = sign_hs256({"alg": "HS256", "typ": "JWT"},
                      {"iss": ISSUER, "aud": AUDIENCE, "sub": "attacker-admin", "role": "admin",
                       "iat": int(time.time()), "exp": int(time.time()) + 3600})
    r = api.get(ops[0].path, good)
    assert r.status == 200, r
    # and a kid alone (no key selection) is tolerated
    r = api.get(ops[0].path, sign_hs256({"alg": "HS256", "kid": "main"},
                                        {"iss": ISSUER, "aud": AUDIENCE, "sub": "a", "role": "admin",
                                         "exp": int(time.time()) + 60}))
    assert r.status == 200, r


@test
def two_authorization_headers_are_refused():
    import socket
    from lib import harness
    op = protected_operations()[0]
    s = socket.create_connection(("127.0.0.1", harness.shared_server.port), timeout=10)
    try:
        s.sendall((f"{op.method} {random_path(op)} HTTP/1.1\r\nHost: t\r\n"
                   f"Authorization: Bearer {token('patient')}\r\n"
                   f"Authorization: Bearer {token('admin')}\r\nConnection: close\r\n\r\n").encode())
        head = s.recv(4096).decode(errors="replace")
    finally:
        s.close()
    assert head.startswith("HTTP/1.1 401"), head[:200]


@test
def escalation_claims_do_not_change_the_role():
    problems, rids = [], []
    prefix = new_prefix("esc")
    for role in c.ALL_ROLES:
        tok = token(role, roles=["admin"], scope="admin cso:all", admin=True, groups=["admin"],
                    Role="admin", is_staff=True,
                    **({"specialist_id": str(uuid.uuid4())} if role == "specialist" else {}))
        for op in protected_operations():
            if role in op.roles:
                continue
            rid = f"{prefix}{uuid.uuid4().hex}"
            r = api.request(op.method, random_path(op), tok, headers={"X-Request-Id": rid})
            if r.status != 403:
                problems.append(f"{role} with escalation claims -> {op.label}: {r.status} {r.body[:160]!r}")
            else:
                rids.append((f"{role} -> {op.label}", rid, role))
    assert rids, "every role may call every operation: nothing to escalate to"
    audit = audit_by_request_prefix(prefix)
    for where, rid, role in rids:
        got = audit.get(rid)
        if got is None or got[:2] != (403, "denied"):
            problems.append(f"{where}: refused but not audited as denied ({got})")
        elif got[2] != role:
            # the audit row names the real role, not a claimed one
            problems.append(f"{where}: audited as {got[2]}")
    assert not problems, "\n  ".join(problems[:40])
