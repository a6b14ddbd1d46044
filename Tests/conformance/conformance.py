#!/usr/bin/env python3
"""Conformance of the S2S Doctor emulator with real clients nobody on the team wrote.

MSAL Python and azure-identity run against `s2s-doctor emulate` over HTTPS with the emulator's
CA and instance discovery off: both must get a token for `ok` (with the claims Business
Central tokens carry) and surface the right error (`error`, AADSTS code, correlation id) for
every Entra ID error scenario.

Input: the emulator's JSON line on standard input (or in the file named by argv[1]).
Environment: REQUESTS_CA_BUNDLE must name the emulator's CA (requests ignores SSL_CERT_FILE
and lets REQUESTS_CA_BUNDLE win over MSAL's `verify=`); EMULATOR_PID, when set, is sent
SIGTERM at the end to check a clean stop.
Output: `PASS <name>` / `FAIL <name>: <why>` lines, then `N passed, N failed`; exit 1 on any
failure.
"""

import base64
import hashlib
import json
import os
import re
import signal
import sys
import time
import traceback

import msal
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientSecretCredential

SCOPE = "https://api.businesscentral.dynamics.com/.default"
BC_AUDIENCES = {
    "https://api.businesscentral.dynamics.com",
    "https://api.businesscentral.dynamics.com/",
    "996def3d-b36c-4153-8607-a6fd3c01b89f",
}
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# scenario -> (error, AADSTS code); the token endpoint answers these with 400/401/429/503.
ENTRA_ERRORS = {
    "entra.tenant-not-found": ("invalid_tenant", 90002),  # refused at OpenID discovery
    "entra.tenant-in-other-cloud": ("invalid_request", 900432),
    "entra.app-not-found": ("unauthorized_client", 700016),
    "entra.secret-invalid": ("invalid_client", 7000215),
    "entra.secret-expired": ("invalid_client", 7000222),
    "entra.credential-missing": ("invalid_client", 7000216),
    "entra.tenant-not-specified": ("invalid_request", 50059),
    "entra.scope-invalid": ("invalid_scope", 1002012),
    "entra.resource-not-found": ("invalid_resource", 500011),
    "entra.app-disabled": ("unauthorized_client", 7000112),
    "entra.conditional-access": ("invalid_grant", 53003),
    "entra.certificate-rejected": ("invalid_client", 700027),
    "entra.throttled": ("temporarily_unavailable", 90055),
    "entra.unavailable": ("temporarily_unavailable", 90033),
    "entra.unknown-error": ("invalid_request", 50169),
}

RESULTS = []


def record(name, ok, why=""):
    RESULTS.append(ok)
    print(f"PASS {name}" if ok else f"FAIL {name}: {why}", flush=True)


def check(name, function):
    try:
        function()
    except AssertionError as error:
        record(name, False, str(error) or "assertion failed")
    except Exception as error:  # a crash of one check is a failed check, not a stop
        record(name, False, f"{type(error).__name__}: {error}")
        traceback.print_exc(file=sys.stderr)
    else:
        record(name, True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


# --- Scenario helpers ------------------------------------------------------------------------


class Scenario:
    def __init__(self, name, info):
        self.name = name
        self.expect = info["expect"]
        self.env = info["env"]
        self.flags = {}
        args = info["args"]
        index = 0
        while index < len(args):
            if index + 1 < len(args) and not args[index + 1].startswith("--"):
                self.flags[args[index]] = args[index + 1]
                index += 2
            else:
                self.flags[args[index]] = True
                index += 1

    @property
    def tenant(self):
        return self.flags["--tenant"]

    @property
    def client_id(self):
        return self.flags["--client-id"]

    @property
    def authority_host(self):
        return self.flags["--authority-host"]

    @property
    def secret(self):
        return self.env.get("AZURE_CLIENT_SECRET")

    @property
    def certificate(self):
        return self.flags.get("--certificate")


def certificate_credential(pem_path):
    """MSAL's certificate credential from a PEM holding a certificate and its private key."""
    with open(pem_path, encoding="ascii") as handle:
        pem = handle.read()
    cert_body = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.S)
    key = re.search(r"-----BEGIN (?:RSA )?PRIVATE KEY-----.+?-----END (?:RSA )?PRIVATE KEY-----", pem, re.S)
    der = base64.b64decode("".join(cert_body.group(1).split()))
    return {"private_key": key.group(0), "thumbprint": hashlib.sha1(der).hexdigest()}


def decode_jwt(token):
    parts = token.split(".")
    expect(len(parts) == 3, f"token has {len(parts)} parts")

    def part(text):
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))

    return part(parts[0]), part(parts[1])


def expect_bc_claims(token, scenario, tenant_id, certificate=False):
    header, claims = decode_jwt(token)
    now = int(time.time())
    expect(header.get("alg") == "RS256" and header.get("kid") and header.get("x5t") == header.get("kid"),
           f"header {header}")
    expect(claims.get("aud") in BC_AUDIENCES, f"aud {claims.get('aud')}")
    expect(claims.get("iss") == f"https://sts.windows.net/{tenant_id}/", f"iss {claims.get('iss')}")
    expect(claims.get("tid") == tenant_id, f"tid {claims.get('tid')}")
    expect(claims.get("appid") == scenario.client_id, f"appid {claims.get('appid')}")
    roles = claims.get("roles") or []
    expect("API.ReadWrite.All" in roles and "Automation.ReadWrite.All" in roles, f"roles {roles}")
    expect(claims.get("idtyp") == "app", f"idtyp {claims.get('idtyp')}")
    expect("scp" not in claims, "scp present in an app-only token")
    expect(re.fullmatch(GUID, claims.get("oid", "")) and claims.get("sub") == claims.get("oid"),
           f"oid {claims.get('oid')} sub {claims.get('sub')}")
    for name in ("iat", "nbf", "exp"):
        expect(isinstance(claims.get(name), int), f"{name} is not an integer")
    expect(claims["nbf"] <= now < claims["exp"], "now is outside nbf..exp")
    expect(claims["iat"] == claims["nbf"] and abs(claims["iat"] - (now - 300)) <= 30, "iat is not now - 300")
    expect(abs(claims["exp"] - (now + 3599)) <= 30, "exp is not now + 3599")
    expect(claims.get("ver") == "1.0", f"ver {claims.get('ver')}")
    expect(claims.get("appidacr") == ("2" if certificate else "1"), f"appidacr {claims.get('appidacr')}")
    return claims


def expect_error_layout(result, error, code, sent_correlation=None):
    expect(set(result) >= {"error", "error_description", "error_codes", "timestamp", "trace_id",
                           "correlation_id", "error_uri"}, f"keys {sorted(result)}")
    expect(result["error"] == error, f"error {result['error']!r}, expected {error!r}")
    expect(code in result["error_codes"], f"error_codes {result['error_codes']}, expected {code}")
    correlation = result.get("correlation_id")
    expect(correlation and re.fullmatch(GUID, correlation), f"correlation_id {correlation!r}")
    if sent_correlation:
        expect(correlation == sent_correlation, f"correlation_id {correlation} != client-request-id {sent_correlation}")
    expect(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", result["timestamp"]), f"timestamp {result['timestamp']!r}")
    description = result["error_description"]
    expect(description.startswith(f"AADSTS{code}: "), f"description starts {description[:20]!r}")
    expect(description.endswith(
        f"\r\nTrace ID: {result['trace_id']}\r\nCorrelation ID: {correlation}\r\nTimestamp: {result['timestamp']}"),
        "description does not end in Trace ID / Correlation ID / Timestamp lines")
    expect(result["error_uri"].endswith(f"/error?code={code}"), f"error_uri {result['error_uri']}")


class RecordingSession(requests.Session):
    """A requests session that remembers what MSAL sent (to compare the correlation id)."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def request(self, method, url, *args, **kwargs):
        response = super().request(method, url, *args, **kwargs)
        self.sent.append(response.request)
        return response


def msal_app(scenario, base, session=None, credential=None):
    return msal.ConfidentialClientApplication(
        scenario.client_id,
        client_credential=credential if credential is not None else scenario.secret,
        authority=f"{base}/{scenario.tenant}",
        instance_discovery=False,
        http_client=session or RecordingSession(),
        timeout=30,
    )


def azure_credential(scenario, base, ca_file):
    common = dict(authority=base, disable_instance_discovery=True, connection_verify=ca_file)
    if scenario.certificate:
        return CertificateCredential(scenario.tenant, scenario.client_id, certificate_path=scenario.certificate, **common)
    return ClientSecretCredential(scenario.tenant, scenario.client_id, scenario.secret, **common)


# --- Checks ----------------------------------------------------------------------------------


def run(info):
    base = info["baseURL"]
    ca_file = info["caFile"]
    scenarios = {name: Scenario(name, value) for name, value in info["scenarios"].items()}
    main_tenant = scenarios["ok"].tenant
    expect_prefix = base.startswith("https://127.0.0.1:") or base.startswith("https://localhost:")

    check("emulator.https-loopback-base-url", lambda: expect(expect_prefix, base))
    check("environment.requests-ca-bundle", lambda: expect(
        os.environ.get("REQUESTS_CA_BUNDLE") == ca_file, "REQUESTS_CA_BUNDLE is not the emulator CA"))

    # MSAL, secret: token, claims, second call from the cache.
    def msal_ok():
        scenario = scenarios["ok"]
        session = RecordingSession()
        app = msal_app(scenario, base, session)
        result = app.acquire_token_for_client(scopes=[SCOPE])
        expect("access_token" in result, f"no token: {result}")
        expect(result.get("token_type") == "Bearer", f"token_type {result.get('token_type')}")
        expect(isinstance(result.get("expires_in"), int) and result["expires_in"] > 300, f"expires_in {result.get('expires_in')}")
        expect(result.get("token_source") == "identity_provider", f"token_source {result.get('token_source')}")
        expect_bc_claims(result["access_token"], scenario, main_tenant)
        methods = [request.method for request in session.sent]
        expect(methods == ["GET", "POST"], f"requests {methods}")
        expect(session.sent[1].headers.get("Content-Type") == "application/x-www-form-urlencoded",
               "token POST is not form-encoded")
        again = app.acquire_token_for_client(scopes=[SCOPE])
        expect(again.get("token_source") == "cache" and len(session.sent) == 2, "second call was not a cache hit")

    check("msal.ok", msal_ok)

    def msal_ok_domain():
        scenario = scenarios["ok-domain"]
        result = msal_app(scenario, base).acquire_token_for_client(scopes=[SCOPE])
        expect("access_token" in result, f"no token: {result}")
        expect_bc_claims(result["access_token"], scenario, main_tenant)

    check("msal.ok-domain", msal_ok_domain)

    def msal_ok_certificate():
        scenario = scenarios["ok-certificate"]
        app = msal_app(scenario, base, credential=certificate_credential(scenario.certificate))
        result = app.acquire_token_for_client(scopes=[SCOPE])
        expect("access_token" in result, f"no token: {result}")
        expect_bc_claims(result["access_token"], scenario, main_tenant, certificate=True)

    check("msal.ok-certificate", msal_ok_certificate)

    def bc_with_msal_token():
        scenario = scenarios["ok"]
        result = msal_app(scenario, base).acquire_token_for_client(scopes=[SCOPE])
        url = f"{base}/v2.0/{main_tenant}/production/api/v2.0/companies"
        response = requests.get(url, headers={"Authorization": f"Bearer {result['access_token']}"}, timeout=30)
        expect(response.status_code == 200, f"status {response.status_code}: {response.text[:200]}")
        companies = response.json()["value"]
        expect(companies and companies[0]["name"] == "CRONUS USA, Inc.", f"companies {companies}")
        refused = requests.get(url, headers={"Authorization": "Bearer not-a-token"}, timeout=30)
        expect(refused.status_code == 401, f"status {refused.status_code}")
        expect(re.fullmatch(
            r'\{"error":\{"code":"Authentication_InvalidCredentials","message":"The server has rejected the client '
            r'credentials\.  CorrelationId:  ' + GUID + r'\."\}\}', refused.text), f"401 body {refused.text}")

    check("bc.companies-with-msal-token", bc_with_msal_token)

    # Microsoft Graph: the app reads its own registration with a permission-less app-only token
    # (MSAL for the token, plain requests for Graph), and another app's object is refused with
    # Graph's error envelope.
    def graph_self_read_with_requests():
        scenario = scenarios["ok"]
        result = msal_app(scenario, base).acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
        expect("access_token" in result, f"no Graph token: {result}")
        _, claims = decode_jwt(result["access_token"])
        expect(claims.get("aud") == "https://graph.microsoft.com", f"aud {claims.get('aud')}")
        expect("roles" not in claims, f"a permission-less Graph token has roles: {claims.get('roles')}")
        headers = {"Authorization": f"Bearer {result['access_token']}"}
        url = f"{base}/v1.0/applications(appId='{scenario.client_id}')"
        response = requests.get(url, headers=headers, params={"$select": "appId,passwordCredentials,web"}, timeout=30)
        expect(response.status_code == 200, f"status {response.status_code}: {response.text[:200]}")
        expect(response.headers.get("Content-Type", "").startswith("application/json"), "not JSON")
        app = response.json()
        expect(app.get("appId") == scenario.client_id, f"appId {app.get('appId')}")
        hints = [item.get("hint") for item in app.get("passwordCredentials", [])]
        expect(scenario.secret[:3] in hints, f"hints {hints}")
        expect("secretText" not in json.dumps(app) or all(
            item.get("secretText") is None for item in app["passwordCredentials"]), "a secret value was returned")
        sp = requests.get(f"{base}/v1.0/servicePrincipals(appId='{scenario.client_id}')", headers=headers, timeout=30)
        expect(sp.status_code == 200 and sp.json().get("accountEnabled") is True, f"service principal {sp.text[:200]}")
        other = scenarios["ok-domain"].client_id
        refused = requests.get(f"{base}/v1.0/applications(appId='{other}')", headers=headers, timeout=30)
        expect(refused.status_code == 403, f"status {refused.status_code}")
        error = refused.json().get("error", {})
        expect(error.get("code") == "Authorization_RequestDenied", f"error {error}")
        expect(set(error.get("innerError", {})) >= {"date", "request-id", "client-request-id"}, f"innerError {error}")
        anonymous = requests.get(url, timeout=30)
        expect(anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "InvalidAuthenticationToken",
               f"no token: {anonymous.status_code} {anonymous.text[:200]}")

    check("graph.self-read-with-requests", graph_self_read_with_requests)

    # MSAL's device-code flow against the empty setup tenant (the emulator approves the code by
    # itself after one authorization_pending), then Graph with the administrator's token.
    def msal_device_code_flow():
        scenario = scenarios["setup.create"]
        app = msal.PublicClientApplication(
            "14d82eec-204b-4c2f-b7e8-296a70dab67e", authority=f"{base}/{scenario.tenant}",
            instance_discovery=False, timeout=30)
        flow = app.initiate_device_flow(scopes=["https://graph.microsoft.com/Application.ReadWrite.All"])
        expect("user_code" in flow and "device_code" in flow, f"no device flow: {flow}")
        expect(flow.get("verification_uri") == "https://microsoft.com/devicelogin", f"flow {flow}")
        expect(flow.get("user_code", "?") in flow.get("message", ""), "the message does not name the code")
        started = time.monotonic()
        result = app.acquire_token_by_device_flow(flow)
        expect("access_token" in result, f"no token: {result}")
        expect(time.monotonic() - started < 20, "polling took too long")
        _, claims = decode_jwt(result["access_token"])
        expect(claims.get("aud") == "https://graph.microsoft.com", f"aud {claims.get('aud')}")
        expect("Application.ReadWrite.All" in claims.get("scp", ""), f"scp {claims.get('scp')}")
        expect(claims.get("idtyp") == "user" and claims.get("tid") == scenario.tenant, f"claims {claims}")
        headers = {"Authorization": f"Bearer {result['access_token']}"}
        bc = requests.get(f"{base}/v1.0/servicePrincipals(appId='996def3d-b36c-4153-8607-a6fd3c01b89f')",
                          headers=headers, timeout=30)
        expect(bc.status_code == 200, f"BC service principal: {bc.status_code} {bc.text[:200]}")
        values = [role.get("value") for role in bc.json().get("appRoles", [])]
        expect("API.ReadWrite.All" in values and "Automation.ReadWrite.All" in values, f"appRoles {values}")
        empty = requests.get(f"{base}/v1.0/applications", headers=headers,
                             params={"$filter": "displayName eq 'conformance-none'"}, timeout=30)
        expect(empty.status_code == 200 and empty.json().get("value") == [], f"filter {empty.text[:200]}")

    check("msal.device-code-flow", msal_device_code_flow)

    # MSAL, every Entra error scenario.
    for name, (error, code) in ENTRA_ERRORS.items():
        scenario = scenarios[name]

        def msal_error(scenario=scenario, error=error, code=code):
            session = RecordingSession()
            credential = certificate_credential(scenario.certificate) if scenario.certificate else None
            if scenario.name == "entra.tenant-not-found":
                try:
                    msal_app(scenario, base, session, credential)
                except ValueError as raised:
                    chain = f"{raised} {raised.__cause__ or ''} {raised.__context__ or ''}"
                    expect("invalid_tenant" in chain and f"AADSTS{code}" in chain and "400" in chain,
                           f"ValueError without the discovery error: {chain[:300]}")
                    return
                raise AssertionError("MSAL accepted an unknown tenant")
            app = msal_app(scenario, base, session, credential)
            if scenario.name == "entra.unavailable":
                try:
                    result = app.acquire_token_for_client(scopes=[SCOPE])
                except Exception as raised:  # MSAL raises on 5xx and loses the body
                    expect("503" in str(raised), f"raised without the status: {raised}")
                    return
                raise AssertionError(f"MSAL returned instead of raising on 503: {result}")
            result = app.acquire_token_for_client(scopes=[SCOPE])
            expect("access_token" not in result, "a token was issued")
            posts = [request for request in session.sent if request.method == "POST"]
            sent = posts[-1].headers.get("client-request-id") if posts else None
            expect_error_layout(result, error, code, sent)

        check(f"msal.{name}", msal_error)

    # azure-identity.
    def azure_ok():
        scenario = scenarios["ok"]
        before = time.time()
        token = azure_credential(scenario, base, ca_file).get_token(SCOPE)
        expect_bc_claims(token.token, scenario, main_tenant)
        expect(abs(token.expires_on - (before + 3599)) < 30, f"expires_on {token.expires_on}")

    check("azure-identity.ok", azure_ok)

    def azure_ok_certificate():
        scenario = scenarios["ok-certificate"]
        token = azure_credential(scenario, base, ca_file).get_token(SCOPE)
        expect_bc_claims(token.token, scenario, main_tenant, certificate=True)

    check("azure-identity.ok-certificate", azure_ok_certificate)

    for name, (error, code) in ENTRA_ERRORS.items():
        scenario = scenarios[name]

        def azure_error(scenario=scenario, code=code):
            try:
                azure_credential(scenario, base, ca_file).get_token(SCOPE)
            except ClientAuthenticationError as raised:
                message = str(raised.message)
                if scenario.name == "entra.tenant-not-found":
                    expect("Unable to get authority configuration" in message or f"AADSTS{code}" in message,
                           f"message {message[:200]}")
                elif scenario.name == "entra.unavailable":
                    expect("503" in message or f"AADSTS{code}" in message, f"message {message[:200]}")
                else:
                    expect(f"AADSTS{code}" in message, f"message without AADSTS{code}: {message[:200]}")
                return
            raise AssertionError("a token was issued")

        check(f"azure-identity.{name}", azure_error)

    # A clean stop on SIGTERM.
    pid = os.environ.get("EMULATOR_PID")
    if pid:
        def stops_on_sigterm():
            os.kill(int(pid), signal.SIGTERM)
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                        state = handle.read().rsplit(")", 1)[1].split()[0]
                except FileNotFoundError:
                    return
                if state == "Z":  # exited, waiting for run.sh to reap it
                    return
                time.sleep(0.1)
            raise AssertionError("the emulator still runs 15 s after SIGTERM")

        check("emulator.stops-on-sigterm", stops_on_sigterm)


def main():
    source = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    line = source.readline()
    try:
        info = json.loads(line)
    except json.JSONDecodeError as error:
        record("emulator.json-line", False, f"{error}: {line[:200]!r}")
        info = None
    if info is not None:
        record("emulator.json-line", True)
        run(info)
    passed = sum(1 for ok in RESULTS if ok)
    failed = len(RESULTS) - passed
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
