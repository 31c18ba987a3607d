"""Contract helpers: the bundled OpenAPI document, the server's route table,
and the pure pieces of the example runner. Used by tests/test_contract.py.

Nothing here lists routes: operations come from api/openapi.yaml (bundled by
tools/contract.mjs) and routes from `cso-server --routes`, so a route added on
any branch is checked without touching this file.
"""
import json
import os
import re
import subprocess
import urllib.parse

from . import harness
from .harness import ROOT, SERVER_BIN, TMP

SPEC_ROOT = os.path.join(ROOT, "api", "openapi.yaml")
TOOL = os.path.join(ROOT, "tools", "contract.mjs")
ALL_ROLES = ("patient", "navigator", "specialist", "admin")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON_BODY_TYPES = ("application/json", "application/merge-patch+json")

_cache = {}


def _node(*args, check=True):
    if "tools" not in _cache:
        subprocess.run([os.path.join(ROOT, "scripts", "tools.sh")], check=True, capture_output=True,
                       timeout=600)
        _cache["tools"] = True
    out = subprocess.run(["node", TOOL, *args], capture_output=True, text=True, timeout=300)
    if check and out.returncode != 0:
        raise AssertionError(f"contract.mjs {args[0]} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return out


def spec():
    """The dereferenced spec (no $ref left), loaded once per run."""
    if "spec" not in _cache:
        out_path = os.path.join(TMP, "openapi.bundled.json")
        _node("bundle", SPEC_ROOT, out_path)
        with open(out_path) as f:
            _cache["spec"] = json.load(f)
    return _cache["spec"]


def code_routes():
    """`cso-server --routes`: [{method, path, roles, idempotent, body, query}]."""
    if "routes" not in _cache:
        env = dict(os.environ, ASAN_OPTIONS=harness.asan_options("detect_leaks=1"))
        out = subprocess.run([SERVER_BIN, "--routes"], capture_output=True, text=True, timeout=60, env=env)
        if out.returncode != 0:
            raise AssertionError(f"cso-server --routes exited {out.returncode}: {out.stderr[-2000:]}")
        _cache["routes"] = json.loads(out.stdout)
    return _cache["routes"]


def visibility_first(op):
    """True when the server answers a request on op that names an object the
    caller may not see (a random id, say) with that object's 404 before any
    validation of query, headers or body (`visibility_first` in
    `cso-server --routes`; struct http_scope in internal/http/http.h)."""
    for r in code_routes():
        if (r["method"].upper(), ulfius_to_openapi(r["path"])) == op.key:
            return bool(r.get("visibility_first"))
    return False


def check_examples():
    """Runs Ajv over every example; returns (ok, report text)."""
    out = _node("examples", SPEC_ROOT, check=False)
    if out.returncode not in (0, 1):
        raise AssertionError(f"contract.mjs examples crashed:\n{out.stdout}{out.stderr}")
    return out.returncode == 0, out.stdout + out.stderr


def validate_instances(items):
    """items: [{label, schema, instance}] -> list of "label: errors" for the invalid ones."""
    if not items:
        return []
    path = os.path.join(TMP, f"contract-validate-{os.getpid()}.json")
    with open(path, "w") as f:
        json.dump(items, f)
    out = _node("validate", path)
    bad = []
    for r in json.loads(out.stdout):
        if r["errors"]:
            bad.append(f"{r['label']}: " + "; ".join(r["errors"]))
    return bad


# ---------------------------------------------------------------- paths

def ulfius_to_openapi(path):
    """/v1/cases/:id -> /v1/cases/{id}"""
    return re.sub(r":([A-Za-z0-9_]+)", r"{\1}", path)


def path_matches_template(concrete, template):
    """True when a concrete path (no query) fits the template's segments."""
    c, t = concrete.split("/"), template.split("/")
    if len(c) != len(t):
        return False
    for cs, ts in zip(c, t):
        if ts.startswith("{") and ts.endswith("}"):
            if not cs or "/" in cs:
                return False
        elif cs != ts:
            return False
    return True


class Operation:
    def __init__(self, path, method, op, path_item):
        self.path = path
        self.method = method.upper()
        self.op = op
        self.key = (self.method, path)
        self.label = f"{self.method} {path}"
        merged = {}
        for p in (path_item.get("parameters") or []) + (op.get("parameters") or []):
            merged[(p.get("name"), p.get("in"))] = p
        self.parameters = list(merged.values())

    def get(self, name, default=None):
        return self.op.get(name, default)

    @property
    def operation_id(self):
        return self.op.get("operationId")

    @property
    def roles(self):
        """x-roles, or None when missing or not a list."""
        r = self.op.get("x-roles")
        return r if isinstance(r, list) else None

    @property
    def responses(self):
        return self.op.get("responses") or {}

    def params_in(self, where):
        return [p for p in self.parameters if p.get("in") == where]

    def param(self, name, where):
        for p in self.parameters:
            if p.get("in") == where and str(p.get("name", "")).lower() == name.lower():
                return p
        return None

    @property
    def path_param_names(self):
        return re.findall(r"\{([^}]+)\}", self.path)

    def documents(self, status):
        """The response object for a status (exact code, then NXX range), or None."""
        r = self.responses
        return r.get(str(status)) or r.get(f"{str(status)[0]}XX")

    def request_examples(self):
        """[(name, media_type, value)] of the request body's examples."""
        body = self.op.get("requestBody") or {}
        out = []
        for mt, media in (body.get("content") or {}).items():
            if not isinstance(media, dict):
                continue
            if "example" in media:
                out.append(("example", mt, media["example"]))
            for name, ex in (media.get("examples") or {}).items():
                if isinstance(ex, dict) and "value" in ex:
                    out.append((f"examples/{name}", mt, ex["value"]))
        return out


def operations(doc=None):
    """Every operation of the spec, in the order the spec lists them."""
    doc = doc or spec()
    ops = []
    for path, item in (doc.get("paths") or {}).items():
        for m, op in item.items():  # as written, so authors control the order
            if m in HTTP_METHODS and isinstance(op, dict):
                ops.append(Operation(path, m, op, item))
    return ops


def effective_security(doc, op):
    return op.op["security"] if "security" in op.op else doc.get("security")


# ---------------------------------------------------------------- example runner (pure parts)
#
# Rules (also in api/README.md):
#  - The runner calls every operation that has request-body examples (once per
#    example), every GET, and every operation with `x-example-path`, with a
#    token of the first role in x-roles (or `x-example-role`, which must be one
#    of x-roles), and expects a documented 2xx whose body matches its schema.
#  - An operation whose path has parameters runs only with `x-example-path`:
#    a concrete path (optionally with a query string) that fits the template.
#    It may contain placeholders `{operationId.field.sub.0.field}` taken from
#    the JSON body of the first 2xx response of that operation's example run,
#    or `{operationId:exampleName.field}` from the response to that named
#    entry of its request body's `examples` (so that, e.g., one created case
#    is withdrawn while another is edited); operations run after the ones
#    they reference, otherwise in spec order.
#  - An operation with request examples and path parameters must have
#    `x-example-path` or `x-example-skip: <reason>`; GETs with path parameters
#    and no x-example-path are not run (nothing concrete to call).
#  - An operation that documents the If-Match header gets the ETag of a GET on
#    the same concrete path first (the spec must have that GET).
#  - Idempotent operations are sent with a fresh Idempotency-Key.

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_-]+)(?::([A-Za-z0-9_-]+))?\.([^{}]+)\}")


def placeholder_deps(op):
    xp = op.get("x-example-path")
    return [m.group(1) for m in PLACEHOLDER.finditer(xp)] if isinstance(xp, str) else []


def order_for_examples(ops):
    """Spec order, except that an operation runs after every operation its
    x-example-path references. Returns (ordered, problems)."""
    by_id = {op.operation_id: op for op in ops if op.operation_id}
    problems = []
    deps = {}
    for op in ops:
        d = []
        for ref in placeholder_deps(op):
            if ref not in by_id:
                problems.append(f"{op.label}: x-example-path references unknown operationId {ref!r}")
            elif by_id[ref] is not op:
                d.append(by_id[ref])
            else:
                problems.append(f"{op.label}: x-example-path references its own operation")
        deps[id(op)] = d
    ordered, done, remaining = [], set(), list(ops)
    while remaining:
        for op in remaining:
            if all(id(d) in done for d in deps[id(op)]):
                ordered.append(op)
                done.add(id(op))
                remaining.remove(op)
                break
        else:
            problems.append("x-example-path placeholders form a cycle among: " +
                            ", ".join(o.label for o in remaining))
            ordered.extend(remaining)
            break
    return ordered, problems


def resolve_placeholders(template, results):
    """Replaces {operationId.a.b.0.c} with values from results[operationId]
    and {operationId:example.a} with values from results["operationId:example"]
    (decoded JSON bodies). Raises ValueError naming what is missing."""
    def value(m):
        op_id = m.group(1) + (":" + m.group(2) if m.group(2) else "")
        dotted = m.group(3)
        if op_id not in results:
            raise ValueError(f"no successful response of {op_id} to take {dotted!r} from")
        v = results[op_id]
        for part in dotted.split("."):
            if isinstance(v, list) and part.isdigit() and int(part) < len(v):
                v = v[int(part)]
            elif isinstance(v, dict) and part in v:
                v = v[part]
            else:
                raise ValueError(f"response of {op_id} has no {dotted!r}")
        if isinstance(v, (dict, list)) or v is None:
            raise ValueError(f"{op_id}.{dotted} is not a scalar")
        return urllib.parse.quote(str(v).lower() if isinstance(v, bool) else str(v), safe="")
    return PLACEHOLDER.sub(value, template)
