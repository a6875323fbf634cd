// SPDX-License-Identifier: MIT
/*
 * core/boot, sealed state: save_encrypt_buf / load_decrypt_buf (a VM page
 * through two host pages) and save_encrypted_vcpu / load_encrypted_vcpu
 * (a shadow context through the vCPU's shared page). Round trips, and
 * everything that must be refused: modified ciphertext or header, and
 * blobs moved to another VM, page or vCPU. Plus each call's state and
 * ownership panics and halted no-ops.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/sealed.h>
#include <cv/boot.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/state.h>

#include "boot_support.h"

TestSuite(boot_seal, .init = bs_boot);

#define GFN 0x80010ULL

static uint8_t *phys(uint64_t pa)
{
	uint8_t *p = cv_hosted_phys(pa);

	cr_assert_not_null(p);
	return p;
}

static struct cv_sealed_page_hdr page_hdr(uint64_t out)
{
	struct cv_sealed_page_hdr h;

	memcpy(&h, phys(out + PAGE_SIZE), sizeof(h));
	return h;
}

static void put_page_hdr(uint64_t out, const struct cv_sealed_page_hdr *h)
{
	bs_host_write(out + PAGE_SIZE, h, sizeof(*h));
}

/* A VM page at @gfn holding pattern @seed: host page @n given to @vmid. */
static uint64_t vm_page(uint32_t vmid, uint64_t n, uint64_t gfn,
			uint8_t data[PAGE_SIZE], uint32_t seed)
{
	uint64_t pa = bs_ram(n);

	bs_pattern(data, PAGE_SIZE, seed);
	bs_host_write(pa, data, PAGE_SIZE);
	assign_smmu(vmid, pa / PAGE_SIZE, gfn);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vmid);
	return pa;
}

/*
 * VM @vmid's page at GFN (host page 0x100, pattern 1 in @data) sealed by
 * save_encrypt_buf into host pages 0x200 (ciphertext) and 0x201 (header):
 * returns the blob's address.
 */
static uint64_t sealed_page(uint32_t vmid, uint8_t data[PAGE_SIZE])
{
	uint64_t out = bs_ram(0x200);

	save_encrypt_buf(vmid, vm_page(vmid, 0x100, GFN, data, 1), out);
	bs_expect_running();
	return out;
}

/* ---- pages ----------------------------------------------------------------
 */

Test(boot_seal, page_round_trip)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t in = vm_page(vmid, 0x100, GFN, data, 1);
	uint64_t out = bs_ram(0x200);
	struct cv_sealed_page_hdr h;

	cr_assert_eq(bs_hvc(HVC_ENCRYPT_BUF, vmid, in, out, 0, 0), 0);
	bs_expect_running();
	h = page_hdr(out);
	cr_assert_eq(memcmp(h.magic, CV_SEALED_PAGE_MAGIC, 8), 0);
	cr_assert_eq(h.version, CV_SEALED_VERSION);
	cr_assert_eq(h.vmid, vmid);
	cr_assert_eq(h.gfn, GFN);
	cr_assert_neq(memcmp(phys(out), data, PAGE_SIZE), 0);
	/* The VM's page is untouched. */
	cr_assert_eq(memcmp(phys(in), data, PAGE_SIZE), 0);

	cr_assert_eq(bs_hvc(HVC_DECRYPT_BUF, vmid, out, 0, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(out / PAGE_SIZE), vmid);
	cr_assert_eq(cv_hosted_page_count(out / PAGE_SIZE), 0);
	cr_assert_eq(cv_hosted_page_gfn(out / PAGE_SIZE), GFN);
	cr_assert(bs_unmapped(HOSTVISOR, out));
	cr_assert_eq(memcmp(phys(out), data, PAGE_SIZE), 0);
	/* The header page stays the host's. */
	cr_assert_eq(cv_hosted_page_owner(out / PAGE_SIZE + 1), HOSTVISOR);
}

Test(boot_seal, page_nonces_never_repeat)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t in = vm_page(vmid, 0x100, GFN, data, 1);
	uint64_t a = bs_ram(0x200), b = bs_ram(0x210);
	struct cv_sealed_page_hdr ha, hb;

	save_encrypt_buf(vmid, in, a);
	save_encrypt_buf(vmid, in, b);
	bs_expect_running();
	ha = page_hdr(a);
	hb = page_hdr(b);
	cr_assert_neq(memcmp(ha.nonce, hb.nonce, sizeof(ha.nonce)), 0);
	cr_assert_eq(memcmp(ha.nonce, cv.nonce_salt, 16), 0);
	cr_assert_neq(memcmp(phys(a), phys(b), PAGE_SIZE), 0);
}

Test(boot_seal, page_gfn_binds_where_vm_maps_it)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t out = sealed_page(vmid, data);

	load_decrypt_buf(vmid, out);
	assign_pfn_to_vm(vmid, GFN, out / PAGE_SIZE);
	bs_expect_running();
	assign_pfn_to_vm(vmid, GFN + 1, out / PAGE_SIZE);
	bs_expect_halt("assign_pfn_to_vm", "at gfn 0x80010 not 0x80011");
}

Test(boot_seal, page_modified_ciphertext_refused)
{
	uint8_t data[PAGE_SIZE], byte;
	uint32_t vmid = bs_new_vm(1);
	uint64_t out = sealed_page(vmid, data);

	byte = phys(out)[100] ^ 1;
	bs_host_write(out + 100, &byte, 1);
	load_decrypt_buf(vmid, out);
	bs_expect_halt("load_decrypt_buf", "sealed page refused");
	/* Nothing unauthenticated is left in the page. */
	for (int i = 0; i < (int)PAGE_SIZE; i++)
		cr_assert_eq(phys(out)[i], 0);
}

Test(boot_seal, page_moved_to_other_gfn_refused)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t out = sealed_page(vmid, data);
	struct cv_sealed_page_hdr h;

	h = page_hdr(out);
	h.gfn = GFN + 1;
	put_page_hdr(out, &h);
	load_decrypt_buf(vmid, out);
	bs_expect_halt("load_decrypt_buf", "sealed page refused");
}

Test(boot_seal, page_swapped_between_pages_refused)
{
	/* Page A's ciphertext under page B's header (and nonce, tag). */
	uint8_t a[PAGE_SIZE], b[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t in_a = vm_page(vmid, 0x100, GFN, a, 1);
	uint64_t in_b = vm_page(vmid, 0x101, GFN + 1, b, 2);
	uint64_t out_a = bs_ram(0x200), out_b = bs_ram(0x210);

	save_encrypt_buf(vmid, in_a, out_a);
	save_encrypt_buf(vmid, in_b, out_b);
	bs_host_write(out_b, phys(out_a), PAGE_SIZE);
	load_decrypt_buf(vmid, out_b);
	bs_expect_halt("load_decrypt_buf", "sealed page refused");
}

Test(boot_seal, page_of_other_vm_refused)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);
	uint64_t out = sealed_page(vm1, data);
	struct cv_sealed_page_hdr h;

	h = page_hdr(out);
	h.vmid = vm2; /* even claiming to be VM 2's */
	put_page_hdr(out, &h);
	load_decrypt_buf(vm2, out);
	bs_expect_halt("load_decrypt_buf", "vm 2 pfn 0x40200: sealed page "
					   "refused");
	cr_assert_neq(memcmp(phys(out), data, PAGE_SIZE), 0);
}

Test(boot_seal, page_of_other_vm_as_is_refused)
{
	/* VM 1's blob, header untouched, handed to VM 2. */
	uint8_t data[PAGE_SIZE];
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);
	uint64_t out = sealed_page(vm1, data);

	load_decrypt_buf(vm2, out);
	bs_expect_halt("load_decrypt_buf", "vm 2 pfn 0x40200: sealed page "
					   "refused");
}

Test(boot_seal, page_not_sealed_refused)
{
	uint32_t vmid = bs_new_vm(1);

	load_decrypt_buf(vmid, bs_ram(0x200));
	bs_expect_halt("load_decrypt_buf", "not a sealed page");
	/* Refused before the page changed hands. */
	cr_assert_eq(cv_hosted_page_owner(bs_ram(0x200) / PAGE_SIZE),
		     HOSTVISOR);
}

Test(boot_seal, save_page_not_the_vms_panics)
{
	uint32_t vmid = bs_new_vm(1);

	save_encrypt_buf(vmid, bs_ram(0x100), bs_ram(0x200));
	bs_expect_halt("save_encrypt_buf", "in pfn 0x40100 owner 0");
}

Test(boot_seal, save_into_vm_page_panics)
{
	uint8_t data[PAGE_SIZE], other[PAGE_SIZE];
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);
	uint64_t in = vm_page(vm1, 0x100, GFN, data, 1);
	uint64_t victim = vm_page(vm2, 0x200, GFN, other, 2);

	save_encrypt_buf(vm1, in, victim);
	bs_expect_halt("save_encrypt_buf", "out pfn 0x40200 owners 2/0");
	cr_assert_eq(memcmp(phys(victim), other, PAGE_SIZE), 0);
}

Test(boot_seal, save_header_into_vm_page_panics)
{
	uint8_t data[PAGE_SIZE], other[PAGE_SIZE];
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);
	uint64_t in = vm_page(vm1, 0x100, GFN, data, 1);
	uint64_t victim = vm_page(vm2, 0x201, GFN, other, 2);

	save_encrypt_buf(vm1, in, victim - PAGE_SIZE);
	bs_expect_halt("save_encrypt_buf", "owners 0/2");
	cr_assert_eq(memcmp(phys(victim), other, PAGE_SIZE), 0);
}

Test(boot_seal, save_bad_args_panic)
{
	save_encrypt_buf(HOSTVISOR, bs_ram(0x100), bs_ram(0x200));
	bs_expect_halt("save_encrypt_buf", "bad args vm 0");
}

Test(boot_seal, save_halted_noop)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t in = vm_page(vmid, 0x100, GFN, data, 1);
	uint64_t out = bs_ram(0x200);

	bs_halt();
	save_encrypt_buf(vmid, in, out);
	cr_assert_eq(cv.nonce_counter, 0);
	cr_assert_eq(page_hdr(out).version, 0);
}

Test(boot_seal, load_vm_not_ready_panics)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t out = sealed_page(vmid, data);

	cv.vminfos[vmid].state = VERIFIED;
	load_decrypt_buf(vmid, out);
	bs_expect_halt("load_decrypt_buf", "state 3 not READY");
	cr_assert_eq(cv_hosted_page_owner(out / PAGE_SIZE), HOSTVISOR);
}

Test(boot_seal, load_page_not_the_hosts_panics)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t in = vm_page(vmid, 0x100, GFN, data, 1);

	load_decrypt_buf(vmid, in);
	bs_expect_halt("load_decrypt_buf", "owners 1/0 not host");
}

Test(boot_seal, load_header_not_the_hosts_panics)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t in = vm_page(vmid, 0x101, GFN, data, 1);

	load_decrypt_buf(vmid, in - PAGE_SIZE);
	bs_expect_halt("load_decrypt_buf", "owners 0/1 not host");
	cr_assert_eq(cv_hosted_page_owner(in / PAGE_SIZE - 1), HOSTVISOR);
}

Test(boot_seal, load_shared_host_page_panics)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t out = sealed_page(vmid, data);

	/* As if an SMMU still mapped the page: it must not change hands. */
	acquire_lock_s2page();
	set_pfn_count(out / PAGE_SIZE, 1);
	release_lock_s2page();
	load_decrypt_buf(vmid, out);
	bs_expect_halt("load_decrypt_buf", "share count 1");
	cr_assert_eq(cv_hosted_page_owner(out / PAGE_SIZE), HOSTVISOR);
}

Test(boot_seal, load_bad_args_panic)
{
	load_decrypt_buf(COREVISOR, bs_ram(0x200));
	bs_expect_halt("load_decrypt_buf", "bad args vm 16");
}

Test(boot_seal, load_halted_noop)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = bs_new_vm(1);
	uint64_t out = sealed_page(vmid, data);

	bs_halt();
	load_decrypt_buf(vmid, out);
	cr_assert_eq(cv_hosted_page_owner(out / PAGE_SIZE), HOSTVISOR);
	cr_assert_neq(memcmp(phys(out), data, PAGE_SIZE), 0);
}

/* ---- vCPUs ----------------------------------------------------------------
 */

static uint64_t vcpu_page(uint32_t vmid, uint32_t vcpuid)
{
	return cv.shared_base + CV_SHARED_VCPU_OFFSET(vmid, vcpuid);
}

static void fill_ctxt(uint32_t vmid, uint32_t vcpuid, uint32_t seed)
{
	bs_pattern(shadow_ctxt(vmid, vcpuid), sizeof(struct cv_ctxt), seed);
}

static struct cv_sealed_vcpu_hdr vcpu_hdr(uint32_t vmid, uint32_t vcpuid)
{
	struct cv_sealed_vcpu_hdr h;

	memcpy(&h, phys(vcpu_page(vmid, vcpuid)), sizeof(h));
	return h;
}

/* The host copies a sealed blob from one vCPU's page to another's. */
static void copy_blob(uint32_t vm_from, uint32_t vcpu_from, uint32_t vm_to,
		      uint32_t vcpu_to)
{
	bs_host_write(vcpu_page(vm_to, vcpu_to),
		      phys(vcpu_page(vm_from, vcpu_from)), PAGE_SIZE);
}

Test(boot_seal, vcpu_round_trip)
{
	struct cv_ctxt want;
	struct cv_sealed_vcpu_hdr h;
	uint32_t vmid = bs_new_vm(2);

	fill_ctxt(vmid, 1, 9);
	want = *shadow_ctxt(vmid, 1);
	cr_assert_eq(bs_hvc(HVC_SAVE_CRYPT_VCPU, vmid, 1, 0, 0, 0), 0);
	bs_expect_running();
	h = vcpu_hdr(vmid, 1);
	cr_assert_eq(memcmp(h.magic, CV_SEALED_VCPU_MAGIC, 8), 0);
	cr_assert_eq(h.vmid, vmid);
	cr_assert_eq(h.vcpuid, 1);
	cr_assert_eq(h.ctxt_bytes, sizeof(struct cv_ctxt));
	cr_assert_neq(memcmp(phys(vcpu_page(vmid, 1)) + sizeof(h), &want,
			     sizeof(want)),
		      0);
	/* Saving leaves the context as it was. */
	cr_assert_eq(memcmp(shadow_ctxt(vmid, 1), &want, sizeof(want)), 0);

	memset(shadow_ctxt(vmid, 1), 0, sizeof(want));
	cr_assert_eq(bs_hvc(HVC_IS_INC_EXE, vmid, 0, 0, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_LOAD_CRYPT_VCPU, vmid, 1, 0, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(memcmp(shadow_ctxt(vmid, 1), &want, sizeof(want)), 0);
	cr_assert_eq(bs_hvc(HVC_IS_INC_EXE, vmid, 0, 0, 0, 0), 1);
	cr_assert_eq(cv.vminfos[vmid].next_load_info, 0);
}

Test(boot_seal, vcpu_modified_ciphertext_refused)
{
	uint32_t vmid = bs_new_vm(1);
	uint8_t byte;

	fill_ctxt(vmid, 0, 9);
	save_encrypted_vcpu(vmid, 0);
	byte = phys(vcpu_page(vmid, 0))[200] ^ 0x80;
	bs_host_write(vcpu_page(vmid, 0) + 200, &byte, 1);
	load_encrypted_vcpu(vmid, 0);
	bs_expect_halt("load_encrypted_vcpu", "vm 1 vcpu 0: sealed context "
					      "refused");
	cr_assert_eq(cv.vminfos[vmid].inc_exe, 0);
}

Test(boot_seal, vcpu_of_other_vcpu_refused)
{
	uint32_t vmid = bs_new_vm(2);

	fill_ctxt(vmid, 0, 9);
	save_encrypted_vcpu(vmid, 0);
	copy_blob(vmid, 0, vmid, 1);
	load_encrypted_vcpu(vmid, 1);
	bs_expect_halt("load_encrypted_vcpu", "not a sealed vcpu 1 of vm 1");
}

Test(boot_seal, vcpu_relabelled_for_other_vcpu_refused)
{
	struct cv_sealed_vcpu_hdr h;
	uint32_t vmid = bs_new_vm(2);

	fill_ctxt(vmid, 0, 9);
	save_encrypted_vcpu(vmid, 0);
	copy_blob(vmid, 0, vmid, 1);
	h = vcpu_hdr(vmid, 1);
	h.vcpuid = 1;
	bs_host_write(vcpu_page(vmid, 1), &h, sizeof(h));
	load_encrypted_vcpu(vmid, 1);
	bs_expect_halt("load_encrypted_vcpu", "vcpu 1: sealed context refused");
}

Test(boot_seal, vcpu_of_other_vm_refused)
{
	struct cv_sealed_vcpu_hdr h;
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);

	fill_ctxt(vm1, 0, 9);
	save_encrypted_vcpu(vm1, 0);
	copy_blob(vm1, 0, vm2, 0);
	h = vcpu_hdr(vm2, 0);
	h.vmid = vm2;
	bs_host_write(vcpu_page(vm2, 0), &h, sizeof(h));
	load_encrypted_vcpu(vm2, 0);
	bs_expect_halt("load_encrypted_vcpu", "vm 2 vcpu 0: sealed context "
					      "refused");
	cr_assert_eq(cv.vminfos[vm2].inc_exe, 0);
}

Test(boot_seal, vcpu_wrong_size_refused)
{
	struct cv_sealed_vcpu_hdr h;
	uint32_t vmid = bs_new_vm(1);

	save_encrypted_vcpu(vmid, 0);
	h = vcpu_hdr(vmid, 0);
	h.ctxt_bytes -= 8;
	bs_host_write(vcpu_page(vmid, 0), &h, sizeof(h));
	load_encrypted_vcpu(vmid, 0);
	bs_expect_halt("load_encrypted_vcpu", "not a sealed vcpu");
}

Test(boot_seal, save_vcpu_not_ready_panics)
{
	uint32_t vmid = bs_new_vm(1);

	save_encrypted_vcpu(vmid, 1); /* never registered */
	bs_expect_halt("save_encrypted_vcpu", "vcpu 1 state 0 not READY");
}

Test(boot_seal, save_running_vcpu_panics)
{
	uint32_t vmid = bs_new_vm(1);

	cv.vminfos[vmid].vcpu_state[0] = ACTIVE;
	save_encrypted_vcpu(vmid, 0);
	bs_expect_halt("save_encrypted_vcpu", "vcpu 0 state 5 not READY");
}

Test(boot_seal, save_vcpu_into_vm_page_panics)
{
	/* The vCPU's shared page was given to a VM: never write it. */
	uint32_t vmid = bs_new_vm(1), other = bs_new_vm(0);
	uint64_t page = vcpu_page(vmid, 0);

	assign_smmu(other, page / PAGE_SIZE, 0x10);
	bs_expect_running();
	save_encrypted_vcpu(vmid, 0);
	bs_expect_halt("save_encrypted_vcpu", "not host memory");
	cr_assert_eq(vcpu_hdr(vmid, 0).version, 0);
}

Test(boot_seal, save_vcpu_bad_args_panic)
{
	save_encrypted_vcpu(1, VCPU_PER_VM);
	bs_expect_halt("save_encrypted_vcpu", "vm 1 vcpu 8 out of range");
}

Test(boot_seal, save_vcpu_halted_noop)
{
	uint32_t vmid = bs_new_vm(1);

	bs_halt();
	save_encrypted_vcpu(vmid, 0);
	cr_assert_eq(vcpu_hdr(vmid, 0).version, 0);
}

Test(boot_seal, load_vcpu_vm_not_ready_panics)
{
	uint32_t vmid = bs_new_vm(1);

	save_encrypted_vcpu(vmid, 0);
	cv.vminfos[vmid].state = VERIFIED;
	load_encrypted_vcpu(vmid, 0);
	bs_expect_halt("load_encrypted_vcpu", "vm 1 state 3 vcpu 0 state 2");
	cr_assert_eq(cv.vminfos[vmid].inc_exe, 0);
}

Test(boot_seal, load_vcpu_not_ready_panics)
{
	uint32_t vmid = bs_new_vm(1);

	load_encrypted_vcpu(vmid, 3);
	bs_expect_halt("load_encrypted_vcpu", "vcpu 3 state 0");
}

Test(boot_seal, load_vcpu_from_vm_page_panics)
{
	uint32_t vmid = bs_new_vm(1), other = bs_new_vm(0);

	save_encrypted_vcpu(vmid, 0);
	assign_smmu(other, vcpu_page(vmid, 0) / PAGE_SIZE, 0x10);
	load_encrypted_vcpu(vmid, 0);
	bs_expect_halt("load_encrypted_vcpu", "not host memory");
}

Test(boot_seal, load_vcpu_bad_args_panic)
{
	load_encrypted_vcpu(HOSTVISOR, 0);
	bs_expect_halt("load_encrypted_vcpu", "vm 0 vcpu 0 out of range");
}

Test(boot_seal, load_vcpu_halted_noop)
{
	uint32_t vmid = bs_new_vm(1);

	fill_ctxt(vmid, 0, 9);
	save_encrypted_vcpu(vmid, 0);
	memset(shadow_ctxt(vmid, 0), 0, sizeof(struct cv_ctxt));
	bs_halt();
	load_encrypted_vcpu(vmid, 0);
	cr_assert_eq(shadow_ctxt(vmid, 0)->regs[X0], 0);
	cr_assert_eq(cv.vminfos[vmid].inc_exe, 0);
}
