#!/usr/bin/env bash
# The one test command (README, .ci/run): starts a throwaway PostgreSQL and S3 server, runs every
# test project of MlOps.Ci.slnf against them, stops them. Exit code = the tests' exit code.
# Extra arguments go to `dotnet test` (e.g. --filter FullyQualifiedName~Registry).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-prerequisites.sh
export SVC_ROOT="${SVC_ROOT:-/tmp/mlops-test-services-$$}"
cleanup() { bash scripts/testinfra/services.sh stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
eval "$(bash scripts/testinfra/services.sh start)"
# In-process hosts and the end-to-end processes log warnings and our own information only: a failing test
# still shows what went wrong, without every SQL statement of a passing run.
export Logging__LogLevel__Default=Warning Logging__LogLevel__MlOps=Information
echo "test services: PostgreSQL $PG_CS  S3 $S3_ENDPOINT"
dotnet build MlOps.Ci.slnf -c Release --nologo -v quiet
RESULTS="$ROOT/TestResults"; rm -rf "$RESULTS"
status=0
dotnet test MlOps.Ci.slnf -c Release --no-build --nologo --results-directory "$RESULTS" \
  --logger "console;verbosity=normal" --logger trx "$@" || status=$?
# One closing line over every test assembly: "tests: N passed, N failed, N skipped".
python3 scripts/summarize-trx.py "$RESULTS" || status=1
exit $status
