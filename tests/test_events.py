"""The events feed: GET /v1/events. Roles, shape (ids, no patient data),
cursor paging, validation, and the promise that a consumer resuming from its
cursor misses nothing and sees nothing twice - against slow transactions and
against several server processes writing at once."""
import base64
import os
import subprocess
import threading
import time
import uuid

from lib.fixtures import case_body, new_sub
from lib.harness import (PGPORT, Server, api, count, expect, expect_problem, sql, test, token)

EVENT_KEYS = {"id", "type", "case_id", "subject_type", "subject_id", "actor_role", "occurred_at"}


def staff():
    return token("navigator")


def read_feed(after=None, limit=500, tok=None, via=None):
    q = f"/v1/events?limit={limit}" + (f"&cursor={after}" if after else "")
    return expect((via or api).get(q, tok or staff()), 200).json


def head_cursor():
    """The cursor after every event readable now."""
    cur = None
    while True:
        page = read_feed(cur)
        cur = page["next_cursor"]
        if not page["has_more"]:
            return cur


def read_all(after):
    """Every event readable now after the cursor, and the cursor after them."""
    items, cur = [], after
    while True:
        page = read_feed(cur)
        items += page["items"]
        cur = page["next_cursor"]
        if not page["has_more"]:
            return items, cur


def create_case(tok=None, via=None):
    tok = tok or token("patient", sub=new_sub())
    r = expect((via or api).post("/v1/cases", tok, case_body()), 201)
    return r.json


def cursor_text(raw):
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def owner_env(appname):
    return dict(os.environ, PGPASSWORD="cso_owner_dev", PGAPPNAME=appname)


def psql_session(appname, *commands):
    """A separate session as the schema owner running commands in order."""
    args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", PGPORT,
            "-U", "cso_owner", "-d", "cso"]
    for c in commands:
        args += ["-c", c]
    return subprocess.Popen(args, env=owner_env(appname), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def wait_until_session_holds_xid(appname, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        n = sql(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{appname}'"
                " AND backend_xid IS NOT NULL AND query LIKE '%pg_sleep%'")[0][0]
        if n == "1":
            return
        time.sleep(0.02)
    raise AssertionError(f"session {appname} never took a transaction id")


# ---------------------------------------------------------------- access

@test
def feed_is_for_navigators_and_admins_only():
    expect_problem(api.get("/v1/events"), 401)
    for role in ("patient", "specialist"):
        sub = new_sub(role)
        expect_problem(api.get("/v1/events", token(role, sub=sub)), 403)
        assert count("audit_events", f"actor_sub = '{sub}' AND action = 'request.denied'"
                     " AND status = 403") == 1
    for role in ("navigator", "admin"):
        page = expect(api.get("/v1/events?limit=1", token(role)), 200).json
        assert set(page) == {"items", "next_cursor", "has_more"}, page


@test
def feed_reads_are_not_audited():
    sub = new_sub("navigator")
    read_feed(tok=token("navigator", sub=sub), limit=5)
    assert count("audit_events", f"actor_sub = '{sub}'") == 0


# ---------------------------------------------------------------- shape and paging

@test
def new_events_appear_in_order_with_ids_and_no_patient_data():
    cur = head_cursor()
    sub = new_sub()
    tok = token("patient", sub=sub)
    c = create_case(tok)
    expect(api.patch(f"/v1/cases/{c['id']}", tok, {"request": {"urgency": "urgent"}},
                     headers={"If-Match": '"1"'}), 200)
    r = api.get(f"/v1/events?cursor={cur}", staff())
    expect(r, 200)
    page = r.json
    mine = [e for e in page["items"] if e["case_id"] == c["id"]]
    assert [e["type"] for e in mine] == ["case.created", "case.updated"], page
    for e in mine:
        assert set(e) == EVENT_KEYS, e
        assert e["subject_type"] == "case" and e["subject_id"] == c["id"]
        assert e["actor_role"] == "patient"
        assert e["occurred_at"].endswith("Z") and "T" in e["occurred_at"]
    assert mine[0]["id"] < mine[1]["id"]
    body = r.body.decode()
    for phi in ("Maria", "Lopez", "1968-04-12", sub, "maria@example.org", "77030"):
        assert phi not in body, phi
    # the same rows are in the table the feed reads
    assert count("events", f"case_id = '{c['id']}'") == 2
    # Resuming from next_cursor: nothing new, and the cursor stays put.
    after, _ = read_all(page["next_cursor"])
    assert not any(e["case_id"] == c["id"] for e in after)
    empty = read_feed(head_cursor())
    assert empty["items"] == [] and empty["has_more"] is False
    again = read_feed(empty["next_cursor"])
    assert again["next_cursor"] == empty["next_cursor"]


@test
def feed_without_cursor_starts_at_the_beginning():
    for _ in range(4):
        create_case()
    first = read_feed(limit=3)
    assert len(first["items"]) == 3 and first["has_more"] is True
    oldest = sql("SELECT id FROM events ORDER BY txid, id LIMIT 3")
    assert [e["id"] for e in first["items"]] == [int(r[0]) for r in oldest]


@test
def feed_orders_transaction_ids_as_numbers():
    """An event from an old transaction (txid 9, written directly) comes
    before every other; compared as text, '9' would sort after '1000'."""
    marker = str(uuid.uuid4())
    create_case()
    sql("INSERT INTO events (txid, type, subject_type, subject_id)"
        f" VALUES ('9', 'test.order', 'test', '{marker}')")
    first = read_feed(limit=1)["items"][0]
    assert first["subject_id"] == marker, first
    everything, _ = read_all(None)
    numeric = sql("SELECT id FROM events WHERE txid < pg_snapshot_xmin(pg_current_snapshot())"
                  " ORDER BY txid, id")
    assert [e["id"] for e in everything] == [int(r[0]) for r in numeric]


@test
def small_pages_walk_the_same_sequence_as_one_big_read():
    cur = head_cursor()
    ids = {create_case()["id"] for _ in range(5)}
    big = [e for e in read_feed(cur)["items"]]
    walked, c, pages = [], cur, 0
    while True:
        page = read_feed(c, limit=2)
        walked += page["items"]
        c = page["next_cursor"]
        pages += 1
        assert len(page["items"]) <= 2
        if not page["has_more"]:
            break
    assert walked == big, (walked, big)
    assert pages >= 3
    assert {e["case_id"] for e in walked if e["type"] == "case.created"} >= ids
    assert len({e["id"] for e in walked}) == len(walked)


@test
def feed_query_is_validated():
    t = staff()
    for q in ("limit=0", "limit=501", "limit=abc", "limit=-1", "limit=1.5"):
        p = expect_problem(api.get(f"/v1/events?{q}", t), 400, q)
        assert any(e["field"] == "limit" for e in p["errors"]), p
    bad_cursors = ["%25%25%25", cursor_text("abc"), cursor_text("1|x"), cursor_text("x|1"),
                   cursor_text("-1|5"), cursor_text("1|-5"), cursor_text("|"),
                   cursor_text("99999999999999999999999|1"), cursor_text("1|99999999999999999999"),
                   "not+a+cursor"]
    for name in ("cursor", "after"):
        for c in bad_cursors:
            p = expect_problem(api.get(f"/v1/events?{name}={c}", t), 400, c)
            assert any(e["field"] == name for e in p.get("errors", [])), (name, c, p)
        expect_problem(api.get(f"/v1/events?{name}=a&{name}=b", t), 400)
    expect_problem(api.get("/v1/events?type=case.created", t), 400)
    expect_problem(api.request("GET", "/v1/events", t, body=b"{}",
                               content_type="application/json"), 400)
    expect(api.get("/v1/events?limit=500", t), 200)
    expect(api.get(f"/v1/events?cursor={cursor_text('0|0')}", t), 200)


@test
def after_is_an_alias_of_cursor_and_not_both_at_once():
    """`cursor` is the name every list uses; `after`, the feed's first name
    for it, still works and reads the same page. Both at once is 400, even
    with the same value: the caller means one position, not two."""
    t = staff()
    cur = head_cursor()
    ids = {create_case()["id"] for _ in range(3)}
    by_cursor = expect(api.get(f"/v1/events?limit=2&cursor={cur}", t), 200).json
    by_after = expect(api.get(f"/v1/events?limit=2&after={cur}", t), 200).json
    assert by_cursor == by_after, (by_cursor, by_after)
    assert len(by_cursor["items"]) == 2 and by_cursor["has_more"] is True, by_cursor
    # next_cursor continues under either name, and is never null.
    rest = read_all(by_cursor["next_cursor"])[0]
    walked = by_cursor["items"] + rest
    assert {e["case_id"] for e in walked if e["type"] == "case.created"} == ids, walked
    tail = expect(api.get(f"/v1/events?after={by_after['next_cursor']}", t), 200).json
    assert tail["items"] == rest[:len(tail["items"])], (tail, rest)
    end = read_feed(head_cursor())
    assert end["items"] == [] and isinstance(end["next_cursor"], str) and end["next_cursor"], end
    for q in (f"cursor={cur}&after={cur}", f"after={cur}&cursor={by_cursor['next_cursor']}",
              f"cursor={cur}&after=not-a-cursor"):
        p = expect_problem(api.get(f"/v1/events?{q}", t), 400, q)
        assert [e["field"] for e in p["errors"]] == ["cursor"], (q, p)
        assert "after" in p["errors"][0]["message"], p


# ---------------------------------------------------------------- ordering under concurrency

@test
def a_slower_transaction_holds_the_feed_back_instead_of_being_skipped():
    """The slow session takes its event id first and commits last. A reader
    paging by id alone would pass that id while the session is open and then
    never see its event; the feed holds back everything after it instead."""
    cur = head_cursor()
    marker = str(uuid.uuid4())
    app = "slow-" + marker[:8]
    slow = psql_session(app, "BEGIN",
                        "INSERT INTO events (type, subject_type, subject_id)"
                        f" VALUES ('test.slow', 'test', '{marker}')",
                        "SELECT pg_sleep(1.5)", "COMMIT")
    try:
        wait_until_session_holds_xid(app)
        c = create_case()  # commits while the slow session is still open
        assert count("events", f"case_id = '{c['id']}'") == 1
        # The consumer keeps polling from its cursor while the session is open.
        seen, consumer = [], cur
        for _ in range(5):
            page = read_feed(consumer)
            seen += page["items"]
            consumer = page["next_cursor"]
            time.sleep(0.1)
        assert slow.poll() is None, "slow session ended too early for the test to mean anything"
        assert not any(e["case_id"] == c["id"] for e in seen), \
            "an event behind an open transaction was shown; its predecessor could be skipped"
    finally:
        _, err = slow.communicate(timeout=30)
    assert slow.returncode == 0, err
    rest, _ = read_all(consumer)
    seen += rest
    slow_ev = [e for e in seen if e["subject_id"] == marker]
    case_ev = [e for e in seen if e["case_id"] == c["id"]]
    assert len(slow_ev) == 1 and len(case_ev) == 1, seen
    assert seen.index(slow_ev[0]) < seen.index(case_ev[0])
    assert slow_ev[0]["id"] < case_ev[0]["id"]
    assert len({e["id"] for e in seen}) == len(seen)


@test
def consumer_misses_nothing_and_sees_nothing_twice_with_two_replicas_writing():
    """Two extra server processes and the shared one take case creations from
    six threads at once, while sessions that take their transaction id early
    and insert their event late keep commit order and id order apart. A
    consumer polling the feed (through all three servers in turn) ends with
    every event exactly once, in the order a later full read gives."""
    servers = [Server(), Server()]
    apis = [servers[0].api, servers[1].api, api]
    created, errors, lock = [], [], threading.Lock()
    markers = [str(uuid.uuid4()) for _ in range(3)]
    consumed, done = [], threading.Event()
    state = {"cursor": None, "polls": 0}

    def writer(i):
        try:
            for k in range(10):
                via = apis[(i + k) % 3]
                c = create_case(token("navigator"), via=via)
                with lock:
                    created.append(c["id"])
                # Spread the writes over the ~1.3 s in which the slow sessions
                # hold their early transaction ids: a fast server finished all
                # 60 before the first one began, and nothing was reordered.
                time.sleep(0.12)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    def consumer():
        n = 0
        try:
            while True:
                finishing = done.is_set()
                page = read_feed(state["cursor"], limit=7, via=apis[n % 3])
                n += 1
                consumed.extend(page["items"])
                state["cursor"] = page["next_cursor"]
                if finishing and not page["items"]:
                    break
                if not page["has_more"]:
                    time.sleep(0.01)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append("consumer: " + repr(e))
        state["polls"] = n

    slow = []
    try:
        for srv in servers:
            srv.start()
        cur = state["cursor"] = head_cursor()
        reader = threading.Thread(target=consumer)
        reader.start()
        writers = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
        for w in writers:
            w.start()
        for m in markers:
            # The transaction id is taken first, the event inserted after a
            # pause, so this event's id is larger than those of cases
            # committed meanwhile while its position in the feed is earlier.
            slow.append(psql_session("slow-" + m[:8], "BEGIN", "SELECT pg_current_xact_id()",
                                     "SELECT pg_sleep(0.4)",
                                     "INSERT INTO events (type, subject_type, subject_id)"
                                     f" VALUES ('test.slow', 'test', '{m}')", "COMMIT"))
            time.sleep(0.3)
        for w in writers:
            w.join()
        for p in slow:
            _, err = p.communicate(timeout=30)
            assert p.returncode == 0, err
        done.set()
        reader.join(timeout=60)
        assert not reader.is_alive(), "consumer did not finish"
        assert not errors, errors
    finally:
        done.set()
        rcs = [srv.stop() for srv in servers]
    assert rcs == [0, 0], [srv.output()[-2000:] for srv in servers]
    for srv in servers:
        assert not srv.sanitizer_report(), srv.sanitizer_report()

    assert len(created) == 60 and len(set(created)) == 60
    ids = [e["id"] for e in consumed]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    got = [e["case_id"] for e in consumed if e["type"] == "case.created" and e["case_id"] in set(created)]
    assert len(got) == len(set(got)) and set(got) == set(created), \
        f"missing {len(set(created) - set(got))} of {len(created)}"
    got_markers = [e["subject_id"] for e in consumed if e["type"] == "test.slow"]
    assert sorted(got_markers) == sorted(markers), got_markers
    # Order: what the consumer saw piecemeal is exactly one full read now.
    again, _ = read_all(cur)
    assert [e["id"] for e in again] == ids
    # The slow sessions really did reorder: some event came before one with a smaller id.
    assert any(a > b for a, b in zip(ids, ids[1:])), "ids never went backwards; test proved nothing"
    assert state["polls"] > 5
