#!/usr/bin/env bash
# Writes the git-ignored .<resource>.secrets env files that base/*/kustomization.yaml's secretGenerators
# read, from the committed <resource>.secrets.example templates. Every ${NAME} they use (the AppHost's
# secret parameters, e.g. REGISTRY_ADMIN_KEY, plus the generated POSTGRES_PASSWORD) is taken from the
# environment when set, otherwise generated once; the same value lands in every file that needs it (e.g.
# the trainer key in registry-api and training-worker). Letters and digits only, so nothing needs escaping
# in a URI or header.
# Usage: bash deploy/k8s/generate-secrets.sh [--force] [k8s-dir]
set -euo pipefail
force=false; [ "${1:-}" = "--force" ] && { force=true; shift; }
DIR=${1:-"$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"}
gen() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1" || true; }
: "${POSTGRES_PASSWORD:=$(gen 32)}" "${MINIO_USER:=$(gen 16)}" "${MINIO_PASSWORD:=$(gen 32)}"
: "${REGISTRY_ADMIN_KEY:=$(gen 32)}" "${REGISTRY_TRAINER_KEY:=$(gen 32)}" "${REGISTRY_READER_KEY:=$(gen 32)}"
# Any other ${NAME} in a template (a secret parameter added to the AppHost later): 32 characters.
mapfile -t names < <(find "$DIR" -name '*.secrets.example' -exec grep -oh '\${[A-Z0-9_]*}' {} + | tr -d '${}' | sort -u)
for n in "${names[@]}"; do [ -n "${!n:-}" ] || printf -v "$n" '%s' "$(gen 32)"; done
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
