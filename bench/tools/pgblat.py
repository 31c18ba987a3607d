#!/usr/bin/python3
"""Throughput and latency percentiles from pgbench per-transaction logs (-l),
counting only transactions that finished in the last WINDOW seconds of the
run: pgbench has no warm-up, so the run is warm-up + measurement on the same
connections (statements prepared, plans settled) and the first part is
dropped. Prints JSON {"tps", "transactions", "p50_us", "p99_us", "p999_us",
"max_us"}. Usage: pgblat.py WINDOW LOG..."""
import json
import sys


def pct(sorted_values, p):
    if not sorted_values:
        return 0
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


window = float(sys.argv[1])
rows = []
for path in sys.argv[2:]:
    with open(path) as f:
        for line in f:
            # client_id transaction_no time script_no time_epoch time_us
            p = line.split()
            if len(p) >= 6 and p[2].isdigit():
                rows.append((int(p[4]) + int(p[5]) / 1e6, int(p[2])))
end = max(t for t, _ in rows) if rows else 0
lat = sorted(l for t, l in rows if t >= end - window)
print(json.dumps({"tps": round(len(lat) / window, 1), "transactions": len(lat), "p50_us": pct(lat, 50),
                  "p99_us": pct(lat, 99), "p999_us": pct(lat, 99.9), "max_us": lat[-1] if lat else 0}))
