// SPDX-License-Identifier: MIT
/*
 * The intermediate state (AbstractMachine get_int_* / set_int_gpr,
 * get_vm_fault_addr, get_int_new_pte / level): the vCPU's struct
 * cv_vcpu_run in host memory (include/corevisor/vcpu_abi.h).
 *
 * The host may change that memory at any time, from another CPU. So the
 * core reads it once per VCPU_RUN (load_int_state: one copy into core
 * memory, which the get_int_* then read) and writes it once per exit
 * (publish_int_state: the record set_int_gpr and the prep_* functions
 * filled). Both check, under the s2page lock, that the page is still the
 * host's: a host that gave it to a VM or to the core would otherwise make
 * the core read or write that principal's memory.
 */
#include <corevisor/sealed.h>
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "vcpu_internal.h"

_Static_assert(sizeof(struct cv_ctxt) + sizeof(struct cv_sealed_vcpu_hdr) <=
		       CV_VCPU_RUN_OFFSET,
	       "a sealed vCPU stays below the run structure");
_Static_assert(CV_DIRTY_PC_FLAG == DIRTY_PC_FLAG &&
		       CV_DIRTY_EXCEPT_FLAG == PENDING_EXCEPT_INJECT_FLAG &&
		       CV_MMIO_LIMIT == MAX_MMIO_ADDR,
	       "vcpu_abi.h and the core agree");

/* Per CPU: the host's answers of this run, and the exit being prepared. */
static struct int_state {
	struct cv_vcpu_run in;
	struct cv_vcpu_run out;
} int_states[TOTAL_CPU];

/* Exits to the host per vCPU slot; only the vCPU's CPU touches its own. */
static u64 exit_counts[CTXT_POOL_SIZE];

static struct int_state *this_state(void)
{
	return &int_states[arch_cpu_id()];
}

struct cv_vcpu_run *int_out(void)
{
	return &this_state()->out;
}

/*
 * The core's pointer to the vCPU's run structure, or NULL after a panic.
 * The caller holds the s2page lock and releases it after the copy.
 */
static u8 *run_page(const char *who, u32 vmid, u32 vcpuid)
{
	u64 pa = get_shared_vcpu(vmid, vcpuid);
	u32 owner;
	u8 *p;

	if (halted())
		return NULL;
	assert_locked(S2PAGE_ID);
	owner = get_pfn_owner(pa / PAGE_SIZE);
	p = arch_phys_to_virt(pa);
	if (owner != HOSTVISOR || !p) {
		panic("%s: vm %u vcpu %u shared page 0x%llx owned by %u, not "
		      "the host",
		      who, vmid, vcpuid, ULL(pa), owner);
		return NULL;
	}
	return p + CV_VCPU_RUN_OFFSET;
}

/* One copy of the host's answers; this run's exit record starts empty. */
void load_int_state(u32 vmid, u32 vcpuid)
{
	struct int_state *s;
	const u8 *src;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("load_int_state: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	s = this_state();
	acquire_lock_s2page();
	src = run_page(__func__, vmid, vcpuid);
	if (!src)
		return;
	memcpy(&s->in, src, sizeof(s->in));
	release_lock_s2page();
	memset(&s->out, 0, sizeof(s->out));
}

/*
 * Give the host this exit: @exit_reason, the record the prep_* functions
 * filled, the dirty set, and the fault answer fields cleared. The host's
 * pc / pstate fields are left as the host wrote them.
 */
void publish_int_state(u32 vmid, u32 vcpuid, u32 exit_reason)
{
	struct cv_vcpu_run *out;
	u8 *dst;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("publish_int_state: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	out = int_out();
	out->exit_reason = exit_reason;
	out->version = CV_VCPU_ABI_VERSION;
	out->exit_count = ++exit_counts[ctxt_id(vmid, vcpuid)];
	out->dirty = get_shadow_dirty_bit(vmid, vcpuid);
	out->fault_addr = 0;
	out->fault_pte = 0;
	out->fault_level = 0;
	acquire_lock_s2page();
	dst = run_page(__func__, vmid, vcpuid);
	if (!dst)
		return;
	memcpy(dst, out, offsetof(struct cv_vcpu_run, pc));
	memcpy(dst + offsetof(struct cv_vcpu_run, fault_addr), &out->fault_addr,
	       sizeof(*out) - offsetof(struct cv_vcpu_run, fault_addr));
	release_lock_s2page();
}

/* The relies of the int accessors. */
static bool int_args(const char *who, u32 vmid, u32 vcpuid)
{
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("%s: vm %u vcpu %u out of range", who, vmid, vcpuid);
		return false;
	}
	return true;
}

/* get_int_gpr: the host's answer for register @index (0..30). */
u64 get_int_gpr(u32 vmid, u32 vcpuid, u32 index)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	if (index > X30) {
		panic("get_int_gpr: vm %u vcpu %u register %u out of range",
		      vmid, vcpuid, index);
		return 0;
	}
	return this_state()->in.regs[index];
}

u64 get_int_pc(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_state()->in.pc;
}

u64 get_int_pstate(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_state()->in.pstate;
}

u64 get_vm_fault_addr(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_state()->in.fault_addr;
}

u64 get_int_new_pte(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_state()->in.fault_pte;
}

u64 get_int_new_level(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_state()->in.fault_level;
}

/*
 * get_int_esr: the syndrome of the exit. The spec reads it from the
 * intermediate state, i.e. host memory; a host could then pick the
 * register prep_abort shows it (any guest register). corevisor uses the
 * ESR_EL2 the world switch saved in the shadow context.
 */
u64 get_int_esr(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return get_shadow_ctxt(vmid, vcpuid, ESR_EL2);
}

/* set_int_gpr: show the host guest register @index's @value. */
void set_int_gpr(u32 vmid, u32 vcpuid, u32 index, u64 value)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return;
	if (index > X30) {
		panic("set_int_gpr: vm %u vcpu %u register %u out of range",
		      vmid, vcpuid, index);
		return;
	}
	int_out()->regs[index] = value;
}
