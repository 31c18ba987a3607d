"""Runs the spec's request examples against a server, as the contract test's
example runner does (same rules: api/README.md "Examples are run against the
service"), and remembers what they created so that the security tests can
aim at real resources without naming any route:

  - `results[operationId]`: the JSON body of the first 2xx answer;
  - `paths[(METHOD, template)]`: the concrete path (query string included)
    that answered 2xx;
  - `ids_by_prefix[template prefix]`: for every path parameter, the value it
    had, keyed by the template up to and including that parameter
    ("/v1/cases/{id}" -> "3f1c..."), so that any operation whose parameters
    all have known prefixes can be given a concrete path, including
    operations whose own examples are skipped;
  - `created_ids`: every `id` in a 2xx answer to a POST (what the caller
    owns);
  - after `crawl()`, `crawled[name]`: ids a staff member can list in
    collections whose last segment is `name`, for the one-parameter
    operations no example reaches (resources that only a workflow creates,
    like assignments and opinions, made by earlier tests).

Resources belong to one subject per role (`subject(role)`), fresh for each
ExampleRun, so another subject of the same role is a stranger to them.
"""
import json
import re
import urllib.parse
import uuid

from . import contract as c
from .harness import token

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_json_type(mt):
    return bool(mt) and (mt == "application/json" or mt.endswith("+json"))


def encode_body(mt, value):
    """Request bytes for an example value of media type mt (None if it cannot be sent)."""
    if mt is None:
        return None
    if is_json_type(mt):
        return json.dumps(value).encode()
    if isinstance(value, str):
        return value.encode()
    return None


def param_prefixes(template):
    """[(name, prefix template)] for each path parameter, in order."""
    out = []
    for m in re.finditer(r"\{([^}]+)\}", template):
        out.append((m.group(1), template[:m.end()]))
    return out


class ExampleRun:
    def __init__(self, api, tag=None, specialist_id=None):
        self.api = api
        self.tag = tag or uuid.uuid4().hex[:10]
        self.specialist_id = specialist_id or str(uuid.uuid4())
        self.results = {}
        self.paths = {}
        self.ids_by_prefix = {}
        self.created_ids = set()
        self.created_by = {}  # id -> the operation that created it
        self.crawled = {}
        self.problems = []
        self.ops = c.operations()

    def subject(self, role):
        return f"ex-{self.tag}-{role}"

    def token(self, role):
        return token(role, sub=self.subject(role),
                     specialist_id=self.specialist_id if role == "specialist" else None)

    @staticmethod
    def role_for(op):
        roles = op.roles or []
        return op.get("x-example-role") or (roles[0] if roles else None)

    def headers_for(self, op, path_only, tok):
        h = {}
        if op.param("Idempotency-Key", "header"):
            h["Idempotency-Key"] = f"ex-{uuid.uuid4().hex}"
        if op.param("If-Match", "header"):
            g = self.api.get(path_only, tok)
            h["If-Match"] = g.headers.get("etag") or "*"
        return h

    def run(self):
        """Calls every runnable example (as the contract runner does, but no
        DELETE: what the examples create stays for the tests to aim at), in
        dependency order. Failures are kept in `problems`, not raised:
        callers decide what they need."""
        ordered, problems = c.order_for_examples(self.ops)
        self.problems += problems
        for op in ordered:
            # DELETE examples are not run: the resources stay, to be probed
            if op.get("x-example-skip") is not None or op.method == "DELETE":
                continue
            xpath = op.get("x-example-path")
            examples = op.request_examples()
            if xpath is None:
                if op.path_param_names or (op.method != "GET" and not examples):
                    continue
                xpath = op.path
            try:
                concrete = c.resolve_placeholders(xpath, self.results)
            except ValueError as e:
                self.problems.append(f"{op.label}: {e}")
                continue
            role = self.role_for(op)
            tok = self.token(role) if role else None
            path_only = concrete.split("?", 1)[0]
            for name, mt, value in examples or [(None, None, None)]:
                h = self.headers_for(op, path_only, tok)
                body = encode_body(mt, value)
                if mt is not None:
                    h["Content-Type"] = mt
                r = self.api.request(op.method, concrete, tok, body=body, headers=h)
                if not 200 <= r.status < 300:
                    self.problems.append(f"{op.label} {name or ''}: {r.status} {r.body[:200]!r}")
                    continue
                self.record(op, concrete, name, r)
        return self

    def record(self, op, concrete, name, r):
        self.paths.setdefault(op.key, concrete)
        path_only = concrete.split("?", 1)[0]
        segs, tsegs = path_only.split("/"), op.path.split("/")
        for i, ts in enumerate(tsegs):
            if ts.startswith("{") and i < len(segs):
                prefix = "/".join(tsegs[:i + 1])
                self.ids_by_prefix.setdefault(prefix, urllib.parse.unquote(segs[i]))
        ct = r.headers.get("content-type", "")
        if r.body and is_json_type(ct.split(";")[0].strip()):
            doc = r.json
            if op.operation_id and op.operation_id not in self.results:
                self.results[op.operation_id] = doc
            if op.operation_id and name and name.startswith("examples/"):
                self.results[f"{op.operation_id}:{name[len('examples/'):]}"] = doc
            if op.method == "POST" and isinstance(doc, dict) and isinstance(doc.get("id"), str):
                self.created_ids.add(doc["id"])
                self.created_by.setdefault(doc["id"], op)
                # a created resource is also known by its collection path + id
                loc = r.headers.get("location")
                if loc:
                    self._learn_location(loc)

    def _learn_location(self, loc):
        """Location /v1/things/<id> names the {param} of a template /v1/things/{x}."""
        path = loc.split("?", 1)[0]
        for op in self.ops:
            if c.path_matches_template(path, op.path) and op.path_param_names:
                segs, tsegs = path.split("/"), op.path.split("/")
                for i, ts in enumerate(tsegs):
                    if ts.startswith("{"):
                        self.ids_by_prefix.setdefault("/".join(tsegs[:i + 1]), segs[i])

    def concrete_path(self, op):
        """A concrete path for op built from known ids (query string of its
        x-example-path kept), or None when some parameter has no known id."""
        path = op.path
        for name, prefix in param_prefixes(op.path):
            v = self.ids_by_prefix.get(prefix)
            if v is None:
                return None
            path = path.replace("{" + name + "}", urllib.parse.quote(v, safe=""), 1)
        xpath = op.get("x-example-path")
        if isinstance(xpath, str) and "?" in xpath:
            try:
                path += "?" + c.resolve_placeholders(xpath.split("?", 1)[1], self.results)
            except ValueError:
                pass
        return path

    def crawl(self, per_collection=200):
        """Reads, as staff, every GET collection (a path ending in a literal
        segment; documents `items`) once per known or crawled value of its
        one parameter (at most per_collection of them), and remembers the
        items' ids under the collection's last segment: `/v1/assignments`
        gives ids for `/v1/assignments/{id}`, `/v1/cases/{id}/opinions` for
        `/v1/opinions/{id}`."""
        staff = self.staff_token
        collections = [op for op in self.ops if op.method == "GET" and not op.path.endswith("}")
                       and len(op.path_param_names) <= 1 and op.roles and
                       any(r in op.roles for r in ("admin", "navigator"))]
        # parameterless collections first: they give the parents' ids
        for op in sorted(collections, key=lambda o: len(o.path_param_names)):
            name = op.path.rstrip("/").rsplit("/", 1)[-1]
            tok = staff(op)
            if not op.path_param_names:
                targets = [op.path]
            else:
                prefix = param_prefixes(op.path)[0][1]
                parent = prefix.rsplit("/", 2)[-2]
                values = list(dict.fromkeys(
                    ([self.ids_by_prefix[prefix]] if prefix in self.ids_by_prefix else []) +
                    self.crawled.get(parent, [])))[:per_collection]
                targets = [op.path.replace("{" + op.path_param_names[0] + "}", v, 1) for v in values]
            for target in targets:
                if op.path_param_names and self.crawled.get(name):
                    break
                r = self.api.get(target + ("&" if "?" in target else "?") + "limit=200"
                                 if op.param("limit", "query") else target, tok)
                if r.status != 200:
                    continue
                try:
                    items = (r.json or {}).get("items") or []
                except (ValueError, AttributeError):
                    continue
                ids = [i.get("id") for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]
                bucket = self.crawled.setdefault(name, [])
                bucket.extend(i for i in ids if i not in bucket)
        return self

    def prefer(self, collection, ids):
        """Puts ids first among what crawl found for collection (its last path
        segment, e.g. "assignments"), so that crawled_path aims at resources
        the caller made itself, whatever other tests left behind."""
        bucket = self.crawled.setdefault(collection, [])
        bucket[:] = list(ids) + [i for i in bucket if i not in ids]
        return self

    @staticmethod
    def staff_token_for(op):
        for role in ("admin", "navigator"):
            if role in (op.roles or []):
                return token(role)
        return None

    def staff_token(self, op):
        return self.staff_token_for(op)

    def crawled_path(self, op):
        """For an operation with one path parameter that no example reaches:
        a concrete path with an id staff can list, or None."""
        if len(op.path_param_names) != 1:
            return None
        prefix = param_prefixes(op.path)[0][1]
        segs = prefix.split("/")
        name = segs[-2] if len(segs) >= 2 else ""
        ids = self.crawled.get(name) or []
        if not ids:
            return None
        return op.path.replace("{" + op.path_param_names[0] + "}", urllib.parse.quote(ids[0], safe=""), 1)

    def random_path(self, op, concrete):
        """concrete with every path parameter replaced by a fresh random UUID
        (an id that does not exist); the query string is kept."""
        path, _, query = concrete.partition("?")
        segs, tsegs = path.split("/"), op.path.split("/")
        for i, ts in enumerate(tsegs):
            if ts.startswith("{"):
                segs[i] = str(uuid.uuid4())
        return "/".join(segs) + ("?" + query if query else "")

    def existence_proof(self, op, concrete):
        """(template, path) of the GET that shows the resource behind
        concrete exists for its owner: a GET on the same template, else on the
        longest template prefix ending in a parameter. None if the spec has
        no such GET."""
        gets = {o.path: o for o in self.ops if o.method == "GET"}
        path_only = concrete.split("?", 1)[0]
        tsegs, segs = op.path.split("/"), path_only.split("/")
        for end in range(len(tsegs), 0, -1):
            if not tsegs[end - 1].startswith("{"):
                continue
            t = "/".join(tsegs[:end])
            if t in gets:
                return gets[t], "/".join(segs[:end])
        return None

    def first_request_body(self, op):
        """(media type, bytes) of op's first request example, or (None, None)."""
        for _name, mt, value in op.request_examples():
            body = encode_body(mt, value)
            if body is not None:
                return mt, body
        return None, None
