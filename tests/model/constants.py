# SPDX-License-Identifier: MIT
"""The spec's constants (../shared/spec/Constants.md) and corevisor's real
descriptor encodings (core/include/cv/pte.h), for the model. Pool geometry
defaults are the spec's; the runner replaces them with the build's
(MODEL_POOLS in mk/model.mk, the flags the model library is built with)."""

INVALID = 0xFFFFFFFF
INVALID64 = 0xFFFFFFFFFFFFFFFF

KVM_PHYS_SIZE = 1 << 40
KVM_ADDR_SPACE = 1 << 48
KVM_PFN_SPACE = 1 << 28
KVM_GFN_SPACE = 1 << 36

HOSTVISOR = 0
COREVISOR = 16
MAX_VM_NUM = 15
NUM_PRINCIPALS = 17
VCPU_PER_VM = 8
MAX_LOAD_INFO_NUM = 5
MAX_SHARE_COUNT = 100
SMMU_HOST_OFFSET = 1000000000

PAGE_SHIFT = 12
PAGE_SIZE = 4096
PMD_SIZE = 1 << 21
PMD_PAGE_NUM = 512
PTRS_PER_PMD = 512

REMAP_START = 0x2000000
REMAP_SIZE = 0x4000000  # the spec's is 0x2000000 (docs/spec-deviations.md)
REMAP_END = REMAP_START + REMAP_SIZE

PT_POOL_PER_VM = 33554432
PGD_OFFSET = 4096
PUD_OFFSET = 1052672
PMD_OFFSET = 9441280
SMMU_PGD_OFFSET = 1048576
SMMU_PMD_OFFSET = 2097152
SMMU_POOL_BYTES = 3145728
SMMU_NUM = 2
SMMU_NUM_CTXT_BANKS = 8
EL2_SMMU_CFG_SIZE = 16

# corevisor's host pool (delta C6, docs/spec-deviations.md): the MMIO
# budget (level-1, level-2, level-3 table pages) beyond what RAM needs.
HOST_MMIO_PGD_PAGES = 8
HOST_MMIO_PUD_PAGES = 32
HOST_MMIO_PMD_PAGES = 128

# corevisor's host pool (delta C6, docs/spec-deviations.md): its size is a
# multiple of 64 KiB.
HOST_POOL_ALIGN = 0x10000

# Hypercall numbers: the spec README's (SeKVM's numbering), then
# corevisor's own (include/corevisor/abi.h).
HVC_ENABLE_S2_TRANS, HVC_TIMER_SET_CNTVOFF, HVC_VCPU_RUN = 6, 7, 8
HVC_CLEAR_VM_S2_RANGE, HVC_SET_BOOT_INFO, HVC_REMAP_VM_IMAGE = 9, 10, 11
HVC_VERIFY_VM_IMAGE, HVC_REGISTER_KVM, HVC_REGISTER_VCPU = 12, 13, 14
HVC_BOOT_FROM_SAVED_VM, HVC_ENCRYPT_BUF, HVC_DECRYPT_BUF = 19, 20, 21
HVC_SAVE_CRYPT_VCPU, HVC_SMMU_FREE_PGD, HVC_SMMU_ALLOC_PGD = 22, 23, 24
HVC_SMMU_LPAE_MAP, HVC_SMMU_LPAE_IOVA_TO_PHYS, HVC_SMMU_CLEAR = 25, 26, 27
HVC_PHYS_ADDR_IOREMAP, HVC_LOAD_CRYPT_VCPU = 28, 29
HVC_IS_INC_EXE, HVC_MAP_IO, HVC_ASSIGN_SMMU, HVC_VCPU_ACTIVE = 30, 31, 32, 33
HVC_NOOP, HVC_GET_SHARED_BASE = 34, 35

# vm_info.vcpu_power (corevisor's vCPU ABI v2, core/include/cv/state.h).
VCPU_OFF, VCPU_ON_PENDING, VCPU_ON = 0, 1, 2

# Shadow context register indexes (Constants.md).
X0, SP, PC, PSTATE, DIRTY = 0, 31, 32, 33, 45

UNUSED, MAPPED, READY, VERIFIED, POWEROFF, ACTIVE = 0, 1, 2, 3, 4, 5

# Lock identifiers (RData / core/include/cv/state.h).
CORE_ID, S2PAGE_ID, SPT_ID, SMMU_ID, NPT_ID, INFO_ID = 1, 2, 3, 4, 5, 22

# Descriptors (pte.h): VMSAv8-64, 4 KiB granule.
PTE_VALID = 1
PTE_TYPE_MASK = 3
PTE_TYPE_TABLE = 3
PTE_TYPE_BLOCK = 1
PTE_ADDR_MASK = 0x0000FFFFFFFFF000
PMD_ADDR_MASK = 0x0000FFFFFFE00000
PTE_AF = 1 << 10
PTE_SH_INNER = 3 << 8
SMMU_PTE_CONT = 1 << 52  # cv/smmu.h: an SMMU leaf's contiguous hint
S2_MEMATTR_NORMAL_WB = 0xF << 2
S2_MEMATTR_DEVICE_nGnRE = 0x1 << 2
S2AP_RW = 3 << 6
S2AP_R, S2AP_W = 1 << 6, 2 << 6
S2_XN = 1 << 54
PTE_SW_GUEST = 1 << 57
S2_ATTR_RAM = S2_MEMATTR_NORMAL_WB | S2AP_RW | PTE_SH_INNER | PTE_AF
S2_ATTR_DEVICE = S2_MEMATTR_DEVICE_nGnRE | S2AP_RW | PTE_AF | S2_XN
S1_XN = 1 << 54
PAGE_HYP = PTE_SH_INNER | PTE_AF | S1_XN | PTE_TYPE_TABLE
PAGE_S2_RAM = S2_ATTR_RAM | PTE_TYPE_TABLE  # spec: pa | PAGE_S2_KERNEL
PAGE_S2_RAM_BLOCK = S2_ATTR_RAM | PTE_TYPE_BLOCK  # (pa | PAGE_S2_KERNEL) & ~2
PAGE_S2_DEVICE = S2_ATTR_DEVICE | PTE_TYPE_TABLE  # PAGE_S2_DEVICE | S2_RDWR
PAGE_GUEST = PTE_SW_GUEST


def is_vm(v):
    return HOSTVISOR < v < COREVISOR


def is_vmid(v):
    return 0 <= v <= COREVISOR


def is_vcpu(v):
    return 0 <= v < VCPU_PER_VM


def is_addr(a):
    return 0 <= a < KVM_ADDR_SPACE


def is_paddr(a):
    return 0 <= a < KVM_PHYS_SIZE


def is_pfn(p):
    return 0 <= p < KVM_PFN_SPACE


def is_gfn(g):
    return 0 <= g < KVM_GFN_SPACE


def is_load_idx(i):
    return 0 <= i < MAX_LOAD_INFO_NUM


def is_smmu(i):
    return 0 <= i < SMMU_NUM


def is_smmu_cfg(i):
    return 0 <= i < SMMU_NUM_CTXT_BANKS


def is_smmu_addr(a):
    return 0 <= a < (1 << 40)

# corevisor: the VM's memory map (include/corevisor/abi.h, G1)
CV_REGION_RAM = 1
CV_REGION_MMIO = 2
CV_MAX_VM_REGIONS = 8

# SMMUv2 registers (core/include/cv/smmu.h) the model follows.
SMMU_GLOBAL_BASE = 0x8000
GR0_SCR0, GR0_SCR2 = 0x0, 0x8
SCR0_CLIENTPD, SCR0_USFCFG, SCR0_SMCFCFG, SCR0_VMID16EN = 1, 1 << 10, 1 << 21, 1 << 31
GR0_SMR0, GR0_S2CR0, GR0_S2CR_END = 0x800, 0xC00, 0x1000
GR1_BASE, GR1_END, GR1_CBA2R0 = 0x1000, 0x1800, 0x1800
CB_SCTLR, CB_TTBR0, CB_TTBR1, CB_TCR, CB_CONTEXTIDR, CB_MAIR0 = 0x0, 0x20, 0x28, 0x30, 0x34, 0x38
TCR_GEOMETRY = 0x3F | (3 << 6) | (3 << 14)  # T0SZ, SL0, TG0
TCR_CORE = 24 | (1 << 6)  # T0SZ 24 (40 bits), SL0 1 (level 1), TG0 4 KiB


def smmu_regs_followed(banks):
    """The 32-bit registers the runner writes and compares: sCR0, sCR2,
    SMR/S2CR/CBAR/CBA2R(0..7), and per bank SCTLR, TTBR0, TTBR1, TCR,
    CONTEXTIDR, MAIR0 (both words of the 64-bit ones)."""
    offs = [GR0_SCR0, GR0_SCR2]
    for n in range(SMMU_NUM_CTXT_BANKS):
        offs += [GR0_SMR0 + 4 * n, GR0_S2CR0 + 4 * n, GR1_BASE + 4 * n, GR1_CBA2R0 + 4 * n]
    for n in range(banks):
        cb = SMMU_GLOBAL_BASE + n * 0x1000
        offs += [cb + o for o in (CB_SCTLR, CB_TTBR0, CB_TTBR0 + 4, CB_TTBR1, CB_TTBR1 + 4,
                                  CB_TCR, CB_CONTEXTIDR, CB_MAIR0)]
    return offs

# corevisor's snapshot and restore calls (abi.h, model extension L5).
HVC_SNAPSHOT_BEGIN, HVC_SNAPSHOT_PAGE, HVC_SNAPSHOT_VCPU = 37, 38, 39
HVC_SNAPSHOT_END, HVC_RESTORE_BEGIN, HVC_RESTORE_PAGE = 40, 41, 42
HVC_RESTORE_VCPU = 43
# number -> (the dispatcher's name for it, takes a vcpuid in x2)
L5_CALLS = {
    HVC_SNAPSHOT_BEGIN: ("SNAPSHOT_BEGIN", False),
    HVC_SNAPSHOT_PAGE: ("SNAPSHOT_PAGE", False),
    HVC_SNAPSHOT_VCPU: ("SNAPSHOT_VCPU", True),
    HVC_SNAPSHOT_END: ("SNAPSHOT_END", False),
    HVC_RESTORE_BEGIN: ("RESTORE_BEGIN", False),
    HVC_RESTORE_PAGE: ("RESTORE_PAGE", False),
    HVC_RESTORE_VCPU: ("RESTORE_VCPU", True),
    19: ("BOOT_FROM_SAVED_VM", False),
}
