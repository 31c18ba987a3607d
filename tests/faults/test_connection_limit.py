"""Crowds larger than MAX_CONNECTIONS, with clients that leave in the middle
of slow requests: every client that waits is answered, nobody is refused,
and afterwards the server still serves and stops cleanly on SIGTERM.

The server accepts connections itself and hands them to libmicrohttpd's
workers (internal/http/http_server.c accept_loop). With libmicrohttpd 0.9.75 a
worker that is handed a connection while at its share of MHD's connection
limit locks a mutex it already holds; every worker then hangs on it, the
server answers nothing and never exits. This pattern (slow requests
abandoned by their clients, then a new crowd) hung that build within two
rounds.
"""
import socket
import threading
import time

from lib.fixtures import case_body, new_sub
from lib.harness import Server, expect, sql, test, token

HEALTH = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"


def slow_check_request(case_id, tok, payer):
    body = ('{"payer_id":"%s","member_id":"BSH100001"}' % payer).encode()
    return (f"POST /v1/cases/{case_id}/coverage-checks HTTP/1.1\r\nHost: t\r\n"
            f"Authorization: Bearer {tok}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def raw_request(port, request, timeout, answers=None):
    """Sends request on a new connection. With answers, waits for the reply
    and appends whether it was a 200; without, leaves at once (the request
    still runs in the server)."""
    s = socket.socket()
    s.settimeout(timeout)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(request)
        if answers is not None:
            answers.append(s.recv(4096).startswith(b"HTTP/1.1 200"))
    except OSError:
        if answers is not None:
            answers.append(False)
    s.close()


def run_together(n, target, *args):
    threads = [threading.Thread(target=target, args=args) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@test
def crowds_over_max_connections_wait_are_served_and_never_hang_the_server():
    # 16 connections over 4 workers; the slow payer holds a worker ~1 s.
    srv = Server(MAX_CONNECTIONS=16, HTTP_THREADS=4).start()
    try:
        sub = new_sub()
        tok = token("patient", sub=sub)
        case_id = expect(srv.api.post("/v1/cases", tok, case_body()), 201).json["id"]
        payer = sql("SELECT id FROM payers WHERE name = 'Test Payer: Slow Clearinghouse'")[0][0]
        request = slow_check_request(case_id, tok, payer)
        for round_no in range(3):
            run_together(16, raw_request, srv.port, request, 5)
            answers = []
            run_together(24, raw_request, srv.port, HEALTH, 20, answers)
            assert answers.count(True) == 24, \
                f"round {round_no}: {answers.count(True)} of 24 waiting clients answered"
        assert "MAX_CONNECTIONS open" in srv.output(), "the limit was never reached"
    finally:
        t0 = time.monotonic()
        rc = srv.stop(timeout=30)
    assert rc == 0, f"server did not stop cleanly on SIGTERM (rc {rc}, {time.monotonic() - t0:.1f} s)"
