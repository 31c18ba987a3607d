#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/)
from what the tests send: every JSON request example in api/openapi.yaml, the
case fixture, the bodies the security tests send, the query strings the spec
documents, and the JWT attack tokens of tests/test_auth.py and
tests/security/test_jwt_attacks.py (signed with the fuzz harness's fixed
secret). Files are named by the SHA-1 of their content, as libFuzzer names
its own finds, so re-running only adds what is new.

Run from the repository root after changing the spec or the tests:
    CSO_TEST_TMP=/tmp python3 tests/fuzz/make_corpus.py
Crash reproducers found by `make fuzz` are added by hand (with the fix) and
are never removed by this script.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from lib import contract as c  # noqa: E402
from lib import fixtures  # noqa: E402
from security import payloads  # noqa: E402

# Must match tests/fuzz/fuzz_jwt.c.
SECRET = b"fuzz-secret-0123456789abcdefghijklmnop"
ISSUER = "https://auth.fuzz.second-opinion.local"
AUDIENCE = "cso-api-fuzz"
NOW = 1767225600
SPECIALIST_ID = "5b0c6a8e-4f3d-4a2b-9c1e-7d8f9a0b1c2d"


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        return 1
    return 0


def b64u(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sign(header, claims, key=SECRET):
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    p = claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))
    si = b64u(h) + "." + b64u(p)
    return si + "." + b64u(hmac.new(key, si.encode(), hashlib.sha256).digest())


def claims(role="admin", **extra):
    cl = {"iss": ISSUER, "aud": AUDIENCE, "sub": f"{role}-fuzz", "role": role,
          "iat": NOW, "exp": NOW + 3600}
    if role == "specialist":
        cl["specialist_id"] = SPECIALIST_ID
    cl.update(extra)
    return cl


def jwt_seeds():
    raw, structured = [], []
    hs = {"alg": "HS256", "typ": "JWT"}
    for role in ("patient", "navigator", "specialist", "admin"):
        raw.append(sign(hs, claims(role)))
        structured.append((hs, claims(role)))
    # every attack of the security tests, as raw tokens and, where the
    # harness can sign them, as header/claims pairs that pass the signature
    for name, header, body, key in payloads.jwt_attacks(ISSUER, AUDIENCE, NOW, SECRET.decode()):
        if key is None:
            raw.append(header)  # a literal token
            continue
        raw.append(sign(header, body, key.encode() if isinstance(key, str) else key))
        structured.append((header, body))
    structured += [
        (hs, claims(exp=1e300)),  # overflowed the conversion to long (fixed: exp out of range)
        (hs, claims(exp=-1e300)),
        (hs, claims(nbf=1e300)),
        (hs, claims(exp=NOW + 0.5)),
        (hs, claims(aud=[AUDIENCE, "x", 1, None])),
        (hs, claims(aud=[])),
        (hs, claims(sub="x" * 128)),
        (hs, claims(sub="x" * 129)),
        (hs, claims(sub="é")),
        (hs, claims("specialist", specialist_id="NOT-A-UUID")),
        (hs, claims("specialist", specialist_id=SPECIALIST_ID.upper())),
        (hs, claims(role=None)),
        ('{"alg":"HS256","alg":"HS256"}', claims()),
        (hs, json.dumps(claims())[:-1] + ',"role":"admin"}'),
        (hs, "[]"),
        (hs, "{}"),
        ("{", claims()),
    ]
    n = 0
    for t in raw:
        n += write("jwt", "0" + t)
    for h, p in structured:
        h = h if isinstance(h, str) else json.dumps(h, separators=(",", ":"))
        p = p if isinstance(p, str) else json.dumps(p, separators=(",", ":"))
        n += write("jwt", "1" + h + "\n" + p)
    return n


def query_seeds(ops):
    seeds = {"", "limit=1", "limit=200", "limit=0", "limit=1000000", "limit=-1", "limit=%2B5",
             "limit=99999999999999999999", "a=1&a=2", "limit=1&limit=1", "%6Cimit=1&limit=2",
             "access_token=x", "=1", "&&&", "limit", "limit=", "limit=%", "limit=%zz", "limit=%00",
             "limit=%ff", "limit=%c3", "limit=%ed%a0%80", "%ff=1", "limit=1%0a",
             "cursor=" + b64u("2026-11-22T00:30:45.243553Z|" + str(uuid.UUID(int=1))),
             "cursor=" + b64u("a|b|c"), "cursor=" + b64u("no-bar"), "cursor=%%%",
             "updated_since=2026-11-22T00:00:00Z", "status=draft&limit=5"}
    for op in ops:
        for p in op.params_in("query"):
            name = p.get("name")
            schema = p.get("schema") or {}
            values = [str(v) for v in (schema.get("enum") or [])[:3]]
            for k in ("example", "default"):
                if k in p:
                    values.append(str(p[k]))
                if k in schema:
                    values.append(str(schema[k]))
            values += [v for v in payloads.INJECTION_STRINGS if "\x00" not in v][:6]
            for v in values or ["x"]:
                seeds.add(f"{name}={quote(v)}")
    n = 0
    for s in sorted(seeds):
        n += write("query", s)
    return n


def quote(v):
    import urllib.parse
    return urllib.parse.quote(v, safe="")


def body_seeds(ops):
    bodies = [fixtures.case_body(), {}, {"note": "Checked the records."}, {"note": None}]
    for op in ops:
        for _name, mt, value in op.request_examples():
            if mt and (mt == "application/json" or mt.endswith("+json")):
                bodies.append(value)
    extra = []
    for b in list(bodies):
        if isinstance(b, dict):
            for k in ("id", "status", "version", "created_at", "owner", "patient_subject"):
                extra.append(dict(b, **{k: None}))
            extra.append(dict(b, unknown_member=1))
    n = 0
    for b in bodies + extra:
        n += write("body", json.dumps(b, ensure_ascii=False))
    for raw in payloads.hostile_json_bodies(small=True):
        n += write("body", raw)
    return n


def main():
    ops = c.operations()
    print(f"jwt: {jwt_seeds()} new, query: {query_seeds(ops)} new, body: {body_seeds(ops)} new")


if __name__ == "__main__":
    main()
