"""The server killed with SIGKILL in the middle of a write load, then
started again: every write acknowledged with 2xx is present, no case is
partial (history, audit row and case.created event all there, or none of
them: tests/lib/integrity.py), and retrying each unacknowledged request with
its Idempotency-Key gives exactly one case per key (a request that committed
just before the kill is replayed, not created twice)."""
import signal

from faults.load import WriteLoad, wait_until_ok
from lib.harness import Server, test, wait_until


@test
def sigkill_mid_load_loses_no_acknowledged_write_and_leaves_nothing_partial():
    first = Server(DB_POOL_SIZE=4).start()
    load = WriteLoad(first.api, threads=6)
    try:
        load.start()
        wait_until(load.running, 60, "writes acknowledged and a request in flight")
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
        at_kill = len(load.attempts)
        wait_until(lambda: load.refused_since(at_kill), 30, "the load to find the server gone")
        load.stop()
    finally:
        first.stop()
    assert first.proc.returncode == -signal.SIGKILL, first.proc.returncode
    acked = load.acknowledged()
    cut = [a for a in load.unacknowledged() if a.error]
    assert acked, "nothing was acknowledged before the kill"
    assert cut, "no request was cut off by the kill"
    odd = [a for a in load.unacknowledged() + [u for u in load.uploads if not u.doc_id] if not a.error]
    assert not odd, "answered with an error before the kill: " + "; ".join(
        f"{a.status} {a.body!r}" for a in odd[:5])
    missing = load.missing_acknowledged()
    assert not missing, f"{len(missing)} acknowledged writes are missing after SIGKILL"
    assert not load.integrity(), load.integrity()

    second = Server(DB_POOL_SIZE=4).start()
    try:
        wait_until_ok(second.api)
        never = load.settle(second.api)
        assert not never, f"{len(never)} requests never succeeded on the restarted server"
        problems = load.exactly_once_problems() + load.integrity()
        assert not problems, "\n  ".join(problems)
        print(f"  {len(load.attempts)} requests, {len(acked)} acknowledged before the kill, "
              f"{len(cut)} cut off, replayed on retry: "
              f"{sum(1 for a in load.attempts if a.replayed == 'true')}; {load.upload_summary()}")
    finally:
        rc = second.stop()
    assert rc == 0 and not second.sanitizer_report(), second.sanitizer_report() or second.output()[-2000:]
