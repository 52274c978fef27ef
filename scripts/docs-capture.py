#!/usr/bin/env python3
"""Fills the outputs of a docs page's console examples from real runs (docs/writing-docs.md).

    python3 scripts/docs-capture.py docs/cli.md [more.md ...]

For every ```console block (not no-run) each '$ ' line runs in bash from the repository root (./hlo4j is the real
launcher) and the lines under it are replaced by what it printed (stdout and stderr together). A command whose
page output has a '...' line is left as it is and its real output printed here, for a person to merge. Paths
under /tmp that a block names are removed before the block runs, as the docs test gives every block a fresh /tmp.
A block labelled with file=PATH (```mlir file=docs/examples/add.mlir) gets the contents of that file.
"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_block(lines):
    text = "\n".join(lines)
    for p in set(re.findall(r"(?:^|[\s=])(/tmp/[\w.-]+)", text)):
        shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else (os.path.exists(p) and os.remove(p))
    out, cmd, expected = [], None, []

    def flush():
        if cmd is None:
            return
        real = subprocess.run(["bash", "-c", cmd], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True).stdout.rstrip("\n").split("\n")
        real = [] if real == [""] else [l.rstrip() for l in real]
        if any("..." in l for l in expected):
            sys.stderr.write("kept (has '...'): $ %s\n%s\n\n" % (cmd, "\n".join("  | " + l for l in real)))
            out.extend(expected)
        else:
            out.extend(real)

    for l in lines:
        if l.startswith("$ "):
            flush()
            cmd, expected = l[2:], []
            out.append(l)
        elif cmd is None:
            out.append(l)
        else:
            expected.append(l)
    flush()
    return out


def main(pages):
    for page in pages:
        lines = open(page).read().split("\n")
        result, i = [], 0
        while i < len(lines):
            l = lines[i]
            result.append(l)
            m = re.match(r"^(`{3,})console(\s.*)?$", l.strip())
            i += 1
            f = re.match(r"^`{3,}\S*\s.*\bfile=(\S+)", l.strip())
            if f:  # a block shown as a file of the repository: its contents
                result.extend(open(os.path.join(ROOT, f.group(1))).read().rstrip("\n").split("\n"))
                while not lines[i].strip().startswith("```"):
                    i += 1
                result.append(lines[i])
                i += 1
                continue
            if not m or "no-run" in (m.group(2) or "").split():
                if m or l.strip().startswith("```"):  # copy any other block as it is
                    while i < len(lines) and not lines[i].strip().startswith("```"):
                        result.append(lines[i])
                        i += 1
                    if i < len(lines):
                        result.append(lines[i])
                        i += 1
                continue
            body = []
            while not lines[i].strip().startswith(m.group(1)):
                body.append(lines[i])
                i += 1
            result.extend(run_block(body))
            result.append(lines[i])
            i += 1
        open(page, "w").write("\n".join(result))


if __name__ == "__main__":
    main(sys.argv[1:])
