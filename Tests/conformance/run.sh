#!/usr/bin/env bash
# Conformance of the emulator with real clients (MSAL Python, azure-identity).
#
# Creates or reuses a virtual environment at .venv/conformance (override: CONFORMANCE_VENV),
# installs msal and azure-identity, starts `s2s-doctor emulate --port 0` (binary override:
# S2S_DOCTOR_BIN), hands its JSON line to conformance.py with REQUESTS_CA_BUNDLE set to the
# emulator's CA, and stops the emulator on exit. Prints PASS/FAIL lines and `N passed, N failed`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${CONFORMANCE_VENV:-$ROOT/.venv/conformance}"
BIN="${S2S_DOCTOR_BIN:-$ROOT/.build/debug/s2s-doctor}"
PYTHON="${PYTHON:-python3}"

if [[ ! -x "$BIN" ]]; then
  echo "conformance: $BIN not found; build it first (swift build)" >&2
  exit 2
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    # Debian splits venv/ensurepip into python3-venv; install it when we may.
    if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
      echo "conformance: installing python3-venv" >&2
      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
  fi
fi
if ! "$VENV/bin/python" -c "import msal, azure.identity" 2>/dev/null; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check msal azure-identity
fi
"$VENV/bin/python" -c 'import msal, azure.identity, azure.core, requests, sys
print("conformance: msal", msal.__version__, "· azure-identity", azure.identity.__version__,
      "· azure-core", azure.core.__version__, "· requests", requests.__version__, file=sys.stderr)'

# Nothing from the caller's environment may steer the clients elsewhere (regional endpoints,
# IMDS, another authority or another trust store).
unset AZURE_REGIONAL_AUTHORITY_NAME REGION_NAME MSAL_FORCE_REGION AZURE_AUTHORITY_HOST \
  AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH \
  AZURE_CLIENT_CERTIFICATE_PASSWORD AZURE_FEDERATED_TOKEN_FILE MSI_ENDPOINT IDENTITY_ENDPOINT \
  HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy SSL_CERT_FILE
export NO_PROXY="127.0.0.1,localhost,::1" no_proxy="127.0.0.1,localhost,::1"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/s2s-conformance-XXXXXX")"
EMULATOR_PID=""
cleanup() {
  if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
    kill -TERM "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" emulate --port 0 --ca-file "$WORK/ca.pem" >"$WORK/stdout" 2>"$WORK/stderr" &
EMULATOR_PID=$!

# Wait for the one JSON line (the emulator generates its keys first).
for _ in $(seq 1 600); do
  if [[ -s "$WORK/stdout" ]] && [[ "$(tail -c 1 "$WORK/stdout" | od -An -c | tr -d ' ')" == '\n' ]]; then
    break
  fi
  if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
    echo "conformance: the emulator exited before it was ready:" >&2
    cat "$WORK/stderr" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  sleep 0.1
done
LINE="$(head -n 1 "$WORK/stdout")"
CA_FILE="$("$VENV/bin/python" -c 'import json,sys; print(json.loads(sys.stdin.readline())["caFile"])' <<<"$LINE")"

status=0
REQUESTS_CA_BUNDLE="$CA_FILE" CURL_CA_BUNDLE="$CA_FILE" EMULATOR_PID="$EMULATOR_PID" \
  "$VENV/bin/python" "$ROOT/Tests/conformance/conformance.py" <<<"$LINE" || status=$?

# conformance.py sent SIGTERM; the emulator must have exited with status 0.
if wait "$EMULATOR_PID"; then
  EMULATOR_PID=""
else
  code=$?
  EMULATOR_PID=""
  echo "conformance: the emulator exited with status $code after SIGTERM:" >&2
  tail -n 20 "$WORK/stderr" >&2
  status=1
fi
if [[ $status -ne 0 ]]; then
  echo "conformance: emulator log (last 20 lines):" >&2
  tail -n 20 "$WORK/stderr" >&2 || true
fi
exit "$status"
