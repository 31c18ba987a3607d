"""Issue 15 item 8: row locks held by another session.

A server started with DB_LOCK_TIMEOUT_MS=500 (the setting; the default is
2000). Another database session holds one row locked (SELECT ... FOR UPDATE
in an open transaction, lib.locks.RowLock). A write that needs the row waits
for it at most one lock timeout and then answers 503 with Retry-After,
having changed nothing.

Withdraw locks the case, its live assignments and their specialists. It used
to take them in two statements (the case, then the assignments' update with
the specialists' capacity), and each could wait a whole lock timeout: a
case row freed just before the timeout, then an assignment row still held,
made about two timeouts. Now one statement takes them all, and since
PostgreSQL's lock_timeout bounds each lock acquisition rather than a
statement, that statement runs with its statement timeout set to the lock
timeout: a withdraw waits at most once.

How the wait is measured, robustly on a loaded machine: the same request is
timed without the lock held (the worst of a few, `base`), then with the lock
held (`held`). A request that waits once takes about T + base (T the lock
timeout), one that waits twice about 2T + base. The test asserts
T * 0.8 <= held - base < T * 1.5: it did wait (not refused early), and by a
margin of T/2 on either side it waited once, not twice. With T = 500 ms the
margin is 250 ms of scheduling noise, far above what a request's own time
varies by when base already absorbs the machine's slowness.
"""
import os
import threading
import time

from lib.harness import Server, count, expect, skip, sql, test, token
from lib.locks import RowLock
from lib.review import Journey, in_review

T = 0.5


def server():
    """A server whose lock timeout is T. Under libfaketime (make
    test-shifted-clock) PostgreSQL's lock_timeout never fires, so a request on
    a locked row waits for the lock: nothing to measure there; the normal
    clock (make test, CI) runs every test here."""
    if os.environ.get("FAKETIME"):
        skip("PostgreSQL's lock_timeout does not fire under libfaketime")
    return Server(DB_LOCK_TIMEOUT_MS=int(T * 1000)).start()


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return r, time.monotonic() - t0


def state_of(case_id):
    """Everything a withdraw or a patch could change about the case."""
    return (sql(f"SELECT status, version, updated_at, to_jsonb(c) FROM cases c WHERE id = '{case_id}'"),
            sql(f"SELECT id, status, version FROM assignments WHERE case_id = '{case_id}' ORDER BY id"),
            sql("SELECT s.id, s.open_cases FROM specialists s JOIN assignments a ON a.specialist_id = s.id"
                f" WHERE a.case_id = '{case_id}' ORDER BY s.id"),
            count("events", f"case_id = '{case_id}'"),
            count("case_status_history", f"case_id = '{case_id}'"))


def withdraw(srv, j):
    return lambda: srv.api.post(f"/v1/cases/{j.case_id}/withdraw", j.navigator, {"note": "lock test"},
                                timeout=30)


def base_withdraw(srv):
    """The worst time of a few withdraws of cases under review, no lock."""
    worst = 0.0
    for _ in range(3):
        r, dt = timed(withdraw(srv, in_review()))
        expect(r, 200)
        worst = max(worst, dt)
    return worst


def assert_waited_once(held, base, what):
    waited = held - base
    assert T * 0.8 <= waited < T * 1.5, \
        f"{what}: {held:.3f} s with the row locked, {base:.3f} s without: waited {waited:.3f} s," \
        f" one lock timeout is {T} s, two are {2 * T} s"


def assert_busy(r):
    assert r.status == 503, r
    assert r.headers.get("retry-after", "").isdigit(), r.headers
    assert r.headers.get("content-type", "").startswith("application/problem+json"), r.headers


@test
def lock_timeout_setting_is_validated():
    for bad in ("0", "9", "abc", "600001"):
        srv = Server(DB_LOCK_TIMEOUT_MS=bad)
        srv.start(wait=False)
        rc = srv.proc.wait(timeout=20)
        assert rc != 0 and "DB_LOCK_TIMEOUT_MS" in srv.output(), (bad, rc, srv.output()[-500:])
    srv = Server(DB_LOCK_TIMEOUT_MS=3000, DB_STATEMENT_TIMEOUT_MS=2000)
    srv.start(wait=False)
    rc = srv.proc.wait(timeout=20)
    assert rc != 0 and "DB_STATEMENT_TIMEOUT_MS" in srv.output(), srv.output()[-500:]


@test
def patch_on_a_locked_case_is_503_after_one_timeout():
    srv = server()
    try:
        j = Journey().submit()
        version = sql(f"SELECT version FROM cases WHERE id = '{j.case_id}'")[0][0]

        def patch():
            return srv.api.patch(f"/v1/cases/{j.case_id}", j.navigator, {"request": {"urgency": "urgent"}},
                                 headers={"If-Match": f'"{version}"'}, timeout=30)
        before = state_of(j.case_id)
        lock = RowLock("cases", j.case_id)
        try:
            r, held = timed(patch)
        finally:
            lock.release()
        assert_busy(r)
        assert T * 0.8 <= held < T * 1.5 + 1.0, held
        assert state_of(j.case_id) == before
        expect(patch(), 200)  # the lock gone, the same request goes through
    finally:
        srv.stop()


@test
def withdraw_waits_one_lock_timeout_whichever_row_is_locked():
    srv = server()
    try:
        base = base_withdraw(srv)
        for table in ("cases", "assignments", "specialists"):
            j = in_review()
            row = {"cases": j.case_id, "assignments": j.assignment_id, "specialists": j.specialist.id}[table]
            before = state_of(j.case_id)
            lock = RowLock(table, row)
            try:
                r, held = timed(withdraw(srv, j))
            finally:
                lock.release()
            assert_busy(r)
            assert_waited_once(held, base, f"withdraw with its {table} row locked")
            assert state_of(j.case_id) == before, table
            expect(withdraw(srv, j)(), 200)
            assert j.status() == "withdrawn"
            assert j.specialist.open_cases() == 0
    finally:
        srv.stop()


@test
def withdraw_waits_one_timeout_in_all_when_locks_are_freed_one_by_one():
    """The reported double wait: the case row held by one session that lets
    go shortly before the lock timeout, the assignment held by another that
    does not. Statement by statement the withdraw waited for the case almost
    a whole timeout, then a whole timeout for the assignment (about 1.9 T);
    in one statement bounded by the lock timeout it waits T in all."""
    srv = server()
    try:
        base = base_withdraw(srv)
        j = in_review()
        before = state_of(j.case_id)
        held_case = RowLock("cases", j.case_id)
        held_assignment = RowLock("assignments", j.assignment_id)
        let_go = threading.Timer(T * 0.9, held_case.release)
        try:
            let_go.start()
            r, held = timed(withdraw(srv, j))
        finally:
            let_go.join()
            held_assignment.release()
        assert_busy(r)
        assert_waited_once(held, base, "withdraw, case row freed at 0.9 T, assignment row held")
        assert state_of(j.case_id) == before
        expect(withdraw(srv, j)(), 200)
    finally:
        srv.stop()
