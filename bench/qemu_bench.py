#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""EL2 instructions per host hypercall round trip, under QEMU -icount.

Boots the bench copy of corevisor (build/bench/aarch64/corevisor-bench.elf)
with the bench host (bench/qemu/host_bench.c) on one CPU, with
-icount shift=0 (instruction-exact, one virtual ns per instruction). The
host reads PMU counters filtered to EL2 around each HVC and prints
"bench: NAME calls N inst MIN MAX cycles MIN MAX". The QEMU command line
and DTB are tests/qemu/run.py's (imported, not changed), plus -icount.

The bare trap's path has a known length (BARE_STATIC, el2_bare.S): the
measured count must equal it, or the method is wrong and this fails.
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

BARE_STATIC = 38
OBJDUMP = "aarch64-linux-gnu-objdump"
NM = "aarch64-linux-gnu-nm"


def static_len(elf, sym):
    """Instructions of straight-line function @sym up to its first ret."""
    p = subprocess.run([OBJDUMP, "-d", f"--disassemble={sym}", elf],
                       check=True, text=True, capture_output=True)
    n = 0
    for line in p.stdout.splitlines():
        if re.match(r"\s+[0-9a-f]+:\s+[0-9a-f]{8}\s", line):
            n += 1
            if re.search(r"\sret\b", line):
                return n
    return None


def boot(args, corevisor, name):
    """One boot of @corevisor with the bench host: {series: EL2 inst}."""
    a = types.SimpleNamespace(
        corevisor=corevisor, host=args.host, gic="3",
        cpu="cortex-a57", smp=1, mem="1G", image_key=[], aead_key=None,
        no_image_key=False, no_aead_key=False, no_rng_seed=False,
        rng_seed=None, dtb_set=[])
    dtb = os.path.join(args.workdir, f"{name}.dtb")
    qemu_run.make_dtb(a, dtb)
    cmd = qemu_run.machine_args(a) + [
        "-dtb", dtb, "-device", f"loader,file={args.host}",
        "-icount", "shift=0"]
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
    if r.returncode != 0 or "bench: done" not in log or \
            "bare_trap" not in res:
        sys.stdout.write(log)
        sys.exit(f"qemu_bench: {name} run failed (exit {r.returncode})")
    if res["bare_trap"] != BARE_STATIC:
        sys.stdout.write(log)
        sys.exit(f"qemu_bench: bare trap measured {res['bare_trap']} EL2 "
                 f"instructions, its code has {BARE_STATIC}: the PMU "
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


def trace_breakdown(args, corevisor, dtb, want):
    """Per-function EL2 instructions of one round trip of each length in
    @want ({name: length}), from QEMU's execution trace (-d
    in_asm,exec,nochain) of the same boot: TB by TB, from the lower-EL
    synchronous vector to the eret. Also checks the PMU: a round trip of
    exactly the measured length must exist."""
    log = os.path.join(args.workdir, "trace.log")
    cmd = [a for a in qemu_run.machine_args(types.SimpleNamespace(
        corevisor=corevisor, gic="3", cpu="cortex-a57", smp=1, mem="1G"))]
    cmd += ["-dtb", dtb, "-device", f"loader,file={args.host}",
            "-icount", "shift=0", "-d", "in_asm,exec,nochain", "-D", log]
    subprocess.run(["timeout", "-k", "5", str(args.timeout)] + cmd,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    syms = symbols(corevisor)
    addrs = [a for a, _ in syms]
    vec = dict((n, a) for a, n in syms)["el2_vectors"] + 0x400

    def sym(pc):
        i = bisect.bisect_right(addrs, pc) - 1
        return syms[i][1] if i >= 0 else "?"

    tbs, cur, trip, found = {}, None, None, {}
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
            if pc == vec:
                trip = []
            if trip is None:
                continue
            trip.extend(insns)
            if insns and insns[-1][1].startswith("eret"):
                names = [sym(a) for a, _ in trip]
                if "host_hvc_dispatch" in names:
                    for key, n in want.items():
                        if len(trip) == n and key not in found:
                            by = {}
                            for nm in names:
                                by[nm] = by.get(nm, 0) + 1
                            found[key] = by
                trip = None
    os.remove(log)
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corevisor", required=True)
    ap.add_argument("--corevisor-nodebug",
                    help="the same image built without CV_DEBUG")
    ap.add_argument("--host", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    res = boot(args, args.corevisor, "bench")
    if args.corevisor_nodebug:
        nd = boot(args, args.corevisor_nodebug, "bench-nodebug")
        for k in ("hvc_noop", "hvc_is_inc_exe", "bare_trap"):
            res[k + "_nodebug"] = nd[k]
    if args.corevisor_nodebug:
        tr = trace_breakdown(
            args, args.corevisor_nodebug,
            os.path.join(args.workdir, "bench-nodebug.dtb"),
            {"hvc_noop": res["hvc_noop_nodebug"],
             "hvc_is_inc_exe": res["hvc_is_inc_exe_nodebug"]})
        res["trace"] = tr
    res["fpsimd_static"] = sum(
        static_len(args.corevisor, f) or 0
        for f in ("el2_fpsimd_save", "el2_fpsimd_restore", "el2_vregs_save",
                  "el2_vregs_restore"))
    steady = all(res[k + "_detail"]["inst_min"] ==
                 res[k + "_detail"]["inst_max"]
                 for k in ("bare_trap", "hvc_noop", "hvc_is_inc_exe"))
    res["note"] = (
        "QEMU 7.2 TCG, `-icount shift=0`, virt board, cortex-a57, 1 CPU. "
        "The bench host (bench/qemu/host_bench.c, EL1) reads the PMU "
        "around each HVC with both counters filtered to EL2 "
        "(PMEVTYPER0 = INST_RETIRED with P, U set and NSH set; PMCCFILTR "
        "the same), so only EL2 instructions count: the vector entry to "
        "the eret. Minimum of 64 round trips"
        + (" (every round trip the same count)" if steady else
           " (counts varied between round trips)") +
        f". The bare trap is bench/qemu/el2_bare.S, installed in the same "
        f"boot through the bench image's host_smc wrapper (the HVC path is "
        f"not wrapped); its measured count equals its {BARE_STATIC} "
        "instructions, which checks the method. Corevisor's count is its "
        "EL2 image as built by mk/aarch64.mk (-O2, CV_DEBUG on) and, "
        "second column, the same without CV_DEBUG.")
    noop = res.get("hvc_noop_nodebug", res["hvc_noop"])
    bare = res["bare_trap"]
    fp = res["fpsimd_static"]
    tr = (res.get("trace") or {}).get("hvc_noop")
    if tr:
        frame = sum(v for k, v in tr.items()
                    if k in ("el2_vectors", "el2_trap_common"))
        fpf = [k for k in tr if re.search(r"fpsimd|vregs", k)]
        fp = sum(tr[k] for k in fpf)
        cp = tr.get("memcpy", 0)
        parts = ", ".join(f"{k} {v}" for k, v in tr.items())
        rest = noop - frame - fp - cp
        res["breakdown"] = (
            f"Where HVC_NOOP's {noop} EL2 instructions go (QEMU execution "
            f"trace of the same image, one round trip): {parts}. "
            f"That is {frame} for the vector and the frame (the bare trap's "
            f"{bare} plus ELR/SPSR and the vector's VM/host test), {fp} for "
            f"{' + '.join(fpf)} (arch/aarch64/trap.c host_hvc saves all 32 "
            "V registers, FPSR and FPCR on every hypercall because a few "
            f"calls run libsodium), {cp} for host_hvc's memcpy of the six "
            "arguments (arch/aarch64/libc.c's word loop), and "
            f"{rest} for the C dispatch (el2_trap, host_hvc, "
            "host_hvc_dispatch, halted()). "
            f"Without the FP/SIMD save and the copy: {noop - fp - cp} = "
            f"{(noop - fp - cp) / bare:.2f}x the bare trap. To reach 1.5x "
            f"({int(1.5 * bare)} instructions) the HVC path needs: FP/SIMD "
            "saved only around the calls that use it (VERIFY_VM_IMAGES and "
            "the sealing calls) or lazily via CPTR_EL2.TFP; "
            "host_hvc_dispatch(f->x) on the frame instead of a copy; and a "
            "short assembly fast path in the lower-EL sync vector for "
            "calls that need no C (check ESR_EL2.EC == HVC64 and the call "
            "number before saving the callee-saved registers), as pKVM's "
            "host vector does.")
    else:
        res["breakdown"] = (
            f"Of HVC_NOOP's {noop} EL2 instructions, {fp} are "
            "el2_fpsimd_save + el2_fpsimd_restore (static count).")
    with open(args.out, "w") as fh:
        json.dump(res, fh, indent=1)
    print(f"qemu_bench: bare {res['bare_trap']}, HVC_NOOP {noop}, "
          f"IS_INC_EXE {res['hvc_is_inc_exe']} EL2 instructions")


if __name__ == "__main__":
    main()
