#!/usr/bin/env python3
"""Records check fixtures from the emulator: `make fixtures`.

Starts `s2s-doctor emulate`, runs `check --record-fixtures Checks` for every scenario (each check
keeps one fixture per outcome), then derives the outcomes no scenario records for a check:
  - transplanted: a check's pass tape with its own request answered the way another check of the
    same service was answered (Business Central's errors; Entra ID's 429 and 503);
  - synthesized: for every check that made requests of its own, one fixture per `network.*` reason
    it declares, its own requests failing that way;
  - derived: input checks run with the settings that produce the reason, and Graph showing the
    secret in use expiring between the token request and the read of the registration.
Fixtures hold no secret (requests are method and URL; tokens are their claims; a certificate run
keeps no key and replays with a throwaway certificate).
"""
import base64, glob, json, os, re, subprocess, sys

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
            if name.startswith("setup."):
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
    derive()


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


# Checks whose requests go to one service, and the reasons an answer of that service means
# whichever check's request it was.
SERVICES = [
    # A token that expired before the request reached Business Central gets the same 401 from
    # any BC endpoint; the transplanted tape's token is made to have expired a minute before.
    (["bc.companies", "bc.automation", "bc.custom-api", "bc.admin"],
     lambda reason: reason.startswith("bc.") or reason == "token.expired"),
    # Discovery and the token endpoint are both Entra ID's sign-in service: a 429 or a 503 there
    # is the same answer (its JSON error body) whichever of the two was asked.
    (["entra.tenant", "entra.token"], lambda reason: reason in ("entra.throttled", "entra.unavailable")),
]


def transplant():
    """A check's outcome for an answer another check of the same service recorded: its pass tape,
    with its own request answered the way the other check's was (throttled, unavailable, ...)."""
    for checks, shared in SERVICES:
        recorded = {check: tapes(check) for check in checks}
        for check in checks:
            folder = os.path.join(CHECKS, check)
            reasons = [line.strip()[2:] for line in open(os.path.join(folder, "check.yaml")) if line.strip().startswith("- ")]
            own_pass = recorded[check].get("passed")
            if not own_pass or not any(e.get("madeBy") == check for e in own_pass["exchanges"]):
                continue
            for reason in filter(shared, reasons):
                if reason in recorded[check]:
                    continue
                answer = None
                for other in checks:
                    tape = recorded[other].get(reason)
                    if tape:
                        answer = next((e for e in tape["exchanges"] if e.get("madeBy") == other and "status" in e), None)
                        if answer:
                            break
                if answer is None and reason == "bc.unknown-error":
                    answer = UNKNOWN_BC
                if answer is None:
                    continue
                base = expired_token(own_pass) if reason == "token.expired" else own_pass
                write_variant(folder, base, check, reason, "transplanted", answer)


def expired_token(tape):
    """The tape with the access token the token endpoint issued expired a minute before the run
    (its claims are kept relative to the replay's clock, so exp -60 is always in the past)."""
    copy = json.loads(json.dumps(tape))

    def expire(match):
        encoded = match.group(1)
        claims = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        claims.update({"iat": -3660, "nbf": -3660, "exp": -60})
        data = json.dumps(claims, separators=(",", ":")).encode()
        return "{{token:%s}}" % base64.urlsafe_b64encode(data).decode().rstrip("=")

    for exchange in copy["exchanges"]:
        if exchange.get("madeBy") == "entra.token" and "body" in exchange:
            exchange["body"] = re.sub(r"\{\{token:([A-Za-z0-9_-]*)\}\}", expire, exchange["body"])
    return copy


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


def write_tape(check, tape, name, force=False):
    path = os.path.join(CHECKS, check, "fixtures", "%s--%s.json" % (tape["expect"], name))
    if not force and glob.glob(os.path.join(CHECKS, check, "fixtures", tape["expect"] + "--*")):
        return  # the outcome has a fixture already (recorded ones come first)
    with open(path, "w") as f:
        json.dump(tape, f, indent=2, sort_keys=True)
        f.write("\n")


def with_settings(tape, expect, changes, secret_shape=None):
    """An input check's tape: the pass tape's settings changed, nothing asked of any service (the
    input checks make no request)."""
    copy = json.loads(json.dumps(tape))
    copy["expect"] = expect
    copy["exchanges"] = []
    copy["settings"].update(changes)
    if secret_shape is not None:
        copy["secretShape"] = secret_shape or None
    return copy


def derive():
    """Outcomes of checks that read settings, or Graph, rather than an answer a scenario can give."""
    target = tapes("input.target").get("passed")
    if target:
        onprem = {"deployment": "onprem", "bcURL": "http://bc.contoso.com:7048/BC240"}
        # A plain-http server URL is refused, unless --allow-http-bc-url says it is on purpose.
        write_tape("input.target", with_settings(target, "input.server-url-invalid", onprem), "derived-http-url")
        write_tape(
            "input.target", with_settings(target, "network.cleartext-http", dict(onprem, allowHTTPBCURL=True)),
            "derived-allow-http")
    credential = tapes("input.credential").get("passed")
    if credential:
        # --certificate names a file that is not there (moved, or a path on another machine).
        write_tape(
            "input.credential",
            with_settings(credential, "input.certificate-invalid", {"certificatePath": "/nonexistent/certificates/bc-s2s.pem"}, ""),
            "derived-missing-file")
    credentials = tapes("registration.credentials").get("passed")
    if credentials and credentials.get("secretShape"):
        # The secret in use runs out between the token requests and the read of the registration:
        # Graph shows its end date as now (this run's clock).
        copy = json.loads(json.dumps(credentials))
        copy["expect"] = "entra.secret-expired"
        hint = copy["secretShape"][:3]
        for exchange in copy["exchanges"]:
            if "/applications(" in exchange["url"] and exchange.get("status") == 200:
                application = json.loads(exchange["body"])
                for secret in application.get("passwordCredentials", []):
                    if secret.get("hint") == hint:
                        secret["endDateTime"] = "{{t:0}}"
                exchange["body"] = json.dumps(application, separators=(",", ":"))
        write_tape("registration.credentials", copy, "derived-expired-during-run")
    admin = tapes("bc.admin").get("passed")
    if admin:
        # The admin center lists the tenant's environments, but not the one the settings name
        # (a typo, or an environment of another tenant): its answer without that environment.
        copy = json.loads(json.dumps(admin))
        copy["expect"] = "bc.environment-not-found"
        wanted = copy["settings"]["environment"].lower()
        for exchange in copy["exchanges"]:
            if exchange.get("madeBy") == "bc.admin" and exchange.get("status") == 200:
                listing = json.loads(exchange["body"])
                listing["value"] = [e for e in listing["value"] if e.get("name", "").lower() != wanted]
                exchange["body"] = json.dumps(listing, separators=(",", ":"))
                exchange["headers"] = [h for h in exchange.get("headers", []) if h[0].lower() != "content-length"]
        # Kept beside the transplanted 404 fixture: this one reaches the check's includes: rule.
        write_tape("bc.admin", copy, "derived-environment-not-listed", force=True)


if __name__ == "__main__":
    sys.exit(main())
