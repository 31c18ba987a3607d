"""PostgreSQL stopped in the middle of a write load (tests/test_foundation.py
covers an idle outage): while it is down every request gets 503 with
Retry-After (never a 500, never a hang); when it is back the same server
recovers without a restart; every write acknowledged with 2xx is in the
database; nothing is half-written (tests/lib/integrity.py); and retrying
each unacknowledged request with its Idempotency-Key yields exactly one case
per key.
"""
from faults.load import WriteLoad, wait_until_ok
from lib.harness import Server, pg_ctl, test, wait_until


def met_outage(load, since):
    """Attempts begun at or after index since that have ended unacknowledged."""
    return [a for a in load.attempts[since:] if not a.acknowledged and (a.status is not None or a.error)]


@test
def postgres_stopped_mid_load_gives_503_then_recovers_with_nothing_lost_or_half_written():
    srv = Server(DB_POOL_SIZE=4).start()
    load = WriteLoad(srv.api, threads=4)
    try:
        load.start()
        wait_until(lambda: len(load.acknowledged()) >= 20, 60, "writes acknowledged before the outage")
        before_outage = len(load.acknowledged())
        at_stop = len(load.attempts)
        pg_ctl("stop")
        try:
            # Down until twice as many requests as there are load threads
            # have been turned away (begun after the stop, ended without a
            # 2xx); a request that hangs instead fails the wait.
            wait_until(lambda: len(met_outage(load, at_stop)) >= 2 * load.threads, 60,
                       lambda: f"requests to meet the outage ({len(met_outage(load, at_stop))} so far)")
        finally:
            pg_ctl("start")
        wait_until_ok(srv.api)
        at_recovery = len(load.attempts)
        wait_until(lambda: sum(1 for a in load.attempts[at_recovery:] if a.acknowledged) >= 20, 60,
                   "writes acknowledged after the database returned")
        load.stop()

        assert before_outage > 0, "no write succeeded before the outage"
        outage = [a for a in load.attempts[at_stop:at_recovery] if not a.acknowledged]
        assert outage, "no request met the outage"
        bad = [a for a in load.unacknowledged() + [u for u in load.uploads if not u.doc_id]
               if a.status != 503 or not a.retry_after]
        assert not bad, "not a 503 with Retry-After: " + "; ".join(
            f"{a.key}: {a.status} {a.error} {a.body!r}" for a in bad[:5])
        assert any(a.acknowledged for a in load.attempts[at_recovery:]), \
            "nothing succeeded after the database returned"
        missing = load.missing_acknowledged()
        assert not missing, f"{len(missing)} acknowledged writes are missing: {[a.key for a in missing[:5]]}"
        assert not load.integrity(), load.integrity()
        never = load.settle(srv.api)
        assert not never, f"{len(never)} requests never succeeded on retry"
        problems = load.exactly_once_problems() + load.integrity()
        assert not problems, "\n  ".join(problems)
        print(f"  {len(load.attempts)} requests, {len(load.acknowledged())} acknowledged, "
              f"{len(outage)} met the outage; {load.upload_summary()}")
    finally:
        load.stop()
        rc = srv.stop()
    assert rc == 0, srv.output()[-2000:]
    assert not srv.sanitizer_report(), srv.sanitizer_report()
