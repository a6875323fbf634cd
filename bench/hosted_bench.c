// SPDX-License-Identifier: MIT
/*
 * Hosted benchmarks (`make bench`): instruction counts of the core's
 * stage-2, ownership, boot and SMMU operations, each beside a floor
 * written here (the bare walk-and-store of the same table levels), heap
 * allocations on every path, ownership metadata per page, and image
 * verification against raw libsodium.
 *
 * Run under valgrind --tool=callgrind --collect-atstart=no: every measured
 * call is bracketed by CALLGRIND_TOGGLE_COLLECT, and each series ends with
 * CALLGRIND_DUMP_STATS_AT("<label>"), so a series' dump holds exactly the
 * instructions of its calls (plus the bracket, measured by the "calib"
 * series of calls to an empty function and subtracted by
 * bench/run_bench.py). Natively (mode "wall") the same code times the
 * verification with clock_gettime. stdout says what each label is.
 *
 *   hosted_bench ops        per-call series (callgrind)
 *   hosted_bench verify     boot protocol + verification per image size
 *   hosted_bench wall R     the verification, natively, R repetitions
 *   hosted_bench destroy    DESTROY_VM of VMs of several sizes (callgrind)
 *   hosted_bench snapshot   a whole-VM snapshot and its restore (callgrind)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <corevisor/image.h>
#include <corevisor/sealed.h>
#include <cv/boot.h>
#include <cv/mem.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/state.h>

#include "hosted_internal.h"

#define PG ((u64)PAGE_SIZE)
#define MIB (1ULL << 20)

/* ---- Heap allocations: malloc and friends, counted while watched ------ */

/*
 * The executable's malloc interposes libc's for every caller in the
 * process (core, hosted machine, libsodium, libc itself). dlsym may
 * allocate before the real functions are known: a small arena serves it.
 */
static volatile int heap_watch;
static volatile unsigned long heap_allocs;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static _Alignas(16) char boot_arena[8192];
static size_t boot_used;
static int resolving;

static void *arena_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof(boot_arena))
		abort();
	p = boot_arena + boot_used;
	boot_used += n;
	memset(p, 0, n);
	return p;
}

static void resolve(void)
{
	if (real_free || resolving)
		return;
	resolving = 1;
	real_malloc = dlsym(RTLD_NEXT, "malloc");
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
	real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	real_memalign = dlsym(RTLD_NEXT, "memalign");
	real_free = dlsym(RTLD_NEXT, "free");
	resolving = 0;
}

static inline void count_alloc(void)
{
	if (heap_watch)
		heap_allocs++;
}

void *malloc(size_t n)
{
	resolve();
	count_alloc();
	return real_malloc ? real_malloc(n) : arena_alloc(n);
}

void *calloc(size_t n, size_t m)
{
	resolve();
	count_alloc();
	return real_calloc ? real_calloc(n, m) : arena_alloc(n * m);
}

void *realloc(void *p, size_t n)
{
	resolve();
	count_alloc();
	if ((char *)p >= boot_arena &&
	    (char *)p < boot_arena + sizeof(boot_arena))
		abort();
	return real_realloc(p, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	resolve();
	count_alloc();
	return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	resolve();
	count_alloc();
	return real_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
	resolve();
	count_alloc();
	return real_memalign(align, n);
}

void free(void *p)
{
	if ((char *)p >= boot_arena &&
	    (char *)p < boot_arena + sizeof(boot_arena))
		return;
	resolve();
	if (real_free)
		real_free(p);
}

/* ---- Measurement brackets --------------------------------------------- */

/*
 * Instructions of one bracketed call are counted: the call itself, too.
 * BENCH_PROFILE=1 in the environment leaves collection alone, for a
 * profile of one function with --toggle-collect=<function>.
 */
static int toggles = 1;
#define MEASURED(call)                            \
	do {                                      \
		heap_watch = 1;                   \
		if (toggles)                      \
			CALLGRIND_TOGGLE_COLLECT; \
		call;                             \
		if (toggles)                      \
			CALLGRIND_TOGGLE_COLLECT; \
		heap_watch = 0;                   \
	} while (0)

static unsigned long series_calls, series_heap_start;

static void series_begin(void)
{
	series_calls = 0;
	series_heap_start = heap_allocs;
}

/* End a series: its dump is labelled @label; stdout says what it was. */
static void series_end(const char *kind, const char *label)
{
	CALLGRIND_DUMP_STATS_AT(label);
	printf("series %s %s calls %lu heap %lu\n", kind, label, series_calls,
	       heap_allocs - series_heap_start);
}

static void fail(const char *what)
{
	fprintf(stderr, "hosted_bench: %s (halted: %s)\n", what,
		cv_hosted_halt_reason());
	exit(1);
}

static void expect_running(const char *what)
{
	if (cv_hosted_halted())
		fail(what);
}

/* ---- The machine ------------------------------------------------------ */

static u8 pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

static void boot(void)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	memcpy(cfg.trusted_keys[0], pk, sizeof(pk));
	cfg.ntrusted_keys = 1;
	if (cv_hosted_boot(&cfg))
		fail("cv_hosted_boot failed");
	cv_hosted_set_cpu(0);
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
}

/*
 * The floors read the core's real tables the way the EL2 core does: one
 * offset from a physical address to its mapping (all tables live in the
 * core's private region), no checks, no locks.
 */
static u8 *res_va;
static u64 res_pa, ram_pfn0;

static void floor_setup(void)
{
	res_pa = cv_hosted_reserved_base();
	res_va = cv_hosted_phys(res_pa);
	ram_pfn0 = cv_hosted_ram_base() / PG;
}

#define PV(pa) ((u64 *)(res_va + ((pa)-res_pa)))

/* Pointer to the level-3 entry of @addr in the 4-level table at @root. */
static inline u64 *walk4(u64 root, u64 addr)
{
	u64 *t = PV(root);

	t = PV(t[pgd_index(addr)] & PTE_ADDR_MASK);
	t = PV(t[pud_index(addr)] & PTE_ADDR_MASK);
	t = PV(t[pmd_index(addr)] & PTE_ADDR_MASK);
	return &t[pte_index(addr)];
}

/* The SMMU's 3 levels: two concatenated level-1 pages, then 2 and 3. */
static inline u64 *walk_smmu3(u64 root, u64 iova)
{
	u64 *t = PV(root);

	t = PV(t[(iova >> PUD_SHIFT) & 1023] & PTE_ADDR_MASK);
	t = PV(t[pmd_index(iova)] & PTE_ADDR_MASK);
	return &t[pte_index(iova)];
}

static inline void store(u64 *p, u64 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline struct s2page *s2(u64 pfn)
{
	return &cv.s2page[pfn - ram_pfn0];
}

/* The empty call: what a bracket costs (subtracted from every series). */
__attribute__((noinline)) static void empty_call(u32 a, u64 b, u64 c, u32 d)
{
	__asm__ volatile("" : : "r"(a), "r"(b), "r"(c), "r"(d) : "memory");
}

/* Stage-2 map, 4 KiB: walk 4 levels, store the leaf. */
__attribute__((noinline)) static void floor_s2_map(u32 vmid, u64 addr, u64 pte)
{
	store(walk4(cv.npts[vmid].pool, addr), phys_page(pte) | PAGE_S2_RAM);
}

/* Pointer to the level-2 entry of @addr in the 4-level table at @root. */
static inline u64 *walk3(u64 root, u64 addr)
{
	u64 *t = PV(root);

	t = PV(t[pgd_index(addr)] & PTE_ADDR_MASK);
	t = PV(t[pud_index(addr)] & PTE_ADDR_MASK);
	return &t[pmd_index(addr)];
}

/*
 * map_page_host of the host's own 2 MiB: the owners of its 512 pages,
 * walk the host's 3 levels to the level-2 entry, store the block.
 */
__attribute__((noinline)) static void floor_map_host_block(u64 addr)
{
	u64 base = addr & ~(PMD_SIZE - 1);
	const struct s2page *pg = s2(base / PG);

	for (u32 i = 0; i < PTRS_PER_PMD; i++)
		if (pg[i].owner != HOSTVISOR)
			return;
	store(walk3(cv.npts[HOSTVISOR].pool, addr), base | PAGE_S2_RAM_BLOCK);
}

/*
 * clear_pfn_host inside a block (the split): the 512 entries of the
 * level-3 table the core linked there, the page leaving PAGE_GUEST, the
 * link stored again.
 */
__attribute__((noinline)) static void floor_split(u64 pfn)
{
	u64 addr = pfn * PG, base = addr & ~(PMD_SIZE - 1);
	u64 *l2 = walk3(cv.npts[HOSTVISOR].pool, addr), link = *l2;
	u64 *t = PV(link & PTE_ADDR_MASK);

	for (u32 i = 0; i < PTRS_PER_PMD; i++)
		t[i] = (base + i * PG) | PAGE_S2_RAM;
	t[pte_index(addr)] = PAGE_GUEST;
	store(l2, link);
}

/* map_page_host: owner of the page, walk the host's 4 levels, store. */
__attribute__((noinline)) static void floor_map_host(u64 addr)
{
	u64 pfn = addr / PG;

	if (s2(pfn)->owner == HOSTVISOR)
		store(walk4(cv.npts[HOSTVISOR].pool, addr),
		      pfn * PG | PAGE_S2_RAM);
}

/* clear_pfn_host (the unmap): walk the host's 4 levels, invalidate. */
__attribute__((noinline)) static void floor_clear_host(u64 pfn)
{
	u64 *e = walk4(cv.npts[HOSTVISOR].pool, pfn * PG);

	if (*e & PTE_VALID)
		store(e, PAGE_GUEST);
}

/*
 * assign_pfn_to_vm: read the page's entry, invalidate the host's leaf,
 * write owner and gfn.
 */
__attribute__((noinline)) static void floor_assign(u32 vmid, u64 gfn, u64 pfn)
{
	struct s2page *pg = s2(pfn);
	u64 *e;

	if (pg->owner == HOSTVISOR || pg->owner == vmid) {
		e = walk4(cv.npts[HOSTVISOR].pool, pfn * PG);
		store(e, PAGE_GUEST);
		pg->owner = vmid;
		pg->gfn = gfn;
	}
}

/* The whole VM fault (prot_and_map_vm_s2pt): assign, then map. */
__attribute__((noinline)) static void floor_fault(u32 vmid, u64 addr, u64 pte)
{
	u64 pfn = phys_page(pte) / PG;
	struct s2page *pg = s2(pfn);

	if (pg->owner == HOSTVISOR || pg->owner == vmid) {
		store(walk4(cv.npts[HOSTVISOR].pool, pfn * PG), PAGE_GUEST);
		pg->owner = vmid;
		pg->gfn = addr / PG;
	}
	store(walk4(cv.npts[vmid].pool, addr), phys_page(pte) | PAGE_S2_RAM);
}

/* remap_vm_image: walk the core's own 4 levels, store, count the page. */
static u64 mirror_mapped;
__attribute__((noinline)) static void floor_remap(u64 va, u64 pfn)
{
	store(walk4(cv.npts[COREVISOR].pool, va), pfn * PG | PAGE_HYP);
	mirror_mapped++;
}

/* SMMU map: the page's owner and gfn, walk 3 levels, store. */
__attribute__((noinline)) static void floor_smmu_map(u32 vmid, u64 root,
						     u64 iova, u64 pte)
{
	struct s2page *pg = s2(phys_page(pte) / PG);

	if (pg->owner == vmid && pg->gfn == iova / PG)
		store(walk_smmu3(root, iova), pte);
}

/* SMMU clear: walk 3 levels, zero the leaf; a host page loses a count. */
__attribute__((noinline)) static void floor_smmu_clear(u64 root, u64 iova)
{
	u64 *e = walk_smmu3(root, iova);
	u64 old = *e;
	struct s2page *pg;

	store(e, 0);
	if (old) {
		pg = s2(phys_page(old) / PG);
		if (pg->owner == HOSTVISOR && pg->count)
			pg->count--;
	}
}

/* register_kvm / set_boot_info: the same state updates, on a mirror. */
static struct {
	u32 next_vmid;
	u64 next_remap;
	struct vm_info info[NUM_PRINCIPALS];
} mirror;

__attribute__((noinline)) static u32 floor_register_kvm(void)
{
	u32 vmid = mirror.next_vmid++;

	mirror.info[vmid].kvm = cv.shared_base + vmid * 64;
	mirror.info[vmid].state = READY;
	return vmid;
}

__attribute__((noinline)) static u32 floor_set_boot_info(u32 vmid, u64 addr,
							 u64 size)
{
	struct vm_info *info = &mirror.info[vmid];
	u32 idx = info->next_load_info++;

	info->load_addr[idx] = addr;
	info->load_size[idx] = size;
	info->remap_addr[idx] = mirror.next_remap;
	info->mapped_pages[idx] = 0;
	mirror.next_remap += (size + PG - 1) / PG * PG;
	return idx;
}

/* ---- Per-call series -------------------------------------------------- */

/*
 * Page series run over CHUNKS 2 MiB chunks. Page 511 of each chunk is
 * mapped first, unmeasured, so the level-3 table exists; the measured
 * calls are pages 0..510 (a steady-state map, no table allocation).
 */
#define CHUNKS 4U
#define MEASURED_PER_CHUNK 511U
#define CHUNK_PAGES 512U

/* Region bases (host RAM: 0x40000000 + 1 GiB). */
#define HOSTMAP_PA 0x50000000ULL
#define HOSTBLK_PA 0x58000000ULL /* BLOCKS 2 MiB blocks of the host's */
#define BLOCKS 32U
#define ASSIGN_PA 0x51000000ULL
#define SMMU_PA 0x52000000ULL
#define FAULT_PA 0x53000000ULL
#define REMAP_PA 0x54000000ULL
#define VMMAP_PA 0x56000000ULL
#define VM_IPA 0x80000000ULL
#define FAULT_IPA 0x90000000ULL
#define SMMU_GFN 0x100000ULL
#define SMMU_CB 1U
#define SMMU_IDX 0U

static u64 page_at(u64 base, u32 chunk, u32 i)
{
	return base + ((u64)chunk * CHUNK_PAGES + i) * PG;
}

static void series_calib(void)
{
	series_begin();
	for (u32 i = 0; i < CHUNKS * MEASURED_PER_CHUNK; i++) {
		MEASURED(empty_call(i, i, i, i));
		series_calls++;
	}
	series_end("calib", "calib");
}

/* The interposer works: one malloc inside a bracket is one allocation. */
static void heap_selftest(void)
{
	void *(*volatile m)(size_t) = malloc;
	unsigned long before = heap_allocs;
	void *p = NULL;

	MEASURED(p = m(32));
	free(p);
	printf("heap_selftest %lu\n", heap_allocs - before);
	CALLGRIND_ZERO_STATS;
}

/*
 * The host's 4 KiB faults: page 511 of each 2 MiB is a VM's page the VM
 * granted the host, so the host's pages around it map one at a time (a
 * 2 MiB the host owns whole maps as a block: series_map_host_block). The
 * host maps page 511 first, unmeasured: the level-3 table exists.
 */
static void series_map_host(u32 vmid)
{
	for (u32 c = 0; c < CHUNKS; c++) {
		u64 pfn = page_at(HOSTMAP_PA, c, 511) / PG;

		assign_pfn_to_vm(vmid, 0x90000 + c, pfn);
		grant_vm_page(vmid, pfn);
		map_page_host(pfn * PG);
	}
	expect_running("map_page_host set-up");
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(map_page_host(page_at(HOSTMAP_PA, c, i)));
	series_end("op", "map_page_host");
	expect_running("map_page_host");
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(floor_map_host(page_at(HOSTMAP_PA, c, i)));
	series_end("floor", "map_page_host");

	/* The unmap (the spec's clear path): the same pages leave. */
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(
				clear_pfn_host(page_at(HOSTMAP_PA, c, i) / PG));
	series_end("op", "clear_pfn_host");
	expect_running("clear_pfn_host");
	/* The floor finds them mapped again (it stores what the core did). */
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++) {
			u64 pa = page_at(HOSTMAP_PA, c, i);

			store(walk4(cv.npts[HOSTVISOR].pool, pa),
			      pa | PAGE_S2_RAM);
		}
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(floor_clear_host(page_at(HOSTMAP_PA, c, i) /
						  PG));
	series_end("floor", "clear_pfn_host");
}

/*
 * The host's fault on a 2 MiB it owns whole (one block per call, each in
 * a fresh 2 MiB), then a page of each block leaving the host (the split).
 */
static void series_map_host_block(void)
{
	series_begin();
	for (u32 b = 0; b < BLOCKS; b++, series_calls++)
		MEASURED(map_page_host(page_at(HOSTBLK_PA, b, 5)));
	series_end("op", "map_page_host_block");
	expect_running("map_page_host_block");
	for (u32 b = 0; b < BLOCKS; b++)
		if (walk_s2pt(HOSTVISOR, page_at(HOSTBLK_PA, b, 0)) !=
		    (page_at(HOSTBLK_PA, b, 0) | PAGE_S2_RAM_BLOCK))
			fail("map_page_host_block mapped no block");
	series_begin();
	for (u32 b = 0; b < BLOCKS; b++, series_calls++)
		MEASURED(floor_map_host_block(page_at(HOSTBLK_PA, b, 5)));
	series_end("floor", "map_page_host_block");

	series_begin();
	for (u32 b = 0; b < BLOCKS; b++, series_calls++)
		MEASURED(clear_pfn_host(page_at(HOSTBLK_PA, b, 7) / PG));
	series_end("op", "clear_pfn_host_split");
	expect_running("clear_pfn_host_split");
	series_begin();
	for (u32 b = 0; b < BLOCKS; b++, series_calls++)
		MEASURED(floor_split(page_at(HOSTBLK_PA, b, 7) / PG));
	series_end("floor", "clear_pfn_host_split");
}

/*
 * The host maps the range as its faults do (a block per 2 MiB), then page
 * 511 of each 2 MiB leaves its stage 2 (it stays the host's): the blocks
 * split, and the measured calls on pages 0..510 find page leaves.
 */
static void map_host_range(u64 base)
{
	for (u32 c = 0; c < CHUNKS; c++) {
		for (u32 i = 0; i < CHUNK_PAGES; i++)
			map_page_host(page_at(base, c, i));
		clear_pfn_host(page_at(base, c, 511) / PG);
	}
	expect_running("map_host_range");
}

static void series_assign(u32 vmid)
{
	map_host_range(ASSIGN_PA);
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++) {
			u64 pa = page_at(ASSIGN_PA, c, i);

			MEASURED(assign_pfn_to_vm(vmid, pa / PG, pa / PG));
		}
	series_end("op", "assign_pfn_to_vm");
	expect_running("assign_pfn_to_vm");
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++) {
			u64 pa = page_at(ASSIGN_PA, c, i);

			MEASURED(floor_assign(vmid, pa / PG, pa / PG));
		}
	series_end("floor", "assign_pfn_to_vm");
}

static void series_vm_map(u32 vmid, u32 vmid2)
{
	for (u32 c = 0; c < CHUNKS; c++) {
		map_pfn_vm(vmid, page_at(VM_IPA, c, 511),
			   page_at(VMMAP_PA, c, 511), 3);
		map_s2pt(vmid2, page_at(VM_IPA, c, 511), 3,
			 page_at(VMMAP_PA, c, 511) | PAGE_S2_RAM);
	}
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(map_pfn_vm(vmid, page_at(VM_IPA, c, i),
					    page_at(VMMAP_PA, c, i), 3));
	series_end("op", "map_pfn_vm");
	expect_running("map_pfn_vm");
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(floor_s2_map(vmid, page_at(VM_IPA, c, i),
					      page_at(VMMAP_PA, c, i)));
	series_end("floor", "map_pfn_vm");

	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(map_s2pt(vmid2, page_at(VM_IPA, c, i), 3,
					  page_at(VMMAP_PA, c, i) |
						  PAGE_S2_RAM));
	series_end("op", "map_s2pt");
	expect_running("map_s2pt");
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(floor_s2_map(vmid2, page_at(VM_IPA, c, i),
					      page_at(VMMAP_PA, c, i)));
	series_end("floor", "map_s2pt");
}

/* The VM's stage-2 fault as a whole: assign, then map (level 3). */
static void series_fault(u32 vmid)
{
	map_host_range(FAULT_PA);
	for (u32 c = 0; c < CHUNKS; c++)
		prot_and_map_vm_s2pt(vmid, page_at(FAULT_IPA, c, 511),
				     page_at(FAULT_PA, c, 511), 3);
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(prot_and_map_vm_s2pt(
				vmid, page_at(FAULT_IPA, c, i),
				page_at(FAULT_PA, c, i), 3));
	series_end("op", "prot_and_map_vm_s2pt");
	expect_running("prot_and_map_vm_s2pt");
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++)
			MEASURED(floor_fault(vmid, page_at(FAULT_IPA, c, i),
					     page_at(FAULT_PA, c, i)));
	series_end("floor", "prot_and_map_vm_s2pt");
}

/* remap_vm_image, per page, over one 8 MiB image (tables allocated on the
 * way: 1 level-3 table per 512 pages, amortised). */
static void series_remap(u32 vmid)
{
	const u64 npages = 2048;
	u32 idx = set_boot_info(vmid, 0xc0000000ULL, npages * PG);
	u64 remap = cv.vminfos[vmid].remap_addr[idx];

	expect_running("set_boot_info for remap");
	series_begin();
	for (u64 i = 0; i < npages; i++, series_calls++)
		MEASURED(remap_vm_image(vmid, REMAP_PA / PG + i, idx));
	series_end("op", "remap_vm_image");
	expect_running("remap_vm_image");
	if (cv.vminfos[vmid].mapped_pages[idx] != npages)
		fail("remap_vm_image mapped too few pages");
	series_begin();
	for (u64 i = 0; i < npages; i++, series_calls++)
		MEASURED(floor_remap(remap + i * PG, REMAP_PA / PG + i));
	series_end("floor", "remap_vm_image");
}

static void series_smmu(u32 vmid)
{
	u64 root = smmu_ttbr(SMMU_IDX, SMMU_CB);

	alloc_smmu(vmid, SMMU_CB, SMMU_IDX);
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < CHUNK_PAGES; i++) {
			u64 pa = page_at(SMMU_PA, c, i);
			u64 gfn = SMMU_GFN + (u64)c * CHUNK_PAGES + i;

			assign_smmu(vmid, pa / PG, gfn);
		}
	for (u32 c = 0; c < CHUNKS; c++) {
		u64 gfn = SMMU_GFN + (u64)c * CHUNK_PAGES + 511;

		map_smmu(vmid, SMMU_CB, SMMU_IDX, gfn * PG,
			 page_at(SMMU_PA, c, 511) | PAGE_S2_RAM);
	}
	expect_running("SMMU set-up");
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++) {
			u64 gfn = SMMU_GFN + (u64)c * CHUNK_PAGES + i;

			MEASURED(
				map_smmu(vmid, SMMU_CB, SMMU_IDX, gfn * PG,
					 page_at(SMMU_PA, c, i) | PAGE_S2_RAM));
		}
	series_end("op", "map_smmu");
	expect_running("map_smmu");
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++) {
			u64 gfn = SMMU_GFN + (u64)c * CHUNK_PAGES + i;

			MEASURED(floor_smmu_map(vmid, root, gfn * PG,
						page_at(SMMU_PA, c, i) |
							PAGE_S2_RAM));
		}
	series_end("floor", "map_smmu");

	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++) {
			u64 gfn = SMMU_GFN + (u64)c * CHUNK_PAGES + i;

			MEASURED(clear_smmu(vmid, SMMU_CB, SMMU_IDX, gfn * PG));
		}
	series_end("op", "clear_smmu");
	expect_running("clear_smmu");
	series_begin();
	for (u32 c = 0; c < CHUNKS; c++)
		for (u32 i = 0; i < MEASURED_PER_CHUNK; i++, series_calls++) {
			u64 gfn = SMMU_GFN + (u64)c * CHUNK_PAGES + i;

			MEASURED(floor_smmu_clear(root, gfn * PG));
		}
	series_end("floor", "clear_smmu");
}

/* register_kvm and set_boot_info: 15 VMs per boot, 5 load infos each. */
#define BOOTS 8U
static void series_boot_ops(void)
{
	u32 vmids[MAX_VM_NUM];

	series_begin();
	for (u32 b = 0; b < BOOTS; b++) {
		boot();
		for (u32 v = 0; v < MAX_VM_NUM; v++, series_calls++)
			MEASURED(vmids[v] = register_kvm());
		expect_running("register_kvm");
		if (vmids[MAX_VM_NUM - 1] != MAX_VM_NUM)
			fail("register_kvm: unexpected vmid");
	}
	series_end("op", "register_kvm");
	series_begin();
	for (u32 b = 0; b < BOOTS; b++) {
		memset(&mirror, 0, sizeof(mirror));
		mirror.next_vmid = 1;
		for (u32 v = 0; v < MAX_VM_NUM; v++, series_calls++)
			MEASURED(vmids[v] = floor_register_kvm());
	}
	series_end("floor", "register_kvm");

	series_begin();
	for (u32 b = 0; b < BOOTS; b++) {
		boot();
		for (u32 v = 0; v < MAX_VM_NUM; v++)
			vmids[v] = register_kvm();
		for (u32 v = 0; v < MAX_VM_NUM; v++)
			for (u32 k = 0; k < MAX_LOAD_INFO_NUM;
			     k++, series_calls++)
				MEASURED(set_boot_info(vmids[v],
						       0x80000000ULL + k * MIB,
						       3 * PG));
		expect_running("set_boot_info");
	}
	series_end("op", "set_boot_info");
	series_begin();
	for (u32 b = 0; b < BOOTS; b++) {
		memset(&mirror, 0, sizeof(mirror));
		mirror.next_remap = REMAP_START;
		for (u32 v = 0; v < MAX_VM_NUM; v++)
			for (u32 k = 0; k < MAX_LOAD_INFO_NUM;
			     k++, series_calls++)
				MEASURED(floor_set_boot_info(
					vmids[v], 0x80000000ULL + k * MIB,
					3 * PG));
	}
	series_end("floor", "set_boot_info");
}

static void run_ops(void)
{
	u32 vm[5];

	boot();
	floor_setup();
	heap_selftest();
	series_calib();
	for (u32 i = 0; i < 5; i++)
		vm[i] = register_kvm();
	expect_running("register_kvm");
	series_map_host(vm[0]);
	series_map_host_block();
	series_assign(vm[0]);
	series_vm_map(vm[1], vm[2]);
	series_fault(vm[3]);
	series_remap(vm[4]);
	series_smmu(vm[4]);
	series_boot_ops();

	/* Ownership metadata: one entry per page of every region. */
	printf("meta s2page_entry_bytes %zu s2page_array_bytes %llu "
	       "region_pages %llu\n",
	       sizeof(struct s2page),
	       (unsigned long long)ALIGN_UP(
		       cv.s2page_num * sizeof(struct s2page), PAGE_SIZE),
	       (unsigned long long)cv.s2page_num);
	printf("heap_total %lu\n", heap_allocs);
}

/* ---- Image verification ------------------------------------------------ */

/* Where the host stages the image, and where the VM sees it (2 MiB apart
 * on both sides: verify_and_load_images needs the same offset mod 2 MiB). */
#define IMAGE_PA 0x48000000ULL
#define IMAGE_IPA 0x80000000ULL

struct image {
	u64 size; /* what the host loads: payload + trailer */
	u8 *img;  /* payload || trailer */
	u8 *msg;  /* signed header || payload, contiguous (raw references) */
	u64 msg_len;
	u8 sig_pure[crypto_sign_BYTES]; /* Ed25519 of msg */
	u8 sig_ph[crypto_sign_BYTES];	/* Ed25519ph of msg (the trailer's) */
};

static void make_image(struct image *im, u64 size)
{
	u64 len = size - CV_IMAGE_TRAILER_BYTES;
	struct cv_image_signed_header hdr;
	struct cv_image_trailer tr;
	crypto_sign_state st;

	im->size = size;
	im->img = malloc(size);
	im->msg = malloc(len + sizeof(hdr));
	if (!im->img || !im->msg)
		fail("out of memory");
	randombytes_buf_deterministic(
		im->img, len, (const u8 *)"corevisor bench image seed.....");
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.domain, CV_IMAGE_DOMAIN, sizeof(CV_IMAGE_DOMAIN) - 1);
	hdr.version = CV_IMAGE_VERSION;
	hdr.flags = CV_IMAGE_FLAG_BOOT;
	hdr.payload_len = len;
	hdr.load_addr = IMAGE_IPA;
	hdr.entry = IMAGE_IPA; /* the VM boots at its first byte */
	memcpy(im->msg, &hdr, sizeof(hdr));
	memcpy(im->msg + sizeof(hdr), im->img, len);
	im->msg_len = len + sizeof(hdr);

	crypto_sign_init(&st);
	crypto_sign_update(&st, im->msg, im->msg_len);
	crypto_sign_final_create(&st, im->sig_ph, NULL, sk);
	crypto_sign_detached(im->sig_pure, NULL, im->msg, im->msg_len, sk);

	memset(&tr, 0, sizeof(tr));
	memcpy(tr.magic, CV_IMAGE_MAGIC, CV_IMAGE_MAGIC_LEN);
	tr.version = CV_IMAGE_VERSION;
	tr.flags = CV_IMAGE_FLAG_BOOT;
	tr.payload_len = len;
	tr.load_addr = IMAGE_IPA;
	tr.entry = IMAGE_IPA;
	memcpy(tr.sig, im->sig_ph, sizeof(tr.sig));
	memcpy(im->img + len, &tr, sizeof(tr));
}

static void free_image(struct image *im)
{
	free(im->img);
	free(im->msg);
}

static int raw_pure(const struct image *im)
{
	return crypto_sign_verify_detached(im->sig_pure, im->msg, im->msg_len,
					   pk);
}

static int raw_ph(const struct image *im)
{
	crypto_sign_state st;

	crypto_sign_init(&st);
	crypto_sign_update(&st, im->msg, im->msg_len);
	return crypto_sign_final_verify(&st, im->sig_ph, pk);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * The boot protocol for one image on a fresh machine, each step measured:
 * register_kvm, set_boot_info, remap_vm_image per page, then
 * verify_and_load_images. *verify_ns gets the wall time of the last.
 * Returns false (with the reason in *why) when the core refuses.
 */
static bool boot_protocol(const struct image *im, const char *tag,
			  bool callgrind, double *verify_ns)
{
	u64 pages = (im->size + PG - 1) / PG;
	char label[64];
	u32 vmid = 0, idx = 0;
	double t0;

	boot();
	if (!cv_hosted_host_write(IMAGE_PA, im->img, im->size))
		fail("host could not stage the image");

	series_begin();
	MEASURED(vmid = register_kvm());
	series_calls = 1;
	snprintf(label, sizeof(label), "%s:register_kvm", tag);
	if (callgrind)
		series_end("verify", label);

	series_begin();
	MEASURED(idx = set_boot_info(vmid, IMAGE_IPA, im->size));
	series_calls = 1;
	snprintf(label, sizeof(label), "%s:set_boot_info", tag);
	if (callgrind)
		series_end("verify", label);
	if (cv_hosted_halted())
		return false;

	series_begin();
	for (u64 i = 0; i < pages; i++, series_calls++)
		MEASURED(remap_vm_image(vmid, IMAGE_PA / PG + i, idx));
	snprintf(label, sizeof(label), "%s:remap_vm_image", tag);
	if (callgrind)
		series_end("verify", label);

	series_begin();
	t0 = now_ns();
	MEASURED(verify_and_load_images(vmid));
	*verify_ns = now_ns() - t0;
	series_calls = 1;
	snprintf(label, sizeof(label), "%s:verify_and_load_images", tag);
	if (callgrind)
		series_end("verify", label);
	if (cv_hosted_halted())
		return false;
	if (cv_hosted_vm_state(vmid) != VERIFIED)
		fail("image not VERIFIED");
	return true;
}

/* Total image sizes: payload + the 96-byte trailer. */
static const u64 verify_sizes[] = {
	1 * MIB,  2 * MIB,
	4 * MIB,  8 * MIB,
	16 * MIB, REMAP_SIZE - PAGE_SIZE, /* the largest the remap area takes */
	64 * MIB,
};

static void raw_series(const struct image *im, const char *tag)
{
	char label[64];
	int r = -1;

	series_begin();
	MEASURED(r = raw_pure(im));
	series_calls = 1;
	snprintf(label, sizeof(label), "%s:raw_ed25519", tag);
	series_end("verify", label);
	if (r != 0)
		fail("raw Ed25519 verification failed");
	series_begin();
	MEASURED(r = raw_ph(im));
	series_calls = 1;
	snprintf(label, sizeof(label), "%s:raw_ed25519ph", tag);
	series_end("verify", label);
	if (r != 0)
		fail("raw Ed25519ph verification failed");
}

static void run_verify(void)
{
	boot();
	floor_setup();
	series_calib();
	for (u32 s = 0; s < ARRAY_SIZE(verify_sizes); s++) {
		struct image im;
		char tag[32];
		double ns;

		make_image(&im, verify_sizes[s]);
		snprintf(tag, sizeof(tag), "v%llu",
			 (unsigned long long)verify_sizes[s]);
		if (boot_protocol(&im, tag, true, &ns))
			printf("image %llu ok pages %llu\n",
			       (unsigned long long)im.size,
			       (unsigned long long)((im.size + PG - 1) / PG));
		else
			printf("image %llu refused %s\n",
			       (unsigned long long)im.size,
			       cv_hosted_halt_reason());
		raw_series(&im, tag);
		free_image(&im);
	}
	printf("heap_total %lu\n", heap_allocs);
}

/* Wall time, natively: best of @reps for the core and for raw Ed25519. */
static void run_wall(int reps)
{
	for (u32 s = 0; s < ARRAY_SIZE(verify_sizes); s++) {
		struct image im;
		double best_core = 0, best_raw = 0, best_ph = 0;
		bool ok = true;

		make_image(&im, verify_sizes[s]);
		for (int r = 0; r < reps; r++) {
			double ns, t0;

			if (ok && boot_protocol(&im, "wall", false, &ns))
				best_core = (!best_core || ns < best_core)
						    ? ns
						    : best_core;
			else
				ok = false;
			t0 = now_ns();
			if (raw_pure(&im))
				fail("raw verification failed");
			ns = now_ns() - t0;
			best_raw = (!best_raw || ns < best_raw) ? ns : best_raw;
			t0 = now_ns();
			if (raw_ph(&im))
				fail("raw ph verification failed");
			ns = now_ns() - t0;
			best_ph = (!best_ph || ns < best_ph) ? ns : best_ph;
		}
		printf("wall %llu core_ns %.0f raw_ns %.0f raw_ph_ns %.0f\n",
		       (unsigned long long)im.size, ok ? best_core : 0.0,
		       best_raw, best_ph);
		free_image(&im);
	}
}

/* ---- VM destroy -------------------------------------------------------- */

/*
 * destroy_vm of a powered-off VM that owns @mib MiB of RAM (2 MiB blocks
 * given by its stage-2 faults) plus a 1-page image: one measured call,
 * dumped as "destroy:<mib>". The run's cost is linear in the pages the
 * VM owns (each zeroed and given back) and in the regions' pages (each
 * owner read once): run_bench.py fits instructions per GiB.
 */
#define DESTROY_PA 0x50000000ULL
#define DESTROY_IPA 0x80000000ULL
static const u32 destroy_mib[] = {16, 64, 256};

static void run_destroy(void)
{
	boot();
	floor_setup();
	series_calib();
	for (u32 s = 0; s < ARRAY_SIZE(destroy_mib); s++) {
		u64 blocks = destroy_mib[s] * MIB / PMD_SIZE, ret = 0;
		u32 vmid;
		char label[32];

		boot();
		vmid = register_kvm();
		register_vcpu(vmid, 0);
		verify_and_load_images(vmid);
		for (u64 b = 0; b < blocks; b++)
			prot_and_map_vm_s2pt(vmid, DESTROY_IPA + b * PMD_SIZE,
					     (DESTROY_PA + b * PMD_SIZE) |
						     PAGE_S2_RAM_BLOCK,
					     2);
		set_vm_poweroff(vmid);
		expect_running("destroy set-up");
		if (cv_hosted_page_owner(DESTROY_PA / PG) != vmid)
			fail("destroy set-up: pages not the VM's");
		series_begin();
		MEASURED(ret = destroy_vm(vmid, 0));
		series_calls = 1;
		snprintf(label, sizeof(label), "destroy:%u", destroy_mib[s]);
		series_end("destroy", label);
		if (ret != CV_DESTROY_OK || cv_hosted_halted() ||
		    cv_hosted_page_owner(DESTROY_PA / PG) != HOSTVISOR)
			fail("destroy_vm");
		printf("destroy %u MiB pages %llu region_pages %llu\n",
		       destroy_mib[s], (unsigned long long)(blocks * 512),
		       (unsigned long long)cv.s2page_num);
	}
}

/* ---- VM snapshot and restore ------------------------------------------ */

/*
 * A powered-off VM owning SNAP_MIB MiB of RAM (2 MiB blocks) sealed by
 * SNAPSHOT_BEGIN / _PAGE (until DONE) / _VCPU / _END into host pages,
 * dumped as "snapshot"; then destroyed and restored into a fresh VM of
 * the same (empty) measurement by RESTORE_BEGIN / _PAGE / _VCPU and
 * BOOT_FROM_SAVED_VM, dumped as "restore". Each page's restore takes the
 * ciphertext page for the VM (no copy): the VM had no page at its gfn.
 */
#define SNAP_MIB 16U
#define SNAP_VM_PA 0x50000000ULL
#define SNAP_OUT_PA 0x54000000ULL /* 2 pages per VM page, then the rest */
#define SNAP_IPA 0x80000000ULL

static void run_snapshot(void)
{
	u64 pages = SNAP_MIB * MIB / PG, blocks = SNAP_MIB * MIB / PMD_SIZE;
	u64 vcpu_blob = SNAP_OUT_PA + 2 * pages * PG, manifest = vcpu_blob + PG;
	u64 r = 0, n = 0, calls = 0;
	u32 a, b;

	boot();
	series_calib();
	boot();
	a = register_kvm();
	register_vcpu(a, 0);
	verify_and_load_images(a);
	for (u64 k = 0; k < blocks; k++)
		prot_and_map_vm_s2pt(
			a, SNAP_IPA + k * PMD_SIZE,
			(SNAP_VM_PA + k * PMD_SIZE) | PAGE_S2_RAM_BLOCK, 2);
	set_vm_poweroff(a);
	b = register_kvm();
	register_vcpu(b, 0);
	verify_and_load_images(b);
	expect_running("snapshot set-up");

	series_begin();
	MEASURED(r = snapshot_begin(a));
	for (;;) {
		MEASURED(r = snapshot_page(a, SNAP_OUT_PA + 2 * n * PG));
		calls++;
		if (r == CV_SNAP_DONE)
			break;
		if (r == CV_SNAP_OK)
			n++;
		else if (r != CV_SNAP_AGAIN)
			fail("snapshot_page");
	}
	MEASURED(r = snapshot_vcpu(a, 0, vcpu_blob));
	MEASURED(r |= snapshot_end(a, manifest));
	series_calls = n;
	series_end("snapshot", "snapshot");
	if (r != CV_SNAP_OK || n != pages || cv_hosted_halted())
		fail("snapshot");
	if (destroy_vm(a, 0) != CV_DESTROY_OK)
		fail("snapshot: destroy");

	series_begin();
	MEASURED(r = restore_begin(b, manifest));
	for (u64 k = 0; k < n; k++)
		MEASURED(r |= restore_page(b, SNAP_OUT_PA + 2 * k * PG));
	MEASURED(r |= restore_vcpu(b, 0, vcpu_blob));
	MEASURED(r |= boot_from_saved_vm(b));
	series_calls = n;
	series_end("restore", "restore");
	if (r != CV_SNAP_OK || cv_hosted_halted() ||
	    cv_hosted_page_owner(SNAP_OUT_PA / PG) != b)
		fail("restore");
	printf("snapshot pages %llu page_calls %llu page_blob_bytes %zu "
	       "vcpu_blob_bytes %llu manifest_bytes %zu\n",
	       (unsigned long long)n, (unsigned long long)calls,
	       (size_t)PG + sizeof(struct cv_snap_page_hdr),
	       (unsigned long long)((struct cv_snap_vcpu_hdr *)cv_hosted_phys(
					    vcpu_blob))
			       ->state_bytes +
		       sizeof(struct cv_snap_vcpu_hdr),
	       sizeof(struct cv_snap_manifest_hdr) +
		       sizeof(struct cv_snap_manifest));
}

int main(int argc, char **argv)
{
	u8 seed[crypto_sign_SEEDBYTES];

	if (sodium_init() < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("BENCH_PROFILE"))
		toggles = 0;
	memset(seed, 0x42, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);

	if (argc >= 2 && !strcmp(argv[1], "ops"))
		run_ops();
	else if (argc >= 2 && !strcmp(argv[1], "verify"))
		run_verify();
	else if (argc >= 2 && !strcmp(argv[1], "wall"))
		run_wall(argc >= 3 ? atoi(argv[2]) : 3);
	else if (argc >= 2 && !strcmp(argv[1], "destroy"))
		run_destroy();
	else if (argc >= 2 && !strcmp(argv[1], "snapshot"))
		run_snapshot();
	else {
		fprintf(stderr,
			"usage: %s ops | verify | wall [reps] | destroy | "
			"snapshot\n",
			argv[0]);
		return 2;
	}
	return 0;
}
