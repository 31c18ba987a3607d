#!/usr/bin/python3
"""Renders bench/run.sh's results.jsonl as Markdown: the machine, the
settings, the results table, the targets of issue 7 with the measured
figures, and the exact commands. Usage: report.py RESULTS.jsonl > OUT.md"""
import json
import sys
from collections import defaultdict


def ms(us):
    return f"{us / 1000:.2f}" if us is not None else "-"


def main():
    recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    meta = next((r for r in recs if r["kind"] == "meta"), {})
    service = [r for r in recs if r["kind"] == "service"]
    limits = defaultdict(dict)  # scenario -> (conns, "conns"|"pool") -> record
    for r in recs:
        if r["kind"] == "limit":
            limits[r["scenario"]][(r["conns"], r.get("at", "conns"))] = r
    out = []
    w = out.append

    w(f"Run {meta.get('started', '?')}, git {meta.get('git', '?')}.")
    w("")
    w(f"- Machine: {meta.get('nproc', '?')} CPUs ({meta.get('cpu', '?')}), "
      f"{meta.get('mem_gib', '?')} GiB RAM, {meta.get('kernel', '?')}; load average at start "
      f"{meta.get('loadavg', '?')}. Service, PostgreSQL, wrk and pgbench share the machine.")
    w(f"- Server: release build, DB_POOL_SIZE={meta.get('pool', '?')}, "
      f"HTTP_THREADS={meta.get('threads', '?')}, LOG_LEVEL=info (one JSON line per request to a "
      f"file), RATE_LIMIT_PER_MINUTE={meta.get('rate_limit', '?')} per subject.")
    w(f"- PostgreSQL {meta.get('pg_version', '?')}: fsync={meta.get('fsync', '?')}, "
      f"synchronous_commit={meta.get('sync_commit', '?')}, {meta.get('pg_settings') or '?'}, "
      f"max_connections={meta.get('max_connections', '?')}; same settings for the service and "
      f"the limit.")
    w(f"- Each measurement: {meta.get('warmup', '?')} s warm-up, then {meta.get('duration', '?')} s "
      f"measured; wrk -t2 keep-alive, pgbench -j2 -M prepared.")
    su = [r for r in recs if r["kind"] == "startup"]
    if su:
        w(f"- Start-up to ready (exec to first 200 from /readyz, migrations applied): "
          f"{', '.join(f'{x:.0f} ms' for x in su[0]['ms'])}.")
    w("")
    w("| scenario | JWT | conns | req/s | p50 ms | p99 ms | p99.9 ms | errors | peak RSS MiB "
      "| limit req/s @conns | limit req/s @pool | limit p99 ms @conns | ratio |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = {}
    for r in service:
        lim = limits.get(r["scenario"], {})
        # (runs before the pool limit was measured per row recorded it once)
        at_c = lim.get((r["conns"], "conns"))
        at_p = lim.get((r["conns"], "pool")) or lim.get(("pool", "conns"))
        best = max([x["tps"] for x in (at_c, at_p) if x] or [0])
        ratio = r["rps"] / best if best else None
        ratios[(r["scenario"], r["alg"], r["conns"])] = (r, ratio, at_c)
        w(f"| {r['scenario']} | {r['alg']} | {r['conns']} | {r['rps']:.0f} | {ms(r['p50_us'])} | "
          f"{ms(r['p99_us'])} | {ms(r['p999_us'])} | {r['errors']} | {r['rss_peak_kib'] / 1024:.1f} | "
          f"{at_c['tps']:.0f} | " if at_c else
          f"| {r['scenario']} | {r['alg']} | {r['conns']} | {r['rps']:.0f} | {ms(r['p50_us'])} | "
          f"{ms(r['p99_us'])} | {ms(r['p999_us'])} | {r['errors']} | {r['rss_peak_kib'] / 1024:.1f} | - | ")
        out[-1] += (f"{at_p['tps']:.0f} | " if at_p else "- | ") + \
                   (f"{ms(at_c['p99_us'])} | " if at_c else "- | ") + \
                   (f"{ratio:.0%} |" if ratio is not None else "n/a |")
    ceil = {r["conns"]: r for r in recs if r["kind"] == "ceiling"}
    for c, r in sorted(ceil.items()):
        w(f"| nginx fixed JSON (ceiling) | - | {c} | {r['rps']:.0f} | {ms(r['p50_us'])} | "
          f"{ms(r['p99_us'])} | {ms(r['p999_us'])} | {r['errors']} | - | - | - | - | - |")
    w("")
    w("ratio = service req/s / the higher of the two limits, both measured right after the service "
      "row: pgbench at the wrk concurrency and at the service's pool size. Limits are PostgreSQL "
      "alone running the endpoint's statements (bench/pgbench/*.pgb).")
    w("")

    w("Targets (issue 7):")
    w("")

    def verdict(ok):
        return "met" if ok else "**NOT met**"

    for c in (16, 64, 512):
        x = ratios.get(("get_case", "HS256", c))
        if x and x[1] is not None:
            w(f"- GET /v1/cases/{{id}} at {c} conns: {x[1]:.0%} of the limit (target 70%): "
              f"{verdict(x[1] >= 0.70)}")
    x = ratios.get(("get_case", "HS256", 16))
    if x:
        w(f"- GET /v1/cases/{{id}} p99 at 16 conns: {ms(x[0]['p99_us'])} ms (target < 10 ms): "
          f"{verdict(x[0]['p99_us'] < 10000)}")
    x = ratios.get(("get_case", "HS256", 64))
    if x and x[2]:
        f = x[0]["p99_us"] / max(1, x[2]["p99_us"])
        w(f"- GET /v1/cases/{{id}} p99 at 64 conns: {ms(x[0]['p99_us'])} ms vs the limit's "
          f"{ms(x[2]['p99_us'])} ms = {f:.2f}x (target <= 1.5x): {verdict(f <= 1.5)}")
    for c in (16, 64, 512):
        x = ratios.get(("create_case", "HS256", c))
        if x and x[1] is not None:
            w(f"- POST /v1/cases at {c} conns: {x[1]:.0%} of the limit (target 70%): "
              f"{verdict(x[1] >= 0.70)}")
    at512 = [r for r in service if r["conns"] == 512]
    if at512:
        errs = sum(r["errors"] for r in at512)
        peak = max(r["rss_peak_kib"] for r in at512) / 1024
        w(f"- 512 keep-alive connections: {errs} errors over {len(at512)} scenarios "
          f"(target 0): {verdict(errs == 0)}; peak RSS {peak:.1f} MiB (target < 150): "
          f"{verdict(peak < 150)}")
    soak = [r for r in recs if r["kind"] == "soak"]
    for s in soak:
        growth = (s["rss_end_kib"] - s["rss_start_kib"]) / 1024
        w(f"- Soak ({s['scenario']}, {s['conns']} conns, {s['seconds']} s, {s['rps']:.0f} req/s, "
          f"{s['errors']} errors): RSS {s['rss_start_kib'] / 1024:.1f} MiB at start, "
          f"{s['rss_end_kib'] / 1024:.1f} MiB at end, peak {s['rss_peak_kib'] / 1024:.1f} MiB "
          f"(growth {growth:+.1f} MiB)")
        if s.get("rss_every_30s_kib"):
            w("  RSS every 30 s (MiB): " + ", ".join(f"{x / 1024:.1f}" for x in s["rss_every_30s_kib"]))
    if su:
        worst = max(su[0]["ms"])
        w(f"- Start-up to ready: worst {worst:.0f} ms (target < 1000 ms): {verdict(worst < 1000)}")
    for c in (16, 64, 512):
        # the HS256 run just before the RS256 one (bench/run.sh), else the main one
        hs = ratios.get(("get_case", "HS256-pair", c)) or ratios.get(("get_case", "HS256", c))
        rs = ratios.get(("get_case", "RS256", c))
        if hs and rs:
            f = rs[0]["rps"] / hs[0]["rps"]
            w(f"- RS256 vs HS256 on GET /v1/cases/{{id}} at {c} conns (back to back): "
              f"{rs[0]['rps']:.0f} vs {hs[0]['rps']:.0f} req/s = {f:.0%} (target >= 90%): "
              f"{verdict(f >= 0.90)}")
    for c in (16, 64, 512):
        h = ratios.get(("health", "-", c))
        if h and c in ceil:
            w(f"- /healthz at {c} conns: {h[0]['rps']:.0f} req/s = "
              f"{h[0]['rps'] / ceil[c]['rps']:.0%} of nginx's {ceil[c]['rps']:.0f} req/s")
    skipped = [r for r in recs if r["kind"] == "skipped"]
    if skipped:
        w("")
        w("Not run (route not on this build yet): " +
          ", ".join(f"{r['scenario']} ({r['route']})" for r in skipped) + ".")
    w("")
    w("Commands (as run by bench/run.sh; $DATA is the run's data folder):")
    w("")
    w("```")
    for c in meta.get("commands", []):
        w(c)
    w("```")
    print("\n".join(out))


if __name__ == "__main__":
    main()
