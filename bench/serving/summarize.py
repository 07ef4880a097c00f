#!/usr/bin/env python3
"""summarize.py OUT_DIR: one table of every *.result line of a bench/serving/run.sh run, plus our ratios and goals.
With several rounds (ROUNDS=N): a ratio to the ceiling is the median of the rounds' ratios (each round's pair was
measured minutes apart), other figures the median over the rounds, peak RSS the highest round."""
import glob, os, statistics, sys

out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "**", "*.result"), recursive=True)):
    with open(path) as f:
        line = f.read().strip()
    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    rows.append(kv)

def cpu_us(r):
    """The server's CPU time per row served: steadier than requests/s when other work shares the cores."""
    if "server_cpu_s" not in r or float(r.get("requests", 0)) == 0:
        return "?"
    return f"{1e6 * float(r['server_cpu_s']) / (float(r['requests']) * int(r['rows_per_request'])):.1f}"

def values(peer, mode, key="rps", round=None):
    """One figure of one server and mode, from every round or from one."""
    return [float(r[key]) for r in rows if r.get("peer") == peer and r.get("mode") == mode and key in r
            and (round is None or int(r.get("round", 1)) == round)]

def get(peer, mode, key="rps"):
    vals = values(peer, mode, key)
    return statistics.median(vals) if vals else None

rounds = sorted({int(r.get("round", 1)) for r in rows})

def best(peers, mode):
    vals = [(get(p, mode), p) for p in peers if get(p, mode) is not None]
    return max(vals) if vals else (None, None)

print("# Serving load test\n")
env = sorted(glob.glob(os.path.join(out, "**", "peers", "environment.txt"), recursive=True))
if env:
    print("```\n" + open(env[0]).read().strip() + "\n```\n")
if len(rounds) > 1:
    print(f"{len(rounds)} rounds, each the peers then every build; the ratios below use each figure's median over the rounds.\n")
print("| round | server | rows/req | requests/s | rows/s | p50 ms | p99 ms | errors | peak RSS MiB | server CPU us/row | host busy % | other procs % |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in sorted(rows, key=lambda r: int(r.get("round", 1))):
    rps = float(r["rps"]); n = int(r["rows_per_request"])
    print(f"| {r.get('round', 1)} | {r['peer']} | {n} | {rps:,.0f} | {rps * n:,.0f} | {float(r['p50_ms']):.2f} | {float(r['p99_ms']):.2f} | {r['errors']} "
          f"| {float(r.get('rss_peak_kb', 0)) / 1024:.0f} | {cpu_us(r)} | {r.get('host_cpu_busy_pct', '?')} | {r.get('other_cpu_pct', '?')} |")

ours1, oursb = get("serving-api", "single"), get("serving-api", "batch")
if ours1 is not None or oursb is not None:  # a run of the default build (label serving-api)
    print("\n## Serving.Api against the peers and the goals\n")
    print("| measure | Serving.Api | reference | ratio | goal | met |")
    print("|---|---|---|---|---|---|")
    def ratio_row(label, ours, ref, ref_name, goal):
        if ours is None or ref is None:
            print(f"| {label} | {ours} | {ref_name}: not run | | {goal}x | ? |"); return
        r = ours / ref
        print(f"| {label} | {ours:,.0f} req/s | {ref_name} {ref:,.0f} req/s | {r:.2f}x | >= {goal}x | {'yes' if r >= goal else 'NO'} |")
    flask, flask_name = best(["flask-sync", "flask-gthread"], "single")
    fast, fast_name = best(["fastapi", "fastapi-nodelay"], "single")
    ratio_row("single row vs flask-xgb (best config)", ours1, flask, flask_name, 10)
    ratio_row("single row vs fastapi-xgb (best config)", ours1, fast, fast_name, 5)
    ratio_row("single row vs kestrel ceiling", ours1, get("kestrel", "single"), "kestrel", 0.6)
    ratio_row("100-row batch vs kestrel ceiling", oursb, get("kestrel", "batch"), "kestrel", 0.6)
    p99 = get("serving-api", "single", "p99_ms")
    if p99 is not None:
        print(f"| p99 single row, 32 connections | {p99:.2f} ms | | | <= 5 ms | {'yes' if p99 <= 5 else 'NO'} |")
    if oursb is not None:
        print(f"| rows/s, 100-row batches | {oursb * 100:,.0f} | | | >= 200,000 | {'yes' if oursb * 100 >= 200000 else 'NO'} |")

# Issue 13's goals against the Kestrel ceiling of this same run, for every Serving.Api build measured in it.
PEER_IDS = {"flask-sync", "flask-gthread", "fastapi", "fastapi-nodelay", "kestrel"}
labels = list(dict.fromkeys(r["peer"] for r in rows if r.get("peer") not in PEER_IDS))
k1, kb, kp99 = get("kestrel", "single"), get("kestrel", "batch"), get("kestrel", "single", "p99_ms")
if labels and k1 is not None:
    print("\n## Against the Kestrel ceiling of this run (issue 13 goals)\n")
    print("| build | single / ceiling (>= 0.8x) | p99 / ceiling's (<= 1.5x) | batch rows/s / ceiling (>= 0.6x) | peak RSS MiB, single / batch (<= 120) | CPU per request / ceiling's (medians), single / batch |")
    print("|---|---|---|---|---|---|")
    for label in labels:
        s1, sb, p99 = get(label, "single"), get(label, "batch"), get(label, "single", "p99_ms")
        # Memory is a limit, not a speed: the highest peak of any round.
        rss1, rssb = (max(values(label, m, "rss_peak_kb"), default=None) for m in ("single", "batch"))
        def cell(v, ref, goal, higher, mode="single", key="rps"):
            if v is None or ref is None:
                return "?"
            # Each round's ratio, then their median: pairs measured minutes apart, not medians of different minutes.
            per_round = [o / k for rd in rounds for o in values(label, mode, key, rd) for k in values("kestrel", mode, key, rd)]
            r = statistics.median(per_round) if per_round else v / ref
            return f"{r:.2f}x ({'met' if (r >= goal if higher else r <= goal) else 'NOT met'})"
        rss = "/".join(f"{x / 1024:.0f}" for x in (rss1, rssb) if x is not None)
        ok = all(x is not None and x / 1024 <= 120 for x in (rss1, rssb))
        def cpu(mode):
            ours = [cpu_us(r) for r in rows if r.get("peer") == label and r.get("mode") == mode]
            ref = [cpu_us(r) for r in rows if r.get("peer") == "kestrel" and r.get("mode") == mode]
            if not ours or not ref or "?" in ours + ref:
                return "?"
            return f"{statistics.median(map(float, ours)) / statistics.median(map(float, ref)):.2f}x"
        print(f"| {label} | {cell(s1, k1, 0.8, True)} | {cell(p99, kp99, 1.5, False, key='p99_ms')} | {cell(sb, kb, 0.6, True, mode='batch')} | {rss} ({'met' if ok else 'NOT met'}) | {cpu('single')} / {cpu('batch')} |")
