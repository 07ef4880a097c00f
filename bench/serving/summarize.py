#!/usr/bin/env python3
"""summarize.py OUT_DIR: one table of every *.result line of a bench/serving/run.sh run, plus our ratios and goals."""
import glob, os, sys

out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "**", "*.result"), recursive=True)):
    with open(path) as f:
        line = f.read().strip()
    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    rows.append(kv)

def get(peer, mode, key="rps"):
    vals = [float(r[key]) for r in rows if r.get("peer") == peer and r.get("mode") == mode and key in r]
    return vals[-1] if vals else None

def best(peers, mode):
    vals = [(get(p, mode), p) for p in peers if get(p, mode) is not None]
    return max(vals) if vals else (None, None)

print("# Serving load test\n")
env = glob.glob(os.path.join(out, "peers", "environment.txt"))
if env:
    print("```\n" + open(env[0]).read().strip() + "\n```\n")
print("| server | rows/req | requests/s | rows/s | p50 ms | p99 ms | errors | peak RSS MiB | host busy % | other procs % |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    rps = float(r["rps"]); n = int(r["rows_per_request"])
    print(f"| {r['peer']} | {n} | {rps:,.0f} | {rps * n:,.0f} | {float(r['p50_ms']):.2f} | {float(r['p99_ms']):.2f} | {r['errors']} "
          f"| {float(r.get('rss_peak_kb', 0)) / 1024:.0f} | {r.get('host_cpu_busy_pct', '?')} | {r.get('other_cpu_pct', '?')} |")

print("\n## Serving.Api against the peers and the goals\n")
print("| measure | Serving.Api | reference | ratio | goal | met |")
print("|---|---|---|---|---|---|")
ours1, oursb = get("serving-api", "single"), get("serving-api", "batch")
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
