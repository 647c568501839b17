#!/bin/sh
# serve_deps.sh — installs what the browser test of `labelaudit serve` needs
# beyond Debian packages: playwright-core and axe-core from npm (pinned by
# package-lock.json). It drives Debian's /usr/bin/chromium; no browser is
# ever downloaded. Called by `make test-deps`.
set -e
cd "$(dirname "$0")"
command -v npm >/dev/null 2>&1 || sh ../../tools/deps.sh npm
if [ -f node_modules/playwright-core/package.json ] && [ -f node_modules/axe-core/package.json ]; then
    echo "serve_deps: playwright-core and axe-core present"
    exit 0
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
