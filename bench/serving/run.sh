#!/usr/bin/env bash
# bench/serving/run.sh: ONE run of the serving load test: the peers (../shared/bench/peers: flask-xgb,
# fastapi-xgb, kestrel-ceiling) one at a time, then Serving.Api (Release) serving an Ames LightGBM bundle
# trained by Training.Worker's trainer, each loaded by the peers' bench.sh (wrk, 2 threads, 32 connections,
# single row and 100-row batch, same request bodies), then a table with our ratios to each peer.
#
# Environment:
#   PEERS        peers to run [flask-sync flask-gthread fastapi fastapi-nodelay kestrel]; "" = only Serving.Api
#   PEERS_DIR    [<repo>/../shared/bench/peers]     SKIP_SETUP=1 skips the peers' setup.sh (apt, build)
#   OUT_DIR      [bench/serving/results/<UTC timestamp>]
#   PORT         Serving.Api port [8106]
#   SERVING_BUILDS  Serving.Api builds to load, "label=published-folder ..." in this order, each measured against
#                the same peers in this run (before/after comparisons); default: publish this worktree as "serving-api"
#                with the environment its container image sets (Serving.Api.csproj ContainerEnvironmentVariable).
#                An entry may carry its own environment: "label=folder,NAME=value,NAME=value"
#   BUNDLE       an Ames model.bundle.zip from an earlier run (skips training; its expected.json must sit beside it)
#   SERVER_ENV   extra environment for Serving.Api, e.g. "DOTNET_GCgen0size=0x2000000"
#   OTHER_MAX [10] RETRIES [1]: a Serving.Api run in which other processes used more than OTHER_MAX % of the CPU
#                is repeated, up to RETRIES times (as run_all.sh does for the peers)
#   ROUNDS [1]   rounds of (peers, then every build), interleaved; the tables take each figure's median over the
#                rounds. On this 2-core VM one server's requests/s moves by 10-30 % from minute to minute, so a
#                ratio of two figures taken a minute apart is only as steady as that; rounds make it steadier.
#   bench.sh / run_all.sh settings pass through: THREADS CONNS DURATION WARMUP QUIET_MAX_BUSY QUIET_WAIT ...
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PEERS_DIR="${PEERS_DIR:-$(cd "$REPO/../shared/bench/peers" && pwd)}"
export DATASET="${DATASET:-$(cd "$REPO/../shared/datasets" && pwd)/ames_housing.csv}"  # exported: the peers train on it too
OUT_DIR="${OUT_DIR:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)}"
PORT="${PORT:-8106}"
PEERS="${PEERS-flask-sync flask-gthread fastapi fastapi-nodelay kestrel}"
QUIET_MAX_BUSY="${QUIET_MAX_BUSY:-15}"
QUIET_WAIT="${QUIET_WAIT:-180}"
OTHER_MAX="${OTHER_MAX:-10}"
RETRIES="${RETRIES:-1}"
ROUNDS="${ROUNDS:-1}"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a whole number >= 1, not '$ROUNDS'" >&2; exit 2; }
mkdir -p "$OUT_DIR"
export PEER_ARTIFACTS="$PEERS_DIR/artifacts"

log() { echo "[$(date -u +%H:%M:%S)] $*"; }

host_busy_pct() {
  local b0 t0 b1 t1
  read -r b0 t0 < <(awk '/^cpu / {t=0; for (i=2;i<=NF;i++) t+=$i; print t-$5-$6, t}' /proc/stat)
  sleep "$1"
  read -r b1 t1 < <(awk '/^cpu / {t=0; for (i=2;i<=NF;i++) t+=$i; print t-$5-$6, t}' /proc/stat)
  echo $(( t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0 ))
}

wait_quiet() {  # as run_all.sh: wait (bounded) for other work on the machine to stop
  local waited=0 busy
  while :; do
    busy=$(host_busy_pct 2)
    ((busy <= QUIET_MAX_BUSY)) && { ((waited == 0)) || log "  machine quiet after ${waited}s"; return 0; }
    ((waited == 0)) && log "  machine ${busy}% busy with other processes; waiting up to ${QUIET_WAIT}s"
    ((waited >= QUIET_WAIT)) && { log "  still ${busy}% busy after ${waited}s; measuring anyway"; return 0; }
    waited=$((waited + 2))
  done
}

# ---- 1. peers' setup and request bodies (their own harness: trains the XGBoost model, writes artifacts/) ----
[[ "${SKIP_SETUP:-0}" == 1 ]] || bash "$PEERS_DIR/setup.sh" > "$OUT_DIR/peers-setup.log" 2>&1
if [[ ! -f "$PEER_ARTIFACTS/sample_row.json" ]]; then
  (cd "$PEERS_DIR" && /usr/bin/python3 train.py "$DATASET" Sale_Price --out "$PEER_ARTIFACTS") > "$OUT_DIR/peers-train.txt"
fi

# ---- 2. Serving.Api: Release build, Ames bundle from Training.Worker's trainer, offline (BundlePath) serving ----
if [[ -z "${SERVING_BUILDS:-}" ]]; then
  log "=== Serving.Api: build (Release)"
  dotnet publish "$REPO/Serving.Api/Serving.Api.csproj" -c Release -o "$OUT_DIR/build/serving" --nologo -v quiet
  image_env=$(/usr/bin/python3 -c 'import re, sys; print("".join(f",{n}={v}" for n, v in re.findall(r"<ContainerEnvironmentVariable Include=\"([^\"]+)\" Value=\"([^\"]*)\"", open(sys.argv[1]).read())))' "$REPO/Serving.Api/Serving.Api.csproj")
  SERVING_BUILDS="serving-api=$OUT_DIR/build/serving$image_env"
fi
if [[ -n "${BUNDLE:-}" ]]; then
  mkdir -p "$OUT_DIR/model" && cp "$BUNDLE" "$OUT_DIR/model/model.bundle.zip" && cp "$(dirname "$BUNDLE")/expected.json" "$OUT_DIR/model/"
  echo "bundle: $BUNDLE" > "$OUT_DIR/serving.train.txt"
else
  log "=== train the Ames bundle"
  dotnet build "$HERE/BundleTool/BundleTool.csproj" -c Release -o "$OUT_DIR/build/bundletool" --nologo -v quiet
  dotnet "$OUT_DIR/build/bundletool/MlOps.Bench.BundleTool.dll" "$DATASET" Sale_Price "$OUT_DIR/model" "$PEER_ARTIFACTS/sample_row.json" \
    | tee "$OUT_DIR/serving.train.txt"
fi

for round in $(seq 1 "$ROUNDS"); do
# One round's files: at the top with one round (as before rounds existed), else under round<N>/.
rdir="$OUT_DIR"; ((ROUNDS == 1)) || rdir="$OUT_DIR/round$round"
mkdir -p "$rdir"
if [[ -n "$PEERS" ]]; then
  log "=== round $round/$ROUNDS: peers: $PEERS"
  PEERS="$PEERS" OUT_DIR="$rdir/peers" QUIET_MAX_BUSY="$QUIET_MAX_BUSY" QUIET_WAIT="$QUIET_WAIT" OTHER_MAX="$OTHER_MAX" RETRIES="$RETRIES" \
    bash "$PEERS_DIR/run_all.sh" 1 | tee "$rdir/peers.log"
  for f in "$rdir"/peers/round1/*.result; do [[ -f "$f" ]] && sed -i "s/ round=1 / round=$round /" "$f"; done
fi

for entry in $SERVING_BUILDS; do
label="${entry%%=*}"; build="${entry#*=}"; build_env=""
if [[ "$build" == *,* ]]; then build_env="${build#*,}"; build="${build%%,*}"; fi
log "=== round $round/$ROUNDS: Serving.Api ($label: $build ${build_env}) on 127.0.0.1:$PORT"
if ss -Hltn "sport = :$PORT" | grep -q .; then echo "port $PORT is already in use" >&2; exit 1; fi
# The content root is the build, as in the container image: its appsettings.json (span and hosting-log settings,
# drift sampling) apply. Started from the repository root, the service would run on code defaults instead.
# shellcheck disable=SC2086  # SERVER_ENV is a word list on purpose
env ${SERVER_ENV:-} ${build_env//,/ } Serving__Models__0__Name=ames Serving__Models__0__BundlePath="$OUT_DIR/model/model.bundle.zip" \
  ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  ASPNETCORE_CONTENTROOT="$build" dotnet "$build/MlOps.Serving.Api.dll" --urls "http://127.0.0.1:$PORT" > "$rdir/$label.server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  kill -0 "$pid" 2>/dev/null || { echo "Serving.Api exited; see $rdir/$label.server.log" >&2; exit 1; }
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { echo "Serving.Api never became ready" >&2; exit 1; }

# The same sample row the peers are checked with: our answer must equal our offline model's.
got=$(curl -s -H 'Content-Type: application/json' --data-binary @"$PEER_ARTIFACTS/sample_row.json" "http://127.0.0.1:$PORT/predict")
/usr/bin/python3 - "$got" "$OUT_DIR/model/expected.json" <<'PY'
import json, sys
got = json.loads(sys.argv[1])["predictions"][0]["value"]
want = json.load(open(sys.argv[2]))["sample_row"]
ok = abs(got - want) <= 1e-5 * max(1.0, abs(want))
print(f"  prediction check: served {got} expected {want} -> {'ok' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PY

for mode in single batch; do
  for attempt in $(seq 1 $((RETRIES + 1))); do
    wait_quiet
    SAMPLE_PID="$pid" RESULT_FILE="$rdir/$label.$mode.result" RAW_FILE="$rdir/$label.$mode.wrk.txt" ENDPOINT=/predict \
      bash "$PEERS_DIR/bench.sh" "$PORT" "$mode" | sed 's/^/  /'
    other=$(tr ' ' '\n' < "$rdir/$label.$mode.result" | sed -n 's/^other_cpu_pct=//p')
    sed -i "s|\$| peer=$label round=$round port=$PORT attempt=$attempt|" "$rdir/$label.$mode.result"
    awk -v o="$other" -v m="$OTHER_MAX" 'BEGIN {exit !(o <= m)}' && break
    if ((attempt <= RETRIES)); then log "  other processes used ${other}% of the CPU during that run (> ${OTHER_MAX}%); repeating it"
    else log "  other processes used ${other}% of the CPU during that run; keeping it, flagged"; fi
  done
done
curl -s "http://127.0.0.1:$PORT/metrics" > "$rdir/$label.metrics.txt" || true
kill "$pid"; wait "$pid" 2>/dev/null || true
trap - EXIT
done
done

# ---- 3. table ----
/usr/bin/python3 "$HERE/summarize.py" "$OUT_DIR" | tee "$OUT_DIR/results.md"
