#!/usr/bin/env bash
# One-time set-up, safe to run again: npm dependencies (if missing) and the temporal CLI.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -d node_modules/@temporalio/worker ] || [ ! -d node_modules/tsx ]; then
  echo "setup: installing npm dependencies ..." >&2
  npm install --no-fund --no-audit --loglevel=error
fi
bash scripts/install-temporal.sh
# The installed command (`npm link`) runs compiled JavaScript; npm install builds it, this covers a clone installed otherwise.
if [ ! -f dist/cli.js ]; then
  echo "setup: compiling the command into dist/ ..." >&2
  npm run -s build || echo "setup: compiling failed; bin/lesson-forge will run the sources with tsx" >&2
fi
