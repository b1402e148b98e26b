#!/usr/bin/env bash
# Installs the official RocketMQ 5 client SDKs that the end-to-end tests drive against a running
# `petrel serve`, and builds the client programs of tests/clients/ (see tests/clients/README.md):
#   Python  rocketmq-python-client 5.1.2  -> .cache/venv (pins: tests/clients/python/requirements.txt)
#   Node.js rocketmq-client-nodejs 1.0.8  -> tests/clients/node/node_modules (npm ci from the lock)
#   Rust    rocketmq 5.0.0 (crates.io)    -> .cache/rust-client-target/release/rocketmq-e2e-client
# Only the package registries are used. Each block checks before it installs (a stamp holds the
# hash of the pin file it installed from), so a second run takes seconds.
# Usage: scripts/setup-clients.sh [--print-paths]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cache="$root/.cache"
mkdir -p "$cache"

say() { printf '==> [%3ss] %s\n' "$SECONDS" "$*" >&2; }
hash_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# --- Debian packages: a C compiler (the crate's `ring` builds C) and Node.js with npm. The crate
# ships its generated protobuf code, so no protoc is needed (its build.rs runs protoc only when
# BUILD_PROTO is set).
need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ "${#need_apt[@]}" -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

# --- Python SDK in a venv, exactly the pinned set.
venv="$cache/venv"
req="$root/tests/clients/python/requirements.txt"
want=$(hash_of "$req")
if [ "$(cat "$venv/.petrel-requirements.sha256" 2>/dev/null)" != "$want" ] \
   || ! "$venv/bin/python" -c 'import rocketmq' >/dev/null 2>&1; then
  say "python: installing $(grep -m1 '^rocketmq-python-client==' "$req") into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
  echo "$want" >"$venv/.petrel-requirements.sha256"
fi

# --- Node.js SDK from the committed package-lock.json.
node_dir="$root/tests/clients/node"
stamp="$node_dir/node_modules/.petrel-lock.sha256"
want=$(hash_of "$node_dir/package.json" "$node_dir/package-lock.json" 2>/dev/null || true)
if [ ! -f "$node_dir/package-lock.json" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
   || [ ! -d "$node_dir/node_modules/rocketmq-client-nodejs" ]; then
  if [ -f "$node_dir/package-lock.json" ]; then
    say "node: npm ci in $node_dir"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  else
    say "node: npm install in $node_dir (writes package-lock.json: commit it)"
    (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
  hash_of "$node_dir/package.json" "$node_dir/package-lock.json" >"$stamp"
fi

# --- Rust client program (its own [workspace] and Cargo.lock; --locked keeps the pins).
# cargo itself decides whether anything needs rebuilding; an up-to-date build takes ~1 s.
export CARGO_TARGET_DIR="$cache/rust-client-target"
rust_bin="$CARGO_TARGET_DIR/release/rocketmq-e2e-client"
if [ -f "$root/tests/clients/rust/Cargo.lock" ]; then lock=--locked; else lock=; fi
say "rust: cargo build --release tests/clients/rust"
cargo build --release --quiet $lock --manifest-path "$root/tests/clients/rust/Cargo.toml"

say "clients ready"
if [ "${1:-}" = "--print-paths" ]; then
  echo "python: $venv/bin/python $root/tests/clients/python/client.py"
  echo "node:   node $node_dir/client.mjs"
  echo "rust:   $rust_bin"
fi
