#!/usr/bin/env bash
# F5 without Docker: installs what is missing (Debian, as root: PostgreSQL, Node.js + the s3rver package,
# libgomp1), builds with progress, then runs the AppHost, which starts PostgreSQL and an S3 server as local
# processes (no container runtime answers here; LocalInfrastructure:Mode=processes forces it), the registry,
# two workers, two serving replicas and the Aspire dashboard. The topology is AppHost/AppHost.cs alone.
# The first start trains, promotes and serves the sample model; the console prints the dashboard's login
# link and, once a model is served, a prediction command. Ctrl-C stops every process. Data stays in
# .local/apphost/ (delete it to start afresh).
#
#   bash scripts/run-local.sh                          # Debug build, dashboard on http://localhost:15000
#   CONFIGURATION=Release bash scripts/run-local.sh
#   bash scripts/run-local.sh LocalInfrastructure:Mode=processes   # extra arguments go to the AppHost
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONFIGURATION=${CONFIGURATION:-Debug}
say() { printf '\033[1m[run-local]\033[0m %s\n' "$*"; }

say "checking prerequisites (installs PostgreSQL, Node.js + s3rver, libgomp1 when missing)"
bash scripts/install-prerequisites.sh
# A cold build restores every package first: show MSBuild's per-project progress instead of a silent wait.
say "building the AppHost and the services ($CONFIGURATION); the first build restores packages and takes a few minutes"
start=$(date +%s)
dotnet build AppHost/AppHost.csproj -c "$CONFIGURATION" --nologo -v minimal -clp:NoSummary
# The dashboard flags a missing trusted development certificate: create one and trust it for this process tree
# (OpenSSL on Linux reads the trust folder dotnet dev-certs writes only through SSL_CERT_DIR).
dotnet dev-certs https --trust >/dev/null 2>&1 || true
export SSL_CERT_DIR="$HOME/.aspnet/dev-certs/trust:${SSL_CERT_DIR:-/etc/ssl/certs}"
say "built in $(( $(date +%s) - start )) s; starting the AppHost (Ctrl-C stops everything)"
exec dotnet run --project AppHost --no-build -c "$CONFIGURATION" --launch-profile http -- "$@"
