# SPDX-License-Identifier: MIT
"""
An executable model of corevisor's spec (../shared/spec), written from the
Coq text and independently of the C: the high-level `_spec` behaviour of
BootOps, BootAux, BootCore, VMPower, MemoryOps, MemManager, PageManager,
NPTOps, MmioSPTOps, MemHandler (clear_vm_stage2_range,
kvm_phys_addr_ioremap, timer_set_cntvoff) and TrapDispatcher
(host_hvc_dispatcher), and the AbstractMachine getters, setters and locks
they use. One method per spec function, same names, same branches. Where
a spec's `_spec0` (its decomposition into calls to the layer below) reads
more plainly than the inlined `_spec`, the method follows `_spec0`: the two
are proven equal.

Conventions
 - `self.panic(reason)` is panic_spec: it sets halt. After it the caller
   returns at once; every entry starts with `if self.halt: return 0`
   (check_spec), so after a halt every call is a no-op returning 0.
 - The spec as written, plus the deltas applied (Model(deltas=...)): each
   of corevisor's strengthenings (DELTAS below, docs/spec-deviations.md)
   is a switch. Where a delta's condition holds the model counts it
   (`fired`), applied or not: that is where the C and the spec as written
   part ways. The runner compares the C with both.
 - A `rely` on an argument the host controls: the spec's behaviour is
   undefined when it fails; corevisor panics (delta C2). A rely on state is
   an invariant and is asserted.
 - Descriptors are corevisor's real encodings (core/include/cv/pte.h), not
   the spec's placeholder values (PAGE_S2_KERNEL, PAGE_HYP, ...).
 - Page contents (the spec's data oracles) are concrete: `contents` holds
   the bytes of every page that is not all zero; the host's stores (the
   runner), clear_phys_page and the image-block zeroing change them.
   Whether an image verifies is the oracle `verify_img` (the runner checks
   the model's bytes with libsodium).
 - Shadow contexts: each VM vCPU's registers the model has set
   (set_shadow_ctxt), the rest zero.

The spec README's corrections (S1..S5, always applied) and the deltas
(C1..C29, C35..C52, P1) are listed in SPEC_CORRECTIONS and DELTAS below; each delta's
text is in docs/spec-deviations.md. corevisor's extensions for the VM
lifecycle (L1..L4, EXTENSIONS below) are always applied: the spec has no
destroy, so the spec as written cannot differ there. So are the guest
platform's extensions (G1, G2: calls and image flags the spec lacks).
 L1 gen_vmid takes the lowest free vmid (vmids are freed by destroy_vm);
    next_vmid is that vmid (COREVISOR when none is free).
 L2 alloc_remap_addr is first fit over the remap area's pages (freed by
    destroy_vm): the lowest run of @pgnum free pages that ends before the
    area's last page; 0 pages: the lowest free page. next_remap_ptr is
    the lowest free page. With nothing freed, L1 and L2 are the spec's
    bump pointers.
 L3 destroy_vm(vmid, flags) (corevisor's DESTROY_VM): a vmid that is not
    a VM or flags other than FORCE (1) panic; a free vmid returns 3, a VM
    with an ACTIVE vCPU 1, a VM not POWEROFF without FORCE 2, nothing
    changed. Otherwise (POWEROFF first if forced) every page the VM owns
    goes to the host as clear_vm_page gives it, the VM's table is empty
    (its pool cursors reset), the core's table no longer maps its remapped
    image pages, its remap pages and its vmid are free, its VMInfo is as
    at boot; returns 0. (SMMU bank owners, contexts and lineages are not
    modelled; the unit tests cover them.)
 L4 init_spt (clear_smmu_pt): the bank's level-2 and level-3 tables go
    back to the SMMU pool (free lists, used again first): the pool's use
    drops by the bank's tables.
 L5 Snapshot and restore (HVC 37..43 and BOOT_FROM_SAVED_VM 19, through
    host_hvc_dispatcher): the dispatcher's argument checks (panic); a
    VERIFIED or POWEROFF VM that was verified and runs no vCPU starts a
    snapshot (else 16), which a vCPU's run makes stale (the next call
    answers 17 and ends it) and a reclaim (clear_vm_stage2_range) or
    assign_smmu ends; its vCPUs and its end before every page is sealed
    answer 22; RESTORE_BEGIN into a VERIFIED VM that never ran reads the
    manifest's page (not the host's: panic) and refuses bytes that are no
    manifest (20); the other calls without their session answer 16. The
    sealing itself (SNAPSHOT_PAGE writing a blob, a manifest that opens)
    is not modelled: the runner calls SNAPSHOT_PAGE only where it is
    refused; tests/unit/test_snapshot.c covers the rest.
 G1 set_vm_region (HVC_SET_VM_REGION, corevisor's own call): a READY
    VM's memory map, region by region: kind RAM or MMIO, base and size
    page aligned, size > 0, below 2^pa_bits, each above the last, at most
    CV_MAX_VM_REGIONS; else panic. verify_and_load_images: with a map,
    every image's 2 MiB blocks lie in one RAM region, else panic (before
    any image is loaded). (Its use by the vCPU fault paths and in the
    measurement is not modelled: neither is VCPU_RUN or sealing.)
 G2 Image flag CV_IMAGE_FLAG_BOOT_ARG (2): a data image whose load
    address vCPU 0 starts with in x0; known (not "unknown flags"), refused
    together with CV_IMAGE_FLAG_BOOT; at most one per VM, else panic
    (after the boot-image check). Where vCPU 0 starts is not modelled.

The sealing calls save/load_encrypted_vcpu, save_encrypt_buf,
load_decrypt_buf (BootOps, core/boot/seal.c) are modelled with their
binding (core/boot/lineage.c): their strengthenings are deltas C17..C22;
the model's own extensions E1 (the spec's encrypt/decrypt oracles are
XChaCha20-Poly1305 blobs the model seals and opens itself, through
libsodium) and E2 (the binding's bookkeeping: measurement, lineage slots,
instances, epochs) always apply.

The SMMU group is modelled: MmioOps (el2_alloc/free_smmu_pgd,
smmu_assign_page, smmu_map_page, el2_arm_lpae_clear/iova_to_phys, with
each context bank's owner), MmioRaw's smmu_init_pte, MemHandler's
el2_arm_lpae_map, and the host's SMMU register accesses
(handle_host_stage2_fault on an SMMU page: emulate_mmio,
handle_host_mmio, handle_smmu_write/read, handle_smmu_global_access,
handle_smmu_cb_access; host_smmu_access) with the registers the host may
write; and a device's DMA through a bank (dma). Deltas C23..C29.

The vCPU and trap layers (VCPUOps, VCPUOpsAux, CtxtSwitch, TrapHandler,
TrapDispatcher's vm_exit_dispatcher, FaultHandler's core_handle_pvops:
VCPU_RUN with a simulated guest) are vcpu_model.VcpuTrap, mixed in;
deltas C35..C52, extensions X1..X3. Not modelled (yet): the vGIC's
injections and timers; handle_host_stage2_fault only on SMMU pages.
"""

import copy
import hashlib
import struct

from constants import *  # noqa: F401,F403  (spec constants and pte encodings)
import constants as K
from vcpu_model import VcpuTrap

# The spec README's own corrections ("the spec wins"): part of the spec
# as written, always applied.
SPEC_CORRECTIONS = [
    "S1 register_vcpu: VM READY and vCPU UNUSED",
    "S2 load_encrypted_vcpu: VM and vCPU READY",
    "S3 load_decrypt_buf: owner HOSTVISOR, count reset to 0",
    "S4 verify_image: real Ed25519 verification (oracle)",
    "S5 assign_smmu: _spec0 (panic iff VERIFIED), not the inlined _spec",
]

# corevisor's VM-lifecycle extensions (docs/spec-deviations.md, "VM
# lifecycle"), always applied (the spec frees no vmid, remap page or VM).
EXTENSIONS = [
    "L1 gen_vmid: the lowest free vmid",
    "L2 alloc_remap_addr: first fit over the remap pages",
    "L3 destroy_vm: a dead VM's pages, table, remap space and vmid freed",
    "L4 init_spt: the bank's SMMU tables go back to the pool",
    "G1 set_vm_region: a checked per-VM memory map; images in its RAM",
    "G2 verify_and_load_images: image flag BOOT_ARG, at most one, never on the boot image",
    "E1 the sealing oracles are XChaCha20-Poly1305 under the boot key (encrypt_mem_buf, "
    "decrypt_*: the model seals and opens the blobs itself)",
    "E2 the binding's bookkeeping: each VM's measurement, lineage slots, instances, epochs",
    "L5 snapshot and restore calls: their checks, sessions and refusals",
    "X1 the run structure: the spec's intermediate state as bytes in the vCPU's shared page",
    "X2 vCPU power states: a vCPU starts where its image or its guest's CPU_ON says, "
    "is off until then and after CPU_OFF",
    "X3 the vGIC and timers as the runner drives them (reset at a start; no injection, "
    "no timer armed)",
]

# corevisor's strengthenings of the spec (docs/spec-deviations.md), each
# a switch: Model(deltas=...) applies the listed ones. Where a delta's
# condition holds the model counts it (Model.fired) whether or not it is
# applied: that is where the C and the spec as written part ways.
DELTAS = [
    ("C1", "unmap_and_load_vm_image: load address page aligned, remapped pages contiguous"),
    ("C2", "exported functions check their arguments (panic), the spec's relies included"),
    ("C3", "host pages have gfn INVALID64, not pfn + SMMU_HOST_OFFSET"),
    ("C4", "count INVALID is not a share (map_page_host, revoke_vm_page)"),
    ("C5", "remap_vm_image: pfn must be region memory"),
    ("C6", "host RAM in 2 MiB blocks, split before a page leaves; host pool from the memory map"),
    ("C7", "map_page_host: addresses below the PA size (pa_bits), not 40 bits"),
    ("C8", "map_pfn_vm / prot_and_map_vm_s2pt: never swap a mapped page"),
    ("C9", "unmap_and_load_vm_image: a block never replaces other pages"),
    ("C10", "unmap_and_load_vm_image: the VM's block pages leave every SMMU table"),
    ("C11", "verify_and_load_images: at most one boot image"),
    ("C12", "verify_and_load_images: image block bytes no image covers are zeroed"),
    ("C13", "clear_vm_stage2_range: no vCPU of the VM still ACTIVE"),
    ("C14", "host_hvc_dispatcher also serves IS_INC_EXE, MAP_IO, ASSIGN_SMMU"),
    ("C15", "host_hvc_dispatcher: x0 = 0 after a call without a result, INVALID64 "
     "for a number it does not serve"),
    ("C16", "verify_and_load_images: vCPU 0 set to start at the boot image's signed entry"),
    ("C17", "save_encrypted_vcpu seals the vCPU into its shared page (the spec's "
     "encrypt_gp/sys_regs change nothing): vCPU READY, the page the host's memory "
     "(load_encrypted_vcpu too)"),
    ("C18", "sealed state is bound to the VM's lineage (measurement, instance, epoch): "
     "refused otherwise when sealed, restored and verified"),
    ("C19", "sealed blobs are authenticated: a header that is not one, or a blob "
     "that does not open, panics (the spec's decrypt takes any bytes)"),
    ("C20", "save_encrypt_buf writes the blob's header to outbuf + 4 KiB, the host's "
     "page; load_decrypt_buf: inbuf + 4 KiB the host's, the page's count 0"),
    ("C21", "load_decrypt_buf: the page's gfn is the sealed one (the spec's INVALID64)"),
    ("C22", "load_encrypted_vcpu sets inc_exe (the spec's set_vm_inc_exe writes "
     "vm_next_load_info)"),
    ("C23", "el2_free_smmu_pgd empties the bank's table (the spec leaves it mapping)"),
    ("C24", "smmu_init_pte drops the contiguous hint (bit 52)"),
    ("C25", "clear_vm_page takes the page out of the VM's SMMU banks first"),
    ("C26", "SMMU global registers: every 32-bit word checked, CBAR(0) too; sCR0 "
     "without CLIENTPD or VMID16EN and with USFCFG; S2CR never bypass; a host bank's "
     "CBAR stage 2 with VMID 0; CBA2R VA64"),
    ("C27", "a 4-byte SMMU register write stores the host's data (the spec's stores 0)"),
    ("C28", "SMMU context bank registers: every word checked, TTBR0's high half and "
     "TTBR1 replaced, SCTLR keeps M, TCR the core's geometry"),
    ("C29", "SMMU accesses: no syndrome or unaligned panics; TTBR0 reads hide the "
     "core's table address"),
    ("C35", "vm_exit_dispatcher: WFx, HVC32, SMC64 and the aborts go to the host "
     "(the spec panics on every class but SYS64 and HVC64)"),
    ("C36", "vm_exit_dispatcher: any other class is the guest's undefined instruction "
     "(the spec panics)"),
    ("C37", "vm_exit_handler: an SError powers the VM off, an illegal exception return "
     "is the guest's Illegal Execution state exception (the spec panics)"),
    ("C38", "core_handle_pvops: x0 = 0 after SHARE/UNSHARE; a range beyond 2^48 is "
     "refused with INVALID_PARAMETER"),
    ("C39", "core_handle_sys64: a trapped read returns 0 (RAZ/WI)"),
    ("C40", "set_shadow_dirty_bit ORs a value into the dirty set (the spec replaces it: "
     "an MMIO load would lose its PC step)"),
    ("C41", "prep_abort: an MMIO store shows only the bytes it stores, nothing for the "
     "zero register; SMC64 is handled as HVC with a PC step"),
    ("C42", "prep_abort: MMIO is a data abort with a syndrome in an MMIO region of the "
     "VM's memory map; without a syndrome the guest gets an exception"),
    ("C43", "a stage-2 abort may be answered \"nothing is here\" (run->abort, "
     "DIRTY_ABORT_FLAG); an IPA the VM's map has nothing at is the guest's external abort"),
    ("C44", "sync_dirty_to_shadow: an MMIO load's register gets the value as the load "
     "extends it"),
    ("C45", "prep_hvc: CPU_ON (both conventions) records the start in the core and shows "
     "x1 only; CPU_OFF turns the vCPU off"),
    ("C46", "restore_shadow_kvm_regs: the PC steps by the trapped instruction's length "
     "and wraps (the spec: +4, rely pc < 2^48)"),
    ("C47", "reset_gp_regs: the start is the core's (entry, context id, EL1h DAIF "
     "masked), SP, SP_EL1, ELR_EL1, SPSR_EL1 and the timer cleared (the spec: the "
     "host's PC in a loaded image, the host's PSTATE)"),
    ("C48", "reset_sys_regs runs over the system registers (the spec's loop writes "
     "X1..X24)"),
    ("C49", "update_exception_gp_regs takes the exception as the architecture does "
     "(VBAR_EL1 + vector, SPSR_EL1, ESR_EL1 with IL, PSTATE)"),
    ("C50", "restore_vm: a READY vCPU of a powered-off VM is not run "
     "(CV_EXIT_POWERED_OFF; the spec's set_vcpu_active panics)"),
    ("C51", "restore_shadow_kvm_regs: an abort answer other than NONE or INJECT panics"),
    ("C52", "post_handle_shadow_s2pt_fault: only in the RAM of the VM's memory map"),
    ("P1", "register_vcpu pins the vCPU's shared page (the host's memory); "
     "assign_pfn_to_vm / assign_pfn_to_smmu refuse a pinned page; destroy_vm unpins"),
]
DELTA_NAMES = [d for d, _ in DELTAS]
STRENGTHENINGS = SPEC_CORRECTIONS + EXTENSIONS + ["%s %s" % d for d in DELTAS]

MASK64 = (1 << 64) - 1
ZERO_PAGE = bytes(4096)

# L5: snapshot sessions and the calls' answers (include/corevisor/abi.h).
SNAP_NONE, SNAP_SAVING, SNAP_RESTORING = 0, 1, 2
CV_SNAP_OK, CV_SNAP_DONE = 0, 2
CV_SNAP_REFUSED_STATE, CV_SNAP_REFUSED_STALE = 16, 17
CV_SNAP_REFUSED_FORGED, CV_SNAP_REFUSED_ORDER = 20, 22


def page_hash(data):
    """BLAKE2b-64 of a page's bytes, little-endian (cv_dump_page_hashes)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


ZERO_HASH = page_hash(ZERO_PAGE)


def mix64(x):
    """splitmix64 finaliser: the per-leaf hash shared with cv_dump.c."""
    x &= MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def leaf_hash(gfn, level, pte):
    return mix64(mix64(gfn) ^ (level << 60) ^ mix64(pte ^ 0x5bd1e995))


# E1, E2: sealed blobs (include/corevisor/sealed.h) and the binding
# (core/boot/lineage.c, docs/image-format.md "Binding").
SEALED_VERSION = 2
SEALED_AD = 80  # the header's bytes bound as associated data
SEALED_HDR = 120
PAGE_MAGIC = b"CVSEALPG"
VCPU_MAGIC = b"CVSEALVC"
MEASURE_DOMAIN = "corevisor VM measurement v1"
INSTANCE_DOMAIN = "corevisor VM instance v1"


def domain32(s):
    return s.encode().ljust(32, b"\0")


def bind_bytes(bind):
    meas, inst, epoch = bind
    return meas + inst + struct.pack("<Q", epoch)


def parse_bind(b):
    return (b[:32], b[32:48], struct.unpack("<Q", b[48:56])[0])


def words_le(b):
    return list(struct.unpack("<%dQ" % (len(b) // 8), b))


def measure(info, facts):
    """E2 measure_vm: SHA-256 over a domain, one record per image (its
    SHA-512 digest of signed header and payload) sorted by load address
    then digest, then one per region of the VM's memory map in order."""
    order = sorted(range(len(facts)), key=lambda i: (info.load_addr[i], facts[i][0]))
    h = hashlib.sha256(domain32(MEASURE_DOMAIN))
    for i in order:
        h.update(struct.pack("<II", 1, 64) + facts[i][0])
    for k in range(min(info.nregions, CV_MAX_VM_REGIONS)):
        h.update(struct.pack("<II", 2, 24) + struct.pack(
            "<QQQ", info.region_base[k], info.region_size[k], info.region_kind[k]))
    return h.digest()


class Sealer:
    """E1: the AEAD the core seals with (XChaCha20-Poly1305-IETF,
    detached tag) under the boot key, with the boot's nonce salt."""

    def __init__(self, sodium, key, salt):
        self.sodium, self.key, self.salt = sodium, key, salt

    def seal(self, msg, ad, nonce):
        return self.sodium.aead_seal(msg, ad, nonce, self.key)

    def open(self, ct, tag, ad, nonce):
        return self.sodium.aead_open(ct, tag, ad, nonce, self.key)


def phys_page(pte):
    return pte & PTE_ADDR_MASK


def shared(count):
    """C4: a share count that says "mapped elsewhere" (INVALID is not)."""
    return count > 0 and count != INVALID


# ---------------------------------------------------------------------------
# Abstract page tables: the spec's `pt` map of an NPT and `spt_pt` of the SPT.
# ---------------------------------------------------------------------------


class NPT:
    """One principal's stage-2 table as the spec sees it: gfn -> (pfn,
    level, pte), plus which intermediate tables exist (pgd_t, pud_t, pmd_t)
    and how many pages of each pool level are used (pt_*_next).

    A level-2 leaf covers 512 gfns; it is kept once (blocks) and expanded
    by get(), which is what the spec's 512 ZMap.set of local_mmap_loop
    amount to."""

    __slots__ = ("pages", "blocks", "pgd_t", "pud_t", "pmd_t", "pgd_used",
                 "pud_used", "pmd_used", "fp")

    def __init__(self):
        self.pages = {}  # gfn -> pte of a level-3 entry
        self.blocks = {}  # gfn (multiple of 512) -> pte of a level-2 entry
        self.pgd_t = set()  # pgd_index with a level-1 table
        self.pud_t = set()  # (pgd, pud) with a level-2 table
        self.pmd_t = set()  # (pgd, pud, pmd) with a level-3 table
        self.pgd_used = self.pud_used = self.pmd_used = 0
        self.fp = 0  # sum of leaf_hash over leaves, mod 2^64

    def get(self, gfn):
        """The spec's `gfn @ (pt npt)`: (pfn, level, pte), (0, 0, 0) if none."""
        base = gfn & ~511
        pte = self.blocks.get(base)
        if pte is not None:
            return (phys_page(pte) // PAGE_SIZE + (gfn - base), 2, pte)
        pte = self.pages.get(gfn)
        if pte is not None:
            return (phys_page(pte) // PAGE_SIZE, 3, pte)
        return (0, 0, 0)

    def leaves(self):
        """(gfn, level, pte) of every leaf, as cv_dump reports them."""
        out = [(g, 3, p) for g, p in self.pages.items()]
        out += [(g, 2, p) for g, p in self.blocks.items()]
        return sorted(out)

    def copy(self):
        n = NPT()
        n.pages = dict(self.pages)
        n.blocks = dict(self.blocks)
        n.pgd_t, n.pud_t, n.pmd_t = set(self.pgd_t), set(self.pud_t), set(self.pmd_t)
        n.pgd_used, n.pud_used, n.pmd_used = self.pgd_used, self.pud_used, self.pmd_used
        n.fp = self.fp
        return n


def pgd_index(addr):
    return (addr >> 39) & 511


def pud_index(addr):
    return (addr >> 30) & 511


def pmd_index(addr):
    return (addr >> 21) & 511


def stage2_pgd_index(addr):
    return (addr >> 30) & 1023


def split_block(geom, npt, gfn, leaving_pte):
    """C6: the level-2 leaf over @gfn becomes a level-3 table of the same
    512 pages with the block's attributes, page @gfn itself @leaving_pte.
    Returns halt' (True when the pool has no level-3 table left)."""
    base = gfn & ~511
    pte = npt.blocks[base]
    if npt.pmd_used + 1 > geom.pmd_pages:
        return True
    attrs = pte & ~(PTE_ADDR_MASK | PTE_TYPE_MASK)
    del npt.blocks[base]
    npt.fp = (npt.fp - leaf_hash(base, 2, pte)) & MASK64
    for i in range(512):
        new = (leaving_pte if base + i == gfn else
               (phys_page(pte) + i * PAGE_SIZE) | attrs | PTE_TYPE_TABLE)
        npt.pages[base + i] = new
        npt.fp = (npt.fp + leaf_hash(base + i, 3, new)) & MASK64
    addr = base * PAGE_SIZE
    npt.pmd_t.add((pgd_index(addr), pud_index(addr), pmd_index(addr)))
    npt.pmd_used += 1
    return False


def align_up(x, a):
    return (x + a - 1) // a * a


def spans_touched(regions, shift):
    """How many 2^shift-byte spans the (sorted, disjoint) regions touch."""
    count, prev = 0, None
    for base, size in regions:
        first, last = base >> shift, (base + size - 1) >> shift
        if prev is not None and first == prev:
            first += 1
        if last >= first:
            count += last - first + 1
        prev = last
    return count


def local_mmap(geom, vmid, addr, level, pte, npt):
    """NPTWalk local_mmap: map @addr at @level in @npt, allocating the
    missing tables from the principal's pool. Returns halt': True when a
    pool level is exhausted, "block" when a page would go inside a 2 MiB
    block, False otherwise."""
    pg, pu, pm = pgd_index(addr), pud_index(addr), pmd_index(addr)
    new_pgd = 0 if pg in npt.pgd_t else 1
    new_pud = 0 if (pg, pu) in npt.pud_t else 1
    if level == 2:
        assert pte & PTE_TYPE_MASK != PTE_TYPE_TABLE, "rely: block descriptor"
        gfn = addr // PAGE_SIZE // PTRS_PER_PMD * PTRS_PER_PMD
        if not (npt.pgd_used + new_pgd <= geom.pgd_pages
                and npt.pud_used + new_pud <= geom.pud_pages):
            return True
        for g in range(gfn, gfn + 512):  # local_mmap_loop over 512 entries
            old = npt.pages.pop(g, None)
            if old is not None:
                npt.fp = (npt.fp - leaf_hash(g, 3, old)) & MASK64
        old = npt.blocks.get(gfn)
        if old is not None:
            npt.fp = (npt.fp - leaf_hash(gfn, 2, old)) & MASK64
        npt.blocks[gfn] = pte
        npt.fp = (npt.fp + leaf_hash(gfn, 2, pte)) & MASK64
        npt.pgd_t.add(pg)
        npt.pud_t.add((pg, pu))
        npt.pmd_t.discard((pg, pu, pm))
        npt.pgd_used += new_pgd
        npt.pud_used += new_pud
        return False
    gfn = addr // PAGE_SIZE
    _pfn0, level0, _pte0 = npt.get(gfn)
    if level0 == 2:
        return "block"
    new_pmd = 0 if (pg, pu, pm) in npt.pmd_t else 1
    if not (npt.pgd_used + new_pgd <= geom.pgd_pages
            and npt.pud_used + new_pud <= geom.pud_pages
            and npt.pmd_used + new_pmd <= geom.pmd_pages):
        return True
    old = npt.pages.get(gfn)
    if old is not None:
        npt.fp = (npt.fp - leaf_hash(gfn, 3, old)) & MASK64
    npt.pages[gfn] = pte
    npt.fp = (npt.fp + leaf_hash(gfn, 3, pte)) & MASK64
    npt.pgd_t.add(pg)
    npt.pud_t.add((pg, pu))
    npt.pmd_t.add((pg, pu, pm))
    npt.pgd_used += new_pgd
    npt.pud_used += new_pud
    npt.pmd_used += new_pmd
    return False


class SPT:
    """The SMMU tables (spec SPT): per (index, cbndx) gfn -> pte (the spec's
    (pfn, pte) with pfn = phys_page pte / PAGE_SIZE), which level-2 and
    level-3 tables exist, and the shared pool's use."""

    __slots__ = ("pt", "pgd_t", "pmd_t", "pgd_used", "pmd_used", "fp")

    def __init__(self):
        keys = [(i, c) for i in range(SMMU_NUM) for c in range(SMMU_NUM_CTXT_BANKS)]
        self.pt = {k: {} for k in keys}
        self.pgd_t = {k: set() for k in keys}
        self.pmd_t = {k: set() for k in keys}
        self.fp = {k: 0 for k in keys}
        self.pgd_used = self.pmd_used = 0

    def copy(self):
        s = SPT()
        s.pt = {k: dict(v) for k, v in self.pt.items()}
        s.pgd_t = {k: set(v) for k, v in self.pgd_t.items()}
        s.pmd_t = {k: set(v) for k, v in self.pmd_t.items()}
        s.fp = dict(self.fp)
        s.pgd_used, s.pmd_used = self.pgd_used, self.pmd_used
        return s


def local_spt_map(geom, cbndx, index, addr, pte, spt):
    """MmioSPTWalk local_spt_map: set one SMMU entry (pte 0 unmaps),
    allocating missing tables. Returns halt' on pool exhaustion."""
    key = (index, cbndx)
    gfn = addr // PAGE_SIZE
    sp, pm = stage2_pgd_index(addr), pmd_index(addr)
    new_pgd = 0 if sp in spt.pgd_t[key] else 1
    new_pmd = 0 if (sp, pm) in spt.pmd_t[key] else 1
    if not (spt.pgd_used + new_pgd <= geom.smmu_pgd_pages
            and spt.pmd_used + new_pmd <= geom.smmu_pmd_pages):
        return True
    pt = spt.pt[key]
    old = pt.get(gfn)
    if old is not None:
        spt.fp[key] = (spt.fp[key] - leaf_hash(gfn, 3, old)) & MASK64
        del pt[gfn]
    if pte != 0:
        pt[gfn] = pte
        spt.fp[key] = (spt.fp[key] + leaf_hash(gfn, 3, pte)) & MASK64
    spt.pgd_t[key].add(sp)
    spt.pmd_t[key].add((sp, pm))
    spt.pgd_used += new_pgd
    spt.pmd_used += new_pmd
    return False


# ---------------------------------------------------------------------------
# VM info (StateInfo + BootInfo) and core data.
# ---------------------------------------------------------------------------


class VMInfo:
    __slots__ = ("kvm", "vcpu", "state", "vcpu_state", "power",
                 "next_load_info", "inc_exe", "load_addr", "load_size",
                 "remap_addr", "mapped_pages", "ctxt", "vcpu_power", "vcpu_entry",
                 "vcpu_context", "nregions", "region_kind", "region_base",
                 "region_size", "measurement", "lineage", "seal_pending",
                 "vcpu_restored", "has_run", "snap", "snap_stale", "snap_bind",
                 "exit_count", "run_shown", "run_eoi_shown", "run_pending_shown")

    def __init__(self):
        self.kvm = 0
        self.vcpu = [0] * VCPU_PER_VM
        self.state = UNUSED
        self.vcpu_state = [UNUSED] * VCPU_PER_VM
        self.power = 0
        self.next_load_info = 0
        self.inc_exe = 0
        self.load_addr = [0] * MAX_LOAD_INFO_NUM
        self.load_size = [0] * MAX_LOAD_INFO_NUM
        self.remap_addr = [0] * MAX_LOAD_INFO_NUM
        self.mapped_pages = [0] * MAX_LOAD_INFO_NUM
        self.ctxt = [{} for _ in range(VCPU_PER_VM)]  # shadow contexts: index -> value
        # C16: where each vCPU starts (vCPU ABI v2: VCPU_OFF, ON_PENDING, ON)
        self.vcpu_power = [VCPU_OFF] * VCPU_PER_VM
        self.vcpu_entry = [0] * VCPU_PER_VM
        self.vcpu_context = [0] * VCPU_PER_VM
        # G1: the VM's memory map
        self.nregions = 0
        self.region_kind = [0] * CV_MAX_VM_REGIONS
        self.region_base = [0] * CV_MAX_VM_REGIONS
        self.region_size = [0] * CV_MAX_VM_REGIONS
        # E2: what sealed state is bound to (not in flat(): seal_state)
        self.measurement = bytes(32)
        self.lineage = 0
        self.seal_pending = 0
        self.vcpu_restored = 0
        # L5: a vCPU of it ran, a snapshot in progress (SNAP_*) and whether a run made it stale.
        self.has_run = False
        self.snap = SNAP_NONE
        self.snap_stale = False
        self.snap_bind = None  # the binding SNAPSHOT_BEGIN sealed under
        # X1: each vCPU's exits so far and what its last exit left in its run structure
        self.exit_count = [0] * VCPU_PER_VM
        self.run_shown = [0] * VCPU_PER_VM
        self.run_eoi_shown = [16] * VCPU_PER_VM
        self.run_pending_shown = [16] * VCPU_PER_VM

    def flat(self):
        """The order cv_dump_vminfo writes them in."""
        return ([self.kvm] + self.vcpu + [self.state] + self.vcpu_state +
                [self.power, self.next_load_info, self.inc_exe] +
                self.load_addr + self.load_size + self.remap_addr +
                self.mapped_pages + [self.nregions] + self.region_kind +
                self.region_base + self.region_size)

    def copy(self):
        v = VMInfo()
        for f in self.__slots__:
            x = getattr(self, f)
            setattr(v, f, list(x) if isinstance(x, list) else x)
        v.ctxt = [dict(c) for c in self.ctxt]
        return v

    def ctxt_hash(self, vcpuid):
        """cv_dump_ctxt_hashes: the context's nonzero words, hashed."""
        h = 0
        for i, val in self.ctxt[vcpuid].items():
            if val:
                h += leaf_hash(i, 0, val)
        return h & MASK64


VMINFO_FIELDS = (["kvm"] + ["vcpu%d" % i for i in range(VCPU_PER_VM)] +
                 ["state"] + ["vcpu_state%d" % i for i in range(VCPU_PER_VM)] +
                 ["power", "next_load_info", "inc_exe"] +
                 ["%s%d" % (f, i) for f in ("load_addr", "load_size",
                                            "remap_addr", "mapped_pages")
                  for i in range(MAX_LOAD_INFO_NUM)] +
                 ["nregions"] +
                 ["%s%d" % (f, i) for f in ("region_kind", "region_base",
                                            "region_size")
                  for i in range(CV_MAX_VM_REGIONS)])


class Lineage:
    """E2: one lineage slot of sealed state (core/boot/lineage.c's
    struct cv_lineage): an instance's id, measurement and epoch, the VM
    holding it, whether that VM may still run (open), and retirement."""

    __slots__ = ("instance", "measurement", "epoch", "holder", "open",
                 "retired", "retired_seq")

    def __init__(self):
        self.instance = bytes(16)
        self.measurement = bytes(32)
        self.epoch = self.holder = self.open = self.retired = self.retired_seq = 0

    def copy(self):
        n = Lineage()
        for f in self.__slots__:
            setattr(n, f, getattr(self, f))
        return n


class Geometry:
    """Pool sizes (pages per level) and the memory map the model runs on:
    the same build-time values as the C (constants.h, read from the .so)."""

    def __init__(self, pgd_pages, pud_pages, pmd_pages, smmu_pgd_pages,
                 smmu_pmd_pages):
        self.pgd_pages = pgd_pages
        self.pud_pages = pud_pages
        self.pmd_pages = pmd_pages
        self.smmu_pgd_pages = smmu_pgd_pages
        self.smmu_pmd_pages = smmu_pmd_pages

    @staticmethod
    def host(regions, budget, align, other):
        """C6: the host's pool: a table per 512 GiB, 1 GiB and 2 MiB that
        the regions touch, plus the MMIO @budget (l1, l2, l3), the level-3
        area reaching to the next @align boundary."""
        pgds = spans_touched(regions, 39) + budget[0]
        puds = spans_touched(regions, 30) + budget[1]
        pmds = spans_touched(regions, 21) + budget[2]
        pmd_off = PAGE_SIZE * (1 + pgds + puds)
        end = align_up(pmd_off + pmds * PAGE_SIZE, align)
        return Geometry(pgds, puds, (end - pmd_off) // PAGE_SIZE,
                        other.smmu_pgd_pages, other.smmu_pmd_pages)

    @staticmethod
    def spec_default():
        return Geometry((K.PUD_OFFSET - K.PGD_OFFSET) // PAGE_SIZE,
                        (K.PMD_OFFSET - K.PUD_OFFSET) // PAGE_SIZE,
                        (K.PT_POOL_PER_VM - K.PMD_OFFSET) // PAGE_SIZE,
                        (K.SMMU_PMD_OFFSET - K.SMMU_PGD_OFFSET) // PAGE_SIZE,
                        (K.SMMU_POOL_BYTES - K.SMMU_PMD_OFFSET) // PAGE_SIZE)


# ---------------------------------------------------------------------------
# The abstract machine and every layer on it.
# ---------------------------------------------------------------------------


class Model(VcpuTrap):
    """The spec's abstract state (RData's shared part that these layers
    touch) and its functions.

    initial_page(pfn) -> (owner, count, gfn) gives the boot ownership of a
    page (regions HOSTVISOR, the core's reserve COREVISOR, elsewhere
    INVALID); the s2page array is kept as the changes against it."""

    def __init__(self, geom, initial_page, shared_kvm, shared_vcpu,
                 verify_img, next_vmid=1, next_remap_ptr=REMAP_START,
                 host_geom=None, pa_bits=40, deltas=None):
        self.deltas = set(DELTA_NAMES if deltas is None else deltas)
        self.fired = {}  # delta -> times its condition held in this call
        self.geom = geom
        self.host_geom = host_geom or geom  # C6
        self.pa_bits = pa_bits  # C7
        self.initial_page = initial_page
        self.shared_kvm = shared_kvm  # Parameter shared_kvm: Z -> Z
        self.shared_vcpu = shared_vcpu  # Parameter shared_vcpu: Z -> Z -> Z
        self.verify_img = verify_img  # Parameter verify_img (data oracle)
        self.halt = False
        self.halt_reason = ""
        self.vminfos = [VMInfo() for _ in range(NUM_PRINCIPALS)]
        self.next_vmid = next_vmid
        self.next_remap_ptr = next_remap_ptr
        # L1, L2: what is in use (a fresh boot: nothing).
        self.vmid_used = set(range(1, next_vmid))
        self.remap_used = set(range((next_remap_ptr - REMAP_START) // PAGE_SIZE))
        self.s2page = {}  # pfn -> [owner, count, gfn], pages changed since boot
        self.dirty = set()  # pfns written since the runner last looked
        self.npts = [NPT() for _ in range(NUM_PRINCIPALS)]
        self.spts = SPT()
        self.held = set()  # locks held (the spec's LockOwn true)
        self.regions = []  # (base, size) of the boot memory regions
        self.contents = {}  # pfn -> its 4096 bytes, for pages not all zero
        self.content_dirty = set()  # pfns whose contents changed since the runner looked
        self.pinned = set()  # P1: pfns of registered vCPUs' shared pages
        # E1, E2: sealing. The runner sets sealer (key, salt, AEAD) and
        # ctxt_words (sizeof(struct cv_ctxt) / 8) after boot.
        self.sealer = None
        self.ctxt_words = 0
        self.nonce_counter = 0
        self.next_instance = 0
        self.lineages_retired = 0
        self.lineages = [Lineage() for _ in range(COREVISOR)]  # slot 0 unused
        # MmioOps: each context bank's owner (INVALID: none); the machine's
        # SMMUs and their banks (the runner sets them from its config).
        self.smmu_owner = {(i, c): INVALID for i in range(SMMU_NUM)
                           for c in range(SMMU_NUM_CTXT_BANKS)}
        self.smmu_num = 0
        self.smmu_banks = 0
        self.smmu_regs = {}  # index -> {offset: 32-bit value} (SMMU_REGS)
        self.smmu_base = {}  # index -> its register page's physical address
        self.smmu_ttbr = {}  # (index, cbndx) -> the bank's table (smmu_ttbr)
        # The vCPU layers: each vCPU's guest program for its next runs
        # (vcpu_model.guest_run), this CPU's intermediate state, and which
        # pages hold RAM bytes the model follows (the runner sets it).
        self.guest_scripts = {}
        self.int_state = None
        self.content_page = lambda pfn: True

    def clone(self, deltas):
        """A copy of this state that applies @deltas (the runner's spec as
        written takes the full model's state after each difference)."""
        m = copy.copy(self)
        m.deltas = set(deltas)
        m.fired = {}
        m.vminfos = [v.copy() for v in self.vminfos]
        m.s2page = {k: list(v) for k, v in self.s2page.items()}
        m.dirty = set(self.dirty)
        m.npts = [n.copy() for n in self.npts]
        m.spts = self.spts.copy()
        m.held = set(self.held)
        m.vmid_used = set(self.vmid_used)
        m.remap_used = set(self.remap_used)
        m.contents = dict(self.contents)
        m.content_dirty = set(self.content_dirty)
        m.pinned = set(self.pinned)
        m.lineages = [l.copy() for l in self.lineages]
        m.smmu_owner = dict(self.smmu_owner)
        m.smmu_regs = {i: dict(r) for i, r in self.smmu_regs.items()}
        m.guest_scripts = {k: list(v) for k, v in self.guest_scripts.items()}
        return m

    # -- page contents (the spec's data oracles, made concrete) --------------

    def content(self, pfn):
        return self.contents.get(pfn, ZERO_PAGE)

    def set_content(self, pfn, data):
        if data == ZERO_PAGE:
            self.contents.pop(pfn, None)
        else:
            self.contents[pfn] = data
        self.content_dirty.add(pfn)

    def host_store(self, pa, data):
        """The host wrote @data at @pa (its own pages: the runner)."""
        while data:
            pfn, off = pa // PAGE_SIZE, pa % PAGE_SIZE
            n = min(len(data), PAGE_SIZE - off)
            old = self.content(pfn)
            self.set_content(pfn, old[:off] + data[:n] + old[off + n:])
            data, pa = data[n:], pa + n

    def clear_phys_page(self, pfn):
        """clear_phys_page_spec: the page scrubbed."""
        if not self.halt:
            self.set_content(pfn, ZERO_PAGE)

    # -- AbstractMachine: fail-stop ----------------------------------------

    def panic(self, reason):
        """panic_spec: halt. The C's reason is not compared, only halt."""
        if not self.halt:
            self.halt = True
            self.halt_reason = reason

    def in_region(self, pfn):
        """MemRegion mem_region_search(pfn * PAGE_SIZE) != INVALID."""
        return any(b <= pfn * PAGE_SIZE < b + s for b, s in self.regions)

    def check(self, v):
        """check_spec / check64_spec."""
        return 0 if self.halt else v

    def on(self, delta):
        """Is corevisor's strengthening @delta (DELTAS) applied?"""
        return delta in self.deltas

    def fire(self, delta):
        """@delta's condition holds here: the C and the spec as written
        part ways (whether or not the delta is applied)."""
        self.fired[delta] = self.fired.get(delta, 0) + 1

    def rely_arg(self, ok, reason, delta="C2", spec_defined=False):
        """A check of a host-controlled argument that the spec does not make
        (a rely, or nothing at all): the C panics (@delta applied). Without
        the delta, a spec rely leaves the behaviour undefined (the model
        stops: False); a check the spec simply lacks lets it go on
        (@spec_defined: True)."""
        if ok:
            return True
        self.fire(delta)
        if self.on(delta):
            self.panic(reason)
            return False
        return spec_defined

    # -- AbstractMachine: locks (LockOps..Locks) ----------------------------
    # Single-threaded: a lock is the spec's LockOwn true while held. They
    # document which objects each function takes; after a halt they are
    # left as they are, as in the spec.

    def acquire_lock(self, lk):
        if self.halt:
            return
        assert lk not in self.held, "lock %d taken twice" % lk
        self.held.add(lk)

    def release_lock(self, lk):
        if self.halt:
            return
        assert lk in self.held, "lock %d released, not held" % lk
        self.held.discard(lk)

    def acquire_lock_vm(self, vmid):
        self.acquire_lock(INFO_ID + vmid)

    def release_lock_vm(self, vmid):
        self.release_lock(INFO_ID + vmid)

    def acquire_lock_core(self):
        self.acquire_lock(CORE_ID)

    def release_lock_core(self):
        self.release_lock(CORE_ID)

    def acquire_lock_s2page(self):
        self.acquire_lock(S2PAGE_ID)

    def release_lock_s2page(self):
        self.release_lock(S2PAGE_ID)

    def acquire_lock_pt(self, vmid):
        self.acquire_lock(NPT_ID + vmid)

    def release_lock_pt(self, vmid):
        self.release_lock(NPT_ID + vmid)

    def acquire_lock_spt(self):
        self.acquire_lock(SPT_ID)

    def release_lock_spt(self):
        self.release_lock(SPT_ID)

    # -- AbstractMachine: core data and VM info getters/setters -------------

    def get_next_vmid(self):
        return self.check(self.next_vmid)

    def set_next_vmid(self, vmid):
        if not self.halt:
            self.next_vmid = vmid

    def get_next_remap_ptr(self):
        return self.check(self.next_remap_ptr)

    def set_next_remap_ptr(self, remap):
        if not self.halt:
            self.next_remap_ptr = remap

    def info(self, vmid):
        assert is_vmid(vmid)
        return self.vminfos[vmid]

    def get_vm_state(self, vmid):
        return self.check(self.info(vmid).state)

    def set_vm_state(self, vmid, state):
        if not self.halt:
            self.info(vmid).state = state

    def get_vcpu_state(self, vmid, vcpuid):
        return self.check(self.info(vmid).vcpu_state[vcpuid])

    def set_vcpu_state(self, vmid, vcpuid, state):
        if not self.halt:
            self.info(vmid).vcpu_state[vcpuid] = state

    def set_vm_kvm(self, vmid, kvm):
        if not self.halt:
            self.info(vmid).kvm = kvm

    def set_vm_vcpu(self, vmid, vcpuid, vcpu):
        if not self.halt:
            self.info(vmid).vcpu[vcpuid] = vcpu

    def get_vm_next_load_idx(self, vmid):
        return self.check(self.info(vmid).next_load_info)

    def set_vm_next_load_idx(self, vmid, idx):
        if not self.halt:
            self.info(vmid).next_load_info = idx

    def get_vm_load_addr(self, vmid, i):
        return self.check(self.info(vmid).load_addr[i])

    def set_vm_load_addr(self, vmid, i, v):
        if not self.halt:
            self.info(vmid).load_addr[i] = v

    def get_vm_load_size(self, vmid, i):
        return self.check(self.info(vmid).load_size[i])

    def set_vm_load_size(self, vmid, i, v):
        if not self.halt:
            self.info(vmid).load_size[i] = v

    def get_vm_remap_addr(self, vmid, i):
        return self.check(self.info(vmid).remap_addr[i])

    def set_vm_remap_addr(self, vmid, i, v):
        if not self.halt:
            self.info(vmid).remap_addr[i] = v

    def get_vm_mapped_pages(self, vmid, i):
        return self.check(self.info(vmid).mapped_pages[i])

    def set_vm_mapped_pages(self, vmid, i, v):
        if not self.halt:
            self.info(vmid).mapped_pages[i] = v

    def get_vm_inc_exe(self, vmid):
        return self.check(self.info(vmid).inc_exe)

    def set_vm_inc_exe(self, vmid, v):
        if not self.halt:
            self.info(vmid).inc_exe = v

    def set_shadow_ctxt(self, vmid, vcpuid, index, value):
        """set_shadow_ctxt_spec (the indexes its case list names)."""
        if not self.halt:
            self.info(vmid).ctxt[vcpuid][index] = value & MASK64

    def get_shadow_ctxt(self, vmid, vcpuid, index):
        return self.check(self.info(vmid).ctxt[vcpuid].get(index, 0))

    def get_shared_kvm(self, vmid):
        return self.check(self.shared_kvm(vmid))

    def get_shared_vcpu(self, vmid, vcpuid):
        return self.check(self.shared_vcpu(vmid, vcpuid))

    def verify_image(self, vmid, addr):
        """verify_image_spec: the data oracle verify_img vmid addr."""
        if self.halt:
            return 0
        if not self.rely_arg(is_vmid(vmid) and is_addr(addr), "verify_image: bad args"):
            return 0
        self.last_img = self.verify_img(self, vmid, addr)  # C11 reads its flags
        return 1 if self.last_img else 0

    # -- PageManager --------------------------------------------------------

    def page(self, pfn):
        """The spec's `pfn @ (s2page shared)`."""
        p = self.s2page.get(pfn)
        if p is None:
            return self.initial_page(pfn)
        return tuple(p)

    def _set_page(self, pfn, owner=None, count=None, gfn=None):
        p = self.s2page.get(pfn)
        if p is None:
            p = list(self.initial_page(pfn))
            self.s2page[pfn] = p
        if owner is not None:
            p[0] = owner
        if count is not None:
            p[1] = count
        if gfn is not None:
            p[2] = gfn
        self.dirty.add(pfn)

    def get_pfn_owner(self, pfn):
        assert S2PAGE_ID in self.held or self.halt
        return self.check(self.page(pfn)[0])

    def set_pfn_owner(self, pfn, vmid):
        if self.halt or self.page(pfn)[0] == INVALID:
            return
        if not self.rely_arg(is_vmid(vmid), "set_pfn_owner: vmid %d" % vmid):
            return
        self._set_page(pfn, owner=vmid)

    def get_pfn_count(self, pfn):
        return self.check(self.page(pfn)[1])

    def set_pfn_count(self, pfn, count):
        if self.halt or self.page(pfn)[0] == INVALID:
            return
        if not self.rely_arg(count == INVALID or count <= MAX_SHARE_COUNT,
                             "set_pfn_count: count %d" % count,
                             spec_defined=True):  # C2
            return
        self._set_page(pfn, count=count)

    def get_pfn_map(self, pfn):
        return self.check(self.page(pfn)[2])

    def set_pfn_map(self, pfn, gfn):
        if self.halt or self.page(pfn)[0] == INVALID:
            return
        if not self.rely_arg(gfn == INVALID64 or is_gfn(gfn),
                             "set_pfn_map: gfn %#x" % gfn):  # C2
            return
        self._set_page(pfn, gfn=gfn)

    # -- NPTOps -------------------------------------------------------------

    def npt_args(self, who, vmid, addr):
        """C2: the relies is_vmid vmid, is_addr addr, as panics."""
        return (self.rely_arg(is_vmid(vmid), "%s: vmid %d" % (who, vmid)) and
                self.rely_arg(is_addr(addr), "%s: addr %#x" % (who, addr)))

    def get_level_s2pt(self, vmid, addr):
        if self.halt or not self.npt_args("get_level_s2pt", vmid, addr):
            return 0
        self.acquire_lock_pt(vmid)
        _pfn, level, pte = self.npts[vmid].get(addr // PAGE_SIZE)
        res = 0 if phys_page(pte) == 0 else level
        self.release_lock_pt(vmid)
        return self.check(res)

    def walk_s2pt(self, vmid, addr):
        if self.halt or not self.npt_args("walk_s2pt", vmid, addr):
            return 0
        self.acquire_lock_pt(vmid)
        _pfn, _level, pte = self.npts[vmid].get(addr // PAGE_SIZE)
        self.release_lock_pt(vmid)
        return self.check(pte)

    def map_s2pt(self, vmid, addr, level, pte):
        """set_npt under the table's lock; level 2 or 3, pte != 0 (relies)."""
        if self.halt or not self.npt_args("map_s2pt", vmid, addr):
            return
        # C2: the spec's None cases (level, zero pte, table at level 2) and
        # a block whose output is not 2 MiB aligned are panics.
        if not (self.rely_arg(level in (2, 3), "set_npt: level %d" % level) and
                self.rely_arg(pte != 0, "set_npt: zero pte") and
                self.rely_arg(level == 3 or pte & PTE_TYPE_MASK != PTE_TYPE_TABLE,
                              "set_npt: level-2 table descriptor") and
                self.rely_arg(level == 3 or phys_page(pte) % PMD_SIZE == 0,
                              "set_npt: unaligned block", spec_defined=True)):
            return
        self.acquire_lock_pt(vmid)
        why = local_mmap(self.npt_geom(vmid), vmid, addr, level, pte, self.npts[vmid])
        if why:
            if vmid == HOSTVISOR:
                self.fire("C6")  # the host's pool is not the spec's, or a block
            self.panic("map_s2pt: vm %d addr %#x: %s" % (
                vmid, addr, "page inside a block" if why == "block" else
                "table pool exhausted"))
            return
        self.release_lock_pt(vmid)

    def npt_geom(self, vmid):
        """C6: the host's pool is sized from the memory map; the spec's is
        PT_POOL_PER_VM like every VM's."""
        return self.host_geom if vmid == HOSTVISOR and self.on("C6") else self.geom

    def count_shared(self, count):
        """C4: count INVALID (assigned to an SMMU only) is not a share; the
        spec's test is count > 0."""
        if count == INVALID:
            self.fire("C4")
            return not self.on("C4")
        return count > 0

    def clear_pfn_host(self, pfn):
        """Take page @pfn away from the host's stage 2 (PAGE_GUEST), if mapped."""
        if self.halt or not self.rely_arg(is_pfn(pfn), "clear_pfn_host: pfn %#x" % pfn):
            return
        self.acquire_lock_pt(HOSTVISOR)
        npt = self.npts[HOSTVISOR]
        _pfn, level, pte = npt.get(pfn)
        level = 0 if phys_page(pte) == 0 else level
        if level == 2:  # C6: split the block first
            self.fire("C6")
            if not self.on("C6"):  # the spec's local_mmap in a block halts
                self.panic("clear_pfn_host: pfn %#x inside a block" % pfn)
                return
            if split_block(self.npt_geom(HOSTVISOR), npt, pfn, PAGE_GUEST):
                self.panic("clear_pfn_host: pfn %#x: no level-3 table for the split" % pfn)
                return
        elif level != 0:
            if local_mmap(self.npt_geom(HOSTVISOR), HOSTVISOR, pfn * PAGE_SIZE, 3,
                          PAGE_GUEST, npt):
                if not self.on("C6"):
                    self.fire("C6")
                self.panic("clear_pfn_host: pfn %#x: host table" % pfn)
                return
        self.release_lock_pt(HOSTVISOR)

    # -- MmioSPTOps ---------------------------------------------------------

    def spt_args(self, who, cbndx, index, addr=0):
        """C2: relies is_smmu index, is_smmu_cfg cbndx, is_smmu_addr addr."""
        return (self.rely_arg(is_smmu(index) and is_smmu_cfg(cbndx),
                              "%s: smmu %d cb %d" % (who, index, cbndx)) and
                self.rely_arg(is_smmu_addr(addr), "%s: iova %#x" % (who, addr)))

    def init_spt(self, cbndx, index):
        if self.halt or not self.spt_args("init_spt", cbndx, index):
            return
        self.acquire_lock_spt()
        key = (index, cbndx)
        # L4: the bank's level-2 and level-3 tables go back to the pool.
        self.spts.pgd_used -= len(self.spts.pgd_t[key])
        self.spts.pmd_used -= len(self.spts.pmd_t[key])
        self.spts.pt[key] = {}
        self.spts.pgd_t[key] = set()
        self.spts.pmd_t[key] = set()
        self.spts.fp[key] = 0
        self.release_lock_spt()

    def walk_spt(self, cbndx, index, addr):
        if self.halt or not self.spt_args("walk_spt", cbndx, index, addr):
            return 0
        self.acquire_lock_spt()
        pte = self.spts.pt[(index, cbndx)].get(addr // PAGE_SIZE, 0)
        self.release_lock_spt()
        return self.check(pte)

    def map_spt(self, cbndx, index, addr, pte):
        if self.halt or not self.spt_args("map_spt", cbndx, index, addr):
            return
        self.acquire_lock_spt()
        if local_spt_map(self.geom, cbndx, index, addr, pte, self.spts):
            self.panic("map_spt: smmu %d cb %d iova %#x: SMMU pool exhausted"
                       % (index, cbndx, addr))
            return
        self.release_lock_spt()

    def unmap_spt(self, cbndx, index, addr):
        if self.halt or not self.spt_args("unmap_spt", cbndx, index, addr):
            return 0
        self.acquire_lock_spt()
        pte = self.spts.pt[(index, cbndx)].get(addr // PAGE_SIZE, 0)
        if pte != 0:
            if local_spt_map(self.geom, cbndx, index, addr, 0, self.spts):
                self.panic("unmap_spt: SMMU pool exhausted")
                return 0
        self.release_lock_spt()
        return self.check(pte)

    # -- MemManager ---------------------------------------------------------

    def vm_arg(self, who, vmid):
        """C2: MemManager's page functions take a VM."""
        return self.rely_arg(is_vm(vmid), "%s: vmid %d is not a VM" % (who, vmid),
                             spec_defined=is_vmid(vmid))

    def pfn_arg(self, who, pfn, ok=is_pfn):
        return self.rely_arg(ok(pfn), "%s: pfn %#x" % (who, pfn))

    def gfn_arg(self, who, gfn):
        return self.rely_arg(is_gfn(gfn), "%s: gfn %#x" % (who, gfn))

    def map_page_host(self, addr):
        """The host faulted on @addr: map it if the host may use the page."""
        if self.halt:
            return
        # C7: the machine's PA size, not is_paddr's 40 bits (a rely)
        if not self.rely_arg(0 <= addr < 1 << self.pa_bits, "map_page_host: addr %#x" % addr):
            return
        if not is_paddr(addr):
            self.fire("C7")
            if not self.on("C7"):
                return  # rely is_paddr: undefined
        pfn = addr // PAGE_SIZE
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        count = self.get_pfn_count(pfn)
        if owner == INVALID:
            self.map_s2pt(HOSTVISOR, addr, 3, pfn * PAGE_SIZE | PAGE_S2_DEVICE)
        elif owner == HOSTVISOR:  # C6
            if self.on("C6"):
                self.map_host_ram(addr, pfn)
            else:
                self.map_s2pt(HOSTVISOR, addr, 3, pfn * PAGE_SIZE | PAGE_S2_RAM)
        elif self.count_shared(count):  # C4
            self.map_s2pt(HOSTVISOR, addr, 3, pfn * PAGE_SIZE | PAGE_S2_RAM)
        else:
            self.panic("map_page_host: pfn %#x owned by %d" % (pfn, owner))
            return
        self.release_lock_s2page()

    def region_of(self, pfn):
        for i, (b, sz) in enumerate(self.regions):
            if b <= pfn * PAGE_SIZE < b + sz:
                return i
        return None

    def host_owns_block(self, base):
        """C6: the 512 pages from @base lie in one region, all the host's."""
        r = self.region_of(base)
        if r is None or self.region_of(base + 511) != r:
            return False
        return all(self.page(base + i)[0] == HOSTVISOR for i in range(512))

    def map_host_ram(self, addr, pfn):
        """C6: the host's own page: its block, or the page alone."""
        npt = self.npts[HOSTVISOR]
        base = pfn & ~511
        if base in npt.blocks:
            self.fire("C6")  # the spec's level-3 map inside a block halts
            return  # a block already maps it
        key = (pgd_index(addr), pud_index(addr), pmd_index(addr))
        if key not in npt.pmd_t and self.host_owns_block(base):
            self.fire("C6")
            self.map_s2pt(HOSTVISOR, base * PAGE_SIZE, 2,
                          base * PAGE_SIZE | PAGE_S2_RAM_BLOCK)
        else:
            self.map_s2pt(HOSTVISOR, addr, 3, pfn * PAGE_SIZE | PAGE_S2_RAM)

    def clear_vm_page(self, vmid, pfn):
        """Give a page of @vmid back to the host, scrubbed."""
        if (self.halt or not self.vm_arg("clear_vm_page", vmid) or
                not self.pfn_arg("clear_vm_page", pfn)):
            return
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        if owner == vmid:
            self.unmap_vm_page_smmu(vmid, pfn, self.get_pfn_map(pfn))  # C25
            if self.halt:
                return
            self.clear_pfn_host(pfn)
            self.set_pfn_owner(pfn, HOSTVISOR)
            self.set_pfn_count(pfn, 0)
            self.fire("C3")
            self.set_pfn_map(pfn, INVALID64 if self.on("C3") else
                             pfn + SMMU_HOST_OFFSET)  # C3
            self.clear_phys_page(pfn)
        self.release_lock_s2page()

    def assign_pfn_to_vm(self, vmid, gfn, pfn):
        if (self.halt or not self.vm_arg("assign_pfn_to_vm", vmid) or
                not self.gfn_arg("assign_pfn_to_vm", gfn) or
                not self.pfn_arg("assign_pfn_to_vm", pfn)):
            return
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        count = self.get_pfn_count(pfn)
        if owner == HOSTVISOR and self.refuse_pinned("assign_pfn_to_vm", pfn):
            return
        if owner == HOSTVISOR:
            if count == 0:
                self.clear_pfn_host(pfn)
                self.set_pfn_owner(pfn, vmid)
                self.set_pfn_map(pfn, gfn)
                # fetch_from_doracle: the page keeps the host's bytes
            else:
                self.panic("assign_pfn_to_vm: pfn %#x shared (count %d)" % (pfn, count))
                return
        elif owner == vmid:
            map_ = self.get_pfn_map(pfn)
            if map_ == INVALID64 or gfn == map_:
                if map_ == INVALID64:
                    self.set_pfn_map(pfn, gfn)
                if count == INVALID:
                    self.set_pfn_count(pfn, 0)
            else:
                self.panic("assign_pfn_to_vm: vm %d pfn %#x at gfn %#x, not %#x"
                           % (vmid, pfn, map_, gfn))
                return
        else:
            self.panic("assign_pfn_to_vm: vm %d pfn %#x owned by %d" % (vmid, pfn, owner))
            return
        self.release_lock_s2page()

    def _answer_target(self, vmid, addr, paddr, level):
        """C8: 'free', 'same' or 'other' (a page of the target maps a
        different pfn) for mapping @paddr at @addr, @level 2 or 3."""
        npt = self.npts[vmid]
        gfn = addr // PAGE_SIZE
        base = gfn // PTRS_PER_PMD * PTRS_PER_PMD if level == 2 else gfn
        blk = npt.blocks.get(base) if level == 2 else None
        block = blk is not None and phys_page(blk) != 0
        have = 0
        for i in range(1 if level == 3 or block else PMD_PAGE_NUM):
            pfn, _lvl, leaf = npt.get(base + i)
            have = pfn if phys_page(leaf) != 0 else 0
            if have and have != paddr // PAGE_SIZE + i:
                return "other"
        if level == 2:
            return "same" if block else "free"
        return "same" if have else "free"

    def vm_map_target_free(self, vmid, addr, pte, level):
        """C8: map_pfn_vm's check alone; False after its panic."""
        if self.halt or not self.vm_arg("map_pfn_vm", vmid):
            return False
        if not self.rely_arg(is_addr(addr), "map_pfn_vm: addr %#x" % addr):
            return False
        level = 2 if level == 2 else 3
        if self._answer_target(vmid, addr, phys_page(pte), level) == "other":
            self.fire("C8")
            if not self.on("C8"):
                return True  # the spec assigns and maps (swaps the page)
            self.panic("map_pfn_vm: vm %d ipa %#x already maps another page"
                       % (vmid, addr))
            return False
        return True

    def map_pfn_vm(self, vmid, addr, pte, level):
        if self.halt or not self.vm_arg("map_pfn_vm", vmid):
            return
        if not self.rely_arg(is_addr(addr), "map_pfn_vm: addr %#x" % addr):
            return
        paddr = phys_page(pte)
        level = 2 if level == 2 else 3
        target = self._answer_target(vmid, addr, paddr, level)  # C8
        if target == "other" or (target == "same" and level == 3 and
                                  self.npts[vmid].get(addr // PAGE_SIZE)[1] == 2):
            self.fire("C8")  # the spec swaps the page, or halts in a block
        if not self.on("C8"):
            target = "free"
        if target == "other":
            self.panic("map_pfn_vm: vm %d ipa %#x already maps another page"
                       % (vmid, addr))
            return
        if target == "same":
            return
        if level == 2:
            self.map_s2pt(vmid, addr, 2, paddr | PAGE_S2_RAM_BLOCK)
        else:
            self.map_s2pt(vmid, addr, 3, paddr | PAGE_S2_RAM)

    def map_vm_io(self, vmid, gpa, pa):
        if self.halt or not self.vm_arg("map_vm_io", vmid):
            return
        if not self.rely_arg(is_addr(gpa) and is_addr(pa), "map_vm_io: gpa/pa"):
            return
        pfn = pa // PAGE_SIZE
        pte = phys_page(pa) | PAGE_S2_DEVICE
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        if owner == INVALID:
            self.map_s2pt(vmid, gpa, 3, pte)
        self.release_lock_s2page()

    def grant_vm_page(self, vmid, pfn):
        if (self.halt or not self.vm_arg("grant_vm_page", vmid) or
                not self.pfn_arg("grant_vm_page", pfn, is_gfn)):
            return
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        count = self.get_pfn_count(pfn)
        if owner == vmid and count < MAX_SHARE_COUNT:
            self.set_pfn_count(pfn, count + 1)
        self.release_lock_s2page()

    def revoke_vm_page(self, vmid, pfn):
        if (self.halt or not self.vm_arg("revoke_vm_page", vmid) or
                not self.pfn_arg("revoke_vm_page", pfn, is_gfn)):
            return
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        count = self.get_pfn_count(pfn)
        if owner == vmid and self.count_shared(count):  # C4
            self.set_pfn_count(pfn, count - 1)
            if count == 1:
                self.clear_pfn_host(pfn)
                # fetch_from_doracle: the VM sees whatever the host left
        self.release_lock_s2page()

    def assign_pfn_to_smmu(self, vmid, gfn, pfn):
        if (self.halt or not self.vm_arg("assign_pfn_to_smmu", vmid) or
                not self.gfn_arg("assign_pfn_to_smmu", gfn) or
                not self.pfn_arg("assign_pfn_to_smmu", pfn)):
            return
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        count = self.get_pfn_count(pfn)
        if owner == HOSTVISOR and self.refuse_pinned("assign_pfn_to_smmu", pfn):
            return
        if owner == HOSTVISOR:
            if count == 0:
                self.clear_pfn_host(pfn)
                self.set_pfn_owner(pfn, vmid)
                self.set_pfn_map(pfn, gfn)
                self.set_pfn_count(pfn, INVALID)
            else:
                self.panic("assign_pfn_to_smmu: pfn %#x shared (count %d)" % (pfn, count))
                return
        elif owner != vmid:
            self.panic("assign_pfn_to_smmu: vm %d pfn %#x owned by %d" % (vmid, pfn, owner))
            return
        self.release_lock_s2page()

    def update_smmu_page(self, vmid, cbndx, index, iova, pte):
        if self.halt:
            return
        if not (self.rely_arg(is_vmid(vmid), "update_smmu_page: vmid %d" % vmid) and
                self.spt_args("update_smmu_page", cbndx, index, iova)):
            return
        self.acquire_lock_s2page()
        pfn = phys_page(pte) // PAGE_SIZE
        gfn = iova // PAGE_SIZE
        owner = self.get_pfn_owner(pfn)
        map_ = self.get_pfn_map(pfn)
        if vmid == owner and gfn == map_:
            self.map_spt(cbndx, index, iova, pte)
            if owner == HOSTVISOR:
                count = self.get_pfn_count(pfn)
                if count < EL2_SMMU_CFG_SIZE:
                    self.set_pfn_count(pfn, count + 1)
        else:
            self.panic("update_smmu_page: vm %d pfn %#x owner %d gfn %#x iova gfn %#x"
                       % (vmid, pfn, owner, map_, gfn))
            return
        self.release_lock_s2page()

    def unmap_smmu_page(self, cbndx, index, iova):
        if self.halt or not self.spt_args("unmap_smmu_page", cbndx, index, iova):
            return
        self.acquire_lock_s2page()
        pte = self.unmap_spt(cbndx, index, iova)
        pfn = phys_page(pte) // PAGE_SIZE
        # pte 0 (nothing mapped): pfn 0, in no region, owner INVALID.
        owner = self.get_pfn_owner(pfn) if pte != 0 else INVALID
        if owner == HOSTVISOR:
            count = self.get_pfn_count(pfn)
            if count > 0:
                self.set_pfn_count(pfn, count - 1)
        self.release_lock_s2page()

    # -- MemoryOps ----------------------------------------------------------

    def clear_vm_range(self, vmid, pfn, num):
        if self.halt or not self.vm_arg("clear_vm_range", vmid):
            return
        if not self.rely_arg(is_pfn(pfn) and is_pfn(num) and num <= KVM_PFN_SPACE - pfn,
                             "clear_vm_range: pfn %#x num %#x" % (pfn, num)):
            return
        # clear_vm_loop: only pages of a region can be the VM's (the others
        # are no-ops), so the walk visits the range's part of each region.
        for base, size in self.regions:
            lo, hi = max(pfn, base // PAGE_SIZE), min(pfn + num, (base + size) // PAGE_SIZE)
            for p in range(lo, hi):
                if self.halt:
                    return
                self.clear_vm_page(vmid, p)

    def prot_and_map_vm_s2pt(self, vmid, addr, pte, level):
        if (self.halt or not self.vm_arg("prot_and_map_vm_s2pt", vmid) or
                not self.rely_arg(is_addr(addr), "prot_and_map_vm_s2pt: addr %#x" % addr)):
            return
        pfn = phys_page(pte) // PAGE_SIZE
        gfn = addr // PAGE_SIZE
        if level == 2 and not self.rely_arg(
                pfn % PTRS_PER_PMD == 0,
                "prot_and_map_vm_s2pt: block pfn %#x" % pfn, spec_defined=True):
            return
        if not self.vm_map_target_free(vmid, addr, pte, level):  # C8
            return
        if level == 2:
            gfn0 = gfn // PTRS_PER_PMD * PTRS_PER_PMD
            for i in range(PMD_PAGE_NUM):  # prot_and_map_vm_loop
                self.assign_pfn_to_vm(vmid, gfn0 + i, pfn + i)
            self.map_pfn_vm(vmid, addr, pte, 2)
        else:
            self.assign_pfn_to_vm(vmid, gfn, pfn)
            self.map_pfn_vm(vmid, addr, pte, 3)

    def _stage2_sg_loop(self, vmid, addr, size, page_op):
        if self.halt or not self.vm_arg("stage2_sg_gpa", vmid):
            return
        if not self.rely_arg(is_addr(addr) and is_addr(size) and
                             (size == 0 or (size - 1) // PAGE_SIZE * PAGE_SIZE
                              < KVM_ADDR_SPACE - addr),
                             "stage2_sg_gpa: range %#x+%#x" % (addr, size)):
            return
        num = (size + 4095) // PAGE_SIZE
        a = addr
        for _ in range(num):
            if self.halt:
                return
            pte = self.walk_s2pt(vmid, a)
            level = self.get_level_s2pt(vmid, a)
            pte_pa = phys_page(pte)
            if pte_pa != 0:
                pfn = pte_pa // PAGE_SIZE
                if level == 2:
                    page_op(vmid, pfn + ((a // PAGE_SIZE) & 511))
                else:
                    page_op(vmid, pfn)
            a += PAGE_SIZE

    def grant_stage2_sg_gpa(self, vmid, addr, size):
        """grant_stage2_loop: share each mapped page of the range with the host."""
        self._stage2_sg_loop(vmid, addr, size, self.grant_vm_page)

    def revoke_stage2_sg_gpa(self, vmid, addr, size):
        """revoke_stage2_loop: end the sharing of each mapped page of the range."""
        self._stage2_sg_loop(vmid, addr, size, self.revoke_vm_page)

    # -- MemHandler ---------------------------------------------------------

    def clear_vm_stage2_range(self, vmid, start, size):
        if self.halt:
            return
        if not (self.vm_arg("clear_vm_stage2_range", vmid) and
                self.rely_arg(is_addr(start) and is_addr(size),
                              "clear_vm_stage2_range: start %#x size %#x" % (start, size))):
            return
        if self.get_vm_poweron(vmid) != 0 or self.halt:
            return
        active = [i for i in range(VCPU_PER_VM) if self.info(vmid).vcpu_state[i] == ACTIVE]
        if active:  # C13
            self.fire("C13")
            if self.on("C13"):
                self.panic("clear_vm_stage2_range: vm %d vcpu %d is still running"
                           % (vmid, active[-1]))
                return
        self.snapshot_cancel(vmid)  # L5
        self.clear_vm_range(vmid, start // PAGE_SIZE, size // PAGE_SIZE)

    def kvm_phys_addr_ioremap(self, vmid, gpa, pa, size):
        if self.halt:
            return
        if not self.rely_arg(is_vmid(vmid) and is_addr(gpa) and is_paddr(pa) and
                             is_addr(size) and gpa + size < KVM_ADDR_SPACE and
                             pa + size < KVM_PHYS_SIZE,
                             "kvm_phys_addr_ioremap: gpa %#x pa %#x size %#x" % (gpa, pa, size)):
            return
        for i in range((size + 4095) // PAGE_SIZE):  # kvm_phys_addr_ioremap_loop
            self.map_io(vmid, gpa + i * PAGE_SIZE, pa + i * PAGE_SIZE)
            if self.halt:
                return

    def timer_set_cntvoff(self, cntvoff):
        """timer_set_cntvoff_spec: no state the spec keeps (time is the host's)."""

    # -- TrapDispatcher -----------------------------------------------------

    def host_hvc_dispatcher(self, arg, a1, a2, a3, a4, a5):
        """host_hvc_dispatcher_spec: the host's x0..x5; returns the host's
        x0 afterwards (the spec sets it for REGISTER_KVM; the README's ABI
        puts every call's result there)."""
        if self.halt:
            return 0
        x0, served = arg, True

        def bad(name):
            self.panic("host_hvc: %s bad args %#x %#x %#x %#x %#x" % (name, a1, a2, a3, a4, a5))

        if arg == HVC_TIMER_SET_CNTVOFF:
            self.timer_set_cntvoff(a1)
            x0 = None
        elif arg == HVC_CLEAR_VM_S2_RANGE:
            if is_vm(a1) and a2 < KVM_ADDR_SPACE and a3 < KVM_ADDR_SPACE:
                self.clear_vm_stage2_range(a1, a2, a3)
                x0 = None
            else:
                bad("CLEAR_VM_S2_RANGE")
        elif arg == HVC_SET_BOOT_INFO:
            if is_vm(a1) and a2 < KVM_PHYS_SIZE and a3 < KVM_PHYS_SIZE and a2 + a3 < KVM_PHYS_SIZE:
                x0 = self.set_boot_info(a1, a2, a3)
            else:
                bad("SET_BOOT_INFO")
        elif arg == HVC_REMAP_VM_IMAGE:
            if is_vm(a1) and a2 < KVM_PFN_SPACE and a3 < MAX_LOAD_INFO_NUM:
                self.remap_vm_image(a1, a2, a3)
                x0 = None
            else:
                bad("REMAP_VM_IMAGE")
        elif arg == HVC_VERIFY_VM_IMAGE:
            if is_vm(a1):
                self.verify_and_load_images(a1)
                x0 = None
            else:
                bad("VERIFY_VM_IMAGES")
        elif arg == HVC_SMMU_FREE_PGD:
            if a1 < SMMU_NUM_CTXT_BANKS and a2 < SMMU_NUM:
                self.el2_free_smmu_pgd(a1, a2)
                x0 = None
            else:
                bad("SMMU_FREE_PGD")
        elif arg == HVC_SMMU_ALLOC_PGD:
            if a1 < SMMU_NUM_CTXT_BANKS and a2 < COREVISOR and a3 < SMMU_NUM:
                self.el2_alloc_smmu_pgd(a1, a2, a3)
                x0 = None
            else:
                bad("SMMU_ALLOC_PGD")
        elif arg == HVC_SMMU_LPAE_MAP:
            if (a1 < KVM_PHYS_SIZE and a2 < KVM_PHYS_SIZE and a3 < 0x7FFFFFFFFFFFFFFF and
                    phys_page(a3) == 0 and a4 < SMMU_NUM_CTXT_BANKS and a5 < SMMU_NUM):
                self.el2_arm_lpae_map(a1, a2, a3, a4, a5)
                x0 = None
            else:
                bad("SMMU_LPAE_MAP")
        elif arg in (HVC_SMMU_LPAE_IOVA_TO_PHYS, HVC_SMMU_CLEAR):
            if a1 < KVM_PHYS_SIZE and a2 < SMMU_NUM_CTXT_BANKS and a3 < SMMU_NUM:
                if arg == HVC_SMMU_CLEAR:
                    self.el2_arm_lpae_clear(a1, a2, a3)
                    x0 = None
                else:  # the spec sets the caller's X0
                    x0 = self.el2_arm_lpae_iova_to_phys(a1, a2, a3)
            else:
                bad("SMMU_CLEAR" if arg == HVC_SMMU_CLEAR else "SMMU_LPAE_IOVA_TO_PHYS")
        elif arg == HVC_REGISTER_KVM:
            x0 = self.register_kvm()
        elif arg == HVC_REGISTER_VCPU:
            if is_vm(a1) and a2 < VCPU_PER_VM:
                self.register_vcpu(a1, a2)
                x0 = None
            else:
                bad("REGISTER_VCPU")
        elif arg == HVC_PHYS_ADDR_IOREMAP:
            if a1 <= COREVISOR and a2 + a4 < KVM_ADDR_SPACE and a3 + a4 < KVM_PHYS_SIZE:
                self.kvm_phys_addr_ioremap(a1, a2, a3, a4)
                x0 = None
            else:
                bad("PHYS_ADDR_IOREMAP")
        elif arg in (HVC_ENCRYPT_BUF, HVC_DECRYPT_BUF, HVC_SAVE_CRYPT_VCPU,
                     HVC_LOAD_CRYPT_VCPU):
            # C14: the sealing calls (TrapHandler's checks); the spec's
            # dispatcher ignores them.
            self.fire("C14")
            x0 = None
            if not self.on("C14"):
                served = False
            elif arg == HVC_ENCRYPT_BUF:
                if is_vm(a1) and a2 < KVM_PHYS_SIZE and a3 < KVM_PHYS_SIZE:
                    self.save_encrypt_buf(a1, a2, a3)
                else:
                    bad("ENCRYPT_BUF")
            elif arg == HVC_DECRYPT_BUF:
                if is_vm(a1) and a2 < KVM_PHYS_SIZE:
                    self.load_decrypt_buf(a1, a2)
                else:
                    bad("DECRYPT_BUF")
            elif is_vm(a1) and a2 < VCPU_PER_VM:
                if arg == HVC_SAVE_CRYPT_VCPU:
                    self.save_encrypted_vcpu(a1, a2)
                else:
                    self.load_encrypted_vcpu(a1, a2)
            else:
                bad("SAVE_CRYPT_VCPU" if arg == HVC_SAVE_CRYPT_VCPU else "LOAD_CRYPT_VCPU")
        elif arg in (HVC_IS_INC_EXE, HVC_MAP_IO, HVC_ASSIGN_SMMU):
            # C14: corevisor's calls; the spec's dispatcher ignores them.
            self.fire("C14")
            if not self.on("C14"):
                served = False
            elif arg == HVC_IS_INC_EXE:
                if is_vm(a1):
                    x0 = self.is_inc_exe(a1)
                else:
                    bad("IS_INC_EXE")
            elif arg == HVC_MAP_IO:
                if is_vm(a1) and a2 < KVM_ADDR_SPACE and a3 < KVM_PHYS_SIZE:
                    self.map_io(a1, a2, a3)
                    x0 = None
                else:
                    bad("MAP_IO")
            else:
                if a1 < COREVISOR and a2 < KVM_PFN_SPACE and a3 < KVM_GFN_SPACE:
                    self.assign_smmu(a1, a2, a3)
                    x0 = None
                else:
                    bad("ASSIGN_SMMU")
        elif arg == HVC_VCPU_RUN:
            if is_vm(a1) and a2 < VCPU_PER_VM:
                x0 = self.host_vcpu_run_handler(a1, a2)
            else:
                bad("VCPU_RUN")
        elif arg in L5_CALLS:
            name, vcpu_arg = L5_CALLS[arg]
            ok = is_vm(a1) and (not vcpu_arg or a2 < VCPU_PER_VM)
            addr = a3 if vcpu_arg else a2
            if arg not in (HVC_SNAPSHOT_BEGIN, HVC_BOOT_FROM_SAVED_VM):
                ok = ok and addr < KVM_PHYS_SIZE
            if not ok:
                bad(name)
            else:
                x0 = self.snapshot_call(arg, a1, a2 if vcpu_arg else 0, addr)
        else:
            served = False  # the spec's dispatcher: nothing happens
        if self.halt:
            return 0  # the host never sees x0 again
        # C15: what the C answers where the spec leaves x0 as it was.
        c_x0 = (0 if x0 is None else x0) if served else INVALID64
        spec_x0 = arg if x0 is None or not served else x0
        if c_x0 != spec_x0:
            self.fire("C15")
        return c_x0 if self.on("C15") else spec_x0

    # -- L5: snapshot and restore (core/boot/snapshot.c) ---------------------

    def snapshot_cancel(self, vmid):
        info = self.info(vmid)
        if info.snap == SNAP_SAVING:
            info.snap, info.snap_stale = SNAP_NONE, False

    def _host_page(self, who, vmid, pa):
        if self.page(pa // PAGE_SIZE)[0] != HOSTVISOR:
            self.panic("%s: vm %d pages at %#x not host memory" % (who, vmid, pa))
            return False
        return True

    def snap_current(self, vmid, bind):
        """lineage_current: @vmid still holds the lineage @bind was sealed
        under, at the same epoch (else its snapshot is stale)."""
        lin = self.lineage_of(self.info(vmid))
        if lin is None or bind is None:
            return bind == (bytes(32), bytes(16), 0)  # C18 off: bound to nothing
        return (lin.holder == vmid and
                (lin.measurement, lin.instance, lin.epoch) == bind)

    def snapshot_call(self, num, vmid, vcpuid, addr):
        """One of the L5 calls, its arguments checked; returns x0."""
        info = self.info(vmid)
        if num == HVC_SNAPSHOT_BEGIN:
            if (info.state not in (VERIFIED, POWEROFF) or not info.lineage or
                    info.snap == SNAP_RESTORING or ACTIVE in info.vcpu_state):
                return CV_SNAP_REFUSED_STATE
            # E2: bound like any blob (seal_pending), its id from a nonce
            bind = self.lineage_seal(vmid, "snapshot_begin")
            if bind is None:
                return 0
            self.next_nonce()
            info.snap, info.snap_stale, info.snap_bind = SNAP_SAVING, False, bind
            return CV_SNAP_OK
        if num in (HVC_SNAPSHOT_PAGE, HVC_SNAPSHOT_VCPU, HVC_SNAPSHOT_END):
            if info.snap != SNAP_SAVING:
                return CV_SNAP_REFUSED_STATE
            if (info.snap_stale or ACTIVE in info.vcpu_state or
                    not self.snap_current(vmid, info.snap_bind)):
                info.snap, info.snap_stale = SNAP_NONE, False
                return CV_SNAP_REFUSED_STALE
            if num != HVC_SNAPSHOT_PAGE:
                return CV_SNAP_REFUSED_ORDER  # no page sealed yet
            raise NotImplementedError("L5: sealing a page is not modelled")
        if num == HVC_RESTORE_BEGIN:
            if (info.state != VERIFIED or info.has_run or info.snap != SNAP_NONE or
                    not info.lineage):
                return CV_SNAP_REFUSED_STATE
            if not self._host_page("restore_begin", vmid, addr & ~(PAGE_SIZE - 1)):
                return 0
            return CV_SNAP_REFUSED_FORGED  # no manifest the core sealed
        # RESTORE_PAGE, RESTORE_VCPU, BOOT_FROM_SAVED_VM
        if info.snap != SNAP_RESTORING:
            return CV_SNAP_REFUSED_STATE
        raise NotImplementedError("L5: a restore session is not modelled")

    # -- VMPower ------------------------------------------------------------

    def set_vm_poweroff(self, vmid):
        if self.halt:
            return 0
        if not self.rely_arg(is_vmid(vmid), "set_vm_poweroff: vmid %d" % vmid):
            return 0
        self.acquire_lock_vm(vmid)
        self.set_vm_state(vmid, POWEROFF)
        if is_vm(vmid):  # E2: its sealed state may move to another VM
            self.lineage_power_off(vmid)
        self.release_lock_vm(vmid)
        return 0

    def get_vm_poweron(self, vmid):
        if self.halt:
            return 0
        if not self.rely_arg(is_vmid(vmid), "get_vm_poweron: vmid %d" % vmid):
            return 0
        self.acquire_lock_vm(vmid)
        ret = 0 if self.get_vm_state(vmid) == POWEROFF else 1
        self.release_lock_vm(vmid)
        return self.check(ret)

    # -- BootCore -----------------------------------------------------------

    def lowest_free_vmid(self):
        return next((v for v in range(1, COREVISOR) if v not in self.vmid_used),
                    COREVISOR)

    def lowest_free_remap(self):
        last = REMAP_SIZE // PAGE_SIZE - 1  # never handed out
        return next((i for i in range(last) if i not in self.remap_used), last)

    def gen_vmid(self):
        if self.halt:
            return 0
        self.acquire_lock_core()
        vmid = self.get_next_vmid()
        if vmid < COREVISOR:
            self.vmid_used.add(vmid)  # L1
            self.set_next_vmid(self.lowest_free_vmid())
        else:
            self.panic("gen_vmid: no vmid left (next %d)" % vmid)
            return 0
        self.release_lock_core()
        return self.check(vmid)

    def alloc_remap_addr(self, pgnum):
        if self.halt or not self.rely_arg(is_gfn(pgnum), "alloc_remap_addr: pgnum %d" % pgnum):
            return 0
        self.acquire_lock_core()
        last = REMAP_SIZE // PAGE_SIZE - 1
        start = self.lowest_free_remap()
        if pgnum > 0:  # L2: first fit
            run = 0
            i = start
            while i < last and run < pgnum:
                if i in self.remap_used:
                    run, start = 0, i + 1
                else:
                    run += 1
                i += 1
            if run < pgnum:
                self.panic("alloc_remap_addr: %d pages do not fit" % pgnum)
                return 0
            self.remap_used.update(range(start, start + pgnum))
        self.set_next_remap_ptr(REMAP_START + self.lowest_free_remap() * PAGE_SIZE)
        self.release_lock_core()
        return self.check(REMAP_START + start * PAGE_SIZE)

    def destroy_vm(self, vmid, flags):
        """L3: corevisor's DESTROY_VM."""
        if self.halt:
            return 0
        if not self.rely_arg(is_vm(vmid) and flags & ~1 == 0,
                             "destroy_vm: bad args vm %d flags %#x" % (vmid, flags)):
            return 0
        info = self.vminfos[vmid]
        if info.state == UNUSED:
            return 3
        if ACTIVE in info.vcpu_state:
            return 1
        if info.state != POWEROFF and not flags & 1:
            return 2
        info.state = POWEROFF
        for v in range(VCPU_PER_VM):  # P1: the vCPUs' run pages unpinned
            if info.vcpu_state[v] != UNUSED:
                self.pinned.discard(self.shared_vcpu(vmid, v) // PAGE_SIZE)
        self.free_vm_banks(vmid)
        if self.halt:
            return 0
        owned = [p for p, v in self.s2page.items() if v[0] == vmid]
        for p in sorted(owned):
            self.clear_vm_page(vmid, p)
            if self.halt:
                return 0
        self.npts[vmid] = NPT()
        for v in range(VCPU_PER_VM):  # vcpu_wipe: the run structure's exit fields
            if info.vcpu_state[v] != UNUSED:
                self.vcpu_wipe_run(vmid, v)
        core = self.npts[COREVISOR]
        for i in range(min(info.next_load_info, MAX_LOAD_INFO_NUM)):
            pages = (info.load_size[i] + PAGE_SIZE - 1) // PAGE_SIZE
            first = (info.remap_addr[i] - REMAP_START) // PAGE_SIZE
            for k in range(min(info.mapped_pages[i], pages)):
                gfn = info.remap_addr[i] // PAGE_SIZE + k
                old = core.pages.pop(gfn, None)
                if old is not None:
                    core.fp = (core.fp - leaf_hash(gfn, 3, old)) & MASK64
            self.remap_used.difference_update(range(first, first + pages))
        self.next_remap_ptr = REMAP_START + self.lowest_free_remap() * PAGE_SIZE
        self.lineage_destroy(vmid)  # E2: retired, still known
        self.vminfos[vmid] = VMInfo()
        self.vmid_used.discard(vmid)
        self.next_vmid = self.lowest_free_vmid()
        return 0

    # -- BootAux ------------------------------------------------------------

    def unmap_and_load_vm_image(self, vmid, target_addr, remap_addr, num):
        """Move the remapped image pages to the VM, one 2 MiB block at a
        time (prot_and_map_vm_s2pt at level 2)."""
        if self.halt:
            return
        if not self.rely_arg(is_vm(vmid) and is_addr(target_addr) and is_addr(remap_addr)
                             and is_gfn(num), "unmap_and_load_vm_image: bad args"):
            return
        if not self.image_pages_contiguous(vmid, target_addr, remap_addr, num):
            return  # C1 panicked
        start = target_addr // PMD_SIZE * PMD_SIZE
        end = target_addr + num * PAGE_SIZE
        assert end >= start
        n = (end - start + 2097151) // PMD_SIZE
        target, remap = target_addr, remap_addr
        for _ in range(n):  # unmap_and_load_loop
            if self.halt:
                return
            pte = self.walk_s2pt(COREVISOR, remap)
            pfn = phys_page(pte) // PMD_SIZE * PTRS_PER_PMD
            gfn = start // PAGE_SIZE
            if pfn == 0:
                self.panic("unmap_and_load_vm_image: vm %d remap %#x not mapped"
                           % (vmid, remap))
                return
            if not self.block_fresh(vmid, gfn, pfn):
                return  # C9 panicked
            self.unmap_block_from_smmus(vmid, pfn)  # C10
            if self.halt:
                return
            self.prot_and_map_vm_s2pt(vmid, gfn * PAGE_SIZE, pfn * PAGE_SIZE, 2)
            remap += start + PMD_SIZE - target
            start += PMD_SIZE
            target = start

    def image_prefix(self, info, gpa):
        """C12: how many bytes from the page at @gpa some image covers."""
        best = 0
        for i in range(min(info.next_load_info, MAX_LOAD_INFO_NUM)):
            base, end = info.load_addr[i], info.load_addr[i] + info.load_size[i]
            if base <= gpa < end:
                best = max(best, min(end - gpa, PAGE_SIZE))
        return best

    def zero_image_blocks(self, vmid):
        """C12: every byte of the VM's image blocks that no image covers
        is zeroed once the images verify (the spec leaves the host's)."""
        info = self.info(vmid)
        n = min(info.next_load_info, MAX_LOAD_INFO_NUM)
        seen = []
        for i in range(n):
            block = info.load_addr[i] // PMD_SIZE * PMD_SIZE
            end = info.load_addr[i] + info.mapped_pages[i] * PAGE_SIZE
            if info.mapped_pages[i] == 0:
                seen.append((block, end))
                continue
            base = self.remap_pa(info.remap_addr[i]) // PMD_SIZE * PMD_SIZE
            while block < end:
                if not any(lo <= block < hi for lo, hi in seen):
                    for off in range(0, PMD_SIZE, PAGE_SIZE):
                        keep = self.image_prefix(info, block + off)
                        if keep == PAGE_SIZE:
                            continue
                        pfn = (base + off) // PAGE_SIZE
                        old = self.content(pfn)
                        new = old[:keep] + bytes(PAGE_SIZE - keep)
                        if new != old:
                            self.fire("C12")
                            if self.on("C12"):
                                self.set_content(pfn, new)
                block += PMD_SIZE
                base += PMD_SIZE
            seen.append((info.load_addr[i] // PMD_SIZE * PMD_SIZE, end))

    def block_fresh(self, vmid, gfn0, pfn0):
        """C9: the block at pfn0 may map at gfn0 only where the VM maps
        nothing or these very pages; else panic."""
        npt = self.npts[vmid]
        for i in range(PMD_PAGE_NUM):
            have, _level, pte = npt.get(gfn0 + i)
            if pte & PTE_VALID and have != pfn0 + i:
                self.fire("C9")
                if not self.on("C9"):
                    return True  # the spec maps the block over them
                self.panic("unmap_and_load_vm_image: vm %d gfn %#x maps pfn %#x"
                           % (vmid, gfn0 + i, have))
                return False
        return True

    def unmap_block_from_smmus(self, vmid, pfn0):
        """C10: every page of the block that is already the VM's leaves every
        SMMU table that maps it (at iova gfn * PAGE_SIZE)."""
        for pfn in range(pfn0, pfn0 + PMD_PAGE_NUM):
            owner, _count, gfn = self.page(pfn)
            if owner != vmid or gfn == INVALID64 or not is_smmu_addr(gfn * PAGE_SIZE):
                continue
            for index in range(SMMU_NUM):
                for cbndx in range(SMMU_NUM_CTXT_BANKS):
                    pte = self.walk_spt(cbndx, index, gfn * PAGE_SIZE)
                    if pte and phys_page(pte) == pfn * PAGE_SIZE:
                        self.fire("C10")
                        if self.on("C10"):
                            self.unmap_spt(cbndx, index, gfn * PAGE_SIZE)

    def remap_pa(self, va):
        """The physical address the core's remap mapping of @va points at."""
        pte = self.walk_s2pt(COREVISOR, va)
        return phys_page(pte) if pte & PTE_VALID else 0

    def image_pages_contiguous(self, vmid, target, remap, num):
        """C1: the load address is page aligned and remapped page i is
        backed by pa0 + i * PAGE_SIZE, pa0 = target (mod 2 MiB); else panic."""
        if not self.rely_arg(target % PAGE_SIZE == 0,
                             "unmap_and_load_vm_image: load address %#x" % target,
                             delta="C1", spec_defined=True):
            return False
        if num == 0:
            return True
        pa0 = self.remap_pa(remap)
        if pa0 == 0 or pa0 % PMD_SIZE != target % PMD_SIZE:
            return self.c1_refuses("unmap_and_load_vm_image: first image page pa %#x" % pa0)
        for i in range(1, num):
            if self.remap_pa(remap + i * PAGE_SIZE) != pa0 + i * PAGE_SIZE:
                return self.c1_refuses("unmap_and_load_vm_image: image page %d not contiguous" % i)
        return True

    def c1_refuses(self, reason):
        self.fire("C1")
        if self.on("C1"):
            self.panic(reason)
            return False
        return True  # the spec maps whatever blocks hold the pages

    # -- BootOps ------------------------------------------------------------

    def search_load_info(self, vmid, addr):
        if self.halt:
            return 0
        if not self.rely_arg(is_vmid(vmid), "search_load_info: vmid %d" % vmid):
            return 0
        self.acquire_lock_vm(vmid)
        num = self.get_vm_next_load_idx(vmid)
        ret = 0
        for idx in range(num):  # search_load_info_loop
            base = self.get_vm_load_addr(vmid, idx)
            size = self.get_vm_load_size(vmid, idx)
            remap = self.get_vm_remap_addr(vmid, idx)
            if base <= addr < base + size:
                ret = addr - base + remap
        self.release_lock_vm(vmid)
        return self.check(ret)

    def _vm_vcpu_args(self, name, vmid, vcpuid):
        return (self.rely_arg(is_vmid(vmid), "%s: vmid %d" % (name, vmid)) and
                self.rely_arg(is_vcpu(vcpuid), "%s: vcpuid %d" % (name, vcpuid)))

    def set_vcpu_active(self, vmid, vcpuid):
        if self.halt or not self._vm_vcpu_args("set_vcpu_active", vmid, vcpuid):
            return 0
        self.acquire_lock_vm(vmid)
        vm_state = self.get_vm_state(vmid)
        vcpu_state = self.get_vcpu_state(vmid, vcpuid)
        if vm_state == VERIFIED and vcpu_state == READY:
            self.set_vcpu_state(vmid, vcpuid, ACTIVE)
            info = self.info(vmid)
            info.has_run = True  # L5
            if info.snap == SNAP_SAVING:
                info.snap_stale = True  # its epoch moved on
            if info.seal_pending:  # E2: blobs so far are older now
                self.lineage_resume(vmid)
        else:
            self.panic("set_vcpu_active: vm %d state %d vcpu %d state %d"
                       % (vmid, vm_state, vcpuid, vcpu_state))
            return 0
        self.release_lock_vm(vmid)
        return 0

    def set_vcpu_inactive(self, vmid, vcpuid):
        if self.halt or not self._vm_vcpu_args("set_vcpu_inactive", vmid, vcpuid):
            return 0
        self.acquire_lock_vm(vmid)
        vcpu_state = self.get_vcpu_state(vmid, vcpuid)
        if vcpu_state == ACTIVE:
            self.set_vcpu_state(vmid, vcpuid, READY)
        else:
            self.panic("set_vcpu_inactive: vm %d vcpu %d state %d"
                       % (vmid, vcpuid, vcpu_state))
            return 0
        self.release_lock_vm(vmid)
        return 0

    def pin_run_page(self, vmid, vcpuid, pfn):
        """P1: the vCPU's shared page must be the host's memory, not pinned
        (one page per vCPU); it stays pinned until destroy_vm. False after
        a panic. The spec as written takes any address."""
        ok = (self.in_region(pfn) and self.page(pfn)[0] == HOSTVISOR and
              pfn not in self.pinned)
        if not ok:
            self.fire("P1")
            if self.on("P1"):
                what = ("is not memory" if not self.in_region(pfn) else
                        "owned by %d, not the host" % self.page(pfn)[0])
                self.panic("register_vcpu: vm %d vcpu %d shared page %#x %s"
                           % (vmid, vcpuid, pfn * PAGE_SIZE, what))
                return False
            return True
        if self.on("P1"):
            self.pinned.add(pfn)
        return True

    def refuse_pinned(self, who, pfn):
        """P1: a pinned page (a registered vCPU's shared page) is never
        given away. True after the panic."""
        if pfn not in self.pinned:
            return False
        self.fire("P1")
        if not self.on("P1"):
            return False
        self.panic("%s: pfn %#x is a vCPU's run page" % (who, pfn))
        return True

    def register_vcpu(self, vmid, vcpuid):
        if self.halt or not self._vm_vcpu_args("register_vcpu", vmid, vcpuid):
            return 0
        self.acquire_lock_vm(vmid)
        vm_state = self.get_vm_state(vmid)
        vcpu_state = self.get_vcpu_state(vmid, vcpuid)
        if vm_state == READY and vcpu_state == UNUSED:  # S1
            vcpu = self.get_shared_vcpu(vmid, vcpuid)
            if not self.pin_run_page(vmid, vcpuid, vcpu // PAGE_SIZE):
                return 0
            self.set_vm_vcpu(vmid, vcpuid, vcpu)
            self.set_vcpu_state(vmid, vcpuid, READY)
            self.set_shadow_ctxt(vmid, vcpuid, DIRTY, INVALID64)
        else:
            self.panic("register_vcpu: vm %d state %d vcpu %d state %d"
                       % (vmid, vm_state, vcpuid, vcpu_state))
            return 0
        self.release_lock_vm(vmid)
        return 0

    def register_kvm(self):
        if self.halt:
            return 0
        vmid = self.gen_vmid()
        if self.halt:
            return 0
        self.acquire_lock_vm(vmid)
        state = self.get_vm_state(vmid)
        if state == UNUSED:
            kvm = self.get_shared_kvm(vmid)
            self.set_vm_kvm(vmid, kvm)
            self.set_vm_state(vmid, READY)
        else:
            self.panic("register_kvm: vm %d state %d" % (vmid, state))
            return 0
        self.release_lock_vm(vmid)
        return self.check(vmid)

    def set_boot_info(self, vmid, load_addr, size):
        if self.halt:
            return 0
        if not (self.rely_arg(is_vmid(vmid), "set_boot_info: vmid %d" % vmid) and
                self.rely_arg(is_addr(load_addr), "set_boot_info: load_addr %#x" % load_addr) and
                self.rely_arg(is_addr(size), "set_boot_info: size %#x" % size)):
            return 0
        self.acquire_lock_vm(vmid)
        state = self.get_vm_state(vmid)
        if state != READY:
            self.panic("set_boot_info: vm %d state %d not READY" % (vmid, state))
            return 0
        load_idx = self.get_vm_next_load_idx(vmid)
        if load_idx < MAX_LOAD_INFO_NUM:
            self.set_vm_next_load_idx(vmid, load_idx + 1)
            page_count = (size + 4095) // PAGE_SIZE
            remap_addr = self.alloc_remap_addr(page_count)
            if self.halt:
                return 0
            self.set_vm_load_addr(vmid, load_idx, load_addr)
            self.set_vm_load_size(vmid, load_idx, size)
            self.set_vm_remap_addr(vmid, load_idx, remap_addr)
            self.set_vm_mapped_pages(vmid, load_idx, 0)
        self.release_lock_vm(vmid)
        return self.check(load_idx)

    def set_vm_region(self, vmid, base, size, kind):
        """G1: append a region to a READY VM's memory map."""
        if self.halt:
            return 0
        if not is_vm(vmid):
            self.panic("set_vm_region: vmid %d is not a VM" % vmid)
            return 0
        self.acquire_lock_vm(vmid)
        info = self.vminfos[vmid]
        n = info.nregions
        limit = 1 << self.pa_bits
        if info.state != READY:
            self.panic("set_vm_region: vm %d state %d not READY" % (vmid, info.state))
            return 0
        if kind not in (CV_REGION_RAM, CV_REGION_MMIO):
            self.panic("set_vm_region: vm %d kind %d" % (vmid, kind))
            return 0
        if (size == 0 or (base | size) & (PAGE_SIZE - 1) or base >= limit or
                size > limit - base):
            self.panic("set_vm_region: vm %d region %#x size %#x not page aligned below 2^%d"
                       % (vmid, base, size, self.pa_bits))
            return 0
        if n >= CV_MAX_VM_REGIONS:
            self.panic("set_vm_region: vm %d has %d regions already" % (vmid, n))
            return 0
        if n and base < info.region_base[n - 1] + info.region_size[n - 1]:
            self.panic("set_vm_region: vm %d region %#x overlaps" % (vmid, base))
            return 0
        info.region_base[n] = base
        info.region_size[n] = size
        info.region_kind[n] = kind
        info.nregions = n + 1
        self.release_lock_vm(vmid)
        return 0

    def vm_ram_covers(self, vmid, base, size):
        """G1: [base, base + size) in one RAM region (True without a map)."""
        info = self.vminfos[vmid]
        if not info.nregions:
            return True
        for i in range(info.nregions):
            rb, rs = info.region_base[i], info.region_size[i]
            if (info.region_kind[i] == CV_REGION_RAM and base >= rb and
                    base - rb <= rs and size <= rs - (base - rb)):
                return True
        return False

    def remap_vm_image(self, vmid, pfn, load_idx):
        if self.halt:
            return 0
        if not (self.rely_arg(is_vmid(vmid), "remap_vm_image: vmid %d" % vmid) and
                self.rely_arg(is_load_idx(load_idx), "remap_vm_image: load_idx %d" % load_idx) and
                self.rely_arg(is_pfn(pfn), "remap_vm_image: pfn %#x" % pfn)):
            return 0
        if not self.rely_arg(self.in_region(pfn), "remap_vm_image: pfn %#x not memory" % pfn,
                             delta="C5", spec_defined=True):
            return 0  # C5
        self.acquire_lock_vm(vmid)
        state = self.get_vm_state(vmid)
        if state != READY:
            self.panic("remap_vm_image: vm %d state %d not READY" % (vmid, state))
            return 0
        if load_idx < self.get_vm_next_load_idx(vmid):
            size = self.get_vm_load_size(vmid, load_idx)
            page_count = (size + 4095) // PAGE_SIZE
            mapped = self.get_vm_mapped_pages(vmid, load_idx)
            remap_addr = self.get_vm_remap_addr(vmid, load_idx)
            target = remap_addr + mapped * PAGE_SIZE
            if mapped < page_count:
                self.map_s2pt(COREVISOR, target, 3, pfn * PAGE_SIZE | PAGE_HYP)
                self.set_vm_mapped_pages(vmid, load_idx, mapped + 1)
        self.release_lock_vm(vmid)
        return 0

    def verify_and_load_images(self, vmid):
        if self.halt:
            return 0
        if not self.vm_arg("verify_and_load_images", vmid):  # C2: a VM
            return 0
        self.acquire_lock_vm(vmid)
        state = self.get_vm_state(vmid)
        if state != READY:
            self.panic("verify_and_load_images: vm %d state %d not READY" % (vmid, state))
            return 0
        cnt = self.get_vm_next_load_idx(vmid)
        for idx in range(min(cnt, MAX_LOAD_INFO_NUM)):  # G1
            la = self.get_vm_load_addr(vmid, idx)
            start = la & ~(PMD_SIZE - 1)
            end = (la + self.get_vm_load_size(vmid, idx) + PMD_SIZE - 1) & ~(PMD_SIZE - 1)
            if not self.vm_ram_covers(vmid, start, end - start):
                self.panic("verify_and_load_images: vm %d image %d not in RAM" % (vmid, idx))
                return 0
        boots = 0
        entry = None
        args = 0
        arg_addr = 0
        facts = []  # E2: (digest, payload length) of each image
        for idx in range(cnt):  # verify_and_load_loop
            load_addr = self.get_vm_load_addr(vmid, idx)
            remap_addr = self.get_vm_remap_addr(vmid, idx)
            mapped = self.get_vm_mapped_pages(vmid, idx)
            self.unmap_and_load_vm_image(vmid, load_addr, remap_addr, mapped)
            valid = self.verify_image(vmid, remap_addr)
            if valid == 0:
                self.panic("verify_and_load_images: vm %d image %d bad signature"
                           % (vmid, idx))
                return 0
            facts.append((self.last_img_digest, self.last_img_plen))
            # C11: the oracle's trailer flags + 1 (FLAG_BOOT = 1).
            if (self.last_img - 1) & 1:
                boots += 1
                entry = self.last_img_entry
            if (self.last_img - 1) & 2:  # G2
                args += 1
                arg_addr = load_addr
        if boots > 1:  # C11: at most one boot image
            self.fire("C11")
        if boots > 1 and self.on("C11"):
            self.panic("verify_and_load_images: vm %d: %d boot images" % (vmid, boots))
            return 0
        if args > 1:  # G2: at most one boot argument
            self.panic("verify_and_load_images: vm %d: %d boot arguments" % (vmid, args))
            return 0
        self.zero_image_blocks(vmid)  # C12
        info = self.info(vmid)
        info.measurement = measure(info, facts)  # E2
        if info.lineage:  # state was restored into it (C18)
            if (not self.lineage_check_measurement(vmid) or
                    not self.restored_vcpus_in_code(vmid, facts)):
                return 0
            entry = None  # it resumes where it was sealed
        else:
            self.lineage_new(vmid)
            if self.halt:
                return 0
        if entry is not None and info.vcpu_state[0] == READY:
            self.fire("C16")  # the spec's vCPU starts where the host says
            if self.on("C16"):
                info.vcpu_power[0] = VCPU_ON_PENDING
                info.vcpu_entry[0] = entry
                info.vcpu_context[0] = arg_addr if args else 0  # G2
        self.set_vm_state(vmid, VERIFIED)
        self.release_lock_vm(vmid)
        return 0

    def _smmu_args(self, name, vmid, cbndx, index):
        return (self.rely_arg(is_vmid(vmid), "%s: vmid %d" % (name, vmid)) and
                self.rely_arg(is_smmu(index), "%s: smmu %d" % (name, index)) and
                self.rely_arg(is_smmu_cfg(cbndx), "%s: cbndx %d" % (name, cbndx)))

    def _vm_verified(self, vmid):
        return is_vm(vmid) and self.get_vm_state(vmid) == VERIFIED

    def alloc_smmu(self, vmid, cbndx, index):
        if self.halt or not self._smmu_args("alloc_smmu", vmid, cbndx, index):
            return 0
        self.acquire_lock_vm(vmid)
        if self._vm_verified(vmid):
            self.panic("alloc_smmu: vm %d is VERIFIED" % vmid)
            return 0
        self.init_spt(cbndx, index)
        self.release_lock_vm(vmid)
        return 0

    def assign_smmu(self, vmid, pfn, gfn):
        if self.halt:
            return 0
        if not (self.rely_arg(is_vmid(vmid), "assign_smmu: vmid %d" % vmid) and
                self.rely_arg(is_gfn(gfn), "assign_smmu: gfn %#x" % gfn) and
                self.rely_arg(is_pfn(pfn), "assign_smmu: pfn %#x" % pfn)):
            return 0
        self.acquire_lock_vm(vmid)
        if is_vm(vmid):
            if self.get_vm_state(vmid) == VERIFIED:
                self.panic("assign_smmu: vm %d is VERIFIED" % vmid)
                return 0
            self.snapshot_cancel(vmid)  # L5
            self.assign_pfn_to_smmu(vmid, gfn, pfn)
        self.release_lock_vm(vmid)
        return 0

    def map_smmu(self, vmid, cbndx, index, iova, pte):
        if self.halt or not self._smmu_args("map_smmu", vmid, cbndx, index):
            return 0
        if not self.rely_arg(is_smmu_addr(iova), "map_smmu: iova %#x" % iova):
            return 0
        self.acquire_lock_vm(vmid)
        if self._vm_verified(vmid):
            self.panic("map_smmu: vm %d is VERIFIED" % vmid)
            return 0
        self.update_smmu_page(vmid, cbndx, index, iova, pte)
        self.release_lock_vm(vmid)
        return 0

    def clear_smmu(self, vmid, cbndx, index, iova):
        if self.halt or not self._smmu_args("clear_smmu", vmid, cbndx, index):
            return 0
        if not self.rely_arg(is_smmu_addr(iova), "clear_smmu: iova %#x" % iova):
            return 0
        self.acquire_lock_vm(vmid)
        if self._vm_verified(vmid):
            self.panic("clear_smmu: vm %d is VERIFIED" % vmid)
            return 0
        self.unmap_smmu_page(cbndx, index, iova)
        self.release_lock_vm(vmid)
        return 0

    def map_io(self, vmid, gpa, pa):
        if self.halt:
            return 0
        if not (self.rely_arg(is_vmid(vmid), "map_io: vmid %d" % vmid) and
                self.rely_arg(is_addr(gpa), "map_io: gpa %#x" % gpa) and
                self.rely_arg(is_addr(pa), "map_io: pa %#x" % pa)):
            return 0
        self.acquire_lock_vm(vmid)
        state = self.get_vm_state(vmid)
        if state != READY:
            self.panic("map_io: vm %d state %d not READY" % (vmid, state))
            return 0
        self.map_vm_io(vmid, gpa, pa)
        self.release_lock_vm(vmid)
        return 0

    def is_inc_exe(self, vmid):
        if self.halt:
            return 0
        if not self.rely_arg(is_vmid(vmid), "is_inc_exe: vmid %d" % vmid):
            return 0
        self.acquire_lock_vm(vmid)
        inc_exe = self.get_vm_inc_exe(vmid)
        self.release_lock_vm(vmid)
        return self.check(inc_exe)

    # -- BootOps: the sealing calls (E1, E2; deltas C17..C22) ------------------
    # save/load_encrypted_vcpu, save_encrypt_buf, load_decrypt_buf, and
    # corevisor's binding (core/boot/lineage.c) as the model sees it:
    # lineage slots, each VM's measurement, instance and epoch. The AEAD is
    # redone by the model itself (E1: libsodium's XChaCha20-Poly1305
    # through ctypes, over the model's own page bytes).

    def refuse(self, delta, reason):
        """A corevisor refusal (@delta): True after its panic; False when
        the delta is off (the spec goes on)."""
        self.fire(delta)
        if self.on(delta):
            self.panic(reason)
            return True
        return False

    def next_nonce(self):
        """seal.c next_nonce: the boot's salt || a 64-bit counter."""
        n = self.nonce_counter
        self.nonce_counter = (n + 1) & MASK64
        return self.sealer.salt + struct.pack("<Q", n)

    def host_owns(self, pa, length):
        return all(self.get_pfn_owner(p) == HOSTVISOR
                   for p in range(pa // PAGE_SIZE, (pa + length - 1) // PAGE_SIZE + 1))

    def lineage_of(self, info):
        return self.lineages[info.lineage] if info.lineage else None

    def alloc_lineage_slot(self, vmid):
        """E2: the VM's own slot when free, else a free one, else the one
        retired longest ago (emptied); None when every slot is held."""
        ls = self.lineages
        if not ls[vmid].holder and not ls[vmid].retired:
            return vmid
        oldest = None
        for i in range(1, COREVISOR):
            if ls[i].holder:
                continue
            if not ls[i].retired:
                return i
            if oldest is None or ls[i].retired_seq < ls[oldest].retired_seq:
                oldest = i
        if oldest is not None:
            ls[oldest] = Lineage()
        return oldest

    def lineage_new(self, vmid):
        """E2: a VM verified from images alone starts a lineage: a fresh
        instance (SHA-256 of the boot's salt and a counter), epoch 1."""
        info = self.info(vmid)
        n = self.next_instance
        self.next_instance += 1
        slot = self.alloc_lineage_slot(vmid)
        if slot is None:
            self.panic("lineage_new: vm %d: no free lineage slot" % vmid)
            return
        lin = self.lineages[slot]
        lin.instance = hashlib.sha256(domain32(INSTANCE_DOMAIN) + self.sealer.salt +
                                      struct.pack("<Q", n)).digest()[:16]
        lin.measurement = info.measurement
        lin.epoch, lin.holder, lin.open = 1, vmid, 1
        info.lineage = slot
        info.seal_pending = 0

    def find_lineage(self, meas, inst):
        for i in range(1, COREVISOR):
            lin = self.lineages[i]
            if (lin.holder or lin.retired) and lin.instance == inst and lin.measurement == meas:
                return i
        return 0

    def lineage_seal(self, vmid, who):
        """E2 + C18: the binding a blob of @vmid carries, or None after a
        panic: a VERIFIED or POWEROFF VM holding its lineage, no vCPU
        ACTIVE (the spec seals any VM)."""
        info = self.info(vmid)
        if info.state not in (VERIFIED, POWEROFF) or not info.lineage:
            if self.refuse("C18", "%s: vm %d state %d: only a verified VM is sealed"
                           % (who, vmid, info.state)):
                return None
        for v in range(VCPU_PER_VM):
            if info.vcpu_state[v] == ACTIVE:
                if self.refuse("C18", "%s: vm %d vcpu %d is running" % (who, vmid, v)):
                    return None
                break
        lin = self.lineage_of(info)
        if lin is None:  # only with C18 off: bound to nothing
            return (bytes(32), bytes(16), 0)
        if lin.holder != vmid:
            if self.refuse("C18", "%s: vm %d: its state moved on to vm %d"
                           % (who, vmid, lin.holder)):
                return None
        info.seal_pending = 1
        return (lin.measurement, lin.instance, lin.epoch)

    def lineage_restore(self, vmid, bind, who):
        """E2 + C18: a blob bound to @bind restored into READY VM @vmid:
        the VM carries that instance on, at its current epoch; one VM
        holds an instance at a time. False after a panic."""
        info = self.info(vmid)
        meas, inst, epoch = bind
        slot = info.lineage
        lin = self.lineage_of(info)
        if lin is not None:
            if not (lin.instance == inst and lin.measurement == meas):
                if self.refuse("C18", "%s: vm %d: blob of another instance than the "
                               "state restored before" % (who, vmid)):
                    return False
        else:
            slot = self.find_lineage(meas, inst)
            if slot:
                lin = self.lineages[slot]
                if lin.open:
                    if self.refuse("C18", "%s: vm %d: the blob's instance lives on in vm %d"
                                   % (who, vmid, lin.holder)):
                        return False
            else:  # unknown here (before a reboot, or evicted): starts again
                slot = self.alloc_lineage_slot(vmid)
                if slot is None:
                    self.panic("%s: vm %d: no free lineage slot" % (who, vmid))
                    return False
                lin = self.lineages[slot]
                lin.instance, lin.measurement, lin.epoch = inst, meas, epoch
        if epoch != lin.epoch:
            if self.refuse("C18", "%s: vm %d: blob of version %d, the instance is at "
                           "version %d" % (who, vmid, epoch, lin.epoch)):
                return False
        if not info.lineage:
            info.lineage = slot
            lin.holder, lin.open, lin.retired = vmid, 1, 0
        info.seal_pending = 1
        return True

    def lineage_check_measurement(self, vmid):
        """C18: a VM state was restored into measures what it was sealed for."""
        info = self.info(vmid)
        lin = self.lineage_of(info)
        if lin is None or lin.measurement != info.measurement:
            return not self.refuse("C18", "verify_and_load_images: vm %d: its images do not "
                                   "measure what its restored state was sealed for" % vmid)
        return True

    def restored_vcpus_in_code(self, vmid, facts):
        """C18: each restored vCPU resumes (or starts) in a verified payload."""
        info = self.info(vmid)
        for v in range(VCPU_PER_VM):
            if not info.vcpu_restored & (1 << v) or info.vcpu_power[v] == VCPU_OFF:
                continue
            pc = (info.vcpu_entry[v] if info.vcpu_power[v] == VCPU_ON_PENDING
                  else info.ctxt[v].get(PC, 0))
            if not any(info.load_addr[i] <= pc < info.load_addr[i] + plen
                       for i, (_d, plen) in enumerate(facts)):
                if self.refuse("C18", "verify_and_load_images: vm %d restored vcpu %d pc %#x "
                               "is outside verified code" % (vmid, v, pc)):
                    return False
        return True

    def lineage_resume(self, vmid):
        """E2: a vCPU of a VM that sealed (or was restored into) runs: the
        lineage's epoch moves on."""
        info = self.info(vmid)
        lin = self.lineage_of(info)
        if lin is not None and lin.holder == vmid:
            lin.epoch += 1
        info.seal_pending = 0

    def lineage_power_off(self, vmid):
        lin = self.lineage_of(self.info(vmid))
        if lin is not None and lin.holder == vmid:
            lin.open = 0

    def lineage_destroy(self, vmid):
        lin = self.lineage_of(self.info(vmid))
        if lin is not None and lin.holder == vmid:
            lin.holder = lin.open = 0
            lin.retired = 1
            self.lineages_retired += 1
            lin.retired_seq = self.lineages_retired

    def vcpu_plain(self, vmid, vcpuid):
        """The sealed vCPU's plaintext: its shadow context (every word),
        then its power state, entry and context id (u64 each)."""
        info = self.info(vmid)
        c = info.ctxt[vcpuid]
        return (b"".join(struct.pack("<Q", c.get(i, 0)) for i in range(self.ctxt_words)) +
                struct.pack("<QQQ", info.vcpu_power[vcpuid], info.vcpu_entry[vcpuid],
                            info.vcpu_context[vcpuid]))

    def save_encrypted_vcpu(self, vmid, vcpuid):
        if self.halt:
            return 0
        if not self.rely_arg(is_vm(vmid) and is_vcpu(vcpuid),
                             "save_encrypted_vcpu: vm %d vcpu %d out of range" % (vmid, vcpuid)):
            return 0
        # C17: the spec's encrypt_gp_regs / encrypt_sys_regs change nothing.
        if not self.on("C17"):
            self.fire("C17")
            return 0
        self.acquire_lock_vm(vmid)
        info = self.info(vmid)
        if info.vcpu_state[vcpuid] != READY:
            self.fire("C17")
            self.panic("save_encrypted_vcpu: vm %d vcpu %d state %d not READY"
                       % (vmid, vcpuid, info.vcpu_state[vcpuid]))
            return 0
        bind = self.lineage_seal(vmid, "save_encrypted_vcpu")
        if bind is None:
            return 0
        pa = self.shared_vcpu(vmid, vcpuid)
        self.acquire_lock_s2page()
        if not self.host_owns(pa, PAGE_SIZE):
            self.fire("C17")
            self.panic("save_encrypted_vcpu: vm %d vcpu %d shared page %#x not host memory"
                       % (vmid, vcpuid, pa))
            return 0
        self.fire("C17")  # the blob is written
        plain = self.vcpu_plain(vmid, vcpuid)
        ad = VCPU_MAGIC + struct.pack("<IIII", SEALED_VERSION, vcpuid, len(plain), 0) + \
            bind_bytes(bind)
        nonce = self.next_nonce()
        ct, tag = self.sealer.seal(plain, ad, nonce)
        self.host_store(pa, ad + nonce + tag + ct)
        self.release_lock_s2page()
        self.release_lock_vm(vmid)
        return 0

    def load_encrypted_vcpu(self, vmid, vcpuid):
        if self.halt:
            return 0
        if not self.rely_arg(is_vm(vmid) and is_vcpu(vcpuid),
                             "load_encrypted_vcpu: vm %d vcpu %d out of range" % (vmid, vcpuid)):
            return 0
        self.acquire_lock_vm(vmid)
        info = self.info(vmid)
        if not (info.state == READY and info.vcpu_state[vcpuid] == READY):  # S2
            self.panic("load_encrypted_vcpu: vm %d state %d vcpu %d state %d"
                       % (vmid, info.state, vcpuid, info.vcpu_state[vcpuid]))
            return 0
        pa = self.shared_vcpu(vmid, vcpuid)
        self.acquire_lock_s2page()
        if not self.host_owns(pa, PAGE_SIZE):
            if self.refuse("C17", "load_encrypted_vcpu: vm %d vcpu %d shared page %#x "
                           "not host memory" % (vmid, vcpuid, pa)):
                return 0
        sb = self.ctxt_words * 8 + 24
        page = self.content(pa // PAGE_SIZE)
        hdr = page[:SEALED_HDR]
        plain = None
        if hdr[:24] != VCPU_MAGIC + struct.pack("<IIII", SEALED_VERSION, vcpuid, sb, 0):
            if self.refuse("C19", "load_encrypted_vcpu: vm %d vcpu %d: header is not a "
                           "sealed vcpu %d" % (vmid, vcpuid, vcpuid)):
                return 0
        else:
            plain = self.sealer.open(page[SEALED_HDR:SEALED_HDR + sb], hdr[104:120],
                                     hdr[:SEALED_AD], hdr[80:104])
            if plain is None:
                if self.refuse("C19", "load_encrypted_vcpu: vm %d vcpu %d: sealed context "
                               "refused" % (vmid, vcpuid)):
                    return 0
        self.release_lock_s2page()
        if not self.lineage_restore(vmid, parse_bind(hdr[24:80]), "load_encrypted_vcpu"):
            return 0
        if plain is not None:  # decrypt_gp_regs / decrypt_sys_regs: the blob's
            words = struct.unpack("<%dQ" % (sb // 8), plain)
            info.ctxt[vcpuid] = {i: w for i, w in enumerate(words[:self.ctxt_words]) if w}
            info.vcpu_power[vcpuid] = words[-3] & 0xFFFFFFFF
            info.vcpu_entry[vcpuid] = words[-2]
            info.vcpu_context[vcpuid] = words[-1]
            info.vcpu_restored |= 1 << vcpuid
        self.fire("C22")  # the spec's set_vm_inc_exe writes vm_next_load_info
        if self.on("C22"):
            self.set_vm_inc_exe(vmid, 1)
        else:
            self.set_vm_next_load_idx(vmid, 1)
        self.release_lock_vm(vmid)
        return 0

    def save_encrypt_buf(self, vmid, inbuf, outbuf):
        if self.halt:
            return 0
        if not self.rely_arg(is_vm(vmid) and is_paddr(inbuf) and is_paddr(outbuf),
                             "save_encrypt_buf: bad args vm %d in %#x out %#x"
                             % (vmid, inbuf, outbuf)):
            return 0
        inpfn, outpfn = inbuf // PAGE_SIZE, outbuf // PAGE_SIZE
        self.acquire_lock_vm(vmid)  # corevisor (C18): the spec takes no VM lock
        bind = self.lineage_seal(vmid, "save_encrypt_buf")
        if bind is None:
            return 0
        self.acquire_lock_s2page()
        inowner = self.get_pfn_owner(inpfn)
        outowner = self.get_pfn_owner(outpfn)
        hdrowner = self.get_pfn_owner(outpfn + 1)
        if inowner != vmid:
            self.panic("save_encrypt_buf: vm %d in pfn %#x owner %d" % (vmid, inpfn, inowner))
            return 0
        if outowner != HOSTVISOR:
            self.panic("save_encrypt_buf: vm %d out pfn %#x owners %d/%d not host"
                       % (vmid, outpfn, outowner, hdrowner))
            return 0
        if hdrowner != HOSTVISOR:
            if self.refuse("C20", "save_encrypt_buf: vm %d out pfn %#x owners %d/%d not host"
                           % (vmid, outpfn, outowner, hdrowner)):
                return 0
        # encrypt_mem_buf: the ciphertext to outpfn; C20: its header to outpfn + 1
        ad = PAGE_MAGIC + struct.pack("<IIQ", SEALED_VERSION, 0, self.get_pfn_map(inpfn)) + \
            bind_bytes(bind)
        nonce = self.next_nonce()
        ct, tag = self.sealer.seal(self.content(inpfn), ad, nonce)
        self.set_content(outpfn, ct)
        self.fire("C20")
        if self.on("C20"):
            self.host_store((outpfn + 1) * PAGE_SIZE, ad + nonce + tag)
        self.release_lock_s2page()
        self.release_lock_vm(vmid)
        return 0

    def load_decrypt_buf(self, vmid, inbuf):
        if self.halt:
            return 0
        if not self.rely_arg(is_vm(vmid) and is_paddr(inbuf),
                             "load_decrypt_buf: bad args vm %d in %#x" % (vmid, inbuf)):
            return 0
        pfn = inbuf // PAGE_SIZE
        self.acquire_lock_vm(vmid)
        state = self.get_vm_state(vmid)
        if state != READY:
            self.panic("load_decrypt_buf: vm %d state %d not READY" % (vmid, state))
            return 0
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        count = self.get_pfn_count(pfn)
        hdrowner = self.get_pfn_owner(pfn + 1)
        why = "load_decrypt_buf: vm %d pfn %#x owners %d/%d not host" % (vmid, pfn, owner, hdrowner)
        if owner != HOSTVISOR:
            self.panic(why)
            return 0
        if hdrowner != HOSTVISOR and self.refuse("C20", why):
            return 0
        if count != 0 and self.refuse("C20", "load_decrypt_buf: vm %d pfn %#x share count %d"
                                      % (vmid, pfn, count)):
            return 0
        hdr = self.content(pfn + 1)[:SEALED_HDR]
        version, flags, gfn = struct.unpack("<IIQ", hdr[8:24])
        if (hdr[:8] != PAGE_MAGIC or version != SEALED_VERSION or flags != 0) and \
                self.refuse("C19", "load_decrypt_buf: vm %d pfn %#x: not a sealed page"
                            % (vmid, pfn)):
            return 0
        self.set_pfn_owner(pfn, vmid)
        self.set_pfn_count(pfn, 0)
        self.set_pfn_map(pfn, INVALID64)
        self.clear_pfn_host(pfn)
        if self.halt:
            return 0
        plain = self.sealer.open(self.content(pfn), hdr[104:120], hdr[:SEALED_AD], hdr[80:104])
        if plain is None:  # the spec's decrypt_mem_buf takes any bytes
            if self.refuse("C19", "load_decrypt_buf: vm %d pfn %#x: sealed page refused"
                           % (vmid, pfn)):
                return 0
        else:
            self.set_content(pfn, plain)
        if gfn != INVALID64:
            self.fire("C21")  # the spec leaves INVALID64
            if self.on("C21"):
                self.set_pfn_map(pfn, gfn)
        self.release_lock_s2page()
        if not self.lineage_restore(vmid, parse_bind(hdr[24:80]), "load_decrypt_buf"):
            return 0
        self.release_lock_vm(vmid)
        return 0

    def seal_state(self):
        """cv_dump_seal's words: the nonce counter, instances made,
        lineages retired; per VM, per lineage slot."""
        out = [self.nonce_counter, self.next_instance, self.lineages_retired]
        for v in range(1, COREVISOR):
            i = self.vminfos[v]
            out += [i.lineage, i.seal_pending, i.vcpu_restored] + words_le(i.measurement)
        for s in range(1, COREVISOR):
            lin = self.lineages[s]
            out += [lin.holder, lin.open, lin.retired, lin.retired_seq, lin.epoch]
            out += words_le(lin.instance) + words_le(lin.measurement)
        return out

    # -- MmioOps (the HVC_SMMU_* calls), MmioRaw's smmu_init_pte, and
    # MemHandler's el2_arm_lpae_map: context bank owners (SMMU_ID) --------

    def get_smmu_cfg_vmid(self, cbndx, index):
        return self.smmu_owner[(index, cbndx)]

    def set_smmu_cfg_vmid(self, cbndx, index, vmid):
        if not self.halt:
            self.smmu_owner[(index, cbndx)] = vmid

    def get_smmu_num_context_banks(self, index):
        return self.smmu_banks if index < self.smmu_num else 0

    def bank_args(self, who, cbndx, index, iova=0):
        """C2: the relies on (index, cbndx) and the iova, as panics."""
        return (self.rely_arg(is_smmu(index) and is_smmu_cfg(cbndx),
                              "%s: smmu %d context bank %d out of range" % (who, index, cbndx)) and
                self.rely_arg(is_smmu_addr(iova), "%s: iova %#x beyond 40 bits" % (who, iova)))

    def el2_free_smmu_pgd(self, cbndx, index):
        if self.halt or not self.bank_args("el2_free_smmu_pgd", cbndx, index):
            return 0
        self.acquire_lock(SMMU_ID)
        vmid = self.get_smmu_cfg_vmid(cbndx, index)
        if vmid != INVALID:
            power = self.get_vm_poweron(vmid)
            if self.halt:
                return 0
            if power:
                self.panic("el2_free_smmu_pgd: smmu %d context bank %d of vm %d is not "
                           "powered off" % (index, cbndx, vmid))
                return 0
            self.set_smmu_cfg_vmid(cbndx, index, INVALID)
            key = (index, cbndx)
            if self.spts.pt[key] or self.spts.pgd_t[key]:
                self.fire("C23")  # the spec leaves the dead VM's table
            if self.on("C23"):
                self.init_spt(cbndx, index)
                if self.halt:
                    return 0
        self.release_lock(SMMU_ID)
        return 0

    def el2_alloc_smmu_pgd(self, cbndx, vmid, index):
        if self.halt or not self.bank_args("el2_alloc_smmu_pgd", cbndx, index):
            return 0
        if not self.rely_arg(vmid < COREVISOR, "el2_alloc_smmu_pgd: vmid %d is not the host "
                             "or a VM" % vmid, spec_defined=is_vmid(vmid)):
            return 0
        self.acquire_lock(SMMU_ID)
        num = self.get_smmu_num_context_banks(index)
        if cbndx < num:
            if self.get_smmu_cfg_vmid(cbndx, index) == INVALID:
                self.set_smmu_cfg_vmid(cbndx, index, vmid)
                self.alloc_smmu(vmid, cbndx, index)
                if self.halt:
                    return 0
        else:
            self.panic("el2_alloc_smmu_pgd: smmu %d has %d context banks, no bank %d"
                       % (index, num, cbndx))
            return 0
        self.release_lock(SMMU_ID)
        return 0

    def smmu_assign_page(self, cbndx, index, pfn, gfn):
        if self.halt or not self.bank_args("smmu_assign_page", cbndx, index):
            return 0
        if not self.rely_arg(is_pfn(pfn) and is_gfn(gfn), "smmu_assign_page: bad args pfn "
                             "%#x gfn %#x" % (pfn, gfn)):
            return 0
        self.acquire_lock(SMMU_ID)
        vmid = self.get_smmu_cfg_vmid(cbndx, index)
        if vmid != INVALID:
            self.assign_smmu(vmid, pfn, gfn)
            if self.halt:
                return 0
        self.release_lock(SMMU_ID)
        return 0

    def smmu_map_page(self, cbndx, index, iova, pte):
        if self.halt or not self.bank_args("smmu_map_page", cbndx, index, iova):
            return 0
        self.acquire_lock(SMMU_ID)
        vmid = self.get_smmu_cfg_vmid(cbndx, index)
        if vmid != INVALID:
            self.map_smmu(vmid, cbndx, index, iova, pte)
            if self.halt:
                return 0
        self.release_lock(SMMU_ID)
        return 0

    def el2_arm_lpae_iova_to_phys(self, iova, cbndx, index):
        if self.halt or not self.bank_args("el2_arm_lpae_iova_to_phys", cbndx, index, iova):
            return 0
        pte = self.walk_spt(cbndx, index, iova)
        return self.check(phys_page(pte) + (iova & (PAGE_SIZE - 1)))

    def el2_arm_lpae_clear(self, iova, cbndx, index):
        if self.halt or not self.bank_args("el2_arm_lpae_clear", cbndx, index, iova):
            return 0
        self.acquire_lock(SMMU_ID)
        vmid = self.get_smmu_cfg_vmid(cbndx, index)
        if vmid != INVALID:
            self.clear_smmu(vmid, cbndx, index, iova)
            if self.halt:
                return 0
        self.release_lock(SMMU_ID)
        return 0

    def smmu_init_pte(self, prot, addr):
        if self.halt:
            return 0
        if not self.rely_arg(is_addr(addr) and prot < 0x7FFFFFFFFFFFFFFF,
                             "smmu_init_pte: bad args prot %#x addr %#x" % (prot, addr)):
            return 0
        pte = addr | prot | PTE_AF | PTE_SH_INNER
        if pte & SMMU_PTE_CONT:
            self.fire("C24")  # the spec keeps the contiguous hint
            if self.on("C24"):
                pte &= ~SMMU_PTE_CONT
        return self.check(pte)

    def el2_arm_lpae_map(self, iova, paddr, prot, cbndx, index):
        if self.halt or not self.bank_args("el2_arm_lpae_map", cbndx, index, iova):
            return 0
        if not self.rely_arg(is_paddr(paddr) and prot < 0x7FFFFFFFFFFFFFFF and
                             phys_page(prot) == 0,
                             "el2_arm_lpae_map: bad args paddr %#x prot %#x" % (paddr, prot)):
            return 0
        pte = self.smmu_init_pte(prot, paddr)
        self.smmu_assign_page(cbndx, index, paddr // PAGE_SIZE, iova // PAGE_SIZE)
        self.smmu_map_page(cbndx, index, iova, pte)
        return 0

    def dma(self, index, cbndx, iova, data, length, write):
        """A device's DMA through bank (index, cbndx), page piece by page
        piece as the SMMU translates it: each piece through the bank's
        table (a level-3 page descriptor with the access flag and S2AP's
        read or write permission, to memory), else the access stops there
        (the pieces before it are done). Returns (ok, bytes read)."""
        out = b""
        way, table = self.smmu_route(index, cbndx)
        while length:
            chunk = min(length, PAGE_SIZE - iova % PAGE_SIZE)
            if way == "bypass":
                pte = iova & PTE_ADDR_MASK | 3 | PTE_AF | S2AP_R | S2AP_W
            elif way == "table":
                pte = self.spts.pt[table].get(iova // PAGE_SIZE, 0)
            else:
                return False, out
            pa = phys_page(pte) + iova % PAGE_SIZE
            if (pte & 3 != 3 or not pte & PTE_AF or
                    not pte & (S2AP_W if write else S2AP_R) or
                    not self.in_region(pa // PAGE_SIZE)):
                return False, out
            if write:
                self.host_store(pa, data[:chunk])  # the device's store
                data = data[chunk:]
            else:
                page = self.content(pa // PAGE_SIZE)
                out += page[pa % PAGE_SIZE:pa % PAGE_SIZE + chunk]
            iova += chunk
            length -= chunk
        return True, out

    def smmu_route(self, index, cbndx):
        """Where a device of bank (index, cbndx) goes, by the SMMU's
        registers (SMMUv2): ("bypass", None), ("fault", None) or ("table",
        the bank whose table TTBR0 names). An SMMU the machine does not
        have: the core's table of the bank."""
        if index >= self.smmu_num:
            return ("table", (index, cbndx)) if (index, cbndx) in self.spts.pt else ("fault", None)
        regs = self.smmu_regs[index]
        scr0 = regs.get(GR0_SCR0, 0)
        if scr0 & SCR0_CLIENTPD:
            return ("bypass", None)
        if cbndx >= self.smmu_banks:
            return ("fault" if scr0 & SCR0_USFCFG else "bypass", None)
        s2cr_type = (regs.get(GR0_S2CR0 + 4 * cbndx, 0) >> 16) & 3
        if s2cr_type == 1:
            return ("bypass", None)
        if s2cr_type != 0:
            return ("fault", None)
        cb = SMMU_GLOBAL_BASE + cbndx * PAGE_SIZE
        if not regs.get(cb + CB_SCTLR, 0) & 1:
            return ("bypass", None)
        cbar_type = (regs.get(GR1_BASE + 4 * cbndx, 0) >> 16) & 3
        if cbar_type not in (0, 1) or regs.get(cb + CB_TCR, 0) & TCR_GEOMETRY != TCR_CORE:
            return ("fault", None)  # (another geometry: the core never lets it)
        t = cb + (CB_TTBR1 if cbar_type == 1 else CB_TTBR0)
        root = (regs.get(t, 0) | regs.get(t + 4, 0) << 32) & PTE_ADDR_MASK
        for key, ttbr in self.smmu_ttbr.items():
            if root and ttbr & PTE_ADDR_MASK == root:
                return ("table", key)
        return ("fault", None)

    def unmap_vm_page_smmu(self, vmid, pfn, gfn):
        """C25: a VM page leaves every SMMU bank of the VM (at iova gfn *
        4 KiB) before clear_vm_page gives it to the host."""
        if gfn == INVALID64 or not is_smmu_addr(gfn * PAGE_SIZE):
            return
        for (index, cbndx), owner in sorted(self.smmu_owner.items()):
            if owner != vmid:
                continue
            pte = self.spts.pt[(index, cbndx)].get(gfn, 0)
            if pte and phys_page(pte) // PAGE_SIZE == pfn:
                self.fire("C25")
                if self.on("C25"):
                    self.unmap_spt(cbndx, index, gfn * PAGE_SIZE)
                    if self.halt:
                        return

    def free_vm_banks(self, vmid):
        """L3: destroy_vm empties and unowns every bank of the VM."""
        for (index, cbndx), owner in sorted(self.smmu_owner.items()):
            if owner == vmid:
                self.init_spt(cbndx, index)
                if self.halt:
                    return
                self.smmu_owner[(index, cbndx)] = INVALID

    # -- MmioCore, MmioCoreAux, MmioOps' emulate_mmio: the host's trapped
    # accesses to an SMMU's registers (FaultHandler's
    # handle_host_stage2_fault on an SMMU page) -------------------------------
    # smmu_regs[index]: the 32-bit registers the model follows (SMMU_REGS),
    # offset -> value, taken from the machine at boot; smmu_ttbr[(index,
    # cbndx)]: each bank's table (the core's SMMU pool, a boot input).

    def smmu_cb_rule(self, off):
        """handle_smmu_cb_access for the 32-bit word at @off: 2 (the core
        writes its own value), 0 (refused) or 1 (the host's value)."""
        cb_off = (off - SMMU_GLOBAL_BASE) & 0xFFF
        if cb_off in (CB_TTBR0, CB_TTBR0 + 4, CB_TTBR1, CB_TTBR1 + 4):
            return 2
        return 0 if cb_off == CB_CONTEXTIDR else 1

    def smmu_global_word_ok(self, off, word, index):
        """corevisor's rule for one 32-bit global register (C26)."""
        if off == GR0_SCR0:
            return bool(word & SCR0_SMCFCFG and word & SCR0_USFCFG and
                        not word & (SCR0_CLIENTPD | SCR0_VMID16EN))
        if off == GR0_SCR2:
            return word & 0xFF == 0
        if GR0_S2CR0 <= off < GR0_S2CR_END:
            t = (word >> 16) & 3
            return t == 2 or (t == 0 and word & 0xFF < self.get_smmu_num_context_banks(index))
        if GR1_BASE <= off < GR1_END:
            n = (off - GR1_BASE) // 4
            vmid = self.smmu_owner.get((index, n), INVALID) if n < SMMU_NUM_CTXT_BANKS else INVALID
            if not is_vmid(vmid):
                return None  # unassigned bank: panic (the spec's rely)
            return (word >> 16) & 3 == 0 and word & 0xFF == vmid
        if GR1_CBA2R0 <= off < GR1_CBA2R0 + 4 * SMMU_NUM_CTXT_BANKS:
            return bool(word & 1)
        return True

    def smmu_global_spec(self, off, data, index):
        """handle_smmu_global_access_spec0 as written (first word only,
        CBAR(0) at GR1_BASE through the first branch)."""
        if 0 <= off <= GR1_BASE:
            if off == GR0_SCR0:
                return (data >> 21) & 1
            if off == GR0_SCR2:
                return 1 if data & 255 == 0 else 0
            return 1
        if GR1_BASE <= off < GR1_END:
            vmid = self.smmu_owner.get((index, (off - GR1_BASE) // 4), INVALID)
            if not is_vmid(vmid):
                return None
            if vmid == 0:
                return 1
            return 1 if data >> 16 == 0 and data & 0xFF == vmid else 0
        return 1

    def smmu_reg_store(self, index, off, length, val):
        regs = self.smmu_regs[index]
        for w in range(0, length, 4):
            # Only the registers it follows (others, such as the TLB
            # maintenance ones the core writes too, are not compared).
            if off + w in regs and not 0x20 <= off + w < 0x40:  # ID: read-only
                regs[off + w] = (val >> (8 * w)) & 0xFFFFFFFF

    def smmu_reg_load(self, index, off, length):
        regs = self.smmu_regs[index]
        return sum(regs.get(off + w, 0) << (8 * w) for w in range(0, length, 4))

    def host_smmu_access(self, index, off, length, data, write):
        """The host's @length-byte access at SMMU @index's register @off, as
        the machine makes it: one access per 4 KiB page it touches, each a
        stage-2 fault the core emulates (host_smmu_piece). (done, the value
        read); it stops at the first piece that fails."""
        val, done = 0, 0
        while done < length:
            n = min(length - done, PAGE_SIZE - (off + done) % PAGE_SIZE)
            ok, v = self.host_smmu_piece(index, off + done, n,
                                         (data >> (8 * done)) & ((1 << (8 * n)) - 1), write)
            if not ok:
                return False, val
            val |= v << (8 * done)
            done += n
        return True, val

    def host_smmu_piece(self, index, off, length, data, write):
        """handle_host_stage2_fault of the host's @length-byte access at
        SMMU @index's register @off, within one page (emulate_mmio,
        handle_host_mmio, handle_smmu_write / handle_smmu_read):
        (emulated, the value read)."""
        if self.halt:
            return False, 0
        fault_ipa = self.smmu_base[index] + off
        syndrome = length in (1, 2, 4, 8) and fault_ipa % length == 0
        if not syndrome:  # C29: no ISV, or not naturally aligned
            if self.refuse("C29", "handle_host_mmio: smmu %d access at %#x without a "
                           "syndrome" % (index, fault_ipa)):
                return False, 0
        offset = fault_ipa & 0xFFFF
        if not write:
            if length not in (4, 8):
                self.panic("__handle_smmu_read: %d-byte read at %#x" % (length, fault_ipa))
                return False, 0
            val = self.smmu_reg_load(index, offset, length)
            hide = 0
            if offset >= SMMU_GLOBAL_BASE:
                cb_off = (offset - SMMU_GLOBAL_BASE) & 0xFFF
                if cb_off == CB_TTBR0:
                    hide = PTE_ADDR_MASK if length == 8 else PTE_ADDR_MASK & 0xFFFFFFFF
                elif cb_off == CB_TTBR0 + 4:
                    hide = PTE_ADDR_MASK >> 32
            if val & hide:
                self.fire("C29")  # the core's table address is not shown
                if self.on("C29"):
                    val &= ~hide
            return True, val
        def bad_length():  # __handle_smmu_write, after the checks
            if length in (4, 8):
                return False
            self.panic("__handle_smmu_write: %d-byte write at %#x" % (length, fault_ipa))
            return True

        if offset < SMMU_GLOBAL_BASE:
            ok = True  # corevisor (C26): word by word, up to the first refusal
            for w in range(0, length, 4):
                word_ok = self.smmu_global_word_ok(offset + w, (data >> (8 * w)) & 0xFFFFFFFF,
                                                   index)
                if word_ok is None:  # an unassigned bank's CBAR (the spec: a rely)
                    if w:
                        self.fire("C26")
                    self.panic("handle_smmu_global_access: smmu %d CBAR %d of an unassigned "
                               "context bank" % (index, (offset + w - GR1_BASE) // 4))
                    return False, 0
                if not word_ok:
                    ok = False
                    break
            spec = self.smmu_global_spec(offset, data, index)
            if spec is None:
                self.fire("C26")
                spec = 0
            if ok != bool(spec):
                self.fire("C26")
            if not (ok if self.on("C26") else spec):
                self.panic("handle_smmu_write: smmu %d global register %#x refuses %#x"
                           % (index, offset, data))
                return False, 0
            if bad_length():
                return False, 0
            if length == 4 and data != 0:
                self.fire("C27")  # the spec's 4-byte write stores val, 0
            self.smmu_reg_store(index, offset, length,
                                data if length == 8 or self.on("C27") else 0)
            return True, 0
        # A context bank's registers. corevisor (C28): every 32-bit word
        # the access touches is checked, TTBR0 (both halves) and TTBR1
        # replaced, SCTLR keeps M, TCR the core's geometry.
        mask = (1 << (8 * length)) - 1
        c_val, refused = 0, None
        for w in range(0, length, 4):
            off = offset + w
            word = (data >> (8 * w)) & 0xFFFFFFFF
            rule = self.smmu_cb_rule(off)
            cb_off = (off - SMMU_GLOBAL_BASE) & 0xFFF
            if rule == 2:
                ttbr = self.smmu_ttbr.get((index, ((off - SMMU_GLOBAL_BASE) >> 12) & 7), 0)
                word = (0 if cb_off in (CB_TTBR1, CB_TTBR1 + 4) else
                        (ttbr >> 32 if cb_off == CB_TTBR0 + 4 else ttbr) & 0xFFFFFFFF)
            elif rule == 1 and ((cb_off == CB_SCTLR and not word & 1) or
                                (cb_off == CB_TCR and word & TCR_GEOMETRY != TCR_CORE)):
                rule = 0
            if rule == 0 and refused is None:
                refused = off
            c_val |= word << (8 * w)
        # The spec: the first word's rule for the whole access; TTBR0: the
        # bank's table; else the host's data (8 bytes) or val, 0 (4 bytes).
        srule = 2 if (offset - SMMU_GLOBAL_BASE) & 0xFFF == CB_TTBR0 else \
            (0 if (offset - SMMU_GLOBAL_BASE) & 0xFFF == CB_CONTEXTIDR else 1)
        s_val = self.smmu_ttbr.get((index, ((offset - SMMU_GLOBAL_BASE) >> 12) & 7), 0) \
            if srule == 2 else data
        if length == 4 and srule == 1 and data != 0:
            self.fire("C27")  # the spec's 4-byte write stores val, 0
            if not self.on("C27"):
                s_val = 0
                if self.on("C28"):
                    c_val = 0
        if (srule == 0) != (refused is not None) or (
                refused is None and (s_val & mask) != (c_val & mask)):
            self.fire("C28")
        if (refused is not None) if self.on("C28") else srule == 0:
            self.panic("handle_smmu_write: smmu %d context bank register %#x refuses %#x"
                       % (index, refused if refused is not None else offset, data))
            return False, 0
        if bad_length():
            return False, 0
        self.smmu_reg_store(index, offset, length, (c_val if self.on("C28") else s_val) & mask)
        return True, 0

    # -- copying (for the runner's shrinking) --------------------------------

    def snapshot_fingerprints(self):
        return ([n.fp for n in self.npts],
                [self.spts.fp[(i, c)] for i in range(SMMU_NUM)
                 for c in range(SMMU_NUM_CTXT_BANKS)])
