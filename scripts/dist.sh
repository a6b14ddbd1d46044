#!/usr/bin/env bash
# make dist: the tarball to ship. Needs the release binary (`make release`).
#
#   dist/s2s-doctor-VERSION-linux-ARCH.tar.gz         bin/s2s-doctor, the man page, bash/zsh/fish
#   dist/s2s-doctor-VERSION-linux-ARCH.tar.gz.sha256  completions, README.md, SECURITY.md and
#                                                     SHA256SUMS (one line per file inside)
#
# The man page comes from argument-parser's generate-manual plugin (built in debug mode: the
# help text is the same); when the plugin cannot run, from the binary's own --help output.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${S2S_RELEASE_BIN:-.build-release/release/s2s-doctor}"
[[ -x "$BIN" ]] || { echo "dist: $BIN not found; run make release first" >&2; exit 2; }

VERSION="$("$BIN" --version)"
NAME="s2s-doctor-$VERSION-linux-$(uname -m)"
STAGE="dist/$NAME"
rm -rf "$STAGE" "dist/$NAME.tar.gz" "dist/$NAME.tar.gz.sha256"
umask 022
mkdir -p "$STAGE/bin" "$STAGE/share/man/man1" "$STAGE/share/bash-completion/completions" \
  "$STAGE/share/zsh/site-functions" "$STAGE/share/fish/vendor_completions.d"

install -m 0755 "$BIN" "$STAGE/bin/s2s-doctor"
"$BIN" --generate-completion-script bash >"$STAGE/share/bash-completion/completions/s2s-doctor"
"$BIN" --generate-completion-script zsh >"$STAGE/share/zsh/site-functions/_s2s-doctor"
"$BIN" --generate-completion-script fish >"$STAGE/share/fish/vendor_completions.d/s2s-doctor.fish"

MAN="$STAGE/share/man/man1/s2s-doctor.1"
MAN_WORK="$(mktemp -d "${TMPDIR:-/tmp}/s2s-man-XXXXXX")"
trap 'rm -rf "$MAN_WORK"' EXIT
if swift package --allow-writing-to-directory "$MAN_WORK" generate-manual --configuration debug \
  --output-directory "$MAN_WORK" >"$MAN_WORK/log" 2>&1 && [[ -s "$MAN_WORK/s2s-doctor.1" ]]; then
  install -m 0644 "$MAN_WORK/s2s-doctor.1" "$MAN"
else
  echo "dist: generate-manual did not run ($(tail -n 1 "$MAN_WORK/log")); the man page is made from --help" >&2
  {
    echo ".TH S2S-DOCTOR 1 \"$(date -u +%Y-%m-%d)\" \"s2s-doctor $VERSION\""
    echo ".SH NAME"
    echo "s2s-doctor \\- set up and diagnose Business Central service-to-service authentication"
    for command in "" $("$BIN" --help | awk '/^SUBCOMMANDS:/{on=1;next} on && /^  [a-z]/{print $1}'); do
      echo ".SH ${command:+${command^^} }HELP"
      echo ".nf"
      "$BIN" ${command:+$command} --help | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./'
      echo ".fi"
    done
  } >"$MAN"
  chmod 0644 "$MAN"
fi
install -m 0644 README.md SECURITY.md "$STAGE/"

(cd "$STAGE" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
tar -C dist --owner=0 --group=0 --numeric-owner -czf "dist/$NAME.tar.gz" "$NAME"
(cd dist && sha256sum "$NAME.tar.gz" >"$NAME.tar.gz.sha256")
echo "dist/$NAME.tar.gz"
