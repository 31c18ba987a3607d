"""OWASP API3 (mass assignment), derived from the spec.

For every operation with a JSON request body, the server-owned members are:
the properties its 2xx response schema marks `readOnly` (at the top level and
inside objects the request also has), plus the usual server-owned names
(SERVER_OWNED) - minus anything the request schema itself declares writable.
Each is sent, added to the operation's own request example, and must be
refused with 400 naming that member (in `errors`), with nothing written to
any table (tests/lib/integrity.py fingerprints the whole database).

Operations with path parameters are aimed at real resources created by the
spec's examples (tests/lib/examples.py), with the current ETag as If-Match,
so that the only thing wrong with the request is the member under test. The
review steps no example can reach (answering an offer, a consultation, an
opinion's draft, signature and amendments: they need the specialist of a
real assignment) are aimed at a case this test moves through review itself
(workflow_targets), as that specialist. Anything else no example reaches is
tried on random ids; an owner-scoped route answers those 404 before looking
at the body (visibility first), and is listed as untested in the test's
output rather than failed.
"""
import copy
import json
import uuid

from lib import contract as c
from lib.examples import ExampleRun, is_json_type
from lib.harness import api, test
from lib.integrity import nothing_stored
from lib.review import Journey, in_review

SERVER_OWNED = ("id", "version", "status", "created_at", "updated_at", "created_by", "updated_by",
                "deleted_at", "owner", "etag")


def object_schema(schema):
    """The properties of a schema, merging allOf and taking the object branch
    of a nullable oneOf/anyOf."""
    if not isinstance(schema, dict):
        return {}
    props = dict(schema.get("properties") or {})
    for sub in schema.get("allOf") or []:
        props.update(object_schema(sub))
    for key in ("oneOf", "anyOf"):
        for sub in schema.get(key) or []:
            if isinstance(sub, dict) and (sub.get("properties") or sub.get("allOf")):
                props.update(object_schema(sub))
    return props


def response_schema(op):
    for status, resp in sorted(op.responses.items()):
        if str(status).startswith("2"):
            for mt, media in (resp.get("content") or {}).items():
                if is_json_type(mt) and isinstance(media, dict) and media.get("schema"):
                    return media["schema"], media
    return None, None


def response_example(media):
    if not media:
        return None
    if "example" in media:
        return media["example"]
    for ex in (media.get("examples") or {}).values():
        if isinstance(ex, dict) and "value" in ex:
            return ex["value"]
    return None


def sample_value(schema, example):
    if example is not None:
        return example
    schema = schema if isinstance(schema, dict) else {}
    t = schema.get("type")
    t = t[0] if isinstance(t, list) else t
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("format") == "date-time":
        return "2030-01-01T00:00:00Z"
    return {"integer": 7, "number": 7.5, "boolean": True, "array": [], "object": {}}.get(t, "server-owned")


def candidates(op, request_schema):
    """[(path tuple, value)] of server-owned members to send."""
    resp_schema, media = response_schema(op)
    example = response_example(media)
    out = {}

    def walk(req, resp, ex, path, depth):
        req_props, resp_props = object_schema(req), object_schema(resp)
        for name, sub in resp_props.items():
            if name in req_props:
                if depth < 3 and object_schema(sub) and object_schema(req_props[name]):
                    walk(req_props[name], sub, ex.get(name) if isinstance(ex, dict) else None,
                         path + (name,), depth + 1)
                continue
            if isinstance(sub, dict) and sub.get("readOnly"):
                out[path + (name,)] = sample_value(sub, ex.get(name) if isinstance(ex, dict) else None)

    walk(request_schema, resp_schema or {}, example if isinstance(example, dict) else {}, (), 0)
    req_props = object_schema(request_schema)
    for name in SERVER_OWNED:
        if name not in req_props and (name,) not in out:
            sub = object_schema(resp_schema).get(name, {})
            ex = example.get(name) if isinstance(example, dict) else None
            out[(name,)] = sample_value(sub, ex)
    return sorted(out.items())


def with_member(body, path, value):
    body = copy.deepcopy(body)
    target = body
    for p in path[:-1]:
        if not isinstance(target.get(p), dict):
            target[p] = {}
        target = target[p]
    target[path[-1]] = value
    return body


def json_examples(op):
    for _name, mt, value in op.request_examples():
        if is_json_type(mt) and isinstance(value, dict):
            schema = ((op.op.get("requestBody") or {}).get("content") or {}).get(mt, {}).get("schema")
            return mt, value, schema
    return None, None, None


def workflow_targets():
    """{path template: (concrete path, token)} for the review steps, on
    resources made here: an offered assignment (answered by its specialist,
    its consultation set by them), an accepted one whose specialist writes
    the opinion, a draft and a signed opinion (changed by their author)."""
    offered, accepted = Journey().submit().assign(), in_review()
    drafted, signed = in_review().draft(), in_review().draft().sign()
    return {
        "/v1/assignments/{id}/decline": (f"/v1/assignments/{offered.assignment_id}/decline",
                                         offered.specialist.token),
        "/v1/assignments/{id}/consultation": (f"/v1/assignments/{offered.assignment_id}/consultation",
                                              offered.specialist.token),
        "/v1/cases/{id}/opinions": (f"/v1/cases/{accepted.case_id}/opinions", accepted.specialist.token),
        "/v1/opinions/{id}": (f"/v1/opinions/{drafted.opinion_id}", drafted.specialist.token),
        "/v1/opinions/{id}/amendments": (f"/v1/opinions/{signed.opinion_id}/amendments",
                                         signed.specialist.token),
    }


@test
def server_owned_members_are_refused_on_create_and_update():
    run = ExampleRun(api, tag="api3-" + uuid.uuid4().hex[:8]).run()
    review = workflow_targets()
    problems, tested, untested = [], 0, []
    for op in c.operations():
        mt, example, schema = json_examples(op)
        if mt is None:
            continue
        if not op.roles:
            untested.append(f"{op.label}: public")
            continue
        path = run.concrete_path(op) if op.path_param_names else (op.get("x-example-path") or op.path)
        reached = path is not None
        if not reached:
            # No example reaches a real resource: try random ids. A route
            # without an owner-scoped object still validates the body first
            # (400); a 404 means this operation went untested.
            path = run.random_path(op, op.path)
        if "{" in path:
            path = c.resolve_placeholders(path, run.results)
        role = run.role_for(op)
        tok = run.token(role)
        if op.path in review:
            (path, tok), reached = review[op.path], True
        members = candidates(op, schema)

        def send_all():
            out = []
            for member, value in members:
                h = {"Content-Type": mt}
                if op.param("If-Match", "header"):
                    # read afresh: should one request get through, the next
                    # must still fail for its member, not for a stale ETag
                    h["If-Match"] = api.get(path.split("?")[0], tok).headers.get("etag") or "*"
                if op.param("Idempotency-Key", "header"):
                    h["Idempotency-Key"] = f"api3-{uuid.uuid4().hex}"
                body = json.dumps(with_member(example, member, value)).encode()
                out.append((member, api.request(op.method, path, tok, body=body, headers=h)))
            return out

        answers, written = nothing_stored(send_all)
        if all(r.status == 404 for _, r in answers):
            # Visibility comes before validation: a target the caller may
            # not see (no example reaches one, or the example's caller is not
            # its owner) answers 404 to every body alike.
            untested.append(f"{op.label}: " + ("its target is not visible to the example's caller"
                                                if reached else "no example reaches a real resource"))
            continue
        for member, r in answers:
            name = ".".join(member)
            tested += 1
            if r.status != 400:
                problems.append(f"{op.label} with {name}: {r.status} {r.body[:200]!r}")
                continue
            fields = [e.get("field") for e in (r.json or {}).get("errors") or []]
            if name not in fields:
                problems.append(f"{op.label} with {name}: 400 does not name it (errors: {fields})")
        if written:
            problems.append(f"{op.label}: refused requests wrote to {written}")
    assert tested > 0, "no server-owned member was tested: " + "; ".join(untested + run.problems)
    for note in untested:
        print("  not tested: " + note)
    assert not problems, f"mass assignment ({len(problems)}):\n  " + "\n  ".join(problems)


@test
def candidate_rule_takes_read_only_members_and_keeps_writable_ones():
    req = {"type": "object", "properties": {"name": {"type": "string"}, "status": {"type": "string"},
                                            "inner": {"type": "object", "properties": {"x": {}}}}}
    resp = {"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid", "readOnly": True},
        "name": {"type": "string"}, "status": {"type": "string", "readOnly": True},
        "sha256": {"type": "string", "readOnly": True},
        "inner": {"type": "object", "properties": {"x": {}, "computed": {"type": "integer", "readOnly": True}}}}}
    op = c.Operation("/t", "post", {"responses": {"201": {"content": {"application/json": {
        "schema": resp, "example": {"sha256": "ab", "inner": {"computed": 3}}}}}}}, {})
    got = dict(candidates(op, req))
    assert got[("sha256",)] == "ab" and got[("inner", "computed")] == 3, got
    assert ("name",) not in got and ("status",) not in got, got  # writable in the request
    assert ("id",) in got and ("version",) in got and ("created_at",) in got, got
