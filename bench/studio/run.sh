#!/usr/bin/env bash
# Studio at scale: the runs table's page load with 100,000 runs in one experiment. Starts its own PostgreSQL +
# S3 (scripts/testinfra/services.sh), Release builds of Registry.Api and Studio as separate processes, seeds the
# runs straight into PostgreSQL (params and latest metrics, as the registry stores them; seeding through the API
# would take minutes and is not what is measured), signs in to Studio with a reader key like a browser does
# (antiforgery token + protected cookie), then times full page loads (server render, HTML received) with curl.
# Not run in CI. Usage: bash bench/studio/run.sh [runs=100000] [repeats=5]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
RUNS=${1:-100000}
REPEATS=${2:-5}
export SVC_ROOT="${SVC_ROOT:-/tmp/svc-bench-studio-$$}"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  bash scripts/testinfra/services.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
eval "$(bash scripts/testinfra/services.sh start)"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

OUT="$SVC_ROOT/build"
dotnet build Registry.Api -c Release --nologo -v q -o "$OUT/api" >/dev/null
dotnet build Studio -c Release --nologo -v q -o "$OUT/studio" >/dev/null

REG_PORT=$(free_port); STUDIO_PORT=$(free_port)
READER="bench-reader-$$"; TRAINER="bench-trainer-$$"
ConnectionStrings__registrydb="$PG_CS" \
ConnectionStrings__minio="Endpoint=http://$S3_ENDPOINT;AccessKey=$S3_ACCESS_KEY;SecretKey=$S3_SECRET_KEY" \
Auth__Keys__Trainer="$TRAINER" Auth__Keys__Reader="$READER" Auth__Keys__Admin="admin-$$" \
ASPNETCORE_URLS="http://127.0.0.1:$REG_PORT" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  dotnet "$OUT/api/MlOps.Registry.Api.dll" >"$SVC_ROOT/registry.log" 2>&1 &
PIDS+=($!)
for i in $(seq 150); do curl -sf "http://127.0.0.1:$REG_PORT/health" >/dev/null && break; sleep 0.2; done
Registry__BaseAddress="http://127.0.0.1:$REG_PORT" \
ASPNETCORE_URLS="http://127.0.0.1:$STUDIO_PORT" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  dotnet "$OUT/studio/MlOps.Studio.dll" --contentRoot "$OUT/studio" >"$SVC_ROOT/studio.log" 2>&1 &
PIDS+=($!)
for i in $(seq 150); do curl -sf "http://127.0.0.1:$STUDIO_PORT/alive" >/dev/null && break; sleep 0.2; done

EXP=bench-100k
curl -sf -X POST "http://127.0.0.1:$REG_PORT/api/v1/experiments" -H "Authorization: Bearer $TRAINER" \
  -H 'Content-Type: application/json' -d "{\"name\":\"$EXP\"}" >/dev/null
PGPORT=$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$PG_CS")
psql_() { PGPASSWORD=app_pw "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U app -d appdb -q -v ON_ERROR_STOP=1 "$@"; }
start=$(date +%s.%N)
psql_ <<SQL
CREATE TEMP TABLE e AS SELECT id FROM experiments WHERE name = '$EXP';
INSERT INTO runs (id, experiment_id, name, status, started_at, ended_at)
  SELECT gen_random_uuid(), (SELECT id FROM e), 'run-' || g, 'finished', now() - g * interval '1 second', now() - g * interval '1 second' + interval '42 seconds'
  FROM generate_series(1, $RUNS) g;
INSERT INTO run_params (run_id, key, value) SELECT id, 'numberOfLeaves', (7 + floor(random() * 25))::int::text FROM runs;
INSERT INTO run_params (run_id, key, value) SELECT id, 'learningRate', (ARRAY['0.05','0.1','0.2'])[1 + floor(random() * 3)::int] FROM runs;
INSERT INTO run_params (run_id, key, value) SELECT id, 'dataset.name', 'credit_scoring' FROM runs;
INSERT INTO run_params (run_id, key, value) SELECT id, 'dataset.version', '1' FROM runs;
INSERT INTO run_tags (run_id, key, value) SELECT id, 'gate.decision', CASE WHEN random() < 0.1 THEN 'promoted' ELSE 'not-promoted' END FROM runs;
INSERT INTO latest_metrics (run_id, key, value, step, timestamp) SELECT id, 'auc', 0.7 + random() * 0.2, 0, now() FROM runs;
INSERT INTO latest_metrics (run_id, key, value, step, timestamp) SELECT id, 'log_loss', 0.4 + random() * 0.3, 0, now() FROM runs;
ANALYZE runs; ANALYZE run_params; ANALYZE run_tags; ANALYZE latest_metrics;
SQL
echo "seeded $RUNS runs (4 params, 1 tag, 2 metrics each) in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"

JAR="$SVC_ROOT/cookies"
S="http://127.0.0.1:$STUDIO_PORT"
TOKEN=$(curl -sf -c "$JAR" -b "$JAR" "$S/login" | sed -nE 's/.*name="__RequestVerificationToken" type="hidden" value="([^"]+)".*/\1/p; s/.*name="__RequestVerificationToken" value="([^"]+)".*/\1/p' | head -1)
curl -sf -o /dev/null -c "$JAR" -b "$JAR" -X POST "$S/session" --data-urlencode "key=$READER" --data-urlencode "returnUrl=/" --data-urlencode "__RequestVerificationToken=$TOKEN"
grep -q mlops_studio_key "$JAR" || { echo "sign-in failed"; cat "$SVC_ROOT/studio.log"; exit 1; }

# Median of REPEATS full loads (after one warm-up), and the rows the page holds.
measure() {
  local label=$1 path=$2 times=() t rows
  curl -sf -o /dev/null -b "$JAR" "$S$path"
  for i in $(seq "$REPEATS"); do times+=("$(curl -sf -o "$SVC_ROOT/page.html" -w '%{time_total}' -b "$JAR" "$S$path")"); done
  rows=$(grep -o 'data-run="' "$SVC_ROOT/page.html" | wc -l)
  t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (REPEATS + 1) / 2 ))p")
  printf '%-55s %6.0f ms  (%s rows, %s KB)\n' "$label" "$(python3 -c "print($t * 1000)")" "$rows" "$(( $(stat -c %s "$SVC_ROOT/page.html") / 1024 ))"
}
echo "machine: $(nproc) cores; runs table of '$EXP' ($RUNS runs), median of $REPEATS loads:"
Q() { python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$1"; }
measure "first page, 50 runs, newest first"                 "/experiments/$EXP"
measure "first page, 250 runs"                              "/experiments/$EXP?size=250"
measure "sorted by metric auc, descending"                  "/experiments/$EXP?sort=metric:auc&desc=true"
measure "filter metrics.auc > 0.89 and params.learningRate = '0.1'" "/experiments/$EXP?q=$(Q "metrics.auc > 0.89 and params.learningRate = '0.1'")"
measure "page 2 (token from page 1)"                        "/experiments/$EXP?page=$(curl -sf -b "$JAR" "$S/experiments/$EXP" | sed -nE 's/.*href="[^"]*page=([^"&]+)"[^>]*data-testid="next-page".*/\1/p' | head -1)"
measure "last page (the registry's offset token $((RUNS - 50)))" "/experiments/$EXP?page=$((RUNS - 50))"

# The registry's share: the same searches straight on the API (what Studio waits for), median of REPEATS.
api() {
  local label=$1 body=$2 times=() t
  for i in $(seq "$REPEATS"); do times+=("$(curl -sf -o /dev/null -w '%{time_total}' -X POST "http://127.0.0.1:$REG_PORT/api/v1/runs/search" \
    -H "Authorization: Bearer $READER" -H 'Content-Type: application/json' -d "$body")"); done
  t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (REPEATS + 1) / 2 ))p")
  printf '%-55s %6.0f ms\n' "registry alone: $label" "$(python3 -c "print($t * 1000)")"
}
api "first page, 50 runs"      "{\"experiments\":[\"$EXP\"],\"pageSize\":50}"
api "sorted by metric auc"     "{\"experiments\":[\"$EXP\"],\"pageSize\":50,\"orderBy\":{\"kind\":\"metric\",\"key\":\"auc\",\"descending\":true}}"
api "the filter above"         "{\"experiments\":[\"$EXP\"],\"pageSize\":50,\"filters\":[{\"kind\":\"metric\",\"key\":\"auc\",\"op\":\">\",\"value\":\"0.89\"},{\"kind\":\"param\",\"key\":\"learningRate\",\"op\":\"=\",\"value\":\"0.1\"}]}"
