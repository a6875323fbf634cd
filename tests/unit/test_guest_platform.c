// SPDX-License-Identifier: MIT
/*
 * What a VM is told about the CPU and what it gets (core/trap/idregs.c):
 * the ID registers through HCR_EL2.TID3 (no PMU, the minimal debug, no
 * SVE, SME, MTE, AMU, MPAM or pointer authentication), and PMU register
 * accesses as undefined instructions, on the hosted machine's simulated
 * CPU (arch/hosted: a Cortex-A57 with a PMU plus SVE, AMU, MTE, PAuth).
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/hosted.h>
#include <cv/state.h>
#include <cv/trap.h>
#include <cv/vcpu.h>

#include "boot_support.h"
#include "vm_support.h"

static struct vs_script script;
static uint32_t vm;

#define VBAR_OP 512U
#define VBAR VS_PC(VBAR_OP)

static void setup(void)
{
	vs_boot();
	memset(&script, 0, sizeof(script));
	vm = vs_new_vm(1, 0);
	vs_set_script(vm, &script);
	/* EL1h synchronous vector: note the state, WFI. */
	script.ops[VBAR_OP + 0x200 / 4] = (struct vs_op){OP_SNAP, 1, 0, 0, 0};
	script.ops[VBAR_OP + 0x200 / 4 + 1] =
		(struct vs_op){OP_WFI, 0, 0, 0, 0};
	script.ops[0] = (struct vs_op){OP_VBAR, VBAR, 0, 0, 0};
	script.ops[1] = (struct vs_op){OP_MOV, 0x5a5a, 0, 5, 0};
	vs_inv();
}

TestSuite(guestplat, .init = setup);

/* The syndrome of a trapped MRS (@read) / MSR of a register into x5. */
static uint64_t sys64(uint32_t op0, uint32_t op1, uint32_t crn, uint32_t crm,
		      uint32_t op2, bool read)
{
	return ((uint64_t)ESR_ELx_EC_SYS64 << ESR_ELx_EC_SHIFT) | ESR_ELx_IL |
	       ((uint64_t)op0 << 20) | ((uint64_t)op2 << 17) |
	       ((uint64_t)op1 << 14) | ((uint64_t)crn << 10) | (5ULL << 5) |
	       ((uint64_t)crm << 1) | (read ? 1 : 0);
}

/* Run the trap at op 2; op 3 notes x5 (snap 0) if the guest goes on. */
static void run_trap(uint64_t esr)
{
	script.ops[2] = (struct vs_op){OP_TRAP, esr, 0, 0, 0};
	script.ops[3] = (struct vs_op){OP_SNAP, 0, 0, 0, 0};
	script.ops[4] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	vs_inv();
}

static uint64_t read_id(uint32_t crm, uint32_t op2)
{
	run_trap(sys64(3, 0, 0, crm, op2, true));
	cr_assert_eq(script.snaps[0].pc, VS_PC(3), "stepped, no exception");
	cr_assert_eq(script.snaps[1].pc, 0, "no exception taken");
	return script.snaps[0].x[5];
}

static void expect_undefined(void)
{
	cr_assert_eq(script.snaps[1].pc, VBAR + 0x200, "undefined taken");
	cr_assert_eq(script.snaps[1].esr_el1, 0x02000000ULL);
	cr_assert_eq(script.snaps[1].elr_el1, VS_PC(2));
	cr_assert_eq(script.snaps[1].x[5], 0x5a5a, "x5 not written");
	cr_assert_eq(script.snaps[0].pc, 0, "did not go on");
}

Test(guestplat, id_aa64dfr0_says_no_pmu_and_the_minimal_debug)
{
	uint64_t v = read_id(5, 0);

	cr_assert_eq(v, 0x101006ULL, "ID_AA64DFR0_EL1 0x%llx",
		     (unsigned long long)v);
	cr_assert_eq((v >> 8) & 0xf, 0, "PMUVer");
	cr_assert_eq(v & 0xf, 6, "DebugVer 8.0");
}

Test(guestplat, id_dfr0_has_no_perfmon)
{
	cr_assert_eq(read_id(1, 2), 0x6ULL);
}

Test(guestplat, sve_and_amu_are_hidden)
{
	uint64_t pfr0 = read_id(4, 0);

	cr_assert_eq(pfr0, 0x01000022ULL,
		     "PFR0 0x%llx", (unsigned long long)pfr0);
	cr_assert_eq((pfr0 >> 32) & 0xf, 0, "SVE");
}

Test(guestplat, pauth_is_hidden)
{
	cr_assert_eq(read_id(6, 1), 0x0000000000000001ULL);
}

Test(guestplat, mte_is_hidden)
{
	cr_assert_eq(read_id(4, 1), 0x21ULL);
}

Test(guestplat, sve_id_register_reads_zero)
{
	cr_assert_eq(read_id(4, 4), 0);
}

Test(guestplat, other_id_registers_are_the_cpus)
{
	cr_assert_eq(read_id(7, 0), 0x1124ULL);
}

Test(guestplat, an_id_register_read_into_xzr_only_steps)
{
	uint64_t esr = sys64(3, 0, 0, 5, 0, true) & ~(31ULL << 5);

	run_trap(esr | (31ULL << 5));
	cr_assert_eq(script.snaps[0].pc, VS_PC(3));
	cr_assert_eq(script.snaps[0].x[5], 0x5a5a);
}

Test(guestplat, pmcr_read_is_undefined)
{
	run_trap(sys64(3, 3, 9, 12, 0, true));
	expect_undefined();
}

Test(guestplat, pmccntr_read_is_undefined)
{
	run_trap(sys64(3, 3, 9, 13, 0, true));
	expect_undefined();
}

Test(guestplat, pmintenset_write_is_undefined)
{
	run_trap(sys64(3, 0, 9, 14, 1, false));
	expect_undefined();
}

Test(guestplat, pmevcntr_read_is_undefined)
{
	run_trap(sys64(3, 3, 14, 8, 3, true));
	expect_undefined();
}

Test(guestplat, an_id_register_write_is_undefined)
{
	run_trap(sys64(3, 0, 0, 5, 0, false));
	expect_undefined();
}

/* A debug register (MDSCR_EL1) stays what it was: RAZ/WI. */
Test(guestplat, mdscr_is_raz_wi)
{
	run_trap(sys64(2, 0, 0, 2, 2, true));
	cr_assert_eq(script.snaps[0].pc, VS_PC(3));
	cr_assert_eq(script.snaps[0].x[5], 0);
}

Test(guestplat, guest_id_reg_out_of_range_panics)
{
	guest_id_reg(0, 0);
	bs_expect_halt("guest_id_reg", "CRm 0 Op2 0 not an ID register");
}

Test(guestplat, guest_sysreg_feature_bad_vm_panics)
{
	guest_sysreg_feature(99, 0, 0);
	bs_expect_halt("guest_sysreg_feature", "vm 99 vcpu 0 out of range");
}
