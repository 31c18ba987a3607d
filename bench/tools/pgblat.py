#!/usr/bin/python3
"""Latency percentiles from pgbench per-transaction logs (-l): prints JSON
{"transactions", "p50_us", "p99_us", "p999_us", "max_us"}. Usage: pgblat.py LOG..."""
import json
import sys


def pct(sorted_values, p):
    if not sorted_values:
        return 0
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


lat = []
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                lat.append(int(parts[2]))
lat.sort()
print(json.dumps({"transactions": len(lat), "p50_us": pct(lat, 50), "p99_us": pct(lat, 99),
                  "p999_us": pct(lat, 99.9), "max_us": lat[-1] if lat else 0}))
