#!/usr/bin/env bash
# bench/scale/serving.sh [SIZE]: Serving.Api (Release) with 1, 10 and 50 models loaded at once (offline, through
# Serving:Models:N:BundlePath, so no registry is needed). For each model count: wall time from start to /health
# ready (every model loaded), each model's own load time (download/read, sha256, ML.NET load, evaluator check;
# GET /v1/models/{name} primary.loadSeconds), RSS once loaded and idle, and a wrk load (single rows, 2 threads,
# 32 connections) spread round-robin over every model's /v1/models/m<i>/predict with its p50/p99 and peak RSS.
# Prints a markdown table and writes it to OUT_DIR/results.md.
#
# SIZE: the largest model count [50]; counts run are those of "1 10 50" up to SIZE, and SIZE itself.
# Environment (defaults in brackets):
#   BUNDLE   an Ames model.bundle.zip [newest bench/serving/results/*/model/model.bundle.zip; else trained with
#            bench/serving/BundleTool]. Every model slot loads its own copy of it: each is parsed and held
#            separately, as N different models of that size would be.
#   BUILD    published Serving.Api folder [publishes this worktree, Release, to OUT_DIR/build]
#   OUT_DIR  [bench/scale/results/serving-<UTC timestamp>]  PORT [8136]
#   DURATION [20s]  WARMUP [5s]  THREADS [2]  CONNS [32]  QUIET_MAX_BUSY [15]  QUIET_WAIT [120]
#   SERVER_ENV  environment for the server (word list) [what its container image sets: Serving.Api.csproj's
#            ContainerEnvironmentVariable items, e.g. DOTNET_GCgen0size]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SIZE="${1:-50}"
[[ "$SIZE" =~ ^[0-9]+$ && "$SIZE" -ge 1 ]] || { echo "usage: serving.sh [largest model count, >= 1]" >&2; exit 2; }
OUT_DIR="${OUT_DIR:-$HERE/results/serving-$(date -u +%Y%m%dT%H%M%SZ)}"
PORT="${PORT:-8136}"
DURATION="${DURATION:-20s}"
WARMUP="${WARMUP:-5s}"
THREADS="${THREADS:-2}"
CONNS="${CONNS:-32}"
QUIET_MAX_BUSY="${QUIET_MAX_BUSY:-15}"
QUIET_WAIT="${QUIET_WAIT:-120}"
PEERS_DIR="${PEERS_DIR:-$REPO/../shared/bench/peers}"
DATASET="${DATASET:-$REPO/../shared/datasets/ames_housing.csv}"
SERVER_ENV="${SERVER_ENV-$(/usr/bin/python3 -c 'import re, sys; print(" ".join(f"{n}={v}" for n, v in re.findall(r"<ContainerEnvironmentVariable Include=\"([^\"]+)\" Value=\"([^\"]*)\"", open(sys.argv[1]).read())))' "$REPO/Serving.Api/Serving.Api.csproj")}"
mkdir -p "$OUT_DIR"
# Absolute: the server runs from its build folder, with its content root given under OUT_DIR.
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 2; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

counts=""
for n in 1 10 50; do ((n <= SIZE)) && counts="$counts $n"; done
[[ " $counts " == *" $SIZE "* ]] || counts="$counts $SIZE"

# ---- bundle and request body (the serving bench's Ames bundle and sample row) ----
BUNDLE="${BUNDLE:-$(ls -t "$REPO"/bench/serving/results/*/model/model.bundle.zip 2>/dev/null | head -1 || true)}"
BODY_FILE="${BODY_FILE:-$OUT_DIR/row.json}"
if [[ -z "$BUNDLE" || ! -f "$BUNDLE" ]]; then
  log "training the Ames bundle (bench/serving/BundleTool)"
  dotnet build "$REPO/bench/serving/BundleTool/BundleTool.csproj" -c Release -o "$OUT_DIR/build/bundletool" --nologo -v quiet >&2
  BUNDLE="$OUT_DIR/model/model.bundle.zip"
fi
if [[ ! -f "$BODY_FILE" ]]; then
  # One real Ames row with every bundle column, the sale price left out (it is the label).
  /usr/bin/python3 - "$DATASET" "$BODY_FILE" <<'PY'
import csv, json, sys
with open(sys.argv[1], newline="") as f:
    row = next(csv.DictReader(f))
row.pop("Sale_Price", None)
def value(v):
    try:
        return float(v)
    except ValueError:
        return v
json.dump({"features": {k: value(v) for k, v in row.items()}}, open(sys.argv[2], "w"))
PY
fi
if [[ ! -f "$BUNDLE" ]]; then
  dotnet "$OUT_DIR/build/bundletool/MlOps.Bench.BundleTool.dll" "$DATASET" Sale_Price "$OUT_DIR/model" "$BODY_FILE" > "$OUT_DIR/train.txt"
fi
if [[ -z "${BUILD:-}" ]]; then
  log "publishing Serving.Api (Release)"
  BUILD="$OUT_DIR/build/serving"
  dotnet publish "$REPO/Serving.Api/Serving.Api.csproj" -c Release -o "$BUILD" --nologo -v quiet >&2
fi
mkdir -p "$OUT_DIR/models"

# ---- helpers ----
host_cpu() { awk '/^cpu / {t=0; for (i=2;i<=NF;i++) t+=$i; print t-$5-$6, t}' /proc/stat; }
proc_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
children_ticks() { sed 's/.*) //' "/proc/$$/stat" | awk '{print $14 + $15}'; }  # finished children: wrk
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_quiet() {
  local waited=0 b0 t0 b1 t1 busy
  while :; do
    read -r b0 t0 < <(host_cpu); sleep 2; read -r b1 t1 < <(host_cpu)
    busy=$(( t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0 ))
    ((busy <= QUIET_MAX_BUSY)) && return 0
    ((waited >= QUIET_WAIT)) && { log "  still ${busy}% busy after ${waited}s; measuring anyway"; return 0; }
    waited=$((waited + 2))
  done
}

rows=()
for n in $counts; do
  log "=== $n model(s)"
  envs=()
  for ((i = 0; i < n; i++)); do
    # A file per slot: each slot reads, hashes and loads its own bytes.
    [[ -f "$OUT_DIR/models/m$i.bundle.zip" ]] || cp "$BUNDLE" "$OUT_DIR/models/m$i.bundle.zip"
    envs+=("Serving__Models__${i}__Name=m$i" "Serving__Models__${i}__BundlePath=$OUT_DIR/models/m$i.bundle.zip")
  done
  if ss -Hltn "sport = :$PORT" | grep -q .; then echo "port $PORT is already in use" >&2; exit 1; fi
  wait_quiet
  started=$(date +%s.%N)
  # shellcheck disable=SC2086  # SERVER_ENV is a word list on purpose
  env ${SERVER_ENV:-} "${envs[@]}" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    ASPNETCORE_CONTENTROOT="$BUILD" dotnet "$BUILD/MlOps.Serving.Api.dll" --urls "http://127.0.0.1:$PORT" > "$OUT_DIR/server.$n.log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' EXIT
  until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "Serving.Api exited; see $OUT_DIR/server.$n.log" >&2; exit 1; }
    sleep 0.1
  done
  ready=$(printf "%.1f" "$(echo "$(date +%s.%N) - $started" | bc)")
  loads=$(for ((i = 0; i < n; i++)); do curl -sf "http://127.0.0.1:$PORT/v1/models/m$i"; echo; done |
    /usr/bin/python3 -c 'import json, sys, statistics as s
v = sorted(json.loads(l)["primary"]["loadSeconds"] for l in sys.stdin if l.strip())
print(f"{s.median(v):.2f} {v[-1]:.2f}")')
  sleep 3
  rss_idle=$(rss_kb "$pid")

  # Load: every request goes to the next model; peak RSS sampled each second.
  export BODY_FILE MODELS="$n"
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$HERE/predict_models.lua" "http://127.0.0.1:$PORT" > /dev/null
  wait_quiet
  peak=$rss_idle
  ( while kill -0 "$pid" 2>/dev/null; do rss_kb "$pid"; sleep 1; done ) > "$OUT_DIR/rss.$n.txt" 2>/dev/null &
  sampler=$!
  read -r b0 t0 < <(host_cpu); s0=$(proc_ticks "$pid"); c0=$(children_ticks)
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$HERE/predict_models.lua" "http://127.0.0.1:$PORT" > "$OUT_DIR/wrk.$n.txt"
  read -r b1 t1 < <(host_cpu); s1=$(proc_ticks "$pid"); c1=$(children_ticks)
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  peak=$(sort -n "$OUT_DIR/rss.$n.txt" | tail -1); peak=${peak:-$rss_idle}
  bench=$(grep '^BENCH' "$OUT_DIR/wrk.$n.txt")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
  get() { tr ' ' '\n' <<<"$bench" | sed -n "s/^$1=//p"; }
  server_pct=$(( t1 > t0 ? 100 * (s1 - s0) / (t1 - t0) : 0 ))
  # Other processes' share of the machine: busy time minus the server's and wrk's (loopback softirq counts as other).
  other_pct=$(( t1 > t0 ? 100 * ((b1 - b0) - (s1 - s0) - (c1 - c0)) / (t1 - t0) : 0 )); ((other_pct < 0)) && other_pct=0
  requests=$(get requests)
  cpu_us=$(( requests > 0 ? (s1 - s0) * 1000000 / $(getconf CLK_TCK) / requests : 0 ))
  rows+=("| $n | $ready | $(cut -d' ' -f1 <<<"$loads") / $(cut -d' ' -f2 <<<"$loads") | $((rss_idle / 1024)) | $((peak / 1024)) | $(printf '%.0f' "$(get rps)") | $(get p50_ms) | $(get p99_ms) | $(get errors) | $cpu_us | $server_pct | $other_pct |")
done

{
  echo "# Serving.Api with many models ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, bundle $(basename "$(dirname "$(dirname "$BUNDLE")")")/$(basename "$BUNDLE"), $(du -k "$BUNDLE" | cut -f1) KiB)"
  echo
  echo "wrk -t$THREADS -c$CONNS -d$DURATION, single-row POSTs spread round-robin over every model's /v1/models/m<i>/predict. Server environment: ${SERVER_ENV:-none}."
  echo
  echo "| models | start to ready s | load s per model, median / max | RSS idle MiB | peak RSS under load MiB | req/s | p50 ms | p99 ms | errors | server CPU us/request | server CPU % of machine | other procs % |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT_DIR/results.md"
rm -rf "$OUT_DIR/models"  # copies of the bundle
