// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: an adversarial host drives the core through every
 * hypercall of include/corevisor/abi.h, its own memory accesses (RAM, the
 * core's memory, the SMMUs' registers, which the core emulates), devices'
 * DMA through the SMMUs, VCPU_RUN of VMs whose guest program is played
 * from the input too (loads, stores, faults, MMIO, its own hypercalls:
 * share/unshare, PSCI), and the core entry points that trap layers reach
 * without a hypercall (a VM's stage-2 fault, its grants and revokes,
 * power-off, vCPU exit, MmioOps' smmu_assign/map_page).
 *
 * Each input boots a fresh small machine (16 MiB RAM, 2 SMMUs, small table
 * pools: mk/fuzz.mk) and is decoded as
 *
 *   config byte, then ops: op byte, then the op's arguments
 *
 * Arguments are typed (vmid, pfn, gpa, size, ...): a selector byte picks a
 * class of values (a live VM, a RAM page, an image's load address, ...),
 * mostly valid-looking ones, sometimes hostile ones (boundaries such as
 * KVM_PHYS_SIZE, INVALID64, raw 64-bit values). Macro ops reach deep
 * states in a few bytes: loading a correctly signed image (optionally
 * corrupted, misplaced, partly remapped, ...), booting a whole VM, sealing
 * a page or a vCPU and opening it again (optionally tampered), running a
 * vCPU several times with the host's answers in between.
 * tests/fuzz/gen_corpus.py writes seeds in this encoding.
 *
 * Oracles, after every op:
 *  - the security invariants (check_invariants, core/inv) hold;
 *  - a halted core has a reason, and further ops change nothing (the
 *    abstract state, tests/harness, keeps its hash);
 *  - every byte any principal's access loaded or stored, as the hosted
 *    machine's data path moved it (page by page, through the TLBs, stale
 *    entries included), was in a page that principal may reach at that
 *    moment (tests/harness's access oracle): the host never reaches a
 *    VM's or the core's page, a live VM (its host-driven accesses and its
 *    guest program's loads, stores and fetches) only its own, a DMA no
 *    page of the core or of a live VM other than the bank's owner;
 *  - no crash, no ASan/UBSan report.
 * A violation prints the ops so far and aborts (libFuzzer keeps the input).
 * CV_FUZZ_VERBOSE=1 prints every op as it runs (for reproducing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <corevisor/image.h>
#include <corevisor/sealed.h>
#include <corevisor/vcpu_abi.h>
#include <cv/inv.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/state.h>

#include "harness.h"
#include "hosted_internal.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (16ULL << 20)
#define RAM_PFN0 (RAM_BASE / PAGE_SIZE)
#define RAM_PAGES (RAM_SIZE / PAGE_SIZE)
#define BLOCK_PAGES 512ULL
#define MAX_OPS 96
#define MAX_IO (2 * PAGE_SIZE + 512) /* largest host/VM access */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- input ----------------------------------------------------------------
 */

static const uint8_t *in_p;
static size_t in_n, in_i;

static bool in_eof(void)
{
	return in_i >= in_n;
}

static uint8_t rd8(void)
{
	return in_i < in_n ? in_p[in_i++] : 0;
}

static uint16_t rd16(void)
{
	uint16_t v = rd8();

	return v | (uint16_t)rd8() << 8;
}

static uint32_t rd32(void)
{
	uint32_t v = rd16();

	return v | (uint32_t)rd16() << 16;
}

static uint64_t rd64(void)
{
	uint64_t v = rd32();

	return v | (uint64_t)rd32() << 32;
}

/* ---- images ----------------------------------------------------------------
 */

#define NIMG 5
static struct hx_image imgs[NIMG];

static void make_images(void)
{
	hx_keys_init();
	/* 4 pages in one 2 MiB block. */
	hx_make_image(&imgs[0], hx_sk, 0x80000000ULL, 3 * PAGE_SIZE + 100, 1);
	/* Straddles a 2 MiB boundary: the VM gets two blocks. */
	hx_make_image(&imgs[1], hx_sk, 0x801fe000ULL, 3 * PAGE_SIZE, 2);
	/* Trailer only: one page. */
	hx_make_image(&imgs[2], hx_sk, 0x90000000ULL, 0, 3);
	/* Signed with a key the core does not trust. */
	hx_make_image(&imgs[3], hx_bad_sk, 0x80000000ULL, PAGE_SIZE, 4);
	/* 17 pages. */
	hx_make_image(&imgs[4], hx_sk, 0x80010000ULL, 16 * PAGE_SIZE, 5);
}

/* ---- typed arguments -------------------------------------------------------
 */

enum kind {
	K_RAW,
	K_VMID,
	K_VCPU,
	K_PFN,
	K_PA,
	K_GPA,
	K_GFN,
	K_SIZE,
	K_IDX,
	K_IOVA,
	K_PTE,
	K_PROT,
	K_CB,
	K_SMMU,
	K_NUM,	 /* an HVC number */
	K_SMALL, /* a size of at most 64 pages */
	K_FLAGS, /* DESTROY_VM's: 0, CV_DESTROY_FORCE, or anything */
};

static uint64_t bound(uint32_t i)
{
	static const uint64_t b[] = {
		0,
		1,
		2,
		INVALID,
		INVALID64,
		KVM_PHYS_SIZE - 1,
		KVM_PHYS_SIZE,
		KVM_PHYS_SIZE - PAGE_SIZE,
		KVM_ADDR_SPACE - 1,
		KVM_ADDR_SPACE,
		KVM_ADDR_SPACE - PAGE_SIZE,
		KVM_PFN_SPACE - 1,
		KVM_PFN_SPACE,
		KVM_GFN_SPACE - 1,
		KVM_GFN_SPACE,
		1ULL << 63,
		0x7fffffffffffffffULL,
		COREVISOR,
		COREVISOR + 1,
		MAX_VM_NUM,
		VCPU_PER_VM,
		MAX_LOAD_INFO_NUM,
		REMAP_START,
		REMAP_END,
		RAM_BASE,
		RAM_BASE + RAM_SIZE,
		PMD_SIZE,
		PAGE_SIZE,
		1ULL << 40,
		(1ULL << 40) - 1,
		PTE_ADDR_MASK,
		RAM_PFN0,
	};

	return b[i % ARRAY_SIZE(b)];
}

/* The highest vmid in use (vmids are reused: DESTROY_VM), at least 1. */
static uint32_t live_vms(void)
{
	uint32_t used = cv.core.vmid_used;

	return used > 1 ? 31 - (uint32_t)__builtin_clz(used) : 1;
}

static uint64_t reserved_pfn0(void)
{
	return cv_hosted_reserved_base() / PAGE_SIZE;
}

static uint64_t pick_pfn(uint8_t sel)
{
	switch (sel % 8) {
	case 0:
	case 1:
	case 2:
		return RAM_PFN0 + rd16() % RAM_PAGES;
	case 3: /* a page of an image staging block (1..6) */
		return RAM_PFN0 + (1 + rd8() % 6) * BLOCK_PAGES +
		       rd16() % BLOCK_PAGES;
	case 4: /* the shared kvm/vcpu area */
		return cv_hosted_shared_base() / PAGE_SIZE +
		       rd8() % (CV_SHARED_BYTES / PAGE_SIZE);
	case 5: /* the core's own memory */
		return reserved_pfn0() +
		       rd16() % (cv_hosted_reserved_size() / PAGE_SIZE);
	case 6: /* page 0, or MMIO (in no region) */
		return (rd8() & 1) ? 0 : 0x9000 + rd8();
	default: /* first page of a 2 MiB block */
		return RAM_PFN0 + (rd8() % 8) * BLOCK_PAGES;
	}
}

static uint64_t pick_gpa(uint8_t sel)
{
	switch (sel % 8) {
	case 0:
	case 1:
		return 0x80000000ULL + (uint64_t)rd16() * PAGE_SIZE;
	case 2:
		return imgs[rd8() % NIMG].load_addr;
	case 3: /* the window VM faults mostly use */
		return 0x100000000ULL + (uint64_t)rd16() * PAGE_SIZE;
	case 4:
		return 0x80000000ULL + (uint64_t)rd8() * PMD_SIZE;
	case 5: /* flat: as the host sees RAM */
		return RAM_BASE + (uint64_t)(rd16() % RAM_PAGES) * PAGE_SIZE;
	case 6:
		return 0x80000000ULL + rd32();
	default:
		return ((uint64_t)rd8() << 40) | ((uint64_t)rd16() << 12);
	}
}

static uint64_t pick_size(uint8_t sel)
{
	switch (sel % 8) {
	case 0:
		return imgs[rd8() % NIMG].size;
	case 1:
		return (uint64_t)rd8() * PAGE_SIZE;
	case 2:
		return rd16();
	case 3:
		return 0;
	case 4:
		return PAGE_SIZE;
	case 5:
		return PMD_SIZE;
	case 6:
		return rd32();
	default:
		return KVM_ADDR_SPACE - rd8();
	}
}

static uint64_t pick_pte_attrs(void)
{
	static const uint64_t a[] = {PAGE_S2_RAM,
				     PAGE_S2_RAM,
				     PAGE_S2_RAM_BLOCK,
				     PAGE_S2_DEVICE,
				     PTE_TYPE_TABLE,
				     PTE_TYPE_BLOCK,
				     0,
				     PAGE_GUEST};
	uint8_t s = rd8();

	if (s >= 0xf0)
		return rd64() & ~PTE_ADDR_MASK;
	return a[s % ARRAY_SIZE(a)];
}

static uint64_t pick(enum kind k)
{
	uint8_t sel = rd8();

	if (sel >= 0xe0) /* hostile: a boundary or a raw value */
		return (sel & 0x1f) == 0x1f ? rd64() : bound(sel & 0x1f);
	switch (k) {
	case K_RAW:
		return (sel & 1) ? rd64() : rd8();
	case K_VMID:
		switch (sel % 8) {
		case 0:
		case 1:
		case 2:
		case 3:
			return 1 + rd8() % live_vms();
		case 4:
			return cv.core.next_vmid; /* not registered yet */
		case 5:
			return HOSTVISOR;
		case 6:
			return COREVISOR;
		default:
			return rd8();
		}
	case K_VCPU:
		return sel % 4 < 2    ? rd8() % VCPU_PER_VM
		       : sel % 4 == 2 ? VCPU_PER_VM
				      : rd8();
	case K_PFN:
		return pick_pfn(sel);
	case K_PA:
		return pick_pfn(sel) * PAGE_SIZE;
	case K_GPA:
		return pick_gpa(sel);
	case K_GFN:
		return pick_gpa(sel) / PAGE_SIZE;
	case K_SIZE:
		return pick_size(sel);
	case K_IDX:
		return (sel & 1) ? rd8() : rd8() % MAX_LOAD_INFO_NUM;
	case K_FLAGS:
		return sel % 8 < 7 ? sel % 2 : rd64();
	case K_IOVA:
		return (sel & 1) ? pick_gpa(sel >> 1)
				 : (uint64_t)rd16() * PAGE_SIZE;
	case K_PTE:
		if (sel % 4 == 3) /* a whole 2 MiB block of RAM */
			return (RAM_BASE + (rd8() % 8) * PMD_SIZE) |
			       PAGE_S2_RAM_BLOCK;
		return pick_pfn(sel) * PAGE_SIZE | pick_pte_attrs();
	case K_PROT: /* attributes and type bits, no address */
		switch (sel % 5) {
		case 0:
			return 0;
		case 1:
			return PAGE_S2_RAM;
		case 2:
			return S2_ATTR_RAM;
		case 3:
			return PAGE_S2_DEVICE;
		default:
			return rd64() & ~PTE_ADDR_MASK;
		}
	case K_CB:
		return (sel & 1) ? rd8() : rd8() % SMMU_NUM_CTXT_BANKS;
	case K_SMMU:
		return (sel & 1) ? rd8() : rd8() % SMMU_NUM;
	case K_NUM:
		return (sel & 1) ? rd64() : rd8() % 64;
	case K_SMALL:
		return (sel & 1) ? rd16() % (64 * PAGE_SIZE)
				 : (rd8() % 65) * PAGE_SIZE;
	}
	return 0;
}

/* ---- hypercalls ------------------------------------------------------------
 */

struct hvc_desc {
	uint64_t num; /* 0: the number is an argument (K_NUM) */
	uint8_t nargs;
	enum kind args[5];
};

static const struct hvc_desc hvcs[] = {
	{HVC_ENABLE_S2_TRANS, 1, {K_RAW}},
	{HVC_TIMER_SET_CNTVOFF, 2, {K_RAW, K_RAW}},
	{HVC_VCPU_RUN, 2, {K_VMID, K_VCPU}},
	{HVC_CLEAR_VM_S2_RANGE, 3, {K_VMID, K_PA, K_SIZE}},
	{HVC_SET_BOOT_INFO, 3, {K_VMID, K_GPA, K_SIZE}},
	{HVC_REMAP_VM_IMAGE, 3, {K_VMID, K_PFN, K_IDX}},
	{HVC_VERIFY_VM_IMAGES, 1, {K_VMID}},
	{HVC_REGISTER_KVM, 0, {K_RAW}},
	{HVC_REGISTER_VCPU, 2, {K_VMID, K_VCPU}},
	{HVC_BOOT_FROM_SAVED_VM, 1, {K_VMID}},
	{HVC_ENCRYPT_BUF, 3, {K_VMID, K_PA, K_PA}},
	{HVC_DECRYPT_BUF, 2, {K_VMID, K_PA}},
	{HVC_SAVE_CRYPT_VCPU, 2, {K_VMID, K_VCPU}},
	{HVC_SMMU_FREE_PGD, 2, {K_CB, K_SMMU}},
	{HVC_SMMU_ALLOC_PGD, 3, {K_CB, K_VMID, K_SMMU}},
	{HVC_SMMU_LPAE_MAP, 5, {K_IOVA, K_PA, K_PROT, K_CB, K_SMMU}},
	{HVC_SMMU_LPAE_IOVA_TO_PHYS, 3, {K_IOVA, K_CB, K_SMMU}},
	{HVC_SMMU_CLEAR, 3, {K_IOVA, K_CB, K_SMMU}},
	{HVC_PHYS_ADDR_IOREMAP, 4, {K_VMID, K_GPA, K_PA, K_SMALL}},
	{HVC_LOAD_CRYPT_VCPU, 2, {K_VMID, K_VCPU}},
	{HVC_IS_INC_EXE, 1, {K_VMID}},
	{HVC_MAP_IO, 3, {K_VMID, K_GPA, K_PA}},
	{HVC_ASSIGN_SMMU, 3, {K_VMID, K_PFN, K_GFN}},
	{HVC_VCPU_ACTIVE, 2, {K_VMID, K_VCPU}},
	{HVC_NOOP, 0, {K_RAW}},
	{0, 5, {K_RAW, K_RAW, K_RAW, K_RAW, K_RAW}},
	{HVC_GET_SHARED_BASE, 0, {K_RAW}},
	{HVC_DESTROY_VM, 2, {K_VMID, K_FLAGS}},
	{HVC_SNAPSHOT_BEGIN, 1, {K_VMID}},
	{HVC_SNAPSHOT_PAGE, 2, {K_VMID, K_PA}},
	{HVC_SNAPSHOT_VCPU, 3, {K_VMID, K_VCPU, K_PA}},
	{HVC_SNAPSHOT_END, 2, {K_VMID, K_PA}},
	{HVC_RESTORE_BEGIN, 2, {K_VMID, K_PA}},
	{HVC_RESTORE_PAGE, 2, {K_VMID, K_PA}},
	{HVC_RESTORE_VCPU, 3, {K_VMID, K_VCPU, K_PA}},
	/* A VM's SMMUv3 streams; K_CB's byte is a stream ID (0..255). */
	{HVC_SMMUV3_ATTACH, 2, {K_CB, K_VMID}},
	{HVC_SMMUV3_MAP, 3, {K_VMID, K_IOVA, K_PFN}},
	{HVC_SMMUV3_UNMAP, 2, {K_VMID, K_IOVA}},
};

/* ---- the op log
 * -------------------------------------------------------------- */

struct logent {
	char text[160];
};
static struct logent oplog[MAX_OPS * 8];
static unsigned int nlog;
static bool verbose;

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	va_list ap;
	struct logent *e;

	if (nlog >= ARRAY_SIZE(oplog))
		return;
	e = &oplog[nlog++];
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "  %s\n", e->text);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n==== fuzz_hvc: oracle failure after %u steps:\n",
		nlog);
	for (unsigned int i = 0; i < nlog; i++)
		fprintf(stderr, "  %3u %s\n", i, oplog[i].text);
	fputs("==== ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n==== halted: %d \"%s\"\n", cv_hosted_halted(),
		cv_hosted_halt_reason());
	abort();
}

#define LL(x) ((unsigned long long)(x))

/*
 * Known issues: core bugs found by this harness and reported, not yet
 * fixed. Each is counted and printed once per process instead of
 * aborting, so the campaign goes on looking for others;
 * CV_FUZZ_STRICT=1 makes them fatal (tests/fuzz/known/ reproduces them).
 * None is open. Fixed (tests/unit/test_fixes.c; their reproducers are in
 * the corpus):
 *  1: a powered-off VM's SMMU context bank kept mapping its pages after
 *     CLEAR_VM_S2_RANGE gave them back to the host (now an oracle of
 *     op_dma, and smmu_iso).
 *  2: a guest's SHARE/UNSHARE walked its range (any size below 2^48) a
 *     page at a time at EL2 (guest sizes are no longer cut here).
 */
static bool strict;
static unsigned long long known_hits[3];

static void known_issue(unsigned int n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static void known_issue(unsigned int n, const char *fmt, ...)
{
	va_list ap;

	if (known_hits[n]++)
		return;
	fprintf(stderr, "fuzz_hvc: known issue %u (not fatal): ", n);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t hvc(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3,
		    uint64_t x4, uint64_t x5)
{
	uint64_t r = cv_hosted_hvc(x0, x1, x2, x3, x4, x5);

	trace("cpu%u hvc %llu (0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx) -> "
	      "0x%llx",
	      cv_hosted_cpu(), LL(x0), LL(x1), LL(x2), LL(x3), LL(x4), LL(x5),
	      LL(r));
	return r;
}

/* ---- host accesses ----------------------------------------------------------
 * Their oracle is the harness's access oracle (hx_access_oracle_start):
 * every page-bounded piece the machine's data path loaded or stored is
 * checked against the page's owner at that moment.
 */

static void host_write(uint64_t pa, const void *buf, uint64_t len)
{
	bool ok;

	if (len == 0)
		return;
	ok = cv_hosted_host_write(pa, buf, len);
	trace("cpu%u host write 0x%llx +0x%llx -> %d", cv_hosted_cpu(), LL(pa),
	      LL(len), ok);
}

static void host_read(uint64_t pa, void *buf, uint64_t len)
{
	bool ok;

	if (len == 0)
		return;
	ok = cv_hosted_host_read(pa, buf, len);
	trace("cpu%u host read 0x%llx +0x%llx -> %d", cv_hosted_cpu(), LL(pa),
	      LL(len), ok);
}

/* ---- ops ---------------------------------------------------------------- */

static uint8_t iobuf[MAX_IO];

static void op_hvc(void)
{
	const struct hvc_desc *d = &hvcs[rd8() % ARRAY_SIZE(hvcs)];
	uint64_t x[6] = {d->num, 0, 0, 0, 0, 0};
	uint8_t a = 1;

	if (!d->num) /* the raw entry: the number is an argument too */
		x[0] = pick(K_NUM);
	for (uint8_t i = 0; i < d->nargs; i++)
		x[a + i] = pick(d->args[i]);
	hvc(x[0], x[1], x[2], x[3], x[4], x[5]);
}

static void op_host_write(void)
{
	uint64_t pa = pick(K_PA) + (rd8() >= 0xf0 ? rd16() % PAGE_SIZE : 0);
	uint64_t len = 1 + rd16() % MAX_IO;
	uint8_t mode = rd8();

	switch (mode % 4) {
	case 0: /* bytes from the input */
		for (uint64_t i = 0; i < len; i++)
			iobuf[i] = rd8();
		break;
	case 1:
		memset(iobuf, 0, len);
		break;
	case 2: { /* part of an image */
		const struct hx_image *im = &imgs[rd8() % NIMG];
		uint64_t off = rd16() % im->size;

		memset(iobuf, 0, len);
		memcpy(iobuf, im->bytes + off,
		       len < im->size - off ? len : im->size - off);
		break;
	}
	default: /* a copy of what the host reads elsewhere */
		memset(iobuf, 0, len);
		host_read(pick(K_PA), iobuf, len);
		break;
	}
	host_write(pa, iobuf, len);
}

static void op_host_read(void)
{
	uint64_t pa = pick(K_PA) + (rd8() >= 0xf0 ? rd16() % PAGE_SIZE : 0);

	host_read(pa, iobuf, 1 + rd16() % MAX_IO);
}

/* Flags of load_image. */
#define LI_CORRUPT 0x001   /* flip one bit of the image */
#define LI_SKIP 0x002	   /* do not remap one page */
#define LI_WRONG_PFN 0x004 /* remap one page from elsewhere */
#define LI_EXTRA 0x008	   /* remap one page too many */
#define LI_SIZE 0x010	   /* announce another size */
#define LI_ADDR 0x020	   /* announce another load address */
#define LI_MISPLACE 0x040  /* stage it off the load address mod 2 MiB */
#define LI_NO_WRITE 0x080  /* do not write the image at all */
#define LI_VERIFY 0x100	   /* VERIFY_VM_IMAGES at the end */

/*
 * The host's side of loading one image (SET_BOOT_INFO, writing it to a
 * staging block, REMAP_VM_IMAGE page by page), mutated by @flags.
 */
static void load_image(uint64_t vmid, unsigned int im, unsigned int blk,
		       uint16_t flags, uint16_t aux)
{
	const struct hx_image *img = &imgs[im % NIMG];
	uint64_t load = img->load_addr, size = img->size, pa0, idx, pages;
	uint8_t *copy;

	if (flags & LI_ADDR)
		load += PAGE_SIZE * (1 + aux % 4);
	if (flags & LI_SIZE)
		size = (aux & 0x8000) ? size + 1 + aux % 200
				      : size - 1 - aux % 90;
	pa0 = RAM_BASE + (1 + blk % 5) * PMD_SIZE + (load & (PMD_SIZE - 1));
	if (flags & LI_MISPLACE)
		pa0 += PAGE_SIZE;
	trace("load_image vm %llu image %u block %u flags 0x%x aux 0x%x",
	      LL(vmid), im % NIMG, 1 + blk % 5, flags, aux);
	idx = hvc(HVC_SET_BOOT_INFO, vmid, load, size, 0, 0);
	if (cv_hosted_halted())
		return;
	if (!(flags & LI_NO_WRITE)) {
		copy = malloc(img->size);
		if (!copy)
			abort();
		memcpy(copy, img->bytes, img->size);
		if (flags & LI_CORRUPT)
			copy[aux % img->size] ^= (uint8_t)(1u << (aux >> 13));
		host_write(pa0, copy, img->size);
		free(copy);
		if (cv_hosted_halted())
			return;
	}
	pages = (size + PAGE_SIZE - 1) / PAGE_SIZE + !!(flags & LI_EXTRA);
	for (uint64_t i = 0; i < pages && !cv_hosted_halted(); i++) {
		uint64_t pfn = pa0 / PAGE_SIZE + i;

		if ((flags & LI_SKIP) && i == aux % pages)
			continue;
		if ((flags & LI_WRONG_PFN) && i == aux % pages)
			pfn += 1 + (aux >> 8) % 3;
		hvc(HVC_REMAP_VM_IMAGE, vmid, pfn, idx, 0, 0);
	}
	if ((flags & LI_VERIFY) && !cv_hosted_halted())
		hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
}

static void op_load_image(void)
{
	uint64_t vmid = pick(K_VMID);
	unsigned int im = rd8(), blk = rd8();
	uint16_t flags = rd16(), aux = rd16();

	load_image(vmid, im, blk, flags, aux);
}

/* A whole VM: register it and its vCPUs, load a good image, verify. */
static void op_boot_vm(void)
{
	unsigned int nvcpus = rd8() % (VCPU_PER_VM + 1);
	unsigned int im = rd8(), blk = rd8(), act = rd8();
	uint64_t vmid = hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);

	for (unsigned int i = 0; i < nvcpus && !cv_hosted_halted(); i++)
		hvc(HVC_REGISTER_VCPU, vmid, i, 0, 0, 0);
	if (cv_hosted_halted())
		return;
	load_image(vmid, im, blk, LI_VERIFY, 0);
	if ((act & 1) && !cv_hosted_halted())
		hvc(HVC_VCPU_ACTIVE, vmid, 0, 0, 0, 0);
}

/*
 * The guest-side operations below (a stage-2 fault, a SHARE/UNSHARE, a
 * PSCI SYSTEM_OFF) come from a guest, so from a registered VM: for a free
 * vmid (never registered, or destroyed) there is no guest to make them,
 * and the invariants (vm_free) say the core keeps nothing for it. Bad
 * vmids (the host, the core, out of range) still reach the calls' checks.
 */
static bool no_guest(uint64_t vmid)
{
	uint32_t v = (uint32_t)vmid; /* what the calls below are given */

	return v > HOSTVISOR && v < COREVISOR &&
	       cv_hosted_vm_state(v) == UNUSED;
}

static void op_vm_fault(void)
{
	uint64_t vmid = pick(K_VMID), gpa = pick(K_GPA), pte = pick(K_PTE);
	uint32_t level = (rd8() & 3) == 2 ? 2 : 3;

	if (no_guest(vmid))
		return;
	trace("prot_and_map_vm_s2pt(%llu, 0x%llx, 0x%llx, %u)", LL(vmid),
	      LL(gpa), LL(pte), level);
	hx_prot_and_map_vm_s2pt((uint32_t)vmid, gpa, pte, level);
}

static void op_sg(bool grant)
{
	uint64_t vmid = pick(K_VMID), gpa = pick(K_GPA), size = pick(K_SIZE);

	if (no_guest(vmid))
		return;
	trace("%s_stage2_sg_gpa(%llu, 0x%llx, 0x%llx)",
	      grant ? "grant" : "revoke", LL(vmid), LL(gpa), LL(size));
	if (grant)
		hx_grant_stage2_sg_gpa((uint32_t)vmid, gpa, size);
	else
		hx_revoke_stage2_sg_gpa((uint32_t)vmid, gpa, size);
}

static void op_clear_range(void)
{
	uint64_t vmid = pick(K_VMID), start = pick(K_PA), size = pick(K_SIZE);

	hvc(HVC_CLEAR_VM_S2_RANGE, vmid, start, size, 0, 0);
}

static void op_poweroff(void)
{
	uint64_t vmid = pick(K_VMID);

	if (no_guest(vmid))
		return;
	trace("set_vm_poweroff(%llu)", LL(vmid));
	hx_set_vm_poweroff((uint32_t)vmid);
}

static void op_vcpu_inactive(void)
{
	uint64_t vmid = pick(K_VMID), vcpu = pick(K_VCPU);

	trace("set_vcpu_inactive(%llu, %llu)", LL(vmid), LL(vcpu));
	hx_set_vcpu_inactive((uint32_t)vmid, (uint32_t)vcpu);
}

static void op_smmu(void)
{
	uint8_t sub = rd8() % 7;
	uint32_t cb = (uint32_t)pick(K_CB), idx = (uint32_t)pick(K_SMMU);
	uint64_t a, b, c;

	switch (sub) {
	case 0:
		a = pick(K_VMID);
		trace("el2_alloc_smmu_pgd(cb %u, vm %llu, smmu %u)", cb, LL(a),
		      idx);
		hx_smmu_alloc_pgd(cb, (uint32_t)a, idx);
		break;
	case 1:
		trace("el2_free_smmu_pgd(cb %u, smmu %u)", cb, idx);
		hx_smmu_free_pgd(cb, idx);
		break;
	case 2:
		a = pick(K_PFN);
		b = pick(K_GFN);
		trace("smmu_assign_page(cb %u, smmu %u, pfn 0x%llx, gfn "
		      "0x%llx)",
		      cb, idx, LL(a), LL(b));
		hx_smmu_assign_page(cb, idx, a, b);
		break;
	case 3:
		a = pick(K_IOVA);
		b = pick(K_PTE);
		trace("smmu_map_page(cb %u, smmu %u, iova 0x%llx, pte 0x%llx)",
		      cb, idx, LL(a), LL(b));
		hx_smmu_map_page(cb, idx, a, b);
		break;
	case 4:
		a = pick(K_IOVA);
		b = pick(K_PA);
		c = pick(K_PROT);
		trace("el2_arm_lpae_map(iova 0x%llx, pa 0x%llx, prot 0x%llx, "
		      "cb "
		      "%u, smmu %u)",
		      LL(a), LL(b), LL(c), cb, idx);
		hx_smmu_lpae_map(a, b, c, cb, idx);
		break;
	case 5:
		a = pick(K_IOVA);
		trace("el2_arm_lpae_clear(iova 0x%llx, cb %u, smmu %u)", LL(a),
		      cb, idx);
		hx_smmu_lpae_clear(a, cb, idx);
		break;
	default:
		a = pick(K_IOVA);
		b = hx_smmu_iova_to_phys(a, cb, idx);
		trace("el2_arm_lpae_iova_to_phys(iova 0x%llx, cb %u, smmu %u) "
		      "-> 0x%llx",
		      LL(a), cb, idx, LL(b));
		break;
	}
}

static void op_vm_access(void)
{
	uint32_t vmid = (uint32_t)pick(K_VMID); /* the API's type */
	uint64_t gpa = pick(K_GPA), fault = 0;
	uint64_t len = 1 + rd16() % MAX_IO;
	bool write = rd8() & 1, ok;

	if (write) {
		memset(iobuf, 0xa5, len);
		ok = cv_hosted_vm_write((uint32_t)vmid, gpa, iobuf, len,
					&fault);
	} else {
		ok = cv_hosted_vm_read((uint32_t)vmid, gpa, iobuf, len, &fault);
	}
	trace("vm %llu %s 0x%llx +0x%llx -> %d (fault 0x%llx)", LL(vmid),
	      write ? "write" : "read", LL(gpa), LL(len), ok, LL(fault));
}

static uint32_t ncpus = 1;

static void op_set_cpu(void)
{
	uint32_t c = rd8() % ncpus;

	cv_hosted_set_cpu(c);
	trace("set cpu %u", c);
}

static void op_ioremap(void)
{
	uint64_t vmid = pick(K_VMID), gpa = pick(K_GPA), pa = pick(K_PA);
	uint64_t size = (rd8() % 8) * PAGE_SIZE + rd8();

	hvc(HVC_PHYS_ADDR_IOREMAP, vmid, gpa, pa, size, 0);
}

static void op_query(void)
{
	uint64_t vmid = pick(K_VMID), gpa = pick(K_GPA);
	uint64_t r = hx_search_load_info((uint32_t)vmid, gpa);
	uint32_t on = hx_get_vm_poweron((uint32_t)vmid);

	trace("search_load_info(%llu, 0x%llx) -> 0x%llx, get_vm_poweron -> %u",
	      LL(vmid), LL(gpa), LL(r), on);
}

/* ENCRYPT_BUF, maybe tamper or move the blob, DECRYPT_BUF. */
static void op_seal_page(void)
{
	uint64_t vmid = pick(K_VMID), in = pick(K_PA), out = pick(K_PA);
	uint64_t vmid2 = (rd8() & 1) ? vmid : pick(K_VMID);
	uint8_t how = rd8();
	uint64_t at = out;

	hvc(HVC_ENCRYPT_BUF, vmid, in, out, 0, 0);
	if (cv_hosted_halted())
		return;
	if (how & 1) { /* flip one byte of ciphertext or header */
		uint64_t off = rd16() % (PAGE_SIZE + 64);
		uint8_t b = 0;

		host_read(out + off, &b, 1);
		b ^= 1 + rd8() % 255;
		host_write(out + off, &b, 1);
	}
	if (how & 2) { /* replay the blob somewhere else */
		static uint8_t blob[2 * PAGE_SIZE];

		at = pick(K_PA);
		host_read(out, blob, sizeof(blob));
		host_write(at, blob, sizeof(blob));
	}
	if (!cv_hosted_halted())
		hvc(HVC_DECRYPT_BUF, vmid2, at, 0, 0, 0);
}

/* SAVE_CRYPT_VCPU, maybe tamper with the shared page, LOAD_CRYPT_VCPU. */
static void op_seal_vcpu(void)
{
	uint64_t vmid = pick(K_VMID), vcpu = pick(K_VCPU);
	uint64_t vmid2 = (rd8() & 1) ? vmid : pick(K_VMID);
	uint64_t vcpu2 = (rd8() & 1) ? vcpu : pick(K_VCPU);
	uint8_t how = rd8();

	hvc(HVC_SAVE_CRYPT_VCPU, vmid, vcpu, 0, 0, 0);
	if (cv_hosted_halted())
		return;
	if ((how & 1) && vmid < NUM_PRINCIPALS && vcpu < VCPU_PER_VM) {
		uint64_t pa = cv_hosted_shared_base() +
			      CV_SHARED_VCPU_OFFSET(vmid, vcpu) +
			      rd16() % PAGE_SIZE;
		uint8_t b = 0;

		host_read(pa, &b, 1);
		b ^= 1 + rd8() % 255;
		host_write(pa, &b, 1);
	}
	if (!cv_hosted_halted())
		hvc(HVC_LOAD_CRYPT_VCPU, vmid2, vcpu2, 0, 0, 0);
}

/* ---- the SMMUs' registers, devices, vCPUs
 * ------------------------------------ */

/* A register of SMMU @index as the host reaches it (an MMIO address). */
static uint64_t smmu_reg(void)
{
	uint64_t base = cv_hosted_smmu_base(rd8() % SMMU_NUM);
	uint32_t cb = rd8() % 16;

	switch (rd8() % 10) {
	case 0:
		return base + ARM_SMMU_GR0_sCR0;
	case 1:
		return base + ARM_SMMU_GR0_sCR2;
	case 2:
		return base + (rd16() % ARM_SMMU_GR1_BASE & ~3ULL);
	case 3: /* CBAR(cb) */
		return base + ARM_SMMU_GR1_BASE + cb * 4;
	case 4:
		return base + ARM_SMMU_GR1_BASE +
		       rd16() % (ARM_SMMU_GR1_END - ARM_SMMU_GR1_BASE);
	case 5:
		return base + SMMU_GLOBAL_BASE + ((uint64_t)cb << 12) +
		       ARM_SMMU_CB_SCTLR;
	case 6:
		return base + SMMU_GLOBAL_BASE + ((uint64_t)cb << 12) +
		       ARM_SMMU_CB_TTBR0;
	case 7:
		return base + SMMU_GLOBAL_BASE + ((uint64_t)cb << 12) +
		       ARM_SMMU_CB_TTBR0_HI;
	case 8:
		return base + SMMU_GLOBAL_BASE + ((uint64_t)cb << 12) +
		       ARM_SMMU_CB_CONTEXTIDR;
	default:
		return base + rd16();
	}
}

/* The host loads or stores an SMMU register (emulated by the core). */
static void op_mmio(void)
{
	static const uint8_t lens[] = {4, 4, 8, 1, 2, 3};
	uint64_t pa = smmu_reg(), v;
	uint8_t len = lens[rd8() % ARRAY_SIZE(lens)];
	bool write = rd8() & 1;

	if (!write) {
		host_read(pa, &v, len);
		return;
	}
	switch (rd8() % 4) {
	case 0: /* a CBAR value: type, VMID */
		v = ((uint64_t)(rd8() % 4) << CBAR_TYPE_SHIFT) |
		    (pick(K_VMID) & CBAR_VMID_MASK);
		break;
	case 1:
		v = pick(K_PA);
		break;
	case 2:
		v = rd8();
		break;
	default:
		v = pick(K_RAW);
		break;
	}
	host_write(pa, &v, len);
}

/* A device's DMA through a context bank (the access oracle checks it). */
static void op_dma(void)
{
	uint32_t index = rd8() % SMMU_NUM, cb = rd8() % SMMU_NUM_CTXT_BANKS;
	uint64_t iova = pick(K_IOVA), len = 1 + rd16() % MAX_IO, fault = 0;
	bool write = rd8() & 1, ok;
	uint32_t bank = cv.smmu_vmid[smmu_id(index, cb)];

	if (write) {
		memset(iobuf, 0x5a, len);
		ok = cv_hosted_dma_write(index, cb, iova, iobuf, len, &fault);
	} else {
		ok = cv_hosted_dma_read(index, cb, iova, iobuf, len, &fault);
	}
	trace("dma %s smmu %u bank %u (owner %u) iova 0x%llx +0x%llx -> %d",
	      write ? "write" : "read", index, cb, bank, LL(iova), LL(len), ok);
}

/* ---- a guest played from the input
 * --------------------------------------------- */

static uint64_t guest_ipa(void)
{
	switch (rd8() % 4) {
	case 0: /* MMIO: the host emulates it */
		return rd32() % CV_MMIO_LIMIT;
	case 1:
		return imgs[rd8() % NIMG].load_addr + rd16();
	case 2:
		return 0x100000000ULL + (uint64_t)rd16() * PAGE_SIZE + rd8();
	default:
		return pick(K_GPA);
	}
}

static uint64_t guest_fn(void)
{
	static const uint64_t f[] = {
		CV_GUEST_HVC_SHARE,
		CV_GUEST_HVC_SHARE,
		CV_GUEST_HVC_UNSHARE,
		0x84000000ULL /* PSCI_VERSION */,
		0xc4000003ULL /* CPU_ON */,
		0x84000004ULL /* AFFINITY_INFO */,
		0x84000008ULL /* SYSTEM_OFF */,
		0x84000002ULL /* CPU_OFF */,
	};
	uint8_t s = rd8();

	return s < 0xf0 ? f[s % ARRAY_SIZE(f)] : rd64();
}

/*
 * The program of every vCPU: up to 16 actions from the input; a trapping
 * one ends the run (as the hosted machine requires), the input running
 * out is an interrupt.
 */
static void fuzz_guest(struct cv_hosted_guest *g, void *arg)
{
	(void)arg;
	for (int i = 0; i < 16 && !in_eof(); i++) {
		uint8_t a = rd8();
		uint32_t rt = rd8() % 32, len;
		uint64_t ipa;

		switch (a % 12) {
		case 0:
		case 1: /* naturally aligned, as the hosted guest requires */
			ipa = guest_ipa();
			len = 1u << (rd8() % 4);
			ipa &= ~(uint64_t)(len - 1);
			trace("  guest %u.%u %s 0x%llx", g->vmid, g->vcpuid,
			      a % 12 ? "store" : "load", LL(ipa));
			if (!(a % 12 ? cv_guest_store(g, ipa, len, rt)
				     : cv_guest_load(g, ipa, len, rt)))
				return;
			break;
		case 2:
			ipa = guest_ipa() & ~7ULL;
			if (!cv_guest_load_pair(g, ipa, rt % 31, rd8() % 31))
				return;
			break;
		case 3:
			g->pc = guest_ipa() & ~3ULL;
			if (!cv_guest_fetch(g))
				return;
			break;
		case 4:
		case 5:
			g->x[0] = guest_fn();
			g->x[1] = pick(K_RAW);
			g->x[2] = guest_ipa();
			g->x[3] = pick(K_SMALL);
			trace("  guest %u.%u %s 0x%llx (0x%llx, 0x%llx, "
			      "0x%llx)",
			      g->vmid, g->vcpuid, a % 12 == 4 ? "hvc" : "smc",
			      LL(g->x[0]), LL(g->x[1]), LL(g->x[2]),
			      LL(g->x[3]));
			if (a % 12 == 4)
				cv_guest_hvc(g, rd16());
			else
				cv_guest_smc(g, rd16());
			return;
		case 6:
			if (rd8() & 1)
				cv_guest_wfi(g);
			else
				cv_guest_wfe(g);
			return;
		case 7:
			cv_guest_sysreg(g, rt, rd8() & 1);
			return;
		case 8:
			cv_guest_trap(g, rd32());
			return;
		case 9:
			cv_guest_exception(g, rd8() % 4);
			return;
		case 10:
			g->x[rt % 31] = pick(K_RAW);
			g->pc += 4;
			break;
		default:
			return; /* an interrupt */
		}
	}
}

/*
 * VCPU_RUN: the host writes what it may into the vCPU's run structure
 * (first-run PC and PSTATE, register answers, a stage-2 fault answer),
 * runs it, and answers again, a few times.
 */
static void op_run(void)
{
	static const uint64_t pstates[] = {0x3c5, 0x3c4, 0x3c0, 0x3c9, 0x10};
	uint64_t vmid = pick(K_VMID), vcpu = pick(K_VCPU);
	uint8_t runs = 1 + rd8() % 4;
	uint64_t run = 0;

	if (vmid < NUM_PRINCIPALS && vcpu < VCPU_PER_VM)
		run = cv_hosted_shared_base() +
		      CV_SHARED_VCPU_OFFSET(vmid, vcpu) + CV_VCPU_RUN_OFFSET;
	for (uint8_t r = 0; r < runs && !cv_hosted_halted(); r++) {
		uint8_t m = rd8();
		uint64_t v;

		if (run && (m & 1)) {
			v = (rd8() & 1) ? imgs[rd8() % NIMG].load_addr +
						  (rd16() & ~3u)
					: pick(K_GPA);
			host_write(run + offsetof(struct cv_vcpu_run, pc), &v,
				   8);
		}
		if (run && (m & 2)) {
			v = rd8() < 0xf0 ? pstates[rd8() % ARRAY_SIZE(pstates)]
					 : rd64();
			host_write(run + offsetof(struct cv_vcpu_run, pstate),
				   &v, 8);
		}
		if (run && (m & 4)) {
			uint32_t i = rd8() % 31;

			v = pick(K_RAW);
			host_write(run + offsetof(struct cv_vcpu_run, regs) +
					   8 * i,
				   &v, 8);
		}
		if (run && (m & 8)) { /* answer a stage-2 fault */
			uint64_t ans[3];

			if (rd8() & 1)
				host_read(run + offsetof(struct cv_vcpu_run,
							 fault_ipa),
					  &ans[0], 8);
			else
				ans[0] = pick(K_GPA);
			ans[1] = pick(K_PTE);
			ans[2] = (rd8() & 3) == 2 ? 2 : 3;
			host_write(
				run + offsetof(struct cv_vcpu_run, fault_addr),
				ans, sizeof(ans));
		}
		if (cv_hosted_halted())
			return;
		hvc(HVC_VCPU_RUN, vmid, vcpu, 0, 0, 0);
	}
}

static void (*const ops[])(void) = {
	op_hvc,	      op_hvc,		op_hvc,	    op_host_write,
	op_host_read, op_load_image,	op_boot_vm, op_vm_fault,
	op_vm_fault,  NULL /* grant */, NULL,	    op_clear_range,
	op_poweroff,  op_vcpu_inactive, op_smmu,    op_vm_access,
	op_set_cpu,   op_ioremap,	op_query,   op_seal_page,
	op_seal_vcpu, op_mmio,		op_dma,	    op_run,
};

static void run_op(uint8_t code)
{
	uint8_t k = code % ARRAY_SIZE(ops);

	if (k == 9)
		op_sg(true);
	else if (k == 10)
		op_sg(false);
	else
		ops[k]();
}

/* ---- oracles
 * ------------------------------------------------------------------ */

static void check_after_op(void)
{
	char why[256];

	if (hx_access_violation(why, sizeof(why)))
		fail("access oracle: %s", why);
	if (check_invariants(why, sizeof(why)))
		fail("invariant violated: %s", why);
	if (cv_hosted_halted() && !cv_hosted_halt_reason()[0])
		fail("halted without a reason");
}

static uint64_t state_hash(void)
{
	struct hx_snap s;
	uint64_t h;

	hx_snap_take(&s);
	h = hx_snap_hash(&s);
	hx_snap_free(&s);
	return h;
}

/* ---- entry points
 * --------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("CV_FUZZ_VERBOSE") != NULL;
	strict = getenv("CV_FUZZ_STRICT") != NULL;
	make_images();
	hx_access_oracle_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t config;
	unsigned int n = 0;

	if (!imgs[0].bytes)
		LLVMFuzzerInitialize(NULL, NULL);
	in_p = data;
	in_n = size;
	in_i = 0;
	nlog = 0;
	config = rd8();
	ncpus = 1 + ((config >> 1) & 3);
	if (hx_boot(RAM_SIZE, ncpus, !(config & 1))) {
		fprintf(stderr, "fuzz_hvc: cv_hosted_boot failed\n");
		abort();
	}
	for (uint32_t v = 1; v < COREVISOR; v++)
		cv_hosted_set_guest(v, fuzz_guest, NULL);
	trace("boot: %u cpus, %s key", ncpus,
	      (config & 1) ? "no trusted" : "a trusted");
	check_after_op();
	while (!in_eof() && n++ < MAX_OPS && !cv_hosted_halted()) {
		run_op(rd8());
		check_after_op();
	}
	if (cv_hosted_halted()) {
		/* Fail-stop: a few more ops must change nothing. */
		char reason[CV_HALT_REASON_LEN];
		uint64_t h = state_hash();

		snprintf(reason, sizeof(reason), "%s", cv_hosted_halt_reason());
		for (unsigned int i = 0; i < 3 && !in_eof(); i++) {
			run_op(rd8());
			check_after_op();
		}
		if (state_hash() != h ||
		    strcmp(reason, cv_hosted_halt_reason()))
			fail("a halted core changed its state");
	}
	if (verbose)
		fprintf(stderr, "  end: %s%s\n",
			cv_hosted_halted() ? "halted: " : "running",
			cv_hosted_halt_reason());
	return 0;
}
