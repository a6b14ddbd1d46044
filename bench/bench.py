#!/usr/bin/env python3
"""S2S Doctor benchmark: one table of figures and ratios, measured against baselines in the same run.

Everything runs against one local emulator on loopback. Medians are used because the machine is
shared and noisy; ratios compare programs measured back to back in the same run.
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile, threading, time
import http.client, ssl

def run_timed(cmd, env=None, stdin=None):
    """Wall time (s) and peak RSS (MB) of one whole process."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL if stdin is None else stdin,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, p.returncode

def median_time(cmd, n, env=None):
    times = []
    for _ in range(n):
        t, _, _ = run_timed(cmd, env)
        times.append(t)
    return statistics.median(times)

def start_emulator(binary):
    p = subprocess.Popen([binary, "emulate", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    return p, json.loads(line)

def arg(scenario, flag):
    a = scenario["args"]
    return a[a.index(flag) + 1] if flag in a else None

CURL_SCRIPT = r'''#!/usr/bin/env bash
# The same requests as `s2s-doctor check` for a healthy registration, with curl.
set -euo pipefail
B="$1"; T="$2"; C="$3"; CA="$4"
curl -sS --cacert "$CA" -o /dev/null "$B/$T/v2.0/.well-known/openid-configuration"
TOKEN=$(curl -sS --cacert "$CA" --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$C" \
  --data-urlencode "client_secret=$AZURE_CLIENT_SECRET" --data-urlencode "scope=https://api.businesscentral.dynamics.com/.default" \
  "$B/$T/oauth2/v2.0/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -sS --cacert "$CA" -o /dev/null -H "Authorization: Bearer $TOKEN" "$B/v2.0/$T/production/api/v2.0/companies"
curl -sS --cacert "$CA" -o /dev/null -H "Authorization: Bearer $TOKEN" "$B/v2.0/$T/production/api/microsoft/automation/v2.0/companies"
'''

MSAL_SCRIPT = r'''
import os, sys, msal
base, tenant, client = sys.argv[1:4]
app = msal.ConfidentialClientApplication(client, client_credential=os.environ["AZURE_CLIENT_SECRET"],
    authority=f"{base}/{tenant}", instance_discovery=False)
r = app.acquire_token_for_client(["https://api.businesscentral.dynamics.com/.default"])
sys.exit(0 if "access_token" in r else 1)
'''

FLEET_SCENARIOS = ["ok", "ok-domain", "entra.secret-invalid", "entra.app-not-found", "entra.secret-expired",
    "token.roles-missing", "token.api-role-missing", "token.audience-not-bc", "bc.app-not-accepted",
    "bc.permission-missing", "bc.no-companies-visible", "bc.environment-not-found"]

def fleet_inventory(info, rows, path):
    env = {}
    with open(path, "w") as f:
        f.write("name,tenant,clientId,environment,deployment,secretEnv,certificate\n")
        for i in range(rows):
            name = FLEET_SCENARIOS[i % len(FLEET_SCENARIOS)]
            s = info["scenarios"][name]
            var = "S2S_SECRET_%d" % (i % len(FLEET_SCENARIOS))
            env[var] = s["env"].get("AZURE_CLIENT_SECRET", "")
            f.write("%s-%d,%s,%s,%s,online,%s,\n" % (name, i, arg(s, "--tenant"), arg(s, "--client-id"),
                                                     arg(s, "--environment") or "production", var))
    return env

def emulator_throughput(info, n=1000, threads=4):
    s = info["scenarios"]["ok"]
    ca = arg(s, "--ca-file"); base = info["baseURL"]
    host, port = base.replace("https://", "").split(":")
    tenant, client, secret = arg(s, "--tenant"), arg(s, "--client-id"), s["env"]["AZURE_CLIENT_SECRET"]
    ctx = ssl.create_default_context(cafile=ca)
    from urllib.parse import urlencode
    body = urlencode({"grant_type": "client_credentials", "client_id": client, "client_secret": secret,
                      "scope": "https://api.businesscentral.dynamics.com/.default"})
    conn = http.client.HTTPSConnection(host, int(port), context=ctx)
    conn.request("POST", f"/{tenant}/oauth2/v2.0/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
    token = json.loads(conn.getresponse().read())["access_token"]
    errors = []
    def worker(count):
        c = http.client.HTTPSConnection(host, int(port), context=ctx)
        for _ in range(count):
            c.request("POST", f"/{tenant}/oauth2/v2.0/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse(); r.read()
            if r.status != 200: errors.append(r.status)
            c.request("GET", f"/v2.0/{tenant}/production/api/v2.0/companies", headers={"Authorization": "Bearer " + token})
            r = c.getresponse(); r.read()
            if r.status != 200: errors.append(r.status)
    start = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(n // threads,)) for _ in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    return time.perf_counter() - start, len(errors)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--hello", help="a Swift hello world built the same way, the cold-start baseline")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    a = ap.parse_args()
    reps = 5 if a.quick else 15
    binary = os.path.abspath(a.bin)
    rows = []
    def add(name, value, target, ok):
        rows.append((name, value, target, "yes" if ok else "NO"))

    # 1. Cold start.
    cold = median_time([binary, "--version"], reps * 2)
    msal_import = median_time([a.python, "-c", "import msal"], reps)
    add("cold start: s2s-doctor --version (median)", "%.1f ms" % (cold * 1000), "<= 20 ms", cold <= 0.020)
    if a.hello:
        # Interleaved, so both medians see the same moments of this shared, noisy machine.
        pairs = [(run_timed([binary, "--version"])[0], run_timed([os.path.abspath(a.hello)])[0]) for _ in range(reps * 2)]
        ours, hello = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
        add("cold start: Swift hello world, built the same way (median)", "%.1f ms" % (hello * 1000), "", True)
        add("cold start ratio (s2s-doctor --version / hello world, interleaved)", "%.2fx" % (ours / hello), "<= 2x",
            ours / hello <= 2)
    add("cold start: python3 -c 'import msal' (median)", "%.1f ms" % (msal_import * 1000), "", True)
    add("cold start ratio (msal import / s2s-doctor)", "%.1fx" % (msal_import / cold), ">= 5x", msal_import / cold >= 5)

    emu, info = start_emulator(binary)
    try:
        ok = info["scenarios"]["ok"]
        env = dict(os.environ); env.update(ok["env"])
        tmp = tempfile.mkdtemp()
        curl_path = os.path.join(tmp, "curl_check.sh"); open(curl_path, "w").write(CURL_SCRIPT)
        msal_path = os.path.join(tmp, "msal_token.py"); open(msal_path, "w").write(MSAL_SCRIPT)
        check_cmd = [binary, "check", "--format", "json"] + ok["args"]
        curl_cmd = ["bash", curl_path, info["baseURL"], arg(ok, "--tenant"), arg(ok, "--client-id"), arg(ok, "--ca-file")]
        msal_env = dict(env); msal_env["REQUESTS_CA_BUNDLE"] = arg(ok, "--ca-file")
        msal_cmd = [a.python, msal_path, info["baseURL"], arg(ok, "--tenant"), arg(ok, "--client-id")]
        # Interleave the three so that machine noise hits them alike.
        t_check, t_curl, t_msal = [], [], []
        for _ in range(reps):
            t_check.append(run_timed(check_cmd, env)[0])
            t_curl.append(run_timed(curl_cmd, env)[0])
            t_msal.append(run_timed(msal_cmd, msal_env)[0])
        c, cu, m = statistics.median(t_check), statistics.median(t_curl), statistics.median(t_msal)
        add("check (ok), whole process (median)", "%.1f ms" % (c * 1000), "", True)
        add("curl script, same 4 requests (median)", "%.1f ms" % (cu * 1000), "", True)
        add("MSAL Python token script (median)", "%.1f ms" % (m * 1000), "", True)
        add("check / curl", "%.2fx" % (c / cu), "<= 1.0x", c / cu <= 1.0)
        add("MSAL / check", "%.1fx" % (m / c), ">= 3x", m / c >= 3)

        # 3. Emulator throughput.
        wall, errors = emulator_throughput(info)
        add("emulator: 1,000 token + 1,000 companies requests", "%.2f s (%d errors)" % (wall, errors), "< 5 s", wall < 5 and errors == 0)

        # 4. Fleet.
        inv = os.path.join(tmp, "fleet1k.csv")
        fenv = dict(os.environ); fenv.update(fleet_inventory(info, 1000, inv))
        fleet_common = ["--authority-host", info["baseURL"], "--bc-api-host", info["baseURL"], "--ca-file", arg(ok, "--ca-file"), "--format", "json"]
        wall1k, rss1k, _ = run_timed([binary, "fleet", inv] + fleet_common, fenv)
        add("fleet: 1,000 registrations, wall", "%.2f s" % wall1k, "<= 10 s", wall1k <= 10)
        add("fleet: 1,000 registrations, registrations/s", "%.0f/s" % (1000 / wall1k), "", True)
        add("fleet: 1,000 registrations, peak RSS", "%.0f MB" % rss1k, "<= 150 MB", rss1k <= 150)
        inv10 = os.path.join(tmp, "fleet10k.csv")
        fenv10 = dict(os.environ); fenv10.update(fleet_inventory(info, 10000, inv10))
        wall10k, rss10k, _ = run_timed([binary, "fleet", inv10] + fleet_common, fenv10)
        add("fleet: 10,000 registrations, wall", "%.2f s" % wall10k, "", True)
        add("fleet: 10,000 registrations, peak RSS", "%.0f MB (%.2fx of 1,000)" % (rss10k, rss10k / rss1k), "<= 1.5x", rss10k <= 1.5 * rss1k)

        # 5. explain over a 1 MB log.
        log = os.path.join(tmp, "pipeline.log")
        with open(log, "w") as f:
            line = "2024-05-03T10:11:12.345Z INFO  [deploy] Publishing app 'Contoso Sales' to environment Production step=42 ok\n"
            while f.tell() < 1_000_000:
                f.write(line)
            f.write('2024-05-03T10:12:00Z ERROR {"error":{"code":"Authentication_InvalidCredentials","message":"The server has rejected the client credentials.  CorrelationId:  0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f."}}\n')
        t_explain = median_time([binary, "explain", "--from", log, "--format", "json"], reps)
        add("explain: 1 MB pasted log (median, whole process)", "%.0f ms" % (t_explain * 1000), "< 200 ms", t_explain < 0.2)

        # 6. explain on the real-world corpus (Tests/Corpus): top-1 and top-3, by confidence of the cause.
        table = subprocess.run([binary, "_corpus", "Tests/Corpus/entries"], capture_output=True, text=True).stdout
        cells = {}
        for line in table.splitlines():
            parts = [p.strip() for p in line.strip("|").split("|")]
            if len(parts) == 4 and parts[1].isdigit():
                cells[parts[0]] = (int(parts[1]), float(parts[2].rstrip("%")), float(parts[3].rstrip("%")))
        est = cells.get("confirmed or documented cause", (0, 0.0, 0.0))
        every = cells.get("all", (0, 0.0, 0.0))
        add("corpus: top-1, confirmed or documented (%d)" % est[0], "%.1f%%" % est[1], ">= 95%", est[1] >= 95)
        add("corpus: top-1, all (%d)" % every[0], "%.1f%%" % every[1], ">= 85%", every[1] >= 85)
        add("corpus: top-3, all", "%.1f%%" % every[2], ">= 98%", every[2] >= 98)
        for key in ("confirmed", "documented", "reported"):
            if key in cells:
                add("corpus: %s (%d): top-1 / top-3" % (key, cells[key][0]), "%.1f%% / %.1f%%" % cells[key][1:], "", True)
        # The held-out set (Tests/Corpus/heldout): measured blind once (its README); since used for tuning.
        # Tests/Corpus/heldout2: a second set, gathered blind on 2026-12-05 (its README has the blind figure).
        for folder, label in (("Tests/Corpus/heldout", "held-out (seen)"), ("Tests/Corpus/heldout2", "held-out 2 (seen)")):
            table = subprocess.run([binary, "_corpus", folder], capture_output=True, text=True).stdout
            for line in table.splitlines():
                parts = [p.strip() for p in line.strip("|").split("|")]
                if len(parts) == 4 and parts[1].isdigit() and parts[0] in ("confirmed or documented cause", "all"):
                    add("%s, %s (%s): top-1 / top-3" % (label, parts[0], parts[1]), "%s / %s" % (parts[2], parts[3]), "", True)
        shutil.rmtree(tmp, ignore_errors=True)
    finally:
        emu.terminate(); emu.wait()

    w = max(len(r[0]) for r in rows)
    print("\nS2S Doctor benchmark (%s, %d cores)\n" % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count()))
    print("%-*s  %-28s %-10s %s" % (w, "measure", "value", "target", "met"))
    print("-" * (w + 50))
    for name, value, target, met in rows:
        print("%-*s  %-28s %-10s %s" % (w, name, value, target, met if target else ""))
    missed = [r for r in rows if r[2] and r[3] == "NO"]
    print("\n%d of %d targets met." % (len([r for r in rows if r[2]]) - len(missed), len([r for r in rows if r[2]])))

if __name__ == "__main__":
    main()
