// SPDX-License-Identifier: MIT
/*
 * Races the stress test's workload never makes (it picks only calls that
 * cannot panic), each a regression test of issue 13, on 4 hosted CPUs
 * (threads), in the stress builds (mk/race.mk: TSan and ASan + UBSan, the
 * core with -DCV_STRESS_TRACE's lock hooks):
 *
 *  fault  Conflicting answers to stage-2 faults of one VM on four CPUs at
 *         once: vCPU 0 gets page X at IPA R, vCPU 1 a 2 MiB block over R,
 *         vCPU 2 page Y inside that block, vCPU 3 a page elsewhere. The
 *         core must refuse every answer that would swap a page the VM
 *         already maps (post_handle_shadow_s2pt_fault / map_pfn_vm): each
 *         round ends in a panic naming the conflict, never with all the
 *         answers taken (then the VM reads host-chosen bytes where it had
 *         written its own).
 *  halt   A call in flight on another CPU when the core halts writes
 *         nothing: CPU 1's REGISTER_VCPU, past its entry checks, is held
 *         just before it waits for the VM's lock while CPU 0 panics; when
 *         it goes on it must stop there (wait_lock), leaving the vCPU
 *         UNUSED, instead of skipping the lock and writing the VM's info.
 *  reuse  A reclaim of a destroyed VM's vmid must not take the pages of
 *         the VM that reuses it: CPU 1's CLEAR_VM_S2_RANGE of powered-off
 *         VM A is held at its first wait for SMMU_ID (the old code: past
 *         its power check, inside its first clear_vm_page), while CPU 0
 *         destroys A, registers VM B (which gets A's vmid), loads B's
 *         image and gives B a RAM page. When CPU 1 goes on, B's pages
 *         must still be B's (the reclaim holds the VM's lock from its power
 *         check to its end, so it sees B, not powered off, and does
 *         nothing).
 *  hostfault  The host's stage-2 fault finds its leaf's slot before it takes
 *         S2PAGE_ID (map_page_host, host_pte_slot), but must check the
 *         page's owner under it: CPU 1's host access to page P, in a
 *         2 MiB whose level-3 table exists, is held just before it waits
 *         for S2PAGE_ID while CPU 0 gives P to a VM. When CPU 1 goes on
 *         it must panic naming P's new owner and leave P unmapped in the
 *         host's stage 2, never map the VM's page for the host.
 *
 *  exit   A vCPU's state leaves ACTIVE by compare-and-swap, without the
 *         VM's lock (set_vcpu_inactive), and its exit reads the VM's power
 *         state without it (get_vm_poweron): CPU 0 runs vCPU 0 (a guest
 *         HVC per run) while CPU 1 makes every other reader and writer of
 *         those states race it: DESTROY_VM (refused: running or not off),
 *         CLEAR_VM_S2_RANGE (nothing: not off), SNAPSHOT_BEGIN (sealed or
 *         refused), vCPU 1's runs (set_vcpu_active) with its guest's
 *         PSCI CPU_ON naming vCPU 0 (vcpu_power_on), then its SYSTEM_OFF
 *         (set_vm_poweroff) while vCPU 0 still runs. vCPU 0's last exit
 *         must say powered off, nothing may panic, and once both are done
 *         DESTROY_VM gives every page back. The TSan build reports any
 *         reader of either state that does not follow the protocol.
 *
 *  handover  The same fault, past its owner check, passes S2PAGE_ID on
 *         only once it holds the host's table lock (map_page_host,
 *         hand-over-hand): CPU 1 is held just before it waits for
 *         NPT_ID + 0, CPU 0 then gives P to a VM. CPU 0 must wait for
 *         S2PAGE_ID until CPU 1 has stored its mapping, so the
 *         assignment's clear_pfn_host unmaps it: P ends the VM's and
 *         unmapped in the host's stage 2, with no halt.
 *
 *   race [fault|halt|reuse|hostfault|exit|handover|all] [-r rounds]
 * Exit status 0 when every round ended as required.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <corevisor/sealed.h>
#include <corevisor/vcpu_abi.h>
#include <cv/lock.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "harness.h"
#include "hosted_internal.h"

#define NCPUS 4
#define RAM_BYTES (256ULL << 20)
#define IMAGE_IPA 0x80000000ULL
#define IMAGE_PA (0x40000000ULL + (16ULL << 20)) /* 2 MiB aligned */
#define R 0x80400000ULL	      /* the contested 2 MiB of guest RAM */
#define R_OTHER 0x80800000ULL /* vCPU 3's, uncontested */
#define X_PA (0x40000000ULL + (32ULL << 20))
#define Y_PA (X_PA + 0x5000)
#define Z_PA (X_PA + 0x9000)
#define B_PA (0x40000000ULL + (64ULL << 20)) /* a 2 MiB block */
#define MARKER 0x6f776e2062797465ULL

static u64 hvc(u64 x0, u64 x1, u64 x2, u64 x3)
{
	return cv_hosted_hvc(x0, x1, x2, x3, 0, 0);
}

static u64 run_pa(u32 vmid, u32 vcpuid)
{
	return hvc(HVC_GET_SHARED_BASE, 0, 0, 0) +
	       CV_SHARED_VCPU_OFFSET(vmid, vcpuid) + CV_VCPU_RUN_OFFSET;
}

static void host_put(u64 pa, const void *p, u64 n)
{
	if (!cv_hosted_host_write(pa, p, n)) {
		fprintf(stderr, "race: host write at 0x%llx failed\n",
			(unsigned long long)pa);
		exit(2);
	}
}

static void get_run(u32 vmid, u32 vcpuid, struct cv_vcpu_run *run)
{
	if (!cv_hosted_host_read(run_pa(vmid, vcpuid), run, sizeof(*run))) {
		fprintf(stderr, "race: cannot read the run structure\n");
		exit(2);
	}
}

/*
 * Runs @round for rounds 0..@rounds-1 and counts how many ended 1 (the race
 * broke the rule under test) in @broke and 2 (anything else) in @other.
 */
static void run_rounds(int (*round)(u32), u32 rounds, u32 *broke, u32 *other)
{
	*broke = *other = 0;
	for (u32 r = 0; r < rounds; r++) {
		int res = round(r);

		*broke += res == 1;
		*other += res == 2;
	}
}

/* ---- fault: racing answers ------------------------------------------- */

/* Where each vCPU faults, and its answer. */
static const struct {
	u64 ipa, pa, level;
} answer[NCPUS] = {
	{R, X_PA, 3},
	{R + 0x1000, B_PA, 2},
	{R + 0x5000, Y_PA, 3},
	{R_OTHER, Z_PA, 3},
};

/*
 * Run 0: fault at its IPA. Run 1 (the answer mapped): vCPU 0 writes its
 * marker into its page and reads it back; every vCPU then waits (WFI).
 */
static void fault_prog(struct cv_hosted_guest *g, void *arg)
{
	u64 ipa = answer[g->vcpuid].ipa;

	(void)arg;
	if (g->run == 0) {
		cv_guest_load(g, ipa, 8, 1);
		return;
	}
	if (g->vcpuid == 0) {
		g->x[2] = MARKER;
		if (!cv_guest_store(g, ipa, 8, 2) ||
		    !cv_guest_load(g, ipa, 8, 3))
			return;
	}
	cv_guest_wfi(g);
}

static pthread_barrier_t start;
static u32 fault_vm;
static u64 exits[NCPUS];

static void *fault_cpu(void *arg)
{
	u32 k = (u32)(uintptr_t)arg;

	cv_hosted_set_cpu(k);
	pthread_barrier_wait(&start);
	exits[k] = hvc(HVC_VCPU_RUN, fault_vm, k, 0);
	return NULL;
}

/* A verified VM with @nvcpus vCPUs all entering its image's first byte. */
static u32 new_vm(u32 nvcpus)
{
	struct hx_image img;
	u32 vmid = (u32)hvc(HVC_REGISTER_KVM, 0, 0, 0), idx;

	for (u32 v = 0; v < nvcpus; v++)
		hvc(HVC_REGISTER_VCPU, vmid, v, 0);
	hx_make_image(&img, hx_sk, IMAGE_IPA, 0x2000, vmid);
	idx = (u32)hvc(HVC_SET_BOOT_INFO, vmid, IMAGE_IPA, img.size);
	host_put(IMAGE_PA, img.bytes, img.size);
	for (u64 off = 0; off < img.size; off += PAGE_SIZE)
		hvc(HVC_REMAP_VM_IMAGE, vmid, (IMAGE_PA + off) / PAGE_SIZE,
		    idx);
	hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0);
	free(img.bytes);
	/*
	 * vCPU 0 starts at the image's signed entry (its first byte); the
	 * others there too, as their guest's PSCI CPU_ON would ask.
	 */
	for (u32 v = 1; v < nvcpus; v++)
		hx_vcpu_power_on(vmid, 0x80000000ULL | v, IMAGE_IPA, 0);
	return vmid;
}

/*
 * One round: 0 when it ended as required (a panic naming the swap), 1
 * when every conflicting answer was taken, 2 when something else went
 * wrong.
 */
static int fault_round(u32 round)
{
	pthread_t t[NCPUS];
	struct cv_translation tr;
	u64 got = 0;

	if (hx_boot(RAM_BYTES, NCPUS, true)) {
		fprintf(stderr, "race: boot failed\n");
		return 2;
	}
	fault_vm = new_vm(NCPUS);
	cv_hosted_set_guest(fault_vm, fault_prog, NULL);
	for (u32 k = 0; k < NCPUS; k++) {
		struct cv_vcpu_run run;

		if (hvc(HVC_VCPU_RUN, fault_vm, k, 0) != CV_EXIT_MEM_FAULT) {
			fprintf(stderr,
				"race: round %u: vcpu %u did not fault "
				"(%s)\n",
				round, k, cv_hosted_halt_reason());
			return 2;
		}
		get_run(fault_vm, k, &run);
		run.fault_addr = answer[k].ipa;
		run.fault_pte = answer[k].pa;
		run.fault_level = answer[k].level;
		host_put(run_pa(fault_vm, k), &run, sizeof(run));
	}
	pthread_barrier_init(&start, NULL, NCPUS);
	for (u32 k = 0; k < NCPUS; k++)
		pthread_create(&t[k], NULL, fault_cpu, (void *)(uintptr_t)k);
	for (u32 k = 0; k < NCPUS; k++)
		pthread_join(t[k], NULL);
	pthread_barrier_destroy(&start);
	cv_hosted_set_cpu(0);
	if (cv_hosted_halted()) {
		if (strstr(cv_hosted_halt_reason(), "already maps"))
			return 0;
		fprintf(stderr, "race: round %u: halted: %s\n", round,
			cv_hosted_halt_reason());
		return 2;
	}
	/* Every answer was taken: what does the VM now see at R? */
	cv_hosted_translate(fault_vm, R, &tr);
	if (tr.valid && cv_hosted_phys(tr.pa))
		memcpy(&got, cv_hosted_phys(tr.pa), sizeof(got));
	fprintf(stderr,
		"race: round %u: every conflicting answer taken: IPA 0x%llx "
		"maps pa 0x%llx (vcpu 0 was given 0x%llx) holding 0x%llx "
		"(vcpu 0 wrote 0x%llx); exits %llu %llu %llu %llu\n",
		round, (unsigned long long)R, (unsigned long long)tr.pa,
		(unsigned long long)X_PA, (unsigned long long)got,
		(unsigned long long)MARKER, (unsigned long long)exits[0],
		(unsigned long long)exits[1], (unsigned long long)exits[2],
		(unsigned long long)exits[3]);
	return 1;
}

static int race_fault(u32 rounds)
{
	u32 swapped, other;

	run_rounds(fault_round, rounds, &swapped, &other);
	printf("race fault: %u rounds of 4 conflicting answers on 4 CPUs: "
	       "%u refused with a panic, %u swapped a mapped page, %u "
	       "other failures\n",
	       rounds, rounds - swapped - other, swapped, other);
	return swapped || other;
}

/* ---- halt: a call in flight when the core halts ----------------------- */

/*
 * The lock hooks (CV_STRESS_TRACE). CPU 1's REGISTER_VCPU has passed its
 * entry checks and is about to wait for the VM's lock: it tells CPU 0 and
 * waits until the core has halted, then goes on as a CPU whose call was in
 * flight at the halt.
 */
static int hold_cpu = -1, hold_lock, held, hold_release;

void cv_stress_lock_waiting(u32 lk);
void cv_stress_lock_taken(u32 lk);
void cv_stress_lock_passing(u32 lk);

void cv_stress_lock_waiting(u32 lk)
{
	if ((int)cv_hosted_cpu() !=
		    __atomic_load_n(&hold_cpu, __ATOMIC_ACQUIRE) ||
	    (int)lk != hold_lock)
		return;
	__atomic_store_n(&hold_cpu, -1, __ATOMIC_RELEASE); /* once */
	__atomic_store_n(&held, 1, __ATOMIC_RELEASE);
	while (!cv_hosted_halted() &&
	       !__atomic_load_n(&hold_release, __ATOMIC_ACQUIRE))
		sched_yield();
}

void cv_stress_lock_taken(u32 lk)
{
	(void)lk;
}

void cv_stress_lock_passing(u32 lk)
{
	(void)lk;
}

static u64 in_flight_ret;
static u32 halt_vm;

static void *register_on_cpu1(void *arg)
{
	(void)arg;
	cv_hosted_set_cpu(1);
	in_flight_ret = hvc(HVC_REGISTER_VCPU, halt_vm, 0, 0);
	return NULL;
}

static int halt_round(u32 round)
{
	struct cv_hosted_counters c;
	pthread_t t;

	if (hx_boot(RAM_BYTES, NCPUS, true)) {
		fprintf(stderr, "race: boot failed\n");
		return 2;
	}
	halt_vm = (u32)hvc(HVC_REGISTER_KVM, 0, 0, 0);
	cv_hosted_reset_counters();
	__atomic_store_n(&held, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&hold_release, 0, __ATOMIC_RELAXED);
	hold_lock = (int)(INFO_ID + halt_vm);
	__atomic_store_n(&hold_cpu, 1, __ATOMIC_RELEASE);
	pthread_create(&t, NULL, register_on_cpu1, NULL);
	while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE))
		sched_yield();
	hvc(HVC_REGISTER_VCPU, 99, 0, 0); /* bad args: the core halts */
	pthread_join(t, NULL);
	__atomic_store_n(&hold_cpu, -1, __ATOMIC_RELEASE);
	cv_hosted_get_counters(&c);
	if (!cv_hosted_halted()) {
		fprintf(stderr, "race: round %u: the core did not halt\n",
			round);
		return 2;
	}
	if (cv.vminfos[halt_vm].vcpu_state[0] != UNUSED ||
	    cv.vminfos[halt_vm].vcpu[0] != 0 || c.cpu_stops != 1) {
		fprintf(stderr,
			"race: round %u: CPU 1's REGISTER_VCPU went on after "
			"the halt without the VM's lock: vcpu 0 state %u (was "
			"UNUSED), vcpu page 0x%llx, %llu CPU(s) stopped\n",
			round, cv.vminfos[halt_vm].vcpu_state[0],
			(unsigned long long)cv.vminfos[halt_vm].vcpu[0],
			(unsigned long long)c.cpu_stops);
		return 1;
	}
	return 0;
}

static int race_halt(u32 rounds)
{
	u32 wrote, other;

	run_rounds(halt_round, rounds, &wrote, &other);
	printf("race halt: %u rounds of a call in flight at a halt: %u "
	       "stopped at the lock, %u wrote after the halt, %u other "
	       "failures\n",
	       rounds, rounds - wrote - other, wrote, other);
	return wrote || other;
}

/* ---- reuse: a stale reclaim against a reused vmid --------------------- */

static u32 reuse_vm;

static void *reclaim_on_cpu1(void *arg)
{
	(void)arg;
	cv_hosted_set_cpu(1);
	hvc(HVC_CLEAR_VM_S2_RANGE, reuse_vm, 0x40000000ULL, RAM_BYTES);
	return NULL;
}

/* 0: B's pages stayed B's; 1: the stale reclaim took them; 2: other. */
static int reuse_round(u32 round)
{
	pthread_t t;
	u32 a, b;
	int ret = 0;

	if (hx_boot(RAM_BYTES, NCPUS, true)) {
		fprintf(stderr, "race: boot failed\n");
		return 2;
	}
	a = new_vm(1);
	hx_prot_and_map_vm_s2pt(a, R, X_PA | PAGE_S2_RAM, 3);
	hx_set_vm_poweroff(a);
	reuse_vm = a;
	__atomic_store_n(&held, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&hold_release, 0, __ATOMIC_RELAXED);
	hold_lock = (int)SMMU_ID;
	__atomic_store_n(&hold_cpu, 1, __ATOMIC_RELEASE);
	pthread_create(&t, NULL, reclaim_on_cpu1, NULL);
	while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE))
		sched_yield();
	if (hvc(HVC_DESTROY_VM, a, 0, 0) != CV_DESTROY_OK)
		ret = 2;
	b = new_vm(1);
	hx_prot_and_map_vm_s2pt(b, R, Y_PA | PAGE_S2_RAM, 3);
	__atomic_store_n(&hold_release, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (cv_hosted_halted() || b != a) {
		fprintf(stderr, "race: round %u: %s\n", round,
			cv_hosted_halted() ? cv_hosted_halt_reason()
					   : "the vmid was not reused");
		return 2;
	}
	if (cv_hosted_page_owner(Y_PA / PAGE_SIZE) != b ||
	    cv_hosted_page_owner(IMAGE_PA / PAGE_SIZE) != b) {
		fprintf(stderr,
			"race: round %u: the reclaim of destroyed vm %u took "
			"the pages of the new vm %u: RAM page owner %u, image "
			"page owner %u\n",
			round, a, b, cv_hosted_page_owner(Y_PA / PAGE_SIZE),
			cv_hosted_page_owner(IMAGE_PA / PAGE_SIZE));
		return 1;
	}
	return ret;
}

static int race_reuse(u32 rounds)
{
	u32 taken, other;

	run_rounds(reuse_round, rounds, &taken, &other);
	printf("race reuse: %u rounds of a stale reclaim against a reused "
	       "vmid: %u left the new VM alone, %u took its pages, %u other "
	       "failures\n",
	       rounds, rounds - taken - other, taken, other);
	return taken || other;
}

/* ---- hostfault: a host fault against the page's assignment ----------- */

#define HF_RANGE (0x40000000ULL + (64ULL << 20)) /* a 2 MiB of host RAM */
#define HF_P (HF_RANGE + 0x3000)		 /* the contested page */

/*
 * A fresh machine with one VM that owns page 511 of HF_RANGE, so the host
 * maps the range page by page and its level-3 table exists: the VM's vmid,
 * or 0 when the set-up failed.
 */
static u32 hostfault_setup(u32 round)
{
	struct cv_translation t;
	u64 v;
	u32 vm;

	if (hx_boot(RAM_BYTES, NCPUS, true)) {
		fprintf(stderr, "race: boot failed\n");
		return 0;
	}
	vm = new_vm(1);
	hx_prot_and_map_vm_s2pt(vm, R_OTHER,
				(HF_RANGE + 511 * PAGE_SIZE) | PAGE_S2_RAM, 3);
	cv_hosted_host_read(HF_RANGE, &v, sizeof(v)); /* the level-3 table */
	if (cv_hosted_halted() || !cv_hosted_translate(0, HF_RANGE, &t) ||
	    !t.valid || t.level != 3) {
		fprintf(stderr, "race: round %u: set-up: %s\n", round,
			cv_hosted_halt_reason());
		return 0;
	}
	return vm;
}

static void *host_touch_on_cpu1(void *arg)
{
	u64 v;

	(void)arg;
	cv_hosted_set_cpu(1);
	cv_hosted_host_read(HF_P, &v, sizeof(v));
	return NULL;
}

/* 0: the late fault panicked, P unmapped; 1: P mapped for the host; 2. */
static int hostfault_round(u32 round)
{
	struct cv_translation t;
	char want[96];
	pthread_t th;
	u32 a, owner;

	a = hostfault_setup(round);
	if (!a)
		return 2;
	__atomic_store_n(&held, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&hold_release, 0, __ATOMIC_RELAXED);
	hold_lock = (int)S2PAGE_ID;
	__atomic_store_n(&hold_cpu, 1, __ATOMIC_RELEASE);
	pthread_create(&th, NULL, host_touch_on_cpu1, NULL);
	while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE))
		sched_yield();
	hx_prot_and_map_vm_s2pt(a, R, HF_P | PAGE_S2_RAM, 3);
	owner = cv_hosted_page_owner(HF_P / PAGE_SIZE);
	__atomic_store_n(&hold_release, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	__atomic_store_n(&hold_cpu, -1, __ATOMIC_RELEASE);
	if (owner != a) {
		fprintf(stderr, "race: round %u: P not given to vm %u: %s\n",
			round, a, cv_hosted_halt_reason());
		return 2;
	}
	if (cv_hosted_translate(0, HF_P, &t) && t.valid) {
		fprintf(stderr,
			"race: round %u: the host's stage 2 maps vm %u's page "
			"0x%llx (pte 0x%llx)\n",
			round, a, (unsigned long long)HF_P,
			(unsigned long long)t.pte);
		return 1;
	}
	snprintf(want, sizeof(want), "map_page_host: pfn 0x%llx owned by %u",
		 (unsigned long long)(HF_P / PAGE_SIZE), a);
	if (!cv_hosted_halted() || !strstr(cv_hosted_halt_reason(), want)) {
		fprintf(stderr,
			"race: round %u: expected a halt \"%s\", got "
			"\"%s\"\n",
			round, want, cv_hosted_halt_reason());
		return 2;
	}
	return 0;
}

static int race_hostfault(u32 rounds)
{
	u32 mapped, other;

	run_rounds(hostfault_round, rounds, &mapped, &other);
	printf("race hostfault: %u rounds of a host fault against its page's "
	       "assignment: %u panicked, %u mapped the VM's page, %u other "
	       "failures\n",
	       rounds, rounds - mapped - other, mapped, other);
	return mapped || other;
}

/* ---- exit: lock-free vCPU and power states against their readers ----- */

#define EXIT_HVC_IMM 0x77
#define EXIT_OTHER_ROUNDS 40

static u32 exit_vm;
static u32 exit_runs, exit_last;

/* vCPU 0: one HVC per run. vCPU 1: CPU_ON of vCPU 0, then SYSTEM_OFF. */
static void exit_prog(struct cv_hosted_guest *g, void *arg)
{
	(void)arg;
	if (g->vcpuid == 0) {
		g->x[0] = 0x1234;
		cv_guest_hvc(g, EXIT_HVC_IMM);
		return;
	}
	if (g->run < EXIT_OTHER_ROUNDS) {
		g->x[0] = PSCI_0_2_FN64_CPU_ON;
		g->x[1] = 0; /* vCPU 0's MPIDR affinity */
		g->x[2] = IMAGE_IPA;
		g->x[3] = 0;
	} else {
		g->x[0] = PSCI_0_2_FN_SYSTEM_OFF;
	}
	cv_guest_hvc(g, 0);
}

static void *run_vcpu0_on_cpu0(void *arg)
{
	u64 ret;

	(void)arg;
	cv_hosted_set_cpu(0);
	do {
		ret = hvc(HVC_VCPU_RUN, exit_vm, 0, 0);
		exit_runs++;
	} while (ret == CV_EXIT_HVC && !cv_hosted_halted());
	exit_last = (u32)ret;
	return NULL;
}

/* 0: as required; 1: a refusal or result broke the protocol; 2: other. */
static int exit_round(u32 round)
{
	u64 ram = 0x40000000ULL, destroy, snap, run1;
	pthread_t t;
	u32 bad = 0;

	if (hx_boot(RAM_BYTES, NCPUS, true)) {
		fprintf(stderr, "race: boot failed\n");
		return 2;
	}
	exit_vm = new_vm(2);
	hx_prot_and_map_vm_s2pt(exit_vm, R, X_PA | PAGE_S2_RAM, 3);
	cv_hosted_set_guest(exit_vm, exit_prog, NULL);
	exit_runs = 0;
	exit_last = 0;
	pthread_create(&t, NULL, run_vcpu0_on_cpu0, NULL);
	cv_hosted_set_cpu(1);
	for (u32 i = 0; i <= EXIT_OTHER_ROUNDS && !cv_hosted_halted(); i++) {
		destroy = hvc(HVC_DESTROY_VM, exit_vm, 0, 0);
		if (destroy != CV_DESTROY_RUNNING &&
		    destroy != CV_DESTROY_NOT_OFF) {
			fprintf(stderr,
				"race: round %u: DESTROY_VM of a running vm "
				"answered %llu\n",
				round, (unsigned long long)destroy);
			bad = 1;
		}
		hvc(HVC_CLEAR_VM_S2_RANGE, exit_vm, ram, RAM_BYTES);
		snap = hvc(HVC_SNAPSHOT_BEGIN, exit_vm, 0, 0);
		if (snap != CV_SNAP_OK && snap != CV_SNAP_REFUSED_STATE) {
			fprintf(stderr,
				"race: round %u: SNAPSHOT_BEGIN answered "
				"%llu\n",
				round, (unsigned long long)snap);
			bad = 1;
		}
		run1 = hvc(HVC_VCPU_RUN, exit_vm, 1, 0);
		if (run1 != (i < EXIT_OTHER_ROUNDS ? CV_EXIT_HVC
						   : CV_EXIT_SYSTEM_OFF)) {
			fprintf(stderr,
				"race: round %u: vcpu 1's run %u answered "
				"%llu\n",
				round, i, (unsigned long long)run1);
			bad = 1;
		}
	}
	pthread_join(t, NULL);
	cv_hosted_set_cpu(0);
	if (cv_hosted_halted()) {
		fprintf(stderr, "race: round %u: halted: %s\n", round,
			cv_hosted_halt_reason());
		return 2;
	}
	if (exit_last != CV_EXIT_POWERED_OFF) {
		fprintf(stderr,
			"race: round %u: vcpu 0's last run (of %u) answered "
			"%u, not powered off\n",
			round, exit_runs, exit_last);
		bad = 1;
	}
	destroy = hvc(HVC_DESTROY_VM, exit_vm, 0, 0);
	if (destroy != CV_DESTROY_OK ||
	    cv_hosted_page_owner(X_PA / PAGE_SIZE) != HOSTVISOR ||
	    cv_hosted_page_owner(IMAGE_PA / PAGE_SIZE) != HOSTVISOR ||
	    cv.vminfos[exit_vm].state != UNUSED) {
		fprintf(stderr,
			"race: round %u: DESTROY_VM after both vCPUs stopped: "
			"%llu, RAM page owner %u, image page owner %u, vm "
			"state %u (%s)\n",
			round, (unsigned long long)destroy,
			cv_hosted_page_owner(X_PA / PAGE_SIZE),
			cv_hosted_page_owner(IMAGE_PA / PAGE_SIZE),
			cv.vminfos[exit_vm].state, cv_hosted_halt_reason());
		return 2;
	}
	return bad ? 1 : 0;
}

static int race_exit(u32 rounds)
{
	u32 broke, other;

	run_rounds(exit_round, rounds, &broke, &other);
	printf("race exit: %u rounds of a vCPU's exits against destroy, "
	       "reclaim, snapshot, CPU_ON, another vCPU's runs and "
	       "SYSTEM_OFF: %u as required, %u broke the protocol, %u other "
	       "failures\n",
	       rounds, rounds - broke - other, broke, other);
	return broke || other;
}

/* ---- handover: the host fault's store against the same assignment -- */

static u32 handover_vm;
static int handover_done;

static void *assign_on_cpu0(void *arg)
{
	(void)arg;
	cv_hosted_set_cpu(0);
	hx_prot_and_map_vm_s2pt(handover_vm, R, HF_P | PAGE_S2_RAM, 3);
	__atomic_store_n(&handover_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A CPU holds S2PAGE_ID and another has taken a ticket behind it. */
static bool s2page_queued(void)
{
	struct cv_lock *l = &cv.locks[S2PAGE_ID];

	return __atomic_load_n(&l->next, __ATOMIC_ACQUIRE) -
		       __atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) >=
	       2;
}

/* 0: P the VM's and unmapped, no halt; 1: P mapped for the host; 2. */
static int handover_round(u32 round)
{
	struct cv_translation t;
	pthread_t th1, th0;

	handover_vm = hostfault_setup(round);
	if (!handover_vm)
		return 2;
	__atomic_store_n(&held, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&hold_release, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&handover_done, 0, __ATOMIC_RELAXED);
	hold_lock = (int)(NPT_ID + HOSTVISOR);
	__atomic_store_n(&hold_cpu, 1, __ATOMIC_RELEASE);
	pthread_create(&th1, NULL, host_touch_on_cpu1, NULL);
	while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE))
		sched_yield();
	pthread_create(&th0, NULL, assign_on_cpu0, NULL);
	/*
	 * Until CPU 0 queues behind CPU 1's S2PAGE_ID, or, where CPU 1 did
	 * not keep it, has given P away.
	 */
	while (!__atomic_load_n(&handover_done, __ATOMIC_ACQUIRE) &&
	       !s2page_queued())
		sched_yield();
	__atomic_store_n(&hold_release, 1, __ATOMIC_RELEASE);
	pthread_join(th1, NULL);
	pthread_join(th0, NULL);
	__atomic_store_n(&hold_cpu, -1, __ATOMIC_RELEASE);
	if (cv_hosted_translate(0, HF_P, &t) && t.valid) {
		fprintf(stderr,
			"race: round %u: the host's stage 2 maps vm %u's page "
			"0x%llx (pte 0x%llx)\n",
			round, handover_vm, (unsigned long long)HF_P,
			(unsigned long long)t.pte);
		return 1;
	}
	if (cv_hosted_halted() ||
	    cv_hosted_page_owner(HF_P / PAGE_SIZE) != handover_vm) {
		fprintf(stderr, "race: round %u: P not vm %u's: owner %u, %s\n",
			round, handover_vm,
			cv_hosted_page_owner(HF_P / PAGE_SIZE),
			cv_hosted_halt_reason());
		return 2;
	}
	return 0;
}

static int race_handover(u32 rounds)
{
	u32 mapped, other;

	run_rounds(handover_round, rounds, &mapped, &other);
	printf("race handover: %u rounds of a host fault's store against its "
	       "page's assignment: %u unmapped, %u mapped the VM's page, %u "
	       "other failures\n",
	       rounds, rounds - mapped - other, mapped, other);
	return mapped || other;
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 && argv[1][0] != '-' ? argv[1] : "all";
	u32 rounds = 100;
	int bad = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-r") && i + 1 < argc)
			rounds = (u32)atoi(argv[++i]);
	hx_keys_init();
	if (!strcmp(which, "fault") || !strcmp(which, "all"))
		bad |= race_fault(rounds);
	if (!strcmp(which, "halt") || !strcmp(which, "all"))
		bad |= race_halt(rounds < 20 ? rounds : 20);
	if (!strcmp(which, "reuse") || !strcmp(which, "all"))
		bad |= race_reuse(rounds < 20 ? rounds : 20);
	if (!strcmp(which, "hostfault") || !strcmp(which, "all"))
		bad |= race_hostfault(rounds < 20 ? rounds : 20);
	if (!strcmp(which, "exit") || !strcmp(which, "all"))
		bad |= race_exit(rounds < 20 ? rounds : 20);
	if (!strcmp(which, "handover") || !strcmp(which, "all"))
		bad |= race_handover(rounds < 20 ? rounds : 20);
	return bad;
}
