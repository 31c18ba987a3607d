"""Over-size JSON bodies (issue 15, item 7): ulfius buffers a body up to the
largest limit of any route (MAX_DOCUMENT_BYTES once a route takes uploads)
before the dispatcher can refuse it, so a 20 MiB body to a JSON route was
read in full first (about 17 s under the sanitizer build). The server now
stops reading a request once it is past its path's body limit (plus room
for the head) and answers 413 with Connection: close, whether the length
was declared or the body is chunked.

What must hold: the server stops reading within a few seconds (the client's
send fails, or it gets the 413), long before 20 MiB are read, and nothing
is stored."""
import socket
import threading
import time

from lib.fixtures import new_sub
from lib.harness import Server, count, test, token

TOTAL = 20 << 20
CHUNK = 64 << 10
BOUND_S = 6


def send_oversize(port, tok, chunked):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    head = (f"POST /v1/cases HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {tok}\r\n"
            "Content-Type: application/json\r\n")
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {TOTAL}\r\n\r\n"
    answer = []

    def reader():
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                answer.append(data)
        except OSError:
            pass

    t = threading.Thread(target=reader, daemon=True)
    t0 = time.monotonic()
    sent = 0
    try:
        s.sendall(head.encode())
        t.start()
        piece = b"[" + b" " * (CHUNK - 1)
        while sent < TOTAL:
            data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
            s.sendall(data)
            sent += len(piece)
        if chunked:
            s.sendall(b"0\r\n\r\n")
        t.join(60)
    except OSError:
        t.join(5)
    elapsed = time.monotonic() - t0
    s.close()
    return elapsed, sent, b"".join(answer)


@test
def an_oversize_json_body_is_not_read_to_its_end():
    srv = Server().start()  # a route takes documents: ulfius' cap is 25 MiB
    try:
        sub = new_sub()
        tok = token("patient", sub=sub)
        results = {}
        for chunked in (False, True):
            elapsed, sent, answer = send_oversize(srv.port, tok, chunked)
            results["chunked" if chunked else "declared"] = (round(elapsed, 2), sent >> 20, answer[:40])
            assert elapsed < BOUND_S, f"{'chunked' if chunked else 'declared'} 20 MiB body: " \
                                      f"the server read for {elapsed:.1f} s ({sent >> 20} MiB sent)"
            assert not answer or answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert count("cases", f"patient_sub = '{sub}'") == 0
        assert srv.api.get("/healthz").status == 200
        print(f"  {results}")
    finally:
        rc = srv.stop()
    assert rc == 0 and not srv.sanitizer_report(), srv.sanitizer_report() or srv.output()[-2000:]
