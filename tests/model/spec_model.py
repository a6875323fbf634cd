# SPDX-License-Identifier: MIT
"""
An executable model of corevisor's spec (../shared/spec), written from the
Coq text and independently of the C: the high-level `_spec` behaviour of
BootOps, BootAux, BootCore, VMPower, MemoryOps, MemManager, PageManager,
NPTOps and MmioSPTOps, and the AbstractMachine getters, setters and locks
they use. One method per spec function, same names, same branches. Where
a spec's `_spec0` (its decomposition into calls to the layer below) reads
more plainly than the inlined `_spec`, the method follows `_spec0`: the two
are proven equal.

Conventions
 - `self.panic(reason)` is panic_spec: it sets halt. After it the caller
   returns at once; every entry starts with `if self.halt: return 0`
   (check_spec), so after a halt every call is a no-op returning 0.
 - A `rely` on an argument the host controls is a panic (CONTRIBUTING.md);
   a `rely` on state is an invariant and is asserted.
 - Descriptors are corevisor's real encodings (core/include/cv/pte.h), not
   the spec's placeholder values (PAGE_S2_KERNEL, PAGE_HYP, ...).
 - Page contents are data oracles: the model tracks no bytes. Whether an
   image verifies is an input (`verify_img`, supplied by the runner, which
   knows whether it signed the image it wrote or tampered with it).

Spec corrections and documented C strengthenings mirrored here (the spec
README's "the spec wins" list, and what docs/ and the C's authors say):
 S1 register_vcpu requires VM state READY *and* vCPU state UNUSED.
    (The spec text already says so; SeKVM's C did not.)
 S2 load_encrypted_vcpu requires the VM and the vCPU both READY.
 S3 load_decrypt_buf requires the page's owner to be HOSTVISOR and resets
    its share count to 0.
 S4 verify_image really verifies an Ed25519 signature: the oracle
    `verify_img` says whether the bytes now in the remap area are a
    correctly signed image.
 S5 assign_smmu follows its _spec0 (panic when the VM is VERIFIED, else
    assign_pfn_to_smmu), as map_smmu/clear_smmu/alloc_smmu do; the inlined
    assign_smmu_spec says the opposite (panics unless VERIFIED), so that no
    page could ever be both assigned and mapped. The C and SeKVM follow
    _spec0.
 C1 unmap_and_load_vm_image checks that the remapped pages of a load info
    are physically contiguous and placed as the load address needs (page i
    of the image at pfn0 + i, pfn0 at the same offset in its 2 MiB block as
    load_addr), and that every page of the image was remapped; otherwise
    it panics (the spec would map whatever 2 MiB block holds each remapped
    page, so the VM could run bytes that were never verified).
 C2 Every exported function checks its own arguments (the spec's relies,
    plus is_vm where only a VM makes sense): MemManager's page functions
    take VMs only; pfn/gfn/addr/iova/SMMU indexes are range checked;
    set_npt refuses level not 2/3, a zero pte, a table descriptor or an
    unaligned block at level 2; prot_and_map_vm_s2pt refuses an unaligned
    block pfn; set_pfn_count refuses counts above MAX_SHARE_COUNT (other
    than INVALID). Each is a panic.
 C3 Host pages carry no gfn (INVALID64), at boot and when clear_vm_page
    gives a page back (spec: pfn + SMMU_HOST_OFFSET; SMMU maps of host
    pages need gfn == iova / PAGE_SIZE, which neither allows).
 C4 count INVALID (a VM page assigned to an SMMU only) is not a share:
    map_page_host and revoke_vm_page treat it as 0 (the spec's `count > 0`
    would let the host map such a page, and revoke would store INVALID-1).
 C5 remap_vm_image: @pfn must be a page of a boot region (checked with
    the arguments, before the VM's state).
 C6 The host's RAM in 2 MiB blocks (docs/spec-deviations.md):
    map_page_host maps the host's own page with the 2 MiB block around it
    when every page of that block is in one region and owned by HOSTVISOR
    and the host's level-2 entry there is empty; a block already there
    means nothing to do; otherwise the page alone, as the spec does.
    clear_pfn_host of a page inside a host block splits it first: a new
    level-3 table (one pmd page of the host's pool) maps the other 511
    pages with the block's attributes, the page itself PAGE_GUEST (the
    spec's level-3 map inside a block would halt). The host's pool is
    sized from the memory map (host_geometry), not PT_POOL_PER_VM.
 C7 map_page_host accepts any address below the machine's PA size
    (pa_bits, 44 on the hosted machine), not the spec's 40 bits.
 C8 map_pfn_vm never swaps a page the VM maps: if a page its target would
    cover (the page, or the 512 of a block) maps a different pfn, it
    panics; a map of exactly the leaf that is there changes nothing (a
    level-3 map under the same block included); check and map are one
    hold of the table's lock. prot_and_map_vm_s2pt asks the same before
    it assigns any page (after its unaligned-block check).
 C9 unmap_and_load_vm_image: a 2 MiB block never replaces what the VM
    already maps with other pages (two images in one guest block loaded
    from two host blocks): panic.
 C10 unmap_and_load_vm_image: before a block is loaded (and hashed), each
    of its pages that is already the VM's leaves every SMMU table that
    maps it at its gfn.
 C11 verify_and_load_images: images are format 2 (an entry, in the
    payload, for the boot image); at most one image of a VM is a boot
    image, else panic.
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
 Not modelled (yet): the sealing calls save/load_encrypted_vcpu,
 save_encrypt_buf, load_decrypt_buf (BootOps, core/boot/seal.c), with
 their binding (measurement, instance, epoch); vCPU power (PSCI starts);
 the zeroing of image blocks (page contents are not modelled).
"""

from constants import *  # noqa: F401,F403  (spec constants and pte encodings)
import constants as K

STRENGTHENINGS = [
    "S1 register_vcpu: VM READY and vCPU UNUSED",
    "S2 load_encrypted_vcpu: VM and vCPU READY",
    "S3 load_decrypt_buf: owner HOSTVISOR, count reset to 0",
    "S4 verify_image: real Ed25519 verification (oracle)",
    "S5 assign_smmu: _spec0 (panic iff VERIFIED), not the inlined _spec",
    "C1 unmap_and_load_vm_image: load address page aligned, remapped pages contiguous",
    "C2 exported functions check their arguments (panic)",
    "C3 host pages have gfn INVALID64",
    "C4 count INVALID is not a share (map_page_host, revoke_vm_page)",
    "C5 remap_vm_image: pfn must be region memory",
    "C6 host RAM in 2 MiB blocks, split before a page leaves; host pool from the memory map",
    "C7 map_page_host: addresses below the PA size (pa_bits), not 40 bits",
    "C8 map_pfn_vm / prot_and_map_vm_s2pt: never swap a mapped page",
    "C9 unmap_and_load_vm_image: a block never replaces other pages",
    "C10 unmap_and_load_vm_image: the VM's block pages leave every SMMU table",
    "C11 verify_and_load_images: at most one boot image",
    "G1 set_vm_region: a checked per-VM memory map; images in its RAM",
    "G2 verify_and_load_images: image flag BOOT_ARG, at most one, never on the boot image",
]

MASK64 = (1 << 64) - 1


def mix64(x):
    """splitmix64 finaliser: the per-leaf hash shared with cv_dump.c."""
    x &= MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def leaf_hash(gfn, level, pte):
    return mix64(mix64(gfn) ^ (level << 60) ^ mix64(pte ^ 0x5bd1e995))


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
    missing tables from the principal's pool. Returns halt' (True when a
    pool level is exhausted, or a page would go inside a 2 MiB block)."""
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
        return True
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
                 "remap_addr", "mapped_pages", "nregions", "region_kind",
                 "region_base", "region_size")

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
        # G1: the VM's memory map
        self.nregions = 0
        self.region_kind = [0] * CV_MAX_VM_REGIONS
        self.region_base = [0] * CV_MAX_VM_REGIONS
        self.region_size = [0] * CV_MAX_VM_REGIONS

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
        return v


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


class Model:
    """The spec's abstract state (RData's shared part that these layers
    touch) and its functions.

    initial_page(pfn) -> (owner, count, gfn) gives the boot ownership of a
    page (regions HOSTVISOR, the core's reserve COREVISOR, elsewhere
    INVALID); the s2page array is kept as the changes against it."""

    def __init__(self, geom, initial_page, shared_kvm, shared_vcpu,
                 verify_img, next_vmid=1, next_remap_ptr=REMAP_START,
                 host_geom=None, pa_bits=40):
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
        self.s2page = {}  # pfn -> [owner, count, gfn], pages changed since boot
        self.dirty = set()  # pfns written since the runner last looked
        self.npts = [NPT() for _ in range(NUM_PRINCIPALS)]
        self.spts = SPT()
        self.held = set()  # locks held (the spec's LockOwn true)
        self.regions = []  # (base, size) of the boot memory regions

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

    def rely_arg(self, ok, reason):
        """A rely on a host-controlled argument: the C panics."""
        if not ok:
            self.panic(reason)
        return ok

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
                             "set_pfn_count: count %d" % count):  # C2
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
                              "set_npt: unaligned block")):
            return
        self.acquire_lock_pt(vmid)
        if local_mmap(self.npt_geom(vmid), vmid, addr, level, pte, self.npts[vmid]):
            self.panic("map_s2pt: vm %d addr %#x: table pool exhausted or "
                       "page inside a block" % (vmid, addr))
            return
        self.release_lock_pt(vmid)

    def npt_geom(self, vmid):
        return self.host_geom if vmid == HOSTVISOR else self.geom

    def clear_pfn_host(self, pfn):
        """Take page @pfn away from the host's stage 2 (PAGE_GUEST), if mapped."""
        if self.halt or not self.rely_arg(is_pfn(pfn), "clear_pfn_host: pfn %#x" % pfn):
            return
        self.acquire_lock_pt(HOSTVISOR)
        npt = self.npts[HOSTVISOR]
        _pfn, level, pte = npt.get(pfn)
        level = 0 if phys_page(pte) == 0 else level
        if level == 2:  # C6: split the block first
            if split_block(self.host_geom, npt, pfn, PAGE_GUEST):
                self.panic("clear_pfn_host: pfn %#x: no level-3 table for the split" % pfn)
                return
        elif level != 0:
            if local_mmap(self.host_geom, HOSTVISOR, pfn * PAGE_SIZE, 3, PAGE_GUEST, npt):
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
        return self.rely_arg(is_vm(vmid), "%s: vmid %d is not a VM" % (who, vmid))

    def pfn_arg(self, who, pfn, ok=is_pfn):
        return self.rely_arg(ok(pfn), "%s: pfn %#x" % (who, pfn))

    def gfn_arg(self, who, gfn):
        return self.rely_arg(is_gfn(gfn), "%s: gfn %#x" % (who, gfn))

    def map_page_host(self, addr):
        """The host faulted on @addr: map it if the host may use the page."""
        if self.halt:
            return
        # C7: the machine's PA size, not is_paddr's 40 bits
        if not self.rely_arg(0 <= addr < 1 << self.pa_bits, "map_page_host: addr %#x" % addr):
            return
        pfn = addr // PAGE_SIZE
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        count = self.get_pfn_count(pfn)
        if owner == INVALID:
            self.map_s2pt(HOSTVISOR, addr, 3, pfn * PAGE_SIZE | PAGE_S2_DEVICE)
        elif owner == HOSTVISOR:  # C6
            self.map_host_ram(addr, pfn)
        elif shared(count):  # C4
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
            return  # a block already maps it
        key = (pgd_index(addr), pud_index(addr), pmd_index(addr))
        if key not in npt.pmd_t and self.host_owns_block(base):
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
            self.clear_pfn_host(pfn)
            self.set_pfn_owner(pfn, HOSTVISOR)
            self.set_pfn_count(pfn, 0)
            self.set_pfn_map(pfn, INVALID64)  # C3
            # clear_phys_page: contents are an oracle
        self.release_lock_s2page()

    def assign_pfn_to_vm(self, vmid, gfn, pfn):
        if (self.halt or not self.vm_arg("assign_pfn_to_vm", vmid) or
                not self.gfn_arg("assign_pfn_to_vm", gfn) or
                not self.pfn_arg("assign_pfn_to_vm", pfn)):
            return
        self.acquire_lock_s2page()
        owner = self.get_pfn_owner(pfn)
        count = self.get_pfn_count(pfn)
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
                self.panic("assign_pfn_to_vm: pfn %#x at gfn %#x, not %#x"
                           % (pfn, map_, gfn))
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
        if owner == vmid and shared(count):  # C4
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
                "prot_and_map_vm_s2pt: block pfn %#x" % pfn):
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

    # -- VMPower ------------------------------------------------------------

    def set_vm_poweroff(self, vmid):
        if self.halt:
            return 0
        if not self.rely_arg(is_vmid(vmid), "set_vm_poweroff: vmid %d" % vmid):
            return 0
        self.acquire_lock_vm(vmid)
        self.set_vm_state(vmid, POWEROFF)
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

    def gen_vmid(self):
        if self.halt:
            return 0
        self.acquire_lock_core()
        vmid = self.get_next_vmid()
        if vmid < COREVISOR:
            self.set_next_vmid(vmid + 1)
        else:
            self.panic("gen_vmid: no vmid left (next %d)" % vmid)
            return 0
        self.release_lock_core()
        return self.check(vmid)

    def alloc_remap_addr(self, pgnum):
        if self.halt:
            return 0
        self.acquire_lock_core()
        remap = self.get_next_remap_ptr()
        if remap + pgnum * PAGE_SIZE < REMAP_END:
            self.set_next_remap_ptr(remap + pgnum * PAGE_SIZE)
        else:
            self.panic("alloc_remap_addr: %d pages do not fit at %#x" % (pgnum, remap))
            return 0
        self.release_lock_core()
        return self.check(remap)

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

    def block_fresh(self, vmid, gfn0, pfn0):
        """C9: the block at pfn0 may map at gfn0 only where the VM maps
        nothing or these very pages; else panic."""
        npt = self.npts[vmid]
        for i in range(PMD_PAGE_NUM):
            have, _level, pte = npt.get(gfn0 + i)
            if pte & PTE_VALID and have != pfn0 + i:
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
                        self.unmap_spt(cbndx, index, gfn * PAGE_SIZE)

    def remap_pa(self, va):
        """The physical address the core's remap mapping of @va points at."""
        pte = self.walk_s2pt(COREVISOR, va)
        return phys_page(pte) if pte & PTE_VALID else 0

    def image_pages_contiguous(self, vmid, target, remap, num):
        """C1: the load address is page aligned and remapped page i is
        backed by pa0 + i * PAGE_SIZE, pa0 = target (mod 2 MiB); else panic."""
        if not self.rely_arg(target % PAGE_SIZE == 0,
                             "unmap_and_load_vm_image: load address %#x" % target):
            return False
        if num == 0:
            return True
        pa0 = self.remap_pa(remap)
        if pa0 == 0 or pa0 % PMD_SIZE != target % PMD_SIZE:
            self.panic("unmap_and_load_vm_image: first page pa %#x" % pa0)
            return False
        for i in range(1, num):
            if self.remap_pa(remap + i * PAGE_SIZE) != pa0 + i * PAGE_SIZE:
                self.panic("unmap_and_load_vm_image: page %d not contiguous" % i)
                return False
        return True

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

    def register_vcpu(self, vmid, vcpuid):
        if self.halt or not self._vm_vcpu_args("register_vcpu", vmid, vcpuid):
            return 0
        self.acquire_lock_vm(vmid)
        vm_state = self.get_vm_state(vmid)
        vcpu_state = self.get_vcpu_state(vmid, vcpuid)
        if vm_state == READY and vcpu_state == UNUSED:  # S1
            vcpu = self.get_shared_vcpu(vmid, vcpuid)
            self.set_vm_vcpu(vmid, vcpuid, vcpu)
            self.set_vcpu_state(vmid, vcpuid, READY)
            # set_shadow_ctxt DIRTY INVALID64: vCPU context, not compared
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
            self.panic("set_vm_region: vm %d region %#x size %#x" % (vmid, base, size))
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
        if not self.rely_arg(self.in_region(pfn), "remap_vm_image: pfn %#x not memory" % pfn):
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
        if not self.rely_arg(is_vmid(vmid), "verify_and_load_images: vmid %d" % vmid):
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
        args = 0
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
            # C11: the oracle's trailer flags + 1 (FLAG_BOOT = 1).
            if (self.last_img - 1) & 1:
                boots += 1
            if (self.last_img - 1) & 2:  # G2
                args += 1
        if boots > 1:  # C11: at most one boot image
            self.panic("verify_and_load_images: vm %d: %d boot images" % (vmid, boots))
            return 0
        if args > 1:  # G2: at most one boot argument
            self.panic("verify_and_load_images: vm %d: %d boot arguments" % (vmid, args))
            return 0
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

    # -- copying (for the runner's shrinking) --------------------------------

    def snapshot_fingerprints(self):
        return ([n.fp for n in self.npts],
                [self.spts.fp[(i, c)] for i in range(SMMU_NUM)
                 for c in range(SMMU_NUM_CTXT_BANKS)])
