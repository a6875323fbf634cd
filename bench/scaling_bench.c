// SPDX-License-Identifier: MIT
/*
 * Scaling benchmarks (`make bench`, bench/scaling_bench.py): the same
 * operation on 1, 2, 4 or 8 hosted CPUs (threads) at once, each CPU on
 * its own VM and its own pages, so that only the core's global locks can
 * make them wait for each other.
 *
 *   scaling_bench run OP NCPUS OPS   NCPUS threads, OPS operations each
 *   scaling_bench hold OP LOCK OPS   1 CPU; callgrind collects only while
 *                                    LOCK is the outermost global lock
 *                                    this CPU holds
 *   scaling_bench hold-calib LOCK OPS [NESTED]  the same around empty
 *                                    critical sections (the hook's own
 *                                    cost), or around one pair of NESTED
 *   scaling_bench memory             the core's reserved memory by part,
 *                                    for 1 to 16 GiB of RAM
 *
 * OP: hvc (HVC_IS_INC_EXE on the CPU's own VM), exit (HVC_VCPU_RUN: the
 * CPU's own one-vCPU VM enters its guest, which makes an HVC that exits
 * to the host), fault (the host's stage-2 fault on a 4 KiB page of its
 * own: map_page_host in 2 MiB ranges a VM holds a page of), block (the
 * host's stage-2 fault on a 2 MiB range it owns whole: one block).
 *
 * "run" brackets the measured phase with CALLGRIND_ZERO_STATS and
 * CALLGRIND_DUMP_STATS_AT("run"), so under callgrind its dump holds the
 * instructions of every thread's operations (callgrind runs threads one
 * at a time: a waiter spins until the holder runs again, the hosted
 * arch_cpu_relax yields every 16 turns). Natively it prints the wall time
 * of the phase. Built with CV_LOCK_STATS it also prints each lock's
 * acquisitions, contended acquisitions and spin-loop turns (cv.lock_stats),
 * summed over the CPUs, for the measured phase only.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <corevisor/vcpu_abi.h>
#include <cv/boot.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/pt.h>
#include <cv/state.h>
#include <cv/stream.h>

#include "harness.h"

#define PG ((u64)PAGE_SIZE)
#define MIB (1ULL << 20)
#define MAX_CPUS 8U
/* Host RAM: images from 16 MiB, each CPU's pages from 128 MiB, 64 MiB each. */
#define RAM_BYTES (1ULL << 30)
#define IMAGE_OFF (16 * MIB)
#define CPU_OFF (128 * MIB)
#define CPU_BYTES (64 * MIB)
#define GUEST_IPA 0x80000000ULL

enum op { OP_HVC, OP_EXIT, OP_FAULT, OP_BLOCK };
static const char *const op_names[] = {"hvc", "exit", "fault", "block"};

static enum op op;
static u32 ncpus;
static u64 nops;
static u32 vmids[MAX_CPUS];
static pthread_barrier_t ready, go, done;

static void fail(const char *what)
{
	fprintf(stderr, "scaling_bench: %s (halted: %s)\n", what,
		cv_hosted_halt_reason());
	exit(1);
}

static u64 ram(u64 off)
{
	return cv_hosted_ram_base() + off;
}

/* CPU @k's 4 KiB fault number @i: page i % 510 of its 2 MiB range i / 510. */
static u64 fault_addr(u32 k, u64 i)
{
	return ram(CPU_OFF + k * CPU_BYTES + (i / 510) * PMD_SIZE +
		   (i % 510) * PG);
}

static u64 block_addr(u32 k, u64 i)
{
	return ram(CPU_OFF + k * CPU_BYTES + i * PMD_SIZE + 5 * PG);
}

/* The guest of every VM: an HVC (a vendor call, not PSCI) every run. */
static void hvc_guest(struct cv_hosted_guest *g, void *arg)
{
	(void)arg;
	g->x[0] = 0xc6000010ULL; /* not CV_GUEST_HVC_SHARE/UNSHARE */
	cv_guest_hvc(g, 0);
}

/* A verified one-vCPU VM whose image (one page) the host keeps at @pa. */
static u32 new_vm(u64 pa, u32 seed)
{
	struct hx_image img;
	u32 vmid = (u32)cv_hosted_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
	u64 idx;

	cv_hosted_hvc(HVC_REGISTER_VCPU, vmid, 0, 0, 0, 0);
	hx_make_image_boot(&img, hx_sk, GUEST_IPA, PG, seed, true);
	idx = cv_hosted_hvc(HVC_SET_BOOT_INFO, vmid, img.load_addr, img.size, 0,
			    0);
	if (!cv_hosted_host_write(pa, img.bytes, img.size))
		fail("image write");
	for (u64 off = 0; off < img.size; off += PG)
		cv_hosted_hvc(HVC_REMAP_VM_IMAGE, vmid, (pa + off) / PG, idx, 0,
			      0);
	cv_hosted_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	free(img.bytes);
	if (cv_hosted_halted() || cv_hosted_vm_state(vmid) != VERIFIED)
		fail("VM set-up");
	cv_hosted_set_guest(vmid, hvc_guest, NULL);
	return vmid;
}

static void setup(void)
{
	u32 holder = 0;

	hx_keys_init();
	if (hx_boot(RAM_BYTES, MAX_CPUS, true))
		fail("boot");
	for (u32 k = 0; k < ncpus; k++) {
		if (op == OP_EXIT)
			vmids[k] = new_vm(ram(IMAGE_OFF + k * PMD_SIZE), k + 1);
		else if (op == OP_HVC)
			vmids[k] = (u32)cv_hosted_hvc(HVC_REGISTER_KVM, 0, 0, 0,
						      0, 0);
	}
	if (op == OP_FAULT) {
		/*
		 * Page 511 of each 2 MiB range is a VM's: the host maps the
		 * other pages one at a time.
		 */
		holder = (u32)cv_hosted_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
		for (u32 k = 0; k < ncpus; k++)
			for (u64 r = 0; r * 510 < nops; r++) {
				u64 pfn = (fault_addr(k, r * 510) &
					   ~(PMD_SIZE - 1)) /
						  PG +
					  511;

				assign_pfn_to_vm(holder,
						 0x90000 + pfn % 0x10000, pfn);
			}
	}
	if (cv_hosted_halted())
		fail("set-up");
}

static void one_op(u32 k, u64 i)
{
	switch (op) {
	case OP_HVC:
		if (cv_hosted_hvc(HVC_IS_INC_EXE, vmids[k], 0, 0, 0, 0) != 0)
			fail("IS_INC_EXE");
		break;
	case OP_EXIT:
		if (cv_hosted_hvc(HVC_VCPU_RUN, vmids[k], 0, 0, 0, 0) !=
		    CV_EXIT_HVC)
			fail("VCPU_RUN");
		break;
	case OP_FAULT:
		map_page_host(fault_addr(k, i));
		break;
	case OP_BLOCK:
		map_page_host(block_addr(k, i));
		break;
	}
}

static void *cpu_main(void *arg)
{
	u32 k = (u32)(uintptr_t)arg;

	cv_hosted_set_cpu(k);
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go);
	for (u64 i = 0; i < nops; i++)
		one_op(k, i);
	pthread_barrier_wait(&done);
	return NULL;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static __attribute__((unused)) void lock_name(u32 lk, char *buf, size_t len)
{
	static const char *const fixed[] = {"", "CORE", "S2PAGE", "SPT",
					    "SMMU"};

	if (lk < NPT_ID)
		snprintf(buf, len, "%s", fixed[lk]);
	else if (lk < INFO_ID)
		snprintf(buf, len, "NPT+%u", lk - NPT_ID);
	else
		snprintf(buf, len, "INFO+%u", lk - INFO_ID);
}

static void run(void)
{
	pthread_t th[MAX_CPUS];
	double t0, t1;

	setup();
	pthread_barrier_init(&ready, NULL, ncpus + 1);
	pthread_barrier_init(&go, NULL, ncpus + 1);
	pthread_barrier_init(&done, NULL, ncpus + 1);
	for (u32 k = 0; k < ncpus; k++)
		pthread_create(&th[k], NULL, cpu_main, (void *)(uintptr_t)k);
	pthread_barrier_wait(&ready);
#ifdef CV_LOCK_STATS
	memset(cv.lock_stats, 0, sizeof(cv.lock_stats));
#endif
	CALLGRIND_ZERO_STATS;
	t0 = now_ns();
	pthread_barrier_wait(&go);
	pthread_barrier_wait(&done);
	t1 = now_ns();
	CALLGRIND_DUMP_STATS_AT("run");
	for (u32 k = 0; k < ncpus; k++)
		pthread_join(th[k], NULL);
	if (cv_hosted_halted())
		fail("run");
	printf("run %s cpus %u ops %" PRIu64 " wall_ns %.0f\n", op_names[op],
	       ncpus, nops * ncpus, t1 - t0);
#ifdef CV_LOCK_STATS
	for (u32 lk = 1; lk < NUM_LOCKS; lk++) {
		u64 acq = 0, cont = 0, spins = 0;
		char name[16];

		for (u32 c = 0; c < TOTAL_CPU; c++) {
			acq += cv.lock_stats[c][lk].acquired;
			cont += cv.lock_stats[c][lk].contended;
			spins += cv.lock_stats[c][lk].spins;
		}
		if (!acq)
			continue;
		lock_name(lk, name, sizeof(name));
		printf("lock %s acquired %" PRIu64 " contended %" PRIu64
		       " spins %" PRIu64 "\n",
		       name, acq, cont, spins);
	}
#endif
}

#ifdef CV_LOCK_STATS
/*
 * A lock every CPU may need whatever VM it works on: all but a VM's own
 * stage-2 table lock and info lock (NPT_ID, INFO_ID + 1..15).
 */
static bool global_lock(u32 lk)
{
	u32 p = lk >= INFO_ID ? lk - INFO_ID : lk - NPT_ID;

	return lk < NPT_ID || !is_vm(p);
}

static u32 hold_target;
/* The global locks this CPU holds, in the order taken. */
static __thread u32 held_global[8], global_depth, outer;
/* Locks taken inside a counted hold: their hook's cost is taken out. */
static bool collecting;
static u64 nested_global, nested_local;

static void collect(bool on)
{
	if (on == collecting)
		return;
	collecting = on;
	CALLGRIND_TOGGLE_COLLECT;
}

/*
 * The outermost global lock is the first of those held. When it is passed
 * on while another is held (map_page_host's hand-over-hand), the next one
 * becomes the outermost: its hold starts there.
 */
static void hold_hook(u32 lk, bool taken)
{
	bool global = global_lock(lk);

	if (collecting && taken) {
		if (!global)
			nested_local++;
		else if (global_depth)
			nested_global++;
	}
	if (!global)
		return;
	if (taken) {
		if (global_depth < 8)
			held_global[global_depth] = lk;
		global_depth++;
	} else {
		u32 i = 0;

		while (i < global_depth && held_global[i] != lk)
			i++;
		for (; i + 1 < global_depth; i++)
			held_global[i] = held_global[i + 1];
		global_depth--;
	}
	outer = global_depth ? held_global[0] : ~0U;
	collect(outer == hold_target);
}

/*
 * The counters' self-test: two CPUs take CORE_ID in turn with a long
 * critical section; some acquisitions must find it held (else the
 * counters, or this machine's threads, show nothing).
 */
static volatile u64 sink;

static void *selftest_cpu(void *arg)
{
	cv_hosted_set_cpu((u32)(uintptr_t)arg);
	pthread_barrier_wait(&go);
	for (u32 i = 0; i < 1000; i++) {
		wait_lock(CORE_ID);
		for (u32 j = 0; j < 2000; j++)
			sink += j;
		pass_lock(CORE_ID);
	}
	return NULL;
}

static void selftest(void)
{
	pthread_t th[2];
	u64 acq = 0, cont = 0, spins = 0;

	ncpus = 1;
	op = OP_HVC;
	setup();
	memset(cv.lock_stats, 0, sizeof(cv.lock_stats));
	pthread_barrier_init(&go, NULL, 2);
	for (u32 k = 0; k < 2; k++)
		pthread_create(&th[k], NULL, selftest_cpu,
			       (void *)(uintptr_t)k);
	for (u32 k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	for (u32 c = 0; c < TOTAL_CPU; c++) {
		acq += cv.lock_stats[c][CORE_ID].acquired;
		cont += cv.lock_stats[c][CORE_ID].contended;
		spins += cv.lock_stats[c][CORE_ID].spins;
	}
	printf("selftest CORE acquired %llu contended %llu spins %llu\n",
	       (unsigned long long)acq, (unsigned long long)cont,
	       (unsigned long long)spins);
}

static u32 parse_lock(const char *s)
{
	for (u32 lk = 1; lk < NUM_LOCKS; lk++) {
		char name[16];

		lock_name(lk, name, sizeof(name));
		if (!strcmp(name, s))
			return lk;
	}
	fail("unknown lock");
	return 0;
}

static void hold(const char *lock, bool calib, u32 nested)
{
	ncpus = 1;
	setup();
	hold_target = parse_lock(lock);
	cv.lock_stat_hook = hold_hook;
	if (calib) {
		/*
		 * An empty critical section: what the hook itself adds; with
		 * @nested, around one pair of the lock @nested (what a lock
		 * taken inside a hold adds).
		 */
		for (u64 i = 0; i < nops; i++) {
			wait_lock(hold_target);
			if (nested) {
				wait_lock(nested);
				pass_lock(nested);
			}
			pass_lock(hold_target);
		}
	} else {
		for (u64 i = 0; i < nops; i++)
			one_op(0, i);
	}
	cv.lock_stat_hook = NULL;
	CALLGRIND_DUMP_STATS_AT("hold");
	if (cv_hosted_halted())
		fail("hold");
	printf("hold %s %s ops %" PRIu64 " nested_global %" PRIu64
	       " nested_local %" PRIu64 "\n",
	       calib ? "calib" : op_names[op], lock, nops, nested_global,
	       nested_local);
}
#endif

/*
 * The core's reserved memory for a machine of @gib GiB of RAM in one
 * region (with an SMMUv3, as `make run`'s board), part by part
 * (cv_reserved_bytes), and what a VM costs: its table pool (reserved
 * whatever the VM count) and its state in `cv` (info, contexts, run
 * slots).
 */
static void memory(void)
{
	static const u32 gibs[] = {1, 2, 4, 8, 16};

	for (u32 i = 0; i < sizeof(gibs) / sizeof(gibs[0]); i++) {
		struct cv_boot_params p;
		struct pt_geometry g, vm;
		u64 s2 = ((u64)gibs[i] << 30) / PG * sizeof(struct s2page);

		memset(&p, 0, sizeof(p));
		p.nregions = 1;
		p.regions[0].base = 0x40000000ULL;
		p.regions[0].size = (u64)gibs[i] << 30;
		p.smmuv3_base = 0x09050000ULL;
		p.smmuv3_size = 0x20000ULL;
		host_pool_geometry(p.regions, 1, &g);
		/* The EL2 build's VM pools (CV_VM_POOLS_FROM_RAM). */
		vm_pool_geometry_from_ram(p.regions, 1, &vm);
		printf("memory ram %llu total %llu host_pool %llu vm_pools "
		       "%llu el2_vm_pool %llu el2_vm_pmd_area %llu "
		       "smmu_pool %llu stream_pool %llu s2page %llu\n",
		       (unsigned long long)p.regions[0].size,
		       (unsigned long long)cv_reserved_bytes(&p),
		       (unsigned long long)g.pool_bytes,
		       (unsigned long long)(NUM_PRINCIPALS - 1) *
			       PT_POOL_PER_VM,
		       (unsigned long long)vm.pool_bytes,
		       (unsigned long long)(vm.pool_bytes - vm.pmd_offset),
		       (unsigned long long)SMMU_POOL_BYTES,
		       (unsigned long long)stream_pool_bytes(&p),
		       (unsigned long long)((s2 + PG - 1) / PG * PG));
	}
	printf("pervm pool %llu pmd_area %llu info %zu ctxt %zu slots %zu "
	       "cv %zu\n",
	       (unsigned long long)PT_POOL_PER_VM,
	       (unsigned long long)(PT_POOL_PER_VM - PMD_OFFSET),
	       sizeof(struct vm_info), VCPU_PER_VM * sizeof(struct cv_ctxt),
	       VCPU_PER_VM * sizeof(cv.run_slots[0]), sizeof(cv));
}

static enum op parse_op(const char *s)
{
	for (u32 i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(op_names[i], s))
			return (enum op)i;
	fail("unknown operation");
	return OP_HVC;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "run")) {
		op = parse_op(argv[2]);
		ncpus = (u32)atoi(argv[3]);
		nops = strtoull(argv[4], NULL, 0);
		if (ncpus < 1 || ncpus > MAX_CPUS)
			fail("1 to 8 CPUs");
		if ((op == OP_FAULT && nops > 510 * (CPU_BYTES / PMD_SIZE)) ||
		    (op == OP_BLOCK && nops > CPU_BYTES / PMD_SIZE))
			fail("more faults than the CPU's pages");
		run();
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "memory")) {
		memory();
		return 0;
	}
#ifdef CV_LOCK_STATS
	if (argc == 5 && !strcmp(argv[1], "hold")) {
		op = parse_op(argv[2]);
		nops = strtoull(argv[4], NULL, 0);
		hold(argv[3], false, 0);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "selftest")) {
		selftest();
		return 0;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "hold-calib")) {
		op = OP_HVC;
		nops = strtoull(argv[3], NULL, 0);
		hold(argv[2], true, argc == 5 ? parse_lock(argv[4]) : 0);
		return 0;
	}
#endif
	fprintf(stderr,
		"usage: %s run OP NCPUS OPS | hold OP LOCK OPS | "
		"hold-calib LOCK OPS\n",
		argv[0]);
	return 2;
}
