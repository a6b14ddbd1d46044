#!/usr/bin/env python3
"""Writes Tests/Corpus/README.md: one row per corpus entry (source, confidence, expected reasons)."""
import os, sys
root = os.path.join(os.path.dirname(__file__), "..", "Tests", "Corpus")
rows = []
for name in sorted(os.listdir(os.path.join(root, "entries"))):
    if not name.endswith(".txt"):
        continue
    head = open(os.path.join(root, "entries", name), encoding="utf-8").read().split("\n---\n", 1)[0]
    meta = dict(line.split(":", 1) for line in head.splitlines() if ":" in line)
    meta = {k.strip(): v.strip() for k, v in meta.items()}
    expect = meta.get("expect", "") + ("" if not meta.get("also") else " (or " + meta["also"] + ")")
    rows.append(f"| `{name[:-4]}` | {meta.get('confidence','')} | `{expect}` | {meta.get('source','')} |")
counts = {}
for r in rows:
    c = r.split("|")[2].strip()
    counts[c] = counts.get(c, 0) + 1
text = f"""# The real-world error corpus

{len(rows)} verbatim error texts collected from public issue threads, documentation and forum posts, each
with the cause its source confirms (`confirmed`), Microsoft documents (`documented`), or an experienced
reader would name (`reported`). Entry format: [FORMAT.md](FORMAT.md). `make bench` prints how often
`explain` names the expected reason first and in its first three, by confidence
(`s2s-doctor _corpus Tests/Corpus/entries --misses` lists the misses); a test keeps the figures from
falling. Entries are evidence, not rules: every rule in `Checks/reasons` is a general form with a test on
a variant of its own (`Tests/S2SDoctorCoreTests/TolerantReadingTests.swift`).

By confidence: {", ".join(f"{k} {v}" for k, v in sorted(counts.items()))}. An `expect` of `new:…` names a cause
no reason covers yet (kept as a miss on purpose).

| entry | confidence | expected first | source |
|---|---|---|---|
""" + "\n".join(rows) + "\n"
open(os.path.join(root, "README.md"), "w", encoding="utf-8").write(text)
