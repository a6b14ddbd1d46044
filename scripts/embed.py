#!/usr/bin/env python3
"""Embed the check catalogue (Checks/) and the report templates (Templates/) as Swift sources.

The built binary must work when copied alone to another machine, so the data folders are
compiled in rather than shipped as resource bundles. Run `make generate` after editing them;
a test fails (naming this command) when the generated files are out of date.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The check catalogue is not embedded as YAML: catalogue-gen writes its validated JSON snapshot.
JOBS = [
    ("Templates", "Sources/S2SDoctorReports/Generated/EmbeddedTemplates.swift", "EmbeddedTemplates"),
]

SKIP = {"README.md", ".DS_Store"}


def render(folder: str, name: str) -> str:
    base = os.path.join(ROOT, folder)
    entries = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for filename in sorted(filenames):
            rel = os.path.relpath(os.path.join(dirpath, filename), base)
            # Worked examples and fixtures are for tests and users, not for the shipped binary.
            if rel in SKIP or filename.startswith(".") or rel.startswith("examples" + os.sep):
                continue
            if folder == "Checks" and (os.sep + "fixtures" + os.sep) in (os.sep + rel):
                continue
            with open(os.path.join(dirpath, filename), encoding="utf-8") as handle:
                entries.append((rel.replace(os.sep, "/"), handle.read()))
    entries.sort()
    out = [
        f"// GENERATED from {folder}/ by scripts/embed.py. Do not edit: run `make generate`.",
        "// swift-format-ignore-file",
        "",
        f"enum {name} {{",
        "  static let files: [(path: String, contents: String)] = [",
    ]
    for rel, text in entries:
        # Multi-line raw literals: the closing delimiter sits in column 0 so that no
        # indentation is stripped, and a file's final newline is added back explicitly.
        hashes = "#"
        while ('"' + hashes) in text or ('"""' + hashes) in text:
            hashes += "#"
        body = text[:-1] if text.endswith("\n") else text
        suffix = ' + "\\n"' if text.endswith("\n") else ""
        out.append(f'    (\n      "{rel}",\n      {hashes}"""')
        out.append(body)
        out.append(f'"""{hashes}{suffix}')
        out.append("    ),")
    out.append("  ]")
    out.append("}")
    return "\n".join(out) + "\n"


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for folder, target, name in JOBS:
        content = render(folder, name)
        path = os.path.join(ROOT, target)
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current != content:
            if check:
                stale.append(target)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(content)
    if stale:
        print("out of date: " + ", ".join(stale) + " (run `make generate`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
