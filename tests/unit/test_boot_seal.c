// SPDX-License-Identifier: MIT
/*
 * core/boot, sealed state: save_encrypt_buf / load_decrypt_buf (a VM page
 * through two host pages) and save_encrypted_vcpu / load_encrypted_vcpu
 * (a vCPU through its shared page), and what every blob is bound to
 * (core/boot/lineage.c): the measurement of the VM's images, the VM
 * instance, and the instance's version (epoch). Round trips, a restore
 * after a reboot, and everything that must be refused: modified
 * ciphertext or header, blobs moved to another page or vCPU, restored
 * into another VM (live, mixed, restored twice), under other images, after
 * the VM ran again (rollback), a restored PC outside verified code, and
 * issue 13's attack (a new VM with no image restores a sealed VM's state
 * after a reboot). Plus each call's state and ownership panics and
 * halted no-ops.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/hosted.h>
#include <corevisor/sealed.h>
#include <cv/boot.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/state.h>

#include "boot_support.h"
#include "vm_support.h"

/* The AEAD key of every boot here: a reboot keeps it, as on a board. */
static const uint8_t aead_key[32] = {
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};

static void boot(void)
{
	bs_boot_aead(aead_key);
}

TestSuite(boot_seal, .init = boot);

#define GFN (VS_RAM_IPA / PAGE_SIZE) /* a RAM page beyond the image */
#define IMAGE_A 1U		     /* payload patterns: two programs */
#define IMAGE_B 2U

static struct vs_script script;

static uint8_t *phys(uint64_t pa)
{
	uint8_t *p = cv_hosted_phys(pa);

	cr_assert_not_null(p);
	return p;
}

/*
 * A VM of @nvcpus vCPUs with one image of payload pattern @image at
 * VS_IMAGE_IPA (entry: its first byte), loaded from host block @n, and
 * verified when @verify.
 */
static uint32_t image_vm(uint32_t nvcpus, uint32_t image, uint32_t n,
			 bool verify)
{
	uint8_t payload[VS_IMAGE_BYTES];
	uint8_t *img;
	size_t size;
	uint32_t vmid = bs_new_vm(nvcpus);

	bs_pattern(payload, sizeof(payload), image);
	img = bs_make_image(payload, sizeof(payload), VS_IMAGE_IPA, bs_sk,
			    &size);
	bs_load_image(vmid, VS_IMAGE_IPA, vs_image_pa(n), img, size);
	free(img);
	if (verify) {
		bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
		bs_expect_running();
		cr_assert_eq(cv_hosted_vm_state(vmid), VERIFIED);
	}
	return vmid;
}

static void verify(uint32_t vmid)
{
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
}

/*
 * A RAM page of VM @vmid at @gfn holding pattern @seed (in @data): host
 * page @n, given to the VM as a fault answer would give it.
 */
static uint64_t ram_page(uint32_t vmid, uint64_t n, uint64_t gfn,
			 uint8_t data[PAGE_SIZE], uint32_t seed)
{
	uint64_t pa = bs_ram(n);

	bs_pattern(data, PAGE_SIZE, seed);
	bs_host_write(pa, data, PAGE_SIZE);
	prot_and_map_vm_s2pt(vmid, gfn * PAGE_SIZE, pa, 3);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vmid);
	return pa;
}

/* VM @vmid's page at GFN (pattern 1, host page 0x100) sealed at @out. */
static uint64_t sealed_page_at(uint32_t vmid, uint8_t data[PAGE_SIZE],
			       uint64_t out)
{
	save_encrypt_buf(vmid, ram_page(vmid, 0x100, GFN, data, 1), out);
	bs_expect_running();
	return out;
}

static uint64_t sealed_page(uint32_t vmid, uint8_t data[PAGE_SIZE])
{
	return sealed_page_at(vmid, data, bs_ram(0x200));
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

static const struct cv_lineage *lineage(uint32_t vmid)
{
	cr_assert_neq(cv.vminfos[vmid].lineage, 0, "vm %u has no lineage",
		      vmid);
	return &cv.lineages[cv.vminfos[vmid].lineage];
}

/* The guest powers VM @vmid off (PSCI SYSTEM_OFF): its state may move. */
static void power_off(uint32_t vmid)
{
	set_vm_poweroff(vmid);
	bs_expect_running();
}

/* ---- pages ---------------------------------------------------------------
 */

Test(boot_seal, page_round_trip_into_a_vm_with_the_same_image)
{
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t in = ram_page(a, 0x100, GFN, data, 1);
	uint64_t out = bs_ram(0x200);
	struct cv_sealed_page_hdr h;

	cr_assert_eq(bs_hvc(HVC_ENCRYPT_BUF, a, in, out, 0, 0), 0);
	bs_expect_running();
	h = page_hdr(out);
	cr_assert_eq(memcmp(h.magic, CV_SEALED_PAGE_MAGIC, 8), 0);
	cr_assert_eq(h.version, CV_SEALED_VERSION);
	cr_assert_eq(h.flags, 0);
	cr_assert_eq(h.gfn, GFN);
	cr_assert_eq(memcmp(h.bind.measurement, cv.vminfos[a].measurement, 32),
		     0);
	cr_assert_eq(memcmp(h.bind.instance, lineage(a)->instance, 16), 0);
	cr_assert_eq(h.bind.epoch, 1);
	cr_assert_neq(memcmp(phys(out), data, PAGE_SIZE), 0);
	/* The VM's page is untouched. */
	cr_assert_eq(memcmp(phys(in), data, PAGE_SIZE), 0);

	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	cr_assert_eq(bs_hvc(HVC_DECRYPT_BUF, b, out, 0, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(out / PAGE_SIZE), b);
	cr_assert_eq(cv_hosted_page_count(out / PAGE_SIZE), 0);
	cr_assert_eq(cv_hosted_page_gfn(out / PAGE_SIZE), GFN);
	cr_assert(bs_unmapped(HOSTVISOR, out));
	cr_assert_eq(memcmp(phys(out), data, PAGE_SIZE), 0);
	/* The header page stays the host's. */
	cr_assert_eq(cv_hosted_page_owner(out / PAGE_SIZE + 1), HOSTVISOR);
	/* B carries A's instance on, and verifies: same measurement. */
	verify(b);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(b), VERIFIED);
	cr_assert_eq(memcmp(lineage(b)->instance, h.bind.instance, 16), 0);
	cr_assert_eq(lineage(b)->holder, b);
	cr_assert_eq(cv.vminfos[b].vcpu_power[0], VCPU_OFF,
		     "a restored VM does not boot again");
	vs_inv();
}

Test(boot_seal, page_nonces_never_repeat)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = image_vm(1, IMAGE_A, 0, true);
	uint64_t in = ram_page(vmid, 0x100, GFN, data, 1);
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

Test(boot_seal, instances_differ_between_vms_and_boots)
{
	uint32_t a = image_vm(1, IMAGE_A, 0, true);
	uint32_t b = image_vm(1, IMAGE_A, 1, true);
	uint8_t first[16];

	cr_assert_eq(memcmp(cv.vminfos[a].measurement,
			    cv.vminfos[b].measurement, 32),
		     0, "same images, same measurement");
	cr_assert_neq(memcmp(lineage(a)->instance, lineage(b)->instance, 16),
		      0);
	memcpy(first, lineage(a)->instance, 16);
	boot();
	a = image_vm(1, IMAGE_A, 0, true);
	cr_assert_neq(memcmp(lineage(a)->instance, first, 16), 0,
		      "vm 1 of the next boot is another instance");
}

Test(boot_seal, page_gfn_binds_where_vm_maps_it)
{
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);

	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	load_decrypt_buf(b, out);
	assign_pfn_to_vm(b, GFN, out / PAGE_SIZE);
	bs_expect_running();
	assign_pfn_to_vm(b, GFN + 1, out / PAGE_SIZE);
	bs_expect_halt("assign_pfn_to_vm", "at gfn 0x80400 not 0x80401");
}

Test(boot_seal, page_modified_ciphertext_refused)
{
	uint8_t data[PAGE_SIZE], byte;
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);

	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	byte = phys(out)[100] ^ 1;
	bs_host_write(out + 100, &byte, 1);
	load_decrypt_buf(b, out);
	bs_expect_halt("load_decrypt_buf", "sealed page refused");
	/* Nothing unauthenticated is left in the page. */
	for (int i = 0; i < (int)PAGE_SIZE; i++)
		cr_assert_eq(phys(out)[i], 0);
}

Test(boot_seal, page_moved_to_other_gfn_refused)
{
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);
	struct cv_sealed_page_hdr h;

	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	h = page_hdr(out);
	h.gfn = GFN + 1;
	put_page_hdr(out, &h);
	load_decrypt_buf(b, out);
	bs_expect_halt("load_decrypt_buf", "sealed page refused");
}

Test(boot_seal, page_binding_fields_are_authenticated)
{
	/* Each binding field changed in the header: the AEAD refuses. */
	for (int field = 0; field < 3; field++) {
		uint8_t data[PAGE_SIZE];
		uint32_t a, b;
		uint64_t out;
		struct cv_sealed_page_hdr h;

		boot();
		a = image_vm(1, IMAGE_A, 0, true);
		out = sealed_page(a, data);
		power_off(a);
		b = image_vm(1, IMAGE_A, 1, false);
		h = page_hdr(out);
		if (field == 0)
			h.bind.measurement[5] ^= 1;
		else if (field == 1)
			h.bind.instance[0] ^= 1;
		else
			h.bind.epoch++;
		put_page_hdr(out, &h);
		load_decrypt_buf(b, out);
		bs_expect_halt("load_decrypt_buf", "sealed page refused");
	}
}

Test(boot_seal, page_swapped_between_pages_refused)
{
	/* Page A's ciphertext under page B's header (and nonce, tag). */
	uint8_t a[PAGE_SIZE], b[PAGE_SIZE];
	uint32_t vm1 = image_vm(1, IMAGE_A, 0, true), vm2;
	uint64_t in_a = ram_page(vm1, 0x100, GFN, a, 1);
	uint64_t in_b = ram_page(vm1, 0x101, GFN + 1, b, 2);
	uint64_t out_a = bs_ram(0x200), out_b = bs_ram(0x210);

	save_encrypt_buf(vm1, in_a, out_a);
	save_encrypt_buf(vm1, in_b, out_b);
	power_off(vm1);
	vm2 = image_vm(1, IMAGE_A, 1, false);
	bs_host_write(out_b, phys(out_a), PAGE_SIZE);
	load_decrypt_buf(vm2, out_b);
	bs_expect_halt("load_decrypt_buf", "sealed page refused");
}

Test(boot_seal, page_not_sealed_refused)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, false);

	load_decrypt_buf(vmid, bs_ram(0x200));
	bs_expect_halt("load_decrypt_buf", "not a sealed page");
	/* Refused before the page changed hands. */
	cr_assert_eq(cv_hosted_page_owner(bs_ram(0x200) / PAGE_SIZE),
		     HOSTVISOR);
}

Test(boot_seal, page_of_format_1_refused)
{
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);
	struct cv_sealed_page_hdr h;

	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	h = page_hdr(out);
	h.version = 1;
	put_page_hdr(out, &h);
	load_decrypt_buf(b, out);
	bs_expect_halt("load_decrypt_buf", "not a sealed page");
}

Test(boot_seal, save_page_not_the_vms_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, true);

	save_encrypt_buf(vmid, bs_ram(0x100), bs_ram(0x200));
	bs_expect_halt("save_encrypt_buf", "in pfn 0x40100 owner 0");
}

Test(boot_seal, save_into_vm_page_panics)
{
	uint8_t data[PAGE_SIZE], other[PAGE_SIZE];
	uint32_t vm1 = image_vm(1, IMAGE_A, 0, true);
	uint32_t vm2 = image_vm(1, IMAGE_B, 1, true);
	uint64_t in = ram_page(vm1, 0x100, GFN, data, 1);
	uint64_t victim = ram_page(vm2, 0x200, GFN, other, 2);

	save_encrypt_buf(vm1, in, victim);
	bs_expect_halt("save_encrypt_buf", "out pfn 0x40200 owners 2/0");
	cr_assert_eq(memcmp(phys(victim), other, PAGE_SIZE), 0);
}

Test(boot_seal, save_header_into_vm_page_panics)
{
	uint8_t data[PAGE_SIZE], other[PAGE_SIZE];
	uint32_t vm1 = image_vm(1, IMAGE_A, 0, true);
	uint32_t vm2 = image_vm(1, IMAGE_B, 1, true);
	uint64_t in = ram_page(vm1, 0x100, GFN, data, 1);
	uint64_t victim = ram_page(vm2, 0x201, GFN, other, 2);

	save_encrypt_buf(vm1, in, victim - PAGE_SIZE);
	bs_expect_halt("save_encrypt_buf", "owners 0/2");
	cr_assert_eq(memcmp(phys(victim), other, PAGE_SIZE), 0);
}

Test(boot_seal, save_from_an_unverified_vm_panics)
{
	/* A READY VM has no measurement yet: nothing to bind a blob to. */
	uint32_t vmid = image_vm(1, IMAGE_A, 0, false);

	assign_smmu(vmid, bs_ram(0x100) / PAGE_SIZE, GFN);
	save_encrypt_buf(vmid, bs_ram(0x100), bs_ram(0x200));
	bs_expect_halt("save_encrypt_buf", "only a verified VM is sealed");
	cr_assert_eq(page_hdr(bs_ram(0x200)).version, 0);
}

Test(boot_seal, save_while_a_vcpu_runs_panics)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = image_vm(2, IMAGE_A, 0, true);
	uint64_t in = ram_page(vmid, 0x100, GFN, data, 1);

	cv.vminfos[vmid].vcpu_state[1] = ACTIVE; /* running on another CPU */
	save_encrypt_buf(vmid, in, bs_ram(0x200));
	bs_expect_halt("save_encrypt_buf", "vm 1 vcpu 1 is running");
}

Test(boot_seal, save_after_the_state_moved_on_panics)
{
	/* A's state went on in B: A may no longer seal (a fork). */
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);

	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	load_decrypt_buf(b, out);
	bs_expect_running();
	save_encrypt_buf(a, bs_ram(0x100) /* still A's */, bs_ram(0x300));
	bs_expect_halt("save_encrypt_buf", "state moved on to vm 2");
	(void)data;
}

Test(boot_seal, save_bad_args_panic)
{
	save_encrypt_buf(HOSTVISOR, bs_ram(0x100), bs_ram(0x200));
	bs_expect_halt("save_encrypt_buf", "bad args vm 0");
}

Test(boot_seal, save_halted_noop)
{
	uint8_t data[PAGE_SIZE];
	uint32_t vmid = image_vm(1, IMAGE_A, 0, true);
	uint64_t in = ram_page(vmid, 0x100, GFN, data, 1);
	uint64_t out = bs_ram(0x200);

	bs_halt();
	save_encrypt_buf(vmid, in, out);
	cr_assert_eq(cv.nonce_counter, 0);
	cr_assert_eq(page_hdr(out).version, 0);
}

Test(boot_seal, load_vm_not_ready_panics)
{
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true);
	uint64_t out = sealed_page(a, data);

	load_decrypt_buf(a, out);
	bs_expect_halt("load_decrypt_buf", "state 3 not READY");
	cr_assert_eq(cv_hosted_page_owner(out / PAGE_SIZE), HOSTVISOR);
}

Test(boot_seal, load_page_not_the_hosts_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, false);

	assign_smmu(vmid, bs_ram(0x100) / PAGE_SIZE, GFN);
	load_decrypt_buf(vmid, bs_ram(0x100));
	bs_expect_halt("load_decrypt_buf", "owners 1/0 not host");
}

Test(boot_seal, load_header_not_the_hosts_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, false);

	assign_smmu(vmid, bs_ram(0x101) / PAGE_SIZE, GFN);
	load_decrypt_buf(vmid, bs_ram(0x100));
	bs_expect_halt("load_decrypt_buf", "owners 0/1 not host");
	cr_assert_eq(cv_hosted_page_owner(bs_ram(0x100) / PAGE_SIZE),
		     HOSTVISOR);
}

Test(boot_seal, load_shared_host_page_panics)
{
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);

	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	/* As if an SMMU still mapped the page: it must not change hands. */
	acquire_lock_s2page();
	set_pfn_count(out / PAGE_SIZE, 1);
	release_lock_s2page();
	load_decrypt_buf(b, out);
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
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);

	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	bs_halt();
	load_decrypt_buf(b, out);
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

/* VM @a sealed vCPU @vcpuid (context pattern 9), then powered off. */
static void sealed_vcpu(uint32_t a, uint32_t vcpuid)
{
	fill_ctxt(a, vcpuid, 9);
	save_encrypted_vcpu(a, vcpuid);
	bs_expect_running();
	power_off(a);
}

Test(boot_seal, vcpu_round_trip)
{
	struct cv_ctxt want;
	struct cv_sealed_vcpu_hdr h;
	uint32_t a = image_vm(2, IMAGE_A, 0, true), b;

	fill_ctxt(a, 1, 9);
	want = *shadow_ctxt(a, 1);
	cr_assert_eq(bs_hvc(HVC_SAVE_CRYPT_VCPU, a, 1, 0, 0, 0), 0);
	bs_expect_running();
	h = vcpu_hdr(a, 1);
	cr_assert_eq(memcmp(h.magic, CV_SEALED_VCPU_MAGIC, 8), 0);
	cr_assert_eq(h.version, CV_SEALED_VERSION);
	cr_assert_eq(h.vcpuid, 1);
	cr_assert_eq(h.state_bytes, sizeof(struct cv_ctxt) + 24);
	cr_assert_eq(h.bind.epoch, 1);
	cr_assert_neq(
		memcmp(phys(vcpu_page(a, 1)) + sizeof(h), &want, sizeof(want)),
		0);
	/* Saving leaves the context as it was. */
	cr_assert_eq(memcmp(shadow_ctxt(a, 1), &want, sizeof(want)), 0);

	power_off(a);
	b = image_vm(2, IMAGE_A, 1, false);
	copy_blob(a, 1, b, 1);
	cr_assert_eq(bs_hvc(HVC_IS_INC_EXE, b, 0, 0, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_LOAD_CRYPT_VCPU, b, 1, 0, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(memcmp(shadow_ctxt(b, 1), &want, sizeof(want)), 0);
	cr_assert_eq(bs_hvc(HVC_IS_INC_EXE, b, 0, 0, 0, 0), 1);
	cr_assert_eq(cv.vminfos[b].vcpu_power[1], VCPU_OFF,
		     "sealed before it was started: still off");
	verify(b);
	bs_expect_running();
}

/*
 * The whole point: a VM's running vCPU and a page sealed, the VM powered
 * off, its state brought back into a new VM with the same image, which
 * resumes where it was, registers and memory intact.
 */
Test(boot_seal, a_running_vm_resumes_in_another_vm)
{
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out;

	memset(&script, 0, sizeof(script));
	script.ops[0] = (struct vs_op){OP_MOV, 0x5ec2e7, 0, 19, 0};
	script.ops[1] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
	script.ops[2] = (struct vs_op){OP_SNAP, 0, 0, 0, 0};
	script.ops[3] = (struct vs_op){OP_LOAD, VS_RAM_IPA + 8, 8, 20, 0};
	script.ops[4] = (struct vs_op){OP_SNAP, 1, 0, 0, 0};
	script.ops[5] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
	vs_set_script(a, &script);
	cr_assert_eq(vs_run(a, 0), CV_EXIT_WFX);
	cr_assert_eq(script.nsnaps, 0);
	out = sealed_page(a, data);
	save_encrypted_vcpu(a, 0);
	bs_expect_running();
	power_off(a);

	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	load_encrypted_vcpu(b, 0);
	load_decrypt_buf(b, out);
	verify(b);
	bs_expect_running();
	vs_set_script(b, &script);
	/* The host maps the restored page where it was (gfn bound). */
	vs_answer_fault(b, 0, VS_RAM_IPA, out, 3);
	cr_assert_eq(vs_run(b, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.snaps[0].pc, VS_PC(2), "resumed after the WFI");
	cr_assert_eq(script.snaps[0].x[19], 0x5ec2e7);
	cr_assert_eq(script.snaps[1].x[20], *(uint64_t *)(data + 8),
		     "the restored page's bytes");
	vs_inv();
}

Test(boot_seal, vcpu_modified_ciphertext_refused)
{
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint8_t byte;

	sealed_vcpu(a, 0);
	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	byte = phys(vcpu_page(b, 0))[200] ^ 0x80;
	bs_host_write(vcpu_page(b, 0) + 200, &byte, 1);
	load_encrypted_vcpu(b, 0);
	bs_expect_halt("load_encrypted_vcpu", "vm 2 vcpu 0: sealed context "
					      "refused");
	cr_assert_eq(cv.vminfos[b].inc_exe, 0);
}

Test(boot_seal, vcpu_of_other_vcpu_refused)
{
	uint32_t a = image_vm(2, IMAGE_A, 0, true), b;

	sealed_vcpu(a, 0);
	b = image_vm(2, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 1);
	load_encrypted_vcpu(b, 1);
	bs_expect_halt("load_encrypted_vcpu", "not a sealed vcpu 1");
}

Test(boot_seal, vcpu_relabelled_for_other_vcpu_refused)
{
	struct cv_sealed_vcpu_hdr h;
	uint32_t a = image_vm(2, IMAGE_A, 0, true), b;

	sealed_vcpu(a, 0);
	b = image_vm(2, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 1);
	h = vcpu_hdr(b, 1);
	h.vcpuid = 1;
	bs_host_write(vcpu_page(b, 1), &h, sizeof(h));
	load_encrypted_vcpu(b, 1);
	bs_expect_halt("load_encrypted_vcpu", "vcpu 1: sealed context refused");
}

Test(boot_seal, vcpu_wrong_size_refused)
{
	struct cv_sealed_vcpu_hdr h;
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;

	sealed_vcpu(a, 0);
	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	h = vcpu_hdr(b, 0);
	h.state_bytes -= 8;
	bs_host_write(vcpu_page(b, 0), &h, sizeof(h));
	load_encrypted_vcpu(b, 0);
	bs_expect_halt("load_encrypted_vcpu", "not a sealed vcpu");
}

Test(boot_seal, save_vcpu_not_ready_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, true);

	save_encrypted_vcpu(vmid, 1); /* never registered */
	bs_expect_halt("save_encrypted_vcpu", "vcpu 1 state 0 not READY");
}

Test(boot_seal, save_running_vcpu_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, true);

	cv.vminfos[vmid].vcpu_state[0] = ACTIVE;
	save_encrypted_vcpu(vmid, 0);
	bs_expect_halt("save_encrypted_vcpu", "vcpu 0 state 5 not READY");
}

Test(boot_seal, save_vcpu_of_an_unverified_vm_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, false);

	save_encrypted_vcpu(vmid, 0);
	bs_expect_halt("save_encrypted_vcpu", "only a verified VM is sealed");
	cr_assert_eq(vcpu_hdr(vmid, 0).version, 0);
}

/*
 * corevisor: a registered vCPU's shared page is pinned (pin_run_page): it
 * cannot be given to a VM, so the sealing calls never meet one that was.
 */
Test(boot_seal, save_vcpu_page_cannot_be_given_to_a_vm)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, true), other = bs_new_vm(0);
	uint64_t page = vcpu_page(vmid, 0);

	assign_smmu(other, page / PAGE_SIZE, 0x10);
	bs_expect_halt("assign_pfn_to_smmu", "run page");
	cr_assert_eq(cv_hosted_page_owner(page / PAGE_SIZE), HOSTVISOR);
	cr_assert_eq(vcpu_hdr(vmid, 0).version, 0);
}

Test(boot_seal, save_vcpu_bad_args_panic)
{
	save_encrypted_vcpu(1, VCPU_PER_VM);
	bs_expect_halt("save_encrypted_vcpu", "vm 1 vcpu 8 out of range");
}

Test(boot_seal, save_vcpu_halted_noop)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, true);

	bs_halt();
	save_encrypted_vcpu(vmid, 0);
	cr_assert_eq(vcpu_hdr(vmid, 0).version, 0);
}

Test(boot_seal, load_vcpu_vm_not_ready_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, true);

	save_encrypted_vcpu(vmid, 0);
	load_encrypted_vcpu(vmid, 0);
	bs_expect_halt("load_encrypted_vcpu", "vm 1 state 3 vcpu 0 state 2");
	cr_assert_eq(cv.vminfos[vmid].inc_exe, 0);
}

Test(boot_seal, load_vcpu_not_ready_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, false);

	load_encrypted_vcpu(vmid, 3);
	bs_expect_halt("load_encrypted_vcpu", "vcpu 3 state 0");
}

/* The defensive check behind the pin: only corruption reaches it. */
Test(boot_seal, save_vcpu_into_a_page_that_is_not_the_hosts_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, true), other = bs_new_vm(0);
	uint64_t page = vcpu_page(vmid, 0);

	cv.s2page[get_s2_page_index(page)].owner = other;
	save_encrypted_vcpu(vmid, 0);
	bs_expect_halt("save_encrypted_vcpu", "not host memory");
	cr_assert_eq(vcpu_hdr(vmid, 0).version, 0);
}

Test(boot_seal, load_vcpu_page_cannot_be_given_to_a_vm)
{
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b, other;

	sealed_vcpu(a, 0);
	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	other = bs_new_vm(0);
	assign_smmu(other, vcpu_page(b, 0) / PAGE_SIZE, 0x10);
	bs_expect_halt("assign_pfn_to_smmu", "run page");
	cr_assert_eq(cv_hosted_page_owner(vcpu_page(b, 0) / PAGE_SIZE),
		     HOSTVISOR);
}

Test(boot_seal, load_vcpu_bad_args_panic)
{
	load_encrypted_vcpu(HOSTVISOR, 0);
	bs_expect_halt("load_encrypted_vcpu", "vm 0 vcpu 0 out of range");
}

Test(boot_seal, load_vcpu_halted_noop)
{
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;

	sealed_vcpu(a, 0);
	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	bs_halt();
	load_encrypted_vcpu(b, 0);
	cr_assert_eq(shadow_ctxt(b, 0)->regs[X0], 0);
	cr_assert_eq(cv.vminfos[b].inc_exe, 0);
}

/* ---- the binding: which VM a blob may go back into -----------------------
 */

Test(boot_seal, restore_into_another_vm_while_the_first_lives_refused)
{
	/* A still runs (VERIFIED): its state must not fork into B. */
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);

	b = image_vm(1, IMAGE_A, 1, false);
	load_decrypt_buf(b, out);
	bs_expect_halt("load_decrypt_buf", "instance lives on in vm 1");
}

Test(boot_seal, vcpu_into_another_vm_while_the_first_lives_refused)
{
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;

	save_encrypted_vcpu(a, 0);
	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	load_encrypted_vcpu(b, 0);
	bs_expect_halt("load_encrypted_vcpu", "instance lives on in vm 1");
	cr_assert_eq(cv.vminfos[b].inc_exe, 0);
}

Test(boot_seal, restored_twice_refused)
{
	/* The same blob into C after B took A's state: a fork. */
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b, c;
	uint64_t out = sealed_page(a, data);
	uint8_t blob[2 * PAGE_SIZE];

	memcpy(blob, phys(out), sizeof(blob));
	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	load_decrypt_buf(b, out);
	bs_expect_running();
	c = image_vm(1, IMAGE_A, 2, false);
	bs_host_write(bs_ram(0x400), blob, sizeof(blob));
	load_decrypt_buf(c, bs_ram(0x400));
	bs_expect_halt("load_decrypt_buf", "instance lives on in vm 2");
}

Test(boot_seal, mixing_two_instances_refused)
{
	/*
	 * A1 and A2 run the same image (two tenants): one VM must not
	 * take A1's page and A2's vCPU.
	 */
	uint8_t data[PAGE_SIZE];
	uint32_t a1 = image_vm(1, IMAGE_A, 0, true);
	uint32_t a2 = image_vm(1, IMAGE_A, 1, true), b;
	uint64_t out = sealed_page(a1, data);

	save_encrypted_vcpu(a2, 0);
	power_off(a1);
	power_off(a2);
	b = image_vm(1, IMAGE_A, 2, false);
	load_decrypt_buf(b, out);
	bs_expect_running();
	copy_blob(a2, 0, b, 0);
	load_encrypted_vcpu(b, 0);
	bs_expect_halt("load_encrypted_vcpu", "another instance");
}

Test(boot_seal, restore_under_other_images_refused)
{
	/* B runs another program: A's state never becomes B's. */
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);

	save_encrypted_vcpu(a, 0);
	power_off(a);
	b = image_vm(1, IMAGE_B, 1, false);
	copy_blob(a, 0, b, 0);
	load_encrypted_vcpu(b, 0);
	load_decrypt_buf(b, out);
	bs_expect_running();
	verify(b);
	bs_expect_halt("verify_and_load_images",
		       "do not measure what its restored state was sealed for");
	cr_assert_eq(cv_hosted_vm_state(b), READY, "B never runs");
}

/*
 * Issue 13's attack: the host seals a VM's vCPU and a page, reboots,
 * registers a new VM 1 with no image at all, restores both, and would run
 * its own code at the restored PC (given through a fault answer) to read
 * the secrets. The new VM's (empty) measurement is not the sealed one:
 * VERIFY_VM_IMAGES refuses it, nothing of it ever runs.
 */
Test(boot_seal, reboot_then_restore_into_a_vm_without_image_refused)
{
	uint8_t data[PAGE_SIZE], page_blob[2 * PAGE_SIZE], vcpu_blob[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), evil;
	uint64_t out = sealed_page(a, data);

	shadow_ctxt(a, 0)->regs[X19] = 0x5ec2e7; /* a secret in a register */
	save_encrypted_vcpu(a, 0);
	bs_expect_running();
	memcpy(page_blob, phys(out), sizeof(page_blob));
	memcpy(vcpu_blob, phys(vcpu_page(a, 0)), sizeof(vcpu_blob));

	boot(); /* the same key: the same board, rebooted */
	evil = bs_new_vm(1);
	cr_assert_eq(evil, a, "vmids start again at 1");
	bs_host_write(vcpu_page(evil, 0), vcpu_blob, sizeof(vcpu_blob));
	bs_host_write(out, page_blob, sizeof(page_blob));
	load_encrypted_vcpu(evil, 0);
	load_decrypt_buf(evil, out);
	bs_expect_running();
	verify(evil);
	bs_expect_halt("verify_and_load_images",
		       "do not measure what its restored state was sealed for");
	cr_assert_eq(cv_hosted_vm_state(evil), READY);
	cr_assert_eq(vs_run(evil, 0), 0);
	cr_assert_eq(cv_hosted_vcpu_runs(), 0, "nothing of it ever ran");
}

Test(boot_seal, reboot_then_restore_into_the_same_image_resumes)
{
	uint8_t data[PAGE_SIZE], page_blob[2 * PAGE_SIZE], vcpu_blob[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);
	uint8_t instance[16];

	shadow_ctxt(a, 0)->regs[X19] = 0x5ec2e7;
	save_encrypted_vcpu(a, 0);
	memcpy(instance, lineage(a)->instance, 16);
	memcpy(page_blob, phys(out), sizeof(page_blob));
	memcpy(vcpu_blob, phys(vcpu_page(a, 0)), sizeof(vcpu_blob));

	boot();
	b = image_vm(1, IMAGE_A, 3, false);
	bs_host_write(vcpu_page(b, 0), vcpu_blob, sizeof(vcpu_blob));
	bs_host_write(out, page_blob, sizeof(page_blob));
	load_encrypted_vcpu(b, 0);
	load_decrypt_buf(b, out);
	verify(b);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(b), VERIFIED);
	cr_assert_eq(vs_shadow(b, 0, X19), 0x5ec2e7);
	cr_assert_eq(memcmp(phys(out), data, PAGE_SIZE), 0);
	cr_assert_eq(memcmp(lineage(b)->instance, instance, 16), 0,
		     "the instance goes on across the reboot");
}

Test(boot_seal, older_page_refused_after_the_vm_ran_and_sealed_again)
{
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t in = ram_page(a, 0x100, GFN, data, 1);
	uint64_t v1 = bs_ram(0x200), v2 = bs_ram(0x210);

	save_encrypt_buf(a, in, v1);
	cr_assert_eq(vs_run(a, 0), CV_EXIT_IRQ); /* the VM runs on */
	save_encrypt_buf(a, in, v2);
	bs_expect_running();
	cr_assert_eq(page_hdr(v1).bind.epoch, 1);
	cr_assert_eq(page_hdr(v2).bind.epoch, 2);
	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	load_decrypt_buf(b, v1);
	bs_expect_halt("load_decrypt_buf",
		       "blob of version 1, the instance is at version 2");
}

Test(boot_seal, latest_page_accepted_after_the_vm_ran)
{
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t in = ram_page(a, 0x100, GFN, data, 1);
	uint64_t v1 = bs_ram(0x200), v2 = bs_ram(0x210);

	save_encrypt_buf(a, in, v1);
	vs_run(a, 0);
	save_encrypt_buf(a, in, v2);
	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	load_decrypt_buf(b, v2);
	bs_expect_running();
	cr_assert_eq(memcmp(phys(v2), data, PAGE_SIZE), 0);
}

Test(boot_seal, older_vcpu_refused_after_the_vm_ran_and_sealed_again)
{
	uint8_t old_blob[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;

	save_encrypted_vcpu(a, 0);
	memcpy(old_blob, phys(vcpu_page(a, 0)), sizeof(old_blob));
	vs_run(a, 0);
	save_encrypted_vcpu(a, 0);
	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	bs_host_write(vcpu_page(b, 0), old_blob, sizeof(old_blob));
	load_encrypted_vcpu(b, 0);
	bs_expect_halt("load_encrypted_vcpu",
		       "blob of version 1, the instance is at version 2");
	cr_assert_eq(cv.vminfos[b].inc_exe, 0);
}

Test(boot_seal, a_snapshot_taken_before_the_vm_ran_again_is_stale)
{
	/* Sealed once, then the VM ran (and was not sealed again). */
	uint8_t data[PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t out = sealed_page(a, data);

	vs_run(a, 0);
	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	load_decrypt_buf(b, out);
	bs_expect_halt("load_decrypt_buf", "version 1, the instance is at "
					   "version 2");
}

Test(boot_seal, mixing_versions_after_a_reboot_refused)
{
	/* After a reboot nothing is known; one VM still takes one version. */
	uint8_t data[PAGE_SIZE], blob1[PAGE_SIZE], page2[2 * PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;
	uint64_t in = ram_page(a, 0x100, GFN, data, 1), out = bs_ram(0x200);

	save_encrypted_vcpu(a, 0);
	memcpy(blob1, phys(vcpu_page(a, 0)), sizeof(blob1));
	vs_run(a, 0);
	save_encrypt_buf(a, in, out);
	memcpy(page2, phys(out), sizeof(page2));

	boot();
	b = image_vm(1, IMAGE_A, 1, false);
	bs_host_write(out, page2, sizeof(page2));
	load_decrypt_buf(b, out);
	bs_expect_running();
	bs_host_write(vcpu_page(b, 0), blob1, sizeof(blob1));
	load_encrypted_vcpu(b, 0);
	bs_expect_halt("load_encrypted_vcpu",
		       "blob of version 1, the instance is at version 2");
}

Test(boot_seal, the_restored_vm_running_moves_the_version_on)
{
	/* B resumes A; once B ran, A's blobs are an older version too. */
	uint8_t data[PAGE_SIZE], blob[2 * PAGE_SIZE];
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b, c;
	uint64_t out = sealed_page(a, data);

	save_encrypted_vcpu(a, 0);
	memcpy(blob, phys(out), sizeof(blob));
	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	load_encrypted_vcpu(b, 0);
	load_decrypt_buf(b, out);
	verify(b);
	bs_expect_running();
	vs_run(b, 0);
	cr_assert_eq(lineage(b)->epoch, 2);
	power_off(b);
	c = image_vm(1, IMAGE_A, 2, false);
	bs_host_write(bs_ram(0x400), blob, sizeof(blob));
	load_decrypt_buf(c, bs_ram(0x400));
	bs_expect_halt("load_decrypt_buf", "version 1, the instance is at "
					   "version 2");
}

Test(boot_seal, restored_pc_outside_verified_code_refused)
{
	/* A's vCPU ran into RAM (code the host gave it), sealed there. */
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;

	memset(&script, 0, sizeof(script));
	script.ops[0] = (struct vs_op){OP_JUMP, VS_RAM_IPA, 0, 0, 0};
	vs_set_script(a, &script);
	cr_assert_eq(vs_run(a, 0), CV_EXIT_MEM_FAULT, "fetch from RAM");
	cr_assert_eq(vs_shadow(a, 0, PC), VS_RAM_IPA);
	save_encrypted_vcpu(a, 0);
	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	load_encrypted_vcpu(b, 0);
	bs_expect_running();
	verify(b);
	bs_expect_halt("verify_and_load_images",
		       "restored vcpu 0 pc 0x80400000 is outside verified "
		       "code");
	cr_assert_eq(cv_hosted_vm_state(b), READY);
}

Test(boot_seal, restored_pc_in_the_trailer_is_not_code)
{
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;

	memset(&script, 0, sizeof(script));
	vs_set_script(a, &script);
	vs_run(a, 0); /* started: its context is a running one */
	shadow_ctxt(a, 0)->regs[PC] = VS_IMAGE_IPA + VS_IMAGE_BYTES + 8;
	save_encrypted_vcpu(a, 0);
	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	load_encrypted_vcpu(b, 0);
	verify(b);
	bs_expect_halt("verify_and_load_images", "outside verified code");
}

Test(boot_seal, restored_pc_at_a_high_va_with_the_mmu_on_restores)
{
	/*
	 * A guest kernel runs at a virtual address (SCTLR_EL1.M set): its
	 * PC is no IPA, and the seal vouches for it (issue 11, item 4).
	 */
	uint32_t a = image_vm(1, IMAGE_A, 0, true), b;

	memset(&script, 0, sizeof(script));
	vs_set_script(a, &script);
	vs_run(a, 0);
	shadow_ctxt(a, 0)->regs[PC] = 0xffff800010081234ULL;
	shadow_ctxt(a, 0)->regs[SCTLR_EL1] |= 1; /* M: stage 1 on */
	save_encrypted_vcpu(a, 0);
	power_off(a);
	b = image_vm(1, IMAGE_A, 1, false);
	copy_blob(a, 0, b, 0);
	load_encrypted_vcpu(b, 0);
	verify(b);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(b), VERIFIED);
	cr_assert_eq(shadow_ctxt(b, 0)->regs[PC], 0xffff800010081234ULL);
	vs_inv();
}

Test(boot_seal, save_from_a_vm_powered_off_before_verify_panics)
{
	uint32_t vmid = image_vm(1, IMAGE_A, 0, false);

	power_off(vmid);
	save_encrypted_vcpu(vmid, 0);
	bs_expect_halt("save_encrypted_vcpu", "only a verified VM is sealed");
}
