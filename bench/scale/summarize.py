#!/usr/bin/python3
"""Prints run.sh's combined markdown table from the raw outputs of one run.

Usage: summarize.py OUT_DIR ROWS...
"""
import json
import os
import sys


def time_report(path):
    """Peak RSS (MB) and wall seconds from a /usr/bin/time -v report."""
    rss = wall = None
    for line in open(path):
        line = line.strip()
        if line.startswith("Maximum resident set size (kbytes):"):
            rss = int(line.rsplit(":", 1)[1]) / 1024
        elif line.startswith("Elapsed (wall clock) time"):
            parts = line.rsplit(" ", 1)[1].split(":")
            wall = sum(float(p) * 60 ** i for i, p in enumerate(reversed(parts)))
    return rss, wall


def load(out, name):
    path = os.path.join(out, "raw", name + ".json")
    if not os.path.exists(path):
        return None
    result = json.load(open(path))
    result["rss_mb"], result["wall_s"] = time_report(os.path.join(out, "raw", name + ".time"))
    return result


def cpu(result):
    """The fit's CPU seconds as text ('-' for results from before run.sh recorded them)."""
    return f"{result['fit_cpu_seconds']:.2f}" if result.get("fit_cpu_seconds") is not None else "-"


def cpu_ratio(ours, xgb):
    if ours.get("fit_cpu_seconds") is None or xgb.get("fit_cpu_seconds") is None:
        return None
    return ours["fit_cpu_seconds"] / xgb["fit_cpu_seconds"]


def main():
    out, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
    print(open(os.path.join(out, "machine.txt")).read().rstrip())
    print()
    print("| rows (train/test) | CSV MB | upload+profile s | registry RSS MB before -> peak | ours fit s | XGBoost fit s | fit ratio"
          " | ours fit CPU s | XGBoost fit CPU s | CPU ratio"
          " | ours peak RSS MB | XGBoost peak RSS MB | RSS ratio | ours AUC | XGBoost AUC | ours wall s | XGBoost wall s | load avg before/after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rows in sizes:
        up = json.load(open(os.path.join(out, "raw", f"upload-{rows}.stats.json")))
        ours, xgb = load(out, f"ours-{rows}"), load(out, f"xgb-{rows}")
        loads = " / ".join(l.split(":", 1)[1].split()[0] for l in open(os.path.join(out, "raw", f"{rows}.load")))
        print(f"| {rows:,} ({ours['train_rows']:,}/{ours['test_rows']:,}) | {up['bytes'] / 1e6:.1f} | {up['seconds']:.2f}"
              f" | {up['rss_before_kb'] / 1024:.0f} -> {up['peak_kb'] / 1024:.0f}"
              f" | {ours['fit_seconds']:.2f} | {xgb['fit_seconds']:.2f} | {ours['fit_seconds'] / xgb['fit_seconds']:.2f}"
              f" | {cpu(ours)} | {cpu(xgb)} | {f'{r:.2f}' if (r := cpu_ratio(ours, xgb)) is not None else '-'}"
              f" | {ours['rss_mb']:.0f} | {xgb['rss_mb']:.0f} | {ours['rss_mb'] / xgb['rss_mb']:.2f}"
              f" | {ours['auc']:.4f} | {xgb['auc']:.4f} | {ours['wall_s']:.1f} | {xgb['wall_s']:.1f} | {loads} |")
    largest = max(sizes)
    ours, xgb = load(out, f"ours-{largest}"), load(out, f"xgb-{largest}")
    rss_ratio, fit_ratio = ours["rss_mb"] / xgb["rss_mb"], ours["fit_seconds"] / xgb["fit_seconds"]
    print()
    print(f"goal at {largest:,} rows: peak RSS <= 3x XGBoost's ({rss_ratio:.2f}x: {'met' if rss_ratio <= 3 else 'NOT met'}),"
          f" fit time <= 1x ({fit_ratio:.2f}x: {'met' if fit_ratio <= 1 else 'NOT met'}"
          + (f"; fit CPU time {r:.2f}x" if (r := cpu_ratio(ours, xgb)) is not None else "") + ")")
    print()
    print("ours: load = spool + hash + typed columns; fit = LightGBM (dataset construction + boosting); pipeline = fit +"
          " evaluation + learning curve + importance (the drift baseline and the bundle with its tree covers come after, in the wall time). Fit CPU s: the process's CPU time over the fit (all"
          " threads), which the machine's load stretches far less than the wall seconds. Peak RSS and wall are whole-process (/usr/bin/time -v).")
    print()
    print("| rows | ours load s | ours pipeline s | XGBoost load s | model sha256 (ours) |")
    print("|---|---|---|---|---|")
    for rows in sizes:
        ours, xgb = load(out, f"ours-{rows}"), load(out, f"xgb-{rows}")
        print(f"| {rows:,} | {ours['load_seconds']:.2f} | {ours['pipeline_seconds']:.2f} | {xgb['load_seconds']:.2f} | {ours['model_sha256'][:16]} |")

    if load(out, f"baseline-{sizes[0]}") is not None:
        print()
        print("Before/after, same run: our trainer built from the BASELINE commit (whole CSV as a string per cell, encoded rows"
              " materialised) against this commit.")
        print()
        print("| rows | before fit s | after fit s | before fit CPU s | after fit CPU s | before peak RSS MB | after peak RSS MB"
              " | before wall s | after wall s | same model bytes |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for rows in sizes:
            before, after = load(out, f"baseline-{rows}"), load(out, f"ours-{rows}")
            print(f"| {rows:,} | {before['fit_seconds']:.2f} | {after['fit_seconds']:.2f} | {cpu(before)} | {cpu(after)} | {before['rss_mb']:.0f} | {after['rss_mb']:.0f}"
                  f" | {before['wall_s']:.1f} | {after['wall_s']:.1f} | {'yes' if before['model_sha256'] == after['model_sha256'] else 'NO'} |")

    # registry.sh / serving.sh, when run.sh ran them: their own markdown, as they printed it.
    for name in sorted(os.listdir(out)):
        table = os.path.join(out, name, "table.md")
        if (name.startswith("registry-") or name == "serving") and os.path.exists(table):
            print()
            print(f"## {name.replace('-', '.sh ', 1) if name.startswith('registry') else 'serving.sh'}")
            print()
            print(open(table).read().rstrip())

if __name__ == "__main__":
    main()
