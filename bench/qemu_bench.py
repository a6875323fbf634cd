#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""EL2 instructions per host hypercall round trip and per guest exit,
under QEMU -icount.

Boots the bench copy of corevisor (build/bench/aarch64/corevisor-bench.elf)
with the bench host (bench/qemu/host_bench.c) and the bench guest
(bench/qemu/guest_bench.S) on one CPU, with -icount shift=0
(instruction-exact, one virtual ns per instruction). The host reads PMU
counters filtered to EL2 around each HVC (VCPU_RUN included) and prints
"bench: NAME calls N inst MIN MAX cycles MIN MAX". The QEMU command line,
DTB and guest table are tests/qemu/run.py's (imported, not changed), plus
-icount.

The floors (bench/qemu/el2_bare.S) are straight-line code between
labels: their lengths are read from the ELF (FLOOR_PATHS) and the
measured counts must equal them, or the method (or a floor) is wrong and
this fails.
"""
import argparse
import bisect
import json
import os
import re
import subprocess
import sys
import types

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "qemu"))
import run as qemu_run  # noqa: E402  (tests/qemu/run.py)

# Each floor's executed path: (start label, end label) spans of
# el2_bare.S, each straight-line code; the path's length is their sum.
_WS_IN = [("floor_ws_in_s0", "floor_ws_in_e0"),
          ("floor_ws_in_s1", "floor_ws_in_e1"),
          ("floor_ws_in_s2", "floor_ws_in_e2")]
_WS_OUT = [("floor_ws_out_s0", "floor_ws_out_e0"),
           ("floor_ws_out_s1", "floor_ws_out_e1"),
           ("floor_ws_out_s3", "floor_ws_out_e3")]
_WS_OUT_FP = _WS_OUT + [("floor_ws_out_e1", "floor_ws_out_e2")]
_WS_FP_TRAP = [("floor_ws_out_s0", "floor_ws_fp_e0"),
               ("floor_ws_fp_s1", "floor_ws_fp_e1")]
FLOOR_PATHS = {
    "bare_trap": [("floor_trap_s0", "floor_trap_e0"),
                  ("floor_trap_s1", "floor_trap_e1")],
    "bare_ws": _WS_IN + _WS_OUT,
    "bare_ws_fp": _WS_IN + _WS_FP_TRAP + _WS_OUT_FP,
}
FLOOR_PARTS = {"ws_in": _WS_IN, "ws_out": _WS_OUT, "ws_fp_trap": _WS_FP_TRAP,
               "ws_out_fp_moves": [("floor_ws_out_e1", "floor_ws_out_e2")]}
GUEST_ADDR = 0x4c000000            # where the runner leaves the image
GUEST_IPA = (0x48000000, 0x48200000)  # guest_bench.ld: the VM's block
GUEST_SERIES = ("guest_hvc", "guest_mmio_write", "guest_mmio_read",
                "guest_hvc_fp", "guest_mmio_write_fp", "guest_mmio_read_fp")
FLOORS = ("bare_trap", "bare_ws", "bare_ws_fp")
NM = "aarch64-linux-gnu-nm"
ADDR2LINE = "aarch64-linux-gnu-addr2line"


# Where the boot-cost images (--boot-image) are loaded: above the host
# (host/platform/link.ld: 0x50000000), each at the next 4 MiB boundary,
# below the host's page pool (0x62000000, host/platform/lib.c).
BOOT_IMAGE_BASE = 0x54000000
BOOT_IMAGE_END = 0x62000000


def boot_image_specs(paths):
    """The runner's --guest specs of the boot-cost images."""
    specs, addr = [], BOOT_IMAGE_BASE
    for i, path in enumerate(paths):
        size = os.path.getsize(path)
        if addr + size > BOOT_IMAGE_END:
            sys.exit(f"qemu_bench: boot images beyond {BOOT_IMAGE_END:#x}")
        specs.append(f"boot{i}={path}@{addr:#x}")
        addr = (addr + size + (4 << 20) - 1) & ~((4 << 20) - 1)
    return specs


def machine(args, corevisor, name, boot_images=True):
    """The QEMU command line of one bench boot (DTB made, guest table
    written); the boot-cost images too unless @boot_images is false."""
    guests = [f"bench={args.guest}@{GUEST_ADDR:#x}"] if args.guest else []
    if guests and boot_images:
        guests += boot_image_specs(args.boot_image)
    a = types.SimpleNamespace(
        corevisor=corevisor, host=args.host, gic="3",
        cpu="cortex-a57", smp=1, mem="1G", tcg="single",
        image_key=[args.image_key] if args.image_key else [],
        aead_key=None, no_image_key=False, no_aead_key=False,
        no_rng_seed=False, rng_seed=None, dtb_set=[],
        guest=guests)
    dtb = os.path.join(args.workdir, f"{name}.dtb")
    qemu_run.make_dtb(a, dtb)
    cmd = qemu_run.machine_args(a) + [
        "-dtb", dtb, "-device", f"loader,file={args.host}",
        "-icount", "shift=0"]
    if a.guest:
        cmd += qemu_run.guest_table(
            a, os.path.join(args.workdir, f"{name}.guests"))
    return cmd


def floor_lengths(elf):
    """{floor: instructions of its path} from @elf's symbols."""
    addr = dict((n, a) for a, n in symbols(elf))

    def length(spans):
        n = 0
        for s, e in spans:
            if s not in addr or e not in addr or addr[e] < addr[s]:
                sys.exit(f"qemu_bench: floor label {s}/{e} missing")
            n += (addr[e] - addr[s]) // 4
        return n
    res = {k: length(v) for k, v in FLOOR_PATHS.items()}
    res["parts"] = {k: length(v) for k, v in FLOOR_PARTS.items()}
    return res


def boot(args, corevisor, name):
    """One boot of @corevisor with the bench host: {series: EL2 inst}."""
    cmd = machine(args, corevisor, name)
    print("qemu_bench: " + " ".join(cmd), flush=True)
    r = subprocess.run(["timeout", "-k", "5", str(args.timeout)] + cmd,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    log = r.stdout.decode(errors="replace").replace("\r\n", "\n")
    with open(os.path.join(args.workdir, f"{name}.log"), "w") as fh:
        fh.write(log)
    res = {}
    for m in re.finditer(r"bench: (\w+) calls (\d+) inst (\d+) (\d+) "
                         r"cycles (\d+) (\d+)", log):
        name_ = m.group(1)
        imin, imax = int(m.group(3)), int(m.group(4))
        cmin, cmax = int(m.group(5)), int(m.group(6))
        res[name_] = imin
        res[name_ + "_detail"] = {"calls": int(m.group(2)),
                                  "inst_min": imin, "inst_max": imax,
                                  "cycles_min": cmin, "cycles_max": cmax}
    res["boot"] = [{"name": m.group(1), "bytes": int(m.group(2)),
                    "inst": int(m.group(3)), "cycles": int(m.group(4))}
                   for m in re.finditer(r"bench-boot: (\w+) bytes (\d+) "
                                        r"inst (\d+) cycles (\d+)", log)]
    need = list(FLOORS) + (list(GUEST_SERIES) if args.guest else [])
    nboot = len(args.boot_image) if args.guest else 0
    if r.returncode != 0 or "bench: done" not in log or \
            any(k not in res for k in need) or len(res["boot"]) != nboot:
        sys.stdout.write(log)
        sys.exit(f"qemu_bench: {name} run failed (exit {r.returncode})")
    static_len = floor_lengths(corevisor)
    res["floor_static"] = static_len
    for key in FLOORS:
        static = static_len[key]
        if res[key] != static:
            sys.stdout.write(log)
            sys.exit(f"qemu_bench: {key} measured {res[key]} EL2 "
                     f"instructions, its code has {static}: the PMU "
                     "method does not count what it should")
    return res


def symbols(elf):
    p = subprocess.run([NM, "-n", elf], check=True, text=True,
                       capture_output=True)
    syms = []
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwW":
            syms.append((int(f[0], 16), f[2]))
    return syms


def trace_breakdown(args, corevisor, want, guest_want):
    """Per-function EL2 instructions of one round trip of each length in
    @want ({name: length}, host hypercalls: one trip from the lower-EL
    synchronous vector to the eret) and @guest_want (guest exits: the
    trip of a VCPU_RUN that erets into the guest plus the guest's next
    exit up to the eret back to the host), from QEMU's execution trace
    (-d in_asm,exec,nochain) of the same boot, TB by TB. Also checks the
    PMU: a round trip of exactly the measured length must exist."""
    log = os.path.join(args.workdir, "trace.log")
    cmd = machine(args, corevisor, "trace", boot_images=False) + [
        "-d", "in_asm,exec,nochain", "-D", log]
    subprocess.run(["timeout", "-k", "5", str(args.timeout)] + cmd,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    syms = symbols(corevisor)
    addrs = [a for a, _ in syms]
    # Lower-EL synchronous entries: the host's, and a VM's (its own table
    # while it runs, when the image has one).
    byname = dict((n, a) for a, n in syms)
    vecs = {byname[t] + 0x400 for t in ("el2_vectors", "el2_guest_vectors")
            if t in byname}

    def sym(pc):
        i = bisect.bisect_right(addrs, pc) - 1
        return syms[i][1] if i >= 0 else "?"

    def by_function(trip):
        by = {}
        for a, _ in trip:
            nm = sym(a)
            by[nm] = by.get(nm, 0) + 1
        return by

    def by_inlined(trip):
        """Per innermost source function (addr2line -i: LTO inlines most
        of the core into host_hvc_dispatch)."""
        pcs = sorted({a for a, _ in trip})
        p = subprocess.run([ADDR2LINE, "-a", "-f", "-i", "-e", corevisor]
                           + [hex(a) for a in pcs], check=True, text=True,
                           capture_output=True)
        inner, cur = {}, None
        for line in p.stdout.splitlines():
            if line.startswith("0x"):
                cur = int(line, 16)
            elif cur is not None:
                inner[cur], cur = line, None
        by = {}
        for a, _ in trip:
            nm = inner.get(a, "?")
            by[nm] = by.get(nm, 0) + 1
        return dict(sorted(by.items(), key=lambda kv: -kv[1]))

    def patterns(trip):
        """halted() checks (a load-acquire then cbz/cbnz on it) and lock
        acquisitions (ldxr: the ticket's atomic add) in @trip."""
        ops = [i.split()[0] for _, i in trip]
        return {"halted_checks": sum(
                    1 for a, b in zip(ops, ops[1:])
                    if a == "ldar" and b in ("cbz", "cbnz")),
                "lock_takes": ops.count("ldxr")}

    tbs, cur, trip, found = {}, None, None, {}
    ended, into_guest = None, None
    with open(log, errors="replace") as fh:
        for line in fh:
            if line.startswith("IN:"):
                cur = []
                continue
            m = re.match(r"0x([0-9a-f]+):\s+[0-9a-f]{8}\s+(.*)", line)
            if m and cur is not None:
                cur.append((int(m.group(1), 16), m.group(2).strip()))
                continue
            m = re.match(r"Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/", line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            if cur:
                tbs[pc] = cur
            cur = None
            insns = tbs.get(pc, [])
            if ended is not None:
                # The TB after an eret: in the guest, or back in the host.
                if GUEST_IPA[0] <= pc < GUEST_IPA[1]:
                    into_guest = ended
                else:
                    if into_guest is not None:
                        both = into_guest + ended
                        for key, n in guest_want.items():
                            if len(both) == n and key not in found:
                                found[key] = by_function(both)
                                found[key + "_patterns"] = patterns(both)
                                found[key + "_inlined"] = by_inlined(both)
                    elif any(sym(a) == "host_hvc_dispatch" for a, _ in ended):
                        for key, n in want.items():
                            if len(ended) == n and key not in found:
                                found[key] = by_function(ended)
                    into_guest = None
                ended = None
            if pc in vecs:
                trip = []
            if trip is None:
                continue
            trip.extend(insns)
            if insns and insns[-1][1].startswith("eret"):
                ended, trip = trip, None
    os.remove(log)
    return found


def linear_fit(points):
    """Least squares y = a x + b over @points [(x, y)]: (a, b, R^2)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    a = sxy / sxx
    b = my - a * mx
    ss_res = sum((y - (a * x + b)) ** 2 for x, y in points)
    ss_tot = sum((y - my) ** 2 for _, y in points)
    return a, b, 1.0 - ss_res / ss_tot if ss_tot else 1.0


def boot_fit(boots):
    """EL2 instructions of the boot protocol per MiB of image (signed
    payload bytes, the header included), fitted over the images."""
    if len(boots) < 2:
        return None
    a, b, r2 = linear_fit([(x["bytes"] / (1 << 20), x["inst"])
                           for x in boots])
    return {"inst_per_mib": a, "intercept": b, "r2": r2,
            "points": [(x["bytes"], x["inst"]) for x in boots]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corevisor", required=True)
    ap.add_argument("--corevisor-nodebug",
                    help="the same image built without CV_DEBUG")
    ap.add_argument("--host", required=True)
    ap.add_argument("--guest", help="the signed bench guest image")
    ap.add_argument("--image-key", help="the key it is signed with (.pk)")
    ap.add_argument("--boot-image", action="append", default=[],
                    help="a signed image whose boot protocol is counted "
                    "(repeatable: the sizes of the per-MiB fit)")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    series = ["hvc_noop", "hvc_is_inc_exe"] + list(FLOORS)
    if args.guest:
        series += GUEST_SERIES
    res = boot(args, args.corevisor, "bench")
    if args.corevisor_nodebug:
        nd = boot(args, args.corevisor_nodebug, "bench-nodebug")
        for k in series:
            res[k + "_nodebug"] = nd[k]
            res[k + "_nodebug_detail"] = nd[k + "_detail"]
        res["boot_nodebug"] = nd["boot"]
        res["boot_fit_nodebug"] = boot_fit(nd["boot"])
    res["boot_fit"] = boot_fit(res["boot"])
    # The breakdown is of the build `make run` ships (CV_DEBUG on).
    res["trace"] = trace_breakdown(
        args, args.corevisor,
        {k: res[k] for k in ("hvc_noop", "hvc_is_inc_exe")},
        {k: res[k] for k in series if k.startswith("guest_")
         and not k.endswith("_fp")})
    steady = all(res[k + "_detail"]["inst_min"] ==
                 res[k + "_detail"]["inst_max"] for k in series)
    res["steady"] = steady
    res["note"] = (
        "QEMU 7.2 TCG, `-icount shift=0`, virt board, cortex-a57, 1 CPU. "
        "The bench host (bench/qemu/host_bench.c, EL1) reads the PMU "
        "around each HVC with both counters filtered to EL2 "
        "(PMEVTYPER0 = INST_RETIRED with P, U set and NSH set; PMCCFILTR "
        "the same), so only EL2 instructions count: the vector entry to "
        "the eret. For a guest exit, one VCPU_RUN: the host -> guest "
        "switch and the guest's next exit back to the host (the guest's "
        "and the host's own instructions are at EL1, not counted). "
        "Minimum over 64 round trips per series"
        + (" (every round trip of a series the same count)" if steady else
           " (counts varied within a series: max in the JSON)") +
        ". The floors are bench/qemu/el2_bare.S, installed in the same "
        "boot through the bench image's host_smc wrapper (corevisor's "
        "HVC path is not wrapped): the trap floor "
        f"({res['floor_static']['bare_trap']} instructions), two "
        "like-for-like world switches "
        f"({res['floor_static']['bare_ws']}) and the same with the "
        f"guest's FP/SIMD loaded lazily ({res['floor_static']['bare_ws_fp']}"
        "); each measured count equals its code's length (read from the "
        "ELF), which checks the method. "
        "Corevisor's count is its EL2 image as built by mk/aarch64.mk "
        "(-O2, CV_DEBUG on) and, first column, the same without CV_DEBUG.")
    with open(args.out, "w") as fh:
        json.dump(res, fh, indent=1)
    nd = "_nodebug" if args.corevisor_nodebug else ""
    print("qemu_bench: " + ", ".join(f"{k} {res[k + nd]}" for k in series)
          + " EL2 instructions")


if __name__ == "__main__":
    main()
