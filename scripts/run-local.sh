#!/usr/bin/env bash
# MlOps without Docker: PostgreSQL and an S3 server (scripts/testinfra/services.sh), then Registry.Api,
# Training.Worker and Serving.Api on loopback ports with the configuration keys the AppHost injects
# (docs/conventions.md). Uploads the sample dataset, submits the sample job through the registry API,
# waits for the model's alias to be set, prints a prediction from serving, then keeps everything running
# until Ctrl-C and stops it all (services, PostgreSQL, S3 and their data).
#
#   bash scripts/run-local.sh                 # sample job: samples/jobs/credit_scoring.binary.json
#   MLOPS_SPEC=samples/jobs/x.json MLOPS_DATASET=samples/datasets/x.csv bash scripts/run-local.sh
#   MLOPS_EXIT_AFTER_PREDICTION=1 bash scripts/run-local.sh   # stop after the prediction (smoke run)
#   MLOPS_BOOTSTRAP=1 MLOPS_WORKERS=2 bash scripts/run-local.sh  # as the AppHost: 2 workers, which submit the job
# Ports: REGISTRY_PORT/WORKER_PORT/SERVING_PORT (default 5100/5101/5102; a free port when taken).
# Logs: .local/run/*.log. Needs the .NET 10 SDK; PostgreSQL, node+npm (S3 server), python3, curl and
# libgomp1 are installed by scripts/install-prerequisites.sh when missing (Debian, as root).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="python3 $ROOT/scripts/local/mlops.py"
SPEC=${MLOPS_SPEC:-samples/jobs/credit_scoring.binary.json}
DATASET=${MLOPS_DATASET:-samples/datasets/credit_scoring.csv}
CONFIGURATION=${CONFIGURATION:-Release}
LOGS="$ROOT/.local/run"
export SVC_ROOT=${SVC_ROOT:-/tmp/mlops-local-$$}
[ -f "$SPEC" ] || { echo "job spec $SPEC not found (set MLOPS_SPEC)" >&2; exit 2; }
[ -f "$DATASET" ] || { echo "dataset $DATASET not found (set MLOPS_DATASET)" >&2; exit 2; }
bash scripts/install-prerequisites.sh >/dev/null

say() { printf '\033[1m[run-local]\033[0m %s\n' "$*"; }
key() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true; }
port() { # the default when free, else any free loopback port
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Kestrel: a port in TIME_WAIT is free
try: s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError: s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

pids=()
stopping=false
cleanup() {
  $stopping && return; stopping=true
  trap - INT TERM
  # Ctrl-C also ends a pipe reader (`| tee`): a message to a closed stdout must not abort the cleanup.
  trap '' PIPE
  say "stopping" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=false; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=true; done
    $alive || break; sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  bash scripts/testinfra/services.sh stop >/dev/null 2>&1 || true
  say "stopped" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

MODEL=$($PY spec "$SPEC" register.model)
ALIAS=$($PY spec "$SPEC" register.alias production)
DATASET_NAME=$($PY spec "$SPEC" dataset.name)
LABEL=$($PY spec "$SPEC" label)
[ -n "$MODEL" ] && [ -n "$DATASET_NAME" ] || { echo "$SPEC needs dataset.name and register.model" >&2; exit 2; }

ADMIN_KEY=${MLOPS_ADMIN_KEY:-$(key)} TRAINER_KEY=${MLOPS_TRAINER_KEY:-$(key)} READER_KEY=${MLOPS_READER_KEY:-$(key)}
REGISTRY_PORT=$(port "${REGISTRY_PORT:-5100}") WORKER_PORT=$(port "${WORKER_PORT:-5101}") SERVING_PORT=$(port "${SERVING_PORT:-5102}")
REGISTRY="http://127.0.0.1:$REGISTRY_PORT" WORKER="http://127.0.0.1:$WORKER_PORT" SERVING="http://127.0.0.1:$SERVING_PORT"

say "starting PostgreSQL and the S3 server (SVC_ROOT=$SVC_ROOT)"
eval "$(bash scripts/testinfra/services.sh start)"

say "building the services ($CONFIGURATION)"
for p in Registry.Api Training.Worker Serving.Api; do
  dotnet build "$p/$p.csproj" -c "$CONFIGURATION" --nologo -v quiet -clp:ErrorsOnly >/dev/null
done
mkdir -p "$LOGS"

start() { # name project url env...: runs the built dll from its output folder (its content root)
  local name=$1 project=$2 url=$3; shift 3
  local out="$ROOT/$project/bin/$CONFIGURATION/net10.0"
  (cd "$out" && exec env ASPNETCORE_URLS="$url" OTEL_SERVICE_NAME="$name" "$@" dotnet "MlOps.$project.dll") >"$LOGS/$name.log" 2>&1 &
  pids+=($!)
  say "$name on $url (log: .local/run/$name.log)"
}
wait_for() { # url what seconds [key]
  local deadline=$((SECONDS + $3)) auth=()
  [ -n "${4:-}" ] && auth=(-H "Authorization: Bearer $4")
  until curl -fsS -o /dev/null "${auth[@]}" "$1" 2>/dev/null; do
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "a service exited; see $LOGS" >&2; tail -n 20 "$LOGS"/*.log >&2; exit 1; }; done
    ((SECONDS < deadline)) || { echo "timed out waiting for $2 ($1)" >&2; exit 1; }
    sleep 1
  done
}

start registry-api Registry.Api "$REGISTRY" \
  ConnectionStrings__registrydb="$PG_CS" \
  ConnectionStrings__minio="Endpoint=http://$S3_ENDPOINT;AccessKey=$S3_ACCESS_KEY;SecretKey=$S3_SECRET_KEY" \
  Auth__Keys__Admin="$ADMIN_KEY" Auth__Keys__Trainer="$TRAINER_KEY" Auth__Keys__Reader="$READER_KEY"
wait_for "$REGISTRY/health" "registry-api health" 120

# MLOPS_BOOTSTRAP=1: what F5 in the AppHost does instead of the curl calls below: the workers get the
# Worker__Bootstrap__* keys and submit the sample job themselves (idempotently, however many there are).
bootstrap=()
[ -n "${MLOPS_BOOTSTRAP:-}" ] && bootstrap=(Worker__Bootstrap__DatasetName="$DATASET_NAME"
  Worker__Bootstrap__DatasetPath="$ROOT/$DATASET" Worker__Bootstrap__SpecPath="$ROOT/$SPEC")
for i in $(seq "${MLOPS_WORKERS:-1}"); do # MLOPS_WORKERS=2: the AppHost's replica count
  url=$WORKER; ((i == 1)) || url="http://127.0.0.1:$(port 0)"
  start "training-worker$( ((i == 1)) || echo "-$i")" Training.Worker "$url" \
    services__registry-api__http__0="$REGISTRY" Registry__ApiKey="$TRAINER_KEY" "${bootstrap[@]}"
  wait_for "$url/alive" "training-worker $i" 60
done
start serving-api Serving.Api "$SERVING" \
  services__registry-api__http__0="$REGISTRY" Registry__ApiKey="$READER_KEY" \
  Serving__Models__0__Name="$MODEL" Serving__Models__0__Alias="$ALIAS"
wait_for "$SERVING/alive" "serving-api" 60

if [ -n "${MLOPS_BOOTSTRAP:-}" ]; then
  say "the workers submit $SPEC themselves; waiting for $MODEL@$ALIAS (timeout ${MLOPS_TRAIN_TIMEOUT:-900} s)"
  wait_for "$REGISTRY/api/v1/models/$MODEL/aliases/$ALIAS" "alias $MODEL@$ALIAS" "${MLOPS_TRAIN_TIMEOUT:-900}" "$READER_KEY"
else
  say "uploading $DATASET as dataset '$DATASET_NAME'"
  curl -fsS -X PUT -H "Authorization: Bearer $TRAINER_KEY" -H "Content-Type: text/csv" \
    --data-binary "@$DATASET" "$REGISTRY/api/v1/datasets/$DATASET_NAME" \
    | $PY get version | sed "s/^/[run-local] dataset version: /"

  say "submitting $SPEC"
  job=$($PY submit "$SPEC" "run-local-$(sha256sum "$SPEC" | cut -c1-16)" \
    | curl -fsS -X POST -H "Authorization: Bearer $TRAINER_KEY" -H "Content-Type: application/json" --data-binary @- "$REGISTRY/api/v1/jobs")
  JOB_ID=$(echo "$job" | $PY get id)
  say "job $JOB_ID queued; training (timeout ${MLOPS_TRAIN_TIMEOUT:-900} s)"
  started=$SECONDS last=""
  while :; do
    job=$(curl -fsS -H "Authorization: Bearer $READER_KEY" "$REGISTRY/api/v1/jobs/$JOB_ID")
    status=$(echo "$job" | $PY get status)
    [ "$status" != "$last" ] && say "job $status after $((SECONDS - started)) s" && last=$status
    case $status in
      completed) break ;;
      failed) echo "job failed: $(echo "$job" | $PY get error)" >&2; exit 1 ;;
    esac
    ((SECONDS - started < ${MLOPS_TRAIN_TIMEOUT:-900})) || { echo "training timed out" >&2; exit 1; }
    sleep 2
  done
  say "model $MODEL version $(echo "$job" | $PY get modelVersion), promoted: $(echo "$job" | $PY get promoted)"
fi
wait_for "$REGISTRY/api/v1/models/$MODEL/aliases/$ALIAS" "alias $MODEL@$ALIAS" 60 "$READER_KEY"
say "$MODEL@$ALIAS -> version $(curl -fsS -H "Authorization: Bearer $READER_KEY" "$REGISTRY/api/v1/models/$MODEL/aliases/$ALIAS" | $PY get version)"
wait_for "$SERVING/health" "serving-api to load the model" 180

say "prediction for the first 2 rows of $DATASET (label '$LABEL' left out):"
$PY predict "$DATASET" "$LABEL" 2 \
  | curl -fsS -X POST -H "Content-Type: application/json" --data-binary @- "$SERVING/v1/models/$MODEL/predict" | $PY pretty

cat <<INFO

  registry-api     $REGISTRY   (OpenAPI: $REGISTRY/openapi/v1.json)
  training-worker  $WORKER
  serving-api      $SERVING   (POST /v1/models/$MODEL/predict, /metrics)
  API keys         admin=$ADMIN_KEY
                   trainer=$TRAINER_KEY reader=$READER_KEY

INFO
[ -n "${MLOPS_EXIT_AFTER_PREDICTION:-}" ] && exit 0
say "running; Ctrl-C stops everything"
wait -n "${pids[@]}" || true
echo "a service exited; see $LOGS" >&2
exit 1
