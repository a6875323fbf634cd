// SPDX-License-Identifier: MIT
/*
 * core/vcpu (VCPUOpsAux, VCPUOps, CtxtSwitch's core half) through the
 * host's VCPU_RUN on the hosted machine, with scripted guests: what the
 * host sees of each exit (only the registers the exit needs), what its
 * answers may change (only the offered registers; the PC step is the
 * core's), where vCPUs start (the signed entry, the guest's own CPU_ON;
 * never the host's choice), RAM faults answered with a
 * host page (and refused pages), PSCI, and the invariants after each step.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <corevisor/sealed.h>
#include <criterion/parameterized.h>
#include <cv/trap.h>
#include <cv/arch.h>
#include <cv/mem.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "boot_support.h"
#include "hosted_internal.h"
#include "vm_support.h"

static struct vs_script script;
static uint32_t vm;

static void setup(void)
{
	vs_boot();
	memset(&script, 0, sizeof(script));
	vm = vs_new_vm(2, 0);
	vs_set_script(vm, &script);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	vs_inv();
}

TestSuite(vcpu, .init = setup);

static struct vs_op mov(uint32_t rt, uint64_t v)
{
	return (struct vs_op){OP_MOV, v, 0, rt, 0};
}

static struct vs_op mem(enum vs_op_kind k, uint64_t ipa, uint32_t len,
			uint32_t rt)
{
	return (struct vs_op){k, ipa, len, rt, 0};
}

static struct vs_op op(enum vs_op_kind k, uint64_t a)
{
	return (struct vs_op){k, a, 0, 0, 0};
}

/* ---- First run: reset_gp_regs / reset_sys_regs ---------------------- */

Test(vcpu, vcpu_0_starts_at_the_signed_entry_with_clean_registers)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_SNAP, 0);
	script.ops[1] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.nsnaps, 1);
	cr_assert_eq(script.snaps[0].pc, VS_IMAGE_IPA, "the image's entry");
	cr_assert_eq(script.snaps[0].pstate, VS_PSTATE);
	for (int i = 0; i < 31; i++)
		cr_assert_eq(script.snaps[0].x[i], 0, "x%d", i);
	cr_assert_eq(script.snaps[0].mpidr, 0x80000000ULL);
	cr_assert_eq(script.snaps[0].vttbr >> 48, vm, "VMID in VTTBR_EL2");
	cr_assert_eq(vs_shadow(vm, 0, SCTLR_EL1), 0x00c50078ULL);
	cr_assert_eq(vs_shadow(vm, 0, TTBR0_EL1), 0);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.version, CV_VCPU_ABI_VERSION);
	cr_assert_eq(run.exit_count, 1);
	vs_inv();
}

/*
 * A vCPU's exit count is the slot's state (struct cv_state): a machine
 * booted afresh counts from 1 again (it once lived in a static the boot
 * never reset, found by the model runner).
 */
Test(vcpu, a_fresh_boot_counts_exits_from_one)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_IRQ);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.exit_count, 2);
	setup();
	script.ops[0] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.exit_count, 1, "counted from the fresh boot");
	vs_inv();
}

/*
 * Issue 13, weakness 11: the host chooses neither where a vCPU starts nor
 * its x0 (ABI version 1 read run->pc, pstate and regs[0] at a first run).
 */
Test(vcpu, the_hosts_pc_pstate_and_x0_are_never_read)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_SNAP, 0);
	script.ops[1] = op(OP_WFI, 0);
	script.ops[30] = op(OP_SNAP, 1);
	script.ops[31] = op(OP_WFI, 0);
	vs_get_run(vm, 0, &run);
	run.pc = VS_PC(30);
	run.pstate = 0x3c9; /* EL2h */
	run.regs[0] = 0x41414141;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.snaps[0].pc, VS_PC(0));
	cr_assert_eq(script.snaps[0].pstate, VS_PSTATE);
	cr_assert_eq(script.snaps[0].x[0], 0);
	cr_assert_eq(script.snaps[1].pc, 0, "never ran at the host's pc");
}

Test(vcpu, a_vcpu_its_guest_did_not_start_does_not_run)
{
	/* The host starts vCPU 1 at a PC inside the image of its choice. */
	struct cv_vcpu_run run;

	script.ops[30] = op(OP_SNAP, 1);
	script.ops[31] = op(OP_WFI, 0);
	vs_get_run(vm, 1, &run);
	run.pc = VS_PC(30);
	run.pstate = VS_PSTATE;
	run.regs[0] = 0x41414141;
	vs_put_run(vm, 1, &run);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_VCPU_OFF);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vcpu_runs(), 0, "nothing ran");
	cr_assert_eq(script.nsnaps, 0);
	cr_assert_eq(cv_hosted_vcpu_state(vm, 1), READY);
	vs_get_run(vm, 1, &run);
	cr_assert_eq(run.exit_reason, CV_EXIT_VCPU_OFF);
	cr_assert_eq(run.dirty, 0, "nothing to answer");
	/* Again: still off, never a panic. */
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_VCPU_OFF);
	bs_expect_running();
	vs_inv();
}

Test(vcpu, later_runs_ignore_the_hosts_pc)
{
	script.ops[0] = op(OP_WFI, 0);
	script.ops[1] = op(OP_SNAP, 0);
	script.ops[2] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_set_entry(vm, 0, VS_PC(100), VS_PSTATE, 0x99); /* a CPU_ON: on */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].pc, VS_PC(1), "resumed after the WFI");
	cr_assert_neq(script.snaps[0].x[0], 0x99);
	bs_expect_running();
}

Test(vcpu, second_vcpu_gets_its_own_mpidr)
{
	script.ops[0] = op(OP_SNAP, 1);
	script.ops[1] = op(OP_WFI, 0);
	vs_set_entry(vm, 1, VS_PC(0), VS_PSTATE, 0);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[1].mpidr, 0x80000001ULL);
	cr_assert_eq(script.snaps[1].vcpuid, 1);
	cr_assert_eq(cv_hosted_vcpu_state(vm, 1), READY);
}

Test(vcpu, a_guest_entry_outside_the_images_is_the_guests_business)
{
	/* It faults there like any branch; the machine goes on. */
	vs_set_entry(vm, 1, VS_RAM_IPA, VS_PSTATE, 0);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_MEM_FAULT);
	bs_expect_running();
	cr_assert_eq(vs_shadow(vm, 1, PC), VS_RAM_IPA);
}

/* ---- MMIO: prep_abort, sync_dirty_to_shadow ------------------------- */

Test(vcpu, mmio_store_shows_the_host_only_the_stored_bytes)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(1, 0x1122334455667788ULL);
	script.ops[1] = mov(2, 0x5ec2e75ec2e7ULL); /* a secret */
	script.ops[2] = mov(30, 0x5ec2e7ULL);
	script.ops[3] = mem(OP_STORE, VS_MMIO_IPA + 0x14, 4, 1);
	script.ops[4] = op(OP_SNAP, 0);
	script.ops[5] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.exit_reason, CV_EXIT_MMIO);
	cr_assert_eq(run.fault_ipa, VS_MMIO_IPA + 0x14);
	cr_assert_eq(run.mmio.valid, 1);
	cr_assert_eq(run.mmio.is_write, 1);
	cr_assert_eq(run.mmio.len, 4);
	cr_assert_eq(run.mmio.reg, 1);
	cr_assert_eq(run.regs[1], 0x55667788ULL, "only the 4 stored bytes");
	for (int i = 0; i < 31; i++)
		if (i != 1)
			cr_assert_eq(run.regs[i], 0, "x%d shown", i);
	cr_assert_eq(run.dirty, CV_DIRTY_PC_FLAG | CV_DIRTY_ABORT_FLAG,
		     "nothing to write back");
	cr_assert_eq(run.esr >> 26, 0x24);
	cr_assert_eq(vs_shadow(vm, 0, PC), VS_PC(3), "PC at the store");
	vs_inv();

	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].pc, VS_PC(4), "stepped once");
	cr_assert_eq(script.snaps[0].x[2], 0x5ec2e75ec2e7ULL);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[1], 0, "registers cleared at the next exit");
	cr_assert_eq(run.exit_count, 2);
}

Test(vcpu, mmio_store_of_the_zero_register_shows_zero)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(1, 0xffff);
	script.ops[1] = mem(OP_STORE, VS_MMIO_IPA, 8, 31);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.mmio.reg, 31);
	cr_assert_eq(run.mmio.len, 8);
	for (int i = 0; i < 31; i++)
		cr_assert_eq(run.regs[i], 0, "x%d shown", i);
}

Test(vcpu, mmio_load_takes_the_hosts_value_into_the_one_register)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(5, 0x5555);
	script.ops[1] = mem(OP_LOAD, VS_MMIO_IPA + 0x18, 2, 3);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.mmio.valid, 1);
	cr_assert_eq(run.mmio.is_write, 0);
	cr_assert_eq(run.mmio.len, 2);
	cr_assert_eq(run.mmio.reg, 3);
	cr_assert_eq(run.mmio.sixty_four, 0);
	cr_assert_eq(run.dirty,
		     CV_DIRTY_PC_FLAG | CV_DIRTY_ABORT_FLAG | (1ULL << 3));
	for (int i = 0; i < 31; i++)
		cr_assert_eq(run.regs[i], 0, "x%d shown on a load", i);

	/* The host answers x3, and tries x5, the PC and the dirty set. */
	run.regs[3] = 0x42;
	run.regs[5] = 0x666;
	run.regs[0] = 0x777;
	run.dirty = ~0ULL;
	run.pc = VS_PC(500);
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[3], 0x42);
	cr_assert_eq(script.snaps[0].x[5], 0x5555, "x5 was not offered");
	cr_assert_eq(script.snaps[0].x[0], 0, "x0 was not offered");
	cr_assert_eq(script.snaps[0].pc, VS_PC(2), "the core's step only");
	vs_inv();
}

Test(vcpu, mmio_load_signed_and_64_bit_syndromes)
{
	struct cv_vcpu_run run;

	script.ops[0] = mem(OP_LOADS, VS_MMIO_IPA, 1, 7);
	script.ops[1] = mem(OP_LOAD, VS_MMIO_IPA + 8, 8, 9);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.mmio.sign_extend, 1);
	cr_assert_eq(run.mmio.len, 1);
	cr_assert_eq(run.mmio.reg, 7);
	run.regs[7] = 0xffffffffffffff80ULL;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	cr_assert_eq(vs_shadow(vm, 0, X7), 0xffffffffffffff80ULL);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.mmio.sixty_four, 1);
	cr_assert_eq(run.mmio.sign_extend, 0);
	cr_assert_eq(run.mmio.reg, 9);
	cr_assert_eq(run.fault_ipa, VS_MMIO_IPA + 8);
}

Test(vcpu, mmio_load_pair_has_no_syndrome_and_gets_an_exception)
{
	struct cv_vcpu_run run;
	uint64_t vbar = VS_PC(512);

	script.ops[0] = op(OP_VBAR, vbar);
	script.ops[1] = mov(4, 0x4444);
	script.ops[2] = (struct vs_op){OP_LDP, VS_MMIO_IPA, 0, 4, 5};
	/* EL1h synchronous vector: VBAR + 0x200. */
	script.ops[512 + 0x200 / 4] = op(OP_SNAP, 0);
	script.ops[512 + 0x200 / 4 + 1] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.mmio.valid, 0);
	cr_assert_eq(run.dirty, CV_DIRTY_EXCEPT_FLAG);
	for (int i = 0; i < 31; i++)
		cr_assert_eq(run.regs[i], 0, "x%d shown", i);
	run.regs[4] = 0x666;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.nsnaps, 1);
	cr_assert_eq(script.snaps[0].pc, vbar + 0x200);
	cr_assert_eq(script.snaps[0].elr_el1, VS_PC(2));
	cr_assert_eq(script.snaps[0].spsr_el1, VS_PSTATE);
	cr_assert_eq(script.snaps[0].pstate, 0x3c5);
	cr_assert_eq(script.snaps[0].esr_el1, 0x02000000ULL);
	cr_assert_eq(script.snaps[0].x[4], 0x4444);
	cr_assert_eq(vs_shadow(vm, 0, SPSR_0), VS_PSTATE);
	vs_inv();
}

Test(vcpu, exception_vector_offsets)
{
	cr_assert_eq(get_exception_vector(0x3c5), 0x200);
	cr_assert_eq(get_exception_vector(0x3c4), 0x000);
	cr_assert_eq(get_exception_vector(0x0), 0x400);
}

/* ---- RAM faults: post_handle_shadow_s2pt_fault ---------------------- */

/* A host page: the host has touched it, so its stage 2 maps it. */
static uint64_t host_page(uint64_t n, uint32_t seed)
{
	uint8_t buf[PAGE_SIZE];
	uint64_t pa = bs_ram(n);

	bs_pattern(buf, sizeof(buf), seed);
	bs_host_write(pa, buf, sizeof(buf));
	cr_assert(bs_maps(HOSTVISOR, pa, pa));
	return pa;
}

static void ram_fault_script(void)
{
	script.ops[0] = mov(1, 0xabcdef);
	script.ops[1] = mem(OP_STORE, VS_RAM_IPA + 0x10, 8, 1);
	script.ops[2] = mem(OP_LOAD, VS_RAM_IPA + 0x18, 8, 2);
	script.ops[3] = op(OP_SNAP, 0);
	script.ops[4] = op(OP_WFI, 0);
}

Test(vcpu, ram_fault_is_answered_with_a_host_page)
{
	struct cv_vcpu_run run;
	uint64_t pa = host_page(100, 7), got, want;
	uint8_t buf[PAGE_SIZE];

	bs_pattern(buf, sizeof(buf), 7);
	memcpy(&want, buf + 0x18, 8);
	ram_fault_script();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.fault_ipa, VS_RAM_IPA + 0x10);
	cr_assert_eq(run.dirty, CV_DIRTY_ABORT_FLAG);
	cr_assert_eq(run.mmio.valid, 0);
	for (int i = 0; i < 31; i++)
		cr_assert_eq(run.regs[i], 0, "x%d shown on a RAM fault", i);
	cr_assert_eq(vs_shadow(vm, 0, PC), VS_PC(1), "not stepped");
	vs_inv();

	vs_answer_fault(vm, 0, VS_RAM_IPA, pa, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vm);
	cr_assert_eq(cv_hosted_page_gfn(pa / PAGE_SIZE),
		     VS_RAM_IPA / PAGE_SIZE);
	cr_assert(bs_unmapped(HOSTVISOR, pa), "the host lost the page");
	cr_assert(bs_maps(vm, VS_RAM_IPA, pa));
	/* The retried store landed; the page kept the host's contents. */
	memcpy(&got, (uint8_t *)cv_hosted_phys(pa) + 0x10, 8);
	cr_assert_eq(got, 0xabcdef);
	cr_assert_eq(script.snaps[0].x[2], want);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.fault_addr, 0, "answer cleared at the exit");
	vs_inv();
}

Test(vcpu, host_access_to_the_given_page_panics)
{
	uint64_t pa = host_page(100, 7), v;

	ram_fault_script();
	vs_run(vm, 0);
	vs_answer_fault(vm, 0, VS_RAM_IPA, pa, 3);
	vs_run(vm, 0);
	bs_expect_running();
	cr_assert_not(cv_hosted_host_read(pa, &v, sizeof(v)));
	bs_expect_halt("map_page_host", "owned by");
}

Test(vcpu, ram_fault_answered_with_a_2mib_block)
{
	uint64_t pa = vs_image_pa(2); /* 2 MiB aligned, the host's */

	ram_fault_script();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA + 0x10, pa, 2);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	for (uint64_t i = 0; i < 512; i += 73) {
		cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE + i), vm);
		cr_assert_eq(cv_hosted_page_gfn(pa / PAGE_SIZE + i),
			     VS_RAM_IPA / PAGE_SIZE + i);
	}
	cr_assert(bs_maps(vm, VS_RAM_IPA + 0x1ff000, pa + 0x1ff000));
	vs_inv();
}

/* ---- "Nothing is here": inject_external_abort ------------------------- */

#define ABT_VBAR_OP 512U
#define ABT_VBAR VS_PC(ABT_VBAR_OP)

/* At each vector @off of ABT_VBAR: note the state, then WFI. */
static void abort_vectors(void)
{
	static const uint64_t offs[] = {0x000, 0x200, 0x400, 0x600};

	for (unsigned int i = 0; i < 4; i++) {
		uint32_t at = ABT_VBAR_OP + (uint32_t)(offs[i] / 4);

		script.ops[at] = op(OP_SNAP, 0);
		script.ops[at + 1] = op(OP_WFI, 0);
	}
}

/* Answer the last exit with "nothing is here" (and what else is given). */
static void answer_abort(uint64_t value, uint64_t fault_pa)
{
	struct cv_vcpu_run run;

	vs_get_run(vm, 0, &run);
	cr_assert(run.dirty & CV_DIRTY_ABORT_FLAG, "abort offered");
	run.abort = value;
	if (fault_pa) {
		run.fault_addr = VS_RAM_IPA;
		run.fault_pte = fault_pa;
		run.fault_level = 3;
	}
	run.regs[2] = 0x666;
	vs_put_run(vm, 0, &run);
}

/*
 * A store from EL1h to an IPA the host has nothing for: a data abort from
 * the current EL (EC 0x25), WnR, FSC 0x10, at VBAR + 0x200; the page the
 * host also offered is not taken, and nothing else of the answer counts.
 */
Test(vcpu, ram_fault_answered_nothing_here_is_a_data_abort_at_el1)
{
	uint64_t pa = host_page(100, 7);
	struct cv_vcpu_run run;

	abort_vectors();
	script.ops[0] = op(OP_VBAR, ABT_VBAR);
	script.ops[1] = mov(1, 0xabcdef);
	script.ops[2] = mov(2, 0x2222);
	script.ops[3] = mem(OP_STORE, VS_RAM_IPA + 0x10, 8, 1);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	answer_abort(CV_ABORT_INJECT, pa);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.nsnaps, 1);
	cr_assert_eq(script.snaps[0].pc, ABT_VBAR + 0x200);
	cr_assert_eq(script.snaps[0].esr_el1, 0x96000050ULL, "esr 0x%llx",
		     (unsigned long long)script.snaps[0].esr_el1);
	cr_assert_eq(script.snaps[0].far_el1, VS_RAM_IPA + 0x10);
	cr_assert_eq(script.snaps[0].elr_el1, VS_PC(3));
	cr_assert_eq(script.snaps[0].spsr_el1, VS_PSTATE);
	cr_assert_eq(script.snaps[0].pstate, 0x3c5);
	cr_assert_eq(script.snaps[0].x[2], 0x2222, "no register taken");
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	cr_assert(bs_unmapped(vm, VS_RAM_IPA), "no page mapped");
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.abort, 0, "cleared at the exit");
	vs_inv();
}

/* From EL0 (AArch64): a data abort from a lower EL at VBAR + 0x400. */
Test(vcpu, nothing_here_from_el0_is_a_lower_el_abort)
{
	abort_vectors();
	script.ops[0] = op(OP_VBAR, ABT_VBAR);
	script.ops[1] = op(OP_PSTATE, 0x0);
	script.ops[2] = mem(OP_LOAD, VS_RAM_IPA + 0x28, 4, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	answer_abort(CV_ABORT_INJECT, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].pc, ABT_VBAR + 0x400);
	cr_assert_eq(script.snaps[0].esr_el1, 0x92000010ULL);
	cr_assert_eq(script.snaps[0].far_el1, VS_RAM_IPA + 0x28);
	cr_assert_eq(script.snaps[0].elr_el1, VS_PC(2));
	cr_assert_eq(script.snaps[0].spsr_el1, 0x0);
	cr_assert_eq(script.snaps[0].pstate, 0x3c5);
	vs_inv();
}

/* From an AArch32 EL0: the lower-EL AArch32 vector, VBAR + 0x600. */
Test(vcpu, nothing_here_from_aarch32_el0_takes_the_a32_vector)
{
	abort_vectors();
	script.ops[0] = op(OP_VBAR, ABT_VBAR);
	script.ops[1] = op(OP_PSTATE, 0x10);
	script.ops[2] = mem(OP_STORE, VS_RAM_IPA + 0x8, 4, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	answer_abort(CV_ABORT_INJECT, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].pc, ABT_VBAR + 0x600);
	cr_assert_eq(script.snaps[0].esr_el1, 0x92000050ULL);
	cr_assert_eq(script.snaps[0].spsr_el1, 0x10);
	vs_inv();
}

/*
 * An instruction fetch from EL1t: an instruction abort from the current
 * EL (EC 0x21) at the SP_EL0 vector, VBAR + 0; FAR = ELR = the IPA.
 */
Test(vcpu, nothing_here_for_a_fetch_is_an_instruction_abort)
{
	abort_vectors();
	script.ops[0] = op(OP_VBAR, ABT_VBAR);
	script.ops[1] = op(OP_PSTATE, 0x3c4);
	script.ops[2] = op(OP_JUMP, VS_RAM_IPA + 0x40);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	answer_abort(CV_ABORT_INJECT, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].pc, ABT_VBAR + 0x000);
	cr_assert_eq(script.snaps[0].esr_el1, 0x86000010ULL);
	cr_assert_eq(script.snaps[0].far_el1, VS_RAM_IPA + 0x40);
	cr_assert_eq(script.snaps[0].elr_el1, VS_RAM_IPA + 0x40);
	cr_assert_eq(script.snaps[0].spsr_el1, 0x3c4);
	vs_inv();
}

/* An MMIO load answered "no device": no PC step, no register written. */
Test(vcpu, mmio_answered_nothing_here_is_an_abort_not_a_load)
{
	abort_vectors();
	script.ops[0] = op(OP_VBAR, ABT_VBAR);
	script.ops[1] = mov(2, 0x2222);
	script.ops[2] = mem(OP_LOAD, VS_MMIO_IPA + 4, 4, 2);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	answer_abort(CV_ABORT_INJECT, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].pc, ABT_VBAR + 0x200);
	cr_assert_eq(script.snaps[0].esr_el1, 0x96000010ULL);
	cr_assert_eq(script.snaps[0].far_el1, VS_MMIO_IPA + 4);
	cr_assert_eq(script.snaps[0].elr_el1, VS_PC(2));
	cr_assert_eq(script.snaps[0].x[2], 0x2222);
	vs_inv();
}

/* Where it was not offered (a WFI's exit), run->abort is never read. */
Test(vcpu, an_abort_answer_not_offered_is_not_read)
{
	struct cv_vcpu_run run;

	abort_vectors();
	script.ops[0] = op(OP_VBAR, ABT_VBAR);
	script.ops[1] = op(OP_WFI, 0);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.dirty & CV_DIRTY_ABORT_FLAG, 0);
	run.abort = 0x77;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.snaps[0].pc, VS_PC(2), "no exception taken");
}

Test(vcpu, an_abort_answer_out_of_range_panics)
{
	script.ops[0] = mem(OP_LOAD, VS_RAM_IPA, 8, 1);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	answer_abort(2, 0);
	vs_run(vm, 0);
	bs_expect_halt("restore_shadow_kvm_regs", "abort answer 0x2");
}

/*
 * Two vCPUs faulting in one 2 MiB region both get the host's answer: the
 * same block again maps exactly what is mapped, page for page.
 */
Test(vcpu, the_same_block_offered_again_is_accepted)
{
	uint64_t pa = vs_image_pa(2);

	ram_fault_script();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA + 0x10, pa, 2);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_answer_fault(vm, 0, VS_RAM_IPA + 0x10, pa, 2);
	vs_run(vm, 0);
	bs_expect_running();
	cr_assert(bs_maps(vm, VS_RAM_IPA, pa));
	cr_assert(bs_maps(vm, VS_RAM_IPA + 0x1ff000, pa + 0x1ff000));
	vs_inv();
}

/*
 * A block whose page 5 the VM already has, at that very place: each page
 * of the target is compared with the block's own page there (not the
 * block's first), so the answer swaps nothing and is taken.
 */
Test(vcpu, a_block_over_one_of_its_own_pages_is_accepted)
{
	uint64_t pa = vs_image_pa(2);

	script.ops[0] = mem(OP_LOAD, VS_RAM_IPA + 5 * PAGE_SIZE, 8, 1);
	script.ops[1] = mem(OP_LOAD, VS_RAM_IPA + 0x10, 8, 2);
	script.ops[2] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA + 5 * PAGE_SIZE, pa + 5 * PAGE_SIZE,
			3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA + 0x10, pa, 2);
	vs_run(vm, 0);
	bs_expect_running();
	cr_assert(bs_maps(vm, VS_RAM_IPA, pa));
	cr_assert(bs_maps(vm, VS_RAM_IPA + 5 * PAGE_SIZE, pa + 5 * PAGE_SIZE));
	cr_assert(bs_maps(vm, VS_RAM_IPA + 0x1ff000, pa + 0x1ff000));
	vs_inv();
}

/* A stage-2 fault at CV_MMIO_LIMIT is RAM's, just below it MMIO's. */
Test(vcpu, the_mmio_limit_is_the_first_ram_address)
{
	struct cv_vcpu_run run;

	script.ops[0] = mem(OP_LOAD, CV_MMIO_LIMIT - 8, 8, 1);
	script.ops[1] = mem(OP_LOAD, CV_MMIO_LIMIT, 8, 2);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.fault_ipa, CV_MMIO_LIMIT - 8);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.fault_ipa, CV_MMIO_LIMIT);
	cr_assert_eq(run.exit_reason, CV_EXIT_MEM_FAULT);
	cr_assert_eq(run.mmio.valid, 0);
	vs_inv();
}

/*
 * prep_abort_spec0: an MMIO abort on a stage-1 table walk (S1PTW) is
 * handled as a write, as KVM's kvm_vcpu_dabt_iswrite does: the host sees
 * the register and is not offered it for an answer.
 */
Test(vcpu, mmio_abort_on_a_stage1_walk_is_a_write)
{
	struct cv_vcpu_run run;
	uint64_t esr = ((uint64_t)ESR_ELx_EC_DABT_LOW << ESR_ELx_EC_SHIFT) |
		       ESR_ELx_IL | ESR_ELx_ISV | (3ULL << ESR_ELx_SAS_SHIFT) |
		       (5ULL << ESR_ELx_SRT_SHIFT) | ESR_ELx_SF |
		       ESR_ELx_S1PTW | 0x04;

	script.ops[0] = mov(5, 0x1234);
	script.ops[1] = op(OP_TRAP, esr);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.mmio.valid, 1);
	cr_assert_eq(run.mmio.is_write, 1);
	cr_assert_eq(run.mmio.reg, 5);
	cr_assert_eq(run.regs[5], 0x1234);
	cr_assert_eq(run.dirty, CV_DIRTY_PC_FLAG | CV_DIRTY_ABORT_FLAG,
		     "dirty 0x%llx", (unsigned long long)run.dirty);
	run.regs[5] = 0x6666;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[5], 0x1234, "no answer taken");
	cr_assert_eq(script.snaps[0].pc, VS_PC(2));
	vs_inv();
}

Test(vcpu, no_answer_means_the_guest_faults_again)
{
	struct cv_vcpu_run run;

	ram_fault_script();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.exit_count, 2);
	cr_assert_eq(vs_shadow(vm, 0, PC), VS_PC(1));
	vs_inv();
}

Test(vcpu, offering_another_vms_page_panics)
{
	uint32_t other = vs_new_vm(1, 1);
	uint64_t pa = vs_image_pa(1); /* the other VM's image page */

	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), other);
	ram_fault_script();
	vs_run(vm, 0);
	vs_answer_fault(vm, 0, VS_RAM_IPA, pa, 3);
	vs_run(vm, 0);
	bs_expect_halt("assign_pfn_to_vm", "owned by");
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), other);
	cr_assert(bs_unmapped(vm, VS_RAM_IPA));
}

Test(vcpu, offering_its_own_page_at_another_gfn_panics)
{
	uint64_t pa = vs_image_pa(0); /* this VM's image, at VS_IMAGE_IPA */

	ram_fault_script();
	vs_run(vm, 0);
	vs_answer_fault(vm, 0, VS_RAM_IPA, pa, 3);
	vs_run(vm, 0);
	bs_expect_halt("assign_pfn_to_vm", "at gfn");
}

Test(vcpu, offering_a_corevisor_page_panics)
{
	uint64_t pa = cv_hosted_reserved_base();

	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), COREVISOR);
	ram_fault_script();
	vs_run(vm, 0);
	vs_answer_fault(vm, 0, VS_RAM_IPA, pa, 3);
	vs_run(vm, 0);
	bs_expect_halt("assign_pfn_to_vm", "owned by 16");
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), COREVISOR);
}

Test(vcpu, offering_mmio_or_nothing_panics)
{
	ram_fault_script();
	vs_run(vm, 0);
	vs_answer_fault(vm, 0, VS_RAM_IPA, 0x09000000ULL, 3);
	vs_run(vm, 0);
	bs_expect_halt("assign_pfn_to_vm", "owned by 4294967295");
}

Test(vcpu, offering_an_unaligned_block_panics)
{
	ram_fault_script();
	vs_run(vm, 0);
	vs_answer_fault(vm, 0, VS_RAM_IPA, vs_image_pa(2) + PAGE_SIZE, 2);
	vs_run(vm, 0);
	bs_expect_halt("prot_and_map_vm_s2pt", "not 2 MiB aligned");
}

Test(vcpu, swapping_a_mapped_page_for_another_panics)
{
	uint64_t p = host_page(100, 1), q = host_page(101, 2);

	ram_fault_script();
	vs_run(vm, 0);
	vs_answer_fault(vm, 0, VS_RAM_IPA, p, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_answer_fault(vm, 0, VS_RAM_IPA, q, 3);
	vs_run(vm, 0);
	bs_expect_halt("map_pfn_vm", "already maps");
	cr_assert_eq(cv_hosted_page_owner(q / PAGE_SIZE), HOSTVISOR);
	cr_assert(bs_maps(vm, VS_RAM_IPA, p));
}

Test(vcpu, a_block_over_mapped_pages_panics)
{
	uint64_t p = host_page(100, 1);

	ram_fault_script();
	vs_run(vm, 0);
	vs_answer_fault(vm, 0, VS_RAM_IPA + 0x5000, p, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA, vs_image_pa(2), 2);
	vs_run(vm, 0);
	bs_expect_halt("map_pfn_vm", "already maps");
}

Test(vcpu, the_same_page_again_is_accepted)
{
	uint64_t p = host_page(100, 1);

	ram_fault_script();
	vs_run(vm, 0);
	vs_answer_fault(vm, 0, VS_RAM_IPA, p, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_answer_fault(vm, 0, VS_RAM_IPA, p, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_IRQ);
	bs_expect_running();
	vs_inv();
}

Test(vcpu, fault_answer_out_of_range_is_ignored)
{
	struct cv_vcpu_run run;

	ram_fault_script();
	vs_run(vm, 0);
	vs_get_run(vm, 0, &run);
	run.fault_addr = KVM_ADDR_SPACE;
	run.fault_pte = bs_ram(100);
	run.fault_level = 3;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(100 + bs_ram(0) / PAGE_SIZE),
		     HOSTVISOR);
}

Test(vcpu, instruction_fetch_from_unmapped_ram_is_a_fault)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_JUMP, VS_RAM_IPA + 0x40);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.esr >> 26, 0x20);
	cr_assert_eq(run.fault_ipa, VS_RAM_IPA + 0x40);
	cr_assert_eq(run.dirty, CV_DIRTY_ABORT_FLAG);
}

Test(vcpu, instruction_fetch_from_mmio_is_not_mmio)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(0, 0x1111);
	script.ops[1] = op(OP_JUMP, VS_MMIO_IPA);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.dirty, CV_DIRTY_ABORT_FLAG, "no register offered");
	cr_assert_eq(run.regs[0], 0);
}

/* ---- HVC / SMC: prep_hvc --------------------------------------------- */

Test(vcpu, psci_system_off_powers_the_vm_off)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(0, PSCI_0_2_FN_SYSTEM_OFF);
	script.ops[1] = mov(1, 0x5ec2e7);
	script.ops[2] = op(OP_HVC, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_SYSTEM_OFF);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vm), POWEROFF);
	cr_assert_eq(cv_hosted_vcpu_state(vm, 0), READY);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[0], PSCI_0_2_FN_SYSTEM_OFF);
	cr_assert_eq(run.regs[1], 0, "SYSTEM_OFF shows no arguments");
	cr_assert_eq(run.esr, 0x5a000000ULL);
	vs_inv();
	/* The VM is off: VCPU_RUN says so and runs nothing. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_POWERED_OFF);
	bs_expect_running();
}

Test(vcpu, psci_cpu_on_starts_a_second_vcpu)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(0, PSCI_0_2_FN64_CPU_ON);
	script.ops[1] = mov(1, 1);	   /* target MPIDR */
	script.ops[2] = mov(2, VS_PC(20)); /* entry */
	script.ops[3] = mov(3, 0xc0ffee);  /* context */
	script.ops[4] = mov(4, 0x5ec2e7);
	script.ops[5] = op(OP_HVC, 0);
	script.ops[6] = op(OP_SNAP, 0);
	script.ops[7] = op(OP_WFI, 0);
	script.ops[20] = op(OP_SNAP, 1);
	script.ops[21] = op(OP_WFI, 0);

	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[0], PSCI_0_2_FN64_CPU_ON);
	cr_assert_eq(run.regs[1], 1);
	cr_assert_eq(run.regs[2], 0, "the entry stays the guest's");
	cr_assert_eq(run.regs[3], 0, "the context stays the guest's");
	cr_assert_eq(run.regs[4], 0, "x4 is not CPU_ON's");
	cr_assert_eq(run.dirty, 1, "only x0 comes back");
	run.regs[0] = 0; /* PSCI_SUCCESS */
	run.regs[4] = 0x666;
	vs_put_run(vm, 0, &run);

	/* The host only runs it: the core knows where it starts. */
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[1].pc, VS_PC(20));
	cr_assert_eq(script.snaps[1].x[0], 0xc0ffee);
	cr_assert_eq(script.snaps[1].pstate, VS_PSTATE);
	cr_assert_eq(script.snaps[1].mpidr, 0x80000001ULL);

	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[0], 0, "the host's PSCI result");
	cr_assert_eq(script.snaps[0].x[4], 0x5ec2e7);
	cr_assert_eq(script.snaps[0].pc, VS_PC(6), "after the HVC, once");
	vs_inv();
}

Test(vcpu, psci_cpu_on_smc32_convention)
{
	/* 0x84000003: W registers, the upper halves are not the call's. */
	script.ops[0] = mov(0, PSCI_0_2_FN_CPU_ON);
	script.ops[1] = mov(1, 0xffffffff00000001ULL);
	script.ops[2] = mov(2, 0xdead000000000000ULL | VS_PC(20));
	script.ops[3] = mov(3, 0xbeef0000000000aaULL);
	script.ops[4] = op(OP_SMC, 0);
	script.ops[20] = op(OP_SNAP, 1);
	script.ops[21] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[1].pc, VS_PC(20));
	cr_assert_eq(script.snaps[1].x[0], 0xaa);
}

Test(vcpu, psci_cpu_on_of_a_running_vcpu_changes_nothing)
{
	/* vCPU 1 runs; a CPU_ON naming it (or vCPU 0 itself) is ignored. */
	script.ops[0] = mov(0, PSCI_0_2_FN64_CPU_ON);
	script.ops[1] = mov(1, 1);
	script.ops[2] = mov(2, VS_PC(40));
	script.ops[3] = op(OP_HVC, 0);
	script.ops[4] = mov(1, 0);
	script.ops[5] = op(OP_HVC, 0);
	script.ops[6] = op(OP_WFI, 0);
	script.ops[20] = op(OP_WFI, 0);
	script.ops[21] = op(OP_SNAP, 1);
	script.ops[22] = op(OP_WFI, 0);
	vs_set_entry(vm, 1, VS_PC(20), VS_PSTATE, 0);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_WFX);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[1].pc, VS_PC(21), "vCPU 1 went on");
	cr_assert_eq(vs_shadow(vm, 0, PC), VS_PC(6), "vCPU 0 went on too");
	bs_expect_running();
}

Test(vcpu, psci_cpu_on_of_no_such_vcpu_changes_nothing)
{
	/* Affinity 5 (not registered) and an affinity with Aff1 set. */
	script.ops[0] = mov(0, PSCI_0_2_FN64_CPU_ON);
	script.ops[1] = mov(1, 5);
	script.ops[2] = mov(2, VS_PC(40));
	script.ops[3] = op(OP_HVC, 0);
	script.ops[4] = mov(1, 0x101);
	script.ops[5] = op(OP_HVC, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_VCPU_OFF);
	cr_assert_eq(vs_run(vm, 5), 0);
	bs_expect_halt("set_vcpu_active", "vcpu 5 state 0");
}

Test(vcpu, psci_cpu_off_turns_the_vcpu_off)
{
	struct cv_vcpu_run run;

	script.ops[20] = mov(0, PSCI_0_2_FN_CPU_OFF);
	script.ops[21] = op(OP_HVC, 0);
	script.ops[22] = op(OP_SNAP, 1); /* CPU_OFF does not return */
	vs_set_entry(vm, 1, VS_PC(20), VS_PSTATE, 0);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_HVC);
	vs_get_run(vm, 1, &run);
	cr_assert_eq(run.regs[0], PSCI_0_2_FN_CPU_OFF);
	cr_assert_eq(run.dirty, 0, "no answer taken");
	run.regs[0] = 0;
	vs_put_run(vm, 1, &run);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_VCPU_OFF);
	cr_assert_eq(script.nsnaps, 0);
	bs_expect_running();
	vs_inv();
}

/*
 * Issue 11, item 3: a vCPU that called CPU_OFF starts again, afresh, at
 * the entry its guest's next CPU_ON gives, with that call's context.
 */
Test(vcpu, a_vcpu_restarts_after_cpu_off)
{
	script.ops[0] = mov(0, PSCI_0_2_FN64_CPU_ON);
	script.ops[1] = mov(1, 1);
	script.ops[2] = mov(2, VS_PC(40));
	script.ops[3] = mov(3, 0x2222);
	script.ops[4] = op(OP_HVC, 0);
	script.ops[5] = op(OP_WFI, 0);
	script.ops[20] = mov(19, 0x5ec2e7); /* left in a register */
	script.ops[21] = mov(0, PSCI_0_2_FN_CPU_OFF);
	script.ops[22] = op(OP_HVC, 0);
	script.ops[40] = op(OP_SNAP, 1);
	script.ops[41] = op(OP_WFI, 0);
	vs_set_entry(vm, 1, VS_PC(20), VS_PSTATE, 0x1111);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_HVC); /* CPU_OFF */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC); /* CPU_ON(1) */
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.snaps[1].pc, VS_PC(40));
	cr_assert_eq(script.snaps[1].x[0], 0x2222);
	cr_assert_eq(script.snaps[1].x[19], 0, "a fresh start");
	cr_assert_eq(script.snaps[1].mpidr, 0x80000001ULL);
	vs_inv();
}

Test(vcpu, psci_affinity_info_shows_two_arguments)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(0, PSCI_0_2_FN64_AFFINITY_INFO);
	script.ops[1] = mov(1, 1);
	script.ops[2] = mov(2, 0);
	script.ops[3] = mov(3, 0x5ec2e7);
	script.ops[4] = op(OP_HVC, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[0], PSCI_0_2_FN64_AFFINITY_INFO);
	cr_assert_eq(run.regs[1], 1);
	cr_assert_eq(run.regs[3], 0, "x3 is not AFFINITY_INFO's");
}

Test(vcpu, other_psci_calls_show_only_the_function)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(0, 0x84000000ULL); /* PSCI_VERSION */
	script.ops[1] = mov(1, 0x5ec2e7);
	script.ops[2] = op(OP_HVC, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[0], 0x84000000ULL);
	cr_assert_eq(run.regs[1], 0);
}

Test(vcpu, smc_is_psci_too_and_steps_past_the_smc)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(0, 0x84000000ULL);
	script.ops[1] = op(OP_SMC, 0);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.esr, 0x5e000000ULL);
	cr_assert_eq(run.dirty, 1 | CV_DIRTY_PC_FLAG);
	run.regs[0] = 0x10001;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].pc, VS_PC(2));
	cr_assert_eq(script.snaps[0].x[0], 0x10001);
}

/* ---- WFx, interrupts, trapped system registers ---------------------- */

Test(vcpu, wfi_and_wfe_exit_and_step)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFI, 0);
	script.ops[1] = op(OP_WFE, 0);
	script.ops[2] = op(OP_SNAP, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.esr, 0x07e00000ULL);
	cr_assert_eq(run.dirty, CV_DIRTY_PC_FLAG);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.esr, 0x07e00001ULL);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_IRQ);
	cr_assert_eq(script.snaps[0].pc, VS_PC(2));
}

Test(vcpu, an_interrupt_exit_shows_nothing_and_changes_nothing)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(3, 0x5ec2e7);
	script.ops[1] = op(OP_YIELD, 0);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_IRQ);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.esr, 0);
	cr_assert_eq(run.dirty, 0);
	for (int i = 0; i < 31; i++)
		cr_assert_eq(run.regs[i], 0);
	run.regs[3] = 0x666;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].pc, VS_PC(2));
	cr_assert_eq(script.snaps[0].x[3], 0x5ec2e7);
}

Test(vcpu, trapped_sysreg_is_served_in_the_core)
{
	uint64_t runs;

	script.ops[0] = mov(5, 0x5555);
	script.ops[1] = (struct vs_op){OP_SYSREG, 0, 1, 5, 0}; /* MRS x5 */
	script.ops[2] = (struct vs_op){OP_SYSREG, 0, 0, 6, 0}; /* MSR x6 */
	script.ops[3] = op(OP_SNAP, 0);
	script.ops[4] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX, "no exit to the host");
	runs = cv_hosted_vcpu_runs();
	cr_assert_eq(runs, 3, "two SYS64 traps resumed in the core");
	cr_assert_eq(script.snaps[0].x[5], 0, "read as zero");
	cr_assert_eq(script.snaps[0].pc, VS_PC(3));
	vs_inv();
}

/*
 * set_shadow_dirty_bit: a value is added to the dirty set, 0 clears it
 * (corevisor ORs, as SeKVM's C; the spec's replace would let one flag
 * drop another: docs/spec-deviations.md).
 */
Test(vcpu, set_shadow_dirty_bit_adds_and_zero_clears)
{
	cr_assert_eq(get_shadow_dirty_bit(vm, 1), INVALID64, "not run yet");
	set_shadow_dirty_bit(vm, 1, 0);
	cr_assert_eq(get_shadow_dirty_bit(vm, 1), 0);
	set_shadow_dirty_bit(vm, 1, CV_DIRTY_PC_FLAG);
	set_shadow_dirty_bit(vm, 1, 1ULL << 3);
	cr_assert_eq(get_shadow_dirty_bit(vm, 1),
		     CV_DIRTY_PC_FLAG | (1ULL << 3));
	set_shadow_dirty_bit(vm, 1, CV_DIRTY_EXCEPT_FLAG);
	cr_assert_eq(vs_shadow(vm, 1, DIRTY),
		     CV_DIRTY_PC_FLAG | CV_DIRTY_EXCEPT_FLAG | (1ULL << 3));
	set_shadow_dirty_bit(vm, 1, 0);
	cr_assert_eq(get_shadow_dirty_bit(vm, 1), 0);
	bs_expect_running();
}

/*
 * MRS into XZR (Rt = 31): the read is discarded. Index 31 of the shadow
 * context is SP, which must keep the guest's value.
 */
static void sp_then_mrs_xzr(struct cv_hosted_guest *g, void *arg)
{
	(void)arg;
	if (g->run == 0) {
		g->sp = 0x5ec2e7000ULL;
		cv_guest_sysreg(g, 31, true);
		return;
	}
	*(uint64_t *)arg = g->sp;
	cv_guest_wfi(g);
}

Test(vcpu, trapped_sysreg_read_into_xzr_keeps_sp)
{
	uint64_t sp = 0;

	cv_hosted_set_guest(vm, sp_then_mrs_xzr, &sp);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(sp, 0x5ec2e7000ULL, "SP after the MRS: 0x%llx",
		     (unsigned long long)sp);
	cr_assert_eq(vs_shadow(vm, 0, SP), 0x5ec2e7000ULL);
	cr_assert_eq(vs_shadow(vm, 0, PC), VS_PC(0) + 4, "the MRS skipped");
	vs_inv();
}

/* ---- The shared page ------------------------------------------------- */

/*
 * corevisor: a registered vCPU's run page is pinned (pin_run_page): the
 * host cannot give it away, so the exit path needs no owner check.
 */
Test(vcpu, run_page_given_to_the_vm_is_refused)
{
	uint64_t run_page = vs_run_pa(vm, 0) & ~(PAGE_SIZE - 1);

	ram_fault_script();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA, run_page, 3);
	vs_run(vm, 0);
	bs_expect_halt("assign_pfn_to_vm", "run page");
	cr_assert_eq(cv_hosted_page_owner(run_page / PAGE_SIZE), HOSTVISOR,
		     "the run page stays the host's");
}

Test(vcpu, another_vcpus_run_page_is_refused_too)
{
	uint64_t run_page = vs_run_pa(vm, 1) & ~(PAGE_SIZE - 1);

	/* vCPU 1's page, offered for vCPU 0's fault. */
	ram_fault_script();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA, run_page, 3);
	vs_run(vm, 0);
	bs_expect_halt("assign_pfn_to_vm", "run page");
	cr_assert_eq(cv_hosted_page_owner(run_page / PAGE_SIZE), HOSTVISOR);
}

Test(vcpu, run_page_cannot_go_to_a_device_or_a_sealed_page)
{
	uint64_t pfn = (vs_run_pa(vm, 0) & ~(PAGE_SIZE - 1)) / PAGE_SIZE;

	cr_assert(cv.s2page[get_s2_page_index(pfn * PAGE_SIZE)].pinned);
	assign_pfn_to_smmu(vm, 0x123, pfn);
	bs_expect_halt("assign_pfn_to_smmu", "run page");
	cr_assert_eq(cv_hosted_page_owner(pfn), HOSTVISOR);
}

Test(vcpu, destroy_releases_the_run_pages_and_a_new_vm_pins_them_again)
{
	uint64_t pa0 = vs_run_pa(vm, 0) & ~(PAGE_SIZE - 1);
	uint64_t pa1 = vs_run_pa(vm, 1) & ~(PAGE_SIZE - 1);
	uint32_t vmid;

	cr_assert(cv.s2page[get_s2_page_index(pa0)].pinned);
	cr_assert(cv.s2page[get_s2_page_index(pa1)].pinned);
	cr_assert_eq(bs_hvc(HVC_DESTROY_VM, vm, CV_DESTROY_FORCE, 0, 0, 0),
		     CV_DESTROY_OK);
	bs_expect_running();
	cr_assert_not(cv.s2page[get_s2_page_index(pa0)].pinned);
	cr_assert_not(cv.s2page[get_s2_page_index(pa1)].pinned);
	vs_inv();
	/* The vmid again: vCPU 0 registered, its page pinned, not 1's. */
	vmid = (uint32_t)bs_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
	cr_assert_eq(vmid, vm);
	bs_hvc(HVC_REGISTER_VCPU, vmid, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert(cv.s2page[get_s2_page_index(pa0)].pinned);
	cr_assert_not(cv.s2page[get_s2_page_index(pa1)].pinned);
	vs_inv();
}

/* The exit path checks the pin (a plain load): corruption stops it. */
Test(vcpu, a_run_page_without_its_pin_stops_the_run)
{
	uint64_t pa = vs_run_pa(vm, 0) & ~(PAGE_SIZE - 1);

	script.ops[0] = op(OP_WFI, 0);
	cv.s2page[get_s2_page_index(pa)].pinned = 0;
	vs_run(vm, 0);
	bs_expect_halt("load_int_state", "not pinned");
	cr_assert_eq(cv_hosted_vcpu_runs(), 0, "the vCPU never ran");
}

Test(vcpu, run_page_outside_memory_panics_at_register_vcpu)
{
	const struct memblock *last = &cv.regions[cv.region_cnt - 1];
	uint32_t vmid;

	/* A broken layout: the shared area past the end of RAM. */
	cv.shared_base = last->base + last->size;
	vmid = (uint32_t)bs_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
	bs_expect_running();
	bs_hvc(HVC_REGISTER_VCPU, vmid, 0, 0, 0, 0);
	bs_expect_halt("register_vcpu", "is not memory");
	cr_assert_eq(cv_hosted_vcpu_state(vmid, 0), UNUSED);
}

Test(vcpu, run_page_owned_by_a_vm_panics_at_register_vcpu)
{
	uint32_t vmid = (uint32_t)bs_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
	uint64_t run_page = vs_run_pa(vmid, 0) & ~(PAGE_SIZE - 1);

	bs_expect_running();
	/* The host gives the page to the first VM before registering. */
	ram_fault_script();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA, run_page, 3);
	vs_run(vm, 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(run_page / PAGE_SIZE), vm);
	bs_hvc(HVC_REGISTER_VCPU, vmid, 0, 0, 0, 0);
	bs_expect_halt("register_vcpu", "not the host");
	cr_assert_eq(cv_hosted_vcpu_state(vmid, 0), UNUSED);
}

Test(vcpu, run_structure_read_and_written_in_place)
{
	struct cv_vcpu_run run;

	/* An HVC shows x0; the host's other slots stay as it wrote them. */
	script.ops[0] = mov(0, 0x86000000ULL);
	script.ops[1] = op(OP_HVC, 0);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFI, 0);
	vs_get_run(vm, 0, &run);
	run.regs[5] = 0x5555;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[0], 0x86000000ULL, "x0 shown");
	cr_assert_eq(run.regs[5], 0x5555, "the host's own value kept");
	cr_assert_eq(run.dirty & CV_DIRTY_REGS_MASK, 1, "x0 offered");
	run.regs[0] = 0x1234;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[0], 0x1234, "the answer taken");
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[0], 0, "x0 no longer shown: cleared");
	cr_assert_eq(run.regs[5], 0x5555);
	vs_inv();
}

Test(vcpu, halted_core_runs_nothing)
{
	script.ops[0] = op(OP_WFI, 0);
	bs_halt();
	cr_assert_eq(vs_run(vm, 0), 0);
	cr_assert_eq(cv_hosted_vcpu_runs(), 0);
	cr_assert_eq(cv_hosted_vcpu_state(vm, 0), READY);
}

/* ---- Every internal rely, called out of range ------------------------ */

static void r_set_per_cpu(void)
{
	set_per_cpu(17, 0);
}
static void r_get_shadow(void)
{
	get_shadow_ctxt(1, 0, CTXT_REG_NUM);
}
static void r_set_shadow(void)
{
	set_shadow_ctxt(1, 8, X0, 0);
}
static void r_dirty(void)
{
	set_shadow_dirty_bit(17, 0, 1);
}
static void r_clear_gp(void)
{
	clear_shadow_gp_regs(1, 9);
}
static void r_reset_fp(void)
{
	reset_fp_regs(99, 0);
}
static void r_reg_desc(void)
{
	get_sys_reg_desc_val(CTXT_REG_NUM);
}
static void r_load_int(void)
{
	load_int_state(0, 0);
}
static void r_publish(void)
{
	publish_int_state(16, 0, 0);
}
static void r_int_gpr(void)
{
	get_int_gpr(1, 0, 31);
}
static void r_int_gpr_vm(void)
{
	get_int_gpr(0, 0, 0);
}
static void r_int_pc(void)
{
	get_int_pc(1, 8);
}
static void r_int_pstate(void)
{
	get_int_pstate(16, 0);
}
static void r_fault_addr(void)
{
	get_vm_fault_addr(0, 0);
}
static void r_new_pte(void)
{
	get_int_new_pte(1, 8);
}
static void r_new_level(void)
{
	get_int_new_level(16, 0);
}
static void r_int_esr(void)
{
	get_int_esr(0, 0);
}
static void r_set_int_gpr(void)
{
	set_int_gpr(1, 0, 31, 0);
}
static void r_set_int_gpr_vm(void)
{
	set_int_gpr(16, 0, 0, 0);
}
static void r_reset_gp(void)
{
	reset_gp_regs(0, 0);
}
static void r_reset_sys(void)
{
	reset_sys_regs(1, 8);
}
static void r_sync(void)
{
	sync_dirty_to_shadow(16, 0);
}
static void r_wfx(void)
{
	prep_wfx(0, 0);
}
static void r_hvc(void)
{
	prep_hvc(1, 8);
}
static void r_abort(void)
{
	prep_abort(16, 0);
}
static void r_exc(void)
{
	update_exception_gp_regs(0, 1);
}
static void r_post(void)
{
	post_handle_shadow_s2pt_fault(1, 0, KVM_ADDR_SPACE);
}
static void r_restore_vm(void)
{
	restore_vm(0, 0);
}
static void r_restore_vcpu(void)
{
	restore_vm(1, 8);
}
static void r_dispatch(void)
{
	vm_exit_dispatcher(16, 0);
}
static void r_clear(void)
{
	clear_vm_stage2_range(0, 0, 0);
}
static void r_clear_size(void)
{
	clear_vm_stage2_range(1, 0, KVM_ADDR_SPACE);
}
static void r_ioremap(void)
{
	kvm_phys_addr_ioremap(17, 0, 0, 0);
}
static void r_ioremap_wrap(void)
{
	kvm_phys_addr_ioremap(1, KVM_ADDR_SPACE - PAGE_SIZE, 0, PAGE_SIZE);
}

static void (*const rely_fns[])(void) = {
	r_set_per_cpu,	  r_get_shadow,	  r_set_shadow,
	r_dirty,	  r_clear_gp,	  r_reset_fp,
	r_reg_desc,	  r_load_int,	  r_publish,
	r_int_gpr,	  r_int_gpr_vm,	  r_int_pc,
	r_int_pstate,	  r_fault_addr,	  r_new_pte,
	r_new_level,	  r_int_esr,	  r_set_int_gpr,
	r_set_int_gpr_vm, r_reset_gp,	  r_reset_sys,
	r_sync,		  r_wfx,	  r_hvc,
	r_abort,	  r_exc,	  r_post,
	r_restore_vm,	  r_restore_vcpu, r_dispatch,
	r_clear,	  r_clear_size,	  r_ioremap,
	r_ioremap_wrap,
};

static const char *const rely_whos[] = {
	"set_per_cpu",
	"get_shadow_ctxt",
	"set_shadow_ctxt",
	"set_shadow_dirty_bit",
	"clear_shadow_gp_regs",
	"reset_fp_regs",
	"get_sys_reg_desc_val",
	"load_int_state",
	"publish_int_state",
	"get_int_gpr",
	"get_int_gpr",
	"get_int_pc",
	"get_int_pstate",
	"get_vm_fault_addr",
	"get_int_new_pte",
	"get_int_new_level",
	"get_int_esr",
	"set_int_gpr",
	"set_int_gpr",
	"reset_gp_regs",
	"reset_sys_regs",
	"sync_dirty_to_shadow",
	"prep_wfx",
	"prep_hvc",
	"prep_abort",
	"update_exception_gp_regs",
	"post_handle_shadow_s2pt_fault",
	"restore_vm: vmid 0",
	"restore_vm: vm 1 vcpuid 8",
	"vm_exit_dispatcher",
	"clear_vm_stage2_range",
	"clear_vm_stage2_range",
	"kvm_phys_addr_ioremap",
	"kvm_phys_addr_ioremap",
};

ParameterizedTestParameters(vcpu, every_rely_panics_naming_the_call)
{
	static int cases[34];

	for (int i = 0; i < 34; i++)
		cases[i] = i;
	return cr_make_param_array(int, cases, 34);
}

ParameterizedTest(int *i, vcpu, every_rely_panics_naming_the_call)
{
	rely_fns[*i]();
	bs_expect_halt(rely_whos[*i], "");
}

Test(vcpu, halted_vcpu_functions_change_nothing)
{
	struct cv_ctxt before;

	script.ops[0] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	before = cv.shadow_ctxts[ctxt_id(vm, 0)];
	bs_halt();
	set_per_cpu(vm, 0);
	restore_shadow_kvm_regs();
	save_shadow_kvm_regs();
	reset_gp_regs(vm, 0);
	reset_sys_regs(vm, 0);
	prep_hvc(vm, 0);
	prep_abort(vm, 0);
	update_exception_gp_regs(vm, 0);
	set_shadow_ctxt(vm, 0, X0, 1);
	cr_assert_eq(memcmp(&before, &cv.shadow_ctxts[ctxt_id(vm, 0)],
			    sizeof(before)),
		     0);
	cr_assert_eq(get_shadow_ctxt(vm, 0, PC), 0, "check: 0 once halted");
	cr_assert_eq(cv.cpus[0].cur_vmid, HOSTVISOR);
}
