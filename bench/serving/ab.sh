#!/usr/bin/env bash
# bench/serving/ab.sh LABEL BUILD MODE [NAME=value ...]: one short exploratory run of a published Serving.Api build
# (3 s warm-up, 10 s measured wrk, 2 threads, 32 connections) printing requests/s, p99, peak RSS, the server's CPU
# microseconds per request and bytes allocated per request (from its own /metrics). Run two builds alternately a few
# times (before, after, before, after, ...) when the machine is shared: CPU and bytes per request are the steady
# figures, requests/s is not. Not a substitute for run.sh (no ceiling, no quiet-wait).
# Environment: BUNDLE (model.bundle.zip) [newest results/*/model/model.bundle.zip], PEER_ARTIFACTS, PORT [8146]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
label=$1 build=$2 mode=$3; shift 3
port=${PORT:-8146}
artifacts=${PEER_ARTIFACTS:-$HERE/../../../shared/bench/peers/artifacts}
bundle=${BUNDLE:-$(ls -t "$HERE"/results/*/model/model.bundle.zip | head -1)}
body=$artifacts/sample_row.json; [[ $mode == batch ]] && body=$artifacts/sample_batch100.json
lua=$(dirname "$artifacts")/wrk/post_json.lua
# Another server on the port would answer the health check and take the load while this one idles.
if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then echo "port $port is in use: set PORT" >&2; exit 2; fi
env "$@" Serving__Models__0__Name=ames Serving__Models__0__BundlePath="$bundle" ASPNETCORE_ENVIRONMENT=Production \
  Logging__LogLevel__Default=Warning ASPNETCORE_CONTENTROOT="$build" dotnet "$build/MlOps.Serving.Api.dll" --urls "http://127.0.0.1:$port" > /dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do kill -0 $pid; sleep 0.2; done
export BODY_FILE=$body
wrk -t2 -c32 -d3s -s "$lua" "http://127.0.0.1:$port/predict" > /dev/null
rssfile=$(mktemp)
( while kill -0 $pid 2>/dev/null; do awk '/^VmRSS/ {print $2}' /proc/$pid/status; sleep 0.5; done ) > "$rssfile" 2>/dev/null &
sampler=$!
# awk reads to the end: leaving early would fail curl's write (exit 23) and, with pipefail, the script.
allocated() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^dotnet_gc_heap_total_allocated_bytes_total/ && !seen {print $2; seen = 1}'; }
ticks() { sed 's/.*) //' /proc/$pid/stat | awk '{print $12 + $13}'; }
a0=$(allocated); t0=$(ticks)
out=$(wrk -t2 -c32 -d10s --latency -s "$lua" "http://127.0.0.1:$port/predict" | grep '^BENCH')
t1=$(ticks); a1=$(allocated)
kill $sampler; wait $sampler 2>/dev/null || true
field() { tr ' ' '\n' <<<"$out" | sed -n "s/^$1=//p"; }
req=$(field requests)
echo "$label $mode rps=$(field rps) p99_ms=$(field p99_ms) rss_peak_mib=$(( $(sort -n "$rssfile" | tail -1) / 1024 ))" \
  "cpu_us_per_req=$(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / req )) alloc_bytes_per_req=$(/usr/bin/python3 -c "print(int(($a1 - $a0) / $req))") env=$*"
rm -f "$rssfile"
