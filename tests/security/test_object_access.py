"""OWASP API1 (broken object-level authorization), derived from the spec.

The spec's request examples are run once by an owner (one subject per role,
as the contract runner does), which creates real resources and tells us a
concrete path for every path parameter (tests/lib/examples.py). Resources
only a workflow creates (assignments, opinions) are found in what staff can
list (ExampleRun.crawl: ids from a collection named like the segment before
the parameter), made by the tests that ran before. Then for every operation
whose path has parameters:

  - Owner-scoped unless the spec says otherwise. The rule fails closed: an
    operation (or its path item) must say `x-owner-scoped: false` to be
    skipped, which is for resources every caller of the operation's roles
    may see (directories, reference data). Everything else is tested, and an
    owner-scoped operation this test cannot reach (no example gives its
    parameters a real id) fails the suite instead of being skipped, unless
    the operation says why in `x-object-access-skip: <reason>` (printed with
    the test, for review; for resources only a workflow the examples cannot
    drive reaches).
  - Strangers are the roles whose visibility is owner-based (internal/cases/
    case_access.h): another patient (own cases only) and a specialist without
    an assignment. Navigators and admins see every case by design. A stranger
    is tried only if its role is in x-roles (other roles are API5's 403).
  - The stranger sends the very request the owner could send (the
    operation's first request example, `If-Match: *`, a fresh
    Idempotency-Key) to the owner's concrete path and to the same path with
    random ids. Both must be 404 with the same problem body except
    request_id: nothing tells a stranger that the id exists. The owner's
    resource must still exist and be unchanged afterwards (its GET before and
    after), and each stranger's 404 is audited.

Lists: a stranger's answer from any GET without path parameters must not
contain the owner's subject or any id the owner created.
"""
import json
import uuid

from lib import contract as c
from lib.examples import ExampleRun
from lib.harness import api, test, token
from lib.integrity import audit_by_request_prefix
from lib.review import Journey, in_review

STRANGER_ROLES = ("patient", "specialist")


def owner_scoped(op):
    """False only when the operation or its path item says
    `x-owner-scoped: false`; anything else (absent, true) is owner-scoped."""
    item = c.spec()["paths"].get(op.path) or {}
    value = op.get("x-owner-scoped", item.get("x-owner-scoped"))
    return value is not False


def strangers(op):
    out = []
    for role in STRANGER_ROLES:
        if role in (op.roles or []):
            out.append((role, token(role, sub=f"stranger-{role}-{uuid.uuid4().hex[:8]}",
                                    specialist_id=str(uuid.uuid4()) if role == "specialist" else None)))
    return out


def without_request_id(resp):
    try:
        body = resp.json
    except ValueError:
        return resp.body
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "request_id"}
    return body


def send(run, op, path, tok, rid):
    mt, body = run.first_request_body(op)
    h = {"X-Request-Id": rid}
    if mt:
        h["Content-Type"] = mt
    if op.param("If-Match", "header"):
        h["If-Match"] = "*"
    if op.param("Idempotency-Key", "header"):
        h["Idempotency-Key"] = f"api1-{uuid.uuid4().hex}"
    return api.request(op.method, path, tok, body=body, headers=h)


def bad_requests(op, path):
    """(what, path, body, headers) of requests on path that are wrong in
    their own right, one fault each: an unknown query parameter, a body that
    is not JSON (or any body where none is taken), and a missing If-Match or
    an over-long Idempotency-Key where the operation takes one. Whoever may
    not see the object must get its 404 for each, not the validation."""
    out = [("an unknown query parameter", path + ("&" if "?" in path else "?") + "not-a-parameter=1",
            None, {})]
    out.append(("a body that is not JSON", path, b'{"unterminated": ', {"Content-Type": "application/json"}))
    if op.param("If-Match", "header"):
        out.append(("no If-Match", path, None, {}))
    if op.param("Idempotency-Key", "header"):
        out.append(("an over-long Idempotency-Key", path, None, {"Idempotency-Key": "k" * 300}))
    return out


_run = {}


def example_run():
    """The examples run once, then the resources only a workflow makes (an
    offered and an accepted assignment, a draft and a signed opinion) are made
    here, so the probes never depend on which tests ran before."""
    if "run" not in _run:
        offered = Journey().submit().assign()
        drafted = in_review().draft()
        signed = in_review().draft().sign()
        run = ExampleRun(api, tag="api1-" + uuid.uuid4().hex[:8]).run().crawl()
        run.prefer("assignments", [offered.assignment_id, drafted.assignment_id, signed.assignment_id])
        run.prefer("opinions", [drafted.opinion_id, signed.opinion_id])
        _run["run"] = run
    return _run["run"]


@test
def every_owner_scoped_operation_hides_other_callers_resources():
    run = example_run()
    problems, notes, audited_rids, probed = [], [], [], 0
    prefix = f"api1-{uuid.uuid4().hex[:12]}-"
    for op in c.operations():
        if not op.path_param_names or not op.roles:
            continue
        if not owner_scoped(op):
            notes.append(f"{op.label}: x-owner-scoped: false")
            continue
        waiver = op.get("x-object-access-skip")
        if waiver is not None:
            if not isinstance(waiver, str) or not waiver.strip():
                problems.append(f"{op.label}: x-object-access-skip needs the reason as a string")
            else:
                notes.append(f"{op.label}: x-object-access-skip: {waiver}")
            continue
        who = strangers(op)
        if not who:
            notes.append(f"{op.label}: only staff roles (they see every case)")
            continue
        concrete, crawled = run.concrete_path(op), False
        if concrete is None:
            concrete, crawled = run.crawled_path(op), True
        if concrete is None:
            problems.append(f"{op.label}: owner-scoped, but neither an example nor a staff listing gives "
                            "its path parameters a real id (add an example whose x-example-path reaches it, "
                            "or mark the operation `x-owner-scoped: false` if every caller may see it)")
            continue
        proof = run.existence_proof(op, concrete)
        before = None
        if proof:
            get_op, get_path = proof
            # a crawled resource belongs to someone else: staff see it
            owner = run.staff_token_for(get_op) if crawled else run.token(run.role_for(get_op))
            if owner is None:
                problems.append(f"{op.label}: no staff role may GET {get_op.path} to prove {concrete} exists")
                continue
            before = api.get(get_path, owner)
            if not 200 <= before.status < 300:
                problems.append(f"{op.label}: the owner's {get_path} is {before.status}; nothing to hide")
                continue
        else:
            notes.append(f"{op.label}: no GET proves the resource exists")
        for role, tok in who:
            rid_real, rid_random = f"{prefix}{uuid.uuid4().hex}", f"{prefix}{uuid.uuid4().hex}"
            real = send(run, op, concrete, tok, rid_real)
            fake = send(run, op, run.random_path(op, concrete), tok, rid_random)
            probed += 1
            where = f"{op.label} as a stranger {role}"
            if real.status != 404:
                problems.append(f"{where}: owner's resource gave {real.status} {real.body[:200]!r}")
                continue
            if fake.status != 404:
                problems.append(f"{where}: random id gave {fake.status} {fake.body[:200]!r}")
                continue
            if without_request_id(real) != without_request_id(fake):
                problems.append(f"{where}: 404 bodies differ: {real.body[:200]!r} vs {fake.body[:200]!r}")
            if real.headers.get("content-type") != fake.headers.get("content-type"):
                problems.append(f"{where}: 404 content types differ")
            audited_rids.append((where, rid_real))
            # Visibility before validation: a wrong request tells a stranger no more.
            for what, path, body, headers in bad_requests(op, concrete):
                h = {"X-Request-Id": f"{prefix}{uuid.uuid4().hex}", **headers}
                bad = api.request(op.method, path, tok, body=body, headers=h)
                if bad.status != 404 or without_request_id(bad) != without_request_id(fake):
                    problems.append(f"{where} with {what}: {bad.status} {bad.body[:160]!r}, "
                                    f"not the 404 of a random id")
        if proof and before is not None:
            after = api.get(proof[1], owner)
            if after.status != before.status or after.body != before.body or \
                    after.headers.get("etag") != before.headers.get("etag"):
                problems.append(f"{op.label}: a stranger's request changed the owner's resource")
    audit = audit_by_request_prefix(prefix)
    problems += [f"{w}: the 404 is not audited" for w, rid in audited_rids
                 if audit.get(rid, (0, ""))[:2] != (404, "not_found")]
    assert probed > 0, "no operation was probed: " + "; ".join(notes + run.problems)
    assert not problems, f"object-level access ({len(problems)}):\n  " + "\n  ".join(problems) + \
        "\nnot probed: " + "; ".join(notes)


@test
def lists_do_not_show_other_callers_resources():
    run = example_run()
    assert run.created_ids, "the examples created nothing: " + "; ".join(run.problems)
    owner_subjects = {run.subject(r) for r in c.ALL_ROLES}
    # What a POST on a collection creates is looked at through the
    # collection's item path; a directory entry (x-owner-scoped: false
    # there) is meant for everyone and may show up in lists.
    items = {}
    for o in c.operations():
        if o.path_param_names and o.path.endswith("}"):
            items.setdefault(o.path.rsplit("/", 1)[0], []).append(o)
    private = {i for i in run.created_ids
               if all(owner_scoped(o) for o in items.get(run.created_by[i].path.split("?")[0], []))}
    problems, probed = [], 0
    for op in c.operations():
        if op.method != "GET" or op.path_param_names or not op.roles:
            continue
        for role, tok in strangers(op):
            r = api.get(op.path, tok)
            probed += 1
            if r.status != 200:
                continue  # refusals are other tests' business
            text = r.body.decode(errors="replace")
            leaked = [i for i in private if i in text] + [s for s in owner_subjects if s in text]
            if leaked:
                problems.append(f"{op.label} as a stranger {role} shows {leaked[:3]}")
    assert probed > 0
    assert not problems, "\n  ".join(problems)


@test
def the_owner_rule_fails_closed():
    """An operation without x-owner-scoped counts as owner-scoped; only an
    explicit false skips it."""
    fake = {"paths": {
        "/v1/things/{id}": {"get": {"operationId": "a", "x-roles": ["patient"]}},
        "/v1/dir/{id}": {"x-owner-scoped": False, "get": {"operationId": "b", "x-roles": ["patient"]}},
        "/v1/mixed/{id}": {"x-owner-scoped": False,
                           "get": {"operationId": "c", "x-owner-scoped": True, "x-roles": ["patient"]}},
        "/v1/str/{id}": {"get": {"operationId": "d", "x-owner-scoped": "no", "x-roles": ["patient"]}},
    }}
    saved = c._cache.get("spec")
    c._cache["spec"] = fake
    try:
        got = {op.operation_id: owner_scoped(op) for op in c.operations(fake)}
    finally:
        c._cache["spec"] = saved
    assert got == {"a": True, "b": False, "c": True, "d": True}, got
    json.dumps(got)


@test
def idempotency_keys_belong_to_their_caller():
    """A stranger who learns (or guesses) an owner's Idempotency-Key and
    sends the same request gets a resource of its own, never a replay of the
    owner's answer, for every idempotent operation the examples reach."""
    run = example_run()
    problems, probed = [], 0
    for op in c.operations():
        if not op.param("Idempotency-Key", "header") or not op.roles:
            continue
        path = run.concrete_path(op) if op.path_param_names else op.path
        if path is None or "{" in path:
            continue
        role = run.role_for(op)
        mt, body = run.first_request_body(op)
        key = f"api1-shared-{uuid.uuid4().hex}"
        h = {"Idempotency-Key": key}
        if mt:
            h["Content-Type"] = mt
        first = api.request(op.method, path, run.token(role), body=body, headers=h)
        if not 200 <= first.status < 300:
            continue  # not repeatable here (a unique name, a state); nothing stored under the key
        other = token(role, sub=f"stranger-{role}-{uuid.uuid4().hex[:8]}",
                      specialist_id=str(uuid.uuid4()) if role == "specialist" else None)
        second = api.request(op.method, path, other, body=body, headers=h)
        probed += 1
        if second.headers.get("idempotent-replayed") == "true" or (
                second.body and first.body and second.body == first.body):
            problems.append(f"{op.label}: a stranger with the owner's key got the owner's answer")
    assert probed > 0, "no idempotent operation was reached"
    assert not problems, "\n  ".join(problems)
