#!/usr/bin/env bash
# make bench: builds the release binary, prepares a Python venv with MSAL, runs bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
# The shipped build: make release (static Swift runtime, no exported symbols).
mkdir -p .build-release
if ! make -s release >.build-release/bench-build.log 2>&1; then
  cat .build-release/bench-build.log
  exit 1
fi
# The cold-start baseline: a Swift "hello world" built the same way (make release's flags).
# shellcheck disable=SC2046
if ! swift build $(make -s release-flags) --package-path bench/hello --scratch-path .build-release/hello \
  >.build-release/hello-build.log 2>&1; then
  cat .build-release/hello-build.log
  exit 1
fi
VENV=.venv/bench
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check msal requests
fi
exec "$VENV/bin/python" bench/bench.py --bin .build-release/release/s2s-doctor --hello .build-release/hello/release/hello \
  --python "$VENV/bin/python" "$@"
