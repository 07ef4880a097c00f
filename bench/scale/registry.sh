#!/usr/bin/env bash
# Registry at scale (issue 13): run search / metric history p50-p99, EXPLAIN (ANALYZE, BUFFERS) of the SQL each
# endpoint issues, metric ingest points/s and requests/s of one registry process, on a database holding
# 100,000 runs and 100 million metric points ("full"). Starts its own PostgreSQL + S3 (scripts/testinfra/services.sh,
# fsync off), a Release Registry.Api (which applies its migrations), bulk-loads the registry's own tables with binary
# COPY (RegistryScale load), then measures (RegistryScale measure) and stops everything.
# Usage: bash bench/scale/registry.sh [small|medium|full] [seconds-per-scenario=20]
# Env:   KEEP=1 leaves PostgreSQL + S3 running and loaded (prints SVC_ROOT); REUSE=<that SVC_ROOT> measures again
#        on it without loading; REGISTRY_BUILD=<dir> runs that build of MlOps.Registry.Api.dll (e.g. an older commit,
#        for before/after); OUT=<dir> for the result files (default $SVC_ROOT/results-<time>);
#        PHASES="explain latency throughput" (the default) selects what is measured; NO_BENCH_BUILD=1 reuses the
#        measurement client already built in $SVC_ROOT/build/bench.
set -euo pipefail
# All of it in a function: bash parses it whole before running, so editing this file cannot derail a long run.
main() {
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SIZE=${1:-small}
SECONDS_PER=${2:-20}
case "$SIZE" in
  # runs, steps per key (4 keys), huge runs, points in each huge run's train/loss
  full)   RUNS=100000 STEPS=225 HUGE=5 HUGE_POINTS=2000000 ;;   # 90M + 10M = 100M points
  medium) RUNS=20000  STEPS=225 HUGE=2 HUGE_POINTS=1000000 ;;   # 18M + 2M = 20M points
  small)  RUNS=2000   STEPS=225 HUGE=2 HUGE_POINTS=600000 ;;    # 1.8M + 1.2M = 3M points
  *) echo "size must be small, medium or full" >&2; exit 2 ;;
esac
if [ -n "${REUSE:-}" ]; then
  export SVC_ROOT="$REUSE"
  # shellcheck disable=SC1091
  source "$SVC_ROOT/env"
else
  export SVC_ROOT="${SVC_ROOT:-/tmp/svc-scale-registry-$$}"
fi
REG_PID=""
cleanup() {
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null || true
  if [ -z "${KEEP:-}" ] && [ -z "${REUSE:-}" ]; then bash scripts/testinfra/services.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
psql_() { runuser -u postgres -- "$PGBIN/psql" -h "$PGDIR" -p "$PGPORT" -U postgres -d appdb -q -v ON_ERROR_STOP=1 -At "$@"; }

if [ -z "${REUSE:-}" ]; then
  eval "$(bash scripts/testinfra/services.sh start)"
  PGPORT=$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$PG_CS")
  # A server sized like a small production one (the test default shared_buffers is 128 MB), room for the bulk load,
  # and auto_explain loaded (off until the EXPLAIN pass) to capture the plans of the registry's own statements.
  psql_ -c "ALTER SYSTEM SET shared_buffers = '1GB'" -c "ALTER SYSTEM SET maintenance_work_mem = '512MB'" \
        -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'"
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 restart >/dev/null
  { echo "export PG_CS='$PG_CS' PGDIR='$PGDIR' PGBIN='$PGBIN' PGPORT='$PGPORT'"
    echo "export S3_ENDPOINT='$S3_ENDPOINT' S3_ACCESS_KEY='$S3_ACCESS_KEY' S3_SECRET_KEY='$S3_SECRET_KEY'"; } >"$SVC_ROOT/env"
fi
OUT=${OUT:-$SVC_ROOT/results-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
BUILD="$SVC_ROOT/build"
if [ -z "${REGISTRY_BUILD:-}" ]; then
  dotnet build Registry.Api -c Release --nologo -v q -o "$BUILD/api" >/dev/null
  REGISTRY_BUILD="$BUILD/api"
fi
if [ -z "${NO_BENCH_BUILD:-}" ] || [ ! -f "$BUILD/bench/RegistryScale.dll" ]; then
  dotnet build bench/scale/RegistryScale -c Release --nologo -v q -o "$BUILD/bench" >/dev/null
fi

PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
TRAINER="scale-trainer-$$"; READER="scale-reader-$$"
start=$(date +%s.%N)
ConnectionStrings__registrydb="$PG_CS" \
ConnectionStrings__minio="Endpoint=http://$S3_ENDPOINT;AccessKey=$S3_ACCESS_KEY;SecretKey=$S3_SECRET_KEY" \
Auth__Keys__Trainer="$TRAINER" Auth__Keys__Reader="$READER" Auth__Keys__Admin="scale-admin-$$" \
ASPNETCORE_URLS="http://127.0.0.1:$PORT" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  ASPNETCORE_CONTENTROOT="$REGISTRY_BUILD" dotnet "$REGISTRY_BUILD/MlOps.Registry.Api.dll" >"$OUT/registry.log" 2>&1 &
REG_PID=$!
for i in $(seq 3000); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { cat "$OUT/registry.log"; exit 1; }
echo "registry up (migrations applied) in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s: $REGISTRY_BUILD"
BENCH=(dotnet "$BUILD/bench/RegistryScale.dll")

if [ -z "${REUSE:-}" ]; then
  echo "loading $SIZE: $RUNS runs x 4 keys x $STEPS steps + $HUGE huge runs x $HUGE_POINTS points (df before: $(df -h --output=avail "$SVC_ROOT" | tail -1 | tr -d ' '))"
  "${BENCH[@]}" load "$PG_CS" "$RUNS" "$STEPS" "$HUGE" "$HUGE_POINTS" | tee "$OUT/load.txt"
fi
psql_ -c "SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) FROM pg_stat_user_tables WHERE relname IN ('runs','run_params','run_tags','latest_metrics','metric_chunks') ORDER BY 1" \
  -c "SELECT 'metric points', sum(cardinality(steps)) FROM metric_chunks" | tee "$OUT/sizes.txt"

PM_PID=$(head -1 "$PGDIR/data/postmaster.pid")
machine() { echo "$(date -u +%H:%M:%SZ) load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"; }
echo "machine before: $(machine)" | tee "$OUT/machine.txt"

PHASES=${PHASES:-explain latency throughput}
if [[ " $PHASES " == *" explain "* ]]; then
# EXPLAIN (ANALYZE, BUFFERS) of every statement the endpoints issue, from the registry's own connections.
psql_ -c "ALTER SYSTEM SET auto_explain.log_min_duration = 0" -c "ALTER SYSTEM SET auto_explain.log_analyze = on" \
      -c "ALTER SYSTEM SET auto_explain.log_buffers = on" -c "SELECT pg_reload_conf()" >/dev/null
LOGSTART=$(stat -c %s "$PGDIR/server.log")
"${BENCH[@]}" measure "http://127.0.0.1:$PORT" "$READER" "$TRAINER" "$REG_PID" "$PM_PID" "$PG_CS" once "$SECONDS_PER" | tee "$OUT/once.txt"
psql_ -c "ALTER SYSTEM SET auto_explain.log_min_duration = -1" -c "SELECT pg_reload_conf()" >/dev/null
tail -c +"$((LOGSTART + 1))" "$PGDIR/server.log" >"$OUT/explain-log.txt"
python3 bench/scale/explain_summary.py "$OUT/explain-log.txt" >"$OUT/explain.txt"
echo "plans: $OUT/explain.txt ($(grep -c 'Query Text' "$OUT/explain.txt") statements; whole log part: explain-log.txt)"
fi

for phase in latency throughput; do
  [[ " $PHASES " == *" $phase "* ]] || continue
  "${BENCH[@]}" measure "http://127.0.0.1:$PORT" "$READER" "$TRAINER" "$REG_PID" "$PM_PID" "$PG_CS" "$phase" "$SECONDS_PER" | tee "$OUT/$phase.md"
  echo "machine after $phase: $(machine)" | tee -a "$OUT/machine.txt"
done
echo "results: $OUT"
if [ -n "${KEEP:-}" ]; then
  echo "kept: REUSE=$SVC_ROOT bash bench/scale/registry.sh $SIZE   (stop: SVC_ROOT=$SVC_ROOT bash scripts/testinfra/services.sh stop)"
fi
}
main "$@"
exit 0
