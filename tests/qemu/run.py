#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run corevisor (+ the host kernel) under QEMU once and check the result.

Every run is bounded by `timeout`; the serial log is kept in
<workdir>/<name>.log. A run passes when QEMU's exit status is --exit, every
--expect text appears in the log (in order), every --expect-anywhere text
appears (in any order: VMs run concurrently), every --expect-re pattern
matches, and no --forbid text appears.

The DTB is QEMU's own (-machine dumpdtb) with corevisor's /chosen keys added
by fdtput: corevisor,image-key (Ed25519 public keys), corevisor,aead-key,
corevisor,host-entry (the host ELF's entry point) and a fresh rng-seed, then
handed back with -dtb. Signed guest images (--guest) are loaded into host
memory with a table telling the host where they are.
"""
import argparse
import os
import re
import shlex
import struct
import subprocess
import sys

QEMU = "qemu-system-aarch64"


def machine_args(a):
    iommu = f",iommu={a.iommu}" if getattr(a, "iommu", None) else ""
    return [QEMU, "-M", f"virt,virtualization=on,gic-version={a.gic}{iommu}",
            "-cpu", a.cpu, "-smp", str(a.smp), "-m", a.mem,
            "-nographic", "-no-reboot", "-nic", "none"] + \
        ([] if getattr(a, "no_semihosting", False) else ["-semihosting"]) + \
        ["-kernel", a.corevisor, "-accel", f"tcg,thread={a.tcg}"] + \
        [x for q in getattr(a, "qemu_arg", []) for x in q.split(" ", 1)]


def elf_entry(path):
    with open(path, "rb") as f:
        hdr = f.read(32)
    if hdr[:4] != b"\x7fELF" or hdr[4] != 2:
        sys.exit(f"run.py: {path} is not a 64-bit ELF")
    return struct.unpack_from("<Q", hdr, 24)[0]


def fdtput(dtb, path, prop, kind, *values):
    subprocess.run(["fdtput", "-t", kind, dtb, path, prop, *values],
                   check=True)


def byte_args(data):
    return [f"{b:02x}" for b in data]


def read_key(spec):
    """A key: 64 hex digits, or a file holding 32 raw bytes or hex."""
    if os.path.isfile(spec):
        data = open(spec, "rb").read()
        if len(data) != 32:
            data = bytes.fromhex(data.decode().strip())
    else:
        data = bytes.fromhex(spec)
    if len(data) != 32:
        sys.exit(f"run.py: key {spec!r} is not 32 bytes")
    return data


def make_dtb(a, dtb):
    subprocess.run(machine_args(a) + ["-machine", f"dumpdtb={dtb}"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=30)
    keys = b"".join(read_key(k) for k in a.image_key) if a.image_key \
        else os.urandom(32)
    if not a.no_image_key:
        fdtput(dtb, "/chosen", "corevisor,image-key", "bx", *byte_args(keys))
    if not a.no_aead_key:
        aead = read_key(a.aead_key) if a.aead_key else os.urandom(32)
        fdtput(dtb, "/chosen", "corevisor,aead-key", "bx", *byte_args(aead))
    if a.host:
        entry = elf_entry(a.host)
        fdtput(dtb, "/chosen", "corevisor,host-entry", "x",
               f"{entry >> 32:#x}", f"{entry & 0xffffffff:#x}")
    if a.no_rng_seed:
        subprocess.run(["fdtput", "-d", dtb, "/chosen", "rng-seed"],
                       check=False, stderr=subprocess.DEVNULL)
    else:
        seed = bytes.fromhex(a.rng_seed) if a.rng_seed else os.urandom(32)
        fdtput(dtb, "/chosen", "rng-seed", "bx", *byte_args(seed))
    # getattr: bench/qemu_bench.py calls make_dtb with its own namespace.
    if getattr(a, "linux", None):
        linux_chosen(a, dtb)
    for path in getattr(a, "dtb_node", []):
        subprocess.run(["fdtput", "-c", "-p", dtb, path], check=True)
    for spec in a.dtb_set:
        path, prop, kind, *vals = spec.split()
        fdtput(dtb, path, prop, kind, *vals)


# A Linux Image as the host (arm64 boot protocol): the raw Image at a
# 2 MiB-aligned address corevisor enters at EL1 with x0 = the DTB, the
# initramfs 2 MiB aligned after the Image's image_size (header offset 16).
LINUX_ADDR = 0x48000000


def linux_layout(a):
    with open(a.linux, "rb") as f:
        hdr = f.read(64)
    if hdr[56:60] != b"ARM\x64":
        sys.exit(f"run.py: {a.linux} is not an arm64 Image")
    image_size = struct.unpack_from("<Q", hdr, 16)[0]
    initrd = (LINUX_ADDR + image_size + 0x1fffff) & ~0x1fffff
    return initrd


def cells(v):
    return [f"{v >> 32:#x}", f"{v & 0xffffffff:#x}"]


def linux_chosen(a, dtb):
    fdtput(dtb, "/chosen", "corevisor,host-entry", "x", *cells(LINUX_ADDR))
    fdtput(dtb, "/chosen", "bootargs", "s", a.append)
    if a.initrd:
        start = linux_layout(a)
        end = start + os.path.getsize(a.initrd)
        fdtput(dtb, "/chosen", "linux,initrd-start", "x", *cells(start))
        fdtput(dtb, "/chosen", "linux,initrd-end", "x", *cells(end))


def linux_loads(a):
    args = ["-device", f"loader,file={a.linux},addr={LINUX_ADDR:#x},"
            "force-raw=on"]
    if a.initrd:
        args += ["-device", f"loader,file={a.initrd},"
                 f"addr={linux_layout(a):#x},force-raw=on"]
    return args


# The guest-image table the host reads (host/platform/lib.c): magic,
# count, then per image its address, size, vCPU count, flags and name
# (16 bytes, 0-padded). Flag 1: a data image of the VM of the image before
# it (an initrd, a device tree).
GUEST_TABLE_ADDR = 0x4ffe0000
GUEST_TABLE_MAGIC = 0x54475643  # "CVGT"
GUEST_MAX = 8
GUEST_DATA = 1


def guest_table(a, path):
    """Write the table for the --guest images; their loader arguments."""
    entries, args = [], []
    name = None
    for spec in a.guest:
        if spec.startswith("+"):
            if name is None:
                sys.exit(f"run.py: data image {spec} before any guest")
            f, addr = spec[1:].rsplit("@", 1)
            vcpus, flags = 1, GUEST_DATA
        else:
            name, rest = spec.split("=", 1)
            name, _, vcpus = name.partition(":")
            f, addr = rest.rsplit("@", 1)
            flags = 0
        entries.append(struct.pack("<QQII16s", int(addr, 0),
                                   os.path.getsize(f), int(vcpus or 1),
                                   flags, name.encode()[:15]))
        args += ["-device", f"loader,file={f},addr={addr},force-raw=on"]
    if len(entries) > GUEST_MAX:
        sys.exit(f"run.py: at most {GUEST_MAX} guests")
    with open(path, "wb") as out:
        out.write(struct.pack("<II", GUEST_TABLE_MAGIC, len(entries)))
        out.write(b"".join(entries))
    return args + ["-device", f"loader,file={path},"
                   f"addr={GUEST_TABLE_ADDR:#x},force-raw=on"]


def write_gdbinit(a, path):
    with open(path, "w") as f:
        f.write(f"file {os.path.abspath(a.corevisor)}\n")
        if a.host:
            f.write(f"add-symbol-file {os.path.abspath(a.host)}\n")
        f.write("set architecture aarch64\n"
                "target remote :1234\n"
                "break el2_main\n")


def run_showing(cmd):
    """Run @cmd, copying its output to ours as it comes; (output, status)."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    for line in p.stdout:
        out += line
        sys.stdout.write(line.decode(errors="replace").replace("\r\n", "\n"))
        sys.stdout.flush()
    return out, p.wait()


def check(a, log, status):
    problems = []
    if status != a.exit:
        problems.append(f"exit status {status}, expected {a.exit}")
    pos = 0
    for text in a.expect:
        at = log.find(text, pos)
        if at < 0:
            problems.append(f"missing (in order): {text!r}")
        else:
            pos = at + len(text)
    for text in a.expect_anywhere:
        if text not in log:
            problems.append(f"missing: {text!r}")
    for text in a.forbid:
        if text in log:
            problems.append(f"forbidden text present: {text!r}")
    for pattern in a.expect_re:
        if not re.search(pattern, log, re.S):
            problems.append(f"no match for regular expression {pattern!r}")
    return problems


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--corevisor", required=True)
    p.add_argument("--host")
    p.add_argument("--workdir", default="build/aarch64/runs")
    p.add_argument("--name", default="run")
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--mem", default="1G")
    p.add_argument("--cpu", default="cortex-a57")
    p.add_argument("--gic", default="3")
    p.add_argument("--iommu", help="QEMU virt's iommu= (smmuv3)")
    p.add_argument("--qemu-arg", action="append", default=[],
                   help="extra QEMU option and its value, e.g. "
                   "'-device virtio-rng-pci' (split at the first space)")
    p.add_argument("--tcg", choices=("multi", "single"), default="multi",
                   help="one host thread per CPU (QEMU's default), or all "
                   "CPUs interleaved on one: many CPUs on a loaded machine "
                   "run far faster so (no spinning on a preempted thread)")
    p.add_argument("--timeout", type=int, default=60)
    p.add_argument("--no-semihosting", action="store_true",
                   help="as hardware: corevisor cannot end the run with a "
                   "status (a panic's end falls back to PSCI SYSTEM_OFF)")
    p.add_argument("--exit", type=int, default=0)
    p.add_argument("--expect", action="append", default=[])
    p.add_argument("--forbid", action="append", default=[])
    p.add_argument("--expect-anywhere", action="append", default=[],
                   help="text the log holds, in any order (VMs interleave)")
    p.add_argument("--show", action="store_true",
                   help="copy the serial output to stdout as it comes")
    p.add_argument("--expect-re", action="append", default=[],
                   help="Python regular expression (re.S) the log matches")
    p.add_argument("--guest", action="append", default=[],
                   help="NAME[:VCPUS]=FILE@ADDR: a signed guest image for the host "
                   f"(listed in the table at {GUEST_TABLE_ADDR:#x}); "
                   "+FILE@ADDR: a data image of the guest before it")
    p.add_argument("--image-key", action="append", default=[],
                   help="trusted Ed25519 public key (hex or file); repeatable")
    p.add_argument("--aead-key", help="AEAD key (hex or file); default random")
    p.add_argument("--no-image-key", action="store_true")
    p.add_argument("--no-aead-key", action="store_true")
    p.add_argument("--no-rng-seed", action="store_true")
    p.add_argument("--rng-seed", help="rng-seed bytes (hex); default random")
    p.add_argument("--dtb-set", action="append", default=[],
                   help="'PATH PROP TYPE VALUE...' for fdtput; repeatable")
    p.add_argument("--dtb-node", action="append", default=[],
                   help="PATH: a node to create (with its parents) before "
                   "--dtb-set; repeatable")
    p.add_argument("--load", action="append", default=[],
                   help="FILE@ADDR: a raw blob QEMU loads; repeatable")
    p.add_argument("--word", action="append", default=[],
                   help="ADDR=VALUE: a 32-bit word QEMU stores; repeatable")
    p.add_argument("--linux", help="an arm64 Linux Image as the host")
    p.add_argument("--initrd", help="the Linux host's initramfs")
    p.add_argument("--append", default="console=ttyAMA0 rdinit=/init",
                   help="the Linux host's command line")
    p.add_argument("--icount", help="QEMU -icount options, e.g. "
                   "shift=0,sleep=off (virtual time counts instructions; "
                   "needs --tcg single)")
    p.add_argument("--interactive", action="store_true",
                   help="the console on this terminal, nothing checked "
                   "(QEMU's Ctrl-A x quits)")
    p.add_argument("--debug", action="store_true",
                   help="stop at the first instruction, gdb stub on :1234")
    a = p.parse_args()

    os.makedirs(a.workdir, exist_ok=True)
    dtb = os.path.join(a.workdir, f"{a.name}.dtb")
    logf = os.path.join(a.workdir, f"{a.name}.log")
    make_dtb(a, dtb)

    cmd = machine_args(a) + ["-dtb", dtb]
    if a.host:
        cmd += ["-device", f"loader,file={a.host}"]
    if a.linux:
        cmd += linux_loads(a)
    if a.icount:
        cmd += ["-icount", a.icount]
    for spec in a.load:
        f, addr = spec.rsplit("@", 1)
        cmd += ["-device", f"loader,file={f},addr={addr},force-raw=on"]
    if a.guest:
        cmd += guest_table(a, os.path.join(a.workdir, f"{a.name}.guests"))
    for spec in a.word:
        addr, val = spec.split("=", 1)
        cmd += ["-device", f"loader,addr={addr},data={val},data-len=4"]
    timeout = a.timeout
    if a.debug:
        gdbinit = os.path.join(a.workdir, "gdbinit")
        write_gdbinit(a, gdbinit)
        print(f"run.py: QEMU waits for gdb on :1234; in another shell:\n"
              f"  gdb-multiarch -x {gdbinit}", flush=True)
        cmd += ["-s", "-S"]
        timeout = 3600
        subprocess.run(["timeout", "--foreground", str(timeout)] + cmd)
        return

    if a.interactive:
        print("run.py: QEMU's console is this terminal; Ctrl-A x quits",
              flush=True)
        sys.exit(subprocess.run(cmd).returncode)
    print(f"run.py [{a.name}]: {' '.join(shlex.quote(c) for c in cmd)}",
          flush=True)
    if a.show:
        out, status = run_showing(["timeout", "-k", "5", str(timeout)] + cmd)
    else:
        try:
            r = subprocess.run(["timeout", "-k", "5", str(timeout)] + cmd,
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout + 30)
            out, status = r.stdout, r.returncode
        except subprocess.TimeoutExpired as e:
            out, status = e.stdout or b"", 124
    log = out.decode(errors="replace").replace("\r\n", "\n")
    with open(logf, "w") as f:
        f.write(log)
    problems = check(a, log, status)
    if status == 124:
        problems.insert(0, f"timed out after {timeout} s")
    if problems:
        if not a.show:
            sys.stdout.write(log)
        for prob in problems:
            print(f"run.py [{a.name}]: FAIL: {prob}")
        print(f"run.py [{a.name}]: log in {logf}")
        sys.exit(1)
    print(f"run.py [{a.name}]: PASS (exit {status}, log {logf})")


if __name__ == "__main__":
    main()
