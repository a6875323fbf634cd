// SPDX-License-Identifier: MIT
/*
 * core/boot/snapshot.c: a whole VM sealed page by page into host pages
 * (HVC_SNAPSHOT_*), with a sealed manifest, and restored into a fresh VM
 * of another vmid (HVC_RESTORE_*, HVC_BOOT_FROM_SAVED_VM), also after a
 * reboot with the same AEAD key. The success path (every page byte-equal
 * at its gfn, image pages included; the vCPU context equal; the restored
 * guest goes on where it stopped; the new vmid owns the pages, the old one
 * is free) and every refusal of the policy (docs/image-format.md,
 * "Snapshots"): restored twice, an older snapshot after a newer one, a
 * partial snapshot, another VM's, blobs moved, mixed or tampered with, a
 * tampered manifest; the snapshot ended by a run or a reclaim; and the
 * calls' panics and halted no-ops.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/sealed.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/state.h>

#include "boot_support.h"
#include "vm_support.h"

static const uint8_t aead_key[32] = {
	0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,
	0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,
	0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17};

static void boot(void)
{
	bs_boot_aead(aead_key);
}

TestSuite(snapshot, .init = boot);

#define IMAGE_PATTERN 7U
#define SECRET 0x5ec7e7ULL
#define RAM_WORD (VS_RAM_IPA + 0x10)
#define MAX_BLOBS 600U

static struct vs_script script;

/* Where the host keeps one snapshot (in its RAM) and a copy of it. */
struct snap {
	uint64_t npages;
	uint64_t page[MAX_BLOBS]; /* each a pair of host pages */
	uint64_t vcpu[VCPU_PER_VM];
	uint32_t nvcpus;
	uint64_t manifest;
};

static uint8_t *phys(uint64_t pa)
{
	uint8_t *p = cv_hosted_phys(pa);

	cr_assert_not_null(p);
	return p;
}

/*
 * A verified VM of @nvcpus vCPUs, its image (the same signed bytes for
 * every VM: one measurement) loaded from host block @n.
 */
static uint32_t image_vm(uint32_t nvcpus, uint32_t n)
{
	uint8_t payload[VS_IMAGE_BYTES];
	uint8_t *img;
	size_t size;
	uint32_t vmid = bs_new_vm(nvcpus);

	bs_pattern(payload, sizeof(payload), IMAGE_PATTERN);
	img = bs_make_image(payload, sizeof(payload), VS_IMAGE_IPA, bs_sk,
			    &size);
	bs_load_image(vmid, VS_IMAGE_IPA, vs_image_pa(n), img, size);
	free(img);
	bs_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vmid), VERIFIED);
	vs_set_script(vmid, &script);
	return vmid;
}

/*
 * The guest: stores SECRET to its RAM (a fault the host answers with
 * host page @ram_pa), WFI; then loads it back into x3, WFI.
 */
static void set_program(void)
{
	memset(&script, 0, sizeof(script));
	script.ops[0] = (struct vs_op){OP_MOV, SECRET, 0, 1, 0};
	script.ops[1] = (struct vs_op){OP_STORE, RAM_WORD, 8, 1, 0};
	script.ops[2] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
	script.ops[3] = (struct vs_op){OP_LOAD, RAM_WORD, 8, 3, 0};
	script.ops[4] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
}

/* VM A, run to its first WFI: mid-computation. */
static uint32_t running_vm(uint32_t nvcpus, uint32_t n, uint64_t ram_pa)
{
	uint32_t vm;

	set_program();
	vm = image_vm(nvcpus, n);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA, ram_pa, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(vs_shadow(vm, 0, PC),
		     VS_PC(2)); /* stepped at its next run */
	return vm;
}

static uint64_t hvc(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3)
{
	return bs_hvc(x0, x1, x2, x3, 0, 0);
}

/* The host takes a whole snapshot of @vm into its RAM from page @at. */
static void take(uint32_t vm, struct snap *s, uint64_t at)
{
	uint64_t r, next = at;

	memset(s, 0, sizeof(*s));
	cr_assert_eq(hvc(HVC_SNAPSHOT_BEGIN, vm, 0, 0), CV_SNAP_OK);
	for (uint32_t calls = 0;; calls++) {
		cr_assert_lt(calls, 1000);
		r = hvc(HVC_SNAPSHOT_PAGE, vm, bs_ram(next), 0);
		bs_expect_running();
		if (r == CV_SNAP_DONE)
			break;
		if (r == CV_SNAP_AGAIN)
			continue;
		cr_assert_eq(r, CV_SNAP_OK);
		cr_assert_lt(s->npages, MAX_BLOBS);
		s->page[s->npages++] = bs_ram(next);
		next += 2;
	}
	for (uint32_t v = 0; v < VCPU_PER_VM; v++) {
		if (cv.vminfos[vm].vcpu_state[v] == UNUSED)
			continue;
		cr_assert_eq(hvc(HVC_SNAPSHOT_VCPU, vm, v, bs_ram(next)),
			     CV_SNAP_OK);
		s->vcpu[s->nvcpus++] = bs_ram(next++);
	}
	cr_assert_eq(hvc(HVC_SNAPSHOT_END, vm, bs_ram(next), 0), CV_SNAP_OK);
	s->manifest = bs_ram(next);
	bs_expect_running();
}

/* Restore @s into @vm up to the last step; returns the first refusal. */
static uint64_t restore_steps(uint32_t vm, const struct snap *s)
{
	uint64_t r = hvc(HVC_RESTORE_BEGIN, vm, s->manifest, 0);

	for (uint64_t i = 0; r == CV_SNAP_OK && i < s->npages; i++)
		r = hvc(HVC_RESTORE_PAGE, vm, s->page[i], 0);
	for (uint32_t v = 0; r == CV_SNAP_OK && v < s->nvcpus; v++)
		r = hvc(HVC_RESTORE_VCPU, vm, v, s->vcpu[v]);
	bs_expect_running();
	return r;
}

static uint64_t restore(uint32_t vm, const struct snap *s)
{
	uint64_t r = restore_steps(vm, s);

	if (r == CV_SNAP_OK)
		r = hvc(HVC_BOOT_FROM_SAVED_VM, vm, 0, 0);
	bs_expect_running();
	return r;
}

static uint64_t destroy(uint32_t vm)
{
	uint64_t r = hvc(HVC_DESTROY_VM, vm, CV_DESTROY_FORCE, 0);

	bs_expect_running();
	return r;
}

/* The page VM @vm maps at @gfn (its pfn), or INVALID64. */
static uint64_t pfn_at(uint32_t vm, uint64_t gfn)
{
	for (uint64_t pfn = bs_ram(0) / PAGE_SIZE;
	     pfn < bs_ram(0) / PAGE_SIZE + 0x4000; pfn++)
		if (cv_hosted_page_owner(pfn) == vm &&
		    cv_hosted_page_gfn(pfn) == gfn)
			return pfn;
	return INVALID64;
}

/* A's pages, by gfn, and their contents. */
struct image_of {
	uint64_t n, gfn[MAX_BLOBS];
	uint8_t data[MAX_BLOBS][PAGE_SIZE];
};

static void record(uint32_t vm, struct image_of *im)
{
	im->n = 0;
	for (uint64_t pfn = bs_ram(0) / PAGE_SIZE;
	     pfn < bs_ram(0) / PAGE_SIZE + 0x4000; pfn++) {
		if (cv_hosted_page_owner(pfn) != vm)
			continue;
		cr_assert_lt(im->n, MAX_BLOBS);
		im->gfn[im->n] = cv_hosted_page_gfn(pfn);
		memcpy(im->data[im->n++], phys(pfn * PAGE_SIZE), PAGE_SIZE);
	}
}

static struct image_of before;

/* ---- the success path --------------------------------------------------
 */

Test(snapshot, restore_into_another_vmid_goes_on_where_it_stopped)
{
	struct snap s;
	struct cv_ctxt ctxt_a;
	uint64_t img_pfn;
	uint32_t a = running_vm(2, 0, bs_ram(0x100)), b;

	/* The guest changed a page of its image: the snapshot carries it. */
	img_pfn = pfn_at(a, VS_IMAGE_IPA / PAGE_SIZE + 1);
	cr_assert_neq(img_pfn, INVALID64);
	memset(phys(img_pfn * PAGE_SIZE) + 100, 0xab, 16);
	take(a, &s, 0x400);
	cr_assert_gt(s.npages, 512, "the image's 2 MiB block and the RAM");
	cr_assert_eq(s.nvcpus, 2);
	record(a, &before);
	cr_assert_eq(before.n, s.npages, "one blob per page the VM owns");
	ctxt_a = *shadow_ctxt(a, 0);

	b = image_vm(2, 1); /* a fresh VM of the same images, vmid 2 */
	cr_assert_neq(b, a);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(restore(b, &s), CV_SNAP_OK);
	vs_inv();

	cr_assert_eq(cv_hosted_vm_state(a), UNUSED, "the old vmid is free");
	for (uint64_t i = 0; i < before.n; i++) {
		uint64_t pfn = pfn_at(b, before.gfn[i]);

		cr_assert_neq(pfn, INVALID64, "gfn 0x%llx not restored",
			      (unsigned long long)before.gfn[i]);
		cr_assert_eq(cv_hosted_page_owner(pfn), b);
		cr_assert(bs_unmapped(HOSTVISOR, pfn * PAGE_SIZE));
		cr_assert_eq(memcmp(phys(pfn * PAGE_SIZE), before.data[i],
				    PAGE_SIZE),
			     0, "gfn 0x%llx differs",
			     (unsigned long long)before.gfn[i]);
	}
	cr_assert_eq(memcmp(shadow_ctxt(b, 0)->regs, ctxt_a.regs,
			    sizeof(ctxt_a.regs)),
		     0, "vCPU 0's registers");
	cr_assert_eq(memcmp(shadow_ctxt(b, 0)->vregs, ctxt_a.vregs,
			    sizeof(ctxt_a.vregs)),
		     0);
	cr_assert_eq(cv.vminfos[b].vcpu_power[0], VCPU_ON);
	cr_assert_eq(cv.vminfos[b].vcpu_power[1], VCPU_OFF);
	cr_assert_eq(hvc(HVC_IS_INC_EXE, b, 0, 0), 1);

	/* It goes on: loads the word it stored before the snapshot. */
	cr_assert_eq(vs_run(b, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(vs_shadow(b, 0, X3), SECRET);
	cr_assert_eq(vs_shadow(b, 0, PC), VS_PC(4));
	vs_inv();
}

/*
 * The host's copy of snapshot @s (restoring uses up the page blobs whose
 * ciphertext page becomes the VM's): kept / written back.
 */
static uint8_t saved[MAX_BLOBS * 2 + VCPU_PER_VM + 1][PAGE_SIZE];

static void keep(const struct snap *s)
{
	uint64_t lo = s->page[0], hi = s->manifest + PAGE_SIZE;

	cr_assert_leq((hi - lo) / PAGE_SIZE, sizeof(saved) / PAGE_SIZE);
	for (uint64_t pa = lo; pa < hi; pa += PAGE_SIZE)
		memcpy(saved[(pa - lo) / PAGE_SIZE], phys(pa), PAGE_SIZE);
}

static void put_back(const struct snap *s)
{
	uint64_t lo = s->page[0], hi = s->manifest + PAGE_SIZE;

	for (uint64_t pa = lo; pa < hi; pa += PAGE_SIZE)
		bs_host_write(pa, saved[(pa - lo) / PAGE_SIZE], PAGE_SIZE);
}

Test(snapshot, restore_after_a_reboot_with_the_same_key)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100)), b;

	take(a, &s, 0x400);
	record(a, &before);
	keep(&s); /* the host keeps its snapshot across the reboot */
	bs_boot_aead(aead_key);
	put_back(&s);
	set_program();
	b = image_vm(1, 1);
	cr_assert_eq(restore(b, &s), CV_SNAP_OK);
	for (uint64_t i = 0; i < before.n; i++)
		cr_assert_eq(memcmp(phys(pfn_at(b, before.gfn[i]) * PAGE_SIZE),
				    before.data[i], PAGE_SIZE),
			     0);
	cr_assert_eq(vs_run(b, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_shadow(b, 0, X3), SECRET);
	vs_inv();
}

Test(snapshot, restore_under_another_key_refused)
{
	static const uint8_t other_key[32] = {1};
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100)), b;

	take(a, &s, 0x400);
	keep(&s);
	bs_boot_aead(other_key);
	put_back(&s);
	set_program();
	b = image_vm(1, 1);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0),
		     CV_SNAP_REFUSED_FORGED);
	bs_expect_running();
}

Test(snapshot, blob_and_manifest_formats)
{
	struct snap s;
	struct cv_snap_page_hdr ph;
	struct cv_snap_manifest_hdr mh;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));

	take(a, &s, 0x400);
	memcpy(&ph, phys(s.page[1] + PAGE_SIZE), sizeof(ph));
	cr_assert_eq(memcmp(ph.magic, CV_SNAP_PAGE_MAGIC, 8), 0);
	cr_assert_eq(ph.version, CV_SNAP_VERSION);
	cr_assert_eq(ph.index, 1);
	cr_assert_eq(memcmp(ph.bind.measurement, cv.vminfos[a].measurement, 32),
		     0);
	memcpy(&mh, phys(s.manifest), sizeof(mh));
	cr_assert_eq(memcmp(mh.magic, CV_SNAP_MANIFEST_MAGIC, 8), 0);
	cr_assert_eq(memcmp(mh.snap_id, ph.snap_id, 16), 0);
	cr_assert_eq(mh.body_bytes, sizeof(struct cv_snap_manifest));
	/* Nothing of the guest's data shows in the ciphertext. */
	cr_assert_eq(memmem(phys(s.page[0]), PAGE_SIZE * 2 * s.npages,
			    "\xe7\xc7\x5e\0\0\0\0\0", 8),
		     NULL);
	/* The VM keeps its pages and may run on (a pause). */
	cr_assert_eq(cv_hosted_vm_state(a), VERIFIED);
	cr_assert_eq(vs_run(a, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_shadow(a, 0, X3), SECRET);
}

/* ---- the policy's refusals ---------------------------------------------
 */

/* The VM that refused a step after RESTORE_BEGIN never runs. */
static void expect_dead(uint32_t vm)
{
	cr_assert_eq(cv_hosted_vm_state(vm), POWEROFF);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_POWERED_OFF);
	bs_expect_running();
	vs_inv();
	cr_assert_eq(destroy(vm), CV_DESTROY_OK);
}

Test(snapshot, restored_twice_refused_while_the_first_lives)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1), c = image_vm(1, 2);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(restore(b, &s), CV_SNAP_OK);
	/* No fork: B holds the instance. C is left as it was. */
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, c, s.manifest, 0),
		     CV_SNAP_REFUSED_LIVE);
	cr_assert_eq(cv_hosted_vm_state(c), VERIFIED);
	/* Once B ran, the snapshot is an older version: refused for ever. */
	cr_assert_eq(vs_run(b, 0), CV_EXIT_WFX);
	cr_assert_eq(destroy(b), CV_DESTROY_OK);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, c, s.manifest, 0),
		     CV_SNAP_REFUSED_STALE);
	cr_assert_eq(cv_hosted_vm_state(c), VERIFIED);
	bs_expect_running();
}

Test(snapshot, restored_again_once_the_first_never_ran_and_is_gone)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1), c = image_vm(1, 2);

	take(a, &s, 0x400);
	keep(&s);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(restore(b, &s), CV_SNAP_OK);
	cr_assert_eq(destroy(b), CV_DESTROY_OK);
	/* Nothing of the instance ran since: the same state, not a fork. */
	put_back(&s);
	cr_assert_eq(restore(c, &s), CV_SNAP_OK);
	cr_assert_eq(vs_run(c, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_shadow(c, 0, X3), SECRET);
	vs_inv();
}

Test(snapshot, older_snapshot_after_a_newer_one_refused)
{
	struct snap s1, s2;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	take(a, &s1, 0x400);
	cr_assert_eq(vs_run(a, 0), CV_EXIT_WFX); /* A goes on */
	take(a, &s2, 0x900);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s1.manifest, 0),
		     CV_SNAP_REFUSED_STALE);
	cr_assert_eq(cv_hosted_vm_state(b), VERIFIED);
	cr_assert_eq(restore(b, &s2), CV_SNAP_OK);
	cr_assert_eq(vs_shadow(b, 0, PC), VS_PC(4));
}

Test(snapshot, partial_snapshot_refused)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	s.npages--; /* the host drops the last page */
	cr_assert_eq(restore_steps(b, &s), CV_SNAP_REFUSED_ORDER,
		     "the vCPU before every page");
	expect_dead(b);
}

Test(snapshot, missing_page_in_the_middle_refused)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0), CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_RESTORE_PAGE, b, s.page[0], 0), CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_RESTORE_PAGE, b, s.page[2], 0),
		     CV_SNAP_REFUSED_ORDER);
	expect_dead(b);
}

Test(snapshot, boot_before_the_last_vcpu_refused)
{
	struct snap s;
	uint32_t a = running_vm(2, 0, bs_ram(0x100));
	uint32_t b = image_vm(2, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	s.nvcpus = 1;
	cr_assert_eq(restore(b, &s), CV_SNAP_REFUSED_ORDER);
	expect_dead(b);
}

Test(snapshot, snapshot_of_another_vm_refused)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100)), other, twovcpus;
	uint8_t payload[VS_IMAGE_BYTES];
	uint8_t *img;
	size_t size;

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	/* Other images: another measurement. */
	other = bs_new_vm(1);
	bs_pattern(payload, sizeof(payload), IMAGE_PATTERN + 1);
	img = bs_make_image(payload, sizeof(payload), VS_IMAGE_IPA, bs_sk,
			    &size);
	bs_load_image(other, VS_IMAGE_IPA, vs_image_pa(1), img, size);
	free(img);
	bs_hvc(HVC_VERIFY_VM_IMAGES, other, 0, 0, 0, 0);
	bs_expect_running();
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, other, s.manifest, 0),
		     CV_SNAP_REFUSED_OTHER_VM);
	cr_assert_eq(cv_hosted_vm_state(other), VERIFIED);
	/* The same images, another number of vCPUs. */
	twovcpus = image_vm(2, 2);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, twovcpus, s.manifest, 0),
		     CV_SNAP_REFUSED_OTHER_VM);
	cr_assert_eq(cv_hosted_vm_state(twovcpus), VERIFIED);
	vs_inv();
}

Test(snapshot, blob_moved_between_pages_refused)
{
	struct snap s;
	struct cv_snap_page_hdr h0, h1;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	/* Blob 1's header now claims blob 0's place (index and gfn). */
	memcpy(&h0, phys(s.page[0] + PAGE_SIZE), sizeof(h0));
	memcpy(&h1, phys(s.page[1] + PAGE_SIZE), sizeof(h1));
	h1.index = h0.index;
	h1.gfn = h0.gfn;
	bs_host_write(s.page[1] + PAGE_SIZE, &h1, sizeof(h1));
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0), CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_RESTORE_PAGE, b, s.page[1], 0),
		     CV_SNAP_REFUSED_FORGED);
	expect_dead(b);
}

Test(snapshot, blob_order_swapped_refused)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0), CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_RESTORE_PAGE, b, s.page[1], 0),
		     CV_SNAP_REFUSED_ORDER);
	expect_dead(b);
}

Test(snapshot, tampered_page_ciphertext_refused)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);
	uint8_t x;

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	x = phys(s.page[s.npages - 1])[7] ^ 1;
	bs_host_write(s.page[s.npages - 1] + 7, &x, 1);
	cr_assert_eq(restore(b, &s), CV_SNAP_REFUSED_FORGED);
	expect_dead(b);
}

Test(snapshot, tampered_vcpu_blob_refused)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);
	uint8_t x;

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	x = phys(s.vcpu[0])[sizeof(struct cv_snap_vcpu_hdr) + 8 * PC] ^ 4;
	bs_host_write(s.vcpu[0] + sizeof(struct cv_snap_vcpu_hdr) + 8 * PC, &x,
		      1);
	cr_assert_eq(restore(b, &s), CV_SNAP_REFUSED_FORGED);
	expect_dead(b);
}

Test(snapshot, tampered_manifest_refused_and_nothing_changes)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);
	struct cv_snap_manifest_hdr h;
	uint8_t x;

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	/* The body (the page count, say) ... */
	x = phys(s.manifest)[sizeof(h)] ^ 1;
	bs_host_write(s.manifest + sizeof(h), &x, 1);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0),
		     CV_SNAP_REFUSED_FORGED);
	bs_host_write(s.manifest + sizeof(h), (uint8_t[]){x ^ 1}, 1);
	/* ... or the header's epoch. */
	memcpy(&h, phys(s.manifest), sizeof(h));
	h.bind.epoch++;
	bs_host_write(s.manifest, &h, sizeof(h));
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0),
		     CV_SNAP_REFUSED_FORGED);
	/* B never took the instance: it boots from its images. */
	cr_assert_eq(cv_hosted_vm_state(b), VERIFIED);
	cr_assert_eq(vs_run(b, 0), CV_EXIT_MEM_FAULT);
	bs_expect_running();
}

Test(snapshot, blobs_mixed_from_two_snapshots_refused)
{
	struct snap s1, s2;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	/* Two snapshots of one state (no run between): ids differ. */
	take(a, &s1, 0x400);
	take(a, &s2, 0x900);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	s1.page[3] = s2.page[3];
	cr_assert_eq(restore(b, &s1), CV_SNAP_REFUSED_MIXED);
	expect_dead(b);
}

Test(snapshot, a_failed_restore_frees_the_instance_for_another_vm)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1), c = image_vm(1, 2);
	uint64_t all;

	take(a, &s, 0x400);
	keep(&s);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	all = s.npages;
	s.npages = 1;
	cr_assert_eq(restore(b, &s), CV_SNAP_REFUSED_ORDER);
	expect_dead(b);
	s.npages = all;
	put_back(&s);
	cr_assert_eq(restore(c, &s), CV_SNAP_OK);
	cr_assert_eq(vs_run(c, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_shadow(c, 0, X3), SECRET);
}

/* ---- the snapshot's own rules ------------------------------------------
 */

Test(snapshot, a_run_during_the_snapshot_ends_it)
{
	uint32_t a = running_vm(1, 0, bs_ram(0x100));

	cr_assert_eq(hvc(HVC_SNAPSHOT_BEGIN, a, 0, 0), CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_SNAPSHOT_PAGE, a, bs_ram(0x400), 0), CV_SNAP_OK);
	cr_assert_eq(vs_run(a, 0), CV_EXIT_WFX);
	cr_assert_eq(hvc(HVC_SNAPSHOT_PAGE, a, bs_ram(0x402), 0),
		     CV_SNAP_REFUSED_STALE);
	cr_assert_eq(hvc(HVC_SNAPSHOT_END, a, bs_ram(0x404), 0),
		     CV_SNAP_REFUSED_STATE);
	bs_expect_running();
}

Test(snapshot, a_reclaim_during_the_snapshot_ends_it)
{
	uint32_t a = running_vm(1, 0, bs_ram(0x100));

	set_vm_poweroff(a);
	cr_assert_eq(hvc(HVC_SNAPSHOT_BEGIN, a, 0, 0), CV_SNAP_OK);
	hvc(HVC_CLEAR_VM_S2_RANGE, a, bs_ram(0x100), PAGE_SIZE);
	bs_expect_running();
	cr_assert_eq(hvc(HVC_SNAPSHOT_PAGE, a, bs_ram(0x400), 0),
		     CV_SNAP_REFUSED_STATE);
}

Test(snapshot, vcpus_only_after_every_page_and_in_order)
{
	uint32_t a = running_vm(2, 0, bs_ram(0x100));

	cr_assert_eq(hvc(HVC_SNAPSHOT_BEGIN, a, 0, 0), CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_SNAPSHOT_VCPU, a, 0, bs_ram(0x400)),
		     CV_SNAP_REFUSED_ORDER);
	while (hvc(HVC_SNAPSHOT_PAGE, a, bs_ram(0x400), 0) != CV_SNAP_DONE)
		;
	cr_assert_eq(hvc(HVC_SNAPSHOT_END, a, bs_ram(0x400), 0),
		     CV_SNAP_REFUSED_ORDER);
	cr_assert_eq(hvc(HVC_SNAPSHOT_VCPU, a, 1, bs_ram(0x400)),
		     CV_SNAP_REFUSED_ORDER);
	cr_assert_eq(hvc(HVC_SNAPSHOT_VCPU, a, 0, bs_ram(0x400)), CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_SNAPSHOT_VCPU, a, 1, bs_ram(0x401)), CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_SNAPSHOT_END, a, bs_ram(0x402), 0), CV_SNAP_OK);
	bs_expect_running();
}

Test(snapshot, unverified_vm_is_not_snapshotted)
{
	uint32_t vm = bs_new_vm(1);

	cr_assert_eq(hvc(HVC_SNAPSHOT_BEGIN, vm, 0, 0), CV_SNAP_REFUSED_STATE);
	cr_assert_eq(hvc(HVC_SNAPSHOT_PAGE, vm, bs_ram(0x400), 0),
		     CV_SNAP_REFUSED_STATE);
	bs_expect_running();
}

Test(snapshot, restore_into_a_vm_that_ran_refused)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100)), b;

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	b = running_vm(1, 1, bs_ram(0x200));
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0),
		     CV_SNAP_REFUSED_STATE);
	cr_assert_eq(hvc(HVC_BOOT_FROM_SAVED_VM, b, 0, 0),
		     CV_SNAP_REFUSED_STATE);
	bs_expect_running();
}

Test(snapshot, run_before_the_restore_ends_panics)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(restore_steps(b, &s), CV_SNAP_OK);
	vs_run(b, 0);
	bs_expect_halt("set_vcpu_active", "its restore is not finished");
}

Test(snapshot, output_pages_not_the_hosts_panic)
{
	uint32_t a = running_vm(1, 0, bs_ram(0x100));

	cr_assert_eq(hvc(HVC_SNAPSHOT_BEGIN, a, 0, 0), CV_SNAP_OK);
	/* The header half of the pair is the VM's RAM page. */
	hvc(HVC_SNAPSHOT_PAGE, a, bs_ram(0xff), 0);
	bs_expect_halt("snapshot_page", "not host memory");
}

Test(snapshot, restore_blob_not_the_hosts_panics)
{
	struct snap s;
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0), CV_SNAP_OK);
	hvc(HVC_RESTORE_PAGE, b, vs_image_pa(1), 0);
	bs_expect_halt("restore_page", "not host memory");
}

/* Direct calls (other paths than the dispatcher) check their arguments. */
Test(snapshot, bad_vmid_panics)
{
	snapshot_begin(0);
	bs_expect_halt("snapshot_begin", "vmid 0 is not a VM");
}

Test(snapshot, bad_page_address_panics)
{
	snapshot_page(1, KVM_PHYS_SIZE);
	bs_expect_halt("snapshot_page", "bad args");
}

Test(snapshot, bad_vcpuid_panics)
{
	snapshot_vcpu(1, VCPU_PER_VM, bs_ram(0x400));
	bs_expect_halt("snapshot_vcpu", "bad args");
}

Test(snapshot, bad_manifest_address_panics)
{
	snapshot_end(COREVISOR, bs_ram(0x400));
	bs_expect_halt("snapshot_end", "bad args");
}

Test(snapshot, bad_restore_args_panic)
{
	restore_begin(1, KVM_PHYS_SIZE);
	bs_expect_halt("restore_begin", "bad args");
}

Test(snapshot, bad_restore_page_args_panic)
{
	restore_page(16, bs_ram(0x400));
	bs_expect_halt("restore_page", "bad args");
}

Test(snapshot, bad_restore_vcpu_args_panic)
{
	restore_vcpu(1, VCPU_PER_VM, bs_ram(0x400));
	bs_expect_halt("restore_vcpu", "bad args");
}

Test(snapshot, bad_boot_from_saved_vm_vmid_panics)
{
	boot_from_saved_vm(COREVISOR);
	bs_expect_halt("boot_from_saved_vm", "is not a VM");
}

Test(snapshot, vcpu_and_manifest_pages_not_the_hosts_panic)
{
	uint32_t a = running_vm(1, 0, bs_ram(0x100));

	cr_assert_eq(hvc(HVC_SNAPSHOT_BEGIN, a, 0, 0), CV_SNAP_OK);
	while (hvc(HVC_SNAPSHOT_PAGE, a, bs_ram(0x400), 0) != CV_SNAP_DONE)
		;
	hvc(HVC_SNAPSHOT_VCPU, a, 0, bs_ram(0x100));
	bs_expect_halt("snapshot_vcpu", "not host memory");
}

Test(snapshot, manifest_page_not_the_hosts_panics)
{
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	hvc(HVC_RESTORE_BEGIN, b, bs_ram(0x100), 0);
	bs_expect_halt("restore_begin", "not host memory");
	(void)a;
}

Test(snapshot, halted_calls_do_nothing)
{
	uint32_t a = running_vm(1, 0, bs_ram(0x100));

	bs_halt();
	cr_assert_eq(snapshot_begin(a), 0);
	cr_assert_eq(snapshot_page(a, bs_ram(0x400)), 0);
	cr_assert_eq(snapshot_vcpu(a, 0, bs_ram(0x400)), 0);
	cr_assert_eq(snapshot_end(a, bs_ram(0x400)), 0);
	cr_assert_eq(restore_begin(a, bs_ram(0x400)), 0);
	cr_assert_eq(restore_page(a, bs_ram(0x400)), 0);
	cr_assert_eq(restore_vcpu(a, 0, bs_ram(0x400)), 0);
	cr_assert_eq(boot_from_saved_vm(a), 0);
	cr_assert_eq(cv.vminfos[a].snap.mode, SNAP_NONE);
}

/* ---- the invariant -----------------------------------------------------
 */

Test(snapshot, snap_cons_catches_a_session_no_vm_can_have)
{
	struct snap s;
	char why[256];
	uint32_t a = running_vm(1, 0, bs_ram(0x100));
	uint32_t b = image_vm(1, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0), CV_SNAP_OK);
	cr_assert_eq(check_invariant("snap_cons", why, sizeof(why)), 0, "%s",
		     why);
	/* A vCPU running while the VM is being restored. */
	cv.vminfos[b].vcpu_state[0] = ACTIVE;
	cr_assert_eq(check_invariant("snap_cons", why, sizeof(why)), 1);
	cr_assert(strstr(why, "runs while it is restored"), "%s", why);
	cv.vminfos[b].vcpu_state[0] = READY;
	/* More pages restored than the manifest counts. */
	cv.vminfos[b].snap.pages = cv.vminfos[b].snap.npages + 1;
	cr_assert_eq(check_invariant("snap_cons", why, sizeof(why)), 1);
	cv.vminfos[b].snap.pages = 0;
	/* A snapshot under way of a VM that was never verified. */
	cv.vminfos[b].snap.mode = SNAP_SAVING;
	cv.vminfos[b].state = READY;
	cr_assert_eq(check_invariant("snap_cons", why, sizeof(why)), 1);
	cr_assert(strstr(why, "snapshot mode 1"), "%s", why);
}

/* The restore takes the vCPU blobs after every page, in vCPU order, each
 * once (restore_vcpu): vCPU 1 first is refused at once. */
Test(snapshot, restore_vcpu_out_of_order_refused)
{
	struct snap s;
	uint32_t a = running_vm(2, 0, bs_ram(0x100));
	uint32_t b = image_vm(2, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0), CV_SNAP_OK);
	for (uint64_t i = 0; i < s.npages; i++)
		cr_assert_eq(hvc(HVC_RESTORE_PAGE, b, s.page[i], 0),
			     CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_RESTORE_VCPU, b, 1, s.vcpu[1]),
		     CV_SNAP_REFUSED_ORDER);
	expect_dead(b);
}

Test(snapshot, restore_vcpu_twice_refused)
{
	struct snap s;
	uint32_t a = running_vm(2, 0, bs_ram(0x100));
	uint32_t b = image_vm(2, 1);

	take(a, &s, 0x400);
	cr_assert_eq(destroy(a), CV_DESTROY_OK);
	cr_assert_eq(hvc(HVC_RESTORE_BEGIN, b, s.manifest, 0), CV_SNAP_OK);
	for (uint64_t i = 0; i < s.npages; i++)
		cr_assert_eq(hvc(HVC_RESTORE_PAGE, b, s.page[i], 0),
			     CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_RESTORE_VCPU, b, 0, s.vcpu[0]), CV_SNAP_OK);
	cr_assert_eq(hvc(HVC_RESTORE_VCPU, b, 0, s.vcpu[0]),
		     CV_SNAP_REFUSED_ORDER);
	expect_dead(b);
}
