#!/usr/bin/env bash
# Takes the README screenshot of the HTML report (the golden run with one check of each status)
# with headless Chromium: docs/report.png. Installs chromium with apt-get when it is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HTML="Tests/S2SDoctorReportsTests/Snapshots/every-status.html"
OUT="${1:-docs/report.png}"
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
mkdir -p "$(dirname "$OUT")"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --screenshot="$OUT" --window-size=1200,1400 "file://$ROOT/$HTML" 2>/dev/null
echo "wrote $OUT"
