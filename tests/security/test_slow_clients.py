"""Slow clients (issue 15, item 2): a request must arrive within
REQUEST_HEAD_TIMEOUT_S plus its size at REQUEST_MIN_RATE. libmicrohttpd's
own timeout (CONNECTION_TIMEOUT_S) restarts on every byte, so a client that
sends one header byte a second used to hold its connection slot for as long
as it liked; 50 of them were never closed.

What must hold: 60 clients dripping a request head one byte a second are
all closed (with a 408) within the bound plus slack, a client sending a body
far below the minimum rate likewise, a normal client keeps getting prompt
answers meanwhile, and afterwards the server holds no more sockets than
before (the slots are freed)."""
import os
import select
import socket
import threading
import time

from lib.harness import Server, test, wait_until

HEAD_S = 3
DRIPPERS = 60
SLACK_S = 2.5
HEAD = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Padding: " + b"a" * 200 + b"\r\n\r\n"


def open_sockets(pid):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


class Dripper:
    def __init__(self, port, head=HEAD):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setblocking(False)
        self.head = head
        self.sent = 0
        self.opened = time.monotonic()
        self.closed_after = None
        self.answer = b""

    def step(self, now):
        """Sends the next byte, or notes that the server closed."""
        if self.closed_after is not None:
            return
        try:
            while select.select([self.sock], [], [], 0)[0]:
                chunk = self.sock.recv(4096)
                self.answer += chunk
                if not chunk:
                    raise ConnectionResetError
            if self.sent < len(self.head):
                self.sock.send(self.head[self.sent:self.sent + 1])
                self.sent += 1
        except OSError:
            self.closed_after = now - self.opened
            self.sock.close()


@test
def clients_that_drip_are_closed_at_the_deadline_and_others_are_served():
    srv = Server(REQUEST_HEAD_TIMEOUT_S=HEAD_S, REQUEST_MIN_RATE=1024, CONNECTION_TIMEOUT_S=60,
                 HTTP_THREADS=2, MAX_CONNECTIONS=128).start()
    normal_latencies, normal_failures = [], []
    stop = threading.Event()

    def normal_client():
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                ok = srv.api.get("/healthz", timeout=5).status == 200
            except OSError:
                ok = False
            (normal_latencies if ok else normal_failures).append(time.monotonic() - t0)
            time.sleep(0.1)

    try:
        baseline = open_sockets(srv.proc.pid)
        drippers = [Dripper(srv.port) for _ in range(DRIPPERS)]
        # One that sends its head at once and then its body at 10 bytes/s.
        body_len = 100000
        slow_body = Dripper(srv.port, b"")
        slow_body.sock.sendall(b"POST /v1/cases HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                               b"Content-Length: %d\r\n\r\n" % body_len)
        slow_body.head = b"{" + b" " * (body_len - 1)
        # Two keep-alive connections after one prompt request each: one then
        # drips its next head (its deadline runs from that first byte), the
        # other stays idle, which is CONNECTION_TIMEOUT_S's business.
        kept = []
        for _ in range(2):
            k = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            k.sendall(HEAD)
            assert k.recv(65536).startswith(b"HTTP/1.1 200")
            kept.append(k)
        second = Dripper.__new__(Dripper)
        second.sock, second.head, second.sent, second.answer = kept[0], HEAD, 0, b""
        second.sock.setblocking(False)
        second.opened, second.closed_after = time.monotonic(), None
        drippers.append(second)
        normal = threading.Thread(target=normal_client, daemon=True)
        normal.start()
        t_end = time.monotonic() + HEAD_S + SLACK_S + 3
        while time.monotonic() < t_end and any(d.closed_after is None for d in drippers + [slow_body]):
            now = time.monotonic()
            for d in drippers:
                d.step(now)
            for _ in range(10):
                slow_body.step(now)
            time.sleep(1)
        stop.set()
        normal.join(10)
        kept[1].sendall(HEAD)
        assert kept[1].recv(65536).startswith(b"HTTP/1.1 200"), "an idle keep-alive connection was cut"
        kept[1].close()
        still_open = [d for d in drippers if d.closed_after is None]
        assert not still_open, f"{len(still_open)} of {len(drippers)} dripping clients still open after " \
                               f"{HEAD_S + SLACK_S + 3} s"
        late = sorted(d.closed_after for d in drippers if d.closed_after > HEAD_S + SLACK_S)
        assert not late, f"closed later than {HEAD_S} s + {SLACK_S} s slack: {late[:5]}"
        early = sorted(d.closed_after for d in drippers if d.closed_after < HEAD_S - 0.5)
        assert not early, f"closed before the deadline: {early[:5]}"
        no_408 = [d.answer[:40] for d in drippers if not d.answer.startswith(b"HTTP/1.1 408")]
        assert not no_408, f"{len(no_408)} closed without a 408: {no_408[:3]}"
        assert slow_body.closed_after is not None and slow_body.closed_after < HEAD_S + SLACK_S, \
            f"a body at 10 bytes/s was not cut in time ({slow_body.closed_after})"
        assert slow_body.answer.startswith(b"HTTP/1.1 408"), slow_body.answer[:60]
        assert not normal_failures, f"{len(normal_failures)} normal requests failed"
        assert normal_latencies and max(normal_latencies) < 1.0, \
            f"normal client slowed down: max {max(normal_latencies or [0]):.2f} s"
        # The slots are freed: the server holds the sockets it held before.
        wait_until(lambda: open_sockets(srv.proc.pid) <= baseline, 10,
                   lambda: f"server sockets back to {baseline} (now {open_sockets(srv.proc.pid)})")
        # And it still serves.
        assert srv.api.get("/healthz").status == 200
    finally:
        stop.set()
        rc = srv.stop()
    assert rc == 0 and not srv.sanitizer_report(), srv.sanitizer_report() or srv.output()[-2000:]
