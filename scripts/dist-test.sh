#!/usr/bin/env bash
# The shipped binary on a machine without the Swift toolchain: unpacks the `make dist`
# tarball, checks its SHA-256 sums, then — in a mount namespace where the toolchain's folder
# (and /usr/lib/swift, when present) is an empty directory — runs `--version`, `explain` and
# `check` against the emulator the shipped binary itself serves.
#
# Needs unprivileged user namespaces (`unshare -rm`). Where they are not allowed the test says
# so and checks the weaker property instead: no library the binary loads (ldd) comes from the
# toolchain's folder.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARBALL="$(ls -t dist/s2s-doctor-*.tar.gz 2>/dev/null | head -n 1 || true)"
[[ -n "$TARBALL" ]] || { echo "dist-test: no dist/s2s-doctor-*.tar.gz; run make dist first" >&2; exit 2; }
(cd dist && sha256sum --quiet -c "$(basename "$TARBALL").sha256")

WORK="$(mktemp -d "${TMPDIR:-/tmp}/s2s-dist-test-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
tar -C "$WORK" -xzf "$TARBALL"
PACKAGE="$(ls -d "$WORK"/s2s-doctor-*)"
(cd "$PACKAGE" && sha256sum --quiet -c SHA256SUMS)
for f in share/man/man1/s2s-doctor.1 share/bash-completion/completions/s2s-doctor \
  share/zsh/site-functions/_s2s-doctor share/fish/vendor_completions.d/s2s-doctor.fish; do
  [[ -s "$PACKAGE/$f" ]] || { echo "dist-test: FAIL $f missing or empty" >&2; exit 1; }
done
grep -Eq '^\.(TH|Dt) ' "$PACKAGE/share/man/man1/s2s-doctor.1" || { echo "dist-test: FAIL the man page has no title (.TH or .Dt)" >&2; exit 1; }

SWIFT="$(command -v swift || true)"
TOOLCHAIN=""
if [[ -n "$SWIFT" ]]; then
  # .../usr/bin/swift-driver -> the folder holding usr/
  TOOLCHAIN="$(dirname "$(dirname "$(dirname "$(readlink -f "$SWIFT")")")")"
fi
# The worked examples, copied away from the repository (a user's own folder of checks).
mkdir -p "$WORK/checks"
cp -R "$ROOT"/Checks/examples/. "$WORK/checks/"
export S2S_SHIPPED="$PACKAGE/bin/s2s-doctor" S2S_WORK="$WORK" S2S_TOOLCHAIN="$TOOLCHAIN"

cat >"$WORK/inside.sh" <<'INNER'
set -euo pipefail
BIN="$S2S_SHIPPED"
unset LD_LIBRARY_PATH
if [[ -n "$S2S_TOOLCHAIN" ]] && [[ -n "$(ls -A "$S2S_TOOLCHAIN" 2>/dev/null)" ]]; then
  echo "dist-test: FAIL the toolchain is still visible at $S2S_TOOLCHAIN" >&2; exit 1
fi
if command -v swift >/dev/null 2>&1; then echo "dist-test: FAIL swift still on PATH" >&2; exit 1; fi
"$BIN" --version
"$BIN" explain AADSTS7000215 >"$S2S_WORK/explain.txt" || { echo "dist-test: FAIL explain" >&2; exit 1; }
grep -q "entra.secret-invalid" "$S2S_WORK/explain.txt"
"$BIN" emulate --port 0 --ca-file "$S2S_WORK/ca.pem" >"$S2S_WORK/emulator.json" 2>"$S2S_WORK/emulator.log" &
EMULATOR=$!
trap 'kill -TERM $EMULATOR 2>/dev/null || true; wait $EMULATOR 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  [[ -s "$S2S_WORK/emulator.json" ]] && [[ "$(tail -c 1 "$S2S_WORK/emulator.json" | od -An -c | tr -d ' ')" == '\n' ]] && break
  sleep 0.1
done
python3 - "$S2S_WORK/emulator.json" >"$S2S_WORK/scenario" <<'PY'
import json, shlex, sys
ok = json.load(open(sys.argv[1]))["scenarios"]["ok"]
print(" ".join(shlex.quote(a) for a in ok["args"]))
print(ok["env"]["AZURE_CLIENT_SECRET"])
PY
ARGS="$(sed -n 1p "$S2S_WORK/scenario")"
AZURE_CLIENT_SECRET="$(sed -n 2p "$S2S_WORK/scenario")" eval "\"\$BIN\" check $ARGS" >"$S2S_WORK/check.txt"
grep -q "The registration works" "$S2S_WORK/check.txt" || { cat "$S2S_WORK/check.txt" >&2; exit 1; }
# The binary copied alone to another folder runs check folders given with --checks: nothing
# beside the binary (no Checks/, no share/) is needed to load and run them.
mkdir -p "$S2S_WORK/alone"
cp "$BIN" "$S2S_WORK/alone/s2s-doctor"
AZURE_CLIENT_SECRET="$(sed -n 2p "$S2S_WORK/scenario")" eval \
  "(cd \"$S2S_WORK\" && \"$S2S_WORK/alone/s2s-doctor\" check $ARGS --checks \"$S2S_WORK/checks\" --format json)" \
  >"$S2S_WORK/checks.json" || { echo "dist-test: FAIL check --checks with the binary alone" >&2; cat "$S2S_WORK/checks.json" >&2; exit 1; }
python3 - "$S2S_WORK/checks.json" <<'PY'
import json, sys
results = {r["check"]: r for r in json.load(open(sys.argv[1]))["results"]}
for check in ("partner.custom-api", "partner.odata-web-service"):
    status = results.get(check, {}).get("status")
    if status != "passed":
        sys.exit("dist-test: FAIL %s from --checks: %s" % (check, status))
print("dist-test: the binary alone ran %d checks, the 2 from --checks passed" % len(results))
PY
echo "dist-test: --version, explain, check and check --checks against the emulator ran without the toolchain"
INNER

if [[ -n "$TOOLCHAIN" ]] && unshare -rm true 2>/dev/null; then
  mkdir -p "$WORK/empty"
  HIDE="mount --bind \"$WORK/empty\" \"$TOOLCHAIN\""
  [[ -d /usr/lib/swift ]] && HIDE="$HIDE && mount --bind \"$WORK/empty\" /usr/lib/swift"
  PATH="/usr/local/bin:/usr/bin:/bin" unshare -rm bash -c "$HIDE && bash \"$WORK/inside.sh\""
  echo "dist-test: PASS (toolchain folder $TOOLCHAIN hidden in a mount namespace)"
else
  echo "dist-test: unprivileged mount namespaces are not available here; checking ldd instead" >&2
  if [[ -n "$TOOLCHAIN" ]] && ldd "$S2S_SHIPPED" | grep -F "$TOOLCHAIN"; then
    echo "dist-test: FAIL the binary loads libraries from the toolchain" >&2; exit 1
  fi
  PATH="/usr/local/bin:/usr/bin:/bin" S2S_TOOLCHAIN="" bash "$WORK/inside.sh"
  echo "dist-test: PASS (weaker: ldd shows no toolchain library; the toolchain was not hidden)"
fi
