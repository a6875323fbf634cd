// SPDX-License-Identifier: MIT
/*
 * core/boot, signed images: BootAux (unmap_and_load_vm_image),
 * verify_image and verify_and_load_images, and the whole boot protocol as
 * the host drives it through hypercalls. Images are signed here with
 * libsodium from docs/image-format.md. After a successful boot the image
 * pages belong to the VM, are gone from the host's stage 2, are mapped in
 * the VM at the load address and hold the image's bytes; a tampered byte
 * or a wrong key ends halted with the reason.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/image.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/state.h>

#include "boot_support.h"

TestSuite(boot_image, .init = bs_boot);

#define LOAD 0x80000000ULL		   /* guest IPA, 2 MiB aligned */
#define PA (0x40000000ULL + 0x08000000ULL) /* host RAM, 2 MiB aligned */
#define PAYLOAD (3 * PAGE_SIZE + 100)	   /* + trailer: 4 pages */

static void expect_invariants(void)
{
	char why[256] = "";

	cr_assert_eq(check_invariants(why, sizeof(why)), 0, "%s", why);
}

/* A signed image of a PAYLOAD-byte pattern; *size gets its length. */
static uint8_t *image(uint64_t load, const uint8_t *sk, size_t *size)
{
	uint8_t *payload = malloc(PAYLOAD), *img;

	cr_assert_not_null(payload);
	bs_pattern(payload, PAYLOAD, 7);
	img = bs_make_image(payload, PAYLOAD, load, sk, size);
	free(payload);
	return img;
}

/* The same, signed with the trailer's @flags and @entry. */
static uint8_t *image_ex(uint64_t load, uint32_t flags, uint64_t entry,
			 size_t *size)
{
	uint8_t *payload = malloc(PAYLOAD), *img;

	cr_assert_not_null(payload);
	bs_pattern(payload, PAYLOAD, 7);
	img = bs_make_image_ex(payload, PAYLOAD, load, flags, entry, bs_sk,
			       size);
	free(payload);
	return img;
}

/* A data image (no entry) for @load. */
static uint8_t *data_image(uint64_t load, size_t *size)
{
	return image_ex(load, 0, 0, size);
}

/* Trailers sit at any byte offset: edit a copy, then put it back. */
static struct cv_image_trailer get_trailer(const uint8_t *img, size_t size)
{
	struct cv_image_trailer t;

	memcpy(&t, img + size - CV_IMAGE_TRAILER_BYTES, sizeof(t));
	return t;
}

static void put_trailer(uint8_t *img, size_t size,
			const struct cv_image_trailer *t)
{
	memcpy(img + size - CV_IMAGE_TRAILER_BYTES, t, sizeof(*t));
}

/* The image is in VM @vmid at @load, from host pages at @pa. */
static void expect_loaded(uint32_t vmid, uint64_t load, uint64_t pa,
			  const uint8_t *img, size_t size)
{
	uint8_t *got = malloc(size);
	uint64_t fault = 0;

	cr_assert_not_null(got);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		uint64_t pfn = (pa + off) / PAGE_SIZE;

		cr_assert_eq(cv_hosted_page_owner(pfn), vmid);
		cr_assert_eq(cv_hosted_page_gfn(pfn), (load + off) / PAGE_SIZE);
		cr_assert(bs_unmapped(HOSTVISOR, pa + off),
			  "host still maps 0x%llx",
			  (unsigned long long)(pa + off));
		cr_assert(bs_maps(vmid, load + off, pa + off));
	}
	cr_assert(cv_hosted_vm_read(vmid, load, got, size, &fault),
		  "VM read faulted at 0x%llx", (unsigned long long)fault);
	cr_assert_eq(memcmp(got, img, size), 0);
	free(got);
}

/*
 * A new 1-vCPU VM with @img loaded as its image 0 (at @load, from host
 * memory at @pa), then VERIFY_VM_IMAGES: returns the VM's vmid.
 */
static uint32_t load_and_verify(uint64_t load, uint64_t pa, const uint8_t *img,
				size_t size)
{
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, load, pa, img, size);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	return vmid;
}

/* load_and_verify at LOAD, PA: expect a halt with @what, @img freed. */
static void expect_refused(uint8_t *img, size_t size, const char *what)
{
	uint32_t vmid = load_and_verify(LOAD, PA, img, size);

	bs_expect_halt("verify_and_load_images", what);
	cr_assert_eq(cv.vminfos[vmid].state, READY);
	free(img);
}

/* ---- the boot protocol -----------------------------------------------------
 */

Test(boot_image, full_boot_protocol)
{
	struct cv_translation t;
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(2);

	cr_assert_eq(size, PAYLOAD + CV_IMAGE_TRAILER_BYTES);
	cr_assert_eq(bs_load_image(vmid, LOAD, PA, img, size), 0);
	cr_assert_eq(cv.vminfos[vmid].mapped_pages[0], 4);
	/* Before verification the pages are still the host's. */
	cr_assert_eq(cv_hosted_page_owner(PA / PAGE_SIZE), HOSTVISOR);
	cr_assert(bs_unmapped(vmid, LOAD));

	cr_assert_eq(bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vmid), VERIFIED);
	expect_loaded(vmid, LOAD, PA, img, size);

	/* The spec maps whole 2 MiB blocks: the block's pages go too. */
	cr_assert(cv_hosted_translate(vmid, LOAD, &t));
	cr_assert_eq(t.level, 2);
	cr_assert_eq(cv_hosted_page_owner(PA / PAGE_SIZE + 511), vmid);
	cr_assert(bs_maps(vmid, LOAD + 511 * PAGE_SIZE, PA + 511 * PAGE_SIZE));
	cr_assert_eq(cv_hosted_page_owner(PA / PAGE_SIZE + 512), HOSTVISOR);

	/* Both vCPUs running (as VCPU_RUN on two CPUs holds them). */
	set_vcpu_active(vmid, 0);
	set_vcpu_active(vmid, 1);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vcpu_state(vmid, 0), ACTIVE);
	cr_assert_eq(cv_hosted_vcpu_state(vmid, 1), ACTIVE);
	expect_invariants();
	free(img);
}

Test(boot_image, host_cannot_touch_loaded_image)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size), byte = 0;

	load_and_verify(LOAD, PA, img, size);
	bs_expect_running();
	/* The host's fault on the VM's page is an attack: fail-stop. */
	cr_assert_not(cv_hosted_host_write(PA + PAGE_SIZE, &byte, 1));
	bs_expect_halt("map_page_host", "owned by 1");
	free(img);
}

Test(boot_image, tampered_byte_halts)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);

	img[2 * PAGE_SIZE + 17] ^= 0x20;
	expect_refused(img, size,
		       "vm 1 image 0: signature matches no trusted key");
}

Test(boot_image, wrong_key_halts)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_other_sk, &size);

	expect_refused(img, size, "signature matches no trusted key");
}

Test(boot_image, any_trusted_key_verifies)
{
	const uint8_t keys[2][32];
	size_t size;
	uint8_t *img;
	uint32_t vmid;

	memcpy((void *)keys[0], bs_other_pk, 32);
	memcpy((void *)keys[1], bs_pk, 32);
	bs_boot_keys(keys, 2);
	img = image(LOAD, bs_sk, &size);
	vmid = load_and_verify(LOAD, PA, img, size);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vmid), VERIFIED);
	free(img);
}

Test(boot_image, no_trusted_key_halts)
{
	size_t size;
	uint8_t *img;

	bs_boot_keys(NULL, 0);
	img = image(LOAD, bs_sk, &size);
	expect_refused(img, size, "no trusted key");
}

Test(boot_image, several_images_share_a_block)
{
	size_t size_a, size_b, size_c;
	uint8_t *a = image(LOAD, bs_sk, &size_a);
	uint8_t *b = data_image(LOAD + 0x100000, &size_b);
	uint8_t *c = data_image(LOAD + 0x10000000, &size_c);
	uint32_t vmid = bs_new_vm(1);

	/* a and b in one 2 MiB block (in both guest and host), c apart. */
	cr_assert_eq(bs_load_image(vmid, LOAD, PA, a, size_a), 0);
	cr_assert_eq(
		bs_load_image(vmid, LOAD + 0x100000, PA + 0x100000, b, size_b),
		1);
	cr_assert_eq(bs_load_image(vmid, LOAD + 0x10000000, PA + 0x400000, c,
				   size_c),
		     2);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	expect_loaded(vmid, LOAD, PA, a, size_a);
	expect_loaded(vmid, LOAD + 0x100000, PA + 0x100000, b, size_b);
	expect_loaded(vmid, LOAD + 0x10000000, PA + 0x400000, c, size_c);
	expect_invariants();
	free(a);
	free(b);
	free(c);
}

Test(boot_image, unaligned_block_offset_loads)
{
	/* Not 2 MiB aligned, but at the same offset in guest and host. */
	size_t size;
	uint8_t *img = image(LOAD + 0x10000, bs_sk, &size);
	uint32_t vmid =
		load_and_verify(LOAD + 0x10000, PA + 0x10000, img, size);

	bs_expect_running();
	expect_loaded(vmid, LOAD + 0x10000, PA + 0x10000, img, size);
	cr_assert(bs_maps(vmid, LOAD, PA));
	free(img);
}

Test(boot_image, image_across_two_blocks_loads)
{
	/* Starts 2 pages before a 2 MiB boundary: two block chunks. */
	size_t size;
	uint64_t off = 0x200000 - 2 * PAGE_SIZE;
	uint8_t *img = image(LOAD + off, bs_sk, &size);
	uint32_t vmid = load_and_verify(LOAD + off, PA + off, img, size);

	bs_expect_running();
	expect_loaded(vmid, LOAD + off, PA + off, img, size);
	cr_assert(bs_maps(vmid, LOAD + 0x3ff000, PA + 0x3ff000));
	free(img);
}

Test(boot_image, empty_vm_verifies)
{
	uint32_t vmid = bs_new_vm(1);

	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vmid), VERIFIED);
}

/* ---- what verify_image refuses ---------------------------------------------
 */

Test(boot_image, signed_for_other_load_address_halts)
{
	size_t size;
	uint8_t *img = image(LOAD + 0x200000, bs_sk, &size);

	expect_refused(img, size, "signed for another load address");
}

Test(boot_image, load_address_edited_in_trailer_halts)
{
	/* The trailer says LOAD, but the signature was made for another. */
	size_t size;
	uint8_t *img = image(LOAD + 0x200000, bs_sk, &size);
	struct cv_image_trailer t = get_trailer(img, size);

	t.load_addr = LOAD;
	t.entry = LOAD;
	put_trailer(img, size, &t);
	expect_refused(img, size, "signature matches no trusted key");
}

Test(boot_image, bad_magic_halts)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	struct cv_image_trailer t = get_trailer(img, size);

	t.magic[0] ^= 1;
	put_trailer(img, size, &t);
	expect_refused(img, size, "bad trailer magic");
}

Test(boot_image, bad_version_halts)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	struct cv_image_trailer t = get_trailer(img, size);

	t.version = 3;
	put_trailer(img, size, &t);
	expect_refused(img, size, "unknown image version");
}

Test(boot_image, format_1_image_halts)
{
	/* Format 1 named no entry: the host chose where the VM started. */
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	struct cv_image_trailer t = get_trailer(img, size);

	t.version = 1;
	put_trailer(img, size, &t);
	expect_refused(img, size, "unknown image version");
}

Test(boot_image, unknown_flags_halt)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	struct cv_image_trailer t = get_trailer(img, size);

	t.flags = CV_IMAGE_FLAG_BOOT | 4;
	put_trailer(img, size, &t);
	expect_refused(img, size, "unknown image flags");
}

/* The boot argument is a data image: the boot image cannot be it. */
Test(boot_image, a_boot_image_flagged_as_the_boot_argument_halts)
{
	size_t size;
	uint8_t *img = image_ex(
		LOAD, CV_IMAGE_FLAG_BOOT | CV_IMAGE_FLAG_BOOT_ARG, LOAD, &size);

	expect_refused(img, size, "a boot image cannot be the boot argument");
}

/* ---- the boot entry (format 2) ---------------------------------------------
 */

Test(boot_image, vcpu_0_starts_at_the_signed_entry)
{
	size_t size;
	uint8_t *img = image_ex(LOAD, CV_IMAGE_FLAG_BOOT, LOAD + 0x40, &size);
	uint32_t vmid = bs_new_vm(2);

	bs_load_image(vmid, LOAD, PA, img, size);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[vmid].vcpu_power[0], VCPU_ON_PENDING);
	cr_assert_eq(cv.vminfos[vmid].vcpu_entry[0], LOAD + 0x40);
	cr_assert_eq(cv.vminfos[vmid].vcpu_context[0], 0);
	cr_assert_eq(cv.vminfos[vmid].vcpu_power[1], VCPU_OFF,
		     "vCPU 1 waits for its guest's CPU_ON");
	free(img);
}

Test(boot_image, a_vm_without_boot_image_has_no_vcpu_to_start)
{
	size_t size;
	uint8_t *img = data_image(LOAD, &size);
	uint32_t vmid = load_and_verify(LOAD, PA, img, size);

	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vmid), VERIFIED);
	cr_assert_eq(cv.vminfos[vmid].vcpu_power[0], VCPU_OFF);
	free(img);
}

Test(boot_image, entry_past_the_payload_halts)
{
	size_t size;
	uint8_t *img =
		image_ex(LOAD, CV_IMAGE_FLAG_BOOT, LOAD + PAYLOAD, &size);

	expect_refused(img, size, "boot entry outside the payload");
}

Test(boot_image, entry_in_the_trailer_halts)
{
	size_t size;
	uint8_t *img =
		image_ex(LOAD, CV_IMAGE_FLAG_BOOT, LOAD + PAYLOAD + 8, &size);

	expect_refused(img, size, "boot entry outside the payload");
}

Test(boot_image, entry_below_the_load_address_halts)
{
	size_t size;
	uint8_t *img = image_ex(LOAD, CV_IMAGE_FLAG_BOOT, LOAD - 4, &size);

	expect_refused(img, size, "boot entry outside the payload");
}

Test(boot_image, unaligned_entry_halts)
{
	size_t size;
	uint8_t *img = image_ex(LOAD, CV_IMAGE_FLAG_BOOT, LOAD + 2, &size);

	expect_refused(img, size, "boot entry outside the payload");
}

Test(boot_image, entry_without_the_boot_flag_halts)
{
	size_t size;
	uint8_t *img = image_ex(LOAD, 0, LOAD, &size);

	expect_refused(img, size, "boot entry outside the payload");
}

Test(boot_image, entry_edited_in_the_trailer_halts)
{
	/* The host moves the entry: the signature covers it. */
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	struct cv_image_trailer t = get_trailer(img, size);

	t.entry = LOAD + 0x100;
	put_trailer(img, size, &t);
	expect_refused(img, size, "signature matches no trusted key");
}

Test(boot_image, two_boot_images_halt)
{
	/* The host would choose which signed entry the VM starts at. */
	size_t size_a, size_b;
	uint8_t *a = image(LOAD, bs_sk, &size_a);
	uint8_t *b = image(LOAD + 0x10000000, bs_sk, &size_b);
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD, PA, a, size_a);
	bs_load_image(vmid, LOAD + 0x10000000, PA + 0x400000, b, size_b);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_halt("verify_and_load_images",
		       "images 0 and 1 both name a boot entry");
	cr_assert_eq(cv_hosted_vm_state(vmid), READY);
	free(a);
	free(b);
}

/*
 * The boot argument (a device tree, signed as data): vCPU 0 starts with
 * its load address in x0, whatever the order the host loaded them in.
 */
Test(boot_image, vcpu_0_starts_with_the_boot_arguments_address_in_x0)
{
	size_t size_a, size_b;
	uint8_t *arg =
		image_ex(LOAD + 0x10000000, CV_IMAGE_FLAG_BOOT_ARG, 0, &size_a);
	uint8_t *boot =
		image_ex(LOAD, CV_IMAGE_FLAG_BOOT, LOAD + 0x40, &size_b);
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD + 0x10000000, PA + 0x400000, arg, size_a);
	bs_load_image(vmid, LOAD, PA, boot, size_b);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[vmid].vcpu_entry[0], LOAD + 0x40);
	cr_assert_eq(cv.vminfos[vmid].vcpu_context[0], LOAD + 0x10000000,
		     "x0 = the boot argument's IPA");
	free(arg);
	free(boot);
}

Test(boot_image, two_boot_arguments_halt)
{
	size_t size_a, size_b;
	uint8_t *a = image_ex(LOAD, CV_IMAGE_FLAG_BOOT_ARG, 0, &size_a);
	uint8_t *b =
		image_ex(LOAD + 0x10000000, CV_IMAGE_FLAG_BOOT_ARG, 0, &size_b);
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD, PA, a, size_a);
	bs_load_image(vmid, LOAD + 0x10000000, PA + 0x400000, b, size_b);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_halt("verify_and_load_images",
		       "images 0 and 1 both are the boot argument");
	cr_assert_eq(cv_hosted_vm_state(vmid), READY);
	free(a);
	free(b);
}

/* ---- image blocks: no replacement, zeroed around, out of every SMMU --------
 */

/*
 * Issue 13, hole 1: two images of one VM in one 2 MiB guest block, loaded
 * from two host blocks. The second load would map its whole host block
 * over the first image's verified pages.
 */
Test(boot_image, second_image_from_another_host_block_halts)
{
	size_t size_a, size_b;
	uint8_t *a = image(LOAD, bs_sk, &size_a);
	uint8_t *b = data_image(LOAD + 0x100000, &size_b);
	uint64_t pa_b = PA + 0x400000 + 0x100000; /* another host block */
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD, PA, a, size_a);
	bs_load_image(vmid, LOAD + 0x100000, pa_b, b, size_b);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_halt("unmap_and_load_vm_image",
		       "ipa 0x80000000 already maps pfn 0x48000, not 0x48400");
	/* The verified image is still what the VM maps there. */
	cr_assert(bs_maps(vmid, LOAD, PA));
	cr_assert(bs_maps(vmid, LOAD + PAGE_SIZE, PA + PAGE_SIZE));
	cr_assert_eq(cv_hosted_vm_state(vmid), READY);
	free(a);
	free(b);
}

Test(boot_image, image_block_over_a_mapped_device_page_halts)
{
	/* map_io put a device page in the block: the block must not hide it. */
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD, PA, img, size);
	bs_hvc(HVC_MAP_IO, vmid, LOAD + 0x100000, 0x09000000ULL, 0, 0);
	bs_expect_running();
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_halt("unmap_and_load_vm_image",
		       "ipa 0x80100000 already maps pfn 0x9000");
	free(img);
}

Test(boot_image, the_rest_of_the_block_is_zeroed_at_verify)
{
	/*
	 * The host fills the whole block with its bytes: after VERIFY the VM
	 * reaches its image's bytes and zeroes, nothing the host left.
	 */
	size_t size;
	uint8_t *img = image(LOAD + 0x10000, bs_sk, &size);
	uint8_t *junk = malloc(PMD_SIZE), *got = malloc(PMD_SIZE);
	uint64_t block = PA, end = 0x10000 + size;
	uint32_t vmid = bs_new_vm(1);

	cr_assert(junk && got);
	memset(junk, 0xa5, PMD_SIZE);
	bs_host_write(block, junk, PMD_SIZE);
	bs_load_image(vmid, LOAD + 0x10000, PA + 0x10000, img, size);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert(cv_hosted_vm_read(vmid, LOAD, got, PMD_SIZE, NULL));
	for (uint64_t i = 0; i < PMD_SIZE; i++) {
		uint8_t want = i >= 0x10000 && i < end ? img[i - 0x10000] : 0;

		cr_assert_eq(got[i], want, "byte 0x%llx of the block",
			     (unsigned long long)i);
	}
	free(img);
	free(junk);
	free(got);
}

Test(boot_image, two_images_in_one_block_keep_both)
{
	/* Zeroing leaves every image's bytes, whichever load info holds it. */
	size_t size_a, size_b;
	uint8_t *a = data_image(LOAD + 0x100000, &size_a);
	uint8_t *b = image(LOAD, bs_sk, &size_b);
	uint8_t *got = malloc(PAGE_SIZE);
	uint32_t vmid = bs_new_vm(1);

	cr_assert_not_null(got);
	bs_load_image(vmid, LOAD + 0x100000, PA + 0x100000, a, size_a);
	bs_load_image(vmid, LOAD, PA, b, size_b);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	expect_loaded(vmid, LOAD, PA, b, size_b);
	expect_loaded(vmid, LOAD + 0x100000, PA + 0x100000, a, size_a);
	cr_assert(
		cv_hosted_vm_read(vmid, LOAD + 0x80000, got, PAGE_SIZE, NULL));
	for (int i = 0; i < (int)PAGE_SIZE; i++)
		cr_assert_eq(got[i], 0);
	free(a);
	free(b);
	free(got);
}

/*
 * Issue 13, weakness 5: a page of the image block given to the VM's own
 * device before VERIFY (assign_smmu + map_smmu). After the signature check
 * the device must not be able to rewrite it.
 */
Test(boot_image, image_pages_leave_every_smmu_before_the_check)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size), evil = 0xcc, back;
	uint32_t vmid = bs_new_vm(1);
	struct cv_translation t;
	uint64_t gfn = LOAD / PAGE_SIZE, fault = 0;

	bs_host_write(PA, img, size);
	assign_smmu(vmid, PA / PAGE_SIZE, gfn); /* the entry's page */
	alloc_smmu(vmid, 3, 1);
	map_smmu(vmid, 3, 1, gfn * PAGE_SIZE, PA | 0x7ff);
	alloc_smmu(vmid, 5, 0);
	map_smmu(vmid, 5, 0, gfn * PAGE_SIZE, PA | 0x7ff);
	bs_expect_running();
	cr_assert(cv_hosted_smmu_translate(1, 3, gfn * PAGE_SIZE, &t) &&
		  t.valid);
	/* bs_load_image without its write: the first page is the VM's. */
	bs_hvc(HVC_SET_BOOT_INFO, vmid, LOAD, size, 0, 0);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		bs_hvc(HVC_REMAP_VM_IMAGE, vmid, (PA + off) / PAGE_SIZE, 0, 0,
		       0);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert(!cv_hosted_smmu_translate(1, 3, gfn * PAGE_SIZE, &t) ||
		  !t.valid);
	cr_assert(!cv_hosted_smmu_translate(0, 5, gfn * PAGE_SIZE, &t) ||
		  !t.valid);
	cr_assert_not(
		cv_hosted_dma_write(1, 3, gfn * PAGE_SIZE, &evil, 1, &fault),
		"the device rewrote signed code");
	cr_assert(cv_hosted_vm_read(vmid, LOAD, &back, 1, NULL));
	cr_assert_eq(back, img[0]);
	expect_invariants();
	free(img);
}

Test(boot_image, payload_length_mismatch_halts)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	struct cv_image_trailer t = get_trailer(img, size);

	t.payload_len -= 1;
	put_trailer(img, size, &t);
	expect_refused(img, size, "payload length");
}

Test(boot_image, truncated_image_halts)
{
	/* The host declares less than it loaded: no trailer at the end. */
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);

	expect_refused(img, size - 1, "bad trailer magic");
}

Test(boot_image, tiny_image_halts)
{
	uint8_t *img = calloc(1, 50);

	expect_refused(img, 50, "smaller than the image trailer");
}

Test(boot_image, missing_pages_halt)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(1);

	bs_hvc(HVC_SET_BOOT_INFO, vmid, LOAD, size, 0, 0);
	bs_host_write(PA, img, size);
	for (int i = 0; i < 3; i++) /* of 4 */
		bs_hvc(HVC_REMAP_VM_IMAGE, vmid, PA / PAGE_SIZE + i, 0, 0, 0);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_halt("verify_and_load_images", "not every page was remapped");
	free(img);
}

/* ---- the contiguity strengthening (unmap_and_load_vm_image) ----------------
 */

Test(boot_image, scattered_pages_halt)
{
	/*
	 * The host remaps pages that are not consecutive: the VM would get
	 * the block around the first page, whose other pages were never
	 * verified. Refused before anything moves.
	 */
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(1);
	uint64_t pages[4] = {PA, PA + 2 * PAGE_SIZE, PA + 3 * PAGE_SIZE,
			     PA + 4 * PAGE_SIZE};

	bs_hvc(HVC_SET_BOOT_INFO, vmid, LOAD, size, 0, 0);
	for (int i = 0; i < 4; i++) {
		bs_host_write(pages[i], img + i * PAGE_SIZE,
			      i == 3 ? size - 3 * PAGE_SIZE : PAGE_SIZE);
		bs_hvc(HVC_REMAP_VM_IMAGE, vmid, pages[i] / PAGE_SIZE, 0, 0, 0);
	}
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_halt("unmap_and_load_vm_image",
		       "image page 1 is pfn 0x48002");
	cr_assert_eq(cv_hosted_page_owner(PA / PAGE_SIZE), HOSTVISOR);
	cr_assert(bs_unmapped(vmid, LOAD));
	free(img);
}

Test(boot_image, misplaced_block_offset_halts)
{
	/* Contiguous, but one page off the load address mod 2 MiB. */
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);

	load_and_verify(LOAD, PA + PAGE_SIZE, img, size);
	bs_expect_halt("unmap_and_load_vm_image",
		       "pa 0x48001000 not at load address 0x80000000");
	cr_assert_eq(cv_hosted_page_owner(PA / PAGE_SIZE + 1), HOSTVISOR);
	free(img);
}

Test(boot_image, unaligned_load_address_halts)
{
	size_t size;
	uint8_t *img = image(LOAD + 0x10, bs_sk, &size);

	load_and_verify(LOAD + 0x10, PA, img, size);
	bs_expect_halt("unmap_and_load_vm_image",
		       "load address 0x80000010 not page aligned");
	free(img);
}

Test(boot_image, block_page_of_another_vm_halts)
{
	/* A page of the image's 2 MiB block already belongs to VM 2. */
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(1);
	uint32_t other = bs_new_vm(0);

	assign_smmu(other, PA / PAGE_SIZE + 100, 0x1234);
	bs_expect_running();
	bs_load_image(vmid, LOAD, PA, img, size);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_halt("assign_pfn_to_vm", "owned by 2");
	free(img);
}

Test(boot_image, unmap_and_load_unmapped_remap_halts)
{
	/* The spec's own check: a chunk whose remap address maps nothing. */
	uint32_t vmid = register_kvm();

	unmap_and_load_vm_image(vmid, LOAD + PAGE_SIZE, REMAP_START, 0);
	bs_expect_halt("unmap_and_load_vm_image", "remap 0x2000000 not mapped");
}

Test(boot_image, unmap_and_load_bad_args_halt)
{
	unmap_and_load_vm_image(HOSTVISOR, LOAD, REMAP_START, 1);
	bs_expect_halt("unmap_and_load_vm_image", "bad args vm 0");
}

Test(boot_image, unmap_and_load_bad_count_halts)
{
	unmap_and_load_vm_image(1, LOAD, REMAP_START, KVM_GFN_SPACE);
	bs_expect_halt("unmap_and_load_vm_image", "bad args");
}

Test(boot_image, unmap_and_load_moves_pages)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD, PA, img, size);
	unmap_and_load_vm_image(vmid, LOAD, REMAP_START, 4);
	bs_expect_running();
	expect_loaded(vmid, LOAD, PA, img, size);
	/* Only the pages moved: the VM is not verified by this alone. */
	cr_assert_eq(cv_hosted_vm_state(vmid), READY);
	free(img);
}

Test(boot_image, unmap_and_load_halted_noop)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD, PA, img, size);
	bs_halt();
	unmap_and_load_vm_image(vmid, LOAD, REMAP_START, 4);
	cr_assert_eq(cv_hosted_page_owner(PA / PAGE_SIZE), HOSTVISOR);
	cr_assert(bs_unmapped(vmid, LOAD));
	free(img);
}

/* ---- verify_image and verify_and_load_images directly ----------------------
 */

Test(boot_image, verify_image_answers)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD, PA, img, size);
	acquire_lock_vm(vmid);
	cr_assert_eq(verify_image(vmid, REMAP_START), 1);
	cr_assert_eq(verify_image(vmid, REMAP_START + PAGE_SIZE), 0);
	img[0] ^= 1;
	bs_host_write(PA, img, 1);
	cr_assert_eq(verify_image(vmid, REMAP_START), 0);
	release_lock_vm(vmid);
	bs_expect_running(); /* the caller panics, not verify_image */
	free(img);
}

Test(boot_image, verify_image_bad_args_halt)
{
	cr_assert_eq(verify_image(NUM_PRINCIPALS, REMAP_START), 0);
	bs_expect_halt("verify_image", "bad args vm 17");
}

Test(boot_image, verify_image_halted_noop)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD, PA, img, size);
	bs_halt();
	cr_assert_eq(verify_image(vmid, REMAP_START), 0);
	free(img);
}

Test(boot_image, verify_twice_halts)
{
	uint32_t vmid = bs_new_vm(1);

	verify_and_load_images(vmid);
	bs_expect_running();
	verify_and_load_images(vmid);
	bs_expect_halt("verify_and_load_images", "vm 1 state 3 not READY");
}

Test(boot_image, verify_not_a_vm_halts)
{
	verify_and_load_images(COREVISOR);
	bs_expect_halt("verify_and_load_images", "vmid 16 is not a VM");
}

Test(boot_image, verify_and_load_halted_noop)
{
	size_t size;
	uint8_t *img = image(LOAD, bs_sk, &size);
	uint32_t vmid = bs_new_vm(1);

	bs_load_image(vmid, LOAD, PA, img, size);
	bs_halt();
	verify_and_load_images(vmid);
	cr_assert_eq(cv.vminfos[vmid].state, READY);
	cr_assert_eq(cv_hosted_page_owner(PA / PAGE_SIZE), HOSTVISOR);
	free(img);
}
