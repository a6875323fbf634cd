# SPDX-License-Identifier: MIT
"""
The vCPU and trap layers of the executable model (../shared/spec:
VCPUOps, VCPUOpsAux, CtxtSwitch, TrapHandler/TrapHandlerRaw,
TrapDispatcher's vm_exit_dispatcher, FaultHandler's core_handle_pvops),
one method per spec function, mixed into spec_model.Model; and a
simulated guest (the hosted machine's cv_guest_* instructions) that runs
in the model as the hosted machine runs it in the C.

A VCPU_RUN (host_vcpu_run_handler) is: save_host; restore_vm
(set_vcpu_active, the host's answers read once: load_int_state,
restore_shadow_kvm_regs); then the guest runs until an exit that
vm_exit_handler gives the host; save_vm (save_shadow_kvm_regs = the
prep_* functions, publish_int_state, set_vcpu_inactive); restore_host.

corevisor's additions, always applied (EXTENSIONS in spec_model):
 X1 the run structure (include/corevisor/vcpu_abi.h): the spec's
    intermediate state (get_int_*, set_int_gpr, get_vm_fault_addr,
    get_int_new_pte/level) as bytes in the vCPU's shared page, read at
    VCPU_RUN and written at every exit (exit reason, count, syndrome, IPA,
    dirty set, MMIO decoding, shown registers, interrupt fields); the
    model reads and writes its own page bytes, so every byte the core
    writes there is compared.
 X2 the vCPU power states: a vCPU starts where its image or its guest's
    PSCI CPU_ON says, is off until then (CV_EXIT_VCPU_OFF) and after
    CPU_OFF.
 X3 the vGIC and the timers as far as the runner drives them: a vCPU's
    interface is reset at its start (ICH_HCR_EL2.En), no host injection
    (the runner writes irq_req empty), no timer armed; their exit fields
    are then empty. A request in irq_req is not modelled (an exception).
Each strengthening of the spec text is a delta (C35..C52, spec_model's
DELTAS), fired where its condition holds.
"""

import struct

from constants import *  # noqa: F401,F403
import constants as K

MASK64 = (1 << 64) - 1
PAGE = 4096
MAX_MMIO_ADDR = 0x40000000  # the spec's; vcpu_abi.h's CV_MMIO_LIMIT

# Shadow context word indexes (core/include/cv/state.h).
X30_ = 30
SP_, PC_, PSTATE_, SP_EL1_, ELR_EL1_, SPSR_EL1_ = 31, 32, 33, 34, 35, 36
FAR_EL2_, HPFAR_EL2_, EC_, DIRTY_ = 41, 42, 44, 45
SYSREGS_START_, MPIDR_EL1_, SCTLR_EL1_, ACTLR_EL1_ = 47, 47, 49, 50
ESR_EL1_, FAR_EL1_, VBAR_EL1_ = 55, 58, 60
SPSR_0_, ESR_EL2_ = 71, 72
CTXT_REG_NUM_ = 73
SHADOW_SYS_REGS_SIZE_ = 24
# struct cv_ctxt after regs[]: vregs[64], fpsr, fpcr, cntv_ctl, cntv_cval,
# cntkctl, then struct cv_vgic: lr[16], hcr, ...
CNTV_CTL_W, CNTV_CVAL_W = 139, 140
VGIC_HCR_W = 142 + 16
ICH_HCR_EN = 1

ARM_EXCEPTION_IRQ, ARM_EXCEPTION_EL1_SERROR, ARM_EXCEPTION_TRAP, ARM_EXCEPTION_IL = 0, 1, 2, 3

EC_SHIFT = 26
EC_UNKNOWN, EC_WFX, EC_ILLEGAL, EC_HVC32, EC_HVC64, EC_SMC64, EC_SYS64 = 0, 1, 0x0e, 0x12, 0x16, 0x17, 0x18
EC_IABT_LOW, EC_IABT_CUR, EC_DABT_LOW, EC_DABT_CUR = 0x20, 0x21, 0x24, 0x25
ESR_IL, ESR_ISV, ESR_SSE, ESR_SF = 1 << 25, 1 << 24, 1 << 21, 1 << 15
ESR_SAS_SHIFT, ESR_SRT_SHIFT = 22, 16
ESR_WNR, ESR_S1PTW, ESR_CM, ESR_FNV = 1 << 6, 1 << 7, 1 << 8, 1 << 10
ESR_FSC_EXTABT = 0x10
HPFAR_FIPA_MASK = 0xffffffffff0
SYS64_DIR_READ, SYS64_RT_SHIFT = 1, 5
WFX_ISS_CV_COND = (1 << 24) | (0xe << 20)

DIRTY_PC_FLAG = 0x100000000
PENDING_EXCEPT_INJECT_FLAG = 0xe00000000
DIRTY_ABORT_FLAG = 0x1000000000
DIRTY_REGS_MASK = 0x7fffffff

PSR_MODE_MASK, PSR_MODE_EL0T, PSR_MODE_EL1T, PSR_MODE_EL1H = 0x1f, 0, 4, 5
PSR_MODE32_BIT, PSR_SSBS, PSR_PAN, PSR_DIT, PSR_NZCV = 0x10, 1 << 12, 1 << 22, 1 << 24, 0xf0000000
PSTATE_FAULT_BITS_64 = 0x3c5
SCTLR_EL1_SPAN, SCTLR_EL1_DSSBS = 1 << 23, 1 << 44
SCTLR_EL1_RESET = 0x00c50078
MPIDR_AFF_MASK = 0xff00ffffff

PSCI_CPU_OFF, PSCI_CPU_ON, PSCI64_CPU_ON = 0x84000002, 0x84000003, 0xc4000003
PSCI_AFFINITY_INFO, PSCI64_AFFINITY_INFO, PSCI_SYSTEM_OFF = 0x84000004, 0xc4000004, 0x84000008
CV_GUEST_HVC_SHARE, CV_GUEST_HVC_UNSHARE = 0xc6000001, 0xc6000002
CV_GUEST_RET_INVALID_PARAMETER = 0xfffffffffffffffd

# Exit reasons and the run structure (include/corevisor/vcpu_abi.h).
CV_EXIT_IRQ, CV_EXIT_MMIO, CV_EXIT_MEM_FAULT, CV_EXIT_HVC, CV_EXIT_WFX = 1, 2, 3, 4, 5
CV_EXIT_SYSTEM_OFF, CV_EXIT_POWERED_OFF, CV_EXIT_VCPU_OFF, CV_EXIT_SGI = 6, 7, 8, 9
CV_VCPU_ABI_VERSION = 3
CV_VCPU_RUN_OFFSET = 2048
CV_ABORT_NONE, CV_ABORT_INJECT = 0, 1
RUN_SIZE = 600
RUN = {  # field -> (offset, struct format)
    "exit_reason": (0, "<I"), "version": (4, "<I"), "exit_count": (8, "<Q"),
    "esr": (16, "<Q"), "fault_ipa": (24, "<Q"), "dirty": (32, "<Q"),
    "mmio": (40, "<6I"), "regs": (64, "<31Q"), "pc": (312, "<Q"), "pstate": (320, "<Q"),
    "fault_addr": (328, "<Q"), "fault_pte": (336, "<Q"), "fault_level": (344, "<Q"),
    "abort": (352, "<Q"), "irq_req": (360, "<8Q"), "irq_result": (424, "<8B"),
    "irq_eoi_count": (432, "<I"), "irq_pending_count": (436, "<I"),
    "irq_eoi": (440, "<16I"), "irq_pending": (504, "<16I"), "sgi": (568, "<IIQ"),
    "timer_deadline": (584, "<Q"), "timer_ppi": (592, "<8B"),
}
IRQ_REQ_VALID = 1
IRQ_REPORT = 16


def run_field(buf, name):
    off, fmt = RUN[name]
    v = struct.unpack_from(fmt, buf, off)
    return v[0] if len(v) == 1 else list(v)


def decode_run(buf):
    """The run structure's fields from its 600 bytes (for messages)."""
    return {f: run_field(buf, f) for f in RUN}


def ec_of(esr):
    return (esr >> EC_SHIFT) & 0x3f


def instr_len(esr):
    """trapped_instr_len: 4 unless the syndrome says a 16-bit T32 one."""
    return 4 if esr & ESR_IL else 2


def vcpu_mpidr(vcpuid):
    return ((vcpuid & 15) | (((vcpuid >> 4) & 255) << 8) |
            (((vcpuid >> 12) & 255) << 16) | 0x80000000)


def mmio_load_value(esr, v):
    bits = 8 << ((esr >> ESR_SAS_SHIFT) & 3)
    if bits < 64:
        v &= (1 << bits) - 1
        if esr & ESR_SSE and (v >> (bits - 1)) & 1:
            v |= MASK64 & ~((1 << bits) - 1)
    return v if esr & ESR_SF else v & 0xffffffff


def exception_vector(pstate):
    """get_exception_vector: the AArch64 vector table's synchronous entry."""
    if pstate & PSR_MODE32_BIT:
        return 0x600
    mode = pstate & PSR_MODE_MASK
    return 0x200 if mode == PSR_MODE_EL1H else 0x000 if mode == PSR_MODE_EL1T else 0x400


def exception_pstate(old, sctlr):
    p = old & (PSR_NZCV | PSR_DIT | PSR_PAN)
    if not sctlr & SCTLR_EL1_SPAN:
        p |= PSR_PAN
    if sctlr & SCTLR_EL1_DSSBS:
        p |= PSR_SSBS
    return p | PSTATE_FAULT_BITS_64


class IntState:
    """This CPU's intermediate state for the vCPU it runs (intstate.c's
    struct int_state): what the host answered (in), what the exit shows
    (out), the registers shown (shown), whether the vCPU is off."""

    def __init__(self):
        self.off = False
        self.in_regs = [0] * 31
        self.in_pc = self.in_pstate = 0
        self.fault_addr = self.fault_pte = self.fault_level = self.abort = 0
        self.host_pc = self.host_pstate = 0  # the spec's get_int_pc/pstate (run->pc)
        self.out_esr = self.out_fault_ipa = 0
        self.out_mmio = [0] * 6
        self.out_regs = [0] * 31
        self.shown = 0

    def show(self, i, v):
        self.out_regs[i] = v & MASK64
        self.shown |= 1 << i


class Guest:
    """struct cv_hosted_guest as a simulated guest program sees it."""

    FIELDS = {"sp": SP_, "pc": PC_, "pstate": PSTATE_, "vbar": VBAR_EL1_,
              "elr": ELR_EL1_, "spsr": SPSR_EL1_, "esr1": ESR_EL1_,
              "sp1": SP_EL1_, "far1": FAR_EL1_}

    def __init__(self, ctxt):
        self.x = [ctxt.get(i, 0) for i in range(31)]
        self.r = {k: ctxt.get(i, 0) for k, i in self.FIELDS.items()}
        self.exited = 0
        self.esr = self.far = self.hpfar = 0


class VcpuTrap:
    """The vCPU and trap layers (mixed into spec_model.Model)."""

    # -- the run structure in the vCPU's shared page (X1) -------------------

    def run_pa(self, vmid, vcpuid):
        return self.shared_vcpu(vmid, vcpuid) + CV_VCPU_RUN_OFFSET

    def run_bytes(self, vmid, vcpuid):
        pa = self.run_pa(vmid, vcpuid)
        return self.content(pa // PAGE)[pa % PAGE:pa % PAGE + RUN_SIZE]

    def run_write(self, vmid, vcpuid, name, values):
        off, fmt = RUN[name]
        if not isinstance(values, (list, tuple)):
            values = [values]
        pa = self.run_pa(vmid, vcpuid) + off
        pfn, o = pa // PAGE, pa % PAGE
        data = struct.pack(fmt, *values)
        old = self.content(pfn)
        self.set_content(pfn, old[:o] + data + old[o + len(data):])

    def run_slot_ok(self, who, vmid, vcpuid):
        """run_page: the slot's page must still be pinned (P1)."""
        pfn = self.shared_vcpu(vmid, vcpuid) // PAGE
        if pfn in self.pinned or not self.on("P1"):
            return True
        self.fire("P1")
        self.panic("%s: vm %d vcpu %d run page not pinned" % (who, vmid, vcpuid))
        return False

    def ctx(self, vmid, vcpuid):
        return self.info(vmid).ctxt[vcpuid]

    def cset(self, vmid, vcpuid, i, v):
        v &= MASK64
        c = self.ctx(vmid, vcpuid)
        if v:
            c[i] = v
        else:
            c.pop(i, None)

    def cget(self, vmid, vcpuid, i):
        return self.ctx(vmid, vcpuid).get(i, 0)

    # -- VCPUOpsAux --------------------------------------------------------------

    def reset_gp_regs(self, vmid, vcpuid):
        """reset_gp_regs_spec0. C47: the start is the core's (the entry and
        context id of the image or the guest's CPU_ON, EL1h with DAIF
        masked); SP, SP_EL1, ELR_EL1, SPSR_EL1 and the timer are cleared.
        The spec: the host's PC (a loaded image's, else panic) and PSTATE."""
        st = self.int_state
        self.fire("C47")
        if not self.on("C47"):
            if self.search_load_info(vmid, st.host_pc) == 0 or self.halt:
                self.panic("reset_gp_regs: pc %#x in no image" % st.host_pc)
                return
            for i in range(31):
                self.cset(vmid, vcpuid, i, 0)
            self.cset(vmid, vcpuid, PSTATE_, st.host_pstate)
            self.cset(vmid, vcpuid, PC_, st.host_pc)
            return
        for i in range(31):
            self.cset(vmid, vcpuid, i, 0)
        self.cset(vmid, vcpuid, 0, st.in_regs[0])
        for i in (SP_, SP_EL1_, ELR_EL1_, SPSR_EL1_, CNTV_CTL_W, CNTV_CVAL_W):
            self.cset(vmid, vcpuid, i, 0)
        self.cset(vmid, vcpuid, PSTATE_, st.in_pstate)
        self.cset(vmid, vcpuid, PC_, st.in_pc)

    def reset_sys_regs(self, vmid, vcpuid):
        """reset_sys_regs_spec0. C48: over the context's system registers;
        the spec's loop counts 1..24 and so writes X1..X24 (reg_desc, 0)."""
        self.fire("C48")
        if not self.on("C48"):
            for i in range(1, SHADOW_SYS_REGS_SIZE_ + 1):
                self.cset(vmid, vcpuid, i, 0)
            return
        for i in range(SYSREGS_START_, SYSREGS_START_ + SHADOW_SYS_REGS_SIZE_):
            v = (vcpu_mpidr(vcpuid) if i == MPIDR_EL1_ else
                 0 if i == ACTLR_EL1_ else SCTLR_EL1_RESET if i == SCTLR_EL1_ else 0)
            self.cset(vmid, vcpuid, i, v)

    def sync_dirty_to_shadow(self, vmid, vcpuid):
        """sync_dirty_to_shadow_spec0: the offered registers, from the
        host. C44: an MMIO load's register gets the value as the load
        extends it (the spec: the host's 64 bits)."""
        st = self.int_state
        esr = self.cget(vmid, vcpuid, ESR_EL2_)
        mmio = ec_of(esr) == EC_DABT_LOW and esr & ESR_ISV
        regs = self.cget(vmid, vcpuid, DIRTY_) & DIRTY_REGS_MASK
        for i in range(31):
            if regs >> i & 1:
                v = st.in_regs[i]
                if mmio and mmio_load_value(esr, v) != v:
                    self.fire("C44")
                    if self.on("C44"):
                        v = mmio_load_value(esr, v)
                self.cset(vmid, vcpuid, i, v)

    def set_shadow_dirty_bit(self, vmid, vcpuid, value):
        """C40: 0 clears, any other value is ORed in (the spec replaces)."""
        old = self.cget(vmid, vcpuid, DIRTY_)
        if value and old and old | value != value:
            self.fire("C40")
            if self.on("C40"):
                value |= old
        self.cset(vmid, vcpuid, DIRTY_, value)

    def prep_wfx(self, vmid, vcpuid):
        self.set_shadow_dirty_bit(vmid, vcpuid, DIRTY_PC_FLAG)

    def prep_hvc(self, vmid, vcpuid):
        """prep_hvc_spec0. C45: CPU_ON (either convention) records the
        target's start in the core and shows the host x1 only (the spec
        x1..x3, FN64 only); CPU_OFF turns the vCPU off (dirty INVALID64)."""
        st = self.int_state
        fn0 = self.cget(vmid, vcpuid, 0)
        self.set_shadow_dirty_bit(vmid, vcpuid, 1)
        st.show(0, fn0)
        fn = fn0 & 0xffffffff
        x = [self.cget(vmid, vcpuid, i) for i in range(4)]
        nargs = 0
        if fn in (PSCI_CPU_ON, PSCI64_CPU_ON) or fn == PSCI_CPU_OFF:
            self.fire("C45")
        if fn in (PSCI_CPU_ON, PSCI64_CPU_ON) and self.on("C45"):
            m = 0xffffffff if fn == PSCI_CPU_ON else MASK64
            self.vcpu_power_on(vmid, x[1] & m, x[2] & m, x[3] & m)
            nargs = 1
        elif fn == PSCI64_CPU_ON:
            nargs = 3
        elif fn in (PSCI_AFFINITY_INFO, PSCI64_AFFINITY_INFO):
            nargs = 2
        elif fn == PSCI_CPU_OFF and self.on("C45"):
            self.info(vmid).vcpu_power[vcpuid] = VCPU_OFF
            self.cset(vmid, vcpuid, DIRTY_, INVALID64)
        elif fn == PSCI_SYSTEM_OFF:
            self.set_vm_poweroff(vmid)
        for i in range(1, nargs + 1):
            st.show(i, x[i])

    def vcpu_power_on(self, vmid, mpidr, entry, context):
        """X2 (vmpower.c): the off vCPU with that affinity starts there."""
        info = self.info(vmid)
        for v in range(VCPU_PER_VM):
            if ((vcpu_mpidr(v) ^ mpidr) & MPIDR_AFF_MASK or info.vcpu_state[v] == UNUSED or
                    info.vcpu_power[v] == VCPU_ON):
                continue
            info.vcpu_power[v] = VCPU_ON_PENDING
            info.vcpu_entry[v] = entry
            info.vcpu_context[v] = context
            return v
        return INVALID

    def vm_ipa_kind(self, vmid, ipa):
        info = self.info(vmid)
        if not info.nregions:
            return CV_REGION_MMIO if ipa < MAX_MMIO_ADDR else CV_REGION_RAM
        for i in range(min(info.nregions, CV_MAX_VM_REGIONS)):
            if info.region_base[i] <= ipa < info.region_base[i] + info.region_size[i]:
                return info.region_kind[i]
        return 0

    def prep_abort(self, vmid, vcpuid):
        """prep_abort_spec0 (the syndrome is the shadow ESR_EL2). X1: the
        host sees the syndrome and the faulting IPA. The spec: MMIO below
        MAX_MMIO_ADDR; a load offers register Rd (the dirty set replaced:
        C40), a store shows the whole register Rd (31 = SP). corevisor:
        C41 a store shows the bytes it stores (0 for the zero register);
        C42 MMIO is an MMIO region of the VM's map and a data abort with
        a syndrome (none: an exception for the guest, nothing shown);
        C43 the abort may be answered "nothing is here"."""
        st = self.int_state
        esr = self.cget(vmid, vcpuid, ESR_EL2_)
        rd = (esr >> ESR_SRT_SHIFT) & 31
        ipa = (self.cget(vmid, vcpuid, HPFAR_EL2_) & HPFAR_FIPA_MASK) << 8
        st.out_esr = esr
        st.out_fault_ipa = ipa | (self.cget(vmid, vcpuid, FAR_EL2_) & (PAGE - 1))
        c_mmio = self.vm_ipa_kind(vmid, ipa) == CV_REGION_MMIO and ec_of(esr) == EC_DABT_LOW
        spec_mmio = ipa < MAX_MMIO_ADDR
        isv = bool(esr & ESR_ISV)
        if c_mmio != spec_mmio or (c_mmio and not isv):
            self.fire("C42")
        if not self.on("C42"):
            if not spec_mmio:
                return
            length = 8
            self.set_shadow_dirty_bit(vmid, vcpuid, DIRTY_PC_FLAG)
            if not esr & ESR_WNR and not esr & ESR_S1PTW:
                self.set_shadow_dirty_bit(vmid, vcpuid, 1 << rd)
            else:
                self.write_shown(vmid, vcpuid, rd, length)
            return
        if not c_mmio:
            self.fire("C43")
            if self.on("C43"):
                self.set_shadow_dirty_bit(vmid, vcpuid, DIRTY_ABORT_FLAG)
            return
        if not isv:
            self.set_shadow_dirty_bit(vmid, vcpuid, PENDING_EXCEPT_INJECT_FLAG)
            return
        self.fire("C43")
        if self.on("C43"):
            self.set_shadow_dirty_bit(vmid, vcpuid, DIRTY_ABORT_FLAG)
        length = 1 << ((esr >> ESR_SAS_SHIFT) & 3)
        st.out_mmio = [1, 0, length, rd, int(bool(esr & ESR_SSE)), int(bool(esr & ESR_SF))]
        self.set_shadow_dirty_bit(vmid, vcpuid, DIRTY_PC_FLAG)
        if not esr & ESR_WNR and not esr & ESR_S1PTW:
            self.set_shadow_dirty_bit(vmid, vcpuid, 1 << rd)
        else:
            st.out_mmio[1] = 1
            self.write_shown(vmid, vcpuid, rd, length)

    def write_shown(self, vmid, vcpuid, rd, length):
        st = self.int_state
        full = self.cget(vmid, vcpuid, rd)  # the spec: index 31 is SP
        v = 0 if rd == 31 else full
        if length < 8:
            v &= (1 << (8 * length)) - 1
        if rd == 31 or v != full:
            self.fire("C41")
        if self.on("C41"):
            if rd != 31:
                st.show(rd, v)
        elif rd != 31:
            st.show(rd, full)

    def take_exception(self, vmid, vcpuid, esr):
        c = lambda i: self.cget(vmid, vcpuid, i)  # noqa: E731
        pstate = c(PSTATE_)
        self.cset(vmid, vcpuid, ELR_EL1_, c(PC_))
        self.cset(vmid, vcpuid, SPSR_0_, pstate)
        self.cset(vmid, vcpuid, SPSR_EL1_, pstate)
        self.cset(vmid, vcpuid, ESR_EL1_, esr)
        self.cset(vmid, vcpuid, PC_, c(VBAR_EL1_) + exception_vector(pstate))
        self.cset(vmid, vcpuid, PSTATE_, exception_pstate(pstate, c(SCTLR_EL1_)))

    def update_exception_gp_regs(self, vmid, vcpuid):
        """update_exception_gp_regs_spec0. C49: the exception as the
        architecture takes it (VBAR_EL1 + vector, SPSR_EL1, ESR_EL1 with
        IL, PSTATE from the old one); the spec: PC = the vector offset,
        PSTATE_FAULT_BITS_64, SPSR_0, ESR_EL1 = EC_UNKNOWN."""
        self.fire("C49")
        if not self.on("C49"):
            pstate, pc = self.cget(vmid, vcpuid, PSTATE_), self.cget(vmid, vcpuid, PC_)
            self.cset(vmid, vcpuid, ELR_EL1_, pc)
            self.cset(vmid, vcpuid, PC_, exception_vector(pstate))
            self.cset(vmid, vcpuid, PSTATE_, PSTATE_FAULT_BITS_64)
            self.cset(vmid, vcpuid, SPSR_0_, pstate)
            self.cset(vmid, vcpuid, ESR_EL1_, EC_UNKNOWN)
            return
        self.take_exception(vmid, vcpuid, (EC_UNKNOWN << EC_SHIFT) |
                            (self.cget(vmid, vcpuid, ESR_EL2_) & ESR_IL))

    def inject_illegal_state(self, vmid, vcpuid):
        self.take_exception(vmid, vcpuid, (EC_ILLEGAL << EC_SHIFT) | ESR_IL)

    def inject_external_abort(self, vmid, vcpuid):
        """C43: the guest takes a synchronous external abort at the access."""
        esr2 = self.cget(vmid, vcpuid, ESR_EL2_)
        pstate = self.cget(vmid, vcpuid, PSTATE_)
        iabt = ec_of(esr2) == EC_IABT_LOW
        cur = not pstate & PSR_MODE32_BIT and (pstate & PSR_MODE_MASK) != PSR_MODE_EL0T
        ec = (EC_IABT_CUR if cur else EC_IABT_LOW) if iabt else (EC_DABT_CUR if cur else EC_DABT_LOW)
        esr = (ec << EC_SHIFT) | ESR_IL | ESR_FSC_EXTABT
        if not iabt:
            esr |= esr2 & (ESR_WNR | ESR_CM)
        if esr2 & ESR_FNV:
            esr |= ESR_FNV
        else:
            self.cset(vmid, vcpuid, FAR_EL1_, self.cget(vmid, vcpuid, FAR_EL2_))
        self.take_exception(vmid, vcpuid, esr)

    def post_handle_shadow_s2pt_fault(self, vmid, vcpuid, addr):
        """post_handle_shadow_s2pt_fault_spec0. C52: only in the RAM of
        the VM's declared memory map."""
        st = self.int_state
        lvl = 2 if st.fault_level == 2 else 3
        size = PMD_SIZE if lvl == 2 else PAGE
        if not self.vm_ram_covers(vmid, addr & ~(size - 1), size):
            self.fire("C52")
            if self.on("C52"):
                self.panic("post_handle_shadow_s2pt_fault: vm %d addr %#x level %d not in "
                           "the VM's RAM" % (vmid, addr, lvl))
                return
        self.prot_and_map_vm_s2pt(vmid, addr, st.fault_pte, lvl)

    # -- VCPUOps -------------------------------------------------------------------

    def save_shadow_kvm_regs(self, vmid, vcpuid):
        """save_shadow_kvm_regs_spec0: the exit the host sees (CV_EXIT_*).
        X1/X2: a powered-off VM's or an off vCPU's exit shows nothing.
        C41 (SMC64, no spec case): as HVC, plus the PC step."""
        st = self.int_state
        if self.get_vm_poweron(vmid) == 0:
            return CV_EXIT_POWERED_OFF
        if st.off:
            return CV_EXIT_VCPU_OFF
        if self.cget(vmid, vcpuid, EC_) != ARM_EXCEPTION_TRAP:
            return CV_EXIT_IRQ
        esr = self.cget(vmid, vcpuid, ESR_EL2_)
        ec = ec_of(esr)
        if ec == EC_WFX:
            st.out_esr = esr
            self.prep_wfx(vmid, vcpuid)
            return CV_EXIT_WFX
        if ec in (EC_SMC64, EC_HVC32, EC_HVC64):
            st.out_esr = esr
            if ec == EC_SMC64:
                self.set_shadow_dirty_bit(vmid, vcpuid, DIRTY_PC_FLAG)
            self.prep_hvc(vmid, vcpuid)
            if self.halt:
                return 0
            return (CV_EXIT_SYSTEM_OFF if self.cget(vmid, vcpuid, 0) & 0xffffffff == PSCI_SYSTEM_OFF
                    else CV_EXIT_HVC)
        if ec in (EC_IABT_LOW, EC_DABT_LOW):
            self.prep_abort(vmid, vcpuid)
            return (CV_EXIT_MMIO if ec == EC_DABT_LOW and
                    self.vm_ipa_kind(vmid, st.out_fault_ipa) == CV_REGION_MMIO
                    else CV_EXIT_MEM_FAULT)
        self.panic("save_shadow_kvm_regs: vm %d vcpu %d esr %#x: no handler" % (vmid, vcpuid, esr))
        return 0

    def restore_shadow_kvm_regs(self, vmid, vcpuid):
        """restore_shadow_kvm_regs_spec0. C46: the PC steps by the trapped
        instruction's length and wraps (the spec: +4, rely pc < 2^48).
        C43: "nothing is here" (run->abort, when offered) replaces every
        other answer; C51: any other abort value panics."""
        st = self.int_state
        dirty = self.cget(vmid, vcpuid, DIRTY_)
        if dirty == INVALID64:
            if st.off:
                return
            self.reset_gp_regs(vmid, vcpuid)
            if self.halt:
                return
            self.reset_sys_regs(vmid, vcpuid)
            self.vgic_reset(vmid, vcpuid)
            self.set_shadow_dirty_bit(vmid, vcpuid, 0)
            return
        abort = st.abort if dirty & DIRTY_ABORT_FLAG else CV_ABORT_NONE
        if abort not in (CV_ABORT_NONE, CV_ABORT_INJECT):
            self.fire("C51")
            if self.on("C51"):
                self.panic("restore_shadow_kvm_regs: vm %d vcpu %d abort answer %#x"
                           % (vmid, vcpuid, abort))
                return
        if abort == CV_ABORT_INJECT:
            self.fire("C43")
            if self.on("C43"):
                self.inject_external_abort(vmid, vcpuid)
                self.set_shadow_dirty_bit(vmid, vcpuid, 0)
                self.cset(vmid, vcpuid, FAR_EL2_, 0)
                return
        if self.cget(vmid, vcpuid, EC_) == ARM_EXCEPTION_TRAP:
            self.sync_dirty_to_shadow(vmid, vcpuid)
        if dirty & PENDING_EXCEPT_INJECT_FLAG:
            self.update_exception_gp_regs(vmid, vcpuid)
        if dirty & DIRTY_PC_FLAG:
            pc = self.cget(vmid, vcpuid, PC_)
            step = instr_len(self.cget(vmid, vcpuid, ESR_EL2_))
            if step != 4 or pc >= KVM_ADDR_SPACE:
                self.fire("C46")
            if not self.on("C46"):
                if not self.rely_arg(pc < KVM_ADDR_SPACE, "restore_shadow_kvm_regs: pc %#x" % pc,
                                     delta="C46"):
                    return
                step = 4
            self.cset(vmid, vcpuid, PC_, pc + step)
        self.set_shadow_dirty_bit(vmid, vcpuid, 0)
        self.cset(vmid, vcpuid, FAR_EL2_, 0)
        addr = st.fault_addr
        if 0 < addr < KVM_ADDR_SPACE:
            self.post_handle_shadow_s2pt_fault(vmid, vcpuid, addr)

    def vgic_reset(self, vmid, vcpuid):
        """X3: a started vCPU's interface: nothing pending, En set."""
        for w in range(142, 173):
            self.cset(vmid, vcpuid, w, 0)
        self.cset(vmid, vcpuid, VGIC_HCR_W, ICH_HCR_EN)

    # -- the intermediate state (X1) ---------------------------------------------

    def load_int_state(self, vmid, vcpuid):
        st = self.int_state = IntState()
        info = self.info(vmid)
        dirty = self.cget(vmid, vcpuid, DIRTY_)
        if dirty == INVALID64:
            if info.vcpu_power[vcpuid] == VCPU_ON_PENDING:
                info.vcpu_power[vcpuid] = VCPU_ON
                st.in_pc, st.in_regs[0] = info.vcpu_entry[vcpuid], info.vcpu_context[vcpuid]
            else:
                st.off = True
            st.in_pstate = PSTATE_FAULT_BITS_64
        if not self.run_slot_ok("load_int_state", vmid, vcpuid):
            return
        run = self.run_bytes(vmid, vcpuid)
        st.host_pc, st.host_pstate = run_field(run, "pc"), run_field(run, "pstate")
        if dirty != INVALID64:
            regs = run_field(run, "regs")
            for i in range(31):
                if dirty >> i & 1:
                    st.in_regs[i] = regs[i]
            st.fault_addr = run_field(run, "fault_addr")
            st.fault_pte = run_field(run, "fault_pte")
            st.fault_level = run_field(run, "fault_level")
            st.abort = run_field(run, "abort") if dirty & DIRTY_ABORT_FLAG else 0
        if any((w >> 48) & IRQ_REQ_VALID for w in run_field(run, "irq_req")):
            raise NotImplementedError("X3: a host injection request is not modelled")

    def publish_int_state(self, vmid, vcpuid, reason):
        st = self.int_state
        info = self.info(vmid)
        info.exit_count[vcpuid] += 1
        if not self.run_slot_ok("publish_int_state", vmid, vcpuid):
            return
        w = lambda f, v: self.run_write(vmid, vcpuid, f, v)  # noqa: E731
        w("exit_reason", reason)
        w("version", CV_VCPU_ABI_VERSION)
        w("exit_count", info.exit_count[vcpuid])
        w("esr", st.out_esr)
        w("fault_ipa", st.out_fault_ipa)
        dirty = self.cget(vmid, vcpuid, DIRTY_)
        w("dirty", 0 if dirty == INVALID64 else dirty)
        w("mmio", st.out_mmio)
        regs = run_field(self.run_bytes(vmid, vcpuid), "regs")
        for i in range(31):
            if info.run_shown[vcpuid] >> i & 1 and not st.shown >> i & 1:
                regs[i] = 0
            if st.shown >> i & 1:
                regs[i] = st.out_regs[i]
        w("regs", regs)
        for f in ("fault_addr", "fault_pte", "fault_level", "abort"):
            w(f, 0)
        w("irq_req", [0] * 8)
        w("irq_result", [0] * 8)
        w("irq_eoi_count", 0)
        w("irq_pending_count", 0)
        for f, shown in (("irq_eoi", info.run_eoi_shown), ("irq_pending", info.run_pending_shown)):
            lst = run_field(self.run_bytes(vmid, vcpuid), f)
            for i in range(min(shown[vcpuid], IRQ_REPORT)):
                lst[i] = 0
            shown[vcpuid] = 0
            w(f, lst)
        w("sgi", [0, 0, 0])
        w("timer_deadline", 0)
        info.run_shown[vcpuid] = st.shown

    def vcpu_wipe_run(self, vmid, vcpuid):
        """vcpu_wipe (destroy_vm): the shown registers and the exit's
        syndrome, IPA, dirty set and MMIO decoding leave the host's page."""
        info = self.info(vmid)
        if self.page(self.shared_vcpu(vmid, vcpuid) // PAGE)[0] != HOSTVISOR:
            return
        regs = run_field(self.run_bytes(vmid, vcpuid), "regs")
        for i in range(31):
            if info.run_shown[vcpuid] >> i & 1:
                regs[i] = 0
        self.run_write(vmid, vcpuid, "regs", regs)
        for f, v in (("esr", 0), ("fault_ipa", 0), ("dirty", 0), ("mmio", [0] * 6)):
            self.run_write(vmid, vcpuid, f, v)

    # -- TrapDispatcher, FaultHandler, TrapHandler ----------------------------------

    def core_handle_sys64(self, vmid, vcpuid, esr):
        """The spec skips the instruction. C39: a read also returns 0
        (RAZ/WI). The runner traps only registers no other handler takes
        (not ID, PMU, timer or GIC registers)."""
        rt = (esr >> SYS64_RT_SHIFT) & 31
        if esr & SYS64_DIR_READ and rt != 31:
            self.fire("C39")
            if self.on("C39"):
                self.cset(vmid, vcpuid, rt, 0)
        self.cset(vmid, vcpuid, PC_, self.cget(vmid, vcpuid, PC_) + instr_len(esr))
        return 0

    def core_handle_pvops(self, vmid, vcpuid):
        """core_handle_pvops_spec (corevisor's numbers for
        HVC_KVM_SET/UNSET_DESC_PFN: CV_GUEST_HVC_SHARE/UNSHARE). C38: x0
        = 0 after the call (the spec leaves it); a range beyond 2^48 is
        refused with INVALID_PARAMETER (the spec's calls rely on it)."""
        arg, addr, size = (self.cget(vmid, vcpuid, i) for i in (0, 2, 3))
        if arg not in (CV_GUEST_HVC_SHARE, CV_GUEST_HVC_UNSHARE):
            return self.check(1)
        self.fire("C38")
        ok = (addr < KVM_ADDR_SPACE and size < KVM_ADDR_SPACE and
              (size == 0 or (size - 1) // PAGE * PAGE < KVM_ADDR_SPACE - addr))
        if not ok and self.on("C38"):
            self.cset(vmid, vcpuid, 0, CV_GUEST_RET_INVALID_PARAMETER)
            return self.check(0)
        if arg == CV_GUEST_HVC_SHARE:
            self.grant_stage2_sg_gpa(vmid, addr, size)
        else:
            self.revoke_stage2_sg_gpa(vmid, addr, size)
        if self.on("C38"):
            self.cset(vmid, vcpuid, 0, 0)
        return self.check(0)

    def nothing_here(self, vmid, vcpuid, esr):
        ipa = (self.cget(vmid, vcpuid, HPFAR_EL2_) & HPFAR_FIPA_MASK) << 8
        kind = self.vm_ipa_kind(vmid, ipa)
        return kind == 0 or (kind == CV_REGION_MMIO and self.info(vmid).nregions and
                             ec_of(esr) == EC_IABT_LOW)

    def vm_exit_dispatcher(self, vmid, vcpuid):
        """vm_exit_dispatcher_spec: SYS64 and HVC64 served here, every
        other class panics. C35: WFx, HVC32, SMC64 and the aborts go to
        the host (1) (save_shadow_kvm_regs prepares them); an abort where
        the VM's map has nothing is the guest's external abort (C43);
        C36: any other class is the guest's undefined instruction."""
        esr = self.cget(vmid, vcpuid, ESR_EL2_)
        ec = ec_of(esr)
        if ec == EC_SYS64:
            return self.check(self.core_handle_sys64(vmid, vcpuid, esr))
        if ec == EC_HVC64:
            return self.check(self.core_handle_pvops(vmid, vcpuid))
        host = ec in (EC_WFX, EC_HVC32, EC_SMC64, EC_IABT_LOW, EC_DABT_LOW)
        self.fire("C35" if host else "C36")
        if not self.on("C35" if host else "C36"):
            self.panic("vm_exit_dispatcher: vm %d vcpu %d esr %#x: class %#x"
                       % (vmid, vcpuid, esr, ec))
            return 0
        if ec in (EC_IABT_LOW, EC_DABT_LOW):
            if self.nothing_here(vmid, vcpuid, esr):
                self.fire("C43")
                if self.on("C43"):
                    self.inject_external_abort(vmid, vcpuid)
                    return self.check(0)
            return self.check(1)
        if ec == EC_WFX or host:
            return self.check(1)
        self.update_exception_gp_regs(vmid, vcpuid)
        return self.check(0)

    def vm_exit_handler(self, vmid, vcpuid):
        """vm_exit_handler_raw_spec: a trap to vm_exit_dispatcher, an
        interrupt to the host, any other code panics. C37: an SError
        powers the VM off (to the host), an illegal exception return is
        the guest's Illegal Execution state exception."""
        ec = self.cget(vmid, vcpuid, EC_)
        if ec == ARM_EXCEPTION_TRAP:
            ret = self.vm_exit_dispatcher(vmid, vcpuid)
        elif ec == ARM_EXCEPTION_IRQ:
            ret = 1  # X3: no timer of the vCPU's is armed
        elif ec in (ARM_EXCEPTION_EL1_SERROR, ARM_EXCEPTION_IL):
            self.fire("C37")
            if not self.on("C37"):
                self.panic("vm_exit_handler: vm %d vcpu %d exit code %d" % (vmid, vcpuid, ec))
                return 0
            if ec == ARM_EXCEPTION_IL:
                self.inject_illegal_state(vmid, vcpuid)
                ret = 0
            else:
                self.set_vm_poweroff(vmid)
                ret = 1
        else:
            self.panic("vm_exit_handler: vm %d vcpu %d exit code %d" % (vmid, vcpuid, ec))
            return 0
        if self.halt:
            return 0
        if ret == 0 and self.get_vm_poweron(vmid) == 0:
            ret = 1
        return self.check(ret)

    # -- CtxtSwitch and the VCPU_RUN handler -----------------------------------------

    def restore_vm(self, vmid, vcpuid):
        """restore_vm_spec. C50: a READY vCPU of a VM another vCPU powered
        off is not taken (CV_EXIT_POWERED_OFF); the spec's
        set_vcpu_active panics. Returns whether the vCPU was taken."""
        info = self.info(vmid)
        if info.state == POWEROFF and info.vcpu_state[vcpuid] == READY:
            self.fire("C50")
            if self.on("C50"):
                return False
        self.set_vcpu_active(vmid, vcpuid)
        if self.halt:
            return False
        self.load_int_state(vmid, vcpuid)
        if self.halt:
            return False
        self.restore_shadow_kvm_regs(vmid, vcpuid)
        return not self.halt

    def save_vm(self, vmid, vcpuid):
        reason = self.save_shadow_kvm_regs(vmid, vcpuid)
        if self.halt:
            return 0
        self.publish_int_state(vmid, vcpuid, reason)
        if self.halt:
            return 0
        self.set_vcpu_inactive(vmid, vcpuid)
        return self.check(reason)

    def host_vcpu_run_handler(self, vmid, vcpuid):
        """host_vcpu_run_handler_spec: the vCPU runs (the simulated guest,
        guest_run) until vm_exit_handler gives the exit to the host."""
        if self.halt:
            return 0
        if not self.restore_vm(vmid, vcpuid):
            return 0 if self.halt else CV_EXIT_POWERED_OFF
        if not self.int_state.off:
            while True:
                self.guest_run(vmid, vcpuid)
                if self.vm_exit_handler(vmid, vcpuid) != 0 or self.halt:
                    break
        if self.halt:
            return 0
        return self.save_vm(vmid, vcpuid)

    # -- the simulated guest (arch/hosted/vcpu.c's helpers) -------------------------

    def guest_translate(self, vmid, ipa, write):
        """The VM's stage 2 for the guest: (pfn, None) or (None, fsc)."""
        npt = self.npts[vmid]
        gfn = ipa // PAGE
        pfn, _level, pte = npt.get(gfn)
        if pte:
            if not pte & PTE_AF:
                return None, 0x08 + _level
            if not pte & (S2AP_W if write else S2AP_R):
                return None, 0x0c + _level
            return pfn, None
        if ipa >> 48:  # S2_IA_BITS
            return None, 0x04
        p0, p1, p2 = K_pgd(ipa), K_pud(ipa), K_pmd(ipa)
        if p0 not in npt.pgd_t:
            return None, 0x04
        if (p0, p1) not in npt.pud_t:
            return None, 0x05
        if (p0, p1, p2) not in npt.pmd_t:
            return None, 0x06
        return None, 0x07

    def guest_mem(self, vmid, ipa, length, write, value=0):
        pfn, fsc = self.guest_translate(vmid, ipa, write)
        if pfn is None:
            return False, fsc
        if not self.content_page(pfn):
            raise NotImplementedError("a guest access to pfn %#x (not RAM)" % pfn)
        off = ipa % PAGE
        data = self.content(pfn)
        if not write:
            return True, int.from_bytes(data[off:off + length], "little")
        b = value.to_bytes(8, "little")[:length]
        self.set_content(pfn, data[:off] + b + data[off + length:])
        return True, 0

    @staticmethod
    def trap(g, esr, far=0, hpfar=0):
        g.exited = ARM_EXCEPTION_TRAP + 1
        g.esr, g.far, g.hpfar = esr & MASK64, far, hpfar
        return False

    @staticmethod
    def hpfar_of(ipa):
        return ((ipa >> 12) << 4) & HPFAR_FIPA_MASK

    def guest_op(self, g, vmid, op):
        """One instruction of the guest program: False when it trapped."""
        k = op[0]
        il = ESR_IL
        if k == "x":
            g.x[op[1]] = op[2] & MASK64
        elif k in Guest.FIELDS:
            g.r[k] = op[1] & MASK64
        elif k in ("ld", "st"):
            _, ipa, length, rt, sse = op
            write = k == "st"
            v = 0 if rt == 31 else g.x[rt]
            ok, res = self.guest_mem(vmid, ipa, length, write, v)
            if not ok:
                sas = {1: 0, 2: 1, 4: 2, 8: 3}[length]
                esr = ((EC_DABT_LOW << EC_SHIFT) | il | ESR_ISV | (sas << ESR_SAS_SHIFT) |
                       (ESR_SSE if sse else 0) | (rt << ESR_SRT_SHIFT) |
                       (ESR_SF if length == 8 or sse else 0) | (ESR_WNR if write else 0) | res)
                return self.trap(g, esr, ipa, self.hpfar_of(ipa))
            if not write:
                if sse and length < 8 and (res >> (8 * length - 1)) & 1:
                    res |= MASK64 & (MASK64 << (8 * length))
                if rt < 31:
                    g.x[rt] = res
            g.r["pc"] = (g.r["pc"] + 4) & MASK64
        elif k == "ldp":
            _, ipa, rt, rt2 = op
            ok1, v1 = self.guest_mem(vmid, ipa, 8, False)
            ok2, v2 = self.guest_mem(vmid, ipa + 8, 8, False) if ok1 else (False, v1)
            if not ok2:
                at = ipa + 8 if ok1 else ipa
                return self.trap(g, (EC_DABT_LOW << EC_SHIFT) | il | v2, at, self.hpfar_of(at))
            if rt < 31:
                g.x[rt] = v1
            if rt2 < 31:
                g.x[rt2] = v2
            g.r["pc"] = (g.r["pc"] + 4) & MASK64
        elif k == "fetch":
            pc = g.r["pc"]
            ok, res = self.guest_mem(vmid, pc & ~3, 4, False)
            if not ok:
                return self.trap(g, (EC_IABT_LOW << EC_SHIFT) | il | res, pc, self.hpfar_of(pc))
        elif k == "hvc":
            g.r["pc"] = (g.r["pc"] + 4) & MASK64
            return self.trap(g, (EC_HVC64 << EC_SHIFT) | il | op[1])
        elif k == "smc":
            return self.trap(g, (EC_SMC64 << EC_SHIFT) | il | op[1])
        elif k in ("wfi", "wfe"):
            return self.trap(g, (EC_WFX << EC_SHIFT) | il | WFX_ISS_CV_COND | (k == "wfe"))
        elif k == "sysreg":  # ACTLR_EL1
            _, rt, read = op
            iss = (3 << 20) | (1 << 17) | (1 << 10) | ((rt & 31) << 5) | (1 if read else 0)
            return self.trap(g, (EC_SYS64 << EC_SHIFT) | il | iss)
        elif k == "trap":
            return self.trap(g, op[1])
        elif k == "exc":
            g.exited = op[1] + 1
            return False
        else:
            raise ValueError(op)
        return True

    def guest_run(self, vmid, vcpuid):
        """arch_vcpu_run: load the vCPU, run its program's next
        instructions until one traps (or the program ends: an interrupt),
        save it back (the hosted machine's save_guest)."""
        ctxt = self.ctx(vmid, vcpuid)
        g = Guest(ctxt)
        ops = self.guest_scripts.get((vmid, vcpuid), [])
        while ops:
            if not self.guest_op(g, vmid, ops.pop(0)):
                break
        ec = g.exited - 1 if g.exited else ARM_EXCEPTION_IRQ
        for i in range(31):
            self.cset(vmid, vcpuid, i, g.x[i])
        for k, i in Guest.FIELDS.items():
            self.cset(vmid, vcpuid, i, g.r[k])
        trap = ec == ARM_EXCEPTION_TRAP
        self.cset(vmid, vcpuid, ESR_EL2_, g.esr if trap else 0)
        self.cset(vmid, vcpuid, FAR_EL2_, g.far if trap else 0)
        self.cset(vmid, vcpuid, HPFAR_EL2_, g.hpfar if trap else 0)
        self.cset(vmid, vcpuid, EC_, ec)


def K_pgd(addr):
    return (addr >> 39) & 511


def K_pud(addr):
    return (addr >> 30) & 511


def K_pmd(addr):
    return (addr >> 21) & 511
