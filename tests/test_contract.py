"""The contract: api/openapi.yaml is true to the code.

Everything is derived from the spec (bundled by tools/contract.mjs) and from
the server's own route table (`cso-server --routes`); no route is named here,
so a route added on any branch without its spec, with other roles than its
spec says, or without the responses the dispatcher can give, fails a test.

  - same operations in code and spec; x-roles equal to the code's roles;
  - the responses the dispatcher can produce are documented (401/403/429/503,
    400/413/415 for bodies, 404 for path ids, 422 for Idempotency-Key,
    412/428 for If-Match), as problem+json;
  - request body kind, query keys and idempotency agree with the code;
  - every example validates against its schema (Ajv, draft 2020-12);
  - request examples are accepted by the running service and its answers
    match the documented schemas (rules for `x-example-path`,
    `x-example-role` and `x-example-skip` in api/README.md and
    tests/lib/contract.py);
  - OWASP API5: every role outside x-roles gets 403 (audited), no token gets
    401 with a Bearer challenge.
"""
import json
import os
import re
import subprocess
import uuid

from lib import contract as c
from lib import harness
from lib.harness import api, sql, test, token

RUN = uuid.uuid4().hex[:8]
SPECIALIST_ID = str(uuid.uuid4())

# The dispatcher's own refusals (internal/http/http_dispatch.c), told apart from a
# handler's 403/404 by their detail text.
ROLE_GATE_DETAIL = "role may not perform this operation"
NO_ROUTE_DETAIL = "No such route."


def role_token(role):
    """One subject per role for the whole run, so that resources created by
    one example are visible to the next."""
    return token(role, sub=f"contract-{role}-{RUN}",
                 specialist_id=SPECIALIST_ID if role == "specialist" else None)


def fail_if(problems, what):
    if problems:
        raise AssertionError(f"{what} ({len(problems)}):\n  " + "\n  ".join(problems))


def code_by_key():
    return {(r["method"].upper(), c.ulfius_to_openapi(r["path"])): r for r in c.code_routes()}


def random_path(op):
    """The operation's path with a fresh random UUID for every parameter: the
    role gate runs before any handler looks at the id."""
    path = op.path
    for name in op.path_param_names:
        path = path.replace("{" + name + "}", str(uuid.uuid4()), 1)
    return path


def problem_detail(resp):
    try:
        return (resp.json or {}).get("detail", "")
    except ValueError:
        return ""


def is_problem(resp, status):
    if resp.status != status:
        return False
    if not resp.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    try:
        p = resp.json
    except ValueError:
        return False
    return isinstance(p, dict) and p.get("status") == status and all(
        k in p for k in ("type", "title", "detail"))


def documented_schema(op, status, content_type):
    resp = op.documents(status) or {}
    media = (resp.get("content") or {}).get(content_type) or {}
    return media.get("schema")


def is_json_type(mt):
    return mt == "application/json" or mt.endswith("+json")


# ---------------------------------------------------------------- static: spec vs route table

@test
def spec_and_route_table_list_the_same_operations():
    routes = c.code_routes()
    ops = c.operations()
    assert routes and ops, "empty route table or spec"
    problems, seen = [], set()
    for r in routes:
        key = (r["method"].upper(), c.ulfius_to_openapi(r["path"]))
        if key in seen:
            problems.append(f"{key[0]} {r['path']}: registered twice in code")
        seen.add(key)
        if r["path"].startswith("/v1") and not r["roles"]:
            problems.append(f"{key[0]} {r['path']}: /v1 route with no roles in code (it would be public)")
    spec_keys = {op.key for op in ops}
    for m, p in sorted(seen - spec_keys):
        problems.append(f"{m} {p}: in the server's route table but not in api/openapi.yaml")
    for m, p in sorted(spec_keys - seen):
        problems.append(f"{m} {p}: in api/openapi.yaml but the server has no such route")
    fail_if(problems, "spec and code disagree on the operations")


def code_problems():
    out = subprocess.run([c.SERVER_BIN, "--problems"], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, ASAN_OPTIONS=harness.asan_options("detect_leaks=1")))
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


@test
def the_problem_types_of_code_and_contract_are_one_table():
    """internal/apperr's APP_PROBLEM_MAP and components.x-problem-types list
    the same codes with the same status and title; each code once; every
    `type` an example in the spec shows is one of them, and a problem the
    server renders has the table's title and status for its type."""
    code = code_problems()
    spec_rows = c.spec()["components"].get("x-problem-types") or []
    assert spec_rows, "api/openapi.yaml has no components.x-problem-types"
    as_key = lambda r: (r["code"], r["status"], r["title"])  # noqa: E731
    assert [as_key(r) for r in code] == [as_key(r) for r in spec_rows], (
        sorted(set(map(as_key, code)) ^ set(map(as_key, spec_rows))))
    codes = [r["code"] for r in code]
    assert len(codes) == len(set(codes)), codes
    base = "https://problems.second-opinion.example/"
    assert all(r["type"] == base + r["code"] for r in code)
    shown = set(re.findall(re.escape(base) + r"([a-z-]+)", json.dumps(c.spec())))
    assert shown <= set(codes), f"examples show problem types outside the table: {shown - set(codes)}"
    by_code = {r["code"]: r for r in code}
    r = api.get(f"/v1/cases/{uuid.uuid4()}", token("patient"))
    body = r.json
    row = by_code[body["type"][len(base):]]
    assert r.status == row["status"] == body["status"] == 404 and body["title"] == row["title"], body


@test
def no_two_routes_of_a_method_match_one_path():
    """The dispatcher takes the first route whose template matches
    (internal/http/http_dispatch.c route_find): that is only right while no path can
    match two templates of one method, e.g. /v1/x/{id} and /v1/x/export."""
    routes = [(r["method"].upper(), r["path"].strip("/").split("/")) for r in c.code_routes()]
    problems = []
    for i, (m1, a) in enumerate(routes):
        for m2, b in routes[i + 1:]:
            if m1 == m2 and len(a) == len(b) and all(
                    x == y or x.startswith(":") or y.startswith(":") for x, y in zip(a, b)):
                problems.append(f"{m1} /{'/'.join(a)} and /{'/'.join(b)}")
    fail_if(problems, "templates that match the same path")


@test
def x_roles_match_the_roles_the_code_allows():
    doc = c.spec()
    code = code_by_key()
    problems = []
    for op in c.operations(doc):
        roles = op.roles
        if roles is None:
            problems.append(f"{op.label}: no `x-roles` list")
            continue
        bad = [r for r in roles if r not in c.ALL_ROLES]
        if bad:
            problems.append(f"{op.label}: x-roles has unknown roles {bad}")
        if len(set(roles)) != len(roles):
            problems.append(f"{op.label}: x-roles repeats a role")
        security = c.effective_security(doc, op)
        if not roles:
            if op.op.get("security") != []:
                problems.append(f"{op.label}: public (x-roles: []) but does not say `security: []`")
            if op.path.startswith("/v1"):
                problems.append(f"{op.label}: /v1 operations need at least one role")
        elif not security or any(not req for req in security):
            problems.append(f"{op.label}: x-roles {roles} but `security` allows calls without a token")
        route = code.get(op.key)
        if route is not None and sorted(set(roles)) != sorted(route["roles"]):
            problems.append(f"{op.label}: x-roles {sorted(roles)} but the code allows {sorted(route['roles'])}")
    fail_if(problems, "x-roles / security disagree with the code")


@test
def every_operation_documents_the_responses_the_dispatcher_gives():
    code = code_by_key()
    problems = []
    for op in c.operations():
        route = code.get(op.key)
        roles = op.roles or []
        needs_token = bool(roles) or op.path.startswith("/v1") or bool(route and route["roles"])
        need = []
        if needs_token:
            need += [(401, "no or invalid token"), (429, "rate limit"), (503, "database unavailable")]
            if set(roles) != set(c.ALL_ROLES):
                need.append((403, "roles outside x-roles"))
        else:
            for status in (401, 403, 429):
                if op.documents(status):
                    problems.append(f"{op.label}: public operation documents {status}, which it cannot return")
        if "requestBody" in op.op or (route and route["body"] != "none"):
            need += [(400, "malformed or invalid body"), (413, "body too large"), (415, "wrong Content-Type")]
        if op.params_in("query") or (route and route["query"]):
            need.append((400, "unknown, repeated or invalid query parameter"))
        if op.path_param_names:
            need.append((404, "path id that does not exist or is not visible"))
        if op.param("Idempotency-Key", "header") or (route and route["idempotent"]):
            need.append((422, "Idempotency-Key reused with another body"))
        if op.param("If-Match", "header"):
            need += [(412, "stale If-Match"), (428, "missing If-Match")]
        for status, why in need:
            if not op.documents(status):
                problems.append(f"{op.label}: does not document {status} ({why})")
        if not any(str(k).startswith("2") for k in op.responses):
            problems.append(f"{op.label}: documents no 2xx response")
        for status, resp in op.responses.items():
            if str(status)[0] in "45" and "application/problem+json" not in (resp.get("content") or {}):
                problems.append(f"{op.label}: {status} is not documented as application/problem+json")
        for status, header in ((401, "WWW-Authenticate"), (429, "Retry-After"), (503, "Retry-After")):
            resp = op.documents(status)
            if resp and header.lower() not in {h.lower() for h in (resp.get("headers") or {})}:
                problems.append(f"{op.label}: {status} does not document the {header} header")
    fail_if(problems, "responses the dispatcher can give are not documented")


@test
def request_body_query_keys_and_idempotency_match_the_code():
    code = code_by_key()
    problems = []
    for op in c.operations():
        route = code.get(op.key)
        if route is None:
            continue  # reported by spec_and_route_table_list_the_same_operations
        body = op.op.get("requestBody")
        kind = route["body"]
        if kind == "none" and body:
            problems.append(f"{op.label}: documents a request body but the route refuses any body")
        elif kind != "none" and not body:
            problems.append(f"{op.label}: the route takes a {kind} body but the spec documents none")
        elif body:
            required = bool(body.get("required"))
            if kind in ("json", "binary") and not required:
                problems.append(f"{op.label}: the body is required in code; say `requestBody.required: true`")
            if kind == "json_optional" and required:
                problems.append(f"{op.label}: the body is optional in code but required in the spec")
            types = list((body.get("content") or {}).keys())
            if kind.startswith("json"):
                other = [t for t in types if t not in c.JSON_BODY_TYPES]
                if other or not types:
                    problems.append(f"{op.label}: JSON route documents content types {types}; the server "
                                    f"accepts only {list(c.JSON_BODY_TYPES)}")
        spec_q = {p.get("name") for p in op.params_in("query")}
        code_q = set(route["query"])
        if spec_q - code_q:
            problems.append(f"{op.label}: query parameters {sorted(spec_q - code_q)} are documented but "
                            "the server refuses them")
        if code_q - spec_q:
            problems.append(f"{op.label}: the server accepts query parameters {sorted(code_q - spec_q)} "
                            "that the spec does not document")
        documents_key = op.param("Idempotency-Key", "header") is not None
        if route["idempotent"] and not documents_key:
            problems.append(f"{op.label}: honours Idempotency-Key in code but the spec does not document it")
        if documents_key and not route["idempotent"]:
            problems.append(f"{op.label}: documents Idempotency-Key but the code ignores it")
    fail_if(problems, "body, query or idempotency disagree with the code")


# ---------------------------------------------------------------- examples

@test
def every_example_is_valid_against_its_schema():
    problems = []
    for op in c.operations():
        body = op.op.get("requestBody")
        for mt, media in ((body or {}).get("content") or {}).items():
            if "example" not in media and not media.get("examples"):
                problems.append(f"{op.label}: request body {mt} has no example")
        for status, resp in op.responses.items():
            if str(status).startswith("2"):
                for mt, media in (resp.get("content") or {}).items():
                    if "example" not in media and not media.get("examples"):
                        problems.append(f"{op.label}: {status} {mt} has no example")
    ok, report = c.check_examples()
    if not ok:
        problems.append("Ajv (draft 2020-12) refuses these examples:\n" + report)
    elif " 0 checked" in report:
        problems.append("no example was checked at all: " + report)
    fail_if(problems, "examples")


@test
def request_examples_are_accepted_by_the_service():
    ops = c.operations()
    ordered, problems = c.order_for_examples(ops)
    gets = {op.path: op for op in ops if op.method == "GET"}
    results, to_validate, ran = {}, [], 0
    for op in ordered:
        examples = op.request_examples()
        skip = op.get("x-example-skip")
        xpath = op.get("x-example-path")
        if skip is not None:
            if not isinstance(skip, str) or not skip.strip():
                problems.append(f"{op.label}: x-example-skip needs the reason as a string")
            continue
        if xpath is None:
            if op.path_param_names:
                if examples:
                    problems.append(f"{op.label}: has request examples and path parameters; give "
                                    "`x-example-path` (or `x-example-skip: <reason>`)")
                continue
            if op.method != "GET" and not examples:
                continue
            xpath = op.path
        if not isinstance(xpath, str) or not xpath.startswith("/"):
            problems.append(f"{op.label}: x-example-path must be a path starting with /")
            continue
        try:
            concrete = c.resolve_placeholders(xpath, results)
        except ValueError as e:
            problems.append(f"{op.label}: x-example-path {xpath}: {e}")
            continue
        path_only = concrete.split("?", 1)[0]
        if not c.path_matches_template(path_only, op.path):
            problems.append(f"{op.label}: x-example-path {concrete} does not fit {op.path}")
            continue
        roles = op.roles or []
        role = op.get("x-example-role") or (roles[0] if roles else None)
        if role is not None and role not in roles:
            problems.append(f"{op.label}: x-example-role {role!r} is not in x-roles {roles}")
            continue
        tok = role_token(role) if role else None
        if op.param("If-Match", "header") and op.path not in gets:
            problems.append(f"{op.label}: documents If-Match but the spec has no GET {op.path} to read the ETag")
            continue
        for name, mt, value in examples or [(None, None, None)]:
            h = {}
            if op.param("If-Match", "header"):
                # Read the ETag afresh for each example: the previous one changed it.
                g = api.get(path_only, tok)
                if g.status != 200 or not g.headers.get("etag"):
                    problems.append(f"{op.label}: GET {path_only} for the ETag gave {g.status}, "
                                    f"ETag {g.headers.get('etag')!r}")
                    continue
                h["If-Match"] = g.headers["etag"]
            body = None
            where = f"{op.label}{' ' + name if name else ''} as {role or 'anonymous'} on {concrete}"
            if op.param("Idempotency-Key", "header"):
                h["Idempotency-Key"] = f"contract-{uuid.uuid4().hex}"
            if mt is not None:
                h["Content-Type"] = mt
                if is_json_type(mt):
                    body = json.dumps(value).encode()
                elif isinstance(value, str) and mt.startswith("text/"):
                    body = value.encode()
                elif isinstance(value, str):
                    # A binary example: each character U+0000-U+00FF is one byte.
                    try:
                        body = value.encode("latin-1")
                    except UnicodeEncodeError:
                        problems.append(f"{where}: a {mt} example may hold only characters "
                                        "U+0000-U+00FF, one per byte")
                        continue
                else:
                    problems.append(f"{where}: a {mt} example must be a string")
                    continue
            resp = api.request(op.method, concrete, tok, body=body, headers=h)
            ran += 1
            if not 200 <= resp.status < 300:
                problems.append(f"{where}: expected 2xx, got {resp.status} {resp.body[:400]!r}")
                continue
            documented = op.documents(resp.status)
            if documented is None:
                problems.append(f"{where}: answered {resp.status}, which the spec does not document")
                continue
            content = documented.get("content") or {}
            ct = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            if resp.body:
                if ct not in content:
                    problems.append(f"{where}: answered {resp.status} {ct or 'without Content-Type'}, "
                                    f"documented {list(content) or 'no body'}")
                    continue
                if is_json_type(ct):
                    instance = resp.json
                    if content[ct].get("schema") is not None:
                        to_validate.append({"label": f"{where}: {resp.status} response body",
                                            "schema": content[ct]["schema"], "instance": instance})
                    if op.operation_id and op.operation_id not in results:
                        results[op.operation_id] = instance
                    if op.operation_id and name and name.startswith("examples/"):
                        results[f"{op.operation_id}:{name[len('examples/'):]}"] = instance
            elif content:
                problems.append(f"{where}: answered {resp.status} with an empty body; documented {list(content)}")
    assert ran > 0, "the example runner called nothing"
    problems += c.validate_instances(to_validate)
    fail_if(problems, "request examples or live responses do not match the spec")


# ---------------------------------------------------------------- OWASP API5: function-level access

@test
def every_role_outside_x_roles_is_refused_with_403():
    problems, to_validate, denied_ids = [], [], []
    for op in c.operations():
        roles = op.roles
        if roles is None:
            problems.append(f"{op.label}: no x-roles, so no role rule to test")
            continue
        if not roles:
            continue  # public; see operations_that_need_a_token_answer_401...
        # Allowed roles are probed only where no handler can change anything:
        # GETs, and requests the dispatcher or handler must refuse (random
        # path ids, or a required body that is not sent).
        body = op.op.get("requestBody") or {}
        probe_allowed = op.method == "GET" or op.path_param_names or body.get("required")
        for role in c.ALL_ROLES:
            if role in roles and not probe_allowed:
                continue
            path = random_path(op)
            rid = f"contract-api5-{uuid.uuid4().hex}"
            r = api.request(op.method, path, role_token(role), headers={"X-Request-Id": rid})
            where = f"{op.label} as {role} ({path})"
            if role in roles:
                if r.status in (401, 405) or (r.status == 403 and ROLE_GATE_DETAIL in problem_detail(r)) or (
                        r.status == 404 and problem_detail(r) == NO_ROUTE_DETAIL):
                    problems.append(f"{where}: role is in x-roles but got {r.status} {r.body[:200]!r}")
                continue
            if not is_problem(r, 403):
                problems.append(f"{where}: expected 403 problem+json, got {r.status} "
                                f"{r.headers.get('content-type')} {r.body[:200]!r}")
                continue
            denied_ids.append(rid)
            schema = documented_schema(op, 403, "application/problem+json")
            if schema is not None:
                to_validate.append({"label": f"{where}: 403 body", "schema": schema, "instance": r.json})
    problems += c.validate_instances(to_validate)
    if denied_ids:
        quoted = ",".join(f"'{i}'" for i in denied_ids)
        audited = int(sql(f"SELECT count(*) FROM audit_events WHERE request_id IN ({quoted}) "
                          "AND status = 403 AND outcome = 'denied'")[0][0])
        if audited != len(denied_ids):
            problems.append(f"{len(denied_ids)} role refusals but {audited} audit events")
    fail_if(problems, "function-level authorization")


@test
def operations_that_need_a_token_answer_401_with_a_bearer_challenge():
    problems, to_validate = [], []
    targets = []  # (label, method, path, spec op or None, needs token)
    spec_ops = {op.key: op for op in c.operations()}
    for op in spec_ops.values():
        targets.append((op.label, op.method, random_path(op), op,
                        bool(op.roles) or op.path.startswith("/v1")))
    # Routes the spec does not know are probed too: a /v1 route registered
    # without roles must not answer without a token.
    for key, route in code_by_key().items():
        if key not in spec_ops:
            path = key[1]
            for name in re.findall(r"\{([^}]+)\}", path):
                path = path.replace("{" + name + "}", str(uuid.uuid4()))
            targets.append((f"{key[0]} {key[1]} (code only)", key[0], path, None,
                            bool(route["roles"]) or key[1].startswith("/v1")))
    for label, method, path, op, needs_token in targets:
        if not needs_token:
            r = api.request(method, path)
            if r.status in (401, 403):
                problems.append(f"{label}: public, but without a token got {r.status}")
            continue
        for tok_desc, headers in (("no Authorization", {}),
                                  ("a malformed token", {"Authorization": "Bearer not-a-jwt"})):
            r = api.request(method, path, headers=headers)
            where = f"{label} with {tok_desc}"
            if not is_problem(r, 401):
                problems.append(f"{where}: expected 401 problem+json, got {r.status} {r.body[:200]!r}")
                continue
            challenge = r.headers.get("www-authenticate", "")
            if not challenge.startswith("Bearer"):
                problems.append(f"{where}: WWW-Authenticate is {challenge!r}, not a Bearer challenge")
            schema = documented_schema(op, 401, "application/problem+json") if op else None
            if schema is not None:
                to_validate.append({"label": f"{where}: 401 body", "schema": schema, "instance": r.json})
    problems += c.validate_instances(to_validate)
    fail_if(problems, "authentication")


# ---------------------------------------------------------------- the runner's own rules

@test
def example_runner_orders_by_placeholders_and_resolves_them():
    fake = {"paths": {
        "/v1/things/{id}": {"patch": {"operationId": "updateThing",
                                      "x-example-path": "/v1/things/{createThing.id}"}},
        "/v1/things": {"post": {"operationId": "createThing"}, "get": {"operationId": "listThings"}},
    }}
    ops = c.operations(fake)
    ordered, problems = c.order_for_examples(ops)
    assert not problems, problems
    assert [o.operation_id for o in ordered] == ["createThing", "updateThing", "listThings"], \
        [o.operation_id for o in ordered]
    got = c.resolve_placeholders("/v1/things/{createThing.id}/x/{createThing.items.1.k}?f={createThing.ok}",
                                 {"createThing": {"id": "a b/c", "items": [{}, {"k": 7}], "ok": True}})
    assert got == "/v1/things/a%20b%2Fc/x/7?f=true", got
    got = c.resolve_placeholders("/v1/things/{createThing:second.id}",
                                 {"createThing": {"id": "first"}, "createThing:second": {"id": "2nd"}})
    assert got == "/v1/things/2nd", got
    named = {"paths": {"/t/{id}": {"get": {"operationId": "getT", "x-example-path": "/t/{mkT:b.id}"}},
                       "/t": {"post": {"operationId": "mkT"}}}}
    ordered, problems = c.order_for_examples(c.operations(named))
    assert not problems and [o.operation_id for o in ordered] == ["mkT", "getT"], problems
    for results, needle in (({}, "no successful response"), ({"createThing": {}}, "has no"),
                            ({"createThing": {"id": {"x": 1}}}, "not a scalar")):
        try:
            c.resolve_placeholders("/v1/things/{createThing.id}", results)
            raise AssertionError(f"resolved with {results}")
        except ValueError as e:
            assert needle in str(e), e
    cyc = {"paths": {"/a/{id}": {"get": {"operationId": "a", "x-example-path": "/a/{b.id}"}},
                     "/b/{id}": {"get": {"operationId": "b", "x-example-path": "/b/{a.id}"}},
                     "/c/{id}": {"get": {"operationId": "c", "x-example-path": "/c/{nope.id}"}}}}
    _, problems = c.order_for_examples(c.operations(cyc))
    assert any("cycle" in p for p in problems) and any("unknown operationId 'nope'" in p for p in problems), problems
    assert c.path_matches_template("/v1/things/abc", "/v1/things/{id}")
    assert not c.path_matches_template("/v1/things/", "/v1/things/{id}")
    assert not c.path_matches_template("/v1/things/a/b", "/v1/things/{id}")
    assert not c.path_matches_template("/v1/thingz/a", "/v1/things/{id}")
    assert c.ulfius_to_openapi("/v1/cases/:id/documents/:document_id") == "/v1/cases/{id}/documents/{document_id}"
