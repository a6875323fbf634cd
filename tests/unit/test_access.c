// SPDX-License-Identifier: MIT
/*
 * The hosted machine's data path (arch/hosted/access.c, tlb.c, vcpu.c):
 * every access is cut at page boundaries and each page is translated on
 * its own, so bytes past a page boundary land where the next page maps,
 * never in the physically next page; and the access watcher
 * (cv_hosted_watch_accesses) reports exactly the physical bytes each
 * piece loaded or stored. Host, VM, DMA and a simulated vCPU's accesses,
 * and the host's write across the end of RAM into the core's region that
 * the fuzzer's old write oracle misread (the core's own table descriptor
 * taken for the host's byte).
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/hosted.h>
#include <cv/mem.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "boot_support.h"
#include "hosted_internal.h"
#include "pt_support.h"
#include "vm_support.h"

#define VM 3U
#define GPA 0x80000000ULL /* VM 3's first page; the next one at + 4 KiB */
#define IDX 1U
#define CB 2U
#define IOVA 0x61000ULL

/* ---- the watcher's log ------------------------------------------------ */

#define MAX_REC 64
static struct cv_hosted_access rec[MAX_REC];
static unsigned int nrec;

static void record(const struct cv_hosted_access *a, void *arg)
{
	cr_assert_eq(arg, &nrec, "the watcher's argument is passed on");
	cr_assert_lt(nrec, MAX_REC, "more pieces than expected");
	rec[nrec++] = *a;
}

static void watch(void)
{
	nrec = 0;
	cv_hosted_watch_accesses(record, &nrec);
}

static void expect_rec(unsigned int i, bool dma, bool write, u32 id, u64 addr,
		       u64 pa, u64 len)
{
	cr_assert_lt(i, nrec, "piece %u missing (%u recorded)", i, nrec);
	cr_assert_eq(rec[i].dma, dma, "piece %u: dma", i);
	cr_assert_eq(rec[i].write, write, "piece %u: write", i);
	cr_assert_eq(rec[i].id, id, "piece %u: id %u", i, rec[i].id);
	cr_assert_eq(rec[i].addr, addr, "piece %u: addr 0x%llx", i,
		     (unsigned long long)rec[i].addr);
	cr_assert_eq(rec[i].pa, pa, "piece %u: pa 0x%llx, want 0x%llx", i,
		     (unsigned long long)rec[i].pa, (unsigned long long)pa);
	cr_assert_eq(rec[i].len, len, "piece %u: len 0x%llx", i,
		     (unsigned long long)rec[i].len);
}

static void boot(void)
{
	pts_boot();
}

static void unwatch(void)
{
	cv_hosted_watch_accesses(NULL, NULL);
}

TestSuite(access, .init = boot, .fini = unwatch);

static bool bytes_are(u64 pa, u64 len, u8 b)
{
	const u8 *p = cv_hosted_phys(pa);

	for (u64 i = 0; i < len; i++)
		if (p[i] != b)
			return false;
	return true;
}

/*
 * VM 3's GPA -> RAM page 10 and GPA + 4 KiB -> RAM page 20: physically
 * apart, with page 11 (the physically next page, the host's) filled with
 * a sentinel that a spilling access would overwrite.
 */
static void two_vm_pages(u64 *pa0, u64 *pa1)
{
	*pa0 = pts_ram_pa(10);
	*pa1 = pts_ram_pa(20);
	prot_and_map_vm_s2pt(VM, GPA, *pa0, 3);
	prot_and_map_vm_s2pt(VM, GPA + PAGE_SIZE, *pa1, 3);
	pts_expect_running();
	pts_fill_page(*pa0 / PAGE_SIZE, 0x00);
	pts_fill_page(*pa0 / PAGE_SIZE + 1, 0xee);
	pts_fill_page(*pa1 / PAGE_SIZE, 0x00);
}

/* ---- VM accesses ------------------------------------------------------ */

Test(access, vm_write_across_pages_lands_where_each_page_maps)
{
	u64 pa0, pa1, fault = 0, at = GPA + PAGE_SIZE - 32;
	u8 buf[64], back[64];

	two_vm_pages(&pa0, &pa1);
	memset(buf, 0x77, sizeof(buf));
	watch();
	cr_assert(cv_hosted_vm_write(VM, at, buf, sizeof(buf), &fault));
	cr_assert(bytes_are(pa0 + PAGE_SIZE - 32, 32, 0x77));
	cr_assert(bytes_are(pa1, 32, 0x77));
	cr_assert(bytes_are(pa1 + 32, PAGE_SIZE - 32, 0x00));
	cr_assert(bytes_are(pa0 + PAGE_SIZE, PAGE_SIZE, 0xee),
		  "nothing spilled into the physically next page");
	cr_assert_eq(nrec, 2);
	expect_rec(0, false, true, VM, at, pa0 + PAGE_SIZE - 32, 32);
	expect_rec(1, false, true, VM, GPA + PAGE_SIZE, pa1, 32);

	/* Read back across: each half from its own page. */
	*(u8 *)cv_hosted_phys(pa1) = 0x78;
	watch();
	cr_assert(cv_hosted_vm_read(VM, at, back, sizeof(back), &fault));
	cr_assert_eq(back[31], 0x77);
	cr_assert_eq(back[32], 0x78, "byte 32 is page 20's first");
	cr_assert_eq(nrec, 2);
	expect_rec(0, false, false, VM, at, pa0 + PAGE_SIZE - 32, 32);
	expect_rec(1, false, false, VM, GPA + PAGE_SIZE, pa1, 32);
}

Test(access, a_fault_on_the_next_page_stops_the_access_there)
{
	u64 pa0 = pts_ram_pa(10), fault = 0, at = GPA + PAGE_SIZE - 16;
	u8 buf[48];

	prot_and_map_vm_s2pt(VM, GPA, pa0, 3);
	pts_fill_page(pa0 / PAGE_SIZE, 0x00);
	pts_fill_page(pa0 / PAGE_SIZE + 1, 0xee);
	memset(buf, 0x55, sizeof(buf));
	watch();
	cr_assert_not(cv_hosted_vm_write(VM, at, buf, sizeof(buf), &fault));
	cr_assert_eq(fault, GPA + PAGE_SIZE, "the first unmapped byte");
	cr_assert(bytes_are(pa0 + PAGE_SIZE - 16, 16, 0x55));
	cr_assert(bytes_are(pa0 + PAGE_SIZE, PAGE_SIZE, 0xee));
	cr_assert_eq(nrec, 1, "the faulting page stored nothing");
	expect_rec(0, false, true, VM, at, pa0 + PAGE_SIZE - 16, 16);
}

/* cv_hosted_tlb_access: the same, for a caller's own simulated access. */
Test(access, tlb_access_translates_each_page_it_crosses)
{
	u64 pa0, pa1, at = GPA + PAGE_SIZE - 4, v = 0x1122334455667788ULL;
	struct cv_walk w;

	two_vm_pages(&pa0, &pa1);
	watch();
	cr_assert_eq(cv_hosted_tlb_access(VM, at, CV_ACCESS_WRITE, &v, 8, &w),
		     CV_FAULT_NONE);
	cr_assert_eq(*(u32 *)cv_hosted_phys(pa0 + PAGE_SIZE - 4), 0x55667788U);
	cr_assert_eq(*(u32 *)cv_hosted_phys(pa1), 0x11223344U);
	cr_assert(bytes_are(pa0 + PAGE_SIZE, PAGE_SIZE, 0xee));
	cr_assert_eq(nrec, 2);
	expect_rec(0, false, true, VM, at, pa0 + PAGE_SIZE - 4, 4);
	expect_rec(1, false, true, VM, GPA + PAGE_SIZE, pa1, 4);

	/* The third page is not mapped: the access stops there. */
	v = 0;
	watch();
	cr_assert_eq(cv_hosted_tlb_access(VM, GPA + 2 * PAGE_SIZE - 4,
					  CV_ACCESS_READ, &v, 8, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(nrec, 1);
	expect_rec(0, false, false, VM, GPA + 2 * PAGE_SIZE - 4,
		   pa1 + PAGE_SIZE - 4, 4);
}

/* ---- the host ----------------------------------------------------------- */

Test(access, host_write_across_pages_is_two_pieces)
{
	u64 pa = pts_ram_pa(30) + PAGE_SIZE - 3;
	u8 buf[8] = "corevis";

	watch();
	cr_assert(cv_hosted_host_write(pa, buf, sizeof(buf)));
	cr_assert_eq(nrec, 2);
	expect_rec(0, false, true, HOSTVISOR, pa, pa, 3);
	expect_rec(1, false, true, HOSTVISOR, pa + 3, pa + 3, 5);
	cr_assert_arr_eq((u8 *)cv_hosted_phys(pa), buf, sizeof(buf));
}

/*
 * The fuzzer's failure (tests/fuzz/corpus/host-write-into-core-region):
 * a host write of 0x1200 bytes from RAM's last byte on. Its first byte is
 * the host's; the next page is the core's, the fault handler panics and
 * no byte of the core's page is stored. The core did write that page
 * meanwhile: mapping the host's last RAM page put a table descriptor
 * (low byte 0x03) in the host's root table, the first page of the core's
 * region, which equals the host's byte for that offset here: comparing
 * page contents took it for the host's store.
 */
Test(access, host_write_off_the_end_of_ram_stores_only_ram)
{
	u64 end = cv_hosted_ram_base() + cv_hosted_ram_size();
	u64 core = cv_hosted_reserved_base();
	static u8 buf[0x1200];

	cr_assert_eq(core, end, "the core's region follows RAM");
	cr_assert_eq(get_pt_vttbr(HOSTVISOR) & PTE_ADDR_MASK, core,
		     "the host's root table is the region's first page");
	memset(buf, 0x5a, sizeof(buf));
	buf[1] = PTE_TYPE_TABLE; /* the descriptor's low byte */
	watch();
	cr_assert_not(cv_hosted_host_write(end - 1, buf, sizeof(buf)));
	pts_expect_halt("map_page_host", "owned by 16");
	cr_assert_eq(nrec, 1, "one piece: %u", nrec);
	expect_rec(0, false, true, HOSTVISOR, end - 1, end - 1, 1);
	cr_assert_eq(*(u8 *)cv_hosted_phys(end - 1), 0x5a);
	cr_assert_eq(*(u8 *)cv_hosted_phys(core), PTE_TYPE_TABLE,
		     "the core's own descriptor");
	cr_assert_neq(*(u8 *)cv_hosted_phys(core + 1), 0x5a);
}

/* ---- a device --------------------------------------------------------- */

static u64 dma_page(u64 n, u64 iova)
{
	u64 pfn = pts_ram_pfn(n);

	assign_pfn_to_smmu(VM, iova / PAGE_SIZE, pfn);
	update_smmu_page(VM, CB, IDX, iova, pfn * PAGE_SIZE | PAGE_S2_RAM);
	pts_expect_running();
	pts_fill_page(pfn, 0x00);
	return pfn * PAGE_SIZE;
}

Test(access, dma_across_pages_goes_through_each_pages_entry)
{
	u64 pa0 = dma_page(40, IOVA), pa1 = dma_page(50, IOVA + PAGE_SIZE);
	u64 at = IOVA + PAGE_SIZE - 8, fault = 0;
	u8 buf[24];

	pts_fill_page(pa0 / PAGE_SIZE + 1, 0xee);
	memset(buf, 0x44, sizeof(buf));
	watch();
	cr_assert(cv_hosted_dma_write(IDX, CB, at, buf, sizeof(buf), &fault));
	cr_assert(bytes_are(pa0 + PAGE_SIZE - 8, 8, 0x44));
	cr_assert(bytes_are(pa1, 16, 0x44));
	cr_assert(bytes_are(pa0 + PAGE_SIZE, PAGE_SIZE, 0xee));
	cr_assert_eq(nrec, 2);
	expect_rec(0, true, true, IDX, at, pa0 + PAGE_SIZE - 8, 8);
	expect_rec(1, true, true, IDX, IOVA + PAGE_SIZE, pa1, 16);
	cr_assert_eq(rec[0].cbndx, CB);
	cr_assert_eq(rec[1].cbndx, CB);
}

/* ---- a simulated vCPU ------------------------------------------------- */

static struct vs_script script;

Test(access, guest_store_and_pair_load_cross_into_the_next_page)
{
	u64 at = VS_IMAGE_IPA + PAGE_SIZE - 8, pa0, pa1;
	struct cv_translation t;
	unsigned int stores = 0, pair = 0;
	u32 vm;

	vs_boot();
	memset(&script, 0, sizeof(script));
	vm = vs_new_vm(1, 0);
	vs_set_script(vm, &script);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	cr_assert(cv_hosted_translate(vm, at, &t));
	pa0 = t.pa;
	cr_assert(cv_hosted_translate(vm, at + 8, &t));
	pa1 = t.pa;
	*(u64 *)cv_hosted_phys(pa1) = 0xabcdef0123456789ULL;
	script.ops[0] = (struct vs_op){OP_MOV, 0x5151515151515151ULL, 0, 1, 0};
	script.ops[1] = (struct vs_op){OP_STORE, at, 8, 1, 0};
	script.ops[2] = (struct vs_op){OP_LDP, at, 0, 2, 3};
	script.ops[3] = (struct vs_op){OP_SNAP, 0, 0, 0, 0};
	script.ops[4] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
	watch();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	unwatch();
	bs_expect_running();
	cr_assert_eq(script.snaps[0].x[2], 0x5151515151515151ULL);
	cr_assert_eq(script.snaps[0].x[3], 0xabcdef0123456789ULL,
		     "the pair's second half from the next page's frame");
	cr_assert_eq(*(u64 *)cv_hosted_phys(pa0), 0x5151515151515151ULL);
	for (unsigned int i = 0; i < nrec; i++) {
		cr_assert_eq(rec[i].id, vm, "only the VM's accesses");
		cr_assert_not(rec[i].dma);
		if (rec[i].addr == at && rec[i].write) {
			expect_rec(i, false, true, vm, at, pa0, 8);
			stores++;
		} else if (rec[i].addr == at) {
			expect_rec(i, false, false, vm, at, pa0, 8);
			cr_assert(i + 1 < nrec, "the pair's second half");
			expect_rec(i + 1, false, false, vm, at + 8, pa1, 8);
			pair++;
		}
	}
	cr_assert_eq(stores, 1);
	cr_assert_eq(pair, 1);
}

/* ---- the watcher itself ----------------------------------------------- */

Test(access, faults_and_emulated_registers_move_no_memory)
{
	u64 fault = 0, v = 0;
	u32 cbar = 0;

	watch();
	cr_assert_not(cv_hosted_vm_read(VM, GPA, &v, 8, &fault));
	cr_assert_not(cv_hosted_dma_read(IDX, CB, IOVA, &v, 8, &fault));
	/* An SMMU register: the core emulates the host's load. */
	cr_assert(cv_hosted_host_read(
		cv_hosted_smmu_base(0) + ARM_SMMU_GR1_BASE, &cbar, 4));
	pts_expect_running();
	cr_assert_eq(nrec, 0, "%u pieces recorded", nrec);
	unwatch();
	cr_assert(cv_hosted_host_write(pts_ram_pa(5), &v, 8));
	cr_assert_eq(nrec, 0, "the watcher was removed");
}
