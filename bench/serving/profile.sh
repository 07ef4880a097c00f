#!/usr/bin/env bash
# bench/serving/profile.sh [single|batch]: where Serving.Api's CPU goes under the bench's wrk load.
# Starts Serving.Api (Release) on an Ames bundle, loads it with wrk (2 threads, 32 connections, the peers'
# request bodies), and meanwhile records a dotnet-trace sampled-thread-time trace (the `collect` profile; the
# kernel cpu-sampling profile needs collect-linux and tracefs, which this machine lacks). profile_top.py then
# drops the samples of threads that were waiting and prints the top frames by exclusive and inclusive samples.
#
# Environment:
#   BUNDLE    model.bundle.zip [newest bench/serving/results/*/model/model.bundle.zip, from run.sh]
#   BUILD     published Serving.Api folder [publishes Release to OUT_DIR/build]
#   OUT_DIR   [bench/serving/results/profile-<UTC timestamp>]   PORT [8126]
#   SECONDS_TRACED [15]  WARMUP [5]  PEER_ARTIFACTS [../shared/bench/peers/artifacts]  TOP [25]
#   SERVER_ENV  extra environment for the server, e.g. "DOTNET_gcServer=0"
# Needs dotnet-trace (dotnet tool install -g dotnet-trace) and wrk.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
MODE="${1:-single}"
OUT_DIR="${OUT_DIR:-$HERE/results/profile-$(date -u +%Y%m%dT%H%M%SZ)}"
PORT="${PORT:-8126}"
SECONDS_TRACED="${SECONDS_TRACED:-15}"
WARMUP="${WARMUP:-5}"
TOP="${TOP:-25}"
PEER_ARTIFACTS="${PEER_ARTIFACTS:-$REPO/../shared/bench/peers/artifacts}"
PEERS_DIR="${PEERS_DIR:-$REPO/../shared/bench/peers}"
export PATH="$PATH:$HOME/.dotnet/tools"
command -v dotnet-trace >/dev/null || { echo "dotnet-trace not found: dotnet tool install -g dotnet-trace" >&2; exit 2; }
mkdir -p "$OUT_DIR"

BUNDLE="${BUNDLE:-$(ls -t "$HERE"/results/*/model/model.bundle.zip 2>/dev/null | head -1)}"
[[ -f "$BUNDLE" ]] || { echo "no bundle: run bench/serving/run.sh once or set BUNDLE" >&2; exit 2; }
if [[ -z "${BUILD:-}" ]]; then
  BUILD="$OUT_DIR/build/serving"
  dotnet publish "$REPO/Serving.Api/Serving.Api.csproj" -c Release -o "$BUILD" --nologo -v quiet
fi
case "$MODE" in
  single) BODY_FILE="$PEER_ARTIFACTS/sample_row.json" ;;
  batch) BODY_FILE="$PEER_ARTIFACTS/sample_batch100.json" ;;
  *) echo "mode must be single or batch" >&2; exit 2 ;;
esac

# shellcheck disable=SC2086  # SERVER_ENV is a word list on purpose
env ${SERVER_ENV:-} Serving__Models__0__Name=ames Serving__Models__0__BundlePath="$BUNDLE" \
  ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  ASPNETCORE_CONTENTROOT="$BUILD" dotnet "$BUILD/MlOps.Serving.Api.dll" --urls "http://127.0.0.1:$PORT" > "$OUT_DIR/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "Serving.Api exited; see $OUT_DIR/server.log" >&2; exit 1; }
  sleep 0.5
done

export BODY_FILE
wrk -t2 -c32 -d"$((WARMUP + SECONDS_TRACED + 3))s" -s "$PEERS_DIR/wrk/post_json.lua" "http://127.0.0.1:$PORT/predict" > "$OUT_DIR/wrk.txt" 2>&1 &
wrk_pid=$!
sleep "$WARMUP"
dotnet-trace collect -p "$pid" --profile dotnet-sampled-thread-time --duration "00:00:00:$(printf %02d "$SECONDS_TRACED")" \
  -o "$OUT_DIR/$MODE.nettrace" > "$OUT_DIR/trace.log" 2>&1
wait "$wrk_pid" || true
kill "$pid"; wait "$pid" 2>/dev/null || true
trap - EXIT

dotnet-trace convert --format speedscope -o "$OUT_DIR/$MODE" "$OUT_DIR/$MODE.nettrace" > /dev/null
/usr/bin/python3 "$HERE/profile_top.py" "$OUT_DIR/$MODE.speedscope.json" "$TOP" | tee "$OUT_DIR/$MODE.top.md"
grep -h 'Requests/sec' "$OUT_DIR/wrk.txt" | sed 's/^/wrk (traced, so slower): /'
