"""SIGTERM under a write load (tests/test_foundation.py covers reads): the
server stops accepting, finishes the requests it has begun, answers them,
and exits 0. Every request either got its complete answer (a 2xx; never a
5xx) or was never taken (connection refused or reset before an answer); and
the cases in the database are exactly the ones the clients were told about:
a request the server worked on is never left unanswered."""
import signal

from faults.load import WriteLoad
from lib.harness import Server, test, wait_until


@test
def sigterm_under_write_load_answers_every_request_it_began_and_exits_0():
    srv = Server(DB_POOL_SIZE=4).start()
    load = WriteLoad(srv.api, threads=6)
    try:
        load.start()
        wait_until(load.running, 60, "writes acknowledged and a request in flight")
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(30)
        at_exit = len(load.attempts)
        wait_until(lambda: load.refused_since(at_exit), 30, "the load to find the server gone")
        load.stop()
    finally:
        srv.stop()
    assert rc == 0, srv.output()[-2000:]
    assert not srv.sanitizer_report(), srv.sanitizer_report()
    answered_badly = [a for a in load.attempts + load.uploads
                      if a.status is not None and not 200 <= a.status < 300]
    assert not answered_badly, "answered with an error during shutdown: " + "; ".join(
        f"{a.status} {a.body!r}" for a in answered_badly[:5])
    acked = load.acknowledged()
    assert acked, "nothing was acknowledged"
    stored = load.stored()
    told = {a.case_id for a in acked}
    assert told <= stored, f"{len(told - stored)} acknowledged cases are missing"
    unanswered = stored - told
    assert not unanswered, (f"{len(unanswered)} cases were created but their request got no answer "
                            f"(errors seen: {sorted({a.error for a in load.attempts if a.error})})")
    assert not load.integrity(), load.integrity()
    print(f"  {len(load.attempts)} requests, {len(acked)} acknowledged, "
          f"{sum(1 for a in load.attempts if a.error)} refused after SIGTERM; {load.upload_summary()}")
