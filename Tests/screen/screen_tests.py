#!/usr/bin/env python3
"""Terminal screen tests: s2s-doctor on a real terminal (tmux), at 60, 80 and 120 columns.

Run by `make test` after the Swift tests (not inside `swift test`: a tmux server started from
the test process outlived it and hung the run). Everything runs on a private tmux socket
(`-L s2s-screen-<pid>`) whose server is killed on every way out, and each case has a hard
time limit.

For every case the bytes the program wrote to the terminal are recorded (pipe-pane) and the
screen is captured (capture-pane, joined lines, with and without -e). Asserted:
  * every ESC the program writes starts a complete control sequence (for check, demo and
    explain: only complete SGR colour sequences), and no remnant such as a literal "[32m"
    reaches the screen;
  * no line is wider than the pane (a lone URL longer than the pane is the one exception: it
    stands on its own line so the terminal's soft wrap keeps it one copyable line);
  * no word is broken at a line end: every word on screen is a word of the same output
    printed without any width limit, or carries the "…" mark of a cut;
  * after Ctrl-C in the wizard (at a line-editor question and at the no-echo secret prompt)
    `stty -a` is what it was before and echo is on;
  * with NO_COLOR, TERM=dumb or a pipe, not one ESC byte.

Environment: S2S_DOCTOR_BIN (default .build/debug/s2s-doctor), SCREEN_WIDTHS (default
"60 80 120"), SCREEN_CASE_TIMEOUT seconds (default 90).
Output: one PASS/FAIL line per case and `N passed, N failed`; exit status 1 on any failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("S2S_DOCTOR_BIN", os.path.join(ROOT, ".build/debug/s2s-doctor")))
WIDTHS = [int(w) for w in os.environ.get("SCREEN_WIDTHS", "60 80 120").split()]
CASE_TIMEOUT = float(os.environ.get("SCREEN_CASE_TIMEOUT", "90"))
SOCKET = f"s2s-screen-{os.getpid()}"
HEIGHT = 50

ESC = "\x1b"
SGR = re.compile(r"\x1b\[[0-9;]*m")
# A complete control sequence as a line editor may write it: CSI, OSC (BEL or ST ended),
# charset designation, or one of the two-byte ESC commands.
ANY_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()*+][0-9A-Za-z]|[=>78cDEHMNOZ\\])"
)
REMNANT = re.compile(r"\[[0-9;]{1,12}m")
LONE_URL = re.compile(r"^\s*https?://\S+$")
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class CaseFailure(Exception):
    pass


def tmux(*args: str, timeout: float = 15) -> str:
    result = subprocess.run(
        ["tmux", "-L", SOCKET, "-f", "/dev/null", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise CaseFailure(f"tmux {' '.join(args[:2])}: {result.stderr.strip()}")
    return result.stdout


def kill_server() -> None:
    try:
        subprocess.run(
            ["tmux", "-L", SOCKET, "-f", "/dev/null", "kill-server"],
            capture_output=True,
            timeout=10,
        )
    except Exception:
        pass


def width_of(text: str) -> int:
    total = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200b\u200c\u200d":
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def words(text: str) -> set[str]:
    """The words of `text`, with what differs between two runs (ports, ids, times) folded."""
    folded = GUID.sub("GUID", SGR.sub("", text))
    folded = re.sub(r"[0-9]+", "0", folded)
    return set(folded.split())


class Emulator:
    def __init__(self, work: str) -> None:
        self.process = subprocess.Popen(
            [BIN, "emulate", "--port", "0", "--ca-file", os.path.join(work, "ca.pem")],
            stdout=subprocess.PIPE,
            stderr=open(os.path.join(work, "emulator.log"), "wb"),
            start_new_session=True,
        )
        deadline = time.time() + 60
        line = b""
        while time.time() < deadline and not line.endswith(b"\n"):
            chunk = self.process.stdout.readline()
            if not chunk:
                break
            line += chunk
        if not line.endswith(b"\n"):
            raise CaseFailure("the emulator did not start")
        self.info = json.loads(line)

    def scenario(self, name: str) -> tuple[list[str], dict[str, str]]:
        entry = self.info["scenarios"][name]
        return entry["args"], entry["env"]

    def hosts(self) -> list[str]:
        base = self.info["baseURL"]
        return ["--authority-host", base, "--bc-api-host", base, "--ca-file", self.info["caFile"]]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def base_environment(home: str) -> dict[str, str]:
    return {
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_STATE_HOME": os.path.join(home, ".local/state"),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


class Screen:
    """One program run in its own tmux session of `width` columns."""

    counter = 0

    def __init__(self, work: str, width: int, argv: list[str], env: dict[str, str]) -> None:
        Screen.counter += 1
        self.name = f"case{Screen.counter}"
        self.dir = os.path.join(work, self.name)
        os.makedirs(self.dir)
        self.width = width
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        environment = base_environment(home) | {"TERM": "screen"} | env
        lines = ["trap 'true' INT", f"cd {shell_quote(self.dir)}"]
        # Wait for the recorder before the program writes its first byte.
        lines.append("while [ ! -e go ]; do sleep 0.02; done")
        lines.append("stty -a > stty-before 2>&1")
        exports = " ".join(f"{k}={shell_quote(v)}" for k, v in sorted(environment.items()))
        lines.append(f"env -i {exports} {' '.join(shell_quote(a) for a in argv)}")
        lines.append("echo $? > rc")
        lines.append("stty -a > stty-after 2>&1")
        lines.append("touch done")
        lines.append("exec sleep 100000")  # the pane stays until the case closes the session
        with open(os.path.join(self.dir, "run.sh"), "w") as script:
            script.write("\n".join(lines) + "\n")
        tmux(
            "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(HEIGHT),
            "sh " + shell_quote(os.path.join(self.dir, "run.sh")),
        )
        tmux("pipe-pane", "-o", "-t", self.name, "cat > " + shell_quote(os.path.join(self.dir, "raw")))
        open(os.path.join(self.dir, "go"), "w").close()
        self.started = time.time()

    def screen(self, escapes: bool = False) -> str:
        args = ["capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", self.name]
        if escapes:
            args.insert(2, "-e")
        return tmux(*args)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = min(time.time() + timeout, self.started + CASE_TIMEOUT)
        while time.time() < deadline:
            if text in self.screen():
                return
            time.sleep(0.1)
        raise CaseFailure(f"did not see {text!r} on screen:\n{self.screen()[-1500:]}")

    def wait_for_echo(self, on: bool, timeout: float = 15) -> None:
        """Waits until the pane's terminal has echo on or off (a reader really waiting)."""
        tty = tmux("display-message", "-p", "-t", self.name, "#{pane_tty}").strip()
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = subprocess.run(["stty", "-a", "-F", tty], capture_output=True, text=True).stdout
            if ("echo" in state.split()) == on:
                return
            time.sleep(0.05)
        raise CaseFailure(f"echo never became {'on' if on else 'off'}")

    def keys(self, *keys: str) -> None:
        tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        tmux("send-keys", "-t", self.name, "-l", text)

    def finish(self) -> int:
        deadline = self.started + CASE_TIMEOUT
        while time.time() < deadline:
            if os.path.exists(os.path.join(self.dir, "done")):
                break
            time.sleep(0.1)
        else:
            raise CaseFailure(f"no exit within {CASE_TIMEOUT:.0f} s:\n{self.screen()[-1500:]}")
        time.sleep(0.2)  # let tmux take in the last bytes
        with open(os.path.join(self.dir, "rc")) as f:
            return int(f.read().strip())

    def raw(self) -> str:
        with open(os.path.join(self.dir, "raw"), "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def stty(self, which: str) -> str:
        with open(os.path.join(self.dir, "stty-" + which)) as f:
            return f.read()

    def close(self) -> None:
        try:
            tmux("kill-session", "-t", self.name)
        except Exception:
            pass


# Assertions ---------------------------------------------------------------------------------


def assert_sequences_whole(raw: str, sgr_only: bool) -> None:
    pattern = SGR if sgr_only else ANY_SEQUENCE
    at = 0
    while True:
        at = raw.find(ESC, at)
        if at < 0:
            return
        match = pattern.match(raw, at)
        if not match:
            raise CaseFailure(f"incomplete escape sequence: {raw[at:at + 16]!r}")
        at = match.end()


def assert_fits(screen: str, width: int) -> None:
    for line in screen.split("\n"):
        line = line.rstrip()
        if width_of(line) > width and not LONE_URL.match(line):
            raise CaseFailure(f"line wider than {width} columns ({width_of(line)}): {line!r}")


def assert_no_remnants(screen: str) -> None:
    match = REMNANT.search(screen)
    if match:
        raise CaseFailure(f"escape remnant on screen: {match.group(0)!r}")


def assert_words_whole(screen: str, reference: str) -> None:
    known = words(reference)
    previous_cut = False
    for line in screen.split("\n"):
        tokens = line.split()
        for i, token in enumerate(words_in_order(line)):
            if i == 0 and previous_cut:
                continue  # the rest of a word cut with "…" on the line before
            if token.endswith("…") or token in known:
                continue
            raise CaseFailure(f"word {tokens[i] if i < len(tokens) else token!r} is not whole: {line!r}")
        previous_cut = line.rstrip().endswith("…")


def words_in_order(line: str) -> list[str]:
    folded = GUID.sub("GUID", line)
    return re.sub(r"[0-9]+", "0", folded).split()


def unlimited(argv: list[str], env: dict[str, str], home: str, stdin: str = "") -> str:
    """The same command piped, with no width limit: the reference for whole words."""
    environment = base_environment(home) | {"COLUMNS": "1000", "TERM": "xterm-256color"} | env
    result = subprocess.run(argv, env=environment, input=stdin, capture_output=True, text=True, timeout=CASE_TIMEOUT)
    return result.stdout + result.stderr


# Cases --------------------------------------------------------------------------------------


def output_case(work: str, width: int, argv: list[str], env: dict[str, str], expect_rc: set[int], colour: bool) -> None:
    screen = Screen(work, width, argv, env)
    try:
        rc = screen.finish()
        plain, styled, raw = screen.screen(), screen.screen(escapes=True), screen.raw()
    finally:
        screen.close()
    if rc not in expect_rc:
        raise CaseFailure(f"exit {rc}, expected {sorted(expect_rc)}:\n{plain[-1500:]}")
    assert_sequences_whole(raw, sgr_only=True)
    assert_sequences_whole(styled, sgr_only=True)
    assert_no_remnants(plain)
    if colour and ESC not in raw:
        raise CaseFailure("no colour on a terminal")
    if "NO_COLOR" in env and ESC in raw:
        raise CaseFailure("an escape byte with NO_COLOR set")
    assert_fits(plain, width)
    home = os.path.join(work, f"ref-{Screen.counter}")
    os.makedirs(home)
    assert_words_whole(plain, unlimited(argv, env, home))


def no_escape_case(argv: list[str], env: dict[str, str], home: str) -> None:
    for extra in ({}, {"NO_COLOR": "1", "TERM": "xterm-256color"}, {"TERM": "dumb"}):
        environment = base_environment(home) | {"TERM": "xterm-256color"} | env | extra
        result = subprocess.run(argv, env=environment, stdin=subprocess.DEVNULL, capture_output=True, timeout=CASE_TIMEOUT)
        if b"\x1b" in result.stdout or b"\x1b" in result.stderr:
            raise CaseFailure(f"an escape byte in piped output ({extra or 'plain pipe'})")


def wizard_case(work: str, width: int, emulator: Emulator, interrupt_at: str) -> None:
    args, env = emulator.scenario("ok")
    tenant = args[args.index("--tenant") + 1]
    client = args[args.index("--client-id") + 1]
    screen = Screen(work, width, [BIN, "setup", *emulator.hosts()], {})
    try:
        screen.wait_for("online or on-premises")
        screen.wait_for_echo(False)  # libedit reads with its own settings (echo off, raw)
        if interrupt_at == "first-question":
            screen.keys("C-c")
        else:
            screen.keys("Enter")
            screen.wait_for("Directory (tenant) ID")
            time.sleep(0.3)
            screen.type(tenant)
            screen.keys("Enter")
            screen.wait_for("Application (client) ID", timeout=60)
            time.sleep(0.3)
            screen.type(client)
            screen.keys("Enter")
            screen.wait_for("Credential")
            time.sleep(0.3)
            screen.keys("Enter")
            screen.wait_for("typing is not shown")
            screen.wait_for_echo(False)
            screen.type("half-typed-secret")
            screen.keys("C-c")
        rc = screen.finish()
        plain, styled, raw = screen.screen(), screen.screen(escapes=True), screen.raw()
        before, after = screen.stty("before"), screen.stty("after")
    finally:
        screen.close()
    if rc != 130:
        raise CaseFailure(f"exit {rc} after Ctrl-C, expected 130:\n{plain[-1500:]}")
    if before != after:
        raise CaseFailure(f"terminal settings not restored:\nbefore: {before}\nafter:  {after}")
    if "echo" not in after.split():
        raise CaseFailure("echo is off after Ctrl-C")
    if "half-typed-secret" in plain or "half-typed-secret" in raw:
        raise CaseFailure("typed secret echoed")
    assert_sequences_whole(raw, sgr_only=False)
    assert_sequences_whole(styled, sgr_only=True)
    assert_no_remnants(plain)
    assert_fits(plain, width)


def main() -> int:
    if not shutil.which("tmux"):
        print("screen tests: tmux not found (apt-get install tmux)", file=sys.stderr)
        return 2
    if not os.access(BIN, os.X_OK):
        print(f"screen tests: {BIN} not found; build it first (swift build)", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="s2s-screen-")
    passed, failed = 0, 0
    emulator = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(int(os.environ.get("SCREEN_TOTAL_TIMEOUT", "1200")))  # the whole run, hard
    try:
        # A server that lives as long as the run, with the options every session needs.
        tmux("new-session", "-d", "-s", "keeper", "-x", "80", "-y", "24", "sleep 100000")
        tmux("set-option", "-g", "history-limit", "100000")
        emulator = Emulator(work)
        ok_args, ok_env = emulator.scenario("ok")
        bad_args, bad_env = emulator.scenario("bc.permission-missing")
        commands = {
            "check": ([BIN, "check", *ok_args], ok_env, {0}),
            "check-failing-verbose": ([BIN, "check", "-v", *bad_args], bad_env, {1}),
            "demo": ([BIN, "demo"], {}, {0, 1}),
            "explain": ([BIN, "explain", "AADSTS7000215"], {}, {0}),
        }
        cases = []
        for width in WIDTHS:
            for name, (argv, env, rcs) in commands.items():
                cases.append((f"{name} @{width}", lambda w=width, a=argv, e=env, r=rcs, n=name: output_case(
                    work, w, a, e, r, colour=n.startswith("check"))))
            cases.append((f"check NO_COLOR @{width}", lambda w=width: output_case(
                work, w, [BIN, "check", *ok_args], ok_env | {"NO_COLOR": "1"}, {0}, colour=False)))
            for where in ("first-question", "secret-prompt"):
                cases.append((f"setup Ctrl-C at {where} @{width}", lambda w=width, p=where: wizard_case(
                    work, w, emulator, p)))
        for name, (argv, env, _) in commands.items():
            home = os.path.join(work, f"pipe-{name}")
            os.makedirs(home)
            cases.append((f"{name} piped / NO_COLOR / TERM=dumb", lambda a=argv, e=env, h=home: no_escape_case(a, e, h)))

        for name, run in cases:
            began = time.time()
            try:
                run()
                passed += 1
                print(f"PASS {name} ({time.time() - began:.1f} s)", flush=True)
            except (CaseFailure, subprocess.TimeoutExpired, OSError, ValueError) as error:
                failed += 1
                print(f"FAIL {name}: {error}", flush=True)
    except KeyboardInterrupt:
        print("screen tests: interrupted", file=sys.stderr)
        failed += 1
    except CaseFailure as error:
        print(f"FAIL setup: {error}", flush=True)
        failed += 1
    finally:
        if emulator:
            emulator.stop()
        kill_server()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
