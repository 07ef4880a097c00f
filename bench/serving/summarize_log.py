#!/usr/bin/env python3
"""summarize_log.py OUT_DIR: the table of a bench/serving/prediction-log.sh run (off-N / on-N runs), the on/off
requests/s ratio, the same ratio from server CPU per request (less sensitive to other work on the machine), and
what the log did in each run (from its /metrics)."""
import glob, json, os, sys

out = sys.argv[1]
def result(path):
    line = open(path).read().strip()
    return dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
runs = {os.path.basename(p)[:-7]: result(p) for p in sorted(glob.glob(os.path.join(out, "*.result")))}
def cpu_us(r):
    return 1e6 * float(r["server_cpu_s"]) / float(r["requests"])
print("| run | requests/s | p50 ms | p99 ms | errors | server CPU us/request | other procs % |")
print("|---|---|---|---|---|---|---|")
for name, r in runs.items():
    print(f"| {name} | {float(r['rps']):,.0f} | {float(r['p50_ms']):.2f} | {float(r['p99_ms']):.2f} | {r['errors']} "
          f"| {cpu_us(r):.1f} | {r.get('other_cpu_pct', '?')} |")
def mean(xs):
    return sum(xs) / len(xs)
off = {n: r for n, r in runs.items() if n.startswith("off")}
on = {n: r for n, r in runs.items() if n.startswith("on")}
ratio = mean([float(r["rps"]) for r in on.values()]) / mean([float(r["rps"]) for r in off.values()])
pairs = [float(on[f"on-{i}"]["rps"]) / float(off[f"off-{i}"]["rps"]) for i in range(1, len(on) + 1) if f"on-{i}" in on and f"off-{i}" in off]
cpu_ratio = mean([cpu_us(r) for r in off.values()]) / mean([cpu_us(r) for r in on.values()])
print(f"\nlogging at 100% / off, single row requests/s: {ratio:.3f}x (per round: {', '.join(f'{p:.3f}' for p in pairs)}; goal >= 0.85x: {'met' if ratio >= 0.85 else 'NOT met'})")
print(f"server CPU per request, off / on: {cpu_ratio:.3f}x")
sink_path = os.path.join(out, "sink.json")
sink = json.load(open(sink_path)) if os.path.exists(sink_path) else {"files": 0, "bytes": 0}
print(f"sink: {sink['files']} Parquet files, {sink['bytes'] / 1e6:.1f} MB")
for name in runs:
    path = os.path.join(out, f"{name}.metrics.txt")
    if not os.path.exists(path):
        continue
    m = {}
    for line in open(path):
        if line.startswith("mlops_serving_prediction_log_"):
            parts = line.split()
            m[parts[0]] = float(parts[1])
    def total(prefix, must=""):
        return sum(v for k, v in m.items() if k.startswith(prefix) and must in k)
    sampled = total("mlops_serving_prediction_log_sampled_total")
    stored = total("mlops_serving_prediction_log_uploaded_total", 'kind="predictions"')
    dropped = total("mlops_serving_prediction_log_dropped_total")
    print(f"{name}: rows sampled {sampled:,.0f}, stored by the end of the load {stored:,.0f} (the rest at shutdown), dropped {dropped:,.0f}")
