#!/usr/bin/env bash
# Regenerates deploy/k8s/base from aspire-manifest.json: aspirate (Aspir8) v9.1.0 generate, run at the
# repository root (it resolves the manifest's project paths against the current directory), into a
# temporary folder; then apply-edits.py applies the deliberate edits listed in docs/deployment.md.
# Every secret parameter is handed to aspirate as the placeholder @@NAME@@, so its output holds no
# generated value and the edits can tell which env values are built from secrets.
# aspirate reads deploy/aspirate/aspirate.json (-p: registry, repository prefix, tags) and, with
# --disable-state, neither reads nor writes aspirate-state.json.
# Usage: bash deploy/aspirate/regenerate.sh   (ASPIRATE="dotnet /path/aspirate.dll" when not on PATH)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
read -r -a aspirate <<< "${ASPIRATE:-aspirate}"
raw=$(mktemp -d); trap 'rm -rf "$raw"' EXIT

params=()
while IFS= read -r p; do
  params+=(--parameter "$p=@@$(tr 'a-z-' 'A-Z_' <<< "$p")@@")
done < <(python3 -c '
import json
for name, r in json.load(open("aspire-manifest.json"))["resources"].items():
    if r.get("type") == "parameter.v0" and any(i.get("secret") for i in r.get("inputs", {}).values()):
        print(name)')

set -x
"${aspirate[@]}" generate --non-interactive --disable-state --disable-secrets \
  -p deploy/aspirate -m aspire-manifest.json -o "$raw" --output-format kustomize \
  --include-dashboard false --skip-build --image-pull-policy IfNotPresent "${params[@]}"
python3 deploy/aspirate/apply-edits.py aspire-manifest.json "$raw" deploy/k8s/base
