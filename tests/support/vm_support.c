// SPDX-License-Identifier: MIT
/* Helpers of the vCPU and trap tests: see vm_support.h. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <corevisor/sealed.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/state.h>

#include "boot_support.h"
#include "vm_support.h"

uint64_t vs_image_pa(uint32_t n)
{
	return cv_hosted_ram_base() + (16ULL + 4 * n) * (1ULL << 20);
}

void vs_boot(void)
{
	bs_boot();
}

uint32_t vs_new_vm_unverified(uint32_t nvcpus, uint32_t n)
{
	uint8_t payload[VS_IMAGE_BYTES];
	uint8_t *img;
	size_t size;
	uint32_t vmid = bs_new_vm(nvcpus);

	bs_pattern(payload, sizeof(payload), vmid);
	img = bs_make_image(payload, sizeof(payload), VS_IMAGE_IPA, bs_sk,
			    &size);
	bs_load_image(vmid, VS_IMAGE_IPA, vs_image_pa(n), img, size);
	free(img);
	bs_expect_running();
	return vmid;
}

uint32_t vs_new_vm(uint32_t nvcpus, uint32_t n)
{
	uint32_t vmid = vs_new_vm_unverified(nvcpus, n);

	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vmid), VERIFIED);
	return vmid;
}

uint64_t vs_run_pa(uint32_t vmid, uint32_t vcpuid)
{
	uint64_t base = bs_hvc(HVC_GET_SHARED_BASE, 0, 0, 0, 0, 0);

	return base + CV_SHARED_VCPU_OFFSET(vmid, vcpuid) + CV_VCPU_RUN_OFFSET;
}

void vs_get_run(uint32_t vmid, uint32_t vcpuid, struct cv_vcpu_run *run)
{
	cr_assert(cv_hosted_host_read(vs_run_pa(vmid, vcpuid), run,
				      sizeof(*run)));
}

void vs_put_run(uint32_t vmid, uint32_t vcpuid, const struct cv_vcpu_run *run)
{
	cr_assert(cv_hosted_host_write(vs_run_pa(vmid, vcpuid), run,
				       sizeof(*run)));
}

void vs_set_entry(uint32_t vmid, uint32_t vcpuid, uint64_t pc, uint64_t pstate,
		  uint64_t x0)
{
	cr_assert_eq(pstate, VS_PSTATE, "a vCPU starts in EL1h, DAIF masked");
	vcpu_power_on(vmid, vcpu_mpidr(vcpuid), pc, x0);
}

void vs_answer_fault(uint32_t vmid, uint32_t vcpuid, uint64_t ipa, uint64_t pa,
		     uint32_t level)
{
	struct cv_vcpu_run run;

	vs_get_run(vmid, vcpuid, &run);
	run.fault_addr = ipa;
	run.fault_pte = pa | 0x7ff; /* attribute bits: ignored by the core */
	run.fault_level = level;
	vs_put_run(vmid, vcpuid, &run);
}

uint64_t vs_run(uint32_t vmid, uint32_t vcpuid)
{
	return bs_hvc(HVC_VCPU_RUN, vmid, vcpuid, 0, 0, 0);
}

void vs_inv(void)
{
	char why[256];

	cr_assert_eq(check_invariants(why, sizeof(why)), 0, "invariant: %s",
		     why);
}

uint64_t vs_shadow(uint32_t vmid, uint32_t vcpuid, uint32_t index)
{
	return cv.shadow_ctxts[ctxt_id(vmid, vcpuid)].regs[index];
}

/* ICH_LR<n>_EL2 state bits (what a GIC's CPU interface changes). */
#define VS_LR_PENDING (1ULL << 62)
#define VS_LR_ACTIVE (1ULL << 63)

/* The guest acknowledges its best pending interrupt (1023: none). */
static uint64_t guest_ack(struct cv_hosted_guest *g)
{
	int best = -1;

	for (int i = 0; i < CV_HOSTED_NR_LRS; i++) {
		if (!(g->ich_lr[i] & VS_LR_PENDING) ||
		    (g->ich_lr[i] & VS_LR_ACTIVE))
			continue;
		if (best < 0 || ((g->ich_lr[i] >> 48) & 0xff) <
					((g->ich_lr[best] >> 48) & 0xff))
			best = i;
	}
	if (best < 0)
		return 1023;
	g->ich_lr[best] = (g->ich_lr[best] & ~VS_LR_PENDING) | VS_LR_ACTIVE;
	return (uint32_t)g->ich_lr[best];
}

/* The guest deactivates @intid (its active list register). */
static void guest_eoi(struct cv_hosted_guest *g, uint32_t intid)
{
	for (int i = 0; i < CV_HOSTED_NR_LRS; i++)
		if ((g->ich_lr[i] & VS_LR_ACTIVE) &&
		    (uint32_t)g->ich_lr[i] == intid) {
			g->ich_lr[i] &= ~VS_LR_ACTIVE;
			return;
		}
}

static bool play(struct cv_hosted_guest *g, struct vs_script *s,
		 const struct vs_op *o)
{
	switch (o->k) {
	case OP_NONE:
		return false;
	case OP_MOV:
		g->x[o->rt] = o->a;
		g->pc += 4;
		return true;
	case OP_LOAD:
		return cv_guest_load(g, o->a, o->len, o->rt);
	case OP_LOADS:
		return cv_guest_load_signed(g, o->a, o->len, o->rt);
	case OP_STORE:
		return cv_guest_store(g, o->a, o->len, o->rt);
	case OP_LDP:
		return cv_guest_load_pair(g, o->a, o->rt, o->rt2);
	case OP_HVC:
		return cv_guest_hvc(g, (uint16_t)o->a);
	case OP_SMC:
		return cv_guest_smc(g, (uint16_t)o->a);
	case OP_WFI:
		return cv_guest_wfi(g);
	case OP_WFE:
		return cv_guest_wfe(g);
	case OP_SYSREG:
		return cv_guest_sysreg(g, o->rt, o->len != 0);
	case OP_TRAP:
		return cv_guest_trap(g, o->a);
	case OP_EXC:
		return cv_guest_exception(g, (uint32_t)o->a);
	case OP_SNAP:
		cr_assert_lt(o->a, VS_NSNAPS);
		s->snaps[o->a] = *g;
		s->nsnaps++;
		g->pc += 4;
		return true;
	case OP_JUMP:
		g->pc = o->a;
		return true;
	case OP_VBAR:
		g->vbar_el1 = o->a;
		g->pc += 4;
		return true;
	case OP_YIELD:
		g->pc += 4;
		return false;
	case OP_PSTATE:
		g->pstate = o->a;
		g->pc += 4;
		return true;
	case OP_MSR:
		return cv_guest_msr(g, (o->a >> 16) & 3, (o->a >> 12) & 7,
				    (o->a >> 8) & 15, (o->a >> 4) & 15,
				    o->a & 7, o->rt, o->len != 0);
	case OP_ACK:
		g->x[o->rt] = guest_ack(g);
		g->pc += 4;
		return true;
	case OP_EOI:
		guest_eoi(g, (uint32_t)g->x[o->rt]);
		g->pc += 4;
		return true;
	case OP_CNTV:
		g->cntv_ctl = o->len;
		g->cntv_cval = o->a;
		g->pc += 4;
		return true;
	}
	return false;
}

static void script_program(struct cv_hosted_guest *g, void *arg)
{
	struct vs_script *s = arg;

	for (unsigned int n = 0; n < 100000; n++) {
		uint64_t i = (g->pc - VS_IMAGE_IPA) / 4;

		if (!cv_guest_fetch(g))
			return;
		if (g->pc < VS_IMAGE_IPA || i >= VS_NOPS)
			return;
		if (!play(g, s, &s->ops[i]))
			return;
	}
	cr_assert_fail("guest script runs away at pc 0x%llx",
		       (unsigned long long)g->pc);
}

void vs_set_script(uint32_t vmid, struct vs_script *s)
{
	cv_hosted_set_guest(vmid, script_program, s);
}
