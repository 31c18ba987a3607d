#!/usr/bin/env python3
"""Fails on time bombs: a literal date (YYYY-MM-DD, alone or in a date-time)
in the contract (api/) or the tests (tests/) that falls between today and 24
months from now. Such a date is compared with "now" by the server sooner or
later (a consultation must be in the future, a diagnosis in the past), and the
day it passes the example or the test stops being valid on every machine.

Write instead a date computed from now in the test, or one far in the future
(2099) where an example needs a literal. A line whose date the server never
compares with today may say so with the marker `not-compared-with-today` in a
comment (or in an `x-` key on the same line); it is then passed over.

Usage: scripts/check-dates.py [--today YYYY-MM-DD] [ROOT ...]
Prints one line per finding and exits 1 when there is any."""
import argparse
import datetime
import os
import re
import sys

DATE = re.compile(r"(?<![\d.])(20\d\d)-(\d\d)-(\d\d)(?![\d])")
MARKER = "not-compared-with-today"
SUFFIXES = (".yaml", ".yml", ".py", ".json", ".sh", ".md", ".c", ".h")
HORIZON_DAYS = 731  # 24 months


def in_window(day, today):
    return today <= day <= today + datetime.timedelta(days=HORIZON_DAYS)


def findings(roots, today):
    out = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in ("node_modules", "__pycache__", "corpus"))
            for name in sorted(files):
                if not name.endswith(SUFFIXES):
                    continue
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for n, line in enumerate(f, 1):
                        if MARKER in line:
                            continue
                        for m in DATE.finditer(line):
                            try:
                                day = datetime.date(*map(int, m.groups()))
                            except ValueError:
                                continue
                            if in_window(day, today):
                                out.append(f"{path}:{n}: {m.group(0)} is within 24 months of {today}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--today", type=datetime.date.fromisoformat, default=datetime.date.today())
    ap.add_argument("roots", nargs="*", default=["api", "tests"])
    args = ap.parse_args()
    found = findings(args.roots, args.today)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} literal dates expire within 24 months: compute them from now in the "
              f"test, or use a far-future date (2099); see scripts/check-dates.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
