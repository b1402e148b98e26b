#!/usr/bin/env bash
# Installs the official Alibaba Cloud Python SDKs that the management-API tests
# (crates/petrel/tests/openapi_sdk.rs, tests/openapi/*.py) drive against a running `petrel serve`:
#   alibabacloud-ram20150501 1.3.0, -resourcemanager20200331 2.6.2, -rocketmq20220801 5.1.0,
#   -ons20190214 3.0.0, -sts20150401 1.2.0 (tea-openapi 0.4.6) -> .cache/venv-openapi
# Pins: tests/openapi/requirements.txt. Only PyPI is used. A stamp holds the hash of the pin file
# the venv was installed from, so a second run with unchanged pins takes under a second.
# Usage: scripts/setup-openapi-sdks.sh [--print-python]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.cache/venv-openapi"
req="$root/tests/openapi/requirements.txt"
stamp="$venv/.petrel-requirements.sha256"
mkdir -p "$root/.cache"

say() { printf '==> [%3ss] %s\n' "$SECONDS" "$*" >&2; }

want=$(sha256sum "$req" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
   || ! "$venv/bin/python" -c 'import alibabacloud_ram20150501, alibabacloud_rocketmq20220801, alibabacloud_resourcemanager20200331, alibabacloud_ons20190214, alibabacloud_sts20150401' >/dev/null 2>&1; then
  command -v python3 >/dev/null 2>&1 || {
    say "apt-get install python3 python3-venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv
  }
  say "installing the Alibaba Cloud SDKs into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
  echo "$want" >"$stamp"
fi
say "openapi sdks ready"
if [ "${1:-}" = "--print-python" ]; then
  echo "$venv/bin/python"
fi
