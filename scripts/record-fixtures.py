#!/usr/bin/env python3
"""Records check fixtures from the emulator: `make fixtures`.

Starts `s2s-doctor emulate`, runs `check --record-fixtures Checks` for every scenario (each check
keeps one fixture per outcome), then adds, for every check that made requests of its own, one
fixture per `network.*` reason it declares: its pass tape with its own requests failing that way.
Fixtures hold no secret (requests are method and URL; tokens are their claims).
"""
import glob, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BIN", os.path.join(ROOT, ".build/debug/s2s-doctor"))
CHECKS = os.path.join(ROOT, "Checks")

NETWORK_DETAIL = {
    "network.dns-failed": "the host name did not resolve (recorded fixture, synthesized)",
    "network.connection-refused": "the connection was refused (recorded fixture, synthesized)",
    "network.timeout": "no answer within the time limit (recorded fixture, synthesized)",
    "network.tls-untrusted": "the server's certificate is not trusted (recorded fixture, synthesized)",
    "network.proxy-auth-required": "the proxy asked for authentication (recorded fixture, synthesized)",
    "network.unexpected-response": "the answer was not HTTP (recorded fixture, synthesized)",
}


def main():
    emu = subprocess.Popen([BIN, "emulate"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(emu.stdout.readline())
        for name, scenario in sorted(info["scenarios"].items()):
            args = scenario["args"]
            if name.startswith("setup.") or "--certificate" in args or "--server-config" in args or "--server-log" in args:
                continue
            env = dict(os.environ, **scenario.get("env", {}))
            env.pop("NO_COLOR", None)
            subprocess.run(
                [BIN, "check", *args, "--record-fixtures", CHECKS, "--fixture-name", name.replace(".", "-"),
                 "--format", "json"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    finally:
        emu.terminate()
        emu.wait()
    transplant()
    synthesize()


# A BC answer nobody documents, for the unknown-error outcome of every BC check.
UNKNOWN_BC = {
    "status": 409,
    "headers": [["Content-Type", "application/json; charset=utf-8"]],
    "body": '{"error":{"code":"Request_EntityChanged","message":"Another user has changed the record.  CorrelationId:  00000000-0000-4000-8000-000000000000."}}',
}


def write_variant(folder, tape, check, reason, name, answer):
    """The tape with the check's own requests answered by `answer`, as the fixture for `reason`."""
    copy = json.loads(json.dumps(tape))
    copy["expect"] = reason
    keys = ("status", "headers", "body", "dateOffset", "failure", "detail")
    for exchange in copy["exchanges"]:
        if exchange.get("madeBy") == check:
            for key in keys:
                exchange.pop(key, None)
            exchange.update({key: value for key, value in answer.items() if key in keys})
    with open(os.path.join(folder, "fixtures", "%s--%s.json" % (reason, name)), "w") as f:
        json.dump(copy, f, indent=2, sort_keys=True)
        f.write("\n")


def tapes(check):
    out = {}
    for path in sorted(glob.glob(os.path.join(CHECKS, check, "fixtures", "*.json"))):
        tape = json.load(open(path))
        if isinstance(tape, dict) and "exchanges" in tape:
            out.setdefault(tape["expect"], tape)
    return out


def transplant():
    """A BC check's outcome for an answer another BC check recorded: its pass tape, with its own
    request answered the way the other check's was (throttled, unavailable, a server error, ...)."""
    bc_checks = ["bc.companies", "bc.automation", "bc.custom-api", "bc.admin"]
    recorded = {check: tapes(check) for check in bc_checks}
    for check in bc_checks:
        folder = os.path.join(CHECKS, check)
        reasons = [line.strip()[2:] for line in open(os.path.join(folder, "check.yaml")) if line.strip().startswith("- bc.")]
        own_pass = recorded[check].get("passed")
        if not own_pass or not any(e.get("madeBy") == check for e in own_pass["exchanges"]):
            continue
        for reason in reasons:
            if reason in recorded[check]:
                continue
            answer = None
            for other in bc_checks:
                tape = recorded[other].get(reason)
                if tape:
                    answer = next((e for e in tape["exchanges"] if e.get("madeBy") == other and "status" in e), None)
                    if answer:
                        break
            if answer is None and reason == "bc.unknown-error":
                answer = UNKNOWN_BC
            if answer is None:
                continue
            write_variant(folder, own_pass, check, reason, "transplanted", answer)


def synthesize():
    for check_yaml in sorted(glob.glob(os.path.join(CHECKS, "*", "check.yaml"))):
        folder = os.path.dirname(check_yaml)
        check = os.path.basename(folder)
        reasons = [line.strip()[2:] for line in open(check_yaml) if line.strip().startswith("- network.")]
        fixtures = os.path.join(folder, "fixtures")
        passes = sorted(glob.glob(os.path.join(fixtures, "passed--*.json")))
        if not passes:
            continue
        tape = json.load(open(passes[0]))
        if not isinstance(tape, dict) or "exchanges" not in tape:
            continue  # a recorded server configuration, not a tape
        own = [e for e in tape["exchanges"] if e.get("madeBy") == check]
        if not own:
            continue
        for reason in reasons:
            if glob.glob(os.path.join(fixtures, reason + "--*")):
                continue
            failure = {"failure": reason, "detail": NETWORK_DETAIL.get(reason, reason)}
            write_variant(folder, tape, check, reason, "synthesized", failure)


if __name__ == "__main__":
    sys.exit(main())
