"""Injection, derived from the spec: every string field of every create
request (an operation documenting 201, with a JSON example; with path
parameters when the examples give them real ids) gets SQL meta-characters,
format strings, template and JNDI lookups, markup and Unicode edge cases
(tests/security/payloads.py INJECTION_STRINGS).

  - Free-text fields (whose schema takes a plain sentence) must store each
    string their schema accepts (length, pattern) and give it back
    unchanged, byte for byte, in the create response and in a later GET of
    Location.
  - Constrained fields must refuse it with 400 naming the field, or (when
    the string happens to fit) store it unchanged. Never a 5xx.
  - The same strings in every query parameter of every GET and in every path
    parameter: 400 or 404 (or 200 without anything of another caller), never
    5xx. As Idempotency-Key: stored and replayed like any other key.
  - Afterwards every table is still there and a fresh caller still sees none
    of these cases (no predicate was widened).
"""
import copy
import json
import re
import urllib.parse
import uuid

from lib import contract as c
from lib.examples import ExampleRun, is_json_type
from lib.harness import api, sql, test, token
from security import payloads


def string_leaves(value, schema, path=()):
    """[(path, schema)] of the string members of an example value, with the
    (resolved) schema of each, following objects and string arrays."""
    out = []
    schema = schema if isinstance(schema, dict) else {}
    variants = [schema] + [s for k in ("oneOf", "anyOf", "allOf") for s in schema.get(k) or []
                           if isinstance(s, dict)]
    if isinstance(value, dict):
        props = {}
        for v in variants:
            props.update(v.get("properties") or {})
        for k, v in value.items():
            out += string_leaves(v, props.get(k, {}), path + (k,))
    elif isinstance(value, list):
        items = next((v.get("items") for v in variants if v.get("items")), {})
        for i, v in enumerate(value[:1]):
            out += string_leaves(v, items, path + (i,))
    elif isinstance(value, str):
        merged = {}
        for v in variants:
            for k in ("enum", "pattern", "format", "minLength", "maxLength", "const"):
                if k in v:
                    merged[k] = v[k]
        out.append((path, merged))
    return out


def spec_accepts(schema, s):
    """True when the documented schema says s is a valid value: length in
    code points (as JSON Schema and the server count), pattern (ECMA regex;
    the character-class patterns of this spec mean the same in Python), no
    enum, const or format. Such a value must be stored and given back as is.
    None when the pattern cannot be judged here."""
    if any(k in schema for k in ("enum", "const", "format")):
        return False
    if not schema.get("minLength", 0) <= len(s) <= schema.get("maxLength", 10 ** 9):
        return False
    if "pattern" in schema:
        try:
            return re.search(schema["pattern"], s) is not None
        except re.error:
            return None
    return True


def free_text(schema):
    """A field that takes text: its schema accepts two plain words."""
    return spec_accepts(schema, "Plain text") is True


def get_in(doc, path):
    for p in path:
        if isinstance(doc, dict) and p in doc:
            doc = doc[p]
        elif isinstance(doc, list) and isinstance(p, int) and p < len(doc):
            doc = doc[p]
        else:
            return KeyError
    return doc


def set_in(doc, path, value):
    doc = copy.deepcopy(doc)
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return doc


def create_operations(run):
    """[(op, path, media type, example, schema)] for the operations that
    create something (a documented 201) from a JSON example."""
    out = []
    for op in c.operations():
        if op.method not in ("POST", "PUT") or not op.roles or not op.documents(201):
            continue
        for _n, mt, value in op.request_examples():
            if is_json_type(mt) and isinstance(value, dict):
                path = run.concrete_path(op) if op.path_param_names else op.path
                schema = ((op.op.get("requestBody") or {}).get("content") or {}).get(mt, {}).get("schema")
                if path:
                    out.append((op, path, mt, value, schema))
                break
    return out


def post(op, path, tok, mt, body):
    h = {"Content-Type": mt}
    if op.param("Idempotency-Key", "header"):
        h["Idempotency-Key"] = f"inj-{uuid.uuid4().hex}"
    return api.request("POST", path, tok, body=json.dumps(body, ensure_ascii=False).encode("utf-8"), headers=h)


_state = {}


def run_once():
    if "run" not in _state:
        _state["run"] = ExampleRun(api, tag="inj-" + uuid.uuid4().hex[:8]).run()
    return _state["run"]


@test
def hostile_strings_round_trip_unchanged_in_every_free_text_field():
    run = run_once()
    problems, notes, stored = [], [], 0
    creates = create_operations(run)
    assert creates, "no POST with a JSON example"
    for op, path, mt, example, schema in creates:
        tok = run.token(run.role_for(op))
        leaves = [(p, s) for p, s in string_leaves(example, schema) if free_text(s)]
        if not leaves:
            continue
        # The example itself must be accepted here, or the operation needs a
        # state the examples do not give it (say, a finished opinion).
        plain = post(op, path, tok, mt, example)
        if not 200 <= plain.status < 300:
            notes.append(f"{op.label}: its example gives {plain.status} here")
            continue
        refused = set()
        for evil in payloads.INJECTION_STRINGS:
            for _attempt in range(3):
                body, placed = example, []
                for p, s in leaves:
                    if p not in refused and spec_accepts(s, evil) is True:
                        body = set_in(body, p, evil)
                        placed.append(p)
                if not placed:
                    break
                r = post(op, path, tok, mt, body)
                where = f"{op.label} with {evil!r}"
                if r.status == 400:
                    # a field the schema says takes this string, refused: a
                    # disagreement between spec and code, reported once per
                    # field; the other fields are tried again without it
                    named = {(e.get("field") or "") for e in (r.json or {}).get("errors") or []}
                    hit = [p for p in placed if ".".join(map(str, p)) in named or
                           ".".join(str(x) for x in p if not isinstance(x, int)) in named]
                    for p in hit:
                        refused.add(p)
                        problems.append(f"{op.label}: the schema of {'.'.join(map(str, p))} accepts {evil!r} "
                                        f"but the server refuses it ({sorted(named)})")
                    if hit:
                        continue
                if not 200 <= r.status < 300:
                    problems.append(f"{where} in {len(placed)} free-text fields: {r.status} {r.body[:240]!r}")
                    break
                stored += 1
                docs = [("response", r.json)]
                loc = r.headers.get("location")
                if loc:
                    g = api.get(loc, tok)
                    docs.append((f"GET {loc}", g.json if g.status == 200 else None))
                    if g.status != 200:
                        problems.append(f"{where}: GET {loc} gave {g.status}")
                for label, doc in docs:
                    for p in placed:
                        got = get_in(doc, p)
                        if got is not KeyError and got != evil:
                            problems.append(f"{where}: {'.'.join(map(str, p))} came back as {got!r} in the {label}")
                break
    for note in notes:
        print("  not tested: " + note)
    assert stored > 0, "nothing was stored: " + "; ".join(problems[:5] + notes)
    assert not problems, f"round trips ({len(problems)}):\n  " + "\n  ".join(problems[:40])


@test
def hostile_strings_in_constrained_fields_are_refused_or_kept():
    run = run_once()
    problems, notes, n = [], [], 0
    for op, path, mt, example, schema in create_operations(run):
        tok = run.token(run.role_for(op))
        # A target the caller may not see answers 404 before any validation
        # (visibility first): nothing to learn about the fields there.
        if post(op, path, tok, mt, example).status == 404:
            notes.append(f"{op.label}: its target is not visible to the example's caller here")
            continue
        for p, s in string_leaves(example, schema):
            if free_text(s):
                continue
            name = ".".join(str(x) for x in p if not isinstance(x, int))
            for evil in payloads.INJECTION_STRINGS[:12] + payloads.INJECTION_STRINGS[-12:]:
                r = post(op, path, tok, mt, set_in(example, p, evil))
                n += 1
                where = f"{op.label} {name}={evil!r}"
                if r.status >= 500:
                    problems.append(f"{where}: {r.status} {r.body[:200]!r}")
                elif r.status == 400:
                    fields = [e.get("field", "") for e in (r.json or {}).get("errors") or []]
                    if not any(f.split("[")[0] == name or f.startswith(name) for f in fields):
                        problems.append(f"{where}: 400 names {fields}, not {name}")
                elif 200 <= r.status < 300:
                    got = get_in(r.json, p)
                    # an identifier may come back in its canonical letter
                    # case (insurance member ids are upper case); nothing else
                    # may change
                    if got is not KeyError and got != evil and not (
                            isinstance(got, str) and got.casefold() == evil.casefold()):
                        problems.append(f"{where}: stored as {got!r}")
                else:
                    problems.append(f"{where}: {r.status} {r.body[:200]!r}")
    for note in notes:
        print("  not tested: " + note)
    assert n > 0
    assert not problems, f"constrained fields ({len(problems)}):\n  " + "\n  ".join(problems[:40])


@test
def hostile_strings_in_query_and_path_parameters_never_fail_the_server():
    run = run_once()
    owner_subjects = [run.subject(r) for r in c.ALL_ROLES]
    problems, n = [], 0
    for op in c.operations():
        if not op.roles:
            continue
        role = "patient" if "patient" in op.roles else op.roles[0]
        tok = token(role, specialist_id=str(uuid.uuid4()) if role == "specialist" else None)
        targets = []
        if op.method == "GET":
            base = op.path
            for name in op.path_param_names:
                base = base.replace("{" + name + "}", str(uuid.uuid4()))
            for p in op.params_in("query"):
                for evil in payloads.INJECTION_STRINGS:
                    targets.append(f"{base}?{p['name']}={urllib.parse.quote(evil, safe='')}")
        for name in op.path_param_names:
            for evil in payloads.INJECTION_STRINGS:
                path = op.path
                for other in op.path_param_names:
                    value = evil if other == name else str(uuid.uuid4())
                    path = path.replace("{" + other + "}", urllib.parse.quote(value, safe=""))
                targets.append(path)
        for target in targets:
            r = api.request(op.method, target, tok)
            n += 1
            if r.status >= 500 or (200 <= r.status < 300 and op.method != "GET"):
                problems.append(f"{op.method} {target}: {r.status} {r.body[:200]!r}")
            elif r.status == 200:
                text = r.body.decode(errors="replace")
                if any(s in text for s in owner_subjects):
                    problems.append(f"{op.method} {target}: shows another caller's data")
    assert n > 0
    assert not problems, f"parameters ({len(problems)}):\n  " + "\n  ".join(problems[:40])


@test
def hostile_idempotency_keys_are_just_keys():
    run = run_once()
    op, path, mt, example, _schema = next((x for x in create_operations(run) if x[0].param(
        "Idempotency-Key", "header")), (None,) * 5)
    assert op is not None, "no idempotent create operation"
    tok = run.token(run.role_for(op))
    body = json.dumps(example).encode()
    for key in ("';DROP/**/TABLE/**/idempotency_keys;--", "\"OR\"1\"=\"1", "%s%n", "${jndi:x}", "k" * 128):
        h = {"Content-Type": mt, "Idempotency-Key": key}
        first = api.request("POST", path, tok, body=body, headers=h)
        again = api.request("POST", path, tok, body=body, headers=h)
        assert 200 <= first.status < 300, (key, first)
        assert again.status == first.status and again.headers.get("idempotent-replayed") == "true", (key, again)
        assert again.json == first.json, key
    h = {"Content-Type": mt, "Idempotency-Key": "has space"}
    assert api.request("POST", path, tok, body=body, headers=h).status == 400
    h = {"Content-Type": mt, "Idempotency-Key": "k" * 129}
    assert api.request("POST", path, tok, body=body, headers=h).status == 400


@test
def no_query_was_changed_by_any_of_it():
    run_once()
    tables = {r[0] for r in sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    for t in ("cases", "audit_events", "idempotency_keys", "events", "case_status_history"):
        assert t in tables, f"table {t} is gone"
    for role in ("patient", "specialist"):
        r = api.get("/v1/cases?limit=200", token(role, specialist_id=str(uuid.uuid4()) if role == "specialist" else None))
        assert r.status == 200 and r.json["items"] == [], (role, r)
    # the strings sit in the rows as text, not as SQL that ran
    evil = payloads.INJECTION_STRINGS[0]
    quoted = evil.replace("'", "''")
    assert int(sql(f"SELECT count(*) FROM cases WHERE patient_name = '{quoted}'")[0][0]) > 0
