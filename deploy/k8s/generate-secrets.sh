#!/usr/bin/env bash
# Writes the git-ignored .<resource>.secrets env files that base/*/kustomization.yaml's secretGenerators
# read, from the committed <resource>.secrets.example templates. The five secrets (the AppHost's secret
# parameters plus the generated postgres password) are taken from the environment when set, otherwise
# generated once; the same value lands in every file that needs it (e.g. the trainer key in
# registry-api and training-worker). Letters and digits only, so nothing needs escaping in a URI or header.
# Usage: bash deploy/k8s/generate-secrets.sh [--force] [k8s-dir]
set -euo pipefail
force=false; [ "${1:-}" = "--force" ] && { force=true; shift; }
DIR=${1:-"$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"}
gen() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1" || true; }
: "${POSTGRES_PASSWORD:=$(gen 32)}" "${MINIO_USER:=$(gen 16)}" "${MINIO_PASSWORD:=$(gen 32)}"
: "${REGISTRY_ADMIN_KEY:=$(gen 32)}" "${REGISTRY_TRAINER_KEY:=$(gen 32)}" "${REGISTRY_READER_KEY:=$(gen 32)}"
names=(POSTGRES_PASSWORD MINIO_USER MINIO_PASSWORD REGISTRY_ADMIN_KEY REGISTRY_TRAINER_KEY REGISTRY_READER_KEY)
while IFS= read -r -d '' example; do
  resource=$(basename "$example" .secrets.example)
  out="$(dirname "$example")/.$resource.secrets"
  if [ -e "$out" ] && ! $force; then echo "kept    $out (use --force to replace)"; continue; fi
  : > "$out"; chmod 600 "$out"
  while IFS= read -r line || [ -n "$line" ]; do
    for n in "${names[@]}"; do line=${line//"\${$n}"/${!n}}; done
    printf '%s\n' "$line" >> "$out"
  done < "$example"
  echo "written $out"
done < <(find "$DIR" -name '*.secrets.example' -print0 | sort -z)
