"""JWT verification: every token below must be refused with 401 and
WWW-Authenticate, and leave an audit event."""
import base64
import json
import os
import subprocess
import time

from lib.harness import (Server, api, b64u, claims, count, expect, expect_problem, sign_hs256,
                         test, token, TMP, MINT_BIN, ISSUER, AUDIENCE)

ROUTE = "/v1/audit-events?limit=1"


def refused(tok, msg=""):
    before = count("audit_events", "status = 401")
    r = api.get(ROUTE, tok)
    expect_problem(r, 401, msg)
    assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
    assert count("audit_events", "status = 401") == before + 1, "no audit row for " + msg


@test
def valid_token_is_accepted():
    expect(api.get(ROUTE, token("admin")), 200)


@test
def missing_and_malformed_authorization_headers():
    expect_problem(api.get(ROUTE), 401)
    expect_problem(api.get(ROUTE, headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401)
    expect_problem(api.get(ROUTE, headers={"Authorization": "Bearer"}), 401)
    refused("not.a.jwt.at.all", "five segments")
    refused("abc", "one segment")
    refused("!!!.###.$$$", "bad alphabet")
    refused(b64u("not json") + "." + b64u("{}") + ".sig", "header not json")
    refused(b64u('["alg"]') + "." + b64u("{}") + ".sig", "header not object")


@test
def expired_and_not_yet_valid():
    now = int(time.time())
    refused(token("admin", exp=now - 120), "expired")
    refused(token("admin", nbf=now + 600), "not yet valid")
    refused(token("admin", exp="soon"), "exp wrong type")
    c = claims("admin")
    del c["exp"]
    refused(sign_hs256({"alg": "HS256"}, c), "no exp")
    # within the 60 s leeway both ways
    expect(api.get(ROUTE, token("admin", exp=now - 30)), 200)
    expect(api.get(ROUTE, token("admin", nbf=now + 30)), 200)


@test
def wrong_issuer_and_audience():
    refused(token("admin", iss="https://evil.example"), "issuer")
    refused(token("admin", aud="someone-else"), "audience")
    refused(token("admin", aud=["a", "b"]), "audience list without ours")
    expect(api.get(ROUTE, token("admin", aud=["other", AUDIENCE])), 200)


@test
def alg_none_in_any_letter_case():
    for alg in ("none", "None", "NONE", "nOnE"):
        c = claims("admin")
        refused(b64u(json.dumps({"alg": alg})) + "." + b64u(json.dumps(c)) + ".", alg)
        refused(b64u(json.dumps({"alg": alg})) + "." + b64u(json.dumps(c)) + ".e30", alg + " with sig")


@test
def other_hmac_algorithms_are_refused():
    refused(sign_hs256({"alg": "HS512"}, claims("admin")), "HS512 label")
    refused(sign_hs256({"alg": "hs256"}, claims("admin")), "lowercase alg")


@test
def flipped_signature_byte_and_changed_payload():
    t = token("admin")
    h, p, s = t.split(".")
    sig = bytearray(base64.urlsafe_b64decode(s + "=="))
    sig[5] ^= 0x01
    refused(h + "." + p + "." + b64u(bytes(sig)), "flipped signature")
    c = claims("patient")
    forged = json.loads(base64.urlsafe_b64decode(p + "=="))
    forged["role"] = "admin"
    forged["sub"] = c["sub"]
    refused(h + "." + b64u(json.dumps(forged)) + "." + s, "payload changed")
    refused(h + "." + p + ".", "signature stripped")


@test
def role_and_subject_claims_are_checked():
    refused(token("superuser"), "unknown role")
    refused(token("Admin"), "role case")
    c = claims("admin")
    c["role"] = ["admin"]
    refused(sign_hs256({"alg": "HS256"}, c), "role array")
    c["role"] = 1
    refused(sign_hs256({"alg": "HS256"}, c), "role number")
    c = claims("admin")
    del c["sub"]
    refused(sign_hs256({"alg": "HS256"}, c), "missing sub")
    c = claims("admin")
    c["sub"] = ""
    refused(sign_hs256({"alg": "HS256"}, c), "empty sub")
    c["sub"] = 42
    refused(sign_hs256({"alg": "HS256"}, c), "numeric sub")
    c["sub"] = "x" * 200
    refused(sign_hs256({"alg": "HS256"}, c), "long sub")
    c = claims("specialist")
    refused(sign_hs256({"alg": "HS256"}, c), "specialist without specialist_id")


@test
def duplicate_claims_and_headers_are_refused():
    c = claims("patient")
    payload = json.dumps(c)[:-1] + ', "role": "admin"}'
    refused(sign_hs256({"alg": "HS256"}, payload), "duplicate role claim")
    refused(sign_hs256('{"alg":"HS256","alg":"none"}', claims("admin")), "duplicate alg header")


@test
def key_references_in_header_are_refused():
    refused(sign_hs256({"alg": "HS256", "jku": "https://evil.example/jwks"}, claims("admin")), "jku")
    refused(sign_hs256({"alg": "HS256", "jwk": {"kty": "oct", "k": "AAAA"}}, claims("admin")), "jwk")
    refused(sign_hs256({"alg": "HS256", "x5u": "https://evil.example/cert"}, claims("admin")), "x5u")
    refused(sign_hs256({"alg": "HS256", "kid": "../../../../dev/null"}, claims("admin"), key=""), "kid path")
    refused(sign_hs256({"alg": "HS256", "kid": "x' UNION SELECT 'k"}, claims("admin"), key="k"), "kid sql")
    # a kid is tolerated but never selects a key
    expect(api.get(ROUTE, sign_hs256({"alg": "HS256", "kid": "main"}, claims("admin"))), 200)


@test
def over_long_token_is_refused():
    refused(token("admin", pad="x" * 5000), "over-long")


@test
def rs256_service_refuses_hs256_signed_with_its_public_key():
    pub = os.path.join(TMP, "rsa_public.pem")
    srv = Server(JWT_ALG="RS256", JWT_SECRET=None, JWT_PUBLIC_KEY_FILE=pub).start()
    try:
        env = dict(os.environ, JWT_ALG="RS256", JWT_PRIVATE_KEY_FILE=os.path.join(TMP, "rsa_private.pem"),
                   JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
        good = subprocess.run([MINT_BIN, "--role", "admin", "--sub", "rs-admin"], env=env,
                              capture_output=True, text=True, check=True).stdout.strip()
        expect(srv.api.get(ROUTE, good), 200)
        pem = open(pub, "rb").read()
        confused = sign_hs256({"alg": "HS256", "typ": "JWT"}, claims("admin"), key=pem)
        expect_problem(srv.api.get(ROUTE, confused), 401)
        stripped = good.rsplit(".", 1)[0] + "."
        expect_problem(srv.api.get(ROUTE, stripped), 401)
        h, p, s = good.split(".")
        expect_problem(srv.api.get(ROUTE, b64u('{"alg":"RS256"}') + "." + b64u(json.dumps(claims("admin"))) + "." + s), 401)
    finally:
        assert srv.stop() == 0
    assert not srv.sanitizer_report(), srv.sanitizer_report()


@test
def es256_service_accepts_es256_tokens():
    srv = Server(JWT_ALG="ES256", JWT_SECRET=None, JWT_PUBLIC_KEY_FILE=os.path.join(TMP, "ec_public.pem")).start()
    try:
        env = dict(os.environ, JWT_ALG="ES256", JWT_PRIVATE_KEY_FILE=os.path.join(TMP, "ec_private.pem"),
                   JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
        good = subprocess.run([MINT_BIN, "--role", "admin", "--sub", "es-admin"], env=env,
                              capture_output=True, text=True, check=True).stdout.strip()
        expect(srv.api.get(ROUTE, good), 200)
        expect_problem(srv.api.get(ROUTE, token("admin")), 401)
    finally:
        assert srv.stop() == 0
