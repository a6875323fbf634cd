#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Linux host's figures for `make bench` (mk/linux.mk bench-linux),
under QEMU -icount on one CPU: with shift=S virtual time advances 2^S ns
per instruction executed; idle waits are skipped (sleep=off) but advance
it by their own length, whatever S is.

1. Host boot time to /init: the virtual counter (CNTVCT_EL0, which counts
   that virtual time from power-on; CNTVOFF_EL2 is 0 in both) read first
   thing at /init (rdinit=/tests/bench.sh, cvrun --counter), booted by
   corevisor at EL1 against the same kernel, initramfs and command line
   booted by QEMU directly at EL1 (virtualization off). Each is booted
   with shift=0 and shift=1: the difference of the two times is the
   instructions executed (the idle waits cancel out), the shift=0 time the
   virtual time. The ratios of both.
2. HVC round trip from the module: cvrun --bench-noop (ktime around
   100000 HVC_NOOPs, interrupts off, in corevisor.ko), i.e. EL1 + EL2
   instructions per round trip.

Writes bench/linux-results.md.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "..", "tests", "qemu", "run.py")
APPEND = "console=ttyAMA0 rdinit=/tests/bench.sh"
ICOUNT = "shift={},sleep=off"
COUNTER_RE = re.compile(r"cvrun: CNTVCT_EL0 (\d+) CNTFRQ_EL0 (\d+)")


def init_time(log, what):
    """Seconds of virtual time from power-on to /init."""
    m = COUNTER_RE.search(log)
    if not m:
        sys.stdout.write(log)
        sys.exit(f"linux_bench: no counter at /init in the {what} boot")
    return int(m.group(1)) / int(m.group(2))


def boot_corevisor(a, shift):
    name = f"bench-linux-shift{shift}"
    subprocess.run([sys.executable, RUN, "--corevisor", a.corevisor,
                    "--workdir", a.workdir, "--name", name,
                    "--image-key", a.image_key, "--linux", a.image,
                    "--initrd", a.initrd, "--append", APPEND, "--smp", "1",
                    "--tcg", "single", "--icount", ICOUNT.format(shift),
                    "--timeout",
                    str(a.timeout), "--exit", "0",
                    "--expect", "cvrun: CNTVCT_EL0",
                    "--expect", "HVC_NOOP round trips from the module"],
                   check=True, stdout=subprocess.DEVNULL)
    return open(os.path.join(a.workdir, f"{name}.log")).read()


def boot_bare(a, shift):
    cmd = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu",
           "cortex-a57", "-smp", "1", "-m", "1G", "-nographic",
           "-no-reboot", "-nic", "none", "-accel", "tcg,thread=single",
           "-icount", ICOUNT.format(shift), "-kernel", a.image, "-initrd",
           a.initrd,
           "-append", APPEND]
    r = subprocess.run(["timeout", "-k", "5", str(a.timeout)] + cmd,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    log = r.stdout.decode(errors="replace").replace("\r\n", "\n")
    with open(os.path.join(a.workdir, f"bench-linux-bare-shift{shift}.log"),
              "w") as f:
        f.write(log)
    if r.returncode != 0:
        sys.stdout.write(log)
        sys.exit(f"linux_bench: bare boot exited {r.returncode}")
    return log


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--corevisor", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--initrd", required=True)
    p.add_argument("--image-key", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--timeout", type=int, default=300)
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)

    cv_log = boot_corevisor(a, 0)
    bare_log = boot_bare(a, 0)
    t_cv, t_bare = init_time(cv_log, "corevisor"), init_time(bare_log, "bare")
    i_cv = init_time(boot_corevisor(a, 1), "corevisor") - t_cv
    i_bare = init_time(boot_bare(a, 1), "bare") - t_bare
    m = re.search(r"cvrun: (\d+) HVC_NOOP round trips from the module in "
                  r"(\d+) ns", cv_log)
    if not m:
        sys.exit("linux_bench: no HVC_NOOP figure")
    calls, ns = int(m.group(1)), int(m.group(2))
    release = re.search(r"Linux version (\S+)", cv_log)
    rows = [
        ("Host boot to /init, under corevisor: instructions",
         f"{i_cv * 1e9:,.0f}"),
        ("Host boot to /init, QEMU alone (EL1): instructions",
         f"{i_bare * 1e9:,.0f}"),
        ("Instructions ratio (corevisor / alone)", f"{i_cv / i_bare:.3f}x"),
        ("Host boot to /init, under corevisor: virtual ns (shift=0)",
         f"{t_cv * 1e9:,.0f}"),
        ("Host boot to /init, QEMU alone (EL1): virtual ns (shift=0)",
         f"{t_bare * 1e9:,.0f}"),
        ("Virtual time ratio (corevisor / alone)", f"{t_cv / t_bare:.3f}x"),
        ("HVC_NOOP round trip from corevisor.ko (EL1 + EL2)",
         f"{ns / calls:.1f} instructions per call ({calls} calls, shift=0: "
         f"{ns:,} ns in all)"),
    ]
    with open(a.out, "w") as f:
        f.write("# The Linux host: boot time and hypercall cost\n\n"
                "Written by `make bench` (bench/linux_bench.py); do not "
                "edit. Debian's kernel "
                f"{release.group(1) if release else '?'}, one CPU, QEMU "
                "`-icount shift=S,sleep=off`: 2^S virtual ns per "
                "instruction executed, and idle waits advance the clock by "
                "their own length. Instructions = the /init timestamp at "
                "S=1 minus the one at S=0 (the waits cancel out).\n\n"
                "| figure | value |\n|---|---:|\n")
        for k, v in rows:
            f.write(f"| {k} | {v} |\n")
        f.write("\nThe boot under corevisor includes corevisor's own boot "
                "(its tables, the DTB, the host's entry) and every host "
                "stage-2 fault of Linux's boot; the kernel, initramfs and "
                "command line are the same. The round trip is the module's "
                "loop of `hvc #0` with x0 = HVC_NOOP, interrupts off, "
                "ktime around it; bench/results.md has the EL2 part alone "
                "(bare-metal host, PMU).\n")
    for k, v in rows:
        print(f"linux_bench: {k}: {v}")


if __name__ == "__main__":
    main()
