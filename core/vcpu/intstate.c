// SPDX-License-Identifier: MIT
/*
 * The intermediate state (AbstractMachine get_int_* / set_int_gpr,
 * get_vm_fault_addr, get_int_new_pte / level): the vCPU's struct
 * cv_vcpu_run in host memory (include/corevisor/vcpu_abi.h).
 *
 * The host may change that memory at any time, from another CPU. So the
 * core reads each field it uses once per VCPU_RUN (load_int_state: into
 * core memory, which the get_int_* then read) and writes the structure
 * once per exit (publish_int_state: the record set_int_gpr and the prep_*
 * functions filled), touching only what the run and the exit need.
 *
 * corevisor: the page must be the host's whenever the core touches it (a
 * host that gave it to a VM would otherwise make the core read or write
 * that VM's memory). REGISTER_VCPU pins it (pin_run_page: the host's, and
 * no call gives a pinned page away, the s2page `pinned` bit) until
 * destroy_vm (vcpu_wipe), so the exit path needs neither the s2page lock
 * nor an owner check: it checks only the pin, a plain load.
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
#include <cv/vgic.h>

#include "vcpu_internal.h"

_Static_assert(sizeof(struct cv_ctxt) + sizeof(struct cv_sealed_vcpu_hdr) <=
		       CV_VCPU_RUN_OFFSET,
	       "a sealed vCPU stays below the run structure");
_Static_assert(CV_DIRTY_PC_FLAG == DIRTY_PC_FLAG &&
		       CV_DIRTY_EXCEPT_FLAG == PENDING_EXCEPT_INJECT_FLAG &&
		       CV_DIRTY_ABORT_FLAG == DIRTY_ABORT_FLAG &&
		       CV_MMIO_LIMIT == MAX_MMIO_ADDR,
	       "vcpu_abi.h and the core agree");

_Static_assert(sizeof(struct cv_vcpu_irq) == 8 &&
		       __builtin_offsetof(struct cv_vcpu_run, irq_req) % 8 ==
			       0 &&
		       CV_VCPU_RUN_OFFSET % 8 == 0,
	       "load/publish_int_state move irq_req[] a u64 per slot");
/* The flags byte of a request slot read as a little-endian u64. */
#define IRQ_REQ_FLAGS_SHIFT 48
_Static_assert(__builtin_offsetof(struct cv_vcpu_irq, flags) * 8 ==
			       IRQ_REQ_FLAGS_SHIFT &&
		       __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "IRQ_REQ_FLAGS_SHIFT");
/* A word of the run structure, which may alias any of its fields. */
typedef u64 __attribute__((may_alias)) run_word;

struct int_state int_states[TOTAL_CPU];

/*
 * Find where vCPU slot @slot's run structure is. False after a panic.
 */
static bool find_run_page(const char *who, u32 vmid, u32 vcpuid,
			  struct cv_run_slot *slot)
{
	u64 pa = get_shared_vcpu(vmid, vcpuid), index;
	u8 *p;

	index = get_s2_page_index(pa);
	p = arch_phys_to_virt(pa);
	if (halted())
		return false;
	if (index == INVALID64 || !p) {
		panic("%s: vm %u vcpu %u shared page 0x%llx is not memory", who,
		      vmid, vcpuid, ULL(pa));
		return false;
	}
	slot->page = &cv.s2page[index];
	slot->run = (struct cv_vcpu_run *)(p + CV_VCPU_RUN_OFFSET);
	slot->eoi_shown = CV_VCPU_IRQ_REPORT;
	slot->pending_shown = CV_VCPU_IRQ_REPORT;
	return true;
}

/*
 * corevisor (register_vcpu): pin vCPU (@vmid, @vcpuid)'s run page, which
 * must be the host's memory and not pinned yet (one page per vCPU slot).
 * The caller holds the VM's info lock.
 */
void pin_run_page(u32 vmid, u32 vcpuid)
{
	struct cv_run_slot *slot;
	struct s2page *pg;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("pin_run_page: vm %u vcpu %u out of range", vmid, vcpuid);
		return;
	}
	assert_locked(INFO_ID + vmid);
	slot = &cv.run_slots[ctxt_id(vmid, vcpuid)];
	acquire_lock_s2page();
	if (!find_run_page("register_vcpu", vmid, vcpuid, slot))
		return;
	pg = slot->page;
	if (pg->owner != HOSTVISOR || pg->pinned) {
		panic("register_vcpu: vm %u vcpu %u shared page 0x%llx owned "
		      "by %u (pinned %u), not the host",
		      vmid, vcpuid, ULL(get_shared_vcpu(vmid, vcpuid)),
		      (u32)pg->owner, (u32)pg->pinned);
		return;
	}
	pg->pinned = 1;
	release_lock_s2page();
}

static __attribute__((noinline)) void not_pinned(const char *who, u32 vmid,
						 u32 vcpuid)
{
	panic("%s: vm %u vcpu %u run page not pinned", who, vmid, vcpuid);
}

/*
 * The vCPU's run structure in the core's map, or NULL after a panic. Its
 * page is pinned (pin_run_page) while the vCPU is registered: the host's.
 */
static inline struct cv_vcpu_run *run_page(const char *who, u32 vmid,
					   u32 vcpuid)
{
	struct cv_run_slot *slot = &cv.run_slots[ctxt_id(vmid, vcpuid)];

	if (halted())
		return NULL;
	if (!slot->run || !slot->page->pinned) {
		not_pinned(who, vmid, vcpuid);
		return NULL;
	}
	return slot->run;
}

/*
 * Take the host's answers this run may use, each read once from host
 * memory (the host may change it meanwhile, from another CPU): the
 * registers the core offered at the last exit (its own dirty set) and
 * the stage-2 fault answer. A vCPU that is not running yet (dirty =
 * INVALID64: registered, or after its CPU_OFF) takes nothing from the
 * host: its start, if its guest or its image asked for one, is the
 * core's (vcpu_take_start); without one it stays off this run. This
 * run's exit record starts empty.
 */
void load_int_state(u32 vmid, u32 vcpuid)
{
	struct int_state *s;
	const struct cv_vcpu_run *run;
	u64 dirty, regs;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("load_int_state: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	s = this_int_state();
	dirty = shadow_ctxt(vmid, vcpuid)->regs[DIRTY];
	s->vcpu_off = false;
	if (dirty == INVALID64) {
		s->vcpu_off = !vcpu_take_start(vmid, vcpuid, &s->in.pc,
					       &s->in.regs[X0]);
		s->in.pstate = PSTATE_FAULT_BITS_64; /* EL1h, DAIF masked */
		s->in.fault_addr = 0;
		s->in.abort = 0;
		if (halted())
			return;
	}
	run = run_page(__func__, vmid, vcpuid);
	if (!run)
		return;
	if (dirty != INVALID64) {
		for (regs = dirty & CV_DIRTY_REGS_MASK; regs;
		     regs &= regs - 1) {
			u32 i = (u32)__builtin_ctzll(regs);

			s->in.regs[i] = run->regs[i];
		}
		s->in.fault_addr = run->fault_addr;
		s->in.fault_pte = run->fault_pte;
		s->in.fault_level = run->fault_level;
		s->in.abort = dirty & DIRTY_ABORT_FLAG ? run->abort : 0;
	}
	/* corevisor: the injection requests and the timer PPIs' settings. */
	s->irq_valid = 0;
	for (u32 i = 0; i < CV_VCPU_IRQ_REQS; i++) {
		/* One 8-byte read of each slot (read once: host memory). */
		u64 w = ((const run_word *)run->irq_req)[i];

		((run_word *)s->in.irq_req)[i] = w;
		if ((w >> IRQ_REQ_FLAGS_SHIFT) & CV_IRQ_REQ_VALID)
			s->irq_valid |= 1U << i;
	}
	s->in.timer_ppi[0] = run->timer_ppi[0];
	s->in.timer_ppi[1] = run->timer_ppi[1];
	s->out.esr = 0;
	s->out.fault_ipa = 0;
	s->out.mmio = (struct cv_vcpu_mmio){0};
	s->out.irq_eoi_count = 0;
	s->out.sgi = (struct cv_vcpu_sgi){0};
	for (u32 i = 0; i < CV_VCPU_IRQ_REQS; i++)
		s->out.irq_result[i] = CV_IRQ_NONE;
	s->shown = 0;
}

/*
 * A report list of the run structure: @n entries of @src, then zeros up
 * to what the last exit left there (*@shown), so that the list reads as
 * @n entries and zeros without storing all CV_VCPU_IRQ_REPORT each exit.
 */
static void publish_list(u32 *dst, const u32 *src, u32 n, u32 *shown)
{
	if (n > CV_VCPU_IRQ_REPORT)
		n = CV_VCPU_IRQ_REPORT;
	for (u32 i = 0; i < n; i++)
		dst[i] = src[i];
	for (u32 i = n; i < *shown; i++)
		dst[i] = 0;
	*shown = n;
}

/*
 * Give the host this exit: @exit_reason, the record the prep_* functions
 * filled, the dirty set, and the fault answer fields cleared. Of regs[],
 * the ones the vCPU's last exit showed are cleared and the ones this exit
 * shows written, so regs[] never holds a guest value this exit does not
 * show (the rest is what the host itself wrote there). The host's pc /
 * pstate fields are left as the host wrote them.
 */
void publish_int_state(u32 vmid, u32 vcpuid, u32 exit_reason)
{
	struct int_state *s;
	struct cv_run_slot *slot;
	struct cv_vcpu_run *run;
	u64 count, regs;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("publish_int_state: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	s = this_int_state();
	slot = &cv.run_slots[ctxt_id(vmid, vcpuid)];
	count = ++slot->exit_count;
	vgic_fill_exit(vmid, vcpuid, &s->out);
	run = run_page(__func__, vmid, vcpuid);
	if (!run)
		return;
	run->exit_reason = exit_reason;
	run->version = CV_VCPU_ABI_VERSION;
	run->exit_count = count;
	run->esr = s->out.esr;
	run->fault_ipa = s->out.fault_ipa;
	run->dirty = shadow_ctxt(vmid, vcpuid)->regs[DIRTY];
	if (run->dirty == INVALID64) /* off (CPU_OFF): nothing to answer */
		run->dirty = 0;
	run->mmio = s->out.mmio;
	for (regs = slot->shown & ~s->shown; regs; regs &= regs - 1)
		run->regs[__builtin_ctzll(regs)] = 0;
	for (regs = s->shown; regs; regs &= regs - 1) {
		u32 i = (u32)__builtin_ctzll(regs);

		run->regs[i] = s->out.regs[i];
	}
	run->fault_addr = 0;
	run->fault_pte = 0;
	run->fault_level = 0;
	run->abort = 0;
	/* corevisor: the interrupt part (vcpu_abi.h, version 3). */
	for (u32 i = 0; i < CV_VCPU_IRQ_REQS; i++) /* 8 bytes, 8-aligned */
		((run_word *)run->irq_req)[i] = 0;
	for (u32 i = 0; i < CV_VCPU_IRQ_REQS; i++)
		run->irq_result[i] = s->out.irq_result[i];
	run->irq_eoi_count = s->out.irq_eoi_count;
	publish_list(run->irq_eoi, s->out.irq_eoi, s->out.irq_eoi_count,
		     &slot->eoi_shown);
	run->irq_pending_count = s->out.irq_pending_count;
	publish_list(run->irq_pending, s->out.irq_pending,
		     s->out.irq_pending_count, &slot->pending_shown);
	run->sgi = s->out.sgi;
	run->timer_deadline = s->out.timer_deadline;
	slot->shown = s->shown;
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
	return this_int_state()->in.regs[index];
}

u64 get_int_pc(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_int_state()->in.pc;
}

u64 get_int_pstate(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_int_state()->in.pstate;
}

u64 get_vm_fault_addr(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_int_state()->in.fault_addr;
}

u64 get_int_new_pte(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_int_state()->in.fault_pte;
}

u64 get_int_new_level(u32 vmid, u32 vcpuid)
{
	if (halted() || !int_args(__func__, vmid, vcpuid))
		return 0;
	return this_int_state()->in.fault_level;
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
	int_show(this_int_state(), index, value);
}

/*
 * corevisor (destroy_vm): vCPU slot (@vmid, @vcpuid) as boot left it: its
 * shadow context zeroed, the registers its last exit showed cleared from
 * its run structure (if it has been found, and its page is the host's),
 * its run page's pin released, the core's pointer to the run structure
 * and its exit count dropped. The
 * caller holds the VM's info lock and no vCPU of the VM runs.
 */
void vcpu_wipe(u32 vmid, u32 vcpuid)
{
	struct cv_run_slot *slot;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vcpu_wipe: vm %u vcpu %u out of range", vmid, vcpuid);
		return;
	}
	assert_locked(INFO_ID + vmid);
	slot = &cv.run_slots[ctxt_id(vmid, vcpuid)];
	if (slot->run) {
		acquire_lock_s2page();
		/* Pinned since register_vcpu: the host's; the pin ends here. */
		if (slot->page->owner == HOSTVISOR) {
			struct cv_vcpu_run *run = slot->run;

			for (u64 regs = slot->shown; regs; regs &= regs - 1)
				run->regs[__builtin_ctzll(regs)] = 0;
			run->esr = 0;
			run->fault_ipa = 0;
			run->dirty = 0;
			memset(&run->mmio, 0, sizeof(run->mmio));
		}
		slot->page->pinned = 0;
		release_lock_s2page();
	}
	memset(slot, 0, sizeof(*slot));
	memset(shadow_ctxt(vmid, vcpuid), 0, sizeof(struct cv_ctxt));
}
