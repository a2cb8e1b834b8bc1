#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn vfio_mdom_bench samples into the table, the targets and the plot.

    report.py [--strict] [--kernel KDIR] RAW.csv OUTDIR

Reads the CSV that vfio_mdom_bench wrote (round,op,var,peer,ns,count after
"# key: value" lines), prints the table and the targets of issue 10, and
writes OUTDIR/results.txt (the same text), OUTDIR/results.json (every
sample, best, median, ratios, targets) and OUTDIR/bench.png.

Best is the fastest of the rounds, median their median. Ratios divide a
peer's best time by vfio-mdom's (above 1: vfio-mdom is faster); without
vfio-mdom samples they are taken against iommufd instead. With --strict the
exit status is 1 when a target is not met (or cannot be judged).
"""

import argparse
import csv
import json
import os
import statistics
import sys

import report21

PEERS = ["mdom", "type1", "iommufd"]
BACKINGS = ["anon", "thp", "hugetlb", "memfd"]
PEER_LABEL = {"mdom": "vfio-mdom", "type1": "type1", "iommufd": "iommufd",
              "gup": "gup_test pin", "gupfast": "gup_test fast pin"}


def parse(path):
    meta, samples = {}, []
    with open(path) as f:
        lines = [ln for ln in f]
    body = []
    for ln in lines:
        if ln.startswith("# "):
            key, _, val = ln[2:].partition(":")
            meta[key.strip()] = val.strip()
        elif ln.strip():
            body.append(ln)
    for row in csv.DictReader(body):
        samples.append({"round": int(row["round"]), "op": row["op"],
                        "var": row["var"], "peer": row["peer"],
                        "ns": int(row["ns"]), "count": int(row["count"])})
    return meta, samples


class Stats:
    """Best and median of the samples of one (op, var, peer)."""

    def __init__(self, samples):
        self.ns = sorted(s["ns"] for s in samples)
        self.count = samples[0]["count"]
        self.best = self.ns[0]
        self.median = statistics.median(self.ns)


def collect(samples):
    groups = {}
    for s in samples:
        groups.setdefault((s["op"], s["var"], s["peer"]), []).append(s)
    return {k: Stats(v) for k, v in groups.items()}


def fmt_time(ns):
    if ns >= 1e9:
        return "%.2f s" % (ns / 1e9)
    if ns >= 1e6:
        return "%.1f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.1f us" % (ns / 1e3)
    return "%d ns" % ns


def fmt_mibps(nbytes, ns):
    return "%.0f MiB/s" % (nbytes / (1 << 20) / (ns / 1e9))


class Row:
    """One line of the table: an (op, var) and how to show its numbers."""

    def __init__(self, label, op, var, kind):
        self.label, self.op, self.var, self.kind = label, op, var, kind

    def show(self, st, which):
        ns = st.best if which == "best" else st.median
        if self.kind == "percall":
            return fmt_time(ns / st.count)
        if self.kind == "tput":
            return fmt_mibps(st.count, ns)
        if self.kind == "bytes":
            return "%d B" % round(ns / st.count)
        return fmt_time(ns)


def table_rows(stats, meta):
    size = meta.get("size_mib", "?")

    def present(op, var):
        return any(k[0] == op and k[1] == var for k in stats)

    def order(var):
        if var.isdigit():
            return (0, int(var))
        return (1, BACKINGS.index(var) if var in BACKINGS else 99)

    def vars_of(op):
        return sorted({k[1] for k in stats if k[0] == op}, key=order)

    sections = []
    rows = []
    for bk in BACKINGS:
        for op in ("map", "unmap"):
            if present(op, bk):
                rows.append(Row("%s %s %s MiB" % (op, bk, size), op, bk,
                                "time"))
    sections.append(("One call on %s MiB, edu attached (Intel domain)" % size,
                     rows))
    rows = []
    for op, into in (("replay_mock", "mock"), ("replay_intel", "Intel")):
        for bk in vars_of(op):
            rows.append(Row("into %s, %s %s MiB" % (into, bk, size), op, bk,
                            "time"))
    sections.append(("Replay: attach a group needing a new domain, %s MiB "
                     "mapped" % size, rows))
    rows = []
    for op in ("map4k", "unmap4k", "map4k_scat", "unmap4k_scat"):
        for var in vars_of(op):
            rows.append(Row("%s x %s" % (op, var), op, var, "percall"))
    sections.append(("4 KiB per call (time per call; _scat: at IOVAs in a "
                     "scattered order, not one after the other)", rows))
    rows = []
    for var in vars_of("mem4k"):
        rows.append(Row("mem4k x %s" % var, "mem4k", var, "bytes"))
    sections.append(("Kernel memory per 4 KiB mapping (slab and IOMMU page "
                     "tables; ratio above 1: vfio-mdom lighter)", rows))
    rows = []
    for op in ("threads_map", "threads_unmap"):
        for var in vars_of(op):
            rows.append(Row("%s, %s thread%s" % (op.split("_")[1], var,
                                                  "" if var == "1" else "s"),
                            op, var, "tput"))
    sections.append(("Threads on disjoint ranges of one container, 1 MiB "
                     "calls (throughput)", rows))
    rows = []
    for op in ("unmap_all", "close"):
        for var in vars_of(op):
            rows.append(Row("%s, %s mappings" % (op, var), op, var, "time"))
    sections.append(("Teardown", rows))
    sections += report21.viommu_sections(stats, size, Row)
    sections += report21.nvme_sections(stats, Row)
    sections += report21.extmem_sections(stats, Row)
    sections += report21.bigmap_sections(stats, Row)
    return [(t, r) for t, r in sections if r]


def ratio(stats, op, var, peer, ref):
    a, b = stats.get((op, var, peer)), stats.get((op, var, ref))
    # A memory sample can be 0 B (the slab had room already): no ratio
    if not a or not b or not b.best:
        return None
    return a.best / b.best


def render(meta, stats, peers, ref, targets):
    out = []
    w = out.append
    others = [p for p in peers if p != ref]
    w("vfio-mdom benchmark: %s rounds, best and median; kernel %s%s" % (
        meta.get("rounds", "?"), meta.get("kernel", "?").split()[0],
        " (DEBUG kernel!)" if meta.get("debug_kernel") == "yes" else
        " (performance kernel)"))
    w("Guest under QEMU TCG (emulated CPU, %s vCPUs on a shared host): "
      "absolute times are" % meta.get("cpus", "?"))
    w("far from hardware and noisy; compare peers within this run only. "
      "Ratio = peer time / %s time" % PEER_LABEL[ref])
    w("(above 1: %s is faster). Devices: edu %s (Intel vIOMMU), %s." % (
        PEER_LABEL[ref], meta.get("edu", "?").split()[0],
        meta.get("mock", "?").split()[0]))
    if "host_load" in meta:
        w("Host load average (1, 5, 15 min) before / after the guest run: "
          "%s / %s; guest run %s s." % (meta["host_load"],
                                        meta.get("host_load_after", "?"),
                                        meta.get("guest_seconds", "?")))
    if "mdom" not in peers:
        w("NOTE: no vfio-mdom samples (BENCH_PEERS without mdom): ratios are "
          "against %s; targets cannot be judged." % PEER_LABEL[ref])
    head = ["operation"] + ["%s best / median" % PEER_LABEL[p]
                            for p in peers] + \
        ["%s/%s" % (p, ref) for p in others]
    for title, rows in table_rows(stats, meta):
        lines = []
        for r in rows:
            cells = [r.label]
            for p in peers:
                st = stats.get((r.op, r.var, p))
                cells.append("%s / %s" % (r.show(st, "best"),
                                          r.show(st, "median"))
                             if st else "-")
            for p in others:
                x = ratio(stats, r.op, r.var, p, ref)
                cells.append("%.2f" % x if x is not None else "-")
            lines.append(cells)
        widths = [max(len(c[i]) for c in lines + [head])
                  for i in range(len(head))]
        w("")
        w(title)

        def fmt(c):
            return "  ".join(x.ljust(widths[i]) if i == 0 else
                             x.rjust(widths[i]) for i, x in enumerate(c))

        w(fmt(head))
        w("  ".join("-" * x for x in widths))
        for c in lines:
            w(fmt(c))

    pins = [bk for bk in BACKINGS if ("pin", bk, "gup") in stats]
    if pins:
        w("")
        w("Pin floor, gup_test on the same buffer (kernel-side time): "
          "pin = PIN_LONGTERM_BENCHMARK")
        w("(pin_user_pages, FOLL_LONGTERM, mmap lock held: how type1 pins), "
          "fast = PIN_FAST_BENCHMARK")
        w("with FOLL_LONGTERM (pin_user_pages_fast: how iommufd pins). "
          "Ratios: one map / pin (/ fast).")
        for bk in pins:
            pin = stats[("pin", bk, "gup")]
            fast = stats.get(("pinfast", bk, "gup"))
            cells = ["  %-8s pin %s, unpin %s" % (
                bk, fmt_time(pin.best),
                fmt_time(stats[("unpin", bk, "gup")].best))]
            if fast:
                cells[0] += "; fast pin %s, unpin %s" % (
                    fmt_time(fast.best),
                    fmt_time(stats[("unpinfast", bk, "gup")].best))
            for p in peers:
                m = stats.get(("map", bk, p))
                if m:
                    cells.append("%s %.2f%s" % (
                        p, m.best / pin.best,
                        " (%.2f)" % (m.best / fast.best) if fast else ""))
            w("; ".join(cells))

    w("")
    w("Targets (issue 10; best times, vfio-mdom against the others):")
    for t in targets:
        w("  %-7s %s" % (t["verdict"], t["name"]))
        for d in t["details"]:
            w("          %s" % d)
    return "\n".join(out) + "\n"


def check_targets(stats, peers):
    """Each target: name, verdict MET / NOT MET / N/A, and details."""
    targets = []
    have = "mdom" in peers

    def add(name, ok, details):
        verdict = "N/A" if not have or ok is None else \
            ("MET" if ok else "NOT MET")
        targets.append({"name": name, "verdict": verdict,
                        "details": details})

    # 1: every operation at least 1.0 against type1 and iommufd
    bad, n = [], 0
    for (op, var, peer), st in sorted(stats.items()):
        # Memory is reported, not a speed target.
        if peer != "mdom" or op.startswith("mem"):
            continue
        for other in ("type1", "iommufd"):
            x = ratio(stats, op, var, other, "mdom")
            if x is None:
                continue
            n += 1
            if x < 1.0:
                bad.append("%s %s: %s/mdom %.2f" % (op, var, other, x))
    add("every operation >= 1.0 against type1 and iommufd",
        (not bad) if n else None,
        bad if bad else ["%d ratios, all >= 1.0" % n] if n else [])

    # 2: replay at least 5x faster than type1
    det, ok = [], None
    for (op, var, peer) in sorted(stats):
        if op.startswith("replay") and peer == "mdom":
            x = ratio(stats, op, var, "type1", "mdom")
            if x is not None:
                det.append("%s %s: %.2f" % (op, var, x))
                ok = (ok is not False) and x >= 5.0
    add("replay >= 5x faster than type1", ok, det)

    # 3: one large map within 1.3x of the pin floor
    det, ok = [], None
    for bk in BACKINGS:
        pin = stats.get(("pin", bk, "gup"))
        if not pin:
            continue
        fast = stats.get(("pinfast", bk, "gup"))
        vals = []
        for p in peers:
            m = stats.get(("map", bk, p))
            if m:
                vals.append("%s %.2f%s" % (
                    p, m.best / pin.best,
                    " (fast %.2f)" % (m.best / fast.best) if fast else ""))
                if p == "mdom":
                    ok = (ok is not False) and m.best <= 1.3 * pin.best
        det.append("%s map/pin: %s" % (bk, ", ".join(vals)))
    add("one large map <= 1.3x the gup_test pin floor", ok, det)

    # 4: per-call cost at the most mappings within 2x of the fewest
    det, ok = [], None
    for op in ("map4k", "unmap4k"):
        counts = sorted({int(k[1]) for k in stats if k[0] == op})
        if len(counts) < 2:
            continue
        lo, hi = str(counts[0]), str(counts[-1])
        vals = []
        for p in peers:
            a, b = stats.get((op, lo, p)), stats.get((op, hi, p))
            if a and b:
                x = (b.best / b.count) / (a.best / a.count)
                vals.append("%s %.2f" % (p, x))
                if p == "mdom":
                    ok = (ok is not False) and x <= 2.0
        det.append("%s per call at %s / at %s: %s" % (op, hi, lo,
                                                     ", ".join(vals)))
    add("per-call cost at 1M mappings <= 2x the cost at 1K", ok, det)

    # 5: 4 threads at least 2x the throughput of one
    det, ok = [], None
    ts = sorted({int(k[1]) for k in stats if k[0] == "threads_map"})
    if len(ts) >= 2 and ts[0] == 1:
        hi = str(4 if 4 in ts else ts[-1])
        vals = []
        for p in peers:
            a, b = stats.get(("threads_map", "1", p)), \
                stats.get(("threads_map", hi, p))
            if a and b:
                x = a.best / b.best
                vals.append("%s %.2f" % (p, x))
                if p == "mdom":
                    ok = (ok is not False) and x >= 2.0
        det.append("map throughput %s threads / 1 thread: %s" % (
            hi, ", ".join(vals)))
    add("4 threads >= 2x the map throughput of 1 thread", ok, det)
    report21.targets(stats, peers, add)
    return targets


def plot(path, meta, stats, peers):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda y, _: "%g" % y)

    def legend(ax):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "not measured", ha="center",
                    transform=ax.transAxes)

    colors = {"mdom": "tab:green", "type1": "tab:red",
              "iommufd": "tab:blue", "gup": "dimgray", "gupfast": "silver"}
    fig, axes = plt.subplots(2, 2, figsize=(14, 10))
    fig.suptitle("vfio-mdom vs type1 vs iommufd: %s MiB, best of %s "
                 "(QEMU TCG guest, %s)" % (
                     meta.get("size_mib", "?"), meta.get("rounds", "?"),
                     "debug kernel" if meta.get("debug_kernel") == "yes"
                     else "performance kernel"))

    def bars(ax, keys, title, with_gup=False):
        who = peers + (["gup", "gupfast"] if with_gup else [])
        width = 0.8 / len(who)
        for i, p in enumerate(who):
            xs, ys = [], []
            for j, (op, var) in enumerate(keys):
                pk = p
                if p == "gup":
                    op = {"map": "pin", "unmap": "unpin"}.get(op)
                elif p == "gupfast":
                    pk = "gup"
                    op = {"map": "pinfast", "unmap": "unpinfast"}.get(op)
                st = stats.get((op, var, pk)) if op else None
                if st:
                    xs.append(j + (i - (len(who) - 1) / 2) * width)
                    ys.append(st.best / 1e6)
            ax.bar(xs, ys, width, label=PEER_LABEL[p], color=colors[p])
        ax.set_xticks(range(len(keys)))
        short = {"replay_mock": "to mock", "replay_intel": "to Intel",
                 "unmap_all": "unmap all"}
        ax.set_xticklabels(["%s\n%s" % (short.get(op, op), var)
                            for op, var in keys], fontsize=8)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.set_ylabel("ms (log)")
        ax.set_title(title)
        legend(ax)

    large = [(op, bk) for bk in BACKINGS for op in ("map", "unmap")
             if any(k[0] == op and k[1] == bk for k in stats)]
    if large:
        bars(axes[0][0], large, "one map / unmap of the buffer "
             "(gray: gup_test pin / unpin floors)", with_gup=True)
    other = [(op, bk) for op in ("replay_mock", "replay_intel")
             for bk in BACKINGS if any(k[:2] == (op, bk) for k in stats)]
    other += sorted({k[:2] for k in stats if k[0] in ("unmap_all", "close")})
    if other:
        bars(axes[0][1], other, "replay into a new domain; teardown")

    ax = axes[1][0]
    for op, style in (("map4k", "-o"), ("unmap4k", "--s")):
        for p in peers:
            pts = sorted((int(k[1]), st.best / st.count / 1e3)
                         for k, st in stats.items()
                         if k[0] == op and k[2] == p)
            if pts:
                ax.plot([x for x, _ in pts], [y for _, y in pts], style,
                        color=colors[p], label="%s %s" % (PEER_LABEL[p], op))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel("4 KiB mappings in the container")
    ax.set_ylabel("us per call (log)")
    ax.set_title("4 KiB map / unmap, one per call")
    legend(ax)

    ax = axes[1][1]
    for op, style in (("threads_map", "-o"), ("threads_unmap", "--s")):
        for p in peers:
            pts = sorted((int(k[1]), st.count / (1 << 20) / (st.best / 1e9))
                         for k, st in stats.items()
                         if k[0] == op and k[2] == p)
            if pts:
                ax.plot([x for x, _ in pts], [y for _, y in pts], style,
                        color=colors[p],
                        label="%s %s" % (PEER_LABEL[p], op.split("_")[1]))
    ts = sorted({int(k[1]) for k in stats if k[0] == "threads_map"})
    if ts:
        ax.set_xticks(ts)
    ax.set_xlabel("threads")
    ax.set_ylabel("MiB/s")
    ax.set_title("threads mapping disjoint ranges of one container")
    legend(ax)

    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 unless every target is met")
    ap.add_argument("--kernel", help="kernel tree the guest ran (recorded)")
    ap.add_argument("--meta", action="append", default=[],
                    metavar="KEY=VALUE", help="more facts to record")
    ap.add_argument("raw")
    ap.add_argument("outdir")
    args = ap.parse_args()

    meta, samples = parse(args.raw)
    if not samples:
        sys.exit("report: no samples in %s" % args.raw)
    if args.kernel:
        meta["kernel_tree"] = args.kernel
    for kv in args.meta:
        key, _, val = kv.partition("=")
        meta[key] = val
    stats = collect(samples)
    peers = [p for p in PEERS if any(k[2] == p for k in stats)]
    ref = "mdom" if "mdom" in peers else \
        ("iommufd" if "iommufd" in peers else peers[0])
    targets = check_targets(stats, peers)
    text = render(meta, stats, peers, ref, targets)
    text += report21.slower_text(text, os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..",
        "Documentation", "performance.rst"))
    sys.stdout.write(text)

    os.makedirs(args.outdir, exist_ok=True)
    with open(os.path.join(args.outdir, "results.txt"), "w") as f:
        f.write(text)
    rows = [{"op": op, "var": var, "peer": peer, "count": st.count,
             "best_ns": st.best, "median_ns": st.median, "samples_ns": st.ns}
            for (op, var, peer), st in sorted(stats.items())]
    with open(os.path.join(args.outdir, "results.json"), "w") as f:
        json.dump({"meta": meta, "reference": ref, "results": rows,
                   "targets": targets}, f, indent=1)
        f.write("\n")
    png = os.path.join(args.outdir, "bench.png")
    plot(png, meta, stats, peers)
    print("report: %s, %s, %s" % tuple(
        os.path.join(args.outdir, n)
        for n in ("results.txt", "results.json", "bench.png")))
    if args.strict and any(t["verdict"] != "MET" for t in targets):
        sys.exit(1)


if __name__ == "__main__":
    main()
