#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs by itself everything the tests need, idempotently,
# caching under .cache/ (ignored by git). Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p .cache

step() { printf '\n==> %s\n' "$*"; }

step "install test dependencies"
bash scripts/setup-test-deps.sh redis-server
# The official RocketMQ SDKs the end-to-end tests drive (tests/clients/README.md).
bash scripts/setup-clients.sh
# The official Alibaba Cloud OpenAPI SDKs the management API tests drive (tests/openapi/).
bash scripts/setup-openapi-sdks.sh
# Debian's Chromium and npm playwright-core for the console's browser tests (tests/console/).
bash scripts/setup-console-tests.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

if [ -f fuzz/Cargo.toml ]; then
  step "build fuzz targets"
  CARGO_TARGET_DIR="$root/fuzz/target" cargo build --manifest-path fuzz/Cargo.toml --bins
fi

step "cargo test"
cargo test --workspace --locked --no-fail-fast
