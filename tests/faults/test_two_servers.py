"""Two server processes on one database under concurrent writes:

  - the same Idempotency-Key sent through both at once creates exactly one
    case; every 2xx answer names that case, exactly one answer is the
    original (no Idempotent-Replayed), the others are replays or 409 "in
    progress" with Retry-After, and a retry after that is a replay;
  - PATCHes with the same If-Match through both at once: exactly one 200,
    the others 412; the version goes up by one per round and the ETag both
    servers give is the new version;
  - the event outbox (and the feed, where this build serves one) stays
    exact: one case.created per case, one case.updated per acknowledged
    PATCH, nothing for the refused ones.
"""
import threading
import uuid

from lib import contract as c
from lib.fixtures import case_body
from lib.harness import Server, expect, sql, test, token
from lib.integrity import db_now, integrity_problems


def together(calls):
    """Runs the calls at the same moment; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        try:
            out[i] = fn()
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out[i] = e
    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def events_for(case_ids, type_):
    if not case_ids:
        return {}
    quoted = ",".join(f"'{i}'" for i in case_ids)
    rows = sql(f"SELECT case_id, count(*) FROM events WHERE type = '{type_}' AND case_id IN ({quoted}) "
               "GROUP BY case_id")
    return {r[0]: int(r[1]) for r in rows}


@test
def two_servers_one_database_keep_idempotency_etags_and_events_exact():
    a = Server(DB_POOL_SIZE=4).start()
    b = Server(DB_POOL_SIZE=4).start()
    servers = (a, b, a, b)
    since = db_now()
    try:
        # ---------------------------------------------------------- idempotency
        problems, case_ids = [], []
        body = case_body()
        for k in range(15):
            sub = f"two-{uuid.uuid4().hex[:10]}"
            tok = token("patient", sub=sub)
            key = f"two-{uuid.uuid4().hex}"
            answers = together([lambda s=s: s.api.post("/v1/cases", tok, body, headers={"Idempotency-Key": key})
                                for s in servers])
            for r in answers:
                if isinstance(r, Exception):
                    problems.append(f"key {k}: {r!r}")
                elif r.status == 409:
                    if not r.headers.get("retry-after"):
                        problems.append(f"key {k}: 409 without Retry-After")
                elif r.status != 201:
                    problems.append(f"key {k}: {r.status} {r.body[:200]!r}")
            ok = [r for r in answers if not isinstance(r, Exception) and r.status == 201]
            originals = [r for r in ok if r.headers.get("idempotent-replayed") != "true"]
            ids = {r.json["id"] for r in ok}
            retry = a.api.post("/v1/cases", tok, body, headers={"Idempotency-Key": key})
            expect(retry, 201)
            ids.add(retry.json["id"])
            if retry.headers.get("idempotent-replayed") != "true":
                problems.append(f"key {k}: the retry was not a replay")
            if len(ids) != 1 or len(originals) != 1:
                problems.append(f"key {k}: {len(ids)} cases, {len(originals)} original answers")
            stored = int(sql(f"SELECT count(*) FROM cases WHERE patient_sub = '{sub}'")[0][0])
            if stored != 1:
                problems.append(f"key {k}: {stored} cases stored")
            case_ids += list(ids)
        assert not problems, "idempotency across servers:\n  " + "\n  ".join(problems)

        # ---------------------------------------------------------- ETags
        sub = f"two-etag-{uuid.uuid4().hex[:8]}"
        tok = token("patient", sub=sub)
        case = expect(a.api.post("/v1/cases", tok, body), 201).json
        path = f"/v1/cases/{case['id']}"
        wins = 0
        for rnd in range(10):
            etag = b.api.get(path, tok).headers["etag"]
            answers = together([
                lambda s=s, i=i: s.api.patch(path, tok, {"patient": {"name": f"Round {rnd} writer {i}"}},
                                             headers={"If-Match": etag})
                for i, s in enumerate(servers)])
            statuses = sorted(r.status if not isinstance(r, Exception) else repr(r) for r in answers)
            if statuses != [200, 412, 412, 412]:
                problems.append(f"round {rnd}: {statuses}")
                continue
            wins += 1
            winner = next(r for r in answers if r.status == 200)
            for s in (a, b):
                g = s.api.get(path, tok)
                if g.headers.get("etag") != winner.headers.get("etag") or \
                        g.json["patient"]["name"] != winner.json["patient"]["name"] or \
                        g.json["version"] != 2 + rnd:
                    problems.append(f"round {rnd}: server on {s.port} shows {g.headers.get('etag')} "
                                    f"version {g.json['version']}")
        assert not problems, "If-Match across servers:\n  " + "\n  ".join(problems)

        # ---------------------------------------------------------- events
        created = events_for(case_ids + [case["id"]], "case.created")
        wrong = {i: created.get(i, 0) for i in case_ids + [case["id"]] if created.get(i, 0) != 1}
        assert not wrong, f"case.created events per case: {wrong}"
        updated = events_for([case["id"]], "case.updated").get(case["id"], 0)
        assert updated == wins == 10, f"{updated} case.updated events for {wins} acknowledged PATCHes"
        feed_problems = check_feed(a, b, set(case_ids + [case["id"]]), wins)
        assert not feed_problems, "\n  ".join(feed_problems)
        assert not integrity_problems(since), integrity_problems(since)
    finally:
        rcs = (a.stop(), b.stop())
    assert rcs == (0, 0), (rcs, a.output()[-1000:], b.output()[-1000:])
    assert not a.sanitizer_report() and not b.sanitizer_report(), a.sanitizer_report() or b.sanitizer_report()


def check_feed(a, b, case_ids, patches):
    """When this build serves the event feed (GET /v1/events, staff), read it
    whole through each server: both give the same events, none twice, and
    this test's events all there. Without the route the outbox checks above
    are the whole story."""
    if not any(r["method"] == "GET" and r["path"] == "/v1/events" for r in c.code_routes()):
        return []
    problems, seen = [], []
    for s in (a, b):
        items, cursor, pages = [], None, 0
        while pages < 1000:
            q = "/v1/events?limit=200" + (f"&after={cursor}" if cursor else "")
            r = s.api.get(q, token("navigator"))
            if r.status != 200:
                return [f"GET {q} via {s.port}: {r.status} {r.body[:200]!r}"]
            page = r.json
            items += page.get("items") or []
            cursor = page.get("next_cursor")
            pages += 1
            if not page.get("has_more") or not cursor:
                break
        seen.append([e.get("id") for e in items])
        ids = [e.get("id") for e in items]
        if len(ids) != len(set(ids)):
            problems.append(f"the feed via {s.port} repeats events")
        ours = [e for e in items if e.get("case_id") in case_ids]
        if sum(1 for e in ours if e.get("type") == "case.created") != len(case_ids):
            problems.append(f"the feed via {s.port} lacks case.created events")
        if sum(1 for e in ours if e.get("type") == "case.updated") != patches:
            problems.append(f"the feed via {s.port} has other than {patches} case.updated events")
    if seen[0] != seen[1]:
        problems.append("the two servers serve different feeds")
    return problems
