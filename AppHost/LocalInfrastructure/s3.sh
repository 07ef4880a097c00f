#!/usr/bin/env bash
# An S3 server as a local process, for the AppHost when no container runtime answers (LocalS3.cs): s3rver
# behind scripts/testinfra/s3rver-ci.js (real SigV4 checks), in place of the MinIO container.
# env: S3_DATA (data folder), S3_PORT (given by the AppHost), S3_ACCESS_KEY, S3_SECRET_KEY (the minio
# user/password parameters).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v node >/dev/null || { echo "Node.js is not installed: run 'bash scripts/install-prerequisites.sh'" >&2; exit 1; }
NODE_DIR=${S3RVER_HOME:-$HOME/.cache/mlops-s3rver}
if [ ! -f "$NODE_DIR/node_modules/s3rver/package.json" ]; then
  echo "installing s3rver 3.7.1 into $NODE_DIR"
  mkdir -p "$NODE_DIR"; (cd "$NODE_DIR" && npm install --no-audit --no-fund --silent s3rver@3.7.1 >/dev/null)
fi
mkdir -p "$S3_DATA"
export NODE_PATH="$NODE_DIR/node_modules"
exec node "$ROOT/scripts/testinfra/s3rver-ci.js" --directory "$S3_DATA" --address 127.0.0.1 --port "$S3_PORT" \
  --access-key "$S3_ACCESS_KEY" --secret-key "$S3_SECRET_KEY" --verify-sigv4 --require-auth
