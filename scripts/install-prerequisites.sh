#!/usr/bin/env bash
# Installs, as root on Debian 12, what building, testing and running locally need besides the .NET 10
# SDK: PostgreSQL server, Node.js + npm (for the S3 test server), libgomp1 (LightGBM's native lib),
# curl, Prometheus (prometheus + promtool, for the monitoring tests), chromium (the browser tests of Studio and
# the dashboard, driven headless by Playwright's NuGet-shipped driver: no browser download), and the npm s3rver
# package. Safe to run again; does nothing when all is there.
set -euo pipefail
need=()
[ -x "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)/initdb" ] || need+=(postgresql)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
ldconfig -p | grep -q libgomp.so.1 || need+=(libgomp1)
[ -x /usr/bin/chromium ] || need+=(chromium)
if ((${#need[@]})); then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
# Prometheus (promtool checks the alert rules; the monitoring test runs its own server on loopback). Without
# recommends (node-exporter), and the package's own service not started: policy-rc.d exit 101 = "not now".
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  policy=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=true; fi
  ((${#need[@]})) || apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus
  if $policy; then rm -f /usr/sbin/policy-rc.d; fi
fi
NODE_DIR=${S3RVER_HOME:-$HOME/.cache/mlops-s3rver}
if [ ! -f "$NODE_DIR/node_modules/s3rver/package.json" ]; then
  mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --silent s3rver@3.7.1 >/dev/null)
fi
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
echo "prerequisites ok"
