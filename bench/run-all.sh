#!/usr/bin/env bash
# bench/run-all.sh: the whole comparison against the stacks a user would pick instead, in ONE run:
#   1. training: our trainer vs XGBoost (../shared/bench/peers/train.py) on the same Ames split (bench/training/run.sh)
#   2. serving: Serving.Api vs flask-xgb, fastapi-xgb and the kestrel ceiling under wrk (bench/serving/run.sh)
# then one table of ratios. Needs root on Debian 12 (the peers' setup.sh apt-installs their packages) and
# ../shared/bench/peers beside the repository. Takes about 15 minutes; run it on a quiet machine.
# Environment passes through to both scripts (PEERS, SKIP_SETUP, DURATION, CONNS, ...).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"

echo "== 1/2 training (bench/training/run.sh)"
bash "$HERE/training/run.sh" | tee "$OUT/training.txt"
echo "== 2/2 serving (bench/serving/run.sh)"
OUT_DIR="$OUT/serving" bash "$HERE/serving/run.sh" | tee "$OUT/serving.txt"

{
  echo "# MlOps vs the Python peers: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores"
  echo
  echo "## Training (same Ames split, fit time and test RMSE; ratio = ours / XGBoost)"
  echo
  echo '```'
  sed -n '/^== result/,$p' "$OUT/training.txt"
  echo '```'
  echo
  sed -n '/^## Serving.Api against/,$p' "$OUT/serving/results.md"
} | tee "$OUT/summary.md"
echo "summary: $OUT/summary.md"
