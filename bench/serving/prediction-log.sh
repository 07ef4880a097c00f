#!/usr/bin/env bash
# bench/serving/prediction-log.sh: the cost of the prediction log on the request path, in ONE run. Serving.Api
# (Release, the Ames bundle of BundleTool, offline serving) is started ROUNDS times with logging off
# (Serving:PredictionLog:SamplePercent=0) and ROUNDS times at 100%, alternating off/on so that machine noise hits
# both; each start is loaded by the peers' bench.sh single-row run (wrk, 2 threads, 32 connections). At 100% every
# row is logged: written as Parquet off the request path and uploaded to log_sink.py, which stands in for the
# registry endpoint. Each start is measured twice, back to back: "first" (WARMUP, then DURATION: the replica's
# first half-minute under load, while the log path's code, called once per file, is still being compiled) and
# "steady" (STEADY_WARMUP more, then DURATION again). Prints requests/s per run, the on/off ratio of each phase
# (goal >= 0.85x), the JIT's CPU seconds in each phase, and what the log did (rows sampled, stored, dropped) from
# each run's /metrics.
#
# Environment: ROUNDS [2]  PORT [8107]  SINK_PORT [8108]  OUT_DIR [bench/serving/results/log-<UTC timestamp>]
#   PEERS_DIR [<repo>/../shared/bench/peers]  DATASET [<repo>/../shared/datasets/ames_housing.csv]
#   bench.sh settings pass through: THREADS CONNS DURATION WARMUP; STEADY_WARMUP [10s]; QUIET_MAX_BUSY [15] QUIET_WAIT [120]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PEERS_DIR="${PEERS_DIR:-$(cd "$REPO/../shared/bench/peers" && pwd)}"
DATASET="${DATASET:-$(cd "$REPO/../shared/datasets" && pwd)/ames_housing.csv}"
OUT_DIR="${OUT_DIR:-$HERE/results/log-$(date -u +%Y%m%dT%H%M%SZ)}"
ROUNDS="${ROUNDS:-2}"
PORT="${PORT:-8107}"
SINK_PORT="${SINK_PORT:-8108}"
QUIET_MAX_BUSY="${QUIET_MAX_BUSY:-15}"
QUIET_WAIT="${QUIET_WAIT:-120}"
STEADY_WARMUP="${STEADY_WARMUP:-10s}"
mkdir -p "$OUT_DIR/artifacts"
export PEER_ARTIFACTS="$OUT_DIR/artifacts"

log() { echo "[$(date -u +%H:%M:%S)] $*"; }

busy_pct() {
  local b0 t0 b1 t1
  read -r b0 t0 < <(awk '/^cpu / {t=0; for (i=2;i<=NF;i++) t+=$i; print t-$5-$6, t}' /proc/stat)
  sleep 2
  read -r b1 t1 < <(awk '/^cpu / {t=0; for (i=2;i<=NF;i++) t+=$i; print t-$5-$6, t}' /proc/stat)
  echo $(( t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0 ))
}

wait_quiet() {
  local waited=0 busy
  while busy=$(busy_pct); ((busy > QUIET_MAX_BUSY && waited < QUIET_WAIT)); do waited=$((waited + 2)); done
  log "  machine ${busy}% busy before measuring (waited ${waited}s)"
}

log "=== build (Release) and train the Ames bundle"
dotnet publish "$REPO/Serving.Api/Serving.Api.csproj" -c Release -o "$OUT_DIR/build/serving" --nologo -v quiet
dotnet build "$HERE/BundleTool/BundleTool.csproj" -c Release -o "$OUT_DIR/build/bundletool" --nologo -v quiet

# The request: the CSV's first row without the label (numbers as numbers, the rest as categories).
python3 - "$DATASET" "$OUT_DIR/artifacts/sample_row.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
row = {k: v for k, v in rows[0].items() if k != "Sale_Price"}
def value(v):
    try:
        return float(v)
    except ValueError:
        return v if v != "" else None
json.dump({"features": {k: value(v) for k, v in row.items()}}, open(sys.argv[2], "w"))
PY
dotnet "$OUT_DIR/build/bundletool/MlOps.Bench.BundleTool.dll" "$DATASET" Sale_Price "$OUT_DIR/model" "$OUT_DIR/artifacts/sample_row.json" \
  | tee "$OUT_DIR/train.txt"

python3 "$HERE/log_sink.py" "$SINK_PORT" "$OUT_DIR/sink.json" &
sink=$!
pid=""
trap 'kill $sink $pid 2>/dev/null || true' EXIT

# CPU seconds the JIT has spent so far (the runtime's own counter) in /metrics text on stdin. awk reads to the end:
# leaving early would fail curl (exit 23) and, with pipefail, the script.
jit_seconds() {
  awk '/^dotnet_jit_compilation_time_seconds_total/ && !seen {print $NF; seen = 1}'
}

run() {  # run NAME PERCENT
  local name=$1 percent=$2
  Serving__Models__0__Name=ames Serving__Models__0__BundlePath="$OUT_DIR/model/model.bundle.zip" \
    Serving__PredictionLog__SamplePercent="$percent" Registry__BaseAddress="http://127.0.0.1:$SINK_PORT/" Registry__ApiKey=bench \
    ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    ASPNETCORE_CONTENTROOT="$OUT_DIR/build/serving" dotnet "$OUT_DIR/build/serving/MlOps.Serving.Api.dll" --urls "http://127.0.0.1:$PORT" > "$OUT_DIR/$name.server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.5; done
  wait_quiet
  curl -s "http://127.0.0.1:$PORT/metrics" | jit_seconds > "$OUT_DIR/$name.jit"
  log "  first: the first ${WARMUP:-5s} + ${DURATION:-20s} under load"
  SAMPLE_PID="$pid" RESULT_FILE="$OUT_DIR/$name.result" RAW_FILE="$OUT_DIR/$name.wrk.txt" \
    bash "$PEERS_DIR/bench.sh" "$PORT" single | sed 's/^/  /'
  curl -s "http://127.0.0.1:$PORT/metrics" | jit_seconds >> "$OUT_DIR/$name.jit"
  log "  steady: the load goes on ($STEADY_WARMUP more, then measured again)"
  SAMPLE_PID="$pid" RESULT_FILE="$OUT_DIR/$name-steady.result" RAW_FILE="$OUT_DIR/$name-steady.wrk.txt" WARMUP="$STEADY_WARMUP" \
    bash "$PEERS_DIR/bench.sh" "$PORT" single | sed 's/^/  /'
  curl -s "http://127.0.0.1:$PORT/metrics" > "$OUT_DIR/$name.metrics.txt" || true
  jit_seconds < "$OUT_DIR/$name.metrics.txt" >> "$OUT_DIR/$name.jit"
  kill "$pid"; wait "$pid" 2>/dev/null || true  # SIGTERM: the log writer stores what it still holds
}

for round in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    log "=== round $round: logging $mode"
    run "$mode-$round" "$([[ $mode == on ]] && echo 100 || echo 0)"
  done
done

python3 "$HERE/summarize_log.py" "$OUT_DIR" | tee "$OUT_DIR/results.md"
