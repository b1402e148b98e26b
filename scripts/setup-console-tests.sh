#!/usr/bin/env bash
# Installs what the console's browser tests (tests/console/, run by
# crates/petrel/tests/console_browser.rs) need, from package registries only:
#   Debian `chromium` (headless browser at /usr/bin/chromium), Node.js with npm,
#   Debian `fonts-noto-cjk` (so the Chinese pages' screenshots show characters, not boxes),
#   npm `playwright-core` (pinned in tests/console/package-lock.json; drives the system chromium,
#   never downloads a browser of its own).
# Idempotent: each block checks before it installs (a stamp holds the hash of the lock it
# installed from), so a second run takes a second.
# Usage: scripts/setup-console-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '==> [%3ss] %s\n' "$SECONDS" "$*" >&2; }
hash_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
if [ "${#need_apt[@]}" -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

dir="$root/tests/console"
stamp="$dir/node_modules/.petrel-lock.sha256"
want=$(hash_of "$dir/package.json" "$dir/package-lock.json" 2>/dev/null || true)
if [ ! -f "$dir/package-lock.json" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
   || [ ! -d "$dir/node_modules/playwright-core" ]; then
  if [ -f "$dir/package-lock.json" ]; then
    say "npm ci in $dir"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  else
    say "npm install in $dir (writes package-lock.json: commit it)"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error)
  fi
  hash_of "$dir/package.json" "$dir/package-lock.json" >"$stamp"
fi
say "console tests ready: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), playwright-core $(node -p "require('$dir/node_modules/playwright-core/package.json').version")"
