// SPDX-License-Identifier: MIT
/*
 * What a VM is told about the CPU and what it gets (core/trap/idregs.c):
 * the ID registers through HCR_EL2.TID3 (no PMU, the minimal debug, no
 * SVE, SME, MTE, AMU, MPAM or pointer authentication), and PMU register
 * accesses as undefined instructions, on the hosted machine's simulated
 * CPU (arch/hosted: a Cortex-A57 with a PMU plus SVE, AMU, MTE, PAuth).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/hosted.h>
#include <cv/boot.h>
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

	cr_assert_eq(pfr0, 0x01000022ULL, "PFR0 0x%llx",
		     (unsigned long long)pfr0);
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

/* ---- The VM's memory map: set_vm_region, vm_ipa_kind ------------------ */

#define HIGH_MMIO 0x4010000000ULL /* a PCIe ECAM's place on QEMU virt */
#define RAM_BASE 0x80000000ULL	  /* VS_IMAGE_IPA: the image's block */
#define RAM_SIZE 0x40000000ULL

static void region(uint32_t vmid, uint64_t base, uint64_t size, uint32_t kind)
{
	bs_hvc(HVC_SET_VM_REGION, vmid, base, size, kind, 0);
}

/* UART page, RAM at 2 GiB, MMIO at HIGH_MMIO; nothing anywhere else. */
static void map_setup(void)
{
	vs_boot();
	memset(&script, 0, sizeof(script));
	vm = vs_new_vm_unverified(1, 0);
	region(vm, VS_MMIO_IPA, 0x10000, CV_REGION_MMIO);
	region(vm, RAM_BASE, RAM_SIZE, CV_REGION_RAM);
	region(vm, HIGH_MMIO, 0x10000000, CV_REGION_MMIO);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vm, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vm), VERIFIED);
	vs_set_script(vm, &script);
	script.ops[0] = (struct vs_op){OP_VBAR, VBAR, 0, 0, 0};
	script.ops[1] = (struct vs_op){OP_MOV, 0x5a5a, 0, 5, 0};
	script.ops[VBAR_OP + 0x200 / 4] = (struct vs_op){OP_SNAP, 1, 0, 0, 0};
	script.ops[VBAR_OP + 0x200 / 4 + 1] =
		(struct vs_op){OP_WFI, 0, 0, 0, 0};
	vs_inv();
}

TestSuite(memmap, .init = map_setup);

Test(memmap, the_map_is_recorded_in_order)
{
	const struct vm_info *info = &cv.vminfos[vm];

	cr_assert_eq(info->nregions, 3);
	cr_assert_eq(info->region_base[1], RAM_BASE);
	cr_assert_eq(info->region_size[1], RAM_SIZE);
	cr_assert_eq(info->region_kind[2], CV_REGION_MMIO);
	cr_assert_eq(vm_ipa_kind(vm, HIGH_MMIO + 0xfffffff), CV_REGION_MMIO);
	cr_assert_eq(vm_ipa_kind(vm, HIGH_MMIO + 0x10000000), 0);
	cr_assert_eq(vm_ipa_kind(vm, RAM_BASE - 1), 0);
	cr_assert_eq(vm_ipa_kind(vm, RAM_BASE), CV_REGION_RAM);
}

/* MMIO above 1 GiB (the spec's split would make it RAM) is an MMIO exit. */
Test(memmap, mmio_above_1gib_is_an_mmio_exit)
{
	struct cv_vcpu_run run;

	script.ops[2] = (struct vs_op){OP_LOAD, HIGH_MMIO + 8, 4, 3, 0};
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.fault_ipa, HIGH_MMIO + 8);
	cr_assert_eq(run.mmio.valid, 1);
	cr_assert_eq(run.mmio.reg, 3);
	vs_inv();
}

Test(memmap, ram_is_a_ram_fault)
{
	struct cv_vcpu_run run;

	script.ops[2] = (struct vs_op){OP_LOAD, VS_RAM_IPA + 8, 8, 3, 0};
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.fault_ipa, VS_RAM_IPA + 8);
}

/*
 * Where the map has nothing (1 GiB: RAM under the spec's split), the core
 * injects the external abort itself: the host never sees the access.
 */
Test(memmap, nothing_there_is_an_abort_without_an_exit)
{
	script.ops[2] = (struct vs_op){OP_STORE, 0x40000010ULL, 8, 5, 0};
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX, "the vector's WFI");
	bs_expect_running();
	cr_assert_eq(script.snaps[1].pc, VBAR + 0x200);
	cr_assert_eq(script.snaps[1].esr_el1, 0x96000050ULL);
	cr_assert_eq(script.snaps[1].far_el1, 0x40000010ULL);
	cr_assert_eq(script.snaps[1].elr_el1, VS_PC(2));
	cr_assert(bs_unmapped(vm, 0x40000000ULL));
	vs_inv();
}

Test(memmap, a_fetch_from_mmio_is_an_instruction_abort)
{
	script.ops[2] = (struct vs_op){OP_JUMP, HIGH_MMIO, 0, 0, 0};
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[1].esr_el1, 0x86000010ULL);
	cr_assert_eq(script.snaps[1].far_el1, HIGH_MMIO);
	cr_assert_eq(script.snaps[1].elr_el1, HIGH_MMIO);
}

/* The host's page for a RAM fault must go to the VM's RAM. */
Test(memmap, a_page_outside_ram_panics)
{
	script.ops[2] = (struct vs_op){OP_LOAD, VS_RAM_IPA, 8, 3, 0};
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, 0x40000000ULL, bs_ram(100), 3);
	vs_run(vm, 0);
	bs_expect_halt("post_handle_shadow_s2pt_fault",
		       "addr 0x40000000 level 3 not in the VM's RAM");
}

Test(memmap, a_block_past_the_end_of_ram_panics)
{
	script.ops[2] = (struct vs_op){OP_LOAD, VS_RAM_IPA, 8, 3, 0};
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, RAM_BASE + RAM_SIZE, vs_image_pa(2), 2);
	vs_run(vm, 0);
	bs_expect_halt("post_handle_shadow_s2pt_fault", "not in the VM's RAM");
}

Test(memmap, a_block_inside_ram_is_taken)
{
	uint64_t pa = vs_image_pa(2);

	script.ops[2] = (struct vs_op){OP_LOAD, VS_RAM_IPA, 8, 3, 0};
	script.ops[3] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA, pa, 2);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert(bs_maps(vm, VS_RAM_IPA, pa));
	vs_inv();
}

Test(memmap, a_region_after_verify_panics)
{
	region(vm, 0x200000000ULL, 0x1000, CV_REGION_RAM);
	bs_expect_halt("set_vm_region", "state 3 not READY");
}

/* ---- Bad regions: each panics, naming the value ---------------------- */

static void bad_setup(void)
{
	vs_boot();
	vm = vs_new_vm_unverified(1, 0);
}

TestSuite(memmap_bad, .init = bad_setup);

Test(memmap_bad, unaligned)
{
	region(vm, 0x80000800ULL, 0x1000, CV_REGION_RAM);
	bs_expect_halt("set_vm_region", "region 0x80000800 size 0x1000 not "
					"page aligned");
}

Test(memmap_bad, unaligned_size)
{
	region(vm, 0x80000000ULL, 0x1800, CV_REGION_RAM);
	bs_expect_halt("set_vm_region", "size 0x1800 not page aligned");
}

Test(memmap_bad, empty)
{
	region(vm, 0x80000000ULL, 0, CV_REGION_RAM);
	bs_expect_halt("set_vm_region", "size 0x0 not page aligned");
}

Test(memmap_bad, past_the_ipa_size)
{
	uint64_t top = 1ULL << cv.pa_bits;

	region(vm, top - 0x1000, 0x2000, CV_REGION_MMIO);
	bs_expect_halt("set_vm_region", "not page aligned below 2^");
}

Test(memmap_bad, wrapping)
{
	region(vm, 0x1000, ~0ULL - 0xfff, CV_REGION_MMIO);
	bs_expect_halt("set_vm_region", "not page aligned below 2^");
}

Test(memmap_bad, bad_kind)
{
	region(vm, 0x80000000ULL, 0x1000, 3);
	bs_expect_halt("set_vm_region", "kind 3");
}

Test(memmap_bad, kind_past_32_bits)
{
	bs_hvc(HVC_SET_VM_REGION, vm, 0x80000000ULL, 0x1000, 0x100000001ULL, 0);
	bs_expect_halt("host_hvc", "SET_VM_REGION bad args");
}

Test(memmap_bad, not_a_vm)
{
	region(0, 0x80000000ULL, 0x1000, CV_REGION_RAM);
	bs_expect_halt("host_hvc", "SET_VM_REGION bad args 0x0");
}

Test(memmap_bad, overlapping)
{
	region(vm, 0x80000000ULL, 0x2000, CV_REGION_RAM);
	region(vm, 0x80001000ULL, 0x1000, CV_REGION_MMIO);
	bs_expect_halt("set_vm_region", "region 0x80001000 below the end of "
					"region 0, 0x80002000");
}

Test(memmap_bad, unsorted)
{
	region(vm, 0x80000000ULL, 0x1000, CV_REGION_RAM);
	region(vm, 0x9000000ULL, 0x1000, CV_REGION_MMIO);
	bs_expect_halt("set_vm_region", "below the end of region 0");
}

Test(memmap_bad, adjacent_is_fine)
{
	region(vm, 0x80000000ULL, 0x1000, CV_REGION_RAM);
	region(vm, 0x80001000ULL, 0x1000, CV_REGION_MMIO);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[vm].nregions, 2);
}

Test(memmap_bad, too_many)
{
	for (uint64_t i = 0; i < CV_MAX_VM_REGIONS; i++)
		region(vm, 0x100000000ULL + i * 0x1000, 0x1000, CV_REGION_MMIO);
	bs_expect_running();
	region(vm, 0x200000000ULL, 0x1000, CV_REGION_MMIO);
	bs_expect_halt("set_vm_region", "has 8 regions already");
}

/* An image whose 2 MiB block is not all RAM of the declared map. */
Test(memmap_bad, an_image_outside_ram_is_refused_at_verify)
{
	region(vm, RAM_BASE + 0x1000, RAM_SIZE, CV_REGION_RAM);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vm, 0, 0, 0, 0);
	bs_expect_halt("verify_and_load_images",
		       "image 0 at 0x80000000 not in the VM's RAM");
}

/* ---- The map is part of the VM's measurement -------------------------- */

static uint32_t measured_vm(uint32_t n, const uint64_t (*map)[3], uint32_t nmap)
{
	uint8_t payload[VS_IMAGE_BYTES], *img;
	size_t size;
	uint32_t vmid = bs_new_vm(1);

	bs_pattern(payload, sizeof(payload), 77);
	img = bs_make_image(payload, sizeof(payload), VS_IMAGE_IPA, bs_sk,
			    &size);
	bs_load_image(vmid, VS_IMAGE_IPA, vs_image_pa(n), img, size);
	free(img);
	for (uint32_t i = 0; i < nmap; i++)
		region(vmid, map[i][0], map[i][1], (uint32_t)map[i][2]);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	return vmid;
}

Test(memmap_bad, the_map_is_measured)
{
	static const uint64_t map[2][3] = {
		{VS_MMIO_IPA, 0x10000, CV_REGION_MMIO},
		{RAM_BASE, RAM_SIZE, CV_REGION_RAM},
	};
	static const uint64_t other[2][3] = {
		{VS_MMIO_IPA, 0x20000, CV_REGION_MMIO},
		{RAM_BASE, RAM_SIZE, CV_REGION_RAM},
	};
	uint32_t a = measured_vm(1, map, 2), b = measured_vm(2, map, 2);
	uint32_t c = measured_vm(3, other, 2), d = measured_vm(4, NULL, 0);
	const uint8_t *ma = cv.vminfos[a].measurement;

	cr_assert(!memcmp(ma, cv.vminfos[b].measurement, CV_MEASUREMENT_BYTES),
		  "same images, same map: same measurement");
	cr_assert(memcmp(ma, cv.vminfos[c].measurement, CV_MEASUREMENT_BYTES),
		  "another map");
	cr_assert(memcmp(ma, cv.vminfos[d].measurement, CV_MEASUREMENT_BYTES),
		  "no map");
}

/* Range checks only a direct call reaches (the dispatchers check first). */
Test(memmap_bad, set_vm_region_not_a_vm_panics)
{
	set_vm_region(0, 0x80000000ULL, 0x1000, CV_REGION_RAM);
	bs_expect_halt("set_vm_region", "vmid 0 is not a VM");
}

Test(memmap_bad, inject_external_abort_out_of_range_panics)
{
	inject_external_abort(vm, 99);
	bs_expect_halt("inject_external_abort", "out of range");
}
