// SPDX-License-Identifier: MIT
/*
 * AbstractMachine's vCPU primitives: the current principal of each CPU
 * (cur_vmid, cur_vcpuid, set_per_cpu), the shadow context accessors, and
 * the reset values the core gives a new vCPU (reg_desc, exception_vector).
 * The shadow context belongs to the CPU running the vCPU (vcpu.h).
 */
#include <cv/arch.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#define ULL(x) ((unsigned long long)(x))

/* KVM's reset value of SCTLR_EL1: RES1 bits, MMU and caches off. */
#define SCTLR_EL1_RESET 0x00c50078ULL

/* Exception vector offsets from VBAR_EL1 (synchronous). */
#define VECTOR_CUR_SP0 0x000ULL
#define VECTOR_CUR_SPX 0x200ULL
#define VECTOR_LOWER_A64 0x400ULL
#define VECTOR_LOWER_A32 0x600ULL

u32 get_cur_vmid(void)
{
	if (halted())
		return 0;
	return cv.cpus[arch_cpu_id()].cur_vmid;
}

u32 get_cur_vcpuid(void)
{
	if (halted())
		return 0;
	return cv.cpus[arch_cpu_id()].cur_vcpuid;
}

/*
 * set_per_cpu_spec: this CPU now runs @vcpuid of VM @vmid; for the host
 * and the core the "vCPU" is the CPU itself.
 */
void set_per_cpu(u32 vmid, u32 vcpuid)
{
	struct cv_cpu *c;
	u32 cpu;

	if (halted())
		return;
	if (!is_vmid(vmid) || !is_vcpu(vcpuid)) {
		panic("set_per_cpu: vm %u vcpu %u out of range", vmid, vcpuid);
		return;
	}
	cpu = arch_cpu_id();
	c = &cv.cpus[cpu];
	c->cur_vmid = vmid;
	c->cur_vcpuid = is_vm(vmid) ? vcpuid : cpu;
}

/* The relies of every shadow-context accessor, as a panic naming @who. */
static bool ctxt_args(const char *who, u32 vmid, u32 vcpuid, u32 index)
{
	if (!is_vmid(vmid) || !is_vcpu(vcpuid) || index >= CTXT_REG_NUM) {
		panic("%s: vm %u vcpu %u register %u out of range", who, vmid,
		      vcpuid, index);
		return false;
	}
	return true;
}

u64 get_shadow_ctxt(u32 vmid, u32 vcpuid, u32 index)
{
	if (halted() || !ctxt_args(__func__, vmid, vcpuid, index))
		return 0;
	return shadow_ctxt(vmid, vcpuid)->regs[index];
}

void set_shadow_ctxt(u32 vmid, u32 vcpuid, u32 index, u64 value)
{
	if (halted() || !ctxt_args(__func__, vmid, vcpuid, index))
		return;
	shadow_ctxt(vmid, vcpuid)->regs[index] = value;
}

u64 get_shadow_dirty_bit(u32 vmid, u32 vcpuid)
{
	return get_shadow_ctxt(vmid, vcpuid, DIRTY);
}

/*
 * set_shadow_dirty_bit: 0 clears the dirty set, any other value is added
 * to it. The spec replaces the value, which makes prep_abort's read case
 * drop the PC flag it set just before: the guest would re-execute its
 * MMIO load forever. SeKVM's C ORs, and so does corevisor.
 */
void set_shadow_dirty_bit(u32 vmid, u32 vcpuid, u64 value)
{
	u64 dirty;

	if (halted() || !ctxt_args(__func__, vmid, vcpuid, DIRTY))
		return;
	dirty = shadow_ctxt(vmid, vcpuid)->regs[DIRTY];
	shadow_ctxt(vmid, vcpuid)->regs[DIRTY] = value ? dirty | value : 0;
}

/* clear_shadow_gp_regs_spec: X0..X30 = 0. */
void clear_shadow_gp_regs(u32 vmid, u32 vcpuid)
{
	if (halted() || !ctxt_args(__func__, vmid, vcpuid, X0))
		return;
	for (u32 i = X0; i <= X30; i++)
		shadow_ctxt(vmid, vcpuid)->regs[i] = 0;
}

/* reset_fp_regs_spec: V0..V31, FPSR, FPCR = 0. */
void reset_fp_regs(u32 vmid, u32 vcpuid)
{
	struct cv_ctxt *c;

	if (halted() || !ctxt_args(__func__, vmid, vcpuid, X0))
		return;
	c = shadow_ctxt(vmid, vcpuid);
	for (u32 i = 0; i < ARRAY_SIZE(c->vregs); i++)
		c->vregs[i] = 0;
	c->fpsr = 0;
	c->fpcr = 0;
}

/*
 * get_exception_vector: where an exception taken to EL1 from @pstate
 * enters, as an offset from VBAR_EL1 (the spec leaves exception_vector
 * abstract; this is the AArch64 vector table, Arm ARM D1.10.2): current
 * EL with SP_EL0 or SP_EL1, lower EL in AArch64 or (a guest's EL0 may be)
 * AArch32.
 */
u64 get_exception_vector(u64 pstate)
{
	if (pstate & PSR_MODE32_BIT)
		return VECTOR_LOWER_A32;
	switch (pstate & PSR_MODE_MASK) {
	case PSR_MODE_EL1h:
		return VECTOR_CUR_SPX;
	case PSR_MODE_EL1t:
		return VECTOR_CUR_SP0;
	default:
		return VECTOR_LOWER_A64;
	}
}

/*
 * get_sys_reg_desc_val (reg_desc): the reset value of EL1 system register
 * @index (state.h numbering). KVM's: SCTLR_EL1 has its RES1 bits, the
 * others start at 0 (KVM leaves most "unknown"; 0 is one such value).
 */
u64 get_sys_reg_desc_val(u32 index)
{
	if (halted())
		return 0;
	if (index >= CTXT_REG_NUM) {
		panic("get_sys_reg_desc_val: register %u out of range", index);
		return 0;
	}
	return index == SCTLR_EL1 ? SCTLR_EL1_RESET : 0;
}
