// SPDX-License-Identifier: MIT
/*
 * core/trap/host_hvc.c: the host's hypercalls. Every argument check of
 * TrapDispatcherSpec's host_hvc_dispatcher (and of corevisor's own calls)
 * is hit with a value just outside its range and must panic naming the
 * call; values just inside pass. Calls whose layers are not built yet
 * answer INVALID64; unknown numbers are ignored; a halted core answers 0.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>

#include <corevisor/abi.h>
#include <cv/boot.h>
#include <cv/panic.h>
#include <cv/state.h>

#include "boot_support.h"

TestSuite(boot_hvc, .init = bs_boot);

#define PHYS KVM_PHYS_SIZE
#define ADDR KVM_ADDR_SPACE

/* Copied into each test's process: no pointers. */

ParameterizedTestParameters(boot_hvc, bad_args_panic)
{
	static struct bs_bad_hvc cases[] = {
		{"SET_BOOT_INFO", {HVC_SET_BOOT_INFO, 0, 0, 0x1000}},
		{"SET_BOOT_INFO", {HVC_SET_BOOT_INFO, 16, 0, 0x1000}},
		{"SET_BOOT_INFO", {HVC_SET_BOOT_INFO, 1, PHYS, 0x1000}},
		{"SET_BOOT_INFO", {HVC_SET_BOOT_INFO, 1, 0, PHYS}},
		{"SET_BOOT_INFO",
		 {HVC_SET_BOOT_INFO, 1, PHYS - 0x1000, 0x1000}},
		{"SET_BOOT_INFO", {HVC_SET_BOOT_INFO, 1, ~0ULL, 2}},
		{"REMAP_VM_IMAGE", {HVC_REMAP_VM_IMAGE, 0, 0x40000, 0}},
		{"REMAP_VM_IMAGE", {HVC_REMAP_VM_IMAGE, 1, KVM_PFN_SPACE, 0}},
		{"REMAP_VM_IMAGE", {HVC_REMAP_VM_IMAGE, 1, 0x40000, 5}},
		{"VERIFY_VM_IMAGES", {HVC_VERIFY_VM_IMAGES, 0}},
		{"VERIFY_VM_IMAGES", {HVC_VERIFY_VM_IMAGES, 16}},
		{"REGISTER_VCPU", {HVC_REGISTER_VCPU, 0, 0}},
		{"REGISTER_VCPU", {HVC_REGISTER_VCPU, 1, 8}},
		{"IS_INC_EXE", {HVC_IS_INC_EXE, 0}},
		{"MAP_IO", {HVC_MAP_IO, 0, 0, 0x9000000}},
		{"MAP_IO", {HVC_MAP_IO, 1, ADDR, 0x9000000}},
		{"MAP_IO", {HVC_MAP_IO, 1, 0, PHYS}},
		{"ASSIGN_SMMU", {HVC_ASSIGN_SMMU, 16, 0x40000, 0}},
		{"ASSIGN_SMMU", {HVC_ASSIGN_SMMU, 1, KVM_PFN_SPACE, 0}},
		{"ASSIGN_SMMU", {HVC_ASSIGN_SMMU, 1, 0x40000, KVM_GFN_SPACE}},
		{"ENCRYPT_BUF", {HVC_ENCRYPT_BUF, 0, 0x40000000, 0x40001000}},
		{"ENCRYPT_BUF", {HVC_ENCRYPT_BUF, 1, PHYS, 0x40001000}},
		{"ENCRYPT_BUF", {HVC_ENCRYPT_BUF, 1, 0x40000000, PHYS}},
		{"DECRYPT_BUF", {HVC_DECRYPT_BUF, 16, 0x40000000}},
		{"DECRYPT_BUF", {HVC_DECRYPT_BUF, 1, PHYS}},
		{"SAVE_CRYPT_VCPU", {HVC_SAVE_CRYPT_VCPU, 0, 0}},
		{"SAVE_CRYPT_VCPU", {HVC_SAVE_CRYPT_VCPU, 1, 8}},
		{"LOAD_CRYPT_VCPU", {HVC_LOAD_CRYPT_VCPU, 16, 0}},
		{"LOAD_CRYPT_VCPU", {HVC_LOAD_CRYPT_VCPU, 1, 8}},
		{"CLEAR_VM_S2_RANGE", {HVC_CLEAR_VM_S2_RANGE, 0, 0, 0x1000}},
		{"CLEAR_VM_S2_RANGE", {HVC_CLEAR_VM_S2_RANGE, 1, ADDR, 0x1000}},
		{"CLEAR_VM_S2_RANGE", {HVC_CLEAR_VM_S2_RANGE, 1, 0, ADDR}},
		{"PHYS_ADDR_IOREMAP",
		 {HVC_PHYS_ADDR_IOREMAP, 17, 0, 0, 0x1000}},
		{"PHYS_ADDR_IOREMAP",
		 {HVC_PHYS_ADDR_IOREMAP, 0, ADDR - 0x1000, 0, 0x1000}},
		{"PHYS_ADDR_IOREMAP",
		 {HVC_PHYS_ADDR_IOREMAP, 0, 0, PHYS - 0x1000, 0x1000}},
		{"PHYS_ADDR_IOREMAP", {HVC_PHYS_ADDR_IOREMAP, 0, ~0ULL, 0, 2}},
		{"SMMU_FREE_PGD", {HVC_SMMU_FREE_PGD, 8, 0}},
		{"SMMU_FREE_PGD", {HVC_SMMU_FREE_PGD, 0, 2}},
		{"SMMU_ALLOC_PGD", {HVC_SMMU_ALLOC_PGD, 8, 1, 0}},
		{"SMMU_ALLOC_PGD", {HVC_SMMU_ALLOC_PGD, 0, 16, 0}},
		{"SMMU_ALLOC_PGD", {HVC_SMMU_ALLOC_PGD, 0, 1, 2}},
		{"SMMU_LPAE_MAP", {HVC_SMMU_LPAE_MAP, PHYS, 0x40000000, 0x3c3}},
		{"SMMU_LPAE_MAP", {HVC_SMMU_LPAE_MAP, 0, PHYS, 0x3c3}},
		{"SMMU_LPAE_MAP", {HVC_SMMU_LPAE_MAP, 0, 0x40000000, 0x1000}},
		{"SMMU_LPAE_MAP",
		 {HVC_SMMU_LPAE_MAP, 0, 0x40000000, 0x7fffffffffffffffULL}},
		{"SMMU_LPAE_MAP", {HVC_SMMU_LPAE_MAP, 0, 0x40000000, 0x3c3, 8}},
		{"SMMU_LPAE_MAP",
		 {HVC_SMMU_LPAE_MAP, 0, 0x40000000, 0x3c3, 0, 2}},
		{"SMMU_LPAE_IOVA_TO_PHYS", {HVC_SMMU_LPAE_IOVA_TO_PHYS, PHYS}},
		{"SMMU_LPAE_IOVA_TO_PHYS", {HVC_SMMU_LPAE_IOVA_TO_PHYS, 0, 8}},
		{"SMMU_LPAE_IOVA_TO_PHYS",
		 {HVC_SMMU_LPAE_IOVA_TO_PHYS, 0, 0, 2}},
		{"SMMU_CLEAR", {HVC_SMMU_CLEAR, PHYS}},
		{"SMMU_CLEAR", {HVC_SMMU_CLEAR, 0, 8}},
		{"SMMU_CLEAR", {HVC_SMMU_CLEAR, 0, 0, 2}},
		{"SNAPSHOT_BEGIN", {HVC_SNAPSHOT_BEGIN, 0}},
		{"SNAPSHOT_BEGIN", {HVC_SNAPSHOT_BEGIN, 16}},
		{"SNAPSHOT_PAGE", {HVC_SNAPSHOT_PAGE, 0, 0x40000000}},
		{"SNAPSHOT_PAGE", {HVC_SNAPSHOT_PAGE, 1, PHYS}},
		{"SNAPSHOT_VCPU", {HVC_SNAPSHOT_VCPU, 1, 8, 0x40000000}},
		{"SNAPSHOT_VCPU", {HVC_SNAPSHOT_VCPU, 1, 0, PHYS}},
		{"SNAPSHOT_END", {HVC_SNAPSHOT_END, 16, 0x40000000}},
		{"SNAPSHOT_END", {HVC_SNAPSHOT_END, 1, PHYS}},
		{"RESTORE_BEGIN", {HVC_RESTORE_BEGIN, 0, 0x40000000}},
		{"RESTORE_BEGIN", {HVC_RESTORE_BEGIN, 1, PHYS}},
		{"RESTORE_PAGE", {HVC_RESTORE_PAGE, 16, 0x40000000}},
		{"RESTORE_PAGE", {HVC_RESTORE_PAGE, 1, PHYS}},
		{"RESTORE_VCPU", {HVC_RESTORE_VCPU, 0, 0, 0x40000000}},
		{"RESTORE_VCPU", {HVC_RESTORE_VCPU, 1, 8, 0x40000000}},
		{"RESTORE_VCPU", {HVC_RESTORE_VCPU, 1, 0, PHYS}},
		{"BOOT_FROM_SAVED_VM", {HVC_BOOT_FROM_SAVED_VM, 0}},
		{"BOOT_FROM_SAVED_VM", {HVC_BOOT_FROM_SAVED_VM, 16}},
	};

	return cr_make_param_array(struct bs_bad_hvc, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bs_bad_hvc *c, boot_hvc, bad_args_panic)
{
	bs_expect_bad_hvc(c);
	/* Nothing happened before the check: no VM, no remap area. */
	cr_assert_eq(cv.core.next_vmid, 1);
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START);
}

struct pending_case {
	uint64_t x[6];
};

ParameterizedTestParameters(boot_hvc, pending_calls_answer_invalid)
{
	static struct pending_case cases[] = {
		/* The SMMU calls are served: tests/unit/test_smmu.c. */
		{{HVC_ENABLE_S2_TRANS}},
	};

	return cr_make_param_array(struct pending_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct pending_case *c, boot_hvc,
		  pending_calls_answer_invalid)
{
	cr_assert_eq(
		bs_hvc(c->x[0], c->x[1], c->x[2], c->x[3], c->x[4], c->x[5]),
		INVALID64);
	bs_expect_running();
}

Test(boot_hvc, register_calls_return_results)
{
	cr_assert_eq(bs_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0), 1);
	cr_assert_eq(bs_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0), 2);
	cr_assert_eq(bs_hvc(HVC_REGISTER_VCPU, 2, 7, 0, 0, 0), 0);
	cr_assert_eq(cv_hosted_vcpu_state(2, 7), READY);
	/* At the edge of the checks: accepted. */
	cr_assert_eq(bs_hvc(HVC_SET_BOOT_INFO, 2, PHYS - 0x2000, 0x1000, 0, 0),
		     0);
	cr_assert_eq(bs_hvc(HVC_SET_BOOT_INFO, 2, 0x80000000, 1, 0, 0), 1);
	cr_assert_eq(bs_hvc(HVC_REMAP_VM_IMAGE, 2, 0x40000, 4, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_IS_INC_EXE, 2, 0, 0, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_MAP_IO, 2, 0x0a000000, 0x09000000, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_ASSIGN_SMMU, 0, 0x40000, 1, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[2].next_load_info, 2);
	cr_assert(bs_maps(2, 0x0a000000, 0x09000000));
}

Test(boot_hvc, callee_panics_pass_through)
{
	/* Arguments in range, state wrong: the callee's own panic. */
	cr_assert_eq(bs_hvc(HVC_REGISTER_VCPU, 3, 0, 0, 0, 0), 0);
	bs_expect_halt("register_vcpu", "vm 3 state 0");
}

Test(boot_hvc, noop_and_unknown_numbers)
{
	cr_assert_eq(bs_hvc(HVC_NOOP, 1, 2, 3, 4, 5), 0);
	cr_assert_eq(bs_hvc(0, 0, 0, 0, 0, 0), INVALID64);
	cr_assert_eq(bs_hvc(99, 1, 2, 3, 4, 5), INVALID64);
	cr_assert_eq(bs_hvc(~0ULL, 0, 0, 0, 0, 0), INVALID64);
	bs_expect_running();
}

Test(boot_hvc, halted_answers_zero)
{
	bs_halt();
	cr_assert_eq(bs_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_SET_BOOT_INFO, 0, 0, 0, 0, 0), 0);
	cr_assert_eq(bs_hvc(99, 0, 0, 0, 0, 0), 0);
	cr_assert_eq(cv.core.next_vmid, 1);
	cr_assert_str_eq(cv_hosted_halt_reason(), "test: halted on purpose");
}
