#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Differential runner: the C core (through the hosted machine, ctypes)
against the executable spec model (spec_model.py), call by call.

Each sequence boots a fresh machine and a fresh model, then runs seeded,
state-aware random calls (weighted to reach registered VMs, partly
remapped images, verified and active VMs, shared and SMMU-mapped pages,
exhausted load-info tables, remap area and pools, and every panic), a
third of the host's through its hypercall, and host stores into its own
pages. After every call it compares the C with the spec plus every delta
(no difference allowed) and with the spec as written (a difference only
where a delta's condition held; README.md): the returned value, halt and
its kind, core data, every VM info, every VM vCPU's shadow context, the
s2page entries that changed (either side), every principal's stage-2
leaves (count + hash, pool pages used per level), every SMMU table (count
+ hash, pool use) and the contents of the pages touched (all pages at the
end of one sequence in 16). Once both have halted the sequence ends
(after checking that further calls are no-ops returning 0).

On a mismatch it shrinks the sequence to the shortest it finds that still
mismatches and prints it, with the differing state. Exit status: 0 when
every call matched, 1 on a mismatch, 2 on a usage or setup error.

    diff_runner.py --lib build/model/libcorevisor-model.so --calls 100000 \
        --seed 1 --jobs 2
    diff_runner.py --lib ... --seed 1 --replay 17 -v   # one sequence, traced
"""

import argparse
import re
import multiprocessing as mp
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import images  # noqa: E402
from clib import CALLS, MASKS, CoreLib, Sodium  # noqa: E402
from constants import *  # noqa: E402,F401,F403
import constants as K  # noqa: E402
from spec_model import (DELTA_NAMES, SNAP_NONE, SNAP_RESTORING, SNAP_SAVING, ZERO_HASH,  # noqa: E402
                        Geometry, Model, NPT, page_hash)
from spec_model import Sealer  # noqa: E402
import vcpu_model as V  # noqa: E402

RAM_BASE = 0x40000000
RAM_SIZE = 64 << 20
RAM_PFN0 = RAM_BASE // PAGE_SIZE
RAM_PAGES = RAM_SIZE // PAGE_SIZE
SHARED_BLOCK = (RAM_BASE + RAM_SIZE) // PMD_SIZE - 1  # kvm/vcpu area
SWEEP_EVERY = 16  # every page's contents compared at the end of one sequence in 16
# Hypercall numbers the model's host_hvc_dispatcher serves or ignores as
# the spec's does (VCPU_RUN, NOOP, GET_SHARED_BASE, the sealing and SMMU
# calls are not modelled yet, so never generated).
HVC_MODELLED = [HVC_TIMER_SET_CNTVOFF, HVC_CLEAR_VM_S2_RANGE, HVC_SET_BOOT_INFO,
                HVC_REMAP_VM_IMAGE, HVC_VERIFY_VM_IMAGE, HVC_REGISTER_KVM,
                HVC_REGISTER_VCPU, HVC_PHYS_ADDR_IOREMAP, HVC_IS_INC_EXE, HVC_MAP_IO,
                HVC_ASSIGN_SMMU, HVC_ENABLE_S2_TRANS, HVC_BOOT_FROM_SAVED_VM,
                HVC_VCPU_ACTIVE, 5, 15, 40, HVC_ENCRYPT_BUF, HVC_DECRYPT_BUF,
                HVC_SAVE_CRYPT_VCPU, HVC_LOAD_CRYPT_VCPU, HVC_SMMU_FREE_PGD,
                HVC_SMMU_ALLOC_PGD, HVC_SMMU_LPAE_MAP, HVC_SMMU_LPAE_IOVA_TO_PHYS,
                HVC_SMMU_CLEAR]
AEAD_KEY = bytes([7]) * 32  # clib.CoreLib.boot's aead_key
HOSTED_PA_BITS = 44  # the hosted machine's ID_AA64MMFR0_EL1.PARange (C7)
MODEL_MK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "mk", "model.mk")
POOL_NAMES = ("PT_POOL_PER_VM", "PGD_OFFSET", "PUD_OFFSET", "PMD_OFFSET",
              "SMMU_PGD_OFFSET", "SMMU_PMD_OFFSET", "SMMU_POOL_BYTES",
              "HOST_MMIO_PGD_PAGES", "HOST_MMIO_PUD_PAGES", "HOST_MMIO_PMD_PAGES")


def parse_pools(text):
    """The build's pool sizes (-DNAME=VALUE[ULL] flags, MODEL_POOLS in
    mk/model.mk) over the spec's: the geometry comes from the build
    configuration both sides are made from, never from the C library."""
    pools = {n: getattr(K, n) for n in POOL_NAMES}
    for name, val in re.findall(r"-D(\w+)=(0x[0-9a-fA-F]+|\d+)(?:ULL|UL|U)?", text):
        if name in pools:
            pools[name] = int(val, 0)
    return pools


def default_pools():
    with open(MODEL_MK) as f:
        text = f.read()
    m = re.search(r"^MODEL_POOLS \?=((?:.*\\\n)*.*)$", text, re.M)
    if not m:
        raise SystemExit("diff_runner: no MODEL_POOLS in %s" % MODEL_MK)
    return parse_pools(m.group(1))


def geometry_from(pools):
    p = pools
    return Geometry((p["PUD_OFFSET"] - p["PGD_OFFSET"]) // PAGE_SIZE,
                    (p["PMD_OFFSET"] - p["PUD_OFFSET"]) // PAGE_SIZE,
                    (p["PT_POOL_PER_VM"] - p["PMD_OFFSET"]) // PAGE_SIZE,
                    (p["SMMU_PMD_OFFSET"] - p["SMMU_PGD_OFFSET"]) // PAGE_SIZE,
                    (p["SMMU_POOL_BYTES"] - p["SMMU_PMD_OFFSET"]) // PAGE_SIZE)


class Mismatch(Exception):
    pass


def halt_class(reason):
    """The kind of a halt, from its reason (the C's and the model's are
    worded apart; their kind must agree): resource (a pool, the remap
    area, the vmids), block (a page inside a 2 MiB block), argument, state,
    image, page (owner, gfn, share or mapping), other."""
    r = reason.split(": ", 1)[1] if ": " in reason else reason
    r = r.lower()
    if re.search(r"exhausted|no level-3 table|do not fit|overflow|vmids used|no vmid left", r):
        return "resource"
    if re.search(r"inside a .*block", r):
        return "block"
    if "run page" in r:  # P1: a pinned page offered
        return "page"
    if "image page" in r:
        return "image"
    if (re.search(r"out of range|bad args|beyond|is not a vm|not memory|unaligned|"
                  r"mib aligned|not page aligned|zero pte|table descriptor|level \w+ is not", r) or
            re.match(r"(vmid|vcpuid|pfn|gfn|addr|iova|smmu|cbndx|load_idx|size|load_addr|"
                     r"load address|pgnum|start|"
                     r"count|level|block pfn|gpa|pa|range)\b", r)):
        return "argument"
    if re.search(r"state|verified|running", r):
        return "state"
    if re.search(r"image|signature|trailer|entry|boot|remapped|payload|measure", r):
        return "image"
    if re.search(r"owned by|owner|at gfn|shared|maps|not mapped|contiguous|first page", r):
        return "page"
    return "other"

# ---------------------------------------------------------------------------
# One machine + one model.
# ---------------------------------------------------------------------------


class Harness:
    def __init__(self, lib_path, verbose=False, pools=None, mode="spec"):
        self.c = CoreLib(lib_path)
        self.sodium = Sodium()
        self.pk, self.sk = self.sodium.keypair(b"corevisor-model-runner-key-0000!")
        _pk2, self.other_sk = self.sodium.keypair(b"an-untrusted-key-for-tampering!!")
        self.pools = pools or default_pools()
        self.geom = geometry_from(self.pools)
        self.mode = mode  # "deltas": spec plus deltas; "spec": that and as written
        self.fired = {}  # delta -> calls in which its condition held
        self.explained = {}  # delta -> C/spec-as-written differences it covered
        self.spec_calls = 0  # calls compared against the spec as written
        self.verbose = verbose
        self.boot_checked = False
        self.missing = self.c.missing

    # -- boot ------------------------------------------------------------------

    def boot(self):
        c = self.c
        c.boot(RAM_BASE, RAM_SIZE, self.pk)
        regions = c.regions()
        res_base, res_size, _shared = c.reserved()
        res_lo, res_hi = res_base // PAGE_SIZE, (res_base + res_size) // PAGE_SIZE
        spans = [(b // PAGE_SIZE, (b + s) // PAGE_SIZE) for b, s in regions]
        # Pages whose contents are compared: region pages but the core's own.
        self.content_spans = []
        for lo, hi in spans:
            if lo < res_lo < hi or lo < res_hi <= hi:
                self.content_spans += [(lo, res_lo), (res_hi, hi)]
            else:
                self.content_spans.append((lo, hi))
        self.content_spans = [(lo, hi) for lo, hi in self.content_spans if hi > lo]

        def initial_page(pfn):
            if res_lo <= pfn < res_hi:
                return (COREVISOR, 0, INVALID64)
            for lo, hi in spans:
                if lo <= pfn < hi:
                    return (HOSTVISOR, 0, INVALID64)  # C3: no gfn
            return (INVALID, INVALID, INVALID64)

        kvm = {v: c.lib.get_shared_kvm(v) for v in range(NUM_PRINCIPALS)} \
            if hasattr(c.lib, "get_shared_kvm") else {}
        vcpu = {}
        if hasattr(c.lib, "get_shared_vcpu"):
            c.lib.get_shared_kvm.restype = c.lib.get_shared_vcpu.restype = \
                __import__("ctypes").c_uint64
            kvm = {v: c.lib.get_shared_kvm(v) for v in range(NUM_PRINCIPALS)}
            vcpu = {(v, i): c.lib.get_shared_vcpu(v, i)
                    for v in range(NUM_PRINCIPALS) for i in range(VCPU_PER_VM)}
        core = c.core()
        hg = c.host_geometry()
        if hg[4] != HOSTED_PA_BITS:
            raise Mismatch("boot: the core reads a PA size of %d bits, the hosted "
                           "machine has %d" % (hg[4], HOSTED_PA_BITS))
        budget = (self.pools["HOST_MMIO_PGD_PAGES"], self.pools["HOST_MMIO_PUD_PAGES"],
                  self.pools["HOST_MMIO_PMD_PAGES"])
        host_geom = Geometry.host(regions, budget, HOST_POOL_ALIGN, self.geom)
        want = (PAGE_SIZE * (1 + host_geom.pgd_pages),
                PAGE_SIZE * (1 + host_geom.pgd_pages + host_geom.pud_pages),
                PAGE_SIZE * (1 + host_geom.pgd_pages + host_geom.pud_pages +
                             host_geom.pmd_pages))
        if hg[5:8] != want:  # C6: the host's pool, sized from the regions
            raise Mismatch("boot: host pool C=(pud %#x, pmd %#x, end %#x) "
                           "model=(pud %#x, pmd %#x, end %#x)" % (hg[5:8] + want))
        m = Model(self.geom, initial_page, lambda v: kvm[v],
                  lambda v, i: vcpu[(v, i)], self.verify_img,
                  next_vmid=core[1], next_remap_ptr=core[2],
                  host_geom=host_geom, pa_bits=HOSTED_PA_BITS)
        m.regions = regions
        m.sodium = self.sodium
        salt, ctxt_bytes, nonce0 = c.seal_boot()  # E1: the boot's randomness
        m.sealer = Sealer(self.sodium, AEAD_KEY, salt)
        m.ctxt_words = ctxt_bytes // 8
        m.nonce_counter = nonce0
        m.smmu_num, m.smmu_banks = c.smmu_config  # the machine's SMMUs
        for i in range(m.smmu_num):  # their registers after the core's boot
            m.smmu_base[i] = c.smmu_base(i)
            m.smmu_regs[i] = {o: c.smmu_reg(i, o) for o in smmu_regs_followed(m.smmu_banks)}
            for cb in range(m.smmu_banks):  # each bank's table (smmu_ttbr)
                m.smmu_ttbr[(i, cb)] = c.smmu_reg(i, SMMU_GLOBAL_BASE + cb * 0x1000 + CB_TTBR0, 8)
        m.content_page = self.content_page
        self.m = m
        self.ms = None
        self.c_pages = {}  # the C's s2page view: pfn -> (owner, count, gfn)
        if not self.boot_checked:
            self.check_boot(spans, res_lo, res_hi)
            self.sweep_pages("boot")
            self.boot_checked = True
        self.compare("boot")
        if self.mode == "spec":
            self.ms = m.clone(())  # the spec as written: no delta applied

    def check_boot(self, spans, res_lo, res_hi):
        """Once: the C's boot state is the spec's initial state."""
        assert self.c.core() == (0, 1, REMAP_START), self.c.core()
        for lo, hi in spans:
            got = self.c.pages(lo, hi - lo)
            for k in range(0, hi - lo, 97):
                want = self.m.initial_page(lo + k)
                if got[k] != want:
                    raise Mismatch("boot: pfn %#x is %s, expected %s" % (lo + k, got[k], want))
        for v in range(NUM_PRINCIPALS):
            if self.c.npt_summary(v)[0] != 0:
                raise Mismatch("boot: principal %d's table not empty" % v)

    def content_page(self, pfn):
        return any(lo <= pfn < hi for lo, hi in self.content_spans)

    def verify_img(self, model, vmid, remap_addr):
        def read_page(pfn):  # the model's own bytes (compared with the C's)
            if self.content_page(pfn):
                return model.content(pfn)
            return self.c.phys_read(pfn * PAGE_SIZE, PAGE_SIZE)
        return images.verify_img(model, read_page, [self.pk], vmid, remap_addr)

    # -- running one action ----------------------------------------------------

    def run(self, action):
        """Run @action on both; compare. Returns the model's result."""
        kind = action[0]
        if kind == "junk":  # the host writes bytes into a page of its own
            _, pfn, off, length, seed = action
            data = random.Random(seed).randbytes(length)
            self.c.phys_write(pfn * PAGE_SIZE + off, data)
            for model in (self.m, self.ms):
                if model is not None:
                    model.host_store(pfn * PAGE_SIZE + off, data)
            return None
        if kind == "mmio":  # the host loads or stores an SMMU register
            _, index, off, length, value, write = action
            pa = self.c.smmu_base(index) + off
            data = value.to_bytes(8, "little")[:length]
            cok, cdata = self.c.host_access(pa, data, length, write)
            mok, mval = self.m.host_smmu_access(index, off, length, value, write)
            if self.ms is not None:
                self.ms.fired = {}
                self.ms.host_smmu_access(index, off, length, value, write)
                fired = set(self.m.fired) | set(self.ms.fired)
            known = all(off + w in self.m.smmu_regs.get(index, {}) for w in range(0, length, 4))
            if not self.m.halt and (cok != mok or (not write and mok and known and
                                                   int.from_bytes(cdata, "little") != mval)):
                raise Mismatch("SMMU %d register %#x %d-byte %s: C %s %#x, model %s %#x" % (
                    index, off, length, "write" if write else "read", "ok" if cok else "failed",
                    int.from_bytes(cdata, "little"), "ok" if mok else "failed", mval))
            snap = self.compare("mmio")
            self.compare_smmu_regs(self.m, "mmio")
            if self.ms is not None:
                self.spec_calls += 1
                diff = None
                try:
                    self.compare_model(self.ms, snap, "mmio")
                    if not self.ms.halt:
                        self.compare_smmu_regs(self.ms, "mmio")
                except Mismatch as e:
                    diff = str(e)
                for d in fired:
                    self.fired[d] = self.fired.get(d, 0) + 1
                if diff is not None:
                    if not fired:
                        raise Mismatch("spec as written (no delta fires): " + diff)
                    for d in fired:
                        self.explained[d] = self.explained.get(d, 0) + 1
                if fired or diff is not None:
                    self.ms = self.m.clone(())
            return None
        if kind == "dma":  # a device reads or writes through an SMMU bank
            _, index, cbndx, iova, length, seed, write = action
            data = random.Random(seed).randbytes(length) if write else b""
            cok, cdata = self.c.dma(index, cbndx, iova, data, length, write)
            for model in (self.m, self.ms):
                if model is None or model.halt:
                    continue
                mok, mdata = model.dma(index, cbndx, iova, data, length, write)
                if cok != mok or (not write and cok and cdata != mdata):
                    raise Mismatch("DMA %s smmu %d cb %d iova %#x +%#x: C %s, model %s" % (
                        "write" if write else "read", index, cbndx, iova, length,
                        "done" if cok else "faulted", "done" if mok else "faulted") +
                        ("" if cok != mok else " (other bytes read)"))
            self.compare("dma")
            return None
        if kind == "copy":  # the host copies pages of its own (a sealed blob)
            _, src, dst, n = action
            self.c.phys_write(dst * PAGE_SIZE, self.c.phys_read(src * PAGE_SIZE, n * PAGE_SIZE))
            for model in (self.m, self.ms):
                if model is not None:
                    model.host_store(dst * PAGE_SIZE,
                                     b"".join(model.content(src + i) for i in range(n)))
            return None
        if kind == "write":
            _, pfn0, load_addr, size, variant, seed, boot = action
            data = images.build(self.sodium, self.sk, self.other_sk, load_addr,
                                size, variant, seed, boot)
            for i in range(0, len(data), PAGE_SIZE):
                self.c.phys_write((pfn0 + i // PAGE_SIZE) * PAGE_SIZE,
                                  data[i:i + PAGE_SIZE])
            for model in (self.m, self.ms):
                if model is not None:
                    model.host_store(pfn0 * PAGE_SIZE, data)
            return None
        if kind == "vrun":  # VCPU_RUN: the host's answers, the guest's program
            _, vmid, vcpuid, writes, script = action
            if 0 < vmid < COREVISOR and vcpuid < VCPU_PER_VM:
                pa = self.m.shared_vcpu(vmid, vcpuid) + V.CV_VCPU_RUN_OFFSET
                for off, data in writes:
                    self.c.phys_write(pa + off, data)
                    for model in (self.m, self.ms):
                        if model is not None:
                            model.host_store(pa + off, data)
                self.c.guest_scripts = {(vmid, vcpuid): list(script)}
                for model in (self.m, self.ms):
                    if model is not None:
                        model.guest_scripts = {(vmid, vcpuid): list(script)}
            self.c.guest_error = None
            try:
                return self.run(("call", "host_hvc_dispatcher", (HVC_VCPU_RUN, vmid, vcpuid, 0, 0, 0)))
            finally:
                self.c.guest_scripts = {}
                if self.c.guest_error is not None:
                    raise Mismatch("VCPU_RUN(%d, %d): the guest program failed: %r"
                                   % (vmid, vcpuid, self.c.guest_error))
        name, args = action[1], action[2]
        argt, rest = CALLS[name]
        args = tuple(a & MASKS[t] for a, t in zip(args, argt))
        cres = self.c.call(name, args)
        self.m.fired = {}
        mres = getattr(self.m, name)(*args)
        if rest is not None and cres != (mres & MASKS[rest]):
            raise Mismatch("%s%s returned %#x in C, %#x in the model"
                           % (name, args, cres, mres))
        snap = self.compare(name)
        if self.ms is not None:
            self.run_spec(name, args, rest, cres, snap)
        return mres

    def run_spec(self, name, args, rest, cres, snap):
        """The same call on the spec as written (no delta applied): any
        difference with the C must come with a delta whose condition held
        in this call (in either model); the as-written model then takes
        the C's (= the full model's) state again."""
        ms = self.ms
        ms.fired = {}
        diff = None
        try:
            sres = getattr(ms, name)(*args)
            if rest is not None and cres != (sres & MASKS[rest]):
                diff = "%s%s returned %#x in C, %#x in the spec" % (name, args, cres, sres)
        except Exception as e:  # a rely broken: the spec says nothing
            diff = "%s%s: the spec as written is undefined here (%r)" % (name, args, e)
        if diff is None:
            try:
                self.compare_model(ms, snap, name)
            except Mismatch as e:
                diff = str(e)
        fired = set(self.m.fired) | set(ms.fired)
        self.spec_calls += 1
        for d in fired:
            self.fired[d] = self.fired.get(d, 0) + 1
        if diff is not None:
            if not fired:
                raise Mismatch("spec as written (no delta fires): " + diff)
            for d in fired:
                self.explained[d] = self.explained.get(d, 0) + 1
        if fired or diff is not None:
            self.ms = self.m.clone(())

    # -- comparison --------------------------------------------------------------

    def compare(self, where):
        """The C's state after a call, compared with the full model's;
        returns it (for the spec as written)."""
        c = self.c
        snap = {"core": c.core()}
        if not snap["core"][0]:
            snap["vminfos"] = c.vminfos()
            changed = c.s2page_changes()
            for pfn, page in changed:
                self.c_pages[pfn] = page
            snap["changed"] = [pfn for pfn, _ in changed]
            snap["npt"] = [c.npt_summary(v) for v in range(NUM_PRINCIPALS)]
            snap["spt"] = c.spt_summary()
            snap["ctxt"] = c.ctxt_hashes()
            snap["power"] = c.vcpu_power()
            snap["seal"] = c.seal_state()
            snap["owners"] = c.smmu_owners()
        self.compare_model(self.m, snap, where)
        return snap

    def compare_model(self, m, snap, where):
        c = self.c
        core = snap["core"]
        if bool(core[0]) != m.halt:
            raise Mismatch("%s: halted C=%s (%s) model=%s (%s)" % (
                where, bool(core[0]), c.halt_reason(), m.halt, m.halt_reason))
        if m.halt:
            creason = c.halt_reason()
            if halt_class(creason) != halt_class(m.halt_reason):
                raise Mismatch("%s: halted for another kind of reason: C %s (%s), model %s (%s)"
                               % (where, halt_class(creason), creason,
                                  halt_class(m.halt_reason), m.halt_reason))
            return  # fail-stop: state at a panic is not compared
        if (core[1], core[2]) != (m.next_vmid, m.next_remap_ptr):
            raise Mismatch("%s: core data C=(next_vmid %d, next_remap_ptr %#x) "
                           "model=(%d, %#x)" % (where, core[1], core[2],
                                                m.next_vmid, m.next_remap_ptr))
        cinfos = snap["vminfos"]
        for v in range(NUM_PRINCIPALS):
            mflat = m.vminfos[v].flat()
            if cinfos[v] != mflat:
                from spec_model import VMINFO_FIELDS
                diffs = ["%s C=%#x model=%#x" % (f, a, b) for f, a, b in
                         zip(VMINFO_FIELDS, cinfos[v], mflat) if a != b]
                raise Mismatch("%s: vm %d info: %s" % (where, v, ", ".join(diffs)))
        k = 0
        for v in range(1, COREVISOR):
            for i in range(VCPU_PER_VM):
                if snap["ctxt"][k] != m.vminfos[v].ctxt_hash(i):
                    got = c.ctxt(v, i)
                    want = {j: x for j, x in m.vminfos[v].ctxt[i].items() if x}
                    raise Mismatch("%s: vm %d vcpu %d shadow context: C=%s model=%s" % (
                        where, v, i, fmt_ctxt(got), fmt_ctxt(want)))
                info = m.vminfos[v]
                want = (info.vcpu_power[i], info.vcpu_entry[i], info.vcpu_context[i])
                if snap["power"][k] != want:
                    raise Mismatch("%s: vm %d vcpu %d start (power, entry, context): "
                                   "C=(%d, %#x, %#x) model=(%d, %#x, %#x)"
                                   % ((where, v, i) + snap["power"][k] + want))
                k += 1
        pages = {p for p in set(snap["changed"]) | m.content_dirty if self.content_page(p)}
        for pfn in sorted(pages):
            got = self.c_page_hash(snap, pfn)
            want = page_hash(m.content(pfn))
            if got != want:
                raise Mismatch("%s: page %#x contents: C hash %#x, model %#x%s%s" % (
                    where, pfn, got, want, " (the model's page is zero)"
                    if want == ZERO_HASH else "", self.run_diff(m, pfn)))
        m.content_dirty.clear()
        m.dirty.update(snap["changed"])
        for pfn in m.dirty:
            cp = self.c_pages.get(pfn) or m.initial_page(pfn)
            mp_ = m.page(pfn)
            if cp != mp_:
                raise Mismatch("%s: s2page pfn %#x: C=(owner %d, count %d, gfn %#x) "
                               "model=(owner %d, count %d, gfn %#x)"
                               % ((where, pfn) + tuple(cp) + tuple(mp_)))
        m.dirty.clear()
        for v in range(NUM_PRINCIPALS):
            n = m.npts[v]
            want = (len(n.pages) + len(n.blocks), n.fp, n.pgd_used, n.pud_used, n.pmd_used)
            got = snap["npt"][v]
            if got != want:
                raise Mismatch("%s: principal %d stage 2: C=(leaves %d, hash %#x, "
                               "pool %d/%d/%d) model=(leaves %d, hash %#x, pool %d/%d/%d)%s"
                               % ((where, v) + got + want + (self.npt_diff(m, v),)))
        want = [m.smmu_owner[(i, cb)] for i in range(SMMU_NUM)
                for cb in range(SMMU_NUM_CTXT_BANKS)]
        if snap["owners"] != want:
            raise Mismatch("%s: SMMU context bank owners C=%s model=%s"
                           % (where, snap["owners"], want))
        want = m.seal_state()
        if snap["seal"] != want:
            raise Mismatch("%s: sealing state: %s" % (where, seal_diff(snap["seal"], want)))
        s = snap["spt"]
        k = 0
        for index in range(SMMU_NUM):
            for cb in range(SMMU_NUM_CTXT_BANKS):
                pt = m.spts.pt[(index, cb)]
                if (s[k], s[k + 1]) != (len(pt), m.spts.fp[(index, cb)]):
                    got = c.spt_leaves(index, cb)
                    want = sorted(pt.items())
                    raise Mismatch("%s: SMMU %d cb %d table: C=%s model=%s" % (
                        where, index, cb, fmt_leaves(got), fmt_leaves(want)))
                k += 2
        if (s[k], s[k + 1]) != (m.spts.pgd_used, m.spts.pmd_used):
            raise Mismatch("%s: SMMU pool use C=%d/%d model=%d/%d" % (
                where, s[k], s[k + 1], m.spts.pgd_used, m.spts.pmd_used))

    def run_diff(self, m, pfn):
        """The run structure's fields that differ, when @pfn is a vCPU's
        shared page (X1: what the core wrote for the host)."""
        for v in range(1, COREVISOR):
            for i in range(VCPU_PER_VM):
                if m.shared_vcpu(v, i) // PAGE_SIZE != pfn:
                    continue
                pa = m.shared_vcpu(v, i) + V.CV_VCPU_RUN_OFFSET
                got = V.decode_run(self.c.phys_read(pa, V.RUN_SIZE))
                want = V.decode_run(m.run_bytes(v, i))
                d = ["%s C=%s model=%s" % (f, got[f], want[f]) for f in got if got[f] != want[f]]
                return "\n    vm %d vcpu %d run structure: %s" % (v, i, "; ".join(d) or
                                                                 "(the bytes below it differ)")
        return ""

    def compare_smmu_regs(self, m, where):
        """The SMMU registers the model follows, C (the hardware's) against @m."""
        if m.halt:
            return
        for i, regs in m.smmu_regs.items():
            for off, want in regs.items():
                got = self.c.smmu_reg(i, off)
                if got != want:
                    raise Mismatch("%s: SMMU %d register %#x: C %#x, model %#x"
                                   % (where, i, off, got, want))

    def c_page_hash(self, snap, pfn):
        cache = snap.setdefault("page_hash", {})
        if pfn not in cache:
            cache[pfn] = self.c.page_hashes(pfn, 1)[0]
        return cache[pfn]

    def sweep_pages(self, where):
        """Every page's contents (but the core's own), C against model."""
        m = self.m
        for lo, hi in self.content_spans:
            got = self.c.page_hashes(lo, hi - lo)
            for k, h in enumerate(got):
                pfn = lo + k
                data = m.contents.get(pfn)
                want = ZERO_HASH if data is None else page_hash(data)
                if h != want:
                    raise Mismatch("%s: page %#x contents: C hash %#x, model %#x"
                                   % (where, pfn, h, want))

    def npt_diff(self, m, v):
        got = set(self.c.npt_leaves(v))
        want = set(m.npts[v].leaves())
        return "\n    only in C: %s\n    only in model: %s" % (
            fmt_leaves(sorted(got - want)), fmt_leaves(sorted(want - got)))

    def check_noop_after_halt(self, rng):
        """After a halt: a few more calls must be no-ops returning 0."""
        self.c.s2page_changes()  # what the halting call did
        for _ in range(2):
            name = rng.choice(sorted(self.c.fns))
            argt, rest = CALLS[name]
            args = tuple(rng.choice([0, 1, 3, 0x40000, RAM_PFN0]) for _ in argt)
            before = (self.c.core(), self.c.vminfos())
            r = self.c.call(name, args)
            if rest is not None and r != 0:
                raise Mismatch("after halt: %s%s returned %#x, not 0" % (name, args, r))
            if (self.c.core(), self.c.vminfos()) != before or self.c.s2page_changes():
                raise Mismatch("after halt: %s%s changed the state" % (name, args))


SEAL_FIELDS = (["nonce_counter", "next_instance", "lineages_retired"] +
               ["vm%d.%s" % (v, f) for v in range(1, COREVISOR)
                for f in ("lineage", "seal_pending", "vcpu_restored", "meas0", "meas1",
                          "meas2", "meas3")] +
               ["slot%d.%s" % (i, f) for i in range(1, COREVISOR)
                for f in ("holder", "open", "retired", "retired_seq", "epoch", "inst0",
                          "inst1", "meas0", "meas1", "meas2", "meas3")])


def seal_diff(got, want):
    return ", ".join("%s C=%#x model=%#x" % (f, a, b)
                     for f, a, b in zip(SEAL_FIELDS, got, want) if a != b)


def fmt_ctxt(regs):
    return "{%s}" % ", ".join("%d: %#x" % (i, regs[i]) for i in sorted(regs))


def fmt_leaves(lst, n=6):
    s = ", ".join("(" + ", ".join("%#x" % x for x in t) + ")" for t in lst[:n])
    return "[" + s + (", ... %d more" % (len(lst) - n) if len(lst) > n else "") + "]"


# ---------------------------------------------------------------------------
# State-aware generation.
# ---------------------------------------------------------------------------

U32_ODD = [COREVISOR + 1, 0xFFFFFFFF, 255, 0x80000000]
SEALED_TAMPER = 400  # bytes of a sealed vCPU's page a tamper may hit


class Gen:
    """Chooses the next action from the model's state. Plans images: for a
    load info it writes a (mostly good) signed image into a 2 MiB-aligned
    run of host pages at the load address's offset, then remaps its pages
    in order, then verifies."""

    MOVES = [
        ("register_kvm", 5), ("register_vcpu", 6), ("set_boot_info", 6),
        ("set_vm_region", 3),
        ("remap", 30), ("verify", 5), ("vcpu_active", 5), ("vcpu_inactive", 3),
        ("poweroff", 2), ("poweron", 1), ("search", 2), ("inc_exe", 1),
        ("alloc_smmu", 2), ("assign_smmu", 5), ("map_smmu", 6), ("clear_smmu", 4),
        ("map_io", 4), ("map_page_host", 8), ("clear_vm_range", 3),
        ("prot_and_map", 4), ("grant_sg", 4), ("revoke_sg", 4), ("mm", 8),
        ("npt", 4), ("spt", 4), ("core", 1), ("destroy", 2), ("adversarial", 2),
        ("junk", 4), ("hvc_other", 4), ("smmu_in_image", 4), ("seal", 12), ("smmu_ops", 8), ("dma", 5), ("mmio", 6),
        ("vrun", 40), ("host_page_refused", 1), ("rollback", 1), ("hog", 0),
    ]

    def __init__(self, rng, h):
        self.r = rng
        self.h = h
        self.m = h.m
        # Deep sequences (most) make valid calls only, then end with one
        # adversarial call in whatever state they reached; noisy ones mix
        # in bad calls all along.
        # L5's own stream, seeded from the sequence's without drawing.
        self.rs = random.Random(hash(rng.getstate()))
        self.deep = rng.random() < 0.6
        self.bad_rate = 0.001 if self.deep else self.BAD_RATE
        self.plans = {}  # (vmid, idx) -> pfn0 of the image written for it
        self.used_blocks = set()
        # E2: blobs sealed so far, what each restored VM mirrors
        self.vcpu_blobs = []  # (vmid, vcpu) saved into its shared page
        self.page_blobs = []  # (vmid, pfn of ciphertext; header at pfn + 1)
        self.written = {}  # (vmid, idx) -> (variant, seed, boot) of its image
        self.mirror = {}  # restored vmid -> the sealed VM's loads, images, regions
        self.sealed_at = {}  # (kind, vmid, vcpu or pfn) -> (lineage slot, epoch) at sealing
        self.plan = []  # the next actions of a rollback under way (mv_rollback)
        # Some sequences hog a table pool until it runs out.
        self.hog = rng.random() < 0.15
        self.hog_next = 0
        self.hog_stride = rng.choice([PMD_SIZE, PMD_SIZE, 1 << 30, 1 << 39])
        names, weights = zip(*self.MOVES)
        if self.hog:
            weights = weights[:-1] + (60,)
        # Some sequences seal and restore VMs (E2: verified VMs first).
        self.sealing = rng.random() < 0.25
        if self.sealing:
            weights = tuple(w * (5 if n in ("seal", "verify", "remap", "register_vcpu")
                                 else 1) for n, w in zip(names, weights))
        # Some sequences boot VMs to run their vCPUs (VCPU_RUN): images
        # first, vCPU 0 registered, verified, then mostly runs.
        self.running = rng.random() < 0.5
        if self.running:
            weights = tuple(w * (12 if n == "vrun" else 6 if n in (
                "set_boot_info", "remap", "register_vcpu", "verify", "set_vm_region") else 1)
                            for n, w in zip(names, weights))
        self.names, self.cum = names, []
        t = 0
        for w in weights:
            t += w
            self.cum.append(t)
        self.total = t

    def pick_move(self):
        x = self.r.random() * self.total
        for n, c in zip(self.names, self.cum):
            if x < c:
                return n
        return self.names[-1]

    # -- value pickers --
    # Each move makes a call that is valid for the model's state, unless
    # self.bad (BAD_RATE of the moves, and every "adversarial" move): then
    # any value goes, to reach the panics. A move with nothing valid to do
    # returns None and another is drawn.

    BAD_RATE = 0.015

    def vms(self, states=None):
        return [v for v in range(1, COREVISOR)
                if self.m.vminfos[v].state != UNUSED and
                (states is None or self.m.vminfos[v].state in states)]

    def vm(self, states=None):
        r = self.r
        if self.bad:
            x = r.random()
            if x < 0.2:
                return r.choice(U32_ODD)
            return r.randrange(0, COREVISOR + 1)
        c = self.vms(states)
        return r.choice(c) if c else None

    def mmio_pfn(self):
        """A page in no region (MMIO): mostly a small device window."""
        if self.r.random() < 0.9:
            return 0x10000 + self.r.randrange(1024)
        return self.r.randrange(0x1000, RAM_PFN0)

    def ram_pfn(self):
        return RAM_PFN0 + self.r.randrange(RAM_PAGES)

    def owned_pfns(self, owner):
        return [p for p, v in self.m.s2page.items() if v[0] == owner]

    def pfn(self, owner=None, strict=False):
        """A pfn; with @owner, mostly (strict: only) one that @owner owns."""
        r = self.r
        if self.m.pinned and (self.bad or owner == HOSTVISOR) and \
                r.random() < (0.1 if self.bad else 0.005):
            return r.choice(sorted(self.m.pinned))  # P1: a vCPU's run page
        x = r.random()
        if strict and not self.bad:
            if owner == HOSTVISOR:
                for _ in range(8):
                    p = self.ram_pfn()
                    if p // PTRS_PER_PMD != SHARED_BLOCK and self.m.page(p)[0] == HOSTVISOR:
                        return p
                return None
            c = self.owned_pfns(owner)
            return r.choice(c) if c else None
        if owner is not None and x < 0.6:
            c = self.owned_pfns(owner)
            if c:
                return r.choice(c)
        if x < 0.8:
            return self.ram_pfn()
        if x < 0.88:
            return self.mmio_pfn()
        if x < 0.92:
            rb, rs, _ = self.h.c.reserved()
            return rb // PAGE_SIZE + r.randrange(rs // PAGE_SIZE)
        if x < 0.96:
            return r.choice([0, 1, RAM_PFN0 - 1, RAM_PFN0 + RAM_PAGES])
        return r.choice([KVM_PFN_SPACE - 1, KVM_PFN_SPACE, KVM_GFN_SPACE, 1 << 40])

    def gpa(self, vmid):
        r = self.r
        x = r.random()
        if 0 < vmid < NUM_PRINCIPALS and x < 0.5:
            n = self.m.npts[vmid]
            keys = list(n.blocks) + list(n.pages)
            if keys:
                return (r.choice(keys) + r.randrange(512)) * PAGE_SIZE
        if x < 0.9:
            return r.choice([0x80000000, 0x40000000, 0x8000000000, 0]) + \
                r.randrange(64) * PMD_SIZE + r.randrange(512) * PAGE_SIZE
        return r.choice([KVM_ADDR_SPACE - PAGE_SIZE, KVM_ADDR_SPACE, 1 << 63,
                         r.randrange(KVM_ADDR_SPACE)])

    def iova(self):
        r = self.r
        x = r.random()
        if x < 0.85:
            return r.randrange(8) * (1 << 30) + r.randrange(8) * PMD_SIZE + \
                r.randrange(512) * PAGE_SIZE
        if x < 0.95:
            return r.randrange(1 << 40) & ~0xFFF
        return r.choice([(1 << 40) - PAGE_SIZE, 1 << 40, 1 << 48])

    def smmu(self):
        r = self.r
        if self.bad and r.random() < 0.3:
            return r.choice([(SMMU_NUM, 0), (0, SMMU_NUM_CTXT_BANKS), (0xFFFFFFFF, 1)])
        return (r.randrange(SMMU_NUM), r.randrange(SMMU_NUM_CTXT_BANKS))

    def call(self, name, *args):
        return ("call", name, tuple(args))

    # -- moves --

    # L5's calls come from their own random stream, between the moves
    # above, and never halt: the moves and their stream are the same as
    # without them (bad arguments of these calls: tests/unit).
    SNAPSHOT_RATE = 0.03

    def next(self, force_bad=False):
        if not force_bad and self.rs.random() < self.SNAPSHOT_RATE:
            a = self.snapshot_call()
            if a is not None:
                return a
        while self.plan and not force_bad:  # a planned rollback (mv_rollback)
            a = self.plan.pop(0)()
            if a is not None:
                return a
        for _ in range(50):
            move = "adversarial" if force_bad else self.pick_move()
            if move == "adversarial" and self.deep and not force_bad:
                continue
            self.bad = move == "adversarial" or self.r.random() < self.bad_rate
            a = getattr(self, "mv_" + move)()
            if a is not None and (a[0] in ("write", "junk", "copy", "dma", "mmio", "vrun") or
                                  a[1] in self.h.c.fns):
                return self.as_hypercall(a)
        return self.call("get_vm_poweron", 0)

    # Calls the host reaches by hypercall: name -> (number, how the
    # arguments become x1..x5).
    HVC_OF = {
        "register_kvm": (HVC_REGISTER_KVM, lambda a: ()),
        "register_vcpu": (HVC_REGISTER_VCPU, lambda a: a),
        "set_boot_info": (HVC_SET_BOOT_INFO, lambda a: a),
        "remap_vm_image": (HVC_REMAP_VM_IMAGE, lambda a: a),
        "verify_and_load_images": (HVC_VERIFY_VM_IMAGE, lambda a: a),
        "is_inc_exe": (HVC_IS_INC_EXE, lambda a: a),
        "map_io": (HVC_MAP_IO, lambda a: a),
        "assign_smmu": (HVC_ASSIGN_SMMU, lambda a: a),
        "clear_vm_stage2_range": (HVC_CLEAR_VM_S2_RANGE, lambda a: a),
        "kvm_phys_addr_ioremap": (HVC_PHYS_ADDR_IOREMAP, lambda a: a),
        "save_encrypt_buf": (HVC_ENCRYPT_BUF, lambda a: a),
        "load_decrypt_buf": (HVC_DECRYPT_BUF, lambda a: a),
        "save_encrypted_vcpu": (HVC_SAVE_CRYPT_VCPU, lambda a: a),
        "load_encrypted_vcpu": (HVC_LOAD_CRYPT_VCPU, lambda a: a),
        "el2_free_smmu_pgd": (HVC_SMMU_FREE_PGD, lambda a: a),
        "el2_alloc_smmu_pgd": (HVC_SMMU_ALLOC_PGD, lambda a: a),
        "el2_arm_lpae_map": (HVC_SMMU_LPAE_MAP, lambda a: a),
        "el2_arm_lpae_iova_to_phys": (HVC_SMMU_LPAE_IOVA_TO_PHYS, lambda a: a),
        "el2_arm_lpae_clear": (HVC_SMMU_CLEAR, lambda a: a),
    }

    def as_hypercall(self, a):
        """A third of the calls the host can make go through its hypercall
        (host_hvc_dispatcher), the rest straight to the spec function."""
        if a[0] != "call" or a[1] not in self.HVC_OF or \
                "host_hvc_dispatcher" not in self.h.c.fns or self.r.random() < 0.67:
            return a
        num, conv = self.HVC_OF[a[1]]
        x = list(conv(a[2])) + [0] * 5
        if self.bad and self.r.random() < 0.3:
            x[self.r.randrange(5)] = self.r.choice([COREVISOR, 1 << 40, 1 << 48, MASKS["u64"]])
        return self.call("host_hvc_dispatcher", num, *x[:5])

    def mv_hvc_other(self):
        """Hypercalls with no other move: CLEAR_VM_S2_RANGE (a powered-off
        VM's pages back), PHYS_ADDR_IOREMAP, TIMER_SET_CNTVOFF, and numbers
        the spec's dispatcher does not serve."""
        r = self.r
        x = r.random()
        if x < 0.4:
            running = [v for v in self.vms([VERIFIED, POWEROFF])
                       if ACTIVE in self.m.vminfos[v].vcpu_state]
            if running and r.random() < 0.4:
                vmid = r.choice(running)  # a VM off with a vCPU still ACTIVE (C13)
                if self.m.vminfos[vmid].state == VERIFIED:
                    return self.call("set_vm_poweroff", vmid)
                return self.call("clear_vm_stage2_range", vmid, RAM_BASE, PAGE_SIZE)
            vmid = (r.random() < 0.7 and self.vm([POWEROFF])) or \
                self.vm([POWEROFF, VERIFIED, READY]) or 1
            owned = self.owned_pfns(vmid) if vmid < NUM_PRINCIPALS else []
            start = (r.choice(owned) - r.randrange(4)) * PAGE_SIZE if owned else \
                r.randrange(RAM_PFN0, RAM_PFN0 + RAM_PAGES) * PAGE_SIZE
            size = r.choice([PAGE_SIZE, 8 * PAGE_SIZE, PMD_SIZE])
            if self.bad:
                start = r.choice([start, 1 << 48, MASKS["u64"]])
            return self.call("clear_vm_stage2_range", vmid, max(start, 0), size)
        if x < 0.65:
            vmid = self.vm([READY]) or self.any_vmid()
            pa = self.mmio_pfn() * PAGE_SIZE if r.random() < 0.8 else self.ram_pfn() * PAGE_SIZE
            gpa = r.randrange(1 << 20, 1 << 30) * PAGE_SIZE
            size = r.choice([PAGE_SIZE, 3 * PAGE_SIZE, 5000])
            if self.bad:
                size = r.choice([size, 1 << 40, 1 << 48])
            return self.call("kvm_phys_addr_ioremap", vmid, gpa, pa, size)
        num = r.choice([HVC_TIMER_SET_CNTVOFF, HVC_ENABLE_S2_TRANS, 47,
                        HVC_VCPU_ACTIVE, 5, 15, 46, 1 << 32])
        return self.call("host_hvc_dispatcher", num, r.randrange(1 << 20), r.randrange(16),
                         0, 0, 0)

    def mv_register_kvm(self):
        if self.m.next_vmid >= COREVISOR and not self.bad:
            return None
        return self.call("register_kvm")

    def mv_register_vcpu(self):
        r = self.r
        if self.bad:
            return self.call("register_vcpu", self.vm(), r.choice([0, 7, 8, 0xFFFFFFFF]))
        c = [(v, i) for v in self.vms([READY]) for i in range(VCPU_PER_VM)
             if self.m.vminfos[v].vcpu_state[i] == UNUSED]
        first = [(v, i) for v, i in c if i == 0]  # a vCPU that starts at verify
        if first and r.random() < 0.5:
            c = first
        return self.call("register_vcpu", *r.choice(c)) if c else None

    def mv_set_boot_info(self):
        r = self.r
        vmid = self.vm([READY])
        if vmid is None:
            return None
        if self.bad:
            return self.call("set_boot_info", vmid, r.choice([0, 123, KVM_ADDR_SPACE, 1 << 63]),
                             r.choice([0, 1, 95, KVM_ADDR_SPACE, 1 << 62]))
        if r.random() < 0.04:  # eat the remap area
            return self.call("set_boot_info", vmid, 0x80000000,
                             r.choice([REMAP_SIZE // 4, REMAP_SIZE // 2, REMAP_SIZE]))
        pages = r.choice([1, 1, 2, 3, 5, 8, 16, 40])
        size = pages * PAGE_SIZE - r.choice([0, 0, 0, 17, 1000, PAGE_SIZE - images.TRAILER])
        base = r.choice([0x80000000, 0x40000000, 0x100000000]) + r.randrange(16) * PMD_SIZE
        off = r.choice([0, 0, 1, 511, 510, r.randrange(512)])
        info = self.m.vminfos[vmid]
        mirror = self.mirror.get(vmid)
        if mirror and info.next_load_info < len(mirror["loads"]) and r.random() < 0.9:
            return self.call("set_boot_info", vmid, *mirror["loads"][info.next_load_info])
        if info.next_load_info and r.random() < 0.15:
            # C9: the next image in the guest block of one already there
            # (loaded from another host block, it would replace its pages).
            base = info.load_addr[0] & ~(PMD_SIZE - 1)
            off = r.choice([256, 384, 448])
            size = min(size, (512 - off) * PAGE_SIZE)
        return self.call("set_boot_info", vmid, base + off * PAGE_SIZE, size)

    def mv_set_vm_region(self):
        """G1: the next region of a READY VM's map (mostly valid; RAM
        around the load addresses set_boot_info picks, so that verify
        finds its images in RAM, or not)."""
        r = self.r
        vmid = self.vm([READY])
        if vmid is None:
            return None
        if self.bad:
            return self.call("set_vm_region", vmid,
                             r.choice([0, 0x800, 0x80000000, 1 << 44, (1 << 44) - 0x1000]),
                             r.choice([0, 0x1000, 0x1800, 1 << 44, (1 << 64) - 0x1000]),
                             r.choice([0, 1, 2, 3, 0xFFFFFFFF]))
        info = self.m.vminfos[vmid]
        mirror = self.mirror.get(vmid)
        if mirror and info.nregions < len(mirror["regions"]) and r.random() < 0.9:
            return self.call("set_vm_region", vmid, *mirror["regions"][info.nregions])
        if self.running and info.nregions < 2 and r.random() < 0.7:
            # a map a booting VM's images fit (set_boot_info's load
            # addresses): MMIO low, then RAM from 1 GiB
            return self.call("set_vm_region", vmid, *[(0x9000000, 0x10000, CV_REGION_MMIO),
                                                      (0x40000000, 0xc8000000,
                                                       CV_REGION_RAM)][info.nregions])
        end = (info.region_base[info.nregions - 1] + info.region_size[info.nregions - 1]
               if info.nregions else 0)
        base = max(end, r.choice([0, 0x9000000, 0x40000000, 0x80000000, 0x100000000,
                                  0x4010000000]))
        base += r.choice([0, 0, 0x1000, PMD_SIZE])
        if end and r.random() < 0.1:  # overlaps the last region: panic
            base = end - r.choice([0x1000, PMD_SIZE, end])
        if r.random() < 0.05:  # one too many (after the first ones fit)
            size = 0x1000
        size = r.choice([0x1000, 0x10000, PMD_SIZE, 0x40000000, 0x80000000])
        kind = r.choice([CV_REGION_RAM, CV_REGION_RAM, CV_REGION_MMIO])
        return self.call("set_vm_region", vmid, base, size, kind)

    def free_run(self, load_addr, pgnum):
        """A host run of @pgnum pages at @load_addr's 2 MiB offset whose
        blocks are wholly the host's, unshared, and not planned before."""
        off = (load_addr // PAGE_SIZE) % PTRS_PER_PMD
        nblocks = (off + pgnum + PTRS_PER_PMD - 1) // PTRS_PER_PMD
        dirty = {p // PTRS_PER_PMD for p, v in self.m.s2page.items()
                 if v != (HOSTVISOR, 0, INVALID64)}
        first = RAM_PFN0 // PTRS_PER_PMD
        cands = [b for b in range(first, SHARED_BLOCK - nblocks + 1)
                 if all(x not in dirty and x not in self.used_blocks
                        for x in range(b, b + nblocks))]
        if not cands:
            return None
        b = self.r.choice(cands)
        self.used_blocks.update(range(b, b + nblocks))
        return b * PTRS_PER_PMD + off

    def mv_remap(self):
        r = self.r
        if self.bad:
            return self.call("remap_vm_image", self.vm(), self.pfn(),
                             r.choice([0, 1, 4, 5, 0xFFFFFFFF]))
        todo = [(v, i) for v in self.vms([READY]) for i in range(self.m.vminfos[v].next_load_info)
                if self.m.vminfos[v].mapped_pages[i] <
                (self.m.vminfos[v].load_size[i] + 4095) // PAGE_SIZE]
        done = [(v, i) for v in self.vms([READY]) for i in range(self.m.vminfos[v].next_load_info)
                if (v, i) not in todo]
        if done and (not todo or r.random() < 0.05):
            # One page more than the image has: the spec maps nothing.
            vmid, idx = r.choice(done)
            return self.call("remap_vm_image", vmid, self.ram_pfn(), idx)
        if not todo:
            return None
        vmid, idx = r.choice(todo)
        info = self.m.vminfos[vmid]
        if (vmid, idx) not in self.plans:
            size = info.load_size[idx]
            pgnum = (size + 4095) // PAGE_SIZE
            pfn0 = None
            if size >= images.TRAILER and pgnum <= 64 and info.load_addr[idx] % PAGE_SIZE == 0:
                pfn0 = self.free_run(info.load_addr[idx], pgnum)
            if pfn0 is None:  # cannot load: fill it with host pages anyway
                self.plans[(vmid, idx)] = self.ram_pfn()
                return self.call("remap_vm_image", vmid, self.plans[(vmid, idx)], idx)
            self.plans[(vmid, idx)] = pfn0
            variant = "good" if r.random() < 0.9 else r.choice(images.VARIANTS[1:])
            if idx > 0 and variant == "good" and r.random() < 0.2:
                variant = "boot_arg"  # G2: a device tree; two of them panic
            # Mostly one boot image per VM (its first); sometimes two.
            boot = idx == 0 or r.random() < 0.2
            seed = r.randrange(1 << 30)
            mirror = self.mirror.get(vmid)
            if mirror and idx in mirror["writes"] and r.random() < 0.95:
                variant, seed, boot = mirror["writes"][idx]  # E2: the same image again
            self.written[(vmid, idx)] = (variant, seed, boot)
            return ("write", pfn0, info.load_addr[idx], size, variant, seed, boot)
        pfn = self.plans[(vmid, idx)] + info.mapped_pages[idx]
        if r.random() < 0.02:
            pfn = self.ram_pfn()  # breaks contiguity (C1)
        return self.call("remap_vm_image", vmid, min(pfn, RAM_PFN0 + RAM_PAGES - 1), idx)

    def mv_mmio(self):
        """The host loads and stores an SMMU's registers (the core emulates
        each access): mostly values its rules allow, now and then not."""
        r, m = self.r, self.m
        if not m.smmu_regs:
            return None
        offs = smmu_regs_followed(m.smmu_banks)
        off = r.choice(offs)
        length = 4 if r.random() < 0.75 else 8
        if off % 8 and length == 8:
            off -= 4
        if self.bad or r.random() < 0.03:
            length = r.choice([1, 2, 4, 8, 3])
            off = r.choice([off, off + 2, 0x20, 0x7FFC, r.randrange(0x10000 - 8)])
        write = r.random() < 0.8
        if write and not self.bad and r.random() < 0.9:  # mostly not what always panics
            cb = (off - SMMU_GLOBAL_BASE) & 0xFFF if off >= SMMU_GLOBAL_BASE else None
            if cb in (CB_CONTEXTIDR, CB_CONTEXTIDR - 4) or (
                    GR1_BASE <= off < GR1_END and
                    INVALID in (m.smmu_owner.get((0, (off - GR1_BASE) // 4), INVALID),
                                m.smmu_owner.get((0, (off - GR1_BASE) // 4 + length // 8),
                                                 INVALID))):
                write = False
        value = r.randrange(1 << 64)
        if write and r.random() < 0.8:  # a value its rule allows (both words)
            value = self.smmu_good(off) | self.smmu_good(off + 4) << 32
        if r.random() < 0.03:  # sCR0 one bit short of allowed (C26): a panic
            off, length, write = GR0_SCR0, 4, True
            value = (r.randrange(1 << 32) | SCR0_SMCFCFG | SCR0_USFCFG) & \
                ~(SCR0_CLIENTPD | SCR0_VMID16EN)
            value ^= r.choice([SCR0_SMCFCFG, SCR0_SMCFCFG, SCR0_USFCFG, SCR0_CLIENTPD,
                               SCR0_VMID16EN])
        return ("mmio", 0, off, length, value & ((1 << (8 * length)) - 1), write)

    def smmu_good(self, off):
        r, m = self.r, self.m
        x = r.randrange(1 << 32)
        if off == GR0_SCR0:
            good = (x | SCR0_SMCFCFG | SCR0_USFCFG) & ~(SCR0_CLIENTPD | SCR0_VMID16EN) & 0xFFFFFFFF
            if r.random() < 0.08:  # one bit short of allowed: each of C26's sCR0 rules
                return good ^ r.choice([SCR0_SMCFCFG, SCR0_USFCFG, SCR0_CLIENTPD,
                                        SCR0_VMID16EN])
            return good
        if off == GR0_SCR2:
            return x & ~0xFF
        if GR0_S2CR0 <= off < GR0_S2CR_END:
            return r.choice([2 << 16, r.randrange(m.smmu_banks or 1)])
        if GR1_BASE <= off < GR1_END:
            vmid = m.smmu_owner.get((0, (off - GR1_BASE) // 4), INVALID)
            return vmid & 0xFF if vmid != INVALID else x
        if GR1_CBA2R0 <= off < GR1_CBA2R0 + 32:
            return x | 1
        if off >= SMMU_GLOBAL_BASE:
            cb = (off - SMMU_GLOBAL_BASE) & 0xFFF
            if cb == CB_SCTLR:
                return x | 1
            if cb == CB_TCR:
                return (x & ~TCR_GEOMETRY) | TCR_CORE
            if cb == CB_CONTEXTIDR and r.random() < 0.9:
                return None or 0  # refused whatever it is: write it rarely
        return x

    def mv_dma(self):
        """A device's DMA through a bank that maps pages (mostly at one
        of its iovas): what it reads and writes, or where it faults."""
        r = self.r
        banks = [k for k, pt in self.m.spts.pt.items() if pt]
        if not banks or r.random() < 0.1:
            i, cb = self.smmu()
            iova = self.iova()
        else:
            i, cb = r.choice(banks)
            iova = r.choice(list(self.m.spts.pt[(i, cb)])) * PAGE_SIZE
        length = r.choice([8, 100, 100, PAGE_SIZE - 8, PAGE_SIZE, PAGE_SIZE + 300])
        iova += r.choice([0, 0, 0, 8, 4000, r.randrange(PAGE_SIZE)])
        return ("dma", i, cb, iova, length, r.randrange(1 << 30), r.random() < 0.6)

    # -- MmioOps: context banks owned by a principal (C23..C25) --

    def mv_smmu_ops(self):
        """The host's SMMU calls: own a bank for a READY VM (or the host),
        map host pages into it (they become the VM's, at gfn iova / 4 KiB),
        clear, translate, free a powered-off VM's bank."""
        r, m = self.r, self.m
        if self.bad:
            name = r.choice(["el2_free_smmu_pgd", "el2_alloc_smmu_pgd", "el2_arm_lpae_map",
                             "el2_arm_lpae_clear", "el2_arm_lpae_iova_to_phys",
                             "smmu_assign_page", "smmu_map_page", "smmu_init_pte"])
            i, cb = self.smmu()
            iova = self.iova()
            if name == "el2_free_smmu_pgd":
                return self.call(name, cb, i)
            if name == "el2_alloc_smmu_pgd":
                return self.call(name, cb, r.choice([0, 1, 15, 16, 17, 0xFFFFFFFF]), i)
            if name == "el2_arm_lpae_map":
                return self.call(name, iova, self.pfn() * PAGE_SIZE,
                                 r.choice([0, 0x443, 1 << 52, 0x1000, 1 << 63]), cb, i)
            if name == "smmu_assign_page":
                return self.call(name, cb, i, self.pfn(), r.choice([0, 1 << 36, 5]))
            if name == "smmu_map_page":
                return self.call(name, cb, i, iova, self.pfn() * PAGE_SIZE | 3)
            if name == "smmu_init_pte":
                return self.call(name, r.choice([0, 1 << 52, (1 << 63) - 1]), self.pfn() * PAGE_SIZE)
            return self.call(name, iova, cb, i)
        owned = [(k, v) for k, v in m.smmu_owner.items() if v != INVALID]
        x = r.random()
        if x < 0.2 or not owned:
            vmid = self.vm([READY]) if r.random() < 0.97 else HOSTVISOR
            if vmid is None:
                return None
            i = 0 if r.random() < 0.98 else r.randrange(SMMU_NUM)  # the machine has one
            free = [cb for cb in range(SMMU_NUM_CTXT_BANKS)
                    if m.smmu_owner[(i, cb)] == INVALID]
            cb = r.choice(free) if free and r.random() < 0.9 else r.randrange(SMMU_NUM_CTXT_BANKS)
            return self.call("el2_alloc_smmu_pgd", cb, vmid, i)
        (i, cb), vmid = r.choice(owned)
        pt = m.spts.pt[(i, cb)]
        if x < 0.6:
            pfn = self.pfn(HOSTVISOR, strict=True)
            if pfn is None or m.page(pfn)[1] != 0:
                return None
            prot = r.choice([0xC3, 0xC3, 0x4C3, 0x43, 0x443, 0x3]) | (1 << 52 if r.random() < 0.1 else 0)
            gfn = r.randrange(1 << 20)
            if vmid != HOSTVISOR and r.random() < 0.1:
                mine = [g for p_, (o, _c, g) in m.s2page.items() if o == vmid and g < (1 << 28)]
                if mine:
                    gfn = r.choice(mine)  # a page it has there already: panics
            return self.call("el2_arm_lpae_map", gfn * PAGE_SIZE, pfn * PAGE_SIZE + r.choice([0, 8]),
                             prot, cb, i)
        iova = r.choice(list(pt)) * PAGE_SIZE if pt and r.random() < 0.8 else self.iova()
        if x < 0.68:  # a device's DMA through the bank (its pages, or not)
            length = r.choice([8, 100, PAGE_SIZE, PAGE_SIZE + 300, 3 * PAGE_SIZE])
            if r.random() < 0.2:
                i, cb = self.smmu()
            return ("dma", i, cb, iova + r.choice([0, 0, 4000, r.randrange(PAGE_SIZE)]),
                    length, r.randrange(1 << 30), r.random() < 0.6)
        if x < 0.75:
            return self.call("el2_arm_lpae_clear", iova, cb, i)
        if x < 0.85:
            return self.call("el2_arm_lpae_iova_to_phys", iova + r.randrange(PAGE_SIZE), cb, i)
        if vmid == HOSTVISOR or m.vminfos[vmid].state == POWEROFF or r.random() < 0.03:
            return self.call("el2_free_smmu_pgd", cb, i)
        if r.random() < 0.3:
            return self.call("set_vm_poweroff", vmid)  # then its bank may be freed
        return None

    # -- sealing (E1, E2, C17..C22) --

    def shared_pfn(self, vmid, vcpu):
        return self.m.shared_vcpu(vmid, vcpu) // PAGE_SIZE

    def host_pair(self):
        """Two consecutive host pages no image plans to use (a sealed
        page's ciphertext, then its header)."""
        for _ in range(8):
            p = self.ram_pfn()
            if (p + 1) // PTRS_PER_PMD >= SHARED_BLOCK or p // PTRS_PER_PMD in self.used_blocks:
                continue
            if (self.m.page(p)[0] == HOSTVISOR and self.m.page(p + 1)[0] == HOSTVISOR and
                    self.h.content_page(p) and self.h.content_page(p + 1)):
                return p
        return None

    def remember_mirror(self, target, source):
        """@target takes @source's sealed state: build it from the same
        load infos, images and memory map, so that it measures the same."""
        if target in self.mirror or not 0 < source < COREVISOR:
            return
        si = self.m.vminfos[source]
        n = min(si.next_load_info, MAX_LOAD_INFO_NUM)
        self.mirror[target] = {
            "loads": [(si.load_addr[i], si.load_size[i]) for i in range(n)],
            "writes": {i: self.written[(source, i)] for i in range(n)
                       if (source, i) in self.written},
            "regions": [(si.region_base[k], si.region_size[k], si.region_kind[k])
                        for k in range(si.nregions)]}

    def mv_seal(self):
        """Seal a verified (or powered-off) VM's vCPUs and pages, power it
        off, restore its blobs into a new READY VM (copied to its vCPU's
        shared page, or to other host pages), now and then tampered with;
        the new VM is then built from the same images (mirror)."""
        r, m = self.r, self.m
        if self.bad:
            name = r.choice(["save_encrypted_vcpu", "load_encrypted_vcpu",
                             "save_encrypt_buf", "load_decrypt_buf"])
            vmid = self.vm()
            if name in ("save_encrypted_vcpu", "load_encrypted_vcpu"):
                return self.call(name, vmid, r.choice([0, 1, 7, 8, 0xFFFFFFFF]))
            if name == "save_encrypt_buf":
                return self.call(name, vmid, self.pfn(vmid) * PAGE_SIZE,
                                 self.pfn(HOSTVISOR) * PAGE_SIZE)
            return self.call(name, vmid, self.pfn(HOSTVISOR) * PAGE_SIZE)
        x = r.random()
        sealable = [v for v in self.vms([VERIFIED, POWEROFF]) if m.vminfos[v].lineage]
        if x < 0.2 and sealable:
            v = r.choice(sealable)
            regs = [i for i in range(VCPU_PER_VM) if m.vminfos[v].vcpu_state[i] == READY]
            if not regs:
                return None
            i = r.choice(regs)
            self.vcpu_blobs.append((v, i))
            self.sealed_at[("vcpu", v, i)] = self.epoch_of(v)
            return self.call("save_encrypted_vcpu", v, i)
        if x < 0.35 and sealable:
            v = r.choice(sealable)
            own = self.owned_pfns(v)
            out = self.host_pair()
            if not own or out is None:
                return None
            self.page_blobs.append((v, out))
            self.sealed_at[("page", v, out)] = self.epoch_of(v)
            return self.call("save_encrypt_buf", v, r.choice(own) * PAGE_SIZE + r.choice([0, 8]),
                             out * PAGE_SIZE + r.choice([0, 0, 123]))
        if x < 0.41 and sealable:  # its state may move on once it is off
            v = r.choice(sealable)
            if ACTIVE not in m.vminfos[v].vcpu_state or r.random() < 0.1:
                return self.call("set_vm_poweroff", v)
            return None
        pending = [v for v in sealable if m.vminfos[v].seal_pending and
                   m.vminfos[v].state == VERIFIED]
        if (x < 0.47 and sealable) or (pending and r.random() < 0.15):
            # it runs again: a new epoch, older blobs stale
            v = r.choice(pending if pending and r.random() < 0.7 else sealable)
            info = m.vminfos[v]
            active = [i for i in range(VCPU_PER_VM) if info.vcpu_state[i] == ACTIVE]
            if active:
                return self.call("set_vcpu_inactive", v, r.choice(active))
            regs = [i for i in range(VCPU_PER_VM) if info.vcpu_state[i] == READY]
            if regs and info.state == VERIFIED:
                return self.call("set_vcpu_active", v, r.choice(regs))
            return None
        if x < 0.48:  # a vCPU's shared page given to a VM: sealing must refuse it
            vms = self.vms([READY])
            if vms and self.vcpu_blobs:
                a, i = r.choice(self.vcpu_blobs)
                pfn = self.shared_pfn(a, i)
                if m.page(pfn)[0] == HOSTVISOR and m.page(pfn)[1] == 0:
                    return self.call("prot_and_map_vm_s2pt", r.choice(vms),
                                     0x90000000 + r.randrange(512) * PAGE_SIZE,
                                     pfn * PAGE_SIZE | PAGE_S2_RAM, 3)
            return None
        ready = self.vms([READY])
        if not ready:
            return self.call("register_kvm") if m.next_vmid < COREVISOR else None

        def movable(src):  # mostly restore what may move (its VM off or gone)
            return m.vminfos[src].state in (POWEROFF, UNUSED) or r.random() < 0.03

        b = r.choice([v for v in ready if v in self.mirror] or ready)
        if x < 0.75 and self.vcpu_blobs:
            a, i = r.choice(self.stale("vcpu", self.vcpu_blobs) or self.vcpu_blobs)
            if not movable(a):
                return None
            if m.vminfos[b].vcpu_state[i] == UNUSED:
                return self.call("register_vcpu", b, i)
            src, dst = self.shared_pfn(a, i), self.shared_pfn(b, i)
            if a != b and m.content(dst) != m.content(src) and r.random() < 0.9:
                return ("copy", src, dst, 1)
            if r.random() < 0.06:  # tampered: the blob must be refused (C19)
                return ("junk", dst, r.randrange(SEALED_TAMPER), 1, r.randrange(1 << 30))
            self.remember_mirror(b, a)
            return self.call("load_encrypted_vcpu", b, i)
        if self.page_blobs:
            a, out = r.choice(self.stale("page", self.page_blobs) or self.page_blobs)
            if not movable(a) or m.page(out)[0] != HOSTVISOR or m.page(out + 1)[0] != HOSTVISOR:
                return None
            y = r.random()
            if y < 0.2:
                dst = self.host_pair()
                if dst is not None:
                    self.page_blobs.append((a, dst))
                    return ("copy", out, dst, 2)
            elif y < 0.26:  # tampered ciphertext or header
                return ("junk", out + r.randrange(2), r.randrange(120), 1, r.randrange(1 << 30))
            self.remember_mirror(b, a)
            return self.call("load_decrypt_buf", b, out * PAGE_SIZE + r.choice([0, 0, 77]))
        return None

    def epoch_of(self, vmid):
        """The epoch of @vmid's lineage: what a blob sealed now is bound to."""
        slot = self.m.vminfos[vmid].lineage
        return (slot, self.m.lineages[slot].epoch) if slot else None

    def stale(self, kind, blobs):
        """Now and then only the blobs of an older epoch than their
        lineage's (a rollback the core must refuse, C18), else None."""
        if self.r.random() < 0.5:
            return None
        out = []
        for b in blobs:
            at = self.sealed_at.get((kind,) + tuple(b))
            if at is not None and self.m.lineages[at[0]].epoch != at[1]:
                out.append(b)
        return out

    def mv_rollback(self):
        """A rollback, step by step: seal a vCPU of a verified VM, run the
        VM on (a new epoch), power it off, then restore the older blob
        into a new VM: the core must refuse it (C18: a panic)."""
        r, m = self.r, self.m
        c = [(v, i) for v in self.vms([VERIFIED]) if m.vminfos[v].lineage
             for i in range(VCPU_PER_VM) if m.vminfos[v].vcpu_state[i] == READY]
        if not c or m.next_vmid >= COREVISOR:
            return None
        v, i = r.choice(c)
        box = {}

        def new_vm():
            box["b"] = m.next_vmid
            return self.call("register_kvm")

        def copy():
            b = box.get("b")
            if b is None or m.vminfos[b].state != READY:
                return None
            return ("copy", self.shared_pfn(v, i), self.shared_pfn(b, i), 1)

        def step(name, *args):
            return lambda: None if box.get("b", 0) is None else self.call(name, *args)

        self.plan = [step("set_vcpu_active", v, i), step("set_vcpu_inactive", v, i),
                     step("set_vm_poweroff", v), new_vm,
                     lambda: self.call("register_vcpu", box["b"], i), copy,
                     lambda: self.call("load_encrypted_vcpu", box["b"], i)]
        self.vcpu_blobs.append((v, i))
        return self.call("save_encrypted_vcpu", v, i)

    def mv_host_page_refused(self):
        """A host call that names a VM's page where it must name its own
        (RESTORE_BEGIN's manifest: seal_host_owns): a panic."""
        r, m = self.r, self.m
        fresh = [v for v in self.vms([VERIFIED]) if not m.vminfos[v].has_run and
                 m.vminfos[v].snap == SNAP_NONE and m.vminfos[v].lineage]
        owned = [p for p, e in m.s2page.items() if 0 < e[0] < COREVISOR]
        if not fresh or not owned:
            return None
        return self.call("host_hvc_dispatcher", HVC_RESTORE_BEGIN, r.choice(fresh),
                         r.choice(owned) * PAGE_SIZE, 0, 0, 0)

    def mv_junk(self):
        """The host writes into a page it owns: mostly one in the 2 MiB of
        an image it is loading (bytes the core must zero, C12)."""
        r = self.r
        near = [pfn0 for pfn0 in self.plans.values() if pfn0 is not None]
        if near and r.random() < 0.7:
            base = r.choice(near) & ~511
            pfn = base + r.randrange(512)
        else:
            pfn = self.ram_pfn()
        if self.m.page(pfn)[0] != HOSTVISOR or not self.h.content_page(pfn):
            return None
        off = r.choice([0, r.randrange(PAGE_SIZE)])
        length = r.randrange(1, PAGE_SIZE - off + 1)
        return ("junk", pfn, off, length, r.randrange(1 << 30))

    # -- VCPU_RUN (the vCPU and trap layers) --

    # Classes a guest may trap with that no handler expects (reserved,
    # FP, SVE, pointer authentication, BTI, AArch32 coprocessors, ...).
    ODD_CLASSES = [0x00, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x0e, 0x11, 0x13, 0x15, 0x19,
                   0x1a, 0x1c, 0x1f, 0x22, 0x26, 0x2c, 0x2f, 0x30, 0x32, 0x34, 0x3c, 0x3f]
    PSCI = [V.PSCI_CPU_ON, V.PSCI64_CPU_ON, V.PSCI_CPU_OFF, V.PSCI_AFFINITY_INFO,
            V.PSCI64_AFFINITY_INFO, 0x84000000, 0x84000006, 0x8400000a]

    def guest_ipa(self, vmid, kind):
        """An IPA of VM @vmid: "ram" mapped to a page of RAM, "mmio" in
        an MMIO region, "fault" RAM it does not map, "none" in no region."""
        r, m = self.r, self.m
        info, npt = m.vminfos[vmid], m.npts[vmid]
        if kind == "ram":
            c = [g for g in list(npt.pages) + [b + r.randrange(512) for b in npt.blocks]
                 if self.h.content_page(npt.get(g)[0]) and npt.get(g)[2] & S2AP_RW == S2AP_RW]
            return r.choice(c) * PAGE_SIZE + r.randrange(PAGE_SIZE) if c else None
        regions = [(info.region_kind[i], info.region_base[i], info.region_size[i])
                   for i in range(info.nregions)]
        if kind == "none":
            if not regions:
                return None
            ipa = r.choice([0, r.randrange(1 << 40), max(b + z for _, b, z in regions)])
            return ipa if m.vm_ipa_kind(vmid, ipa) == 0 else None
        want = CV_REGION_MMIO if kind == "mmio" else CV_REGION_RAM
        if regions:
            c = [(b, z) for k, b, z in regions if k == want]
            if not c:
                return None
            b, z = r.choice(c)
            ipa = b + r.randrange(z)
        else:
            ipa = (r.randrange(0x1000, 0x40000) * PAGE_SIZE if kind == "mmio" else
                   r.choice([0x40000000, 0x80000000, 0x8000000000]) + r.randrange(1 << 24))
        if kind == "fault" and npt.get(ipa // PAGE_SIZE)[2]:
            return None
        return ipa

    def guest_program(self, vmid, vcpuid):
        """A few instructions: registers set, accesses that complete, and
        exits the core serves itself, then (mostly) one for the host."""
        r, m = self.r, self.m
        prog = []
        for _ in range(r.choice([0, 1, 1, 2, 4])):
            x = r.random()
            if x < 0.4:
                prog.append(("x", r.randrange(31), r.choice([0, 1, r.randrange(1 << 64),
                                                             r.randrange(256)])))
            elif x < 0.5:
                prog.append((r.choice(["sp", "vbar", "elr", "spsr", "esr1", "sp1", "far1"]),
                             r.randrange(1 << 64)))
            elif x < 0.55:
                prog.append(("pstate", r.choice([0x3c5, 0x5, 0x4, 0x0, 0x10, 0x3c4,
                                                 0xf0000000 | 0x5, r.randrange(1 << 32)])))
            elif x < 0.7:
                prog.append(("sysreg", r.randrange(32), r.random() < 0.5))
            elif x < 0.8:
                ipa = self.guest_ipa(vmid, "ram")
                if ipa is not None:
                    n = r.choice([1, 2, 4, 8])
                    ipa &= ~(n - 1)
                    prog.append((r.choice(["ld", "st"]), ipa, n, r.randrange(32), 0))
            elif x < 0.88:
                size = r.choice([0, PAGE_SIZE, 3 * PAGE_SIZE, 1 << 48, (1 << 64) - 1])
                gpa = self.guest_ipa(vmid, "ram") or self.gen_gpa(vmid)
                prog += [("x", 0, r.choice([V.CV_GUEST_HVC_SHARE, V.CV_GUEST_HVC_UNSHARE])),
                         ("x", 2, gpa & ~0xfff if r.random() < 0.8 else gpa),
                         ("x", 3, size), ("hvc", 0)]
            elif x < 0.94:
                prog.append(("exc", 3))  # an illegal exception return
            else:
                prog.append(("trap", (r.choice(self.ODD_CLASSES) << 26) |
                             r.choice([1 << 25, 0]) | r.randrange(1 << 25)))
        if r.random() < 0.05:  # a kernel's PC (0xffff...), or a 16-bit instruction's exit
            prog.append(("pc", r.choice([0xffff800000000000 + r.randrange(1 << 30) * 4,
                                         (1 << 64) - 4, (1 << 48) - 4])))
        x = r.random()
        if x < 0.08:
            return prog  # an interrupt
        if x < 0.3:
            fn = r.choice(self.PSCI)
            prog.append(("x", 0, fn | (r.choice([0, 0, 1 << 32]))))
            info = m.vminfos[vmid]
            regd = [v for v in range(VCPU_PER_VM) if info.vcpu_state[v] != UNUSED]
            tgt = r.choice(regd + [VCPU_PER_VM]) if r.random() < 0.9 else r.randrange(1 << 40)
            prog += [("x", 1, V.vcpu_mpidr(tgt) if tgt < 64 else tgt),
                     ("x", 2, r.choice([0x40080000, r.randrange(1 << 64)])),
                     ("x", 3, r.randrange(1 << 64))]
            if r.random() < 0.02:
                prog.append(("x", 0, V.PSCI_SYSTEM_OFF))
            prog.append(r.choice([("hvc", r.randrange(1 << 16)), ("hvc", 0), ("smc", 0)]))
        elif x < 0.4:
            prog.append((r.choice(["wfi", "wfe"]),))
        elif x < 0.75:
            kind = r.choice(["mmio", "mmio", "fault", "fault", "none"])
            ipa = self.guest_ipa(vmid, kind)
            if ipa is None:
                return prog
            y = r.random()
            n = r.choice([1, 2, 4, 8])
            if y < 0.45:
                prog.append(("ld", ipa & ~(n - 1), n, r.randrange(32), r.random() < 0.3 and n < 8))
            elif y < 0.85:
                rt = r.randrange(32)
                if rt < 31 and r.random() < 0.7:  # a value wider than the store
                    prog.append(("x", rt, r.randrange(1 << 64)))
                prog.append(("st", ipa & ~(n - 1), n, rt, 0))
            elif y < 0.93:
                prog.append(("ldp", ipa & ~0xf, r.randrange(32), r.randrange(32)))
            else:
                prog += [("pc", ipa & ~3), ("fetch",)]
        elif x < 0.85:
            prog.append(("trap", (r.choice([V.EC_HVC32, V.EC_SMC64, V.EC_WFX, V.EC_DABT_LOW,
                                            V.EC_IABT_LOW]) << 26) |
                         r.choice([1 << 25, 0]) | r.randrange(1 << 25)))
        elif x < 0.95:
            prog.append(("trap", (r.choice(self.ODD_CLASSES) << 26) | r.randrange(1 << 26)))
        else:
            prog.append(("exc", r.choice([1, 1, 3, 0])))  # SError, IL, interrupt
        return prog

    def gen_gpa(self, vmid):
        return self.gpa(vmid)

    def host_answer(self, vmid, vcpuid):
        """What the host writes into the run structure before VCPU_RUN:
        the answer to the last exit (mostly a good one), no injection
        request, and now and then something hostile."""
        r, m = self.r, self.m
        run = m.run_bytes(vmid, vcpuid)
        reason = V.run_field(run, "exit_reason")
        dirty = V.run_field(run, "dirty")
        writes = [(V.RUN["irq_req"][0], bytes(64))]
        regs = [i for i in range(31) if dirty >> i & 1]
        if regs or r.random() < 0.1:
            i = r.choice(regs) if regs and r.random() < 0.9 else r.randrange(31)
            v = r.choice([0, 1, (1 << 64) - 1, r.randrange(1 << 64), 0x80])
            writes.append((V.RUN["regs"][0] + 8 * i, v.to_bytes(8, "little")))
        x = r.random()
        if reason == V.CV_EXIT_MEM_FAULT and x < 0.6:
            ipa = V.run_field(run, "fault_ipa") & ~0xfff
            host = self.pfn(HOSTVISOR, strict=not (self.bad or r.random() < 0.03))
            if r.random() < 0.2:  # C52: an IPA outside the VM's RAM
                ipa = self.guest_ipa(vmid, r.choice(["mmio", "none"])) or ipa
            if host is not None:
                lvl = 3
                if r.random() < 0.05:
                    lvl = 2
                    ipa &= ~(PMD_SIZE - 1)
                    host &= ~511
                writes.append((V.RUN["fault_addr"][0], struct.pack(
                    "<QQQ", ipa | r.choice([0, 0, 0x123]), host * PAGE_SIZE | PAGE_S2_RAM, lvl)))
        elif (reason == V.CV_EXIT_MEM_FAULT and x < 0.8) or (reason == V.CV_EXIT_MMIO and
                                                             x < 0.25):
            writes.append((V.RUN["abort"][0], struct.pack("<Q", V.CV_ABORT_INJECT if r.random() < 0.8
                                                          else r.randrange(2, 1 << 64))))
        elif reason not in (V.CV_EXIT_MEM_FAULT, 0) and r.random() < 0.08:
            # an answer to a fault that was not asked (C52 outside the VM's RAM)
            ipa = self.guest_ipa(vmid, r.choice(["mmio", "none", "fault"]))
            host = self.pfn(HOSTVISOR, strict=True)
            if ipa is not None and host is not None:
                writes.append((V.RUN["fault_addr"][0], struct.pack(
                    "<QQQ", ipa, host * PAGE_SIZE | PAGE_S2_RAM, 3)))
        if r.random() < 0.05:  # hostile: fields the core must ignore or refuse
            y = r.random()
            if y < 0.3:
                writes.append((V.RUN["dirty"][0], struct.pack("<Q", r.randrange(1 << 64))))
            elif y < 0.5:
                writes.append((V.RUN["pc"][0], struct.pack("<QQ", r.randrange(1 << 64),
                                                           r.randrange(1 << 64))))
            elif y < 0.7:
                writes.append((V.RUN["fault_addr"][0], struct.pack(
                    "<QQQ", r.choice([1 << 48, (1 << 64) - 1, r.randrange(1 << 48)]),
                    r.randrange(1 << 64), r.randrange(4))))
            elif y < 0.85:
                writes.append((V.RUN["abort"][0], struct.pack("<Q", r.randrange(1 << 64))))
            else:
                writes.append((V.RUN["exit_reason"][0], r.randbytes(56)))
        return writes

    def mv_vrun(self):
        r, m = self.r, self.m
        if self.bad and r.random() < 0.3:
            return ("vrun", r.choice([0, 16, 17, 1 << 32, r.randrange(COREVISOR)]),
                    r.choice([0, 8, 9, 1 << 32]), [], [])
        c = [(v, i) for v in self.vms([VERIFIED, POWEROFF] if not self.bad else None)
             for i in range(VCPU_PER_VM)
             if m.vminfos[v].vcpu_state[i] == READY or (self.bad and
                                                        m.vminfos[v].vcpu_state[i] != UNUSED)]
        on = [(v, i) for v, i in c if m.vminfos[v].vcpu_power[i] != VCPU_OFF]
        if on and r.random() < 0.9:
            c = on
        elif not on and not self.bad and r.random() < 0.85:
            return None  # an off vCPU now and then (CV_EXIT_VCPU_OFF)
        if not c:
            return None
        vmid, vcpuid = r.choice(c)
        if m.vminfos[vmid].state == POWEROFF and r.random() < 0.7:
            return None
        return ("vrun", vmid, vcpuid, self.host_answer(vmid, vcpuid),
                self.guest_program(vmid, vcpuid))

    def mv_verify(self):
        if self.bad:
            return self.call("verify_and_load_images", self.vm())
        ready = [v for v in self.vms([READY]) if all(
            self.m.vminfos[v].mapped_pages[i] ==
            (self.m.vminfos[v].load_size[i] + 4095) // PAGE_SIZE
            for i in range(self.m.vminfos[v].next_load_info))]
        if self.r.random() < 0.03:  # images not fully remapped yet
            ready = self.vms([READY])
        booting = [v for v in ready if self.m.vminfos[v].vcpu_state[0] == READY and
                   self.m.vminfos[v].next_load_info]
        if booting and self.r.random() < 0.6:  # vCPU 0 starts at its entry (VCPU_RUN)
            ready = booting
        elif self.running and self.r.random() < 0.9:
            return None  # wait for a VM that boots
        return self.call("verify_and_load_images", self.r.choice(ready)) if ready else None

    def mv_vcpu_active(self):
        if self.bad:
            return self.call("set_vcpu_active", self.vm(), self.r.randrange(9))
        c = [(v, i) for v in self.vms([VERIFIED]) for i in range(VCPU_PER_VM)
             if self.m.vminfos[v].vcpu_state[i] == READY]
        return self.call("set_vcpu_active", *self.r.choice(c)) if c else None

    def mv_vcpu_inactive(self):
        if self.bad:
            return self.call("set_vcpu_inactive", self.vm(), self.r.randrange(9))
        c = [(v, i) for v in self.vms() for i in range(VCPU_PER_VM)
             if self.m.vminfos[v].vcpu_state[i] == ACTIVE]
        return self.call("set_vcpu_inactive", *self.r.choice(c)) if c else None

    def any_vmid(self):
        return self.vm() if self.bad else self.r.randrange(0, COREVISOR + 1)

    def mv_poweroff(self):
        if self.r.random() < 0.7:
            return None  # rare: a powered-off VM stops booting
        return self.call("set_vm_poweroff", self.any_vmid())

    def mv_destroy(self):  # L3
        r = self.r
        if self.bad:
            return self.call("destroy_vm", r.choice([0, 16, 17, 0xFFFFFFFF, 1]),
                             r.choice([0, 1, 2, 3, 1 << 63]))
        live = self.vms()
        if live and r.random() < 0.9:
            vmid = r.choice(live)
        else:
            vmid = r.randrange(1, COREVISOR)
        flags = r.choice([0, 1, 1])
        info = self.m.vminfos[vmid]
        if (info.state != UNUSED and ACTIVE not in info.vcpu_state and
                (info.state == POWEROFF or flags)):
            # Its images' plans die with it (their pages go back, zeroed).
            for key in [k for k in self.plans if k[0] == vmid]:
                del self.plans[key]
        return self.call("destroy_vm", vmid, flags)

    def snapshot_call(self):  # L5
        """A snapshot or restore call through the hypercall, with valid
        arguments: every one the model follows (SNAPSHOT_PAGE only where
        it is refused, RESTORE_BEGIN with a host page)."""
        r = self.rs
        num = r.choice(sorted(L5_CALLS))
        live = self.vms()
        vmid = r.choice(live) if live and r.random() < 0.9 else r.randrange(1, COREVISOR)
        saving = [v for v in live if self.m.vminfos[v].snap == SNAP_SAVING]
        verified = [v for v in live if self.m.vminfos[v].state == VERIFIED]
        if saving and r.random() < 0.8:  # follow a snapshot under way
            vmid = r.choice(saving)
            num = r.choice([HVC_SNAPSHOT_PAGE, HVC_SNAPSHOT_VCPU, HVC_SNAPSHOT_END,
                            HVC_SNAPSHOT_BEGIN])
        elif verified and r.random() < 0.5:  # start one, or a restore
            vmid = r.choice(verified)
            num = r.choice([HVC_SNAPSHOT_BEGIN, HVC_RESTORE_BEGIN])
        info = self.m.vminfos[vmid]
        if (num == HVC_SNAPSHOT_PAGE and info is not None and
                info.snap == SNAP_SAVING and not info.snap_stale and
                ACTIVE not in info.vcpu_state):
            return None  # it would seal a page: not modelled
        if (num in (HVC_RESTORE_PAGE, HVC_RESTORE_VCPU, HVC_BOOT_FROM_SAVED_VM) and
                info is not None and info.snap == SNAP_RESTORING):
            return None  # never reached: no manifest opens in the model
        vcpuid = r.randrange(VCPU_PER_VM)
        pfn = RAM_PFN0 + r.randrange(RAM_PAGES)
        if num == HVC_RESTORE_BEGIN and self.m.page(pfn)[0] != HOSTVISOR:
            return None  # (a panic: tests/unit)
        pa = pfn * PAGE_SIZE + r.choice([0, 0, 8])
        if L5_CALLS[num][1]:
            return self.call("host_hvc_dispatcher", num, vmid, vcpuid, pa, 0, 0)
        return self.call("host_hvc_dispatcher", num, vmid, pa, 0, 0, 0)

    def mv_poweron(self):
        return self.call("get_vm_poweron", self.any_vmid())

    def mv_search(self):
        vmid = self.any_vmid()
        info = self.m.vminfos[vmid] if vmid < NUM_PRINCIPALS else None
        if info and info.next_load_info and self.r.random() < 0.7:
            i = self.r.randrange(min(info.next_load_info, 5))
            addr = info.load_addr[i] + self.r.randrange(max(info.load_size[i], 1) + 2) - 1
        else:
            addr = self.gpa(0)
        return self.call("search_load_info", vmid, addr)

    def mv_inc_exe(self):
        return self.call("is_inc_exe", self.any_vmid())

    def not_verified_vm(self):
        if self.bad:
            return self.vm()
        c = [v for v in range(0, COREVISOR + 1) if self.m.vminfos[v].state != VERIFIED]
        return self.r.choice(c)

    def smmu_vm(self):
        """A VM that may still change its devices (not VERIFIED)."""
        if self.bad:
            return self.vm()
        c = [v for v in self.vms() if self.m.vminfos[v].state != VERIFIED]
        return self.r.choice(c) if c else None

    def mv_smmu_in_image(self):
        """A READY VM's device maps a page of the 2 MiB it loads an image
        into, at the page's place in the guest block (alloc_smmu,
        assign_smmu, map_smmu): loading the block must take it out of the
        SMMU first (C10)."""
        r = self.r
        plans = [(v, i, p) for (v, i), p in self.plans.items()
                 if p is not None and self.m.vminfos[v].state == READY and
                 i < self.m.vminfos[v].next_load_info]
        if not plans:
            return None
        vmid, idx, pfn0 = r.choice(plans)
        info = self.m.vminfos[vmid]
        base = pfn0 & ~511
        gfn_base = info.load_addr[idx] // PAGE_SIZE & ~511
        k = r.randrange(512)
        pfn, gfn = base + k, gfn_base + k
        index, cb = 0, 1
        owner = self.m.page(pfn)[0]
        if owner == HOSTVISOR and self.m.page(pfn)[1] == 0:
            if not self.m.spts.pgd_t[(index, cb)] and r.random() < 0.5:
                return self.call("alloc_smmu", vmid, cb, index)
            return self.call("assign_smmu", vmid, pfn, gfn)
        if owner == vmid and self.m.page(pfn)[2] == gfn and gfn < (1 << 28):
            return self.call("map_smmu", vmid, cb, index, gfn * PAGE_SIZE,
                             pfn * PAGE_SIZE | PAGE_S2_RAM)
        return None

    def mv_alloc_smmu(self):
        i, cb = self.smmu()
        return self.call("alloc_smmu", self.not_verified_vm(), cb, i)

    def mv_assign_smmu(self):
        vmid = self.smmu_vm()
        if vmid is None:
            return None
        if self.bad:
            return self.call("assign_smmu", vmid, self.pfn(),
                             self.r.choice([self.r.randrange(1 << 20), KVM_GFN_SPACE]))
        owner = HOSTVISOR if self.r.random() < 0.8 else vmid
        pfn = self.pfn(owner, strict=True)
        if pfn is None:
            return None
        return self.call("assign_smmu", vmid, pfn, self.r.randrange(1 << 20))

    def mv_map_smmu(self):
        r = self.r
        i, cb = self.smmu()
        vmid = self.smmu_vm()
        if vmid is None:
            return None
        pte_bits = r.choice([PAGE_S2_RAM, PAGE_S2_DEVICE, 0x3])
        if self.bad:
            return self.call("map_smmu", vmid, cb, i, self.iova(), self.pfn() * PAGE_SIZE | pte_bits)
        owned = [(p, v[2]) for p, v in self.m.s2page.items()
                 if v[0] == vmid and v[2] < (1 << 28)]
        if not owned:
            return None
        pfn, gfn = r.choice(owned)
        return self.call("map_smmu", vmid, cb, i, gfn * PAGE_SIZE, pfn * PAGE_SIZE | pte_bits)

    def mv_clear_smmu(self):
        r = self.r
        i, cb = self.smmu()
        pt = self.m.spts.pt.get((i, cb), {})
        iova = r.choice(list(pt)) * PAGE_SIZE if pt and r.random() < 0.8 else self.iova()
        return self.call("clear_smmu", self.not_verified_vm(), cb, i, iova)

    def mv_map_io(self):
        vmid = self.vm([READY])
        if vmid is None:
            return None
        x = self.r.random()
        if self.bad or x < 0.3:
            pa = self.pfn() * PAGE_SIZE + self.r.choice([0, 0, 0x123])
        else:  # MMIO below RAM: the only pages map_io maps
            pa = self.mmio_pfn() * PAGE_SIZE
        return self.call("map_io", vmid, self.gpa(vmid), pa)

    def mv_map_page_host(self):
        r = self.r
        x = r.random()
        if self.bad:
            pfn = self.pfn()
        elif x < 0.7:
            pfn = self.pfn(HOSTVISOR, strict=True) or self.ram_pfn()
        elif x < 0.8:
            pfn = self.mmio_pfn()
        elif x < 0.85:
            # C7: MMIO above the spec's 1 TiB, below the PA size (pa_bits);
            # now and then at or past it (a panic)
            top = 1 << (self.m.pa_bits - 12)
            pfn = r.choice([0x4010000, 0x8000000, 1 << 28,
                            r.randrange(1 << 28, top), top - 1])
            if r.random() < 0.05:
                pfn = top + r.randrange(16)
        else:
            shared = [p for p, v in self.m.s2page.items()
                      if 0 < v[0] < COREVISOR and 0 < v[1] <= MAX_SHARE_COUNT]
            if not shared:
                return None
            pfn = r.choice(shared)
        if not self.bad and self.m.page(pfn)[0] not in (HOSTVISOR, INVALID) and \
                not 0 < self.m.page(pfn)[1] <= MAX_SHARE_COUNT:
            return None
        return self.call("map_page_host", pfn * PAGE_SIZE + r.choice([0, 0, 8, 4095]))

    def mv_clear_vm_range(self):
        vmid = self.vm([POWEROFF, VERIFIED, READY])
        if vmid is None:
            return None
        owned = self.owned_pfns(vmid) if vmid < NUM_PRINCIPALS else []
        if owned and not self.bad:
            written = [p for p in owned if p in self.m.contents]
            # Half the time a page with bytes in it (its scrub is checked).
            p = self.r.choice(written if written and self.r.random() < 0.5 else owned)
            return self.call("clear_vm_range", vmid, p - self.r.randrange(4), self.r.choice([1, 8, 600]))
        return self.call("clear_vm_range", vmid, self.pfn(), self.r.choice([0, 1, 16, KVM_PFN_SPACE]))

    def mv_prot_and_map(self):
        r = self.r
        vmid = self.vm()
        if vmid is None:
            return None
        if self.bad:
            return self.call("prot_and_map_vm_s2pt", vmid, self.gpa(vmid),
                             self.pfn() * PAGE_SIZE | PAGE_S2_RAM, r.choice([3, 2, 0, 1]))
        if r.random() < 0.2:
            run = self.free_run(0, 512)
            if run is None:
                return None
            return self.call("prot_and_map_vm_s2pt", vmid, self.gpa(vmid) & ~(PMD_SIZE - 1),
                             run * PAGE_SIZE | PAGE_S2_RAM, 2)
        # A level-3 fault: a free host page, or one of the VM's own at its gfn.
        if r.random() < 0.7:
            pfn = self.pfn(HOSTVISOR, strict=True)
            if pfn is None or self.m.page(pfn)[1] != 0:
                return None
            gpa = self.gpa(vmid)
            if self.m.npts[vmid].get(gpa // PAGE_SIZE)[1] == 2:
                return None
        else:
            own = [(p, v[2]) for p, v in self.m.s2page.items() if v[0] == vmid and v[2] != INVALID64]
            if not own:
                return None
            pfn, gfn = r.choice(own)
            gpa = gfn * PAGE_SIZE
            if self.m.npts[vmid].get(gfn)[1] == 2:
                return None
        return self.call("prot_and_map_vm_s2pt", vmid, gpa, pfn * PAGE_SIZE | PAGE_S2_RAM, 3)

    def sg(self, name):
        vmid = self.vm()
        if vmid is None:
            return None
        size = self.r.choice([1, PAGE_SIZE, 3 * PAGE_SIZE + 5, 64 * PAGE_SIZE, 0])
        return self.call(name, vmid, self.gpa(vmid), size)

    def mv_grant_sg(self):
        return self.sg("grant_stage2_sg_gpa")

    def mv_revoke_sg(self):
        return self.sg("revoke_stage2_sg_gpa")

    def mv_mm(self):
        r = self.r
        vmid = self.vm()
        if vmid is None:
            return None
        name = r.choice(["clear_vm_page", "map_vm_io", "grant_vm_page", "revoke_vm_page",
                         "assign_pfn_to_smmu", "update_smmu_page", "unmap_smmu_page",
                         "assign_pfn_to_vm", "map_pfn_vm"])
        if name in ("clear_vm_page", "grant_vm_page", "revoke_vm_page"):
            return self.call(name, vmid, self.pfn(vmid))
        if name == "map_vm_io":
            return self.call(name, vmid, self.gpa(vmid), self.pfn() * PAGE_SIZE)
        i, cb = self.smmu()
        if name == "unmap_smmu_page":
            pt = self.m.spts.pt.get((i, cb), {})
            iova = r.choice(list(pt)) * PAGE_SIZE if pt and r.random() < 0.8 else self.iova()
            return self.call(name, cb, i, iova)
        if not self.bad and r.random() < 0.9:
            return None  # the rest mostly panic on a random page: keep them rare
        if name == "assign_pfn_to_smmu":
            return self.call(name, vmid, self.gpa(vmid) // PAGE_SIZE, self.pfn(HOSTVISOR))
        if name == "update_smmu_page":
            return self.call(name, vmid, cb, i, self.iova(), self.pfn(vmid) * PAGE_SIZE | 3)
        if name == "assign_pfn_to_vm":
            return self.call(name, vmid, self.gpa(vmid) // PAGE_SIZE, self.pfn(HOSTVISOR))
        lvl = r.choice([3, 3, 2])
        pfn = self.pfn(vmid)
        if lvl == 2:
            pfn &= ~511
        return self.call(name, vmid, self.gpa(vmid), pfn * PAGE_SIZE | 3, lvl)

    def mv_npt(self):
        r = self.r
        vmid = self.vm() if self.bad else r.randrange(0, COREVISOR + 1)
        name = r.choice(["get_level_s2pt", "walk_s2pt", "walk_s2pt", "map_s2pt", "clear_pfn_host"])
        if name == "clear_pfn_host":
            return self.call(name, self.pfn(HOSTVISOR))
        addr = self.gpa(vmid) if vmid else self.ram_pfn() * PAGE_SIZE
        if name != "map_s2pt":
            return self.call(name, vmid, addr)
        if not self.bad and r.random() < 0.7:
            return None
        lvl = r.choice([3, 3, 2, 1])
        pte = self.pfn() * PAGE_SIZE | r.choice([PAGE_S2_RAM, PAGE_S2_DEVICE, PAGE_GUEST, 0])
        if lvl == 2 and r.random() < 0.8:
            pte = (pte & ~(PMD_SIZE - 1) & ~3) | 1
        return self.call(name, vmid, addr, lvl, pte)

    def mv_spt(self):
        r = self.r
        i, cb = self.smmu()
        name = r.choice(["init_spt", "walk_spt", "walk_spt", "map_spt", "unmap_spt"])
        if name == "init_spt":
            return self.call(name, cb, i)
        if name == "map_spt":
            return self.call(name, cb, i, self.iova(), self.pfn() * PAGE_SIZE | r.choice([3, 0]))
        pt = self.m.spts.pt.get((i, cb), {})
        iova = r.choice(list(pt)) * PAGE_SIZE if pt and r.random() < 0.6 else self.iova()
        return self.call(name, cb, i, iova)

    def mv_hog(self):
        """Map into a fresh 2 MiB region of some table: a VM's (map_io),
        the host's (map_page_host on MMIO) or an SMMU's (map_spt)."""
        r = self.r
        self.hog_next += 1
        k = self.hog_next
        x = r.random()
        if x < 0.05:
            return self.call("register_kvm")  # run out of VMIDs too
        x = r.random()
        vmid = self.vm([READY])
        if vmid is not None and x < 0.4:
            gpa = 0x80000000 + k * self.hog_stride
            return self.call("map_io", vmid, gpa % KVM_ADDR_SPACE, self.mmio_pfn() * PAGE_SIZE)
        if x < 0.7:
            pa = 0x10000000 + k * min(self.hog_stride, 1 << 30) + r.randrange(512) * PAGE_SIZE
            if pa >= RAM_BASE:
                return None
            return self.call("map_page_host", pa)
        i, cb = self.smmu()
        iova = (k * min(self.hog_stride, 1 << 30)) % (1 << 40)
        return self.call("map_spt", cb, i, iova, self.ram_pfn() * PAGE_SIZE | 3)

    def mv_core(self):
        if self.r.random() < 0.8 and not self.bad:
            return None
        if self.r.random() < 0.5:
            return self.call("gen_vmid")
        return self.call("alloc_remap_addr", self.r.choice([0, 1, 100, 4096, 1 << 20]))

    def mv_attack(self):
        """A host attack on the state reached: touch, give away or remap
        pages that are not the host's to use."""
        r = self.r
        others = [(p, v) for p, v in self.m.s2page.items() if v[0] != HOSTVISOR]
        if not others:
            return None
        pfn, (owner, count, gfn) = r.choice(others)
        vms = self.vms() or [1]
        vmid = r.choice(vms)
        i, cb = self.smmu()
        k = r.randrange(7)
        if k == 0:
            return self.call("map_page_host", pfn * PAGE_SIZE)
        if k == 1:
            return self.call("assign_smmu", vmid, pfn, r.randrange(1 << 20))
        if k == 2:
            return self.call("map_smmu", vmid, cb, i, (gfn % (1 << 28)) * PAGE_SIZE,
                             pfn * PAGE_SIZE | 3)
        if k == 3:
            return self.call("prot_and_map_vm_s2pt", vmid, self.gpa(vmid),
                             pfn * PAGE_SIZE | PAGE_S2_RAM, 3)
        if k == 4:
            return self.call("clear_vm_page", vmid, pfn)
        if k == 5:
            return self.call("map_io", vmid, self.gpa(vmid), pfn * PAGE_SIZE)
        return self.call("revoke_vm_page", vmid, pfn)

    def mv_adversarial(self):
        r = self.r
        if r.random() < 0.5:
            a = self.mv_attack()
            if a is not None:
                return a
        name = r.choice(sorted(self.h.c.fns))
        vals = [0, 1, 2, 3, 7, 8, 15, 16, 17, 0xFFFFFFFF, RAM_PFN0, RAM_BASE,
                RAM_PFN0 + 513, (RAM_PFN0 + 1024) * PAGE_SIZE | 3, REMAP_START,
                KVM_PFN_SPACE, KVM_ADDR_SPACE, 1 << 63, INVALID64]
        args = [r.choice(vals) for _ in CALLS[name][0]]
        if name == "host_hvc_dispatcher":  # a number the model serves
            args[0] = r.choice(HVC_MODELLED)
        return self.call(name, *args)


# ---------------------------------------------------------------------------
# Sequences, shrinking, workers.
# ---------------------------------------------------------------------------


def seq_rng(seed, idx):
    return random.Random("%d:%d" % (seed, idx))


def generate_and_run(h, seed, idx, max_len, stats=None, trace=False):
    """Run sequence @idx live. Returns (actions, calls, mismatch or None)."""
    rng = seq_rng(seed, idx)
    h.boot()
    gen = Gen(rng, h)
    actions, calls = [], 0
    length = rng.choice([20, 60, 150, max_len, max_len])
    for step in range(length):
        a = gen.next(force_bad=gen.deep and step == length - 1)
        actions.append(a)
        host_blocks = len(h.m.npts[HOSTVISOR].blocks)
        try:
            res = h.run(a)
        except Mismatch as e:
            return actions, calls + 1, str(e)
        if a[0] == "call":
            calls += 1
            if stats is not None:
                stats[a[1]] = stats.get(a[1], 0) + 1
        if trace:
            print("  %-60s -> %s%s" % (fmt_action(a), res,
                                       "  HALT: " + h.m.halt_reason if h.m.halt else ""))
        if stats is not None and a[0] == "vrun":
            calls += 1
            key = "VCPU_RUN -> %s" % ("halt" if h.m.halt else EXIT_NAMES.get(res, res))
            stats[key] = stats.get(key, 0) + 1
        if stats is not None and a[0] == "call":
            note_events(stats, h, a, res)
            if not h.m.halt and len(h.m.npts[HOSTVISOR].blocks) < host_blocks:
                stats["event: host block split"] = \
                    stats.get("event: host block split", 0) + 1
        if h.m.halt:
            if stats is not None:
                key = "panic: " + re.sub(r"0x[0-9a-f]+|\b\d+\b", "N", h.c.halt_reason())
                stats[key] = stats.get(key, 0) + 1
            try:
                h.check_noop_after_halt(rng)
            except Mismatch as e:
                return actions, calls + 2, str(e)
            calls += 2
            break
    if idx % SWEEP_EVERY == 0 and not h.m.halt:
        try:
            h.sweep_pages("end of sequence")
        except Mismatch as e:
            return actions, calls, str(e)
    if stats is not None:
        stats["deepest: VERIFIED VMs"] = max(stats.get("deepest: VERIFIED VMs", 0),
                                             len(gen.vms([VERIFIED])))
    return actions, calls, None


EXIT_NAMES = {1: "IRQ", 2: "MMIO", 3: "MEM_FAULT", 4: "HVC", 5: "WFX", 6: "SYSTEM_OFF",
              7: "POWERED_OFF", 8: "VCPU_OFF", 9: "SGI"}


def note_events(stats, h, a, res):
    """Count the deep states reached (reported with -v)."""
    m = h.m
    ev = []
    if a[1] == "set_boot_info" and res == MAX_LOAD_INFO_NUM:
        ev.append("load infos exhausted")
    if a[1] == "verify_and_load_images" and not m.halt:
        ev.append("VM verified")
    if a[1] == "set_vcpu_active" and not m.halt:
        ev.append("vCPU active")
    if a[1] in ("remap_vm_image",) and not m.halt:
        ev.append("image page remapped")
    if a[1] in ("map_smmu", "update_smmu_page") and not m.halt:
        ev.append("SMMU page mapped")
    if a[1] in ("grant_stage2_sg_gpa", "grant_vm_page") and not m.halt and \
            any(0 < v[0] < COREVISOR and 0 < v[1] <= MAX_SHARE_COUNT for v in m.s2page.values()):
        ev.append("VM page shared with the host")
    if a[1] == "map_page_host" and not m.halt and \
            m.page(a[2][0] // PAGE_SIZE)[0] not in (HOSTVISOR, INVALID):
        ev.append("host maps a page a VM granted")
    if a[1] == "map_page_host" and not m.halt and \
            (a[2][0] // PAGE_SIZE) & ~511 in m.npts[HOSTVISOR].blocks:
        ev.append("host RAM mapped by a 2 MiB block")
    if a[1] == "map_page_host" and not m.halt and a[2][0] >= 1 << 40:
        ev.append("host MMIO above 1 TiB mapped")

    for e in ev:
        stats["event: " + e] = stats.get("event: " + e, 0) + 1


def replay(h, actions):
    """Run @actions on a fresh machine and model: the first mismatch, or None."""
    h.boot()
    for a in actions:
        try:
            h.run(a)
        except Mismatch as e:
            return str(e)
        if h.m.halt:
            return None
    return None


def shrink(h, actions, deadline):
    """ddmin-style: drop chunks while some mismatch remains."""
    best = list(actions)
    n = 2
    while len(best) >= 2 and time.time() < deadline:
        chunk = max(1, len(best) // n)
        reduced = False
        for start in range(0, len(best), chunk):
            cand = best[:start] + best[start + chunk:]
            if cand and replay(h, cand):
                best = cand
                n = max(n - 1, 2)
                reduced = True
                break
            if time.time() >= deadline:
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(best), n * 2)
    return best, replay(h, best)


def fmt_action(a):
    if a[0] == "vrun":
        return "VCPU_RUN(%d, %d) host writes %s, guest %s" % (
            a[1], a[2], ["+%d: %s" % (o, d.hex()) for o, d in a[3] if d != bytes(len(d))],
            a[4])
    if a[0] == "junk":
        return "host writes %d random bytes (seed %d) at pfn %#x + %#x" % (a[3], a[4], a[1], a[2])
    if a[0] == "mmio":
        return "host %s SMMU %d register %#x (%d bytes) %#x" % (
            "stores" if a[5] else "loads", a[1], a[2], a[3], a[4])
    if a[0] == "dma":
        return "DMA %s smmu %d cb %d iova %#x + %#x (seed %d)" % (
            "write" if a[6] else "read", a[1], a[2], a[3], a[4], a[5])
    if a[0] == "copy":
        return "host copies %d pages from pfn %#x to pfn %#x" % (a[3], a[1], a[2])
    if a[0] == "write":
        return "write image: pfn %#x load_addr %#x size %#x %s seed %d boot %d" % a[1:]
    return "%s(%s)" % (a[1], ", ".join("%#x" % x if x > 9 else str(x) for x in a[2]))


def worker(job):
    lib, seed, first_idx, stride, calls_target, max_len, t_end, quiet, mode, pools = job
    h = Harness(lib, mode=mode, pools=pools)
    stats = {}
    calls = seqs = 0
    idx = first_idx
    while calls < calls_target and (t_end == 0 or time.time() < t_end):
        actions, n, mm = generate_and_run(h, seed, idx, max_len, stats)
        calls += n
        seqs += 1
        if mm:
            if not quiet:
                print("MISMATCH in sequence %d (seed %d) after %d actions:\n  %s"
                      % (idx, seed, len(actions), mm), flush=True)
            small, why = shrink(h, actions, time.time() + 120)
            return {"calls": calls, "seqs": seqs, "stats": stats, "fired": h.fired,
                    "explained": h.explained, "spec_calls": h.spec_calls, "mismatch": {
                "idx": idx, "actions": small, "why": why or mm, "orig": len(actions)}}
        idx += stride
    return {"calls": calls, "seqs": seqs, "stats": stats, "mismatch": None,
            "missing": h.missing, "fired": h.fired, "explained": h.explained,
            "spec_calls": h.spec_calls}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", default="build/model/libcorevisor-model.so")
    ap.add_argument("--calls", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--time", type=float, default=0, help="stop after this many seconds (0: none)")
    ap.add_argument("--max-len", type=int, default=400)
    ap.add_argument("--replay", type=int, default=None, help="run only sequence N, traced")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--mode", choices=("spec", "deltas"), default="spec",
                    help="deltas: compare with the spec plus every delta only; "
                    "spec (default): that, and the spec as written too")
    ap.add_argument("--pools", default=None,
                    help="the library's pool flags (-DPT_POOL_PER_VM=... as in "
                    "MODEL_POOLS); default: MODEL_POOLS of mk/model.mk")
    ap.add_argument("--require-deltas", action="store_true",
                    help="fail unless every delta fired (mode spec)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    pools = parse_pools(a.pools) if a.pools is not None else None
    if not os.path.exists(a.lib):
        print("diff_runner: no library %s (make model)" % a.lib, file=sys.stderr)
        return 2

    if a.replay is not None:
        h = Harness(a.lib, mode=a.mode, pools=pools)
        actions, n, mm = generate_and_run(h, a.seed, a.replay, a.max_len, trace=True)
        print("sequence %d: %d actions, %d calls: %s" % (a.replay, len(actions), n,
                                                          mm or "all matched"))
        return 1 if mm else 0

    t0 = time.time()
    t_end = t0 + a.time if a.time else 0
    jobs = [(a.lib, a.seed, i, a.jobs, (a.calls + a.jobs - 1) // a.jobs, a.max_len, t_end, a.quiet, a.mode, pools)
            for i in range(a.jobs)]
    if a.jobs == 1:
        results = [worker(jobs[0])]
    else:
        with mp.get_context("fork").Pool(a.jobs) as pool:
            results = pool.map(worker, jobs)
    dt = time.time() - t0
    calls = sum(r["calls"] for r in results)
    seqs = sum(r["seqs"] for r in results)
    stats = {}
    for r in results:
        for k, v in r["stats"].items():
            stats[k] = max(stats.get(k, 0), v) if k.startswith("deepest") else stats.get(k, 0) + v
    mms = [r["mismatch"] for r in results if r["mismatch"]]
    fired, explained = {}, {}
    for r in results:
        for k, v in r["fired"].items():
            fired[k] = fired.get(k, 0) + v
        for k, v in r["explained"].items():
            explained[k] = explained.get(k, 0) + v
    spec_calls = sum(r["spec_calls"] for r in results)
    if not a.quiet:
        print("diff_runner: %d calls in %d sequences, %.1f s (%.0f calls/s), seed %d, %d jobs"
              % (calls, seqs, dt, calls / dt if dt else 0, a.seed, a.jobs))
        if a.verbose:
            for k in sorted(stats):
                print("  %-40s %d" % (k, stats[k]))
        else:
            panics = sorted(k for k in stats if k.startswith("panic: "))
            print("  %d distinct panic sites reached; deepest: %d VERIFIED VMs at once"
                  % (len(panics), stats.get("deepest: VERIFIED VMs", 0)))
        print("  spec plus deltas: %d calls compared; spec as written: %d calls compared"
              % (calls, spec_calls if a.mode == "spec" else 0))
        if a.mode == "spec":
            print("  delta  fired (calls)  differences with the C it covers")
            for d in DELTA_NAMES:
                print("  %-5s  %13d  %d" % (d, fired.get(d, 0), explained.get(d, 0)))
        miss = results[0].get("missing") if results else None
        if miss:
            print("  not in the library yet (skipped): %s" % ", ".join(miss))
    for mm in mms:
        if not a.quiet:
            print("\nMISMATCH (sequence %d, seed %d; shrunk from %d to %d actions):\n  %s\n"
                  "Shortest failing sequence (fresh boot, then):"
                  % (mm["idx"], a.seed, mm["orig"], len(mm["actions"]), mm["why"]))
            for act in mm["actions"]:
                print("  " + fmt_action(act))
            print("Replay: %s --lib %s --seed %d --replay %d"
                  % (sys.argv[0], a.lib, a.seed, mm["idx"]))
    if mms:
        return 1
    silent = [d for d in DELTA_NAMES if not fired.get(d)]
    if a.require_deltas and a.mode == "spec" and silent:
        print("diff_runner: deltas that never fired: %s" % ", ".join(silent),
              file=sys.stderr)
        return 1
    if calls < a.calls and not a.time:
        print("diff_runner: only %d of %d calls ran" % (calls, a.calls), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
