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
