#!/usr/bin/env python3
"""Runs the integration tests against one shared server (plus any that tests
start themselves). Usage: tests/run.py [substring-filter ...]
Prints `ok name` / `FAIL name` per test and ends with `N passed, N failed`."""
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import harness  # noqa: E402


def main():
    filters = sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    # tests/test_*.py, then the security and fault suites (issue 8) as
    # packages: security.test_x, faults.test_y.
    for package in ("", "security", "faults"):
        folder = os.path.join(here, package)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.startswith("test_") and name.endswith(".py"):
                importlib.import_module((package + "." if package else "") + name[:-3])
    server = harness.Server().start()
    harness.shared_server = server
    passed = failed = 0
    for fn in harness.TESTS:
        full = f"{fn.__module__}.{fn.__name__}"
        if filters and not any(f in full for f in filters):
            continue
        t0 = time.time()
        try:
            fn()
            passed += 1
            print(f"ok {full} ({time.time() - t0:.2f}s)", flush=True)
        except harness.Skip as why:
            print(f"skip {full}: {why}", flush=True)
        except Exception:  # noqa: BLE001 - report every failure the same way
            failed += 1
            print(f"FAIL {full}\n" + traceback.format_exc(), flush=True)
    rc = server.stop()
    report = server.sanitizer_report()
    if rc != 0 or report:
        failed += 1
        print(f"FAIL shared server exit: rc={rc}\n{report or server.output()[-3000:]}", flush=True)
    else:
        passed += 1
        print("ok shared server exited 0 with no sanitizer report", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
