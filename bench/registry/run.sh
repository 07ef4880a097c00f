#!/usr/bin/env bash
# Registry benchmarks: (a) a 1 GB artifact upload streamed through the registry while sampling its RSS,
# (b) batch metric ingestion in points/s. Starts its own PostgreSQL + S3 (scripts/testinfra/services.sh) and a
# Release build of Registry.Api as a separate process, and stops everything at the end.
# Usage: bash bench/registry/run.sh [artifact-MB=1024] [metric-points=2000000] [batch=50000] [parallel=2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export SVC_ROOT="${SVC_ROOT:-/tmp/svc-bench-registry-$$}"
REG_PID=""
cleanup() {
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null || true
  bash scripts/testinfra/services.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
eval "$(bash scripts/testinfra/services.sh start)"

OUT="$SVC_ROOT/build"
dotnet build Registry.Api -c Release --nologo -v q -o "$OUT/api" >/dev/null
dotnet build bench/registry/RegistryBench -c Release --nologo -v q -o "$OUT/bench" >/dev/null

PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
KEY="bench-trainer-$$"
ConnectionStrings__registrydb="$PG_CS" \
ConnectionStrings__minio="Endpoint=http://$S3_ENDPOINT;AccessKey=$S3_ACCESS_KEY;SecretKey=$S3_SECRET_KEY" \
Auth__Keys__Trainer="$KEY" Auth__Keys__Admin="admin-$KEY" \
Limits__ArtifactBytes=$((8 * 1024 * 1024 * 1024)) \
ASPNETCORE_URLS="http://127.0.0.1:$PORT" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  ASPNETCORE_CONTENTROOT="$OUT/api" dotnet "$OUT/api/MlOps.Registry.Api.dll" >"$SVC_ROOT/registry.log" 2>&1 &
REG_PID=$!
for i in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { cat "$SVC_ROOT/registry.log"; exit 1; }

echo "machine: $(nproc) cores, $(free -m | awk '/Mem:/{print $2}') MB RAM; registry pid $REG_PID on port $PORT"
dotnet "$OUT/bench/RegistryBench.dll" "http://127.0.0.1:$PORT" "$REG_PID" "$KEY" "${1:-1024}" "${2:-2000000}" "${3:-50000}" "${4:-2}"
