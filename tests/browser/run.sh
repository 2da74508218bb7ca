#!/usr/bin/env bash
# Runs the browser tests of the network explorer page in headless Debian Chromium.
#
# Expects LKN_URL (e.g. http://127.0.0.1:PORT) of a running lkn-api, set by the caller (a Rust test or .ci/run),
# with demo data seeded (`lkn-api seed demo --threads N`) so there are public threads and collaborations.
# Optional: CHROMIUM (default /usr/bin/chromium), LKN_ARTIFACTS_DIR (default <repo>/target/browser-artifacts).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if [[ -z "${LKN_URL:-}" ]]; then
  echo "run.sh: LKN_URL is not set (the URL of a running lkn-api, e.g. http://127.0.0.1:8080)" >&2
  exit 2
fi

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
  if [[ "$CHROMIUM" != /usr/bin/chromium ]]; then
    echo "run.sh: CHROMIUM=$CHROMIUM is not an executable" >&2
    exit 2
  fi
  echo "run.sh: installing chromium from apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y chromium
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "run.sh: installing nodejs and npm from apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y nodejs npm
fi

# playwright-core never downloads a browser; this only makes sure nothing else tries to.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund

export LKN_ARTIFACTS_DIR="${LKN_ARTIFACTS_DIR:-$(cd "$here/../.." && pwd)/target/browser-artifacts}"
mkdir -p "$LKN_ARTIFACTS_DIR"

exec node --test explorer.test.mjs
