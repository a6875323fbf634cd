#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Writes the seed corpus of tests/fuzz/fuzz_hvc.c: one file per scenario,
each a readable list of ops below, encoded as fuzz_hvc.c decodes its input
(the comment at the top of that file, and pick() for typed arguments).

    tests/fuzz/gen_corpus.py tests/fuzz/corpus     (make fuzz-corpus)

The seeds walk the boot protocol to its deep states (verified and active
VMs, shared pages, SMMU mappings, sealed pages and vCPUs, powered-off VMs,
exhausted pools and VMIDs) and try each attack once (tampered images,
hostile arguments to every hypercall, host accesses to memory that is not
the host's); libFuzzer mutates from there.
"""

import os
import struct
import sys

# ---- encoding (mirrors fuzz_hvc.c) -----------------------------------------

# op codes: index into ops[] of fuzz_hvc.c
HVC, HOST_WRITE, HOST_READ, LOAD_IMAGE, BOOT_VM = 0, 3, 4, 5, 6
VM_FAULT, GRANT, REVOKE, CLEAR_RANGE, POWEROFF = 7, 9, 10, 11, 12
VCPU_INACTIVE, SMMU, VM_ACCESS, SET_CPU, IOREMAP = 13, 14, 15, 16, 17
QUERY, SEAL_PAGE, SEAL_VCPU, MMIO, DMA, RUN = 18, 19, 20, 21, 22, 23

# hypercalls: index into hvcs[] of fuzz_hvc.c, with their argument kinds
H = {name: i for i, name in enumerate([
    "ENABLE_S2_TRANS", "TIMER_SET_CNTVOFF", "VCPU_RUN", "CLEAR_VM_S2_RANGE",
    "SET_BOOT_INFO", "REMAP_VM_IMAGE", "VERIFY_VM_IMAGES", "REGISTER_KVM",
    "REGISTER_VCPU", "BOOT_FROM_SAVED_VM", "ENCRYPT_BUF", "DECRYPT_BUF",
    "SAVE_CRYPT_VCPU", "SMMU_FREE_PGD", "SMMU_ALLOC_PGD", "SMMU_LPAE_MAP",
    "SMMU_LPAE_IOVA_TO_PHYS", "SMMU_CLEAR", "PHYS_ADDR_IOREMAP",
    "LOAD_CRYPT_VCPU", "IS_INC_EXE", "MAP_IO", "ASSIGN_SMMU", "VCPU_ACTIVE",
    "NOOP", "RAW", "GET_SHARED_BASE", "DESTROY_VM", "SNAPSHOT_BEGIN",
    "SNAPSHOT_PAGE", "SNAPSHOT_VCPU", "SNAPSHOT_END", "RESTORE_BEGIN",
    "RESTORE_PAGE", "RESTORE_VCPU", "SMMUV3_ATTACH", "SMMUV3_MAP",
    "SMMUV3_UNMAP"])}
NARGS = [1, 2, 2, 3, 3, 3, 1, 0, 2, 1, 3, 2, 2, 2, 3, 5, 3, 3, 4, 2, 1, 3,
         3, 2, 0, 6, 0, 2, 1, 2, 3, 2, 2, 2, 3, 2, 3, 2]

# images of fuzz_hvc.c make_images(): (load address, pages)
IMG_GOOD, IMG_STRADDLE, IMG_TINY, IMG_UNTRUSTED, IMG_BIG = range(5)
IMG_LOAD = [0x80000000, 0x801fe000, 0x90000000, 0x80000000, 0x80010000]
IMG_PAGES = [4, 4, 1, 2, 17]
RAM_BASE = 0x40000000
RAM_PAGES = (16 << 20) // 4096
PMD = 2 << 20

# load_image flags
LI_CORRUPT, LI_SKIP, LI_WRONG_PFN, LI_EXTRA = 0x1, 0x2, 0x4, 0x8
LI_SIZE, LI_ADDR, LI_MISPLACE, LI_NO_WRITE, LI_VERIFY = (
    0x10, 0x20, 0x40, 0x80, 0x100)

# values of bound() in fuzz_hvc.c, by index
B_INVALID, B_INVALID64, B_PHYS_SIZE = 3, 4, 6
B_ADDR_SPACE, B_PFN_SPACE, B_GFN_SPACE, B_TOP_BIT = 9, 12, 14, 15
B_COREVISOR, B_VCPU_PER_VM, B_MAX_LOAD = 17, 20, 21


def u8(v):
    return bytes([v & 0xff])


def u16(v):
    return struct.pack("<H", v & 0xffff)


def u32(v):
    return struct.pack("<I", v & 0xffffffff)


def u64(v):
    return struct.pack("<Q", v & 0xffffffffffffffff)


# typed arguments: selector byte, then the class's bytes
def vm(i):            # the i-th registered VM (1-based)
    return u8(0) + u8(i - 1)


def vm_next():        # the first VMID not registered yet
    return u8(4)


def vm_host():
    return u8(5)


def vcpu(c):
    return u8(0) + u8(c)


def ram(page):        # RAM page (pfn or pa, by the argument's kind)
    return u8(0) + u16(page)


def block_page(block, page):  # page of staging block 1..6
    return u8(3) + u8(block - 1) + u16(page)


def img_page(block, img, i=0):  # where load_image staged image page i
    off = (IMG_LOAD[img] % PMD) // 4096
    return block_page(block, off + i)


def shared(page):     # page of the shared kvm/vcpu area
    return u8(4) + u8(page)


def core_page(page):  # page of the core's private memory
    return u8(5) + u16(page)


def mmio(n):          # a page in no memory region
    return u8(6) + u8(0) + u8(n)


def gpa_img(img):
    return u8(2) + u8(img)


def gpa_lin(page):    # 0x80000000 + page * 4 KiB
    return u8(0) + u16(page)


def gpa_donor(page):  # 0x100000000 + page * 4 KiB
    return u8(3) + u16(page)


def gpa_block(n):     # 0x80000000 + n * 2 MiB
    return u8(4) + u8(n)


def size_img(img):
    return u8(0) + u8(img)


def size_pages(n):
    return u8(1) + u8(n)


def idx(i):
    return u8(0) + u8(i)


def iova(page):
    return u8(0) + u16(page)


def pte_ram(page):    # PAGE_S2_RAM at a RAM page
    return u8(0) + u16(page) + u8(0)


def pte_block(n):     # a 2 MiB block of RAM, PAGE_S2_RAM_BLOCK
    return u8(3) + u8(n)


def prot_ram():
    return u8(1)


def cb(i):
    return u8(0) + u8(i)


def smmu(i):
    return u8(0) + u8(i)


def hostile(b):       # bound(b)
    return u8(0xe0 + b)


def raw64(v):
    return u8(0xff) + u64(v)


# ops
def hvc(name, *args):
    assert len(args) == NARGS[H[name]], name
    return u8(HVC) + u8(H[name]) + b"".join(args)


def config(cpus=4, trusted=True):
    return u8((0 if trusted else 1) | (cpus - 1) << 1)


def boot_vm(nvcpus=2, img=IMG_GOOD, block=1, activate=True):
    return (u8(BOOT_VM) + u8(nvcpus) + u8(img) + u8(block - 1) +
            u8(1 if activate else 0))


def load_image(vmarg, img=IMG_GOOD, block=1, flags=LI_VERIFY, aux=0):
    return (u8(LOAD_IMAGE) + vmarg + u8(img) + u8(block - 1) + u16(flags) +
            u16(aux))


def host_write_bytes(pa_arg, data):
    return u8(HOST_WRITE) + pa_arg + u8(0) + u16(len(data) - 1) + u8(0) + data


def host_write_at(pa_arg, off, n, data):  # n bytes from page offset off
    return (u8(HOST_WRITE) + pa_arg + u8(0xf0) + u16(off) + u16(n - 1) +
            u8(0) + data)


def host_write_zero(pa_arg, n):
    return u8(HOST_WRITE) + pa_arg + u8(0) + u16(n - 1) + u8(1)


def host_write_image(pa_arg, img, n, off=0):
    return (u8(HOST_WRITE) + pa_arg + u8(0) + u16(n - 1) + u8(2) + u8(img) +
            u16(off))


def host_read(pa_arg, n):
    return u8(HOST_READ) + pa_arg + u8(0) + u16(n - 1)


def vm_fault(vmarg, gpa_arg, pte_arg, level=3):
    return u8(VM_FAULT) + vmarg + gpa_arg + pte_arg + u8(level)


def grant(vmarg, gpa_arg, size_arg):
    return u8(GRANT) + vmarg + gpa_arg + size_arg


def revoke(vmarg, gpa_arg, size_arg):
    return u8(REVOKE) + vmarg + gpa_arg + size_arg


def clear_range(vmarg, pa_arg, size_arg):
    return u8(CLEAR_RANGE) + vmarg + pa_arg + size_arg


def poweroff(vmarg):
    return u8(POWEROFF) + vmarg


def vcpu_inactive(vmarg, vcpuarg):
    return u8(VCPU_INACTIVE) + vmarg + vcpuarg


def smmu_alloc(c, i, vmarg):
    return u8(SMMU) + u8(0) + cb(c) + smmu(i) + vmarg


def smmu_free(c, i):
    return u8(SMMU) + u8(1) + cb(c) + smmu(i)


def smmu_assign(c, i, pfn_arg, gfn_arg):
    return u8(SMMU) + u8(2) + cb(c) + smmu(i) + pfn_arg + gfn_arg


def smmu_lpae_map(c, i, iova_arg, pa_arg):
    return u8(SMMU) + u8(4) + cb(c) + smmu(i) + iova_arg + pa_arg + prot_ram()


def smmu_clear(c, i, iova_arg):
    return u8(SMMU) + u8(5) + cb(c) + smmu(i) + iova_arg


def smmu_iova_to_phys(c, i, iova_arg):
    return u8(SMMU) + u8(6) + cb(c) + smmu(i) + iova_arg


def vm_access(vmarg, gpa_arg, n, write=False):
    return u8(VM_ACCESS) + vmarg + gpa_arg + u16(n - 1) + u8(1 if write else 0)


def set_cpu(c):
    return u8(SET_CPU) + u8(c)


def ioremap(vmarg, gpa_arg, pa_arg, pages):
    return u8(IOREMAP) + vmarg + gpa_arg + pa_arg + u8(pages) + u8(0)


def query(vmarg, gpa_arg):
    return u8(QUERY) + vmarg + gpa_arg


def seal_page(vmarg, in_arg, out_arg, vm2=None, tamper=None, move_to=None):
    b = u8(SEAL_PAGE) + vmarg + in_arg + out_arg
    b += u8(1) if vm2 is None else u8(0) + vm2
    how = (1 if tamper is not None else 0) | (2 if move_to is not None else 0)
    b += u8(how)
    if tamper is not None:
        b += u16(tamper) + u8(0)
    if move_to is not None:
        b += move_to
    return b


def seal_vcpu(vmarg, vcpuarg, tamper=None, vm2=None, vcpu2=None):
    b = u8(SEAL_VCPU) + vmarg + vcpuarg
    b += u8(1) if vm2 is None else u8(0) + vm2
    b += u8(1) if vcpu2 is None else u8(0) + vcpu2
    b += u8(1 if tamper is not None else 0)
    if tamper is not None:
        b += u16(tamper) + u8(0)
    return b


def small_pages(n):   # K_SMALL: n pages
    return u8(0) + u8(n)


# SMMU registers (smmu_reg() in fuzz_hvc.c)
REG_SCR0, REG_SCR2, REG_CBAR, REG_SCTLR, REG_TTBR0, REG_CONTEXTIDR = 0, 1, 3, 5, 6, 8


def mmio_write(index, reg, cbank, value_bytes, length=4):
    lens = [4, 4, 8, 1, 2, 3]
    return (u8(MMIO) + u8(index) + u8(cbank) + u8(reg) + u8(lens.index(length)) +
            u8(1) + value_bytes)


def cbar_value(vmarg, typ=0):
    return u8(0) + u8(typ) + vmarg


def mmio_read(index, reg, cbank):
    return u8(MMIO) + u8(index) + u8(cbank) + u8(reg) + u8(0) + u8(0)


def dma(index, cbank, iova_arg, n, write=False):
    return (u8(DMA) + u8(index) + u8(cbank) + iova_arg + u16(n - 1) +
            u8(1 if write else 0))


# guest actions (fuzz_guest in fuzz_hvc.c)
def g_ipa_img(img, off=0):
    return u8(1) + u8(img) + u16(off)


def g_ipa_donor(page):
    return u8(2) + u16(page) + u8(0)


def g_ipa_mmio(addr):
    return u8(0) + u32(addr)


def g_load(ipa, length=8, rt=1):
    return u8(0) + u8(rt) + ipa + u8([1, 2, 4, 8].index(length))


def g_store(ipa, length=8, rt=1):
    return u8(1) + u8(rt) + ipa + u8([1, 2, 4, 8].index(length))


GFN_SHARE, GFN_UNSHARE, GFN_PSCI_VERSION, GFN_CPU_ON = 0, 2, 3, 4
GFN_AFFINITY, GFN_SYSTEM_OFF, GFN_CPU_OFF = 5, 6, 7


def g_hvc(fn, ipa, size_arg):
    return u8(4) + u8(0) + u8(fn) + u8(0) + u8(0) + ipa + size_arg + u16(0)


def g_wfi():
    return u8(6) + u8(0) + u8(1)


def g_irq():
    return u8(11) + u8(0)


def run(vmarg, vcpuarg, *rounds):
    """rounds: (m, fields) with fields already encoded in m's order."""
    b = u8(RUN) + vmarg + vcpuarg + u8(len(rounds) - 1)
    for host, guest in rounds:
        b += host + guest
    return b


def first_run(img=0, off=0, pstate_idx=0):
    return u8(3) + u8(1) + u8(img) + u16(off) + u8(0) + u8(pstate_idx)


def answer_fault(pte_arg, level=3):  # fault_addr = the last fault's IPA
    return u8(8) + u8(1) + pte_arg + u8(level)


def no_answer():
    return u8(0)


# ---- the seeds ----------------------------------------------------------------

def seeds():
    s = {}
    good = IMG_GOOD
    s["boot-vm"] = config() + boot_vm()
    s["boot-two-vms"] = config() + boot_vm(block=1) + boot_vm(block=2)
    s["boot-straddling-image"] = config() + boot_vm(img=IMG_STRADDLE, block=3)
    s["boot-big-image"] = config() + boot_vm(img=IMG_BIG, block=2, nvcpus=8)
    s["boot-tiny-image"] = config(cpus=1) + boot_vm(img=IMG_TINY, block=4)
    s["untrusted-image"] = config() + boot_vm(img=IMG_UNTRUSTED)
    s["no-trusted-key"] = config(trusted=False) + boot_vm()

    # The boot protocol one hypercall at a time.
    manual = (config() + hvc("REGISTER_KVM") + hvc("REGISTER_VCPU", vm(1), vcpu(0)) +
              hvc("SET_BOOT_INFO", vm(1), gpa_img(good), size_img(good)) +
              host_write_image(img_page(1, good), good, 8192) +
              host_write_image(img_page(1, good, 2), good, 3 * 4096 + 196 - 8192,
                               off=8192))
    for i in range(4):
        manual += hvc("REMAP_VM_IMAGE", vm(1), img_page(1, good, i), idx(0))
    manual += (hvc("VERIFY_VM_IMAGES", vm(1)) + hvc("VCPU_ACTIVE", vm(1), vcpu(0)) +
               hvc("IS_INC_EXE", vm(1)) + query(vm(1), gpa_img(good)) +
               vm_access(vm(1), gpa_img(good), 4096))
    s["boot-by-hand"] = manual

    # Image attacks, one flag each.
    for name, flag in [("corrupt", LI_CORRUPT), ("skip-page", LI_SKIP),
                       ("wrong-pfn", LI_WRONG_PFN), ("extra-page", LI_EXTRA),
                       ("wrong-size", LI_SIZE), ("wrong-addr", LI_ADDR),
                       ("misplaced", LI_MISPLACE), ("not-written", LI_NO_WRITE)]:
        s["image-" + name] = (config() + hvc("REGISTER_KVM") +
                              load_image(vm(1), flags=flag | LI_VERIFY, aux=1))
    s["image-five-loads"] = config() + hvc("REGISTER_KVM") + b"".join(
        load_image(vm(1), img=IMG_TINY, block=1 + k, flags=0) for k in range(6))

    # Host attacks on memory that is not its own.
    s["host-writes-vm"] = (config() + boot_vm() +
                           host_write_zero(img_page(1, good), 64))
    s["host-reads-vm"] = config() + boot_vm() + host_read(img_page(1, good), 64)
    s["host-writes-core"] = config() + host_write_zero(core_page(3), 8)
    s["host-reads-mmio"] = config() + host_read(mmio(1), 8)
    # From RAM's last byte on into the core's region: the first page the
    # core has, the host's root table, gets the core's table descriptor
    # (low byte 0x03, the host's byte for it here) while the host's store
    # there faults; an oracle comparing page contents took it for the
    # host's. The input ends after two bytes: the rest reads as zeros.
    s["host-write-into-core-region"] = (
        config(cpus=1) + hvc("REGISTER_KVM") +
        hvc("REGISTER_VCPU", vm(1), vcpu(3)) +
        host_write_at(ram(RAM_PAGES - 1), 0xfff, 0x1200, b"\x00\x03"))

    # A VM's stage-2 faults, its grants, the host using them, revokes.
    shared_pages = (config() + boot_vm() +
                    vm_fault(vm(1), gpa_donor(0), pte_ram(100)) +
                    vm_fault(vm(1), gpa_donor(1), pte_ram(101)) +
                    grant(vm(1), gpa_donor(0), size_pages(2)) +
                    host_write_bytes(ram(100), b"shared") + host_read(ram(101), 16) +
                    revoke(vm(1), gpa_donor(0), size_pages(1)) +
                    host_read(ram(100), 16))
    s["grant-revoke"] = shared_pages
    s["vm-fault-block"] = (config() + hvc("REGISTER_KVM") +
                           vm_fault(vm(1), gpa_block(64), pte_block(5), level=2) +
                           vm_access(vm(1), gpa_block(64), 64, write=True))
    s["vm-fault-taken-page"] = (config() + boot_vm() +
                                vm_fault(vm_next(), gpa_donor(0), pte_ram(100)) +
                                hvc("REGISTER_KVM") +
                                vm_fault(vm(2), gpa_donor(0), pte_ram(100)))
    s["pool-exhaustion"] = config(cpus=1) + hvc("REGISTER_KVM") + b"".join(
        vm_fault(vm(1), gpa_block(n), pte_ram(200 + n)) for n in range(30))
    s["vmid-exhaustion"] = config(cpus=1) + hvc("REGISTER_KVM") * 16

    # Power-off and reclaiming a VM's memory.
    s["poweroff-clear"] = (config() + boot_vm() +
                           vm_fault(vm(1), gpa_donor(0), pte_ram(100)) +
                           clear_range(vm(1), ram(0), size_pages(255)) +
                           poweroff(vm(1)) +
                           clear_range(vm(1), ram(0), u8(6) + u32(16 << 20)) +
                           host_read(img_page(1, good), 32) + host_read(ram(100), 32))
    s["vcpu-active-inactive"] = (config() + boot_vm(nvcpus=3) +
                                 hvc("VCPU_ACTIVE", vm(1), vcpu(1)) +
                                 vcpu_inactive(vm(1), vcpu(1)) +
                                 vcpu_inactive(vm(1), vcpu(1)))

    # SMMU context banks (emulated MmioOps) and the SMMU hypercalls.
    s["smmu"] = (config() + hvc("REGISTER_KVM") +
                 smmu_alloc(2, 1, vm(1)) +
                 smmu_lpae_map(2, 1, iova(0x300), ram(0x300)) +
                 smmu_iova_to_phys(2, 1, iova(0x300)) +
                 vm_fault(vm(1), raw64(0x300000), pte_ram(0x300)) +
                 smmu_clear(2, 1, iova(0x300)) + smmu_alloc(3, 1, vm(1)) +
                 poweroff(vm(1)) + smmu_free(2, 1) +
                 smmu_alloc(0, 0, vm_host()) +
                 smmu_lpae_map(0, 0, iova(0x301), ram(0x301)))
    s["smmu-verified"] = (config() + hvc("REGISTER_KVM") + smmu_alloc(1, 0, vm(1)) +
                          smmu_assign(1, 0, ram(0x100), u8(0) + u16(0x10)) +
                          load_image(vm(1)) + smmu_clear(1, 0, iova(0x10)))
    s["smmu-still-on"] = (config() + hvc("REGISTER_KVM") + smmu_alloc(4, 0, vm(1)) +
                          smmu_free(4, 0))
    s["smmu-hvcs"] = (config() + hvc("REGISTER_KVM") +
                      hvc("SMMU_ALLOC_PGD", cb(1), vm(1), smmu(0)) +
                      hvc("SMMU_LPAE_MAP", iova(5), ram(5), prot_ram(), cb(1), smmu(0)) +
                      hvc("SMMU_LPAE_IOVA_TO_PHYS", iova(5), cb(1), smmu(0)) +
                      hvc("SMMU_CLEAR", iova(5), cb(1), smmu(0)) +
                      hvc("SMMU_FREE_PGD", cb(1), smmu(0)) +
                      hvc("ASSIGN_SMMU", vm(1), ram(6), u8(0) + u16(6)))

    # Sealing pages and vCPUs, with and without tampering.
    # A READY VM's page (from a stage-2 fault) sealed for the host and
    # opened again, as is, tampered with, moved, or for another VM.
    ready_page = (config() + hvc("REGISTER_KVM") + hvc("REGISTER_KVM") +
                  vm_fault(vm(1), gpa_donor(0), pte_ram(100)))
    s["seal-page"] = ready_page + seal_page(vm(1), ram(100), ram(40))
    s["seal-page-tampered-hdr"] = ready_page + seal_page(
        vm(1), ram(100), ram(40), tamper=4100)
    s["seal-page-tampered-data"] = ready_page + seal_page(
        vm(1), ram(100), ram(40), tamper=100)
    s["seal-page-moved"] = ready_page + seal_page(
        vm(1), ram(100), ram(40), move_to=ram(60))
    s["seal-page-other-vm"] = ready_page + seal_page(
        vm(1), ram(100), ram(40), vm2=vm(2))
    s["seal-verified-page"] = (config() + boot_vm() + hvc("REGISTER_KVM") +
                               seal_page(vm(1), img_page(1, good), ram(40),
                                         vm2=vm(2)))
    s["seal-vcpu"] = (config() + hvc("REGISTER_KVM") +
                      hvc("REGISTER_VCPU", vm(1), vcpu(2)) + seal_vcpu(vm(1), vcpu(2)) +
                      hvc("IS_INC_EXE", vm(1)))
    s["seal-vcpu-tampered"] = (config() + hvc("REGISTER_KVM") +
                               hvc("REGISTER_VCPU", vm(1), vcpu(2)) +
                               seal_vcpu(vm(1), vcpu(2), tamper=70))
    s["seal-vcpu-other"] = (config() + hvc("REGISTER_KVM") + hvc("REGISTER_KVM") +
                            hvc("REGISTER_VCPU", vm(1), vcpu(0)) +
                            hvc("REGISTER_VCPU", vm(2), vcpu(0)) +
                            seal_vcpu(vm(1), vcpu(0), vm2=vm(2)))

    # A whole-VM snapshot: begun on a booted VM, a few pages sealed into
    # host pages (some of them the VM's own: refused), its end refused
    # before every page; a restore into a second VM from host bytes.
    snap = (config() + boot_vm(block=1) + boot_vm(block=2, activate=False) +
            hvc("SNAPSHOT_BEGIN", vm(1)))
    for k in range(4):
        snap += hvc("SNAPSHOT_PAGE", vm(1), ram(200 + 2 * k))
    s["snapshot-pages"] = snap + hvc("SNAPSHOT_END", vm(1), ram(220))
    s["snapshot-restore-forged"] = (snap + hvc("RESTORE_BEGIN", vm(2), ram(202)) +
                                    hvc("RESTORE_PAGE", vm(2), ram(200)) +
                                    hvc("BOOT_FROM_SAVED_VM", vm(2)))

    # Device memory for a VM.
    s["map-io"] = (config() + hvc("REGISTER_KVM") +
                   hvc("MAP_IO", vm(1), gpa_lin(0x9000), mmio(2)) +
                   ioremap(vm(1), gpa_lin(0xa000), mmio(4), 3) +
                   hvc("MAP_IO", vm(1), gpa_lin(0x9001), ram(7)) +
                   hvc("PHYS_ADDR_IOREMAP", vm(1), gpa_lin(1), mmio(9), size_pages(1)))

    # Several CPUs taking turns.
    s["cpus"] = (config() + set_cpu(1) + boot_vm() + set_cpu(3) +
                 hvc("REGISTER_KVM") + set_cpu(2) +
                 seal_vcpu(vm(1), vcpu(1)) + set_cpu(0) + hvc("NOOP") +
                 smmu_free(3, 1))

    # The host programs the SMMUs' registers (emulated by the core).
    s["smmu-registers"] = (config() + hvc("REGISTER_KVM") +
                           mmio_read(0, REG_SCR0, 0) +
                           mmio_write(0, REG_CBAR, 1, cbar_value(vm(1))) +
                           hvc("SMMU_ALLOC_PGD", cb(1), vm(1), smmu(0)) +
                           mmio_write(0, REG_CBAR, 1, cbar_value(vm(1))) +
                           mmio_write(0, REG_TTBR0, 1, u8(1) + ram(5), 8) +
                           mmio_read(0, REG_TTBR0, 1) +
                           mmio_write(1, REG_CBAR, 2, cbar_value(vm_host(), 1)) +
                           mmio_write(0, REG_SCTLR, 1, u8(2) + u8(1)))

    # A VM's device: DMA through its bank, and after the VM is gone.
    dev = (config() + hvc("REGISTER_KVM") +
           hvc("SMMU_ALLOC_PGD", cb(2), vm(1), smmu(0)) +
           mmio_write(0, REG_TTBR0, 2, u8(1) + ram(5), 8) +
           hvc("SMMU_LPAE_MAP", iova(0x300), ram(0x300), prot_ram(), cb(2), smmu(0)) +
           dma(0, 2, iova(0x300), 64, write=True) +
           dma(0, 2, iova(0x301), 64))
    s["dma"] = dev
    s["dma-after-poweroff"] = (dev + poweroff(vm(1)) +
                               hvc("CLEAR_VM_S2_RANGE", vm(1), ram(0),
                                   u8(6) + u32(16 << 20)) +
                               hvc("REGISTER_KVM") +
                               vm_fault(vm(2), gpa_donor(0), pte_ram(0x300)) +
                               dma(0, 2, iova(0x300), 64, write=True))
    s["dma-after-free"] = (dev + poweroff(vm(1)) +
                           hvc("SMMU_FREE_PGD", cb(2), smmu(0)) +
                           hvc("CLEAR_VM_S2_RANGE", vm(1), ram(0),
                               u8(6) + u32(16 << 20)) +
                           dma(0, 2, iova(0x300), 64, write=True))

    # A VM runs: first run, a RAM fault answered with a host page, MMIO,
    # a share of its page with the host, WFI, power-off.
    s["vcpu-run"] = (config() + boot_vm(nvcpus=2, activate=False) +
                     run(vm(1), vcpu(0),
                         (first_run(), g_store(g_ipa_img(0, 8)) +
                          g_load(g_ipa_donor(3))),
                         (answer_fault(pte_ram(0x100)),
                          g_load(g_ipa_donor(3)) + g_load(g_ipa_mmio(0x9000000))),
                         (no_answer(), g_hvc(GFN_SHARE, g_ipa_donor(3), small_pages(1))),
                         (no_answer(), g_wfi())) +
                     host_read(ram(0x100), 64) +
                     run(vm(1), vcpu(0),
                         (no_answer(), g_hvc(GFN_UNSHARE, g_ipa_donor(3),
                                             small_pages(1))),
                         (no_answer(), g_hvc(GFN_SYSTEM_OFF, g_ipa_donor(0),
                                             small_pages(0)))))
    s["guest-share-huge"] = (config() + boot_vm(nvcpus=1, activate=False) +
                             run(vm(1), vcpu(0),
                                 (first_run(), g_hvc(GFN_SHARE, g_ipa_img(0),
                                                     raw64(0xffffffffff)))))
    s["vcpu-run-bad-answer"] = (config() + boot_vm(nvcpus=1, activate=False) +
                                run(vm(1), vcpu(0),
                                    (first_run(), g_load(g_ipa_donor(3))),
                                    (answer_fault(img_page(1, good)), g_irq())))
    s["vcpu-run-bad-pc"] = (config() + boot_vm(nvcpus=1, activate=False) +
                            run(vm(1), vcpu(0), (u8(3) + u8(0) + raw64(0x1000) +
                                                 u8(0) + u8(0), g_irq())))
    s["vcpu-run-cpu-on"] = (config() + boot_vm(nvcpus=2, activate=False) +
                            run(vm(1), vcpu(0),
                                (first_run(), g_hvc(GFN_CPU_ON, g_ipa_img(0),
                                                    small_pages(0)))) +
                            run(vm(1), vcpu(1), (first_run(off=4), g_wfi())))

    # Every hypercall once with a hostile argument, and unknown numbers.
    hostile_args = {
        "ENABLE_S2_TRANS": [raw64(1 << 63)],
        "TIMER_SET_CNTVOFF": [raw64(-1), raw64(0)],
        "VCPU_RUN": [vm(1), hostile(B_VCPU_PER_VM)],
        "CLEAR_VM_S2_RANGE": [vm(1), hostile(B_ADDR_SPACE), size_pages(1)],
        "SET_BOOT_INFO": [vm(1), hostile(B_PHYS_SIZE), size_pages(1)],
        "REMAP_VM_IMAGE": [vm(1), hostile(B_PFN_SPACE), idx(0)],
        "VERIFY_VM_IMAGES": [hostile(B_COREVISOR)],
        "REGISTER_KVM": [],
        "REGISTER_VCPU": [vm(1), hostile(B_VCPU_PER_VM)],
        "BOOT_FROM_SAVED_VM": [vm(1)],
        "ENCRYPT_BUF": [vm(1), hostile(B_PHYS_SIZE), ram(1)],
        "DECRYPT_BUF": [vm(1), hostile(B_INVALID64)],
        "SAVE_CRYPT_VCPU": [vm(1), hostile(B_INVALID)],
        "SMMU_FREE_PGD": [hostile(B_VCPU_PER_VM), smmu(0)],
        "SMMU_ALLOC_PGD": [cb(0), hostile(B_COREVISOR), smmu(0)],
        "SMMU_LPAE_MAP": [iova(1), ram(1), hostile(B_TOP_BIT), cb(0), smmu(0)],
        "SMMU_LPAE_IOVA_TO_PHYS": [hostile(B_PHYS_SIZE), cb(0), smmu(0)],
        "SMMU_CLEAR": [iova(1), cb(0), hostile(B_MAX_LOAD)],
        "PHYS_ADDR_IOREMAP": [vm(1), gpa_lin(0), hostile(B_PHYS_SIZE), size_pages(1)],
        "LOAD_CRYPT_VCPU": [hostile(B_INVALID), vcpu(0)],
        "IS_INC_EXE": [hostile(B_COREVISOR)],
        "MAP_IO": [vm(1), hostile(B_ADDR_SPACE), mmio(1)],
        "ASSIGN_SMMU": [vm(1), ram(1), hostile(B_GFN_SPACE)],
        "VCPU_ACTIVE": [vm(1), vcpu(0)],
        "NOOP": [],
        "RAW": [u8(0) + u8(63), raw64(1), raw64(2), raw64(3), raw64(4), raw64(5)],
        "GET_SHARED_BASE": [],
        "SNAPSHOT_BEGIN": [hostile(B_COREVISOR)],
        "SNAPSHOT_PAGE": [vm(1), hostile(B_PHYS_SIZE)],
        "SNAPSHOT_VCPU": [vm(1), hostile(B_VCPU_PER_VM), ram(40)],
        "SNAPSHOT_END": [vm(1), hostile(B_PHYS_SIZE)],
        "RESTORE_BEGIN": [vm(1), hostile(B_INVALID64)],
        "RESTORE_PAGE": [hostile(B_COREVISOR), ram(40)],
        "RESTORE_VCPU": [vm(1), vcpu(0), hostile(B_PHYS_SIZE)],
    }
    for name, args in hostile_args.items():
        s["hvc-%02d-%s" % (H[name], name.lower().replace("_", "-"))] = (
            config(cpus=2) + hvc("REGISTER_KVM") + hvc(name, *args))
    return s


# Reproducers of core bugs this harness found (fuzz_hvc.c, known_issue):
# `make fuzz-known` runs them with CV_FUZZ_STRICT=1. None is open: the
# fixed ones (dma-after-poweroff, guest-share-huge) stay seeds only.
KNOWN = []


def write(out, seeds_):
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith(".bin"):
            os.remove(os.path.join(out, f))
    for name, data in sorted(seeds_.items()):
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    s = seeds()
    write(out, s)
    known = os.path.join(os.path.dirname(os.path.abspath(out)), "known")
    write(known, {k: s[k] for k in KNOWN})
    print("gen_corpus: %d seeds in %s, %d known-bug reproducers in %s" %
          (len(s), out, len(KNOWN), known))


if __name__ == "__main__":
    main()
