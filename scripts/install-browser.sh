#!/usr/bin/env bash
# Makes a Chromium available for the end-to-end test of the Temporal Web UI (driven by
# playwright-core from npm). Playwright's own browser download is never used: it fetches builds
# from hosts other than package registries. Tries, in order: $LESSON_FORGE_CHROMIUM, a chromium /
# chromium-browser / google-chrome on PATH, then Debian's `chromium` package through apt-get (as
# root). Idempotent. Prints the browser's path on stdout, what it did on stderr.
set -euo pipefail

say() { printf 'browser: %s\n' "$*" >&2; }

works() { [ -n "$1" ] && [ -x "$1" ] && "$1" --headless=new --no-sandbox --version >/dev/null 2>&1; }

find_browser() {
  if [ -n "${LESSON_FORGE_CHROMIUM:-}" ] && works "$LESSON_FORGE_CHROMIUM"; then
    echo "$LESSON_FORGE_CHROMIUM"
    return 0
  fi
  local name found
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if found="$(command -v "$name" 2>/dev/null)" && works "$found"; then
      echo "$found"
      return 0
    fi
  done
  return 1
}

if found="$(find_browser)"; then
  say "using $found ($("$found" --headless=new --no-sandbox --version 2>/dev/null | head -n1))"
  echo "$found"
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's chromium with apt-get (a few minutes) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
  if found="$(find_browser)"; then
    say "installed $found"
    echo "$found"
    exit 0
  fi
  say "apt-get installed chromium but no working browser was found on PATH"
  exit 1
fi

say "no Chromium found. Install one, then run this again:"
say "  sudo apt-get update && sudo apt-get install -y chromium     (Debian, Ubuntu: chromium-browser)"
say "or point LESSON_FORGE_CHROMIUM at a Chromium or Chrome executable."
exit 1
