#!/usr/bin/env python3
"""summarize_log.py OUT_DIR: the table of a bench/serving/prediction-log.sh run (off-N / on-N starts, each measured
"first" and, if present, "steady" as off-N-steady / on-N-steady), the on/off requests/s ratio of each phase, the
same ratio from server CPU per request (less sensitive to other work on the machine), the JIT's CPU seconds per
phase, and what the log did in each run (from its /metrics)."""
import glob, json, os, sys

out = sys.argv[1]
def result(path):
    line = open(path).read().strip()
    return dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
runs = {os.path.basename(p)[:-7]: result(p) for p in sorted(glob.glob(os.path.join(out, "*.result")))}
def cpu_us(r):
    return 1e6 * float(r["server_cpu_s"]) / float(r["requests"])
def mean(xs):
    return sum(xs) / len(xs)
def phase_of(name):
    return "steady" if name.endswith("-steady") else "first"
def start_of(name):
    return name[:-len("-steady")] if name.endswith("-steady") else name

# JIT CPU seconds at three points of each start (before "first", between, after "steady").
jit = {}
for path in glob.glob(os.path.join(out, "*.jit")):
    marks = [float(x) for x in open(path).read().split()]
    name = os.path.basename(path)[:-4]
    if len(marks) >= 2: jit[name] = marks[1] - marks[0]
    if len(marks) >= 3: jit[name + "-steady"] = marks[2] - marks[1]

print("| run | phase | requests/s | p50 ms | p99 ms | errors | server CPU us/request | JIT CPU s (warm-up + measured) | peak RSS MiB | other procs % |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name, r in sorted(runs.items(), key=lambda kv: (phase_of(kv[0]), kv[0])):
    j = f"{jit[name]:.2f}" if name in jit else "?"
    rss = f"{int(r['rss_peak_kb']) / 1024:.0f}" if "rss_peak_kb" in r else "?"
    print(f"| {start_of(name)} | {phase_of(name)} | {float(r['rps']):,.0f} | {float(r['p50_ms']):.2f} | {float(r['p99_ms']):.2f} | {r['errors']} "
          f"| {cpu_us(r):.1f} | {j} | {rss} | {r.get('other_cpu_pct', '?')} |")

print()
for phase in ("first", "steady"):
    off = {start_of(n): r for n, r in runs.items() if n.startswith("off") and phase_of(n) == phase}
    on = {start_of(n): r for n, r in runs.items() if n.startswith("on") and phase_of(n) == phase}
    if not off or not on:
        continue
    ratio = mean([float(r["rps"]) for r in on.values()]) / mean([float(r["rps"]) for r in off.values()])
    pairs = [float(on[f"on-{i}"]["rps"]) / float(off[f"off-{i}"]["rps"]) for i in range(1, len(on) + 1) if f"on-{i}" in on and f"off-{i}" in off]
    cpu_off, cpu_on = mean([cpu_us(r) for r in off.values()]), mean([cpu_us(r) for r in on.values()])
    cpu_ratio, extra_us = cpu_off / cpu_on, cpu_on - cpu_off
    suffix = "-steady" if phase == "steady" else ""
    jit_off = [jit[n + suffix] for n in off if n + suffix in jit]
    jit_on = [jit[n + suffix] for n in on if n + suffix in jit]
    jit_text = f"; JIT CPU s off / on: {mean(jit_off):.2f} / {mean(jit_on):.2f}" if jit_off and jit_on else ""
    print(f"{phase}: logging at 100% / off, single row requests/s: {ratio:.3f}x (per round: {', '.join(f'{p:.3f}' for p in pairs)}; "
          f"goal >= 0.85x: {'met' if ratio >= 0.85 else 'NOT met'}); server CPU per request off / on: {cpu_ratio:.3f}x "
          f"(+{extra_us:.1f} us a request){jit_text}")

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
