#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: run the benchmarks, write bench/results.md and the plot.

Hosted figures are instruction counts from callgrind (deterministic: the
same build gives the same counts on any x86-64 machine). Every series of
bracketed calls is dumped under its own label by bench/hosted_bench.c;
per call = (series Ir - calls * empty-bracket Ir) / calls, the empty
bracket being the "calib" series (a call to an empty function).

QEMU figures (EL2 instructions per hypercall round trip and per guest
exit, beside their floors) come from bench/qemu_bench.py's output file
when given (--qemu).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

MIB = 1 << 20

# Targets of issue 5 (instructions per call, x86-64 here).
TARGET_MAP = 150
TARGET_ASSIGN = 400
TARGET_VERIFY_RATIO = 0.95
TARGET_META = 8.0
TARGET_HVC_RATIO = 1.3
TARGET_EXIT_RATIO = 1.6

# The host's stage-2 fault before its RAM came in 2 MiB blocks (bench at
# b3df5ec, the same method): map_page_host per 4 KiB page.
HOST_FAULT_BEFORE = 226

# Before issue 5's EL2 work (bench at b35d0ce, the same method): HVC_NOOP
# and the guest exits, EL2 instructions without CV_DEBUG.
QEMU_BEFORE = {"hvc_noop": 189, "hvc_is_inc_exe": 324, "guest_hvc": 3763,
               "guest_mmio_write": 3697, "guest_mmio_read": 3725}
# Before the like-for-like floors and the exit-path work (main at c41eb04,
# the same method): the build `make run` ships (CV_DEBUG on).
QEMU_BEFORE_SHIPPED = {"hvc_noop": 52, "hvc_is_inc_exe": 187,
                       "guest_hvc": 2069, "guest_mmio_write": 2185,
                       "guest_mmio_read": 2181}
BREAKDOWN_BEFORE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "exit-breakdown-before.json")
# After the like-for-like floors and the pinned run page (main at 84a6766,
# the same method, CV_DEBUG): the round trips and their breakdown.
QEMU_BEFORE_84A = {"hvc_noop": 16, "hvc_is_inc_exe": 191, "guest_hvc": 1506,
                   "guest_mmio_write": 1630, "guest_mmio_read": 1626,
                   "guest_hvc_fp": 1664, "guest_mmio_write_fp": 1788,
                   "guest_mmio_read_fp": 1784}
BREAKDOWN_84A = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "exit-breakdown-84a6766.json")
GUEST_EXITS = [("guest_hvc", "guest HVC -> host -> VCPU_RUN -> guest", False),
               ("guest_mmio_write", "guest MMIO write -> host -> guest", False),
               ("guest_mmio_read", "guest MMIO read -> host -> guest", False),
               ("guest_hvc_fp", "the same HVC, the guest touching FP/SIMD "
                "every run", True),
               ("guest_mmio_write_fp", "the same MMIO write, FP/SIMD touched",
                True),
               ("guest_mmio_read_fp", "the same MMIO read, FP/SIMD touched",
                True)]

# Where a round trip's instructions go: innermost (inlined) source
# function -> part of the exit path, for the breakdown plot.
BREAKDOWN_PARTS = [
    ("world switch, trap entry/exit (asm)",
     ("el2_vectors", "el2_guest_vectors", "el2_host_hvc", "el2_world_switch",
      "el2_guest_exit", "el2_fpsimd_save", "el2_fpsimd_restore",
      "el2_park_if_halted")),
    ("GIC interface and timers (arch C)",
     ("arch_vcpu_run", "move_lrs", "move_aprs", "load_lrs", "save_lrs",
      "load_aprs", "save_aprs", "hw_lr_live", "doorbell", "rd32", "wr32")),
    ("run structure in host memory",
     ("load_int_state", "publish_int_state", "publish_list", "run_page",
      "find_run_page")),
    ("ticket locks", ("wait_lock", "pass_lock", "lock_held_by_me",
                      "acquire_lock_vm", "release_lock_vm", "locked_info")),
    ("halted() checks", ("halted", "check")),
    ("virtual GIC and timer (core)",
     ("vgic_take_requests", "take_request", "vgic_before_entry",
      "raise_timer", "vgic_fill_exit", "vgic_after_exit", "timer_ppi",
      "bits_set", "vtimer_line_high")),
]

# EL2 functions that are the world switch and the trap entry/exit (arch/
# aarch64 entry.S, switch.S), as opposed to the core's handling.
QEMU_ARCH_FUNCS = ("el2_vectors", "el2_guest_vectors", "el2_host_hvc",
                   "el2_trap_common", "arch_vcpu_run", "el2_guest_exit",
                   "el2_fpsimd_save", "el2_fpsimd_restore")

# Hosted series: label -> (what, floor description)
OPS = [
    ("map_pfn_vm", "stage-2 map of a 4 KiB page in a VM (MemManager)",
     "walk the VM's 4 levels, store the leaf"),
    ("map_s2pt", "stage-2 map of a 4 KiB page in a VM (NPTOps)",
     "walk the VM's 4 levels, store the leaf"),
    ("clear_pfn_host", "unmap: a page leaves the host's stage 2 (clear path)",
     "walk the host's 4 levels, store PAGE_GUEST"),
    ("assign_pfn_to_vm", "page host -> VM (ownership + host unmap)",
     "s2page entry read/write + host walk, store PAGE_GUEST"),
    ("prot_and_map_vm_s2pt", "VM stage-2 fault, 4 KiB (assign + map)",
     "assign floor + VM walk and store"),
    ("map_page_host", "host stage-2 fault, 4 KiB (owner check + map)",
     "s2page owner read + host walk, store"),
    ("map_page_host_block", "host stage-2 fault on a 2 MiB the host owns "
     "whole: one block", "512 owners read + host walk to level 2, store"),
    ("clear_pfn_host_split", "a page leaves a host block: split into a "
     "level-3 table", "512 level-3 entries + PAGE_GUEST, store the link"),
    ("register_kvm", "new VM", "vmid bump + 2 stores (bench mirror)"),
    ("set_boot_info", "record a load info + remap space",
     "4 stores + remap bump (bench mirror)"),
    ("remap_vm_image", "one image page into the core's remap area",
     "walk the core's 4 levels, store, count the page"),
    ("map_smmu", "SMMU map of a 4 KiB page",
     "s2page owner/gfn read + SMMU 3-level walk, store"),
    ("clear_smmu", "SMMU clear of a 4 KiB page",
     "SMMU 3-level walk, store 0, owner read"),
]


def run(cmd, **kw):
    print("bench: " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, text=True, capture_output=True,
                          **kw)


# The hosted machine's TLB maintenance hooks simulate a TLB (a scan of
# its entries); at EL2 the same hook is a TLBI sequence of ~15
# instructions. Their inclusive cost is the machine's, not the core's: it
# is measured per dump and taken out.
HOOK_IR = {}  # label -> hosted TLB hook instructions in that dump
HOOKS = ("arch_tlb_flush_ipa", "arch_tlb_flush_vmid", "arch_smmu_tlb_flush")


def hooks_ir(dump):
    p = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                        "--threshold=100", dump], check=True, text=True,
                       capture_output=True)
    best = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\S+:(\w+)\b", line)
        if m and m.group(2) in HOOKS:
            n = int(m.group(1).replace(",", ""))
            best[m.group(2)] = max(best.get(m.group(2), 0), n)
    return sum(best.values())


def callgrind(binary, mode, workdir, tag, extra=()):
    """Run @binary @mode under callgrind; {label: Ir}, stdout lines."""
    out = os.path.join(workdir, f"cg-{tag}")
    for f in glob.glob(out + "*"):
        os.remove(f)
    p = run(["valgrind", "--tool=callgrind", "--collect-atstart=no",
             f"--callgrind-out-file={out}", *extra, binary, mode])
    ir = {}
    for f in glob.glob(out + ".*"):
        label = total = None
        with open(f) as fh:
            for line in fh:
                m = re.match(r"desc: Trigger: Client Request: (.*)", line)
                if m:
                    label = m.group(1).strip()
                m = re.match(r"totals: (\d+)", line)
                if m:
                    total = int(m.group(1))
        if label is not None and total is not None:
            ir[label] = total
            HOOK_IR[label] = hooks_ir(f)
    return ir, p.stdout.splitlines()


def series(lines):
    """{(kind, label): (calls, heap)} from 'series KIND LABEL calls N heap H'."""
    res = {}
    for line in lines:
        f = line.split()
        if f and f[0] == "series":
            res[(f[1], f[2])] = (int(f[4]), int(f[6]))
    return res


def parse_ops(binary, workdir, tag):
    _, lines = callgrind(binary, "ops", workdir, tag)
    ser = series(lines)
    # Labels repeat (op and floor series share a name): dumps come in order.
    ir = {}
    dumps = sorted(glob.glob(os.path.join(workdir, f"cg-{tag}.*")),
                   key=lambda f: int(f.rsplit(".", 1)[1]))
    order = [(k, l) for k, l in
             ((line.split()[1], line.split()[2]) for line in lines
              if line.startswith("series "))]
    totals, hooks = [], []
    for f in dumps:
        with open(f) as fh:
            t = re.search(r"^totals: (\d+)", fh.read(), re.M)
            totals.append(int(t.group(1)))
        hooks.append(hooks_ir(f))
    if len(totals) != len(order):
        sys.exit(f"bench: {len(totals)} dumps for {len(order)} series")
    hk = {}
    for (kind, label), total, h in zip(order, totals, hooks):
        ir[(kind, label)] = total - h
        hk[(kind, label)] = h
    calib = ir[("calib", "calib")] / ser[("calib", "calib")][0]
    res = {"calib": calib, "ops": {}}
    for name, _, _ in OPS:
        calls, heap = ser[("op", name)]
        fcalls, fheap = ser[("floor", name)]
        res["ops"][name] = {
            "calls": calls,
            "ir": ir[("op", name)] / calls - calib,
            "floor": ir[("floor", name)] / fcalls - calib,
            "heap": heap + fheap,
            "tlb_sim": hk[("op", name)] / calls,
        }
    for line in lines:
        f = line.split()
        if f[0] == "meta":
            res["entry_bytes"] = int(f[2])
            res["array_bytes"] = int(f[4])
            res["region_pages"] = int(f[6])
        elif f[0] == "heap_selftest":
            res["heap_selftest"] = int(f[1])
        elif f[0] == "heap_total":
            res["heap_total"] = int(f[1])
    return res


def profile(binary, workdir, func):
    """Top self-cost functions inside @func (its own series), per call."""
    out = os.path.join(workdir, f"prof-{func}")
    for f in glob.glob(out + "*"):
        os.remove(f)
    env = dict(os.environ, BENCH_PROFILE="1")
    run(["valgrind", "--tool=callgrind", f"--toggle-collect={func}",
         f"--callgrind-out-file={out}", binary, "ops"], env=env)
    # The op's series and its floor's share the label: take the costlier.
    dump, best = None, -1
    for f in glob.glob(out + ".*"):
        with open(f) as fh:
            text = fh.read()
        t = re.search(r"^totals: (\d+)", text, re.M)
        if (re.search(rf"^desc: Trigger: Client Request: {func}$", text,
                      re.M) and t and int(t.group(1)) > best):
            dump, best = f, int(t.group(1))
    if not dump:
        return []
    p = run(["callgrind_annotate", "--threshold=100", dump])
    costs = {}
    total = 0
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S+):(\S+)", line)
        if not m:
            continue
        n, pct, fn = int(m.group(1).replace(",", "")), float(m.group(2)), \
            m.group(4)
        if pct >= 99.99:
            continue
        # The hosted machine's simulated TLB is not the core's cost.
        if fn.startswith("0x") or fn in HOOKS or \
                m.group(3).endswith("arch/hosted/tlb.c"):
            continue
        costs[fn] = costs.get(fn, 0) + n
        total += n
    top = sorted(costs.items(), key=lambda kv: -kv[1])
    return [(fn, n / total) for fn, n in top[:6]]


def parse_verify(binary, workdir):
    ir_raw, lines = callgrind(binary, "verify", workdir, "verify")
    ser = series(lines)
    calib = ir_raw["calib"] / ser[("calib", "calib")][0]
    sizes = {}
    for line in lines:
        f = line.split()
        if f[0] == "image":
            size = int(f[1])
            sizes[size] = {"ok": f[2] == "ok"}
            if f[2] != "ok":
                sizes[size]["reason"] = " ".join(f[3:])
    for size, d in sizes.items():
        tag = f"v{size}"
        for phase in ("register_kvm", "set_boot_info", "remap_vm_image",
                      "verify_and_load_images", "raw_ed25519",
                      "raw_ed25519ph"):
            key = ("verify", f"{tag}:{phase}")
            if key in ser and f"{tag}:{phase}" in ir_raw:
                calls, heap = ser[key]
                d[phase] = (ir_raw[f"{tag}:{phase}"] - calls * calib -
                            HOOK_IR.get(f"{tag}:{phase}", 0))
                d[phase + "_tlb_sim"] = HOOK_IR.get(f"{tag}:{phase}", 0)
                d.setdefault("heap", 0)
                d["heap"] += heap
    heap_total = next((int(l.split()[1]) for l in lines
                       if l.startswith("heap_total")), None)
    return sizes, heap_total


def parse_destroy(binary, workdir):
    """DESTROY_VM per VM size: {MiB: (instructions, pages, region pages)}."""
    ir_raw, lines = callgrind(binary, "destroy", workdir, "destroy")
    ser = series(lines)
    calib = ir_raw["calib"] / ser[("calib", "calib")][0]
    out = {}
    for line in lines:
        f = line.split()
        if f and f[0] == "destroy":
            mib, label = int(f[1]), f"destroy:{f[1]}"
            out[mib] = (ir_raw[label] - calib - HOOK_IR.get(label, 0),
                        int(f[4]), int(f[6]))
    return out


def parse_snapshot(binary, workdir):
    """Snapshot and restore of one VM: {series: (instructions, pages)} and
    the blob sizes (bytes) hosted_bench prints."""
    ir_raw, lines = callgrind(binary, "snapshot", workdir, "snapshot")
    ser = series(lines)
    calib = ir_raw["calib"] / ser[("calib", "calib")][0]
    out = {}
    for kind in ("snapshot", "restore"):
        calls = ser[(kind, kind)][0]
        out[kind] = (ir_raw[kind] - calib * calls - HOOK_IR.get(kind, 0), calls)
    for line in lines:
        f = line.split()
        if f and f[0] == "snapshot" and f[1] == "pages":
            out["sizes"] = {f[i]: int(f[i + 1]) for i in range(1, len(f) - 1, 2)}
    return out


def snapshot_section(L, snap):
    """The snapshot and restore section of results.md."""
    sizes = snap["sizes"]
    L.append("## VM snapshot and restore (hosted)")
    L.append("")
    L.append("`hosted_bench snapshot`: a powered-off VM owning "
             f"{sizes['pages']} pages (2 MiB blocks) sealed by "
             "SNAPSHOT_BEGIN, SNAPSHOT_PAGE until DONE "
             f"({sizes['page_calls']} calls: the core looks at no more "
             "than CV_SNAP_SCAN_PAGES page entries per call), "
             "SNAPSHOT_VCPU and SNAPSHOT_END; then restored into a fresh "
             "VM (RESTORE_BEGIN, RESTORE_PAGE per page, RESTORE_VCPU, "
             "BOOT_FROM_SAVED_VM). XChaCha20-Poly1305 over each 4 KiB "
             "page is most of either.")
    L.append("")
    L.append("| | instructions | per page |")
    L.append("|---|---:|---:|")
    for kind in ("snapshot", "restore"):
        ir, pages = snap[kind]
        L.append(f"| {kind} | {fmt(ir)} | {fmt(ir / pages)} |")
    L.append("")
    L.append(f"Bytes per page: a page blob is {sizes['page_blob_bytes']} "
             "(4096 of ciphertext and a "
             f"{sizes['page_blob_bytes'] - 4096}-byte header, which "
             "the core writes into a second host page); each vCPU adds "
             f"{sizes['vcpu_blob_bytes']} and the manifest "
             f"{sizes['manifest_bytes']}.")
    L.append("")


def destroy_section(L, destroy):
    """The VM destroy section of results.md."""
    L.append("## VM destroy (hosted)")
    L.append("")
    L.append("`destroy_vm` (HVC_DESTROY_VM, `hosted_bench destroy`) of a "
             "powered-off VM that owns the given RAM (2 MiB blocks its "
             "stage-2 faults were given), one call per size on a fresh "
             "hosted machine. Every page the VM owns is taken out of its "
             "SMMU banks and the host's stage 2, given to the host and "
             "zeroed (libc's memset here: callgrind counts each 32-byte "
             "store); every region page's owner is read once; then the "
             "VM's table, contexts and remap space are reset.")
    L.append("")
    L.append("| VM RAM | pages given back | instructions | per page |")
    L.append("|---:|---:|---:|---:|")
    for mib in sorted(destroy):
        ir, pages, _ = destroy[mib]
        L.append(f"| {mib} MiB | {pages} | {fmt(ir)} | "
                 f"{fmt(ir / pages)} |")
    xs = sorted(destroy)
    slope, icpt, r2 = linfit(xs, [destroy[m][0] for m in xs])
    region = destroy[xs[0]][2]
    L.append("")
    L.append(f"Linear fit: {slope * 1024 / 1e9:.3f} G instructions per GiB "
             f"of VM memory ({slope / 256:.0f} per 4 KiB page, the zeroing "
             f"most of it), plus {icpt / 1e6:.2f} M for the scan of the "
             f"{region} region pages' owners (R² = {r2:.6f}).")
    L.append("")


def parse_wall(binary, reps):
    p = run([binary, "wall", str(reps)])
    res = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if f and f[0] == "wall":
            res[int(f[1])] = {"core_ns": float(f[3]), "raw_ns": float(f[5]),
                              "raw_ph_ns": float(f[7])}
    return res


def linfit(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    icpt = my - slope * mx
    ss_res = sum((y - (icpt + slope * x)) ** 2 for x, y in zip(xs, ys))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return slope, icpt, 1 - ss_res / ss_tot


def size_name(b):
    if b % MIB == 0:
        return f"{b // MIB} MiB"
    return f"{b / MIB:.3f} MiB"


def boot_cost(d):
    return (d["register_kvm"] + d["set_boot_info"] + d["remap_vm_image"] +
            d["verify_and_load_images"])


def plot(verify, wall, fit, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = sorted(s for s, d in verify.items() if d["ok"])
    refused = sorted(s for s, d in verify.items() if not d["ok"])
    xs = [s / MIB for s in ok]
    ticks = [f"{x:g}" if x == int(x) else "32-4K" for x in xs]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 5))

    def tput(key):  # MiB per 10^9 instructions
        return [s / MIB / (verify[s][key] / 1e9) for s in ok]

    core = tput("verify_and_load_images")
    raw, rawph = tput("raw_ed25519"), tput("raw_ed25519ph")
    a1.plot(xs, raw, "s--", label="raw libsodium Ed25519 (contiguous)")
    a1.plot(xs, rawph, "^:", label="raw libsodium Ed25519ph (contiguous)")
    a1.plot(xs, core, "o-", lw=2, label="verify_and_load_images (corevisor)")
    a1.set_xscale("log", base=2)
    a1.set_xticks(xs)
    a1.set_xticklabels(ticks)
    a1.set_xlabel("image size (MiB)")
    a1.set_ylabel("MiB verified per 10^9 instructions")
    a1.set_ylim(0, max(raw + rawph + core) * 1.25)
    a1.set_title("Verification throughput (callgrind, x86-64)")
    a1.grid(alpha=0.3)
    ratios = [c / r for c, r in zip(core, raw)]
    a1.text(0.03, 0.95, f"corevisor / raw Ed25519: {min(ratios):.3f}x .. "
            f"{max(ratios):.3f}x (target >= {TARGET_VERIFY_RATIO}x)",
            transform=a1.transAxes, va="top", fontsize=9)
    handles, labels = a1.get_legend_handles_labels()
    if wall:
        a1b = a1.twinx()
        wx = [s / MIB for s in ok if s in wall and wall[s]["core_ns"]]
        wy = [s / MIB / (wall[s]["core_ns"] / 1e9) for s in ok
              if s in wall and wall[s]["core_ns"]]
        ry = [s / MIB / (wall[s]["raw_ns"] / 1e9) for s in ok
              if s in wall and wall[s]["core_ns"]]
        a1b.plot(wx, wy, "x", color="green", alpha=0.6,
                 label="corevisor, wall clock (right axis)")
        a1b.plot(wx, ry, "+", color="tab:blue", alpha=0.6,
                 label="raw Ed25519, wall clock (right axis)")
        a1b.set_ylabel("wall-clock MiB/s (secondary, noisy)")
        a1b.set_ylim(0, max(wy + ry) * 1.25)
        h2, l2 = a1b.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    a1.legend(handles, labels, loc="lower right", fontsize=8)

    cost = [boot_cost(verify[s]) / 1e6 for s in ok]
    slope, icpt, r2 = fit
    a2.plot(xs, cost, "o", label="register_kvm .. verify_and_load_images")
    fx = [0, max(xs)]
    a2.plot(fx, [(icpt + slope * x * MIB) / 1e6 for x in fx], "-",
            label=f"fit: {slope * MIB / 1e6:.2f} M instr/MiB "
            f"+ {icpt / 1e6:.2f} M, R² = {r2:.6f}")
    a2.set_xlabel("image size (MiB)")
    a2.set_ylabel("instructions (millions)")
    a2.set_title("Whole boot protocol cost against image size")
    a2.grid(alpha=0.3)
    a2.legend(loc="upper left", fontsize=8)
    if refused:
        a2.text(0.97, 0.05, ", ".join(size_name(s) for s in refused) +
                ": refused (remap area\nREMAP_SIZE = 64 MiB for all VMs)",
                transform=a2.transAxes, ha="right", va="bottom", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def fmt(n):
    return f"{n:,.0f}"


def passmiss(ok):
    return "pass" if ok else "**miss**"


def by_function(trace):
    return ", ".join(f"{k} {v}" for k, v in trace.items())


def breakdown_parts(inlined):
    """{part: instructions} of one round trip from its per-inlined-function
    counts; what no part names is the core's exit protocol and checks."""
    parts = {name: 0 for name, _ in BREAKDOWN_PARTS}
    rest = 0
    for fn, n in inlined.items():
        for name, fns in BREAKDOWN_PARTS:
            if fn in fns:
                parts[name] += n
                break
        else:
            rest += n
    parts["exit protocol and the spec's checks (core)"] = rest
    return parts


def plot_breakdown(rows, floor, path):
    """@rows: [(label, {part: instructions})], drawn bottom to top."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(rows[-1][1].keys())
    fig, ax = plt.subplots(figsize=(11, 4.8))
    cols = ["#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974",
            "#64b5cd", "#999999"]
    for row, (label, d) in enumerate(rows):
        left = 0
        for i, nm in enumerate(names):
            v = d.get(nm, 0)
            ax.barh(row, v, left=left, color=cols[i % len(cols)],
                    label=nm if row == 0 else None)
            if v >= 60:
                ax.text(left + v / 2, row, str(v), ha="center",
                        va="center", fontsize=8, color="white")
            left += v
        ax.text(left + 15, row, f"{left:,}", va="center", fontsize=9)
    top = len(rows) - 1
    ax.axvline(floor, color="black", ls="--", lw=1)
    ax.text(floor, top + 0.45, f" 2 like-for-like switches ({floor})",
            fontsize=8)
    ax.axvline(TARGET_EXIT_RATIO * floor, color="red", ls=":", lw=1)
    ax.text(TARGET_EXIT_RATIO * floor, -0.6,
            f" target {TARGET_EXIT_RATIO}x ({TARGET_EXIT_RATIO * floor:.0f})",
            fontsize=8, color="red")
    ax.set_yticks(list(range(len(rows))))
    ax.set_yticklabels([label for label, _ in rows])
    ax.set_ylim(-0.8, top + 0.7)
    ax.set_xlabel("EL2 instructions of one guest HVC round trip "
                  "(CV_DEBUG, QEMU -icount)")
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.02),
              ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fn_list(inlined, fns):
    """"f n, g m" of the functions @fns in the trace, largest first."""
    got = sorted(((inlined[f], f) for f in fns if inlined.get(f)),
                 reverse=True)
    return ", ".join(f"{f} {n}" for n, f in got)


def exit_account(L, q, after_in, pa, ws):
    """The instruction-by-instruction account of the guest HVC round trip,
    every figure from the trace (@after_in: instructions by innermost
    function; @pa: the same by part)."""
    g = q["guest_hvc"]
    target = TARGET_EXIT_RATIO * ws
    asm = pa["world switch, trap entry/exit (asm)"]
    gic = pa["GIC interface and timers (arch C)"]
    run = pa["run structure in host memory"]
    locks = pa["ticket locks"]
    halted = pa["halted() checks"]
    vgic = pa["virtual GIC and timer (core)"]
    rest = pa["exit protocol and the spec's checks (core)"]
    named = set()
    for _, fns in BREAKDOWN_PARTS:
        named.update(fns)
    rest_fns = [f for f in after_in if f not in named]
    pat = (q.get("trace") or {}).get("guest_hvc_patterns") or {}
    hw = asm + gic
    left = target - hw
    L.append(
        f"Why the guest exit still misses {TARGET_EXIT_RATIO}x, part by "
        f"part, every figure from the trace above. The floor is {ws} "
        f"instructions and {TARGET_EXIT_RATIO}x is {target:.0f}; the round "
        f"trip is {fmt(g)} = {g / ws:.2f}x.")
    L.append("")
    L.append(
        f"1. World switch and trap entry/exit (assembly), {asm}: "
        f"{fn_list(after_in, BREAKDOWN_PARTS[0][1])}. el2_world_switch and "
        "el2_guest_exit are the floor's own moves (all 31 general "
        "registers, the ERET state, SP_EL0, the EL1 system registers, the "
        "timer, VMPIDR, VTTBR/HCR/MDCR/CPTR/CNTHCTL/CNTVOFF, VBAR, the "
        "syndromes); el2_host_hvc is the host's HVC frame (VCPU_RUN is a C "
        "hypercall: x0..x18 and x30 of the host kept); el2_park_if_halted "
        "is the fail-stop before each eret (never into a guest, nor back "
        "to the host, once halted); el2_vectors and el2_guest_vectors the "
        "two vector entries. The hardware needs every one of them.")
    L.append(
        f"2. GIC virtual interface and timers (arch C), {gic}: "
        f"{fn_list(after_in, BREAKDOWN_PARTS[1][1])}. The list and "
        "active-priority registers moved straight-line (the floor does the "
        "same moves, counted in its 350), the host timer's doorbell, the "
        "hardware-linked virtual timer. Hardware state a vCPU cannot run "
        f"without. Parts 1 and 2 together: {hw} = {hw / ws:.2f}x the "
        "floor, which does the same work in 350.")
    L.append(
        f"3. The run structure in host memory, {run}: "
        f"{fn_list(after_in, BREAKDOWN_PARTS[2][1])}. No lock and no owner "
        "check (the page is pinned at REGISTER_VCPU, P1); what is left is "
        "the copy the host/core contract asks for (include/corevisor/"
        "vcpu_abi.h), each host word read once because the host may "
        "change it from another CPU: the registers offered at the last "
        "exit, the fault answer, 8 injection slots and 2 timer PPIs in; "
        "the exit, its syndrome and fault address, the shown registers, "
        "the dirty set, the 8 injection results, the EOI and pending "
        "lists, the SGI and timer deadline out, and the last exit's "
        "registers cleared (no guest value the exit does not show stays "
        "in host memory).")
    L.append(
        f"4. Ticket locks, {locks} ({pat.get('lock_takes', '?')} round "
        f"trip): {fn_list(after_in, BREAKDOWN_PARTS[3][1])} (lock_held_by_me "
        "and locked_info are CV_DEBUG's owner assertions). The VM's info "
        "lock around READY -> ACTIVE (set_vcpu_active_unless_off): the "
        "spec's transition checks, in one hold, that the VM is VERIFIED "
        "(or powered off: no run), that its restore is finished "
        "(snapshot_allows_run) and, when a snapshot sealed it, starts a new "
        "epoch of its lineage (lineage_resume) before the vCPU runs; a "
        "sealing call or destroy_vm holding the lock must see no vCPU "
        "become ACTIVE under it. ACTIVE -> READY and the power state are "
        "now lock-free (compare-and-swap, one acquire load). A lock-free "
        "READY -> ACTIVE would need a transient state that those lock "
        "holders must wait out (CLEAR_VM_S2_RANGE panics on an ACTIVE "
        f"vCPU): at most these {locks} instructions, not taken.")
    L.append(
        f"5. halted() checks, {halted} ({pat.get('halted_checks', '?')} "
        f"checks): {fn_list(after_in, BREAKDOWN_PARTS[4][1])}. Each spec "
        "function on the path returns at once once the machine is halted "
        "(CONTRIBUTING.md: a panic in a callee must stop its caller "
        "before it writes); keeping 3 (entry, before the switch, before "
        "the exit is published) would save at most "
        f"{max(0, halted - 6)}, a deviation for every spec function on "
        "the path, not taken.")
    L.append(
        f"6. The core's virtual GIC and timer, {vgic}: "
        f"{fn_list(after_in, BREAKDOWN_PARTS[5][1])}. The host's injection "
        "requests checked and queued (vgic_take_requests), the list "
        "registers filled (vgic_before_entry), the virtual and emulated "
        "physical timers' lines (raise_timer), what the guest "
        "acknowledged and ended reported back (vgic_after_exit, "
        "vgic_fill_exit): the interrupt controller the spec has no floor "
        "for; a guest without it never sees an interrupt.")
    L.append(
        f"7. The exit protocol and the spec's checks, {rest}: "
        f"{fn_list(after_in, rest_fns)}. VCPU_RUN's argument checks "
        "(host_hvc_dispatch, vcpu_run_call, vm_vcpu_args); save_host, "
        "restore_vm and save_vm with set_per_cpu; the exit's "
        "classification (vm_exit_handler, exit_kind, vm_exit_dispatcher, "
        "core_handle_pvops, save_exit) and what it shows (prep_hvc, "
        "int_show); the host's answers taken (restore_shadow_regs, "
        "sync_dirty_to_shadow with mmio_load_value, the PC step); the "
        "VM's table (get_pt_vttbr); this CPU's intermediate state "
        "(this_int_state, arch_cpu_id); the vCPU and power states "
        "(vcpu_state_of, swap_vcpu_state, vm_state_of, get_vm_poweron). "
        "Copying the host's answers straight into the shadow context "
        f"would save at most sync_dirty_to_shadow's "
        f"{after_in.get('sync_dirty_to_shadow', 0)}: the abort answer "
        "replaces every other answer and an MMIO load takes only the "
        "bytes it reads, so the copy must follow the checks; not taken.")
    L.append("")
    L.append(
        f"What the target would need: {TARGET_EXIT_RATIO}x is "
        f"{target:.0f}; parts 1 and 2, the switch and the GIC interface "
        f"the hardware requires, are {hw}, which leaves {left:.0f} for "
        f"parts 3 to 7, now {run + locks + halted + vgic + rest}: the "
        f"run structure alone ({run}) is {'more than' if run > left else 'within'} "
        "that. Even a fused VCPU_RUN fast path that kept no spec check "
        "and no lock (parts 4, 5 and 7 gone) would leave "
        f"{hw + run + vgic} = {(hw + run + vgic) / ws:.2f}x. The 1.6x "
        "target cannot be met while the host/core contract, the virtual "
        "GIC and the spec's checks stay.")
    L.append("")


def write_el2_boot(L, q):
    """The EL2 boot protocol per image size and its linear fit."""
    fit, fit_nd = q.get("boot_fit"), q.get("boot_fit_nodebug")
    if not fit:
        return
    nd = {b["bytes"]: b["inst"] for b in q.get("boot_nodebug", [])}
    L.append("### The boot protocol at EL2, per MiB of image")
    L.append("")
    L.append("The bench host boots one VM per image after the guest "
             "series: the bench guest padded with zeros to 1, 2, 4 and "
             "8 MiB and signed (mk/bench.mk), each booted as the sample "
             "VMM does (vms_boot: REGISTER_KVM, REGISTER_VCPU, "
             "SET_BOOT_INFO, one REMAP_VM_IMAGE per page, "
             "VERIFY_VM_IMAGES), the EL2 instructions of the whole "
             "protocol counted between two PMU reads (event counter "
             "INST_RETIRED filtered to EL2; the host's own instructions "
             "are at EL1).")
    L.append("")
    L.append("| image (signed bytes) | EL2 instructions (CV_DEBUG) | "
             "without CV_DEBUG | per MiB (CV_DEBUG) |")
    L.append("|---:|---:|---:|---:|")
    for nbytes, inst in fit["points"]:
        L.append(f"| {fmt(nbytes)} | {fmt(inst)} | "
                 f"{fmt(nd[nbytes]) if nbytes in nd else '-'} | "
                 f"{inst / (nbytes / MIB) / 1e6:.3f} M |")
    L.append("")
    txt = (f"Linear fit: {fit['inst_per_mib'] / 1e6:.3f} M EL2 "
           f"instructions/MiB, intercept {fit['intercept'] / 1e6:.3f} M, "
           f"R² = {fit['r2']:.6f} (CV_DEBUG)")
    if fit_nd:
        txt += (f"; without CV_DEBUG {fit_nd['inst_per_mib'] / 1e6:.3f} M/MiB"
                f", intercept {fit_nd['intercept'] / 1e6:.3f} M, R² = "
                f"{fit_nd['r2']:.6f}")
    L.append(txt + ". The hosted figure (x86-64 instructions, callgrind, "
             "the same protocol on the hosted machine) is in the boot "
             "protocol section above.")
    L.append("")


def write_qemu(L, q, png_dir):
    """The EL2 section of results.md from qemu_bench.py's JSON @q."""
    def nd(k):
        return q.get(k + "_nodebug", q[k])

    trap, ws, wsfp = q["bare_trap"], q["bare_ws"], q["bare_ws_fp"]
    parts = (q.get("floor_static") or {}).get("parts", {})
    L.append(q.get("note", ""))
    L.append("")
    L.append("| round trip | EL2 instructions (CV_DEBUG, as `make run` "
             "ships) | x floor | floor | without CV_DEBUG | before "
             "(84a6766, CV_DEBUG) | before (c41eb04, CV_DEBUG) |")
    L.append("|---|---:|---:|---|---:|---:|---:|")
    rows = [("bare_trap", "trap floor: x0..x18, x30 saved and restored, "
             "eret", trap, "itself"),
            ("hvc_noop", "host HVC_NOOP", trap, "trap floor"),
            ("hvc_is_inc_exe", "host HVC_IS_INC_EXE (the C dispatcher)",
             trap, "trap floor"),
            ("bare_ws", "two like-for-like world switches, the guest not "
             "touching FP/SIMD", ws, "itself"),
            ("bare_ws_fp", "the same, the guest's FP/SIMD loaded lazily "
             "(its first access traps) and saved on the way back", wsfp,
             "itself")]
    for key, label, fp in GUEST_EXITS:
        rows.append((key, label, wsfp if fp else ws,
                     "2 switches + FP trap" if fp else "2 switches"))
    for key, label, floor, fname in rows:
        if key not in q:
            continue
        before = QEMU_BEFORE_SHIPPED.get(key)
        b84 = QEMU_BEFORE_84A.get(key)
        L.append(f"| {label} | {fmt(q[key])} | {q[key] / floor:.2f}x | "
                 f"{fname} ({fmt(floor)}) | {fmt(nd(key))} | "
                 f"{fmt(b84) if b84 else '-'} | "
                 f"{fmt(before) if before else '-'} |")
    L.append("")
    if parts:
        L.append(
            "The floors (bench/qemu/el2_bare.S) are what corevisor's path "
            "must do on the same trap and nothing else. The trap floor saves "
            "and restores the registers corevisor's HVC entry keeps (x0..x18, "
            "x30; x19..x29 are callee-saved) after the same exception-class "
            "check. A world switch moves all 31 general registers out and "
            "in; the ERET state, SP_EL0, the EL1 system registers, the "
            "virtual timer and VMPIDR with corevisor's own macros "
            "(arch/aarch64/switch_ctxt.h); VTTBR, HCR, MDCR, CPTR, CNTHCTL, "
            "CNTVOFF; VBAR (the other vector table); the last-vCPU TLB "
            "check; the host timer's doorbell check; the GICv3 virtual CPU "
            "interface (4 list registers, 1 active-priority register per "
            "group, ICH_VMCR, ICH_HCR: the host's kept, the vCPU's loaded, "
            "saved and emptied on the way back); the exit's ESR, FAR, "
            "HPFAR. FP/SIMD lazily, as corevisor: "
            f"host -> guest {parts['ws_in']}, guest -> host "
            f"{parts['ws_out']}, the guest's first FP/SIMD access "
            f"{parts['ws_fp_trap']}, and its FP/SIMD saved with the host's "
            f"back on the way out {parts['ws_out_fp_moves']}. Nothing of "
            "the bench is inside a counted span: a floor is switched off by "
            "an SMC, another exception class, which its vector hands to "
            "corevisor's. Each floor's length is read from the ELF (the "
            "labels of its straight-line spans) and must equal its "
            "measured count, or `make bench` fails.")
        L.append("")
    L.append(
        "HVC_NOOP (abi.h: returns 0, the bare round trip) is answered in "
        "the HVC entry itself (entry.S el2_host_noop): the halted check "
        "every entry point makes, x0 = 0, eret. It runs no C, so it saves "
        "no register: it is below the trap floor. Every other hypercall "
        "goes through the C dispatcher: HVC_IS_INC_EXE above shows that "
        "path.")
    L.append("")
    tr = q.get("trace") or {}
    if tr.get("hvc_is_inc_exe"):
        L.append("HVC_IS_INC_EXE by function: "
                 f"{by_function(tr['hvc_is_inc_exe'])}.")
        L.append("")
    after_in = tr.get("guest_hvc_inlined")
    if after_in and "guest_hvc" in q:
        befores = []
        for label, path in (("before (c41eb04)", BREAKDOWN_BEFORE),
                            ("before (84a6766)", BREAKDOWN_84A)):
            if os.path.exists(path):
                with open(path) as fh:
                    befores.append((label, breakdown_parts(
                        json.load(fh)["by_inlined_function"])))
        pa = breakdown_parts(after_in)
        png = os.path.join(png_dir, "exit-breakdown.png")
        plot_breakdown(befores + [("after", pa)], ws, png)
        L.append("### Where a guest exit round trip goes")
        L.append("")
        L.append(
            "One guest HVC round trip (the VCPU_RUN that enters the guest "
            "and the guest's next exit back), the build `make run` ships, "
            "from QEMU's execution trace of the same boot; each instruction "
            "counted to its innermost source function (addr2line -i: the "
            "core is linked with LTO). Plot: bench/exit-breakdown.png.")
        L.append("")
        L.append("| part | " + " | ".join(lb for lb, _ in befores)
                 + " | after | floor's part |")
        L.append("|---|" + "---:|" * (len(befores) + 2))
        floor_of = {"world switch, trap entry/exit (asm)": ws}
        for nm in pa:
            L.append(f"| {nm} | "
                     + "".join(f"{fmt(b.get(nm, 0))} | " for _, b in befores)
                     + f"{fmt(pa[nm])} | {fmt(floor_of.get(nm, 0))} |")
        L.append("| total | "
                 + "".join(f"{fmt(sum(b.values()))} | " for _, b in befores)
                 + f"{fmt(sum(pa.values()))} | {fmt(ws)} |")
        L.append("")
        L.append("By innermost function (after): "
                 + by_function(after_in) + ".")
        L.append("")
        exit_account(L, q, after_in, pa, ws)


def write_results(path, opt, dbg, prof, verify, vheap, wall, fit, qemu,
                  destroy=None, snap=None):
    ops = opt["ops"]
    L = []
    L.append("# corevisor benchmarks")
    L.append("")
    L.append("Written by `make bench` (bench/run_bench.py); do not edit. "
             "Hosted figures are x86-64 instructions counted by callgrind "
             "(valgrind 3.19) in build/bench/opt: the core at -O2, no "
             "sanitizers, no CV_DEBUG, freestanding as in the top Makefile. "
             "Per call = (instructions of a series of bracketed calls - the "
             "same bracket around an empty call, "
             f"{opt['calib']:.0f} instructions) / calls. Each floor is "
             "written in bench/hosted_bench.c and runs in the same process "
             "on the same real tables right after the operation, writing "
             "the descriptor the core wrote, with no checks and no locks. "
             "The hosted machine's TLB hooks (arch_tlb_flush_ipa/_vmid, "
             "arch_smmu_tlb_flush) simulate a TLB by scanning it; their "
             "inclusive cost is measured in the same dump and taken out "
             "of every figure (shown in its own column; at EL2 the hook "
             "is a TLBI sequence of about 15 instructions).")
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | result |")
    L.append("|---|---|---|")
    m = ops["map_pfn_vm"]["ir"]
    L.append(f"| stage-2 4 KiB map <= {TARGET_MAP} instructions "
             f"(map_pfn_vm) | {fmt(m)} | {passmiss(m <= TARGET_MAP)} "
             f"({m / TARGET_MAP:.1f}x the target) |")
    a = ops["assign_pfn_to_vm"]["ir"]
    L.append(f"| assign_pfn_to_vm <= {TARGET_ASSIGN} | {fmt(a)} | "
             f"{passmiss(a <= TARGET_ASSIGN)} ({a / TARGET_ASSIGN:.1f}x) |")
    heap = sum(o["heap"] for o in ops.values()) + (vheap or 0)
    L.append(f"| 0 heap allocations on every path | {heap} "
             f"(interposer self-test counted {opt.get('heap_selftest')} of 1)"
             f" | {passmiss(heap == 0 and opt.get('heap_selftest') == 1)} |")
    ok = sorted(s for s, d in verify.items() if d["ok"])
    ratios = [verify[s]["raw_ed25519"] / verify[s]["verify_and_load_images"]
              for s in ok]
    worst = min(ratios)
    L.append(f"| verification >= {TARGET_VERIFY_RATIO}x raw libsodium "
             f"Ed25519 | {min(ratios):.3f}x .. {max(ratios):.3f}x "
             f"({size_name(ok[ratios.index(worst)])} worst) | "
             f"{passmiss(worst >= TARGET_VERIFY_RATIO)} |")
    meta = opt["array_bytes"] / opt["region_pages"]
    L.append(f"| ownership metadata <= {TARGET_META:g} bytes per 4 KiB page "
             f"| {opt['entry_bytes']} (struct s2page); array "
             f"{opt['array_bytes']:,} B / {opt['region_pages']:,} pages = "
             f"{meta:.3f} | {passmiss(meta <= TARGET_META)} |")
    slope, icpt, r2 = fit
    L.append(f"| boot protocol cost linear in image size | "
             f"{slope * MIB / 1e6:.3f} M instructions/MiB, R² = {r2:.6f} | "
             f"{passmiss(r2 >= 0.999)} |")
    el2 = qemu.get("boot_fit") if qemu else None
    if el2:
        L.append(f"| boot cost at EL2 per MiB of image, beside the hosted "
                 f"figure (aarch64 instructions, EL2 PMU, QEMU -icount, "
                 f"CV_DEBUG as `make run` ships) | "
                 f"{el2['inst_per_mib'] / 1e6:.3f} M instructions/MiB "
                 f"(R² = {el2['r2']:.6f}, {len(el2['points'])} sizes) vs "
                 f"{slope * MIB / 1e6:.3f} M hosted (x86-64) | "
                 f"{passmiss(el2['r2'] >= 0.999)} (measured, linear) |")
    else:
        L.append("| boot cost at EL2 per MiB of image | not measured "
                 "(QEMU part failed) | **miss** |")
    if qemu and qemu.get("hvc_noop"):
        noop, trap = qemu["hvc_noop"], qemu["bare_trap"]
        r = noop / trap
        L.append(f"| HVC_NOOP <= {TARGET_HVC_RATIO}x the trap floor (EL2, "
                 f"QEMU -icount, CV_DEBUG as `make run` ships) | {fmt(noop)}"
                 f" vs {fmt(trap)} (trap floor: x0..x18, x30 saved and "
                 f"restored, el2_bare.S) = {r:.2f}x | "
                 f"{passmiss(r <= TARGET_HVC_RATIO)} |")
    else:
        L.append(f"| HVC_NOOP <= {TARGET_HVC_RATIO}x the trap floor | not "
                 "measured in this run (see the QEMU section) | - |")
    if qemu and qemu.get("guest_hvc"):
        for key, label, fp in GUEST_EXITS:
            if key not in qemu:
                continue
            floor = qemu["bare_ws_fp" if fp else "bare_ws"]
            r = qemu[key] / floor
            fname = ("two like-for-like world switches + the lazy FP/SIMD "
                     "trap" if fp else "two like-for-like world switches")
            L.append(f"| {label} <= {TARGET_EXIT_RATIO}x {fname} (EL2, "
                     f"CV_DEBUG) | {fmt(qemu[key])} vs {fmt(floor)} = "
                     f"{r:.2f}x | {passmiss(r <= TARGET_EXIT_RATIO)}"
                     + ("" if r <= TARGET_EXIT_RATIO else
                        f" ({r / TARGET_EXIT_RATIO:.1f}x the target)")
                     + " |")
    else:
        L.append(f"| guest exit round trips <= {TARGET_EXIT_RATIO}x two "
                 "like-for-like world switches | not measured in this run "
                 "(see the QEMU section) | - |")
    L.append("")

    L.append("## Stage-2, ownership, boot and SMMU operations (hosted)")
    L.append("")
    L.append(f"{ops['map_pfn_vm']['calls']} calls per series (2044 = 4 x 511 "
             "pages whose level-3 table already exists; remap_vm_image: "
             "2048 pages of one 8 MiB image, table allocation amortised; "
             "register_kvm: 8 boots x 15 VMs; set_boot_info: 8 boots x 15 "
             "VMs x 5 load infos; map_page_host_block and "
             f"clear_pfn_host_split: {ops['map_page_host_block']['calls']} "
             "fresh 2 MiB blocks). map_page_host (4 KiB) is measured in "
             "2 MiB that hold a page a VM granted the host, which keeps "
             "the host to pages there; assign_pfn_to_vm and clear_pfn_host "
             "on host pages whose block was split beforehand.")
    L.append("")
    pg, blk = ops["map_page_host"]["ir"], ops["map_page_host_block"]["ir"]
    L.append(f"Host stage-2 faults per 2 MiB of host RAM the host owns: "
             f"{fmt(512 * HOST_FAULT_BEFORE)} instructions before its RAM "
             f"came in blocks (512 faults x {HOST_FAULT_BEFORE}, bench at "
             f"b3df5ec, plus a level-3 table), {fmt(blk)} now (one fault "
             f"mapping the block) = {512 * HOST_FAULT_BEFORE / blk:.0f}x "
             f"fewer; where the host is kept to pages, 512 x {fmt(pg)} = "
             f"{fmt(512 * pg)}. A page leaving a block costs one split "
             f"({fmt(ops['clear_pfn_host_split']['ir'])}), once per 2 MiB.")
    L.append("")
    L.append("| operation | what | instructions/call | CV_DEBUG build | "
             "floor | x floor | floor is | heap allocs | hosted TLB "
             "simulation (excluded) |")
    L.append("|---|---|---:|---:|---:|---:|---|---:|---:|")
    for name, what, floor in OPS:
        o = ops[name]
        d = dbg["ops"][name]["ir"] if dbg else float("nan")
        L.append(f"| `{name}` | {what} | {fmt(o['ir'])} | {fmt(d)} | "
                 f"{fmt(o['floor'])} | {o['ir'] / o['floor']:.1f}x | "
                 f"{floor} | {o['heap']} | {fmt(o['tlb_sim'])} |")
    L.append("")
    if prof:
        L.append("Where the instructions go (self cost by function inside "
                 "the operation, callgrind --toggle-collect, without the "
                 "simulated TLB):")
        L.append("")
        for name, top in prof.items():
            parts = ", ".join(f"{fn} {share * 100:.0f}%" for fn, share in top)
            L.append(f"- `{name}`: {parts}")
        L.append("")

    L.append("## Image verification and the boot protocol (hosted)")
    L.append("")
    L.append("Image size = what the host loads (payload + 96-byte trailer). "
             "`verify_and_load_images` moves the image's 2 MiB blocks to "
             "the VM (512 assign_pfn_to_vm each) and hashes the payload "
             "through the remap mappings (Ed25519ph). Raw = libsodium on the "
             "same signed bytes (64-byte header || payload) in one "
             "contiguous buffer: `crypto_sign_verify_detached` (Ed25519, "
             "the reference of the target) and "
             "`crypto_sign_init/update/final_verify` (Ed25519ph, the "
             "image's own scheme). Wall clock (best of a few runs, "
             "secondary): includes the hosted machine's simulated TLB and "
             "whatever else the shared 2-core machine is running.")
    L.append("")
    L.append("| image | verify_and_load_images | raw Ed25519 | ratio | "
             "raw Ed25519ph | ratio | register_kvm | set_boot_info | "
             "remap_vm_image (per page) | boot protocol total | wall: "
             "core / raw (ms) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in sorted(verify):
        d = verify[s]
        w = wall.get(s) if wall else None
        if d["ok"]:
            pages = (s + 4095) // 4096
            wcol = (f"{w['core_ns'] / 1e6:.1f} / {w['raw_ns'] / 1e6:.1f}"
                    if w and w["core_ns"] else "-")
            L.append(
                f"| {size_name(s)} | {fmt(d['verify_and_load_images'])} | "
                f"{fmt(d['raw_ed25519'])} | "
                f"{d['raw_ed25519'] / d['verify_and_load_images']:.3f}x | "
                f"{fmt(d['raw_ed25519ph'])} | "
                f"{d['raw_ed25519ph'] / d['verify_and_load_images']:.3f}x | "
                f"{fmt(d['register_kvm'])} | {fmt(d['set_boot_info'])} | "
                f"{fmt(d['remap_vm_image'] / pages)} | "
                f"{fmt(boot_cost(d))} | {wcol} |")
        else:
            wcol = f"- / {w['raw_ns'] / 1e6:.1f}" if w else "-"
            L.append(f"| {size_name(s)} | refused: `{d['reason']}` | "
                     f"{fmt(d['raw_ed25519'])} | - | "
                     f"{fmt(d['raw_ed25519ph'])} | - | - | - | - | - | "
                     f"{wcol} |")
    L.append("")
    L.append(f"Linear fit of the boot protocol total over the loaded sizes: "
             f"{slope:.3f} instructions/byte = {slope * MIB / 1e6:.3f} M "
             f"instructions/MiB, intercept {icpt / 1e6:.3f} M, R² = "
             f"{r2:.6f}. Plot: bench/verify.png.")
    L.append("")
    refused = [s for s, d in verify.items() if not d["ok"]]
    if refused:
        L.append("An image of 64 MiB cannot be loaded: the remap area "
                 "is REMAP_SIZE = 64 MiB (the spec's 32 MiB doubled for a "
                 "Linux guest's kernel and initramfs, "
                 "docs/spec-deviations.md) for the images of all VMs "
                 "alive at once (first fit; a destroyed VM's space is "
                 "free again), and alloc_remap_addr requires "
                 "remap + size < REMAP_END, so the largest image is 64 MiB "
                 "- 4 KiB. Splitting into several load infos "
                 "(MAX_LOAD_INFO_NUM = 5) does not help: they share the "
                 "same area. The raw libsodium figures for 64 MiB are "
                 "given for reference.")
        L.append("")
    if destroy:
        destroy_section(L, destroy)
    if snap:
        snapshot_section(L, snap)

    L.append("## EL2 under QEMU (-icount)")
    L.append("")
    if qemu and qemu.get("hvc_noop"):
        write_qemu(L, qemu, os.path.dirname(os.path.abspath(path)))
        write_el2_boot(L, qemu)
    else:
        L.append("Not measured in this run: the QEMU part failed or was "
                 "not run (the EL2 build or boot; see `make bench`'s "
                 "output, or run `make bench-qemu`).")
        L.append("")
    L.append("## How to run")
    L.append("")
    L.append("    make bench          # everything; writes this file and "
             "bench/verify.png")
    L.append("    make bench-hosted   # the hosted part only")
    L.append("")
    with open(path, "w") as fh:
        fh.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--opt", required=True)
    ap.add_argument("--debug")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--qemu", help="JSON from bench/qemu_bench.py")
    ap.add_argument("--wall-reps", type=int, default=3)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    opt = parse_ops(args.opt, args.workdir, "opt")
    dbg = parse_ops(args.debug, args.workdir, "debug") if args.debug else None
    prof = {}
    for name in ("map_pfn_vm", "assign_pfn_to_vm", "clear_pfn_host",
                 "map_page_host"):
        prof[name] = profile(args.opt, args.workdir, name)
    verify, vheap = parse_verify(args.opt, args.workdir)
    destroy = parse_destroy(args.opt, args.workdir)
    snap = parse_snapshot(args.opt, args.workdir)
    wall = parse_wall(args.opt, args.wall_reps)
    ok = sorted(s for s, d in verify.items() if d["ok"])
    fit = linfit(ok, [boot_cost(verify[s]) for s in ok])
    qemu = None
    if args.qemu and os.path.exists(args.qemu):
        with open(args.qemu) as fh:
            qemu = json.load(fh)
    write_results(args.out, opt, dbg, prof, verify, vheap, wall, fit, qemu,
                  destroy, snap)
    plot(verify, wall, fit, args.png)
    with open(os.path.join(args.workdir, "results.json"), "w") as fh:
        json.dump({"opt": opt, "debug": dbg,
                   "verify": {str(k): v for k, v in verify.items()},
                   "wall": {str(k): v for k, v in wall.items()},
                   "destroy": {str(k): v for k, v in destroy.items()},
                   "snapshot": snap,
                   "fit": fit, "qemu": qemu}, fh, indent=1)
    print(f"bench: wrote {args.out} and {args.png}")


if __name__ == "__main__":
    main()
