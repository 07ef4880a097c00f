#!/usr/bin/env bash
# The one test command (README, .ci/run): starts a throwaway PostgreSQL and S3 server, runs every
# test project of MlOps.Ci.slnf against them, stops them. Exit code = the tests' exit code.
# Extra arguments go to `dotnet test` (e.g. --filter FullyQualifiedName~Registry).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export SVC_ROOT="${SVC_ROOT:-/tmp/mlops-test-services-$$}"
cleanup() { bash scripts/testinfra/services.sh stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
eval "$(bash scripts/testinfra/services.sh start)"
echo "test services: PostgreSQL $PG_CS  S3 $S3_ENDPOINT"
dotnet build MlOps.Ci.slnf -c Release --nologo -v quiet
dotnet test MlOps.Ci.slnf -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"
