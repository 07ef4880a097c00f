#!/usr/bin/env bash
# Training benchmark, one run: XGBoost (../shared/bench/peers/train.py, hist) and our LightGBM trainer on the
# SAME Ames train/test split; prints both training times, both RMSEs and our/XGBoost ratios.
#
#   bash bench/training/run.sh                      # sample spec samples/jobs/ames_housing.regression.json
#   SPEC=path/to/spec.json THREADS=2 bash bench/training/run.sh
#
# Needs Debian's python3-xgboost python3-sklearn python3-pandas (../shared/bench/peers/setup.sh installs them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEERS="${PEERS:-$ROOT/../shared/bench/peers}"
CSV="${CSV:-$ROOT/samples/datasets/ames_housing.csv}"
SPEC="${SPEC:-$ROOT/samples/jobs/ames_housing.regression.json}"
THREADS="${THREADS:-1}"
PY=/usr/bin/python3
OUT="$(mktemp -d /tmp/training-bench.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT

$PY -c 'import xgboost, sklearn, pandas' 2>/dev/null || {
  echo "missing python3-xgboost/python3-sklearn/python3-pandas: run $PEERS/setup.sh (or apt-get install them)" >&2; exit 1; }

echo "== split (same rows for both)"
$PY "$ROOT/bench/training/export_split.py" "$CSV" Sale_Price "$OUT"

echo "== build ours (Release)"
dotnet build -c Release "$ROOT/bench/training/TrainingBench" --nologo -v quiet >/dev/null

echo "== XGBoost: $PEERS/train.py"
$PY "$PEERS/train.py" "$CSV" Sale_Price --out "$OUT/xgb" | sed 's/^/   /'

echo "== ours: LightGBM via ML.NET, spec $(basename "$SPEC"), $THREADS thread(s)"
dotnet "$ROOT/bench/training/TrainingBench/bin/Release/net10.0/MlOps.TrainingBench.dll" \
  "$SPEC" "$OUT/train.csv" "$OUT/test.csv" "$THREADS" > "$OUT/ours.json"
sed 's/^/   /' "$OUT/ours.json"

$PY - "$OUT/xgb/metrics.json" "$OUT/ours.json" <<'PY'
import json, sys
x = json.load(open(sys.argv[1])); o = json.load(open(sys.argv[2]))
assert (x["train_rows"], x["test_rows"]) == (o["train_rows"], o["test_rows"]), "splits differ"
print("== result (same split: %d train / %d test rows)" % (o["train_rows"], o["test_rows"]))
print("   %-34s %10s %10s %8s" % ("", "XGBoost", "ours", "ratio"))
print("   %-34s %10.3f %10.3f %8.2f" % ("train seconds (fit, warm)", x["train_seconds"], o["fit_seconds"], o["fit_seconds"] / x["train_seconds"]))
print("   %-34s %10.3f %10.3f %8.2f" % ("train seconds (fit, first in proc)", x["train_seconds"], o["fit_seconds_cold"], o["fit_seconds_cold"] / x["train_seconds"]))
print("   %-34s %10s %10.3f" % ("our whole pipeline (fit+eval+bundle)", "", o["pipeline_seconds"]))
print("   %-34s %10.0f %10.0f %8.3f" % ("test RMSE", x["rmse"], o["rmse"], o["rmse"] / x["rmse"]))
print("   %-34s %10.4f %10.4f" % ("test R2", x["r2"], o["r2"]))
print("   goal: time <= 1x, RMSE <= 1.05x -> time %s, RMSE %s" % (
    "met" if o["fit_seconds"] <= x["train_seconds"] else "NOT met",
    "met" if o["rmse"] <= 1.05 * x["rmse"] else "NOT met"))
PY
