#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain, once; later runs find it cached
# under .cache/. Each block checks before it installs, so the script is safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

# The Rust components the checks use (rust-toolchain.toml pins the toolchain).
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^${component}" \
    || rustup component add "$component"
done
