#!/usr/bin/python3
"""Starts the server and measures start-up to ready: from just before exec
to the first 200 from GET /readyz (database reachable, statements prepared),
polling every millisecond. Leaves the server running; prints `PID MS`.
Usage: startready.py PORT LOGFILE -- server-binary [args]"""
import http.client
import os
import subprocess
import sys
import time


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    out = open(log, "ab")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
    while time.monotonic() - t0 < 30:
        if proc.poll() is not None:
            sys.exit(f"startready: server exited with {proc.returncode}; see {log}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                print(proc.pid, f"{(time.monotonic() - t0) * 1000:.1f}")
                return
        except OSError:
            pass
        time.sleep(0.001)
    proc.kill()
    sys.exit("startready: not ready after 30 s")


if __name__ == "__main__":
    main()
