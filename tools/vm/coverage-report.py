#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make coverage's report (tools/vm/coverage.sh).

    coverage-report.py GCOVR_JSON SRC_ROOT DIR

From gcovr's JSON report: lines and branches covered per file, as an RST
table (Documentation/testing.rst has it), then every goto label of the .c
files of SRC_ROOT/DIR whose code never ran: the first executable line
after the label has a count of 0 (a file without gcov data counts as never
run). The target: 95 % of lines, every label reached.
"""
import json
import os
import re
import sys

LABEL = re.compile(r"^\s?([A-Za-z_]\w*):(?!:)\s*(/\*.*\*/)?\s*$")
NOT_LABELS = {"default"}
# What coverage.sh leaves out of gcovr's report too (no code of our own)
SKIPPED = {"trace.c", "vfio_abi_check.c"}


def main():
    report, root, subdir = sys.argv[1:4]
    with open(report) as f:
        files = {os.path.normpath(e["file"]): e for e in json.load(f)["files"]}

    rows = []
    counts = {}
    for name in sorted(files):
        lines = [ln for ln in files[name]["lines"]
                 if not ln.get("gcovr/noncode")]
        counts[name] = {ln["line_number"]: ln["count"] for ln in lines}
        br = [b for ln in lines for b in ln.get("branches", [])]
        rows.append((os.path.basename(name),
                     sum(ln["count"] > 0 for ln in lines), len(lines),
                     sum(b["count"] > 0 for b in br), len(br)))
    rows.append(("total", sum(r[1] for r in rows), sum(r[2] for r in rows),
                 sum(r[3] for r in rows), sum(r[4] for r in rows)))

    def pct(a, b):
        return f"{100.0 * a / b:.1f}" if b else "-"

    table = [("file", "lines", "%", "branches", "%")]
    for n, lc, lt, bc, bt in rows:
        table.append((n if n == "total" else f"``{n}``", f"{lc}/{lt}",
                      pct(lc, lt), f"{bc}/{bt}", pct(bc, bt)))
    width = [max(len(r[i]) for r in table) for i in range(5)]
    rule = "  ".join("=" * w for w in width)

    def show(r):
        cells = [r[0].ljust(width[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:], width[1:])]
        print("  ".join(cells).rstrip())

    print(rule)
    show(table[0])
    print(rule)
    for r in table[1:-1]:
        show(r)
    print(rule)
    show(table[-1])
    print(rule)

    unreached = []
    nlabels = 0
    d = os.path.join(root, subdir)
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".c"):
            continue
        rel = os.path.normpath(os.path.join(subdir, fn))
        with open(os.path.join(d, fn)) as f:
            src = f.read().split("\n")
        if fn in SKIPPED:
            continue
        lines = counts.get(rel)
        for i, text in enumerate(src, 1):
            m = LABEL.match(text)
            if not m or m.group(1) in NOT_LABELS:
                continue
            nlabels += 1
            nxt = [n for n in sorted(lines or {}) if n > i]
            if not lines or not nxt or lines[nxt[0]] == 0:
                unreached.append(f"{rel}:{i}: {m.group(1)}")
    lt, ltot = rows[-1][1], rows[-1][2]
    print()
    print(f"goto labels never reached: {len(unreached)} of {nlabels}")
    for u in unreached:
        print("  " + u)
    met = ltot and 100.0 * lt / ltot >= 95.0 and not unreached
    print()
    print("target (95 % of lines, every label reached): " +
          ("met" if met else "not met"))


if __name__ == "__main__":
    main()
