#!/usr/bin/env bash
# make bench: builds the release binary, prepares a Python venv with MSAL, runs bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --scratch-path .build-release --product s2s-doctor >/dev/null
VENV=.venv/bench
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check msal requests
fi
exec "$VENV/bin/python" bench/bench.py --bin .build-release/release/s2s-doctor --python "$VENV/bin/python" "$@"
