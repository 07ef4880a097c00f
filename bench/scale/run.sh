#!/usr/bin/env bash
# Scale benchmark, one run: for each size, generate credit-scoring-shaped rows (generate.py, deterministic), upload
# them to a real registry (PUT /api/v1/datasets/{name}: stored + profiled) timing it and its peak RSS, then train
# our worker's trainer (ScaleBench) and XGBoost hist (xgb_fit.py) on the same split with the same thread count,
# each in its own process under /usr/bin/time -v (peak RSS, wall); then registry.sh / serving.sh when present
# (PARTS="registry serving" by default; PARTS= skips them).
# Writes bench/scale/results/<UTC timestamp>/results.md (one combined table) and the raw outputs beside it.
#
#   bash bench/scale/run.sh                         # 3k, 300k and 3M rows, 1 thread each side
#   SIZES="3000 300000" THREADS=1 bash bench/scale/run.sh
#   BASELINE=be59429 bash bench/scale/run.sh        # also our trainer as built from that commit (before/after)
#
# Needs Debian's python3-xgboost python3-sklearn python3-pandas (../shared/bench/peers/setup.sh), PostgreSQL and
# node (scripts/install-prerequisites.sh), the .NET 10 SDK. Generated data goes to $DATA_DIR (never the repo).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/scale"
cd "$ROOT"
SIZES="${SIZES:-3000 300000 3000000}"
THREADS="${THREADS:-1}"
SPEC="${SPEC:-$HERE/spec.json}"
DATA_DIR="${DATA_DIR:-/tmp/mlops-scale-data}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${OUT:-$HERE/results/$STAMP}"
PY=/usr/bin/python3
export SVC_ROOT="${SVC_ROOT:-/tmp/svc-bench-scale-$$}"
BUILD="$SVC_ROOT/build"
REG_PID=""
cleanup() {
  if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null || true; wait "$REG_PID" 2>/dev/null || true; fi
  bash scripts/testinfra/services.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

$PY -c 'import xgboost, sklearn, pandas' 2>/dev/null || {
  echo "missing python3-xgboost/python3-sklearn/python3-pandas: run ../shared/bench/peers/setup.sh" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "missing /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$OUT/raw" "$DATA_DIR"
ITERATIONS=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["trainer"]["numberOfIterations"])' "$SPEC")

echo "== build (Release)"
dotnet build Registry.Api -c Release --nologo -v q -o "$BUILD/api" >/dev/null
dotnet build "$HERE/ScaleBench" -c Release --nologo -v q -o "$BUILD/ours" >/dev/null
if [ -n "${BASELINE:-}" ] && grep -q '"maximumTreeDepth"' "$SPEC" && ! git merge-base --is-ancestor 8720c34 "$BASELINE"; then
  # An older worker reads the spec leniently: it would drop the depth bound and grow other trees than ours.
  echo "BASELINE $BASELINE predates trainer.maximumTreeDepth (8720c34) and would ignore it: use a SPEC without it" >&2
  exit 2
fi
if [ -n "${BASELINE:-}" ]; then
  # The baseline commit's worker with this ScaleBench (its legacy branch), built apart: no worktree is touched.
  mkdir -p "$BUILD/baseline-src"
  git archive "$BASELINE" | tar -x -C "$BUILD/baseline-src"
  rm -rf "$BUILD/baseline-src/bench/scale" && mkdir -p "$BUILD/baseline-src/bench/scale"
  cp -r "$HERE/ScaleBench" "$BUILD/baseline-src/bench/scale/" && rm -rf "$BUILD/baseline-src/bench/scale/ScaleBench/bin" "$BUILD/baseline-src/bench/scale/ScaleBench/obj"
  dotnet build "$BUILD/baseline-src/bench/scale/ScaleBench" -c Release --nologo -v q -p:LegacyDataPath=true -o "$BUILD/baseline" >/dev/null
fi

echo "== registry (PostgreSQL + S3 + Registry.Api, Release)"
eval "$(bash scripts/testinfra/services.sh start)"
PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
KEY="bench-scale-$$"
ConnectionStrings__registrydb="$PG_CS" \
ConnectionStrings__minio="Endpoint=http://$S3_ENDPOINT;AccessKey=$S3_ACCESS_KEY;SecretKey=$S3_SECRET_KEY" \
Auth__Keys__Trainer="$KEY" Auth__Keys__Admin="admin-$KEY" Auth__Keys__Reader="reader-$KEY" \
ASPNETCORE_URLS="http://127.0.0.1:$PORT" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  ASPNETCORE_CONTENTROOT="$BUILD/api" dotnet "$BUILD/api/MlOps.Registry.Api.dll" >"$OUT/raw/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { cat "$OUT/raw/registry.log"; exit 1; }

kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
timed() { # timed NAME CMD...: /usr/bin/time -v around CMD; stdout to raw/NAME.json, the time report to raw/NAME.time
  local name=$1; shift
  /usr/bin/time -v -o "$OUT/raw/$name.time" "$@" >"$OUT/raw/$name.json"
}

{
  echo "machine: $(nproc) cores, $(free -m | awk '/Mem:/{print $2}') MB RAM, $(uname -r); dotnet $(dotnet --version); xgboost $($PY -c 'import xgboost; print(xgboost.__version__)')"
  echo "command: SIZES=\"$SIZES\" THREADS=$THREADS${BASELINE:+ BASELINE=$BASELINE} bash bench/scale/run.sh   (commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/scale/results' || echo ', with uncommitted changes'))"
  echo "spec: $(basename "$SPEC") ($ITERATIONS iterations; XGBoost the same count, max_depth 6), $THREADS thread(s) on both sides"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

for rows in $SIZES; do
  csv="$DATA_DIR/credit_scale_$rows.csv"
  echo "== $rows rows"
  [ -f "$csv" ] || $PY "$HERE/generate.py" "$rows" "$csv"
  echo "   load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/raw/$rows.load"

  # Upload + profile: one PUT; the registry's peak RSS over it (VmHWM reset first: clear_refs 5).
  echo 5 > "/proc/$REG_PID/clear_refs"
  rss_before=$(kb "$REG_PID" VmRSS)
  start=$(date +%s.%N)
  code=$(curl -s -o "$OUT/raw/upload-$rows.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: text/csv' --data-binary "@$csv" "http://127.0.0.1:$PORT/api/v1/datasets/credit_scale_$rows")
  end=$(date +%s.%N)
  [ "$code" = 201 ] || [ "$code" = 200 ] || { echo "upload failed: HTTP $code"; cat "$OUT/raw/upload-$rows.json"; exit 1; }
  echo "{\"seconds\": $($PY -c "print(round($end - $start, 3))"), \"rss_before_kb\": $rss_before, \"peak_kb\": $(kb "$REG_PID" VmHWM), \"bytes\": $(stat -c %s "$csv")}" > "$OUT/raw/upload-$rows.stats.json"
  echo "   upload+profile: $(cat "$OUT/raw/upload-$rows.stats.json")"

  timed "ours-$rows" dotnet "$BUILD/ours/MlOps.ScaleBench.dll" "$SPEC" "$csv" "$rows" "$THREADS"
  echo "   ours: fit $(grep -o '"fit_seconds": [0-9.]*' "$OUT/raw/ours-$rows.json" | cut -d' ' -f2) s"
  timed "xgb-$rows" $PY "$HERE/xgb_fit.py" "$csv" "$rows" "$THREADS" "$ITERATIONS"
  echo "   xgboost: fit $(grep -o '"fit_seconds": [0-9.]*' "$OUT/raw/xgb-$rows.json" | cut -d' ' -f2) s"
  if [ -n "${BASELINE:-}" ]; then
    timed "baseline-$rows" dotnet "$BUILD/baseline/MlOps.ScaleBench.dll" "$SPEC" "$csv" "$rows" "$THREADS"
    echo "   ours @ $BASELINE: fit $(grep -o '"fit_seconds": [0-9.]*' "$OUT/raw/baseline-$rows.json" | cut -d' ' -f2) s"
  fi
  echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/raw/$rows.load"

done

# The other engineers' parts of issue 13, when present, after the trainings (they load the machine themselves).
# registry.sh takes small|medium|full (the 1st, 2nd, 3rd size of this run; REGISTRY_SIZES overrides), serving.sh
# the largest model count (SERVING_SIZE, its default 50); each one's stdout (a markdown table) goes into the summary.
cleanup; REG_PID=""   # our registry and services are done with; the parts start their own (SVC_ROOT unset for them)
read -r -a registry_sizes <<< "${REGISTRY_SIZES:-$(echo small medium full | cut -d' ' -f1-"$(echo $SIZES | wc -w)")}"
for part in ${PARTS-registry serving}; do
  [ -f "$HERE/$part.sh" ] || continue
  if [ "$part" = registry ]; then
    for label in "${registry_sizes[@]}"; do
      echo "== registry.sh $label"
      mkdir -p "$OUT/registry-$label"
      OUT="$OUT/registry-$label" env -u SVC_ROOT bash "$HERE/registry.sh" "$label" >"$OUT/registry-$label/table.md" 2>"$OUT/registry-$label/stderr.txt" \
        || echo "   (registry.sh $label failed: see $OUT/registry-$label/stderr.txt)"
    done
  else
    echo "== serving.sh ${SERVING_SIZE:-}"
    mkdir -p "$OUT/serving"
    OUT_DIR="$OUT/serving" env -u SVC_ROOT bash "$HERE/serving.sh" ${SERVING_SIZE:-} >"$OUT/serving/table.md" 2>"$OUT/serving/stderr.txt" \
      || echo "   (serving.sh failed: see $OUT/serving/stderr.txt)"
  fi
done

$PY "$HERE/summarize.py" "$OUT" $SIZES | tee "$OUT/results.md"
echo "results: $OUT/results.md"
