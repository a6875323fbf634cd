// SPDX-License-Identifier: MIT
/*
 * Concurrency stress: 4 hosted CPUs (threads) call into the core at once,
 * on VMs each CPU owns and on two VMs they all share, built once with TSan
 * and once with ASan + UBSan (mk/stress.mk).
 *
 * What is checked
 *  - no data race (TSan), no memory error (ASan/UBSan), no deadlock (a
 *    watchdog), no panic (the workload is valid whatever the interleaving);
 *  - at every quiescent point (all CPUs parked at a barrier, every
 *    --ops calls per CPU) the security invariants hold (check_invariants);
 *  - at the end of each epoch the state at every quiescent point, and
 *    every call's result, equal a single-CPU replay, on a fresh machine,
 *    of the same calls in the order the locks serialised them; in that
 *    replay the invariants also hold after every -c'th call (default 50).
 *
 * The serialisation order. core/lock/ticket.c, built with
 * -DCV_STRESS_TRACE, reports each lock a CPU takes and passes on. A call's
 * linearisation point is its lock point: the last lock it takes before it
 * first passes one on (two-phase locking); the hook stamps it with a
 * global sequence number taken while that lock is held, so calls that
 * serialised on a lock are stamped in ticket order. Three calls are
 * stamped at the last lock they take instead: a VM's stage-2 fault, grant
 * and revoke (MemoryOps) are in the spec sequences of atomic MemManager
 * steps, and the step whose order matters to other CPUs is their last
 * (map_pfn_vm after assign_pfn_to_vm; grant_vm_page / revoke_vm_page
 * after the walk). A call that takes no lock is stamped when it starts.
 * Replaying calls sorted by stamp is exact when every effect a call has outside
 * its two-phase part commutes with the calls running meanwhile; the workload is
 * built so (below), and the calls that do not commute (VMID and remap-area
 * allocation, a shared VM's load infos and remap slots, power-off against
 * reclaiming, reads of shared VM state) all decide at their lock point.
 *
 * The workload. Memory is split per CPU: each CPU has its own host pages
 * (block 0), image staging blocks, and donor pages (given to VMs). Only a
 * page's CPU changes its owner or count, so a CPU knows (by asking the
 * core) what its pages are; it picks only calls that cannot panic:
 *  - its own VMs (up to 3 per epoch): register_kvm, register_vcpu,
 *    set_boot_info + image write + remap + verify, vCPU active/inactive,
 *    map_io, SMMU banks of its own (emulated MmioOps: alloc, lpae_map,
 *    clear, free), power-off, reclaiming its own pages, and (a guest's
 *    CPU_ON) starting their vCPUs;
 *    sealing its pages and vCPUs while none of its vCPUs runs, and
 *    restoring a sealed page of a powered-off one into a READY one;
 *  - any VM (shared ones, other CPUs' ones): stage-2 faults resolved with
 *    its own pages (4 KiB pages and 2 MiB blocks), grants and revokes of
 *    those pages, searches, power queries, reclaiming its own pages from
 *    powered-off VMs;
 *  - shared VM S1 (READY all epoch): load infos and remaps (their slots
 *    are taken in lock order), map_io in a window of its own; shared VM
 *    S2 (VERIFIED, every vCPU started): vCPUs k and k+4 active/inactive
 *    and run;
 *  - the host reading and writing its own pages, and pages granted to it.
 *
 *   stress [-e epochs] [-p phases] [-n ops per CPU per phase] [-s seed]
 *          [-c check every n-th replayed call] [--self-test] [-v]
 * --self-test: replays one epoch with two register_kvm calls swapped and
 * expects the comparison to fail (the check can fail).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <corevisor/sealed.h>
#include <corevisor/vcpu_abi.h>
#include <cv/inv.h>
#include <cv/pte.h>
#include <cv/state.h>

#include "harness.h"
#include "hosted_internal.h"

#define NCPU 4
#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (64ULL << 20)
#define RAM_PFN0 (RAM_BASE / PAGE_SIZE)
#define BLOCK_PAGES 512ULL
#define BLOCK_PFN(b) (RAM_PFN0 + (u64)(b)*BLOCK_PAGES)
#define MAX_OWN_VMS 3
#define IMG_PAYLOAD (4 * PAGE_SIZE + 100)
#define S2_BLOCK 29

/* Per-CPU memory (pfns). */
static u64 scratch_pfn(u32 k, u32 i) /* 64 host pages */
{
	return BLOCK_PFN(0) + k * 128 + (i % 64);
}
static u64 seal_pfn(u32 k, u32 i) /* 32 pairs */
{
	return BLOCK_PFN(0) + k * 128 + 64 + 2 * (i % 32);
}
static u32 staging_block(u32 k, u32 i)
{
	return 1 + 4 * k + i;
}
static u64 donor_pfn(u32 k, u32 i) /* 1024 pages for 4 KiB faults */
{
	return BLOCK_PFN(17 + 3 * k) + (i % 1024);
}
static u32 donor_block(u32 k) /* given whole, as a 2 MiB block */
{
	return 19 + 3 * k;
}
/* Where every VM maps a donor page: one gfn per pfn, for all VMs. */
static u64 donor_gpa(u64 pfn)
{
	return 0x100000000ULL + (pfn - RAM_PFN0) * PAGE_SIZE;
}
static u64 image_load(u32 block)
{
	return 0x80000000ULL + (u64)block * PMD_SIZE;
}

/* ---- calls and their log --------------------------------------------------
 */

enum ckind {
	C_HVC,
	C_HOST_WRITE,
	C_HOST_READ,
	C_PROT_MAP,
	C_GRANT,
	C_REVOKE,
	C_CLEAR_RANGE,
	C_POWEROFF,
	C_INACTIVE,
	C_ACTIVE,
	C_POWERON,
	C_SEARCH,
	C_SMMU_ALLOC,
	C_SMMU_FREE,
	C_SMMU_MAP,
	C_SMMU_CLEAR,
	C_SMMU_IOVA,
	C_CPU_ON,
	C_NKINDS
};

static const char *const cnames[] = {
	"hvc",
	"host_write",
	"host_read",
	"prot_and_map",
	"grant",
	"revoke",
	"clear_range",
	"set_vm_poweroff",
	"set_vcpu_inactive",
	"set_vcpu_active",
	"get_vm_poweron",
	"search_load_info",
	"el2_alloc_smmu_pgd",
	"el2_free_smmu_pgd",
	"el2_arm_lpae_map",
	"el2_arm_lpae_clear",
	"iova_to_phys",
	"vcpu_power_on",
};

struct rec {
	u64 seq;
	u64 a[6];
	u64 ret;
	const void *data; /* host_write's bytes (static) */
	u32 cpu;
	u16 kind;
	u16 phase;
};

struct log {
	struct rec *v;
	size_t n, cap;
};

static struct rec *log_new(struct log *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4096;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

/* ---- the lock hook
 * ------------------------------------------------------------ */

static u64 global_seq;
static u64 in_flight, overlapped; /* calls that ran while another CPU's did */
static u64 kind_count[C_NKINDS + 64]; /* calls by kind, HVCs by number */
static __thread struct rec *cur_rec;
static __thread bool cur_released, cur_last;

void cv_stress_lock_waiting(u32 lk);
void cv_stress_lock_taken(u32 lk);
void cv_stress_lock_passing(u32 lk);

void cv_stress_lock_waiting(u32 lk)
{
	(void)lk;
}

void cv_stress_lock_taken(u32 lk)
{
	(void)lk;
	/*
	 * Relaxed is enough: a stamp taken while holding a lock is ordered
	 * before the next holder's by the lock's own release/acquire (write
	 * coherence of global_seq). A stronger order here would also hide
	 * data races from TSan (every stamp would synchronise all CPUs).
	 */
	if (cur_rec && (!cur_released || cur_last))
		cur_rec->seq =
			__atomic_fetch_add(&global_seq, 1, __ATOMIC_RELAXED);
}

void cv_stress_lock_passing(u32 lk)
{
	(void)lk;
	if (cur_rec)
		cur_released = true;
}

/* ---- executing a call
 * ------------------------------------------------------------ */

static u8 pattern[2 * PAGE_SIZE];

static u64 run_call(const struct rec *r)
{
	u8 buf[2 * PAGE_SIZE];
	const u64 *a = r->a;

	switch (r->kind) {
	case C_HVC:
		return cv_hosted_hvc(a[0], a[1], a[2], a[3], a[4], a[5]);
	case C_HOST_WRITE:
		return cv_hosted_host_write(a[0], r->data, a[1]);
	case C_HOST_READ:
		return cv_hosted_host_read(
			a[0], buf, a[1] < sizeof(buf) ? a[1] : sizeof(buf));
	case C_PROT_MAP:
		hx_prot_and_map_vm_s2pt((u32)a[0], a[1], a[2], (u32)a[3]);
		return 0;
	case C_GRANT:
		hx_grant_stage2_sg_gpa((u32)a[0], a[1], a[2]);
		return 0;
	case C_REVOKE:
		hx_revoke_stage2_sg_gpa((u32)a[0], a[1], a[2]);
		return 0;
	case C_CLEAR_RANGE:
		return cv_hosted_hvc(HVC_CLEAR_VM_S2_RANGE, a[0], a[1], a[2], 0,
				     0);
	case C_POWEROFF:
		hx_set_vm_poweroff((u32)a[0]);
		return 0;
	case C_INACTIVE:
		hx_set_vcpu_inactive((u32)a[0], (u32)a[1]);
		return 0;
	case C_ACTIVE:
		hx_set_vcpu_active((u32)a[0], (u32)a[1]);
		return 0;
	case C_POWERON:
		return hx_get_vm_poweron((u32)a[0]);
	case C_SEARCH:
		return hx_search_load_info((u32)a[0], a[1]);
	case C_SMMU_ALLOC:
		hx_smmu_alloc_pgd((u32)a[0], (u32)a[1], (u32)a[2]);
		return 0;
	case C_SMMU_FREE:
		hx_smmu_free_pgd((u32)a[0], (u32)a[1]);
		return 0;
	case C_SMMU_MAP:
		hx_smmu_lpae_map(a[0], a[1], a[2], (u32)a[3], (u32)a[4]);
		return 0;
	case C_SMMU_CLEAR:
		hx_smmu_lpae_clear(a[0], (u32)a[1], (u32)a[2]);
		return 0;
	case C_SMMU_IOVA:
		return hx_smmu_iova_to_phys(a[0], (u32)a[1], (u32)a[2]);
	case C_CPU_ON:
		return hx_vcpu_power_on((u32)a[0], a[1], a[2], a[3]);
	}
	abort();
}

/*
 * The watchdog describes the record a worker may still be writing: a
 * diagnostic read on the way to abort(), kept out of TSan's reports.
 */
__attribute__((no_sanitize("thread"))) static void
describe(const struct rec *r, char *buf, size_t len)
{
	if (r->kind == C_HVC)
		snprintf(buf, len,
			 "seq %llu cpu%u hvc %llu (0x%llx, 0x%llx, 0x%llx, "
			 "0x%llx) -> 0x%llx",
			 (unsigned long long)r->seq, r->cpu,
			 (unsigned long long)r->a[0],
			 (unsigned long long)r->a[1],
			 (unsigned long long)r->a[2],
			 (unsigned long long)r->a[3],
			 (unsigned long long)r->a[4],
			 (unsigned long long)r->ret);
	else
		snprintf(buf, len,
			 "seq %llu cpu%u %s (0x%llx, 0x%llx, 0x%llx, 0x%llx, "
			 "0x%llx) -> 0x%llx",
			 (unsigned long long)r->seq, r->cpu, cnames[r->kind],
			 (unsigned long long)r->a[0],
			 (unsigned long long)r->a[1],
			 (unsigned long long)r->a[2],
			 (unsigned long long)r->a[3],
			 (unsigned long long)r->a[4],
			 (unsigned long long)r->ret);
}

/* ---- per-CPU workers
 * ------------------------------------------------------------- */

struct own_vm {
	u32 vmid;
	u32 state;			    /* READY, VERIFIED, POWEROFF */
	u32 vcpus, active, sealed, started; /* masks */
	/*
	 * Sealed state (core/boot/lineage.c): the epoch this CPU expects the
	 * core to have (gen, moved on at an activation after a seal), whether
	 * its state went to another VM (moved: it seals no more), whether a
	 * blob was restored into it (restored: never verified, its images
	 * are not the ones the blob was sealed for).
	 */
	u32 gen;
	bool verified, seal_pending, moved, restored;
	u32 block;     /* image staging block */
	int img_stage; /* 0 none, 1 remapping, 2 remapped */
	u32 img_idx;
	u64 img_mapped;
	int bank; /* context bank index into this CPU's 4, or -1 */
	bool cleared;
};

struct cpu {
	u32 k;
	u64 rng;
	struct log log;
	u16 phase;
	struct own_vm vms[MAX_OWN_VMS];
	u32 nvms;
	u32 seal_next;
	struct {
		u64 out; /* sealed page: ciphertext pfn (header at +1) */
		u32 vm;	 /* index in vms[] of the VM it came from */
		u32 gen;
	} blobs[32];
	u32 nblobs;
	u32 s2_active; /* vCPU mask of S2 (k and k + 4) */
	int s1_idx;    /* S1 load info this CPU reserved, or -1 */
	u64 s1_mapped;
	bool banks_used[4];
	u32 io_next;
	u8 balance[3 * BLOCK_PAGES];	   /* own grants minus revokes */
	u8 foreign[NCPU][3 * BLOCK_PAGES]; /* grants of others' pages */
	u8 owner_before[3 * BLOCK_PAGES];
	u32 dead; /* VMs this CPU reclaimed pages from (powered off) */
	u64 ops;
	const struct rec *last;
	pthread_t thread;
};

static struct cpu cpus[NCPU];
static u32 s1, s2;	  /* the shared VMs */
static u32 published[16]; /* every registered vmid (0: none) */
static struct hx_image images[32];
static u64 image_pages;
static int fail_flag;
static bool verbose;

static u64 rnd(struct cpu *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
	va_list ap;

	fputs("stress: FAILED: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	__atomic_store_n(&fail_flag, 1, __ATOMIC_RELAXED);
}

/* Run one call as CPU @c, stamp it, log it. */
static u64 call(struct cpu *c, enum ckind kind, const void *data, u64 a0,
		u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	struct rec *r = log_new(&c->log);
	bool both;

	r->kind = kind;
	r->cpu = c->k;
	r->phase = c->phase;
	r->data = data;
	r->a[0] = a0;
	r->a[1] = a1;
	r->a[2] = a2;
	r->a[3] = a3;
	r->a[4] = a4;
	r->a[5] = a5;
	cur_released = false;
	cur_last = kind == C_PROT_MAP || kind == C_GRANT || kind == C_REVOKE;
	both = __atomic_add_fetch(&in_flight, 1, __ATOMIC_RELAXED) > 1;
	r->seq = __atomic_fetch_add(&global_seq, 1, __ATOMIC_RELAXED);
	cur_rec = r;
	r->ret = run_call(r);
	cur_rec = NULL;
	if (__atomic_sub_fetch(&in_flight, 1, __ATOMIC_RELAXED) > 0 || both)
		__atomic_fetch_add(&overlapped, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(
		&kind_count[kind == C_HVC ? C_NKINDS + (a0 & 63) : kind], 1,
		__ATOMIC_RELAXED);
	__atomic_store_n(&c->last, r, __ATOMIC_RELAXED);
	c->ops++;
	if (cv_hosted_halted() && !__atomic_load_n(&fail_flag, 0)) {
		char d[256];

		describe(r, d, sizeof(d));
		failf("the core halted: %s (cpu%u, %s)",
		      cv_hosted_halt_reason(), c->k, d);
	}
	return r->ret;
}

static u64 hvc(struct cpu *c, u64 x0, u64 x1, u64 x2, u64 x3)
{
	return call(c, C_HVC, NULL, x0, x1, x2, x3, 0, 0);
}

static bool host_page(u64 pfn) /* the host's, count 0: free to give */
{
	return cv_hosted_page_owner(pfn) == HOSTVISOR &&
	       cv_hosted_page_count(pfn) == 0;
}

/* A VM to act on: shared, this CPU's, or another CPU's. */
static u32 any_vm(struct cpu *c)
{
	u32 n = 0, pick[16];

	for (u32 v = 1; v < 16; v++)
		if (__atomic_load_n(&published[v], __ATOMIC_RELAXED) &&
		    !(c->dead & (1u << v)))
			pick[n++] = v;
	return n ? pick[rnd(c) % n] : s1;
}

static struct own_vm *own(struct cpu *c, u32 want_state)
{
	u32 n = 0, pick[MAX_OWN_VMS];

	for (u32 i = 0; i < c->nvms; i++)
		if (c->vms[i].state == want_state)
			pick[n++] = i;
	return n ? &c->vms[pick[rnd(c) % n]] : NULL;
}

static void op_register(struct cpu *c)
{
	struct own_vm *v;
	u64 vmid;

	if (c->nvms == MAX_OWN_VMS)
		return;
	vmid = hvc(c, HVC_REGISTER_KVM, 0, 0, 0);
	if (cv_hosted_halted())
		return;
	v = &c->vms[c->nvms];
	memset(v, 0, sizeof(*v));
	v->vmid = (u32)vmid;
	v->state = READY;
	v->block = staging_block(c->k, c->nvms);
	v->bank = -1;
	c->nvms++;
	__atomic_store_n(&published[vmid & 15], 1, __ATOMIC_RELAXED);
}

static void op_register_vcpu(struct cpu *c)
{
	struct own_vm *v = own(c, READY);
	u32 vc;

	if (!v || v->vcpus == 0xff)
		return;
	do
		vc = rnd(c) % VCPU_PER_VM;
	while (v->vcpus & (1u << vc));
	hvc(c, HVC_REGISTER_VCPU, v->vmid, vc, 0);
	v->vcpus |= 1u << vc;
}

/* The image protocol, a step at a time: boot info, write, remaps, verify. */
static void op_image(struct cpu *c)
{
	struct own_vm *v = own(c, READY);
	const struct hx_image *img;
	u64 pa0;

	if (!v)
		return;
	img = &images[v->block];
	pa0 = BLOCK_PFN(v->block) * PAGE_SIZE;
	switch (v->img_stage) {
	case 0:
		v->img_idx = (u32)hvc(c, HVC_SET_BOOT_INFO, v->vmid,
				      img->load_addr, img->size);
		call(c, C_HOST_WRITE, img->bytes, pa0, img->size, 0, 0, 0, 0);
		v->img_stage = 1;
		break;
	case 1:
		hvc(c, HVC_REMAP_VM_IMAGE, v->vmid,
		    pa0 / PAGE_SIZE + v->img_mapped, v->img_idx);
		if (++v->img_mapped == image_pages)
			v->img_stage = 2;
		break;
	default:
		/* The third VM stays READY: sealed state goes back into it. */
		if (rnd(c) % 2 || v->restored || v == &c->vms[2])
			return;
		hvc(c, HVC_VERIFY_VM_IMAGES, v->vmid, 0, 0);
		v->state = VERIFIED;
		v->verified = true;
		break;
	}
}

/* A vCPU of own VM @v becomes ACTIVE: an epoch ends if it sealed. */
static void activated(struct own_vm *v)
{
	if (v->seal_pending)
		v->gen++;
	v->seal_pending = false;
}

static void op_vcpu_state(struct cpu *c)
{
	struct own_vm *v = own(c, VERIFIED);
	u32 vc = rnd(c) % VCPU_PER_VM;

	if (rnd(c) % 2 || !v) { /* S2: vCPUs k and k + 4 */
		vc = c->k + 4 * (rnd(c) % 2);
		if (c->s2_active & (1u << vc)) {
			call(c, C_INACTIVE, NULL, s2, vc, 0, 0, 0, 0);
			c->s2_active &= ~(1u << vc);
		} else {
			call(c, C_ACTIVE, NULL, s2, vc, 0, 0, 0, 0);
			c->s2_active |= 1u << vc;
		}
		return;
	}
	if (!(v->vcpus & (1u << vc)))
		return;
	if (v->active & (1u << vc)) {
		call(c, C_INACTIVE, NULL, v->vmid, vc, 0, 0, 0, 0);
		v->active &= ~(1u << vc);
	} else {
		call(c, C_ACTIVE, NULL, v->vmid, vc, 0, 0, 0, 0);
		v->active |= 1u << vc;
		activated(v);
	}
}

/* A stage-2 fault of any VM, resolved with one of this CPU's pages. */
static void op_fault(struct cpu *c)
{
	u32 vmid = any_vm(c);

	if (rnd(c) % 16 == 0) { /* the whole donor block, as a 2 MiB block */
		u64 b = BLOCK_PFN(donor_block(c->k));

		for (u64 i = 0; i < BLOCK_PAGES; i += 37)
			if (!host_page(b + i))
				return;
		for (u64 i = 0; i < BLOCK_PAGES; i++)
			if (!host_page(b + i))
				return;
		call(c, C_PROT_MAP, NULL, vmid, donor_gpa(b),
		     b * PAGE_SIZE | PAGE_S2_RAM_BLOCK, 2, 0, 0);
		return;
	}
	for (int tries = 0; tries < 8; tries++) {
		u64 pfn = donor_pfn(c->k, (u32)rnd(c));

		if (!host_page(pfn))
			continue;
		call(c, C_PROT_MAP, NULL, vmid, donor_gpa(pfn),
		     pfn * PAGE_SIZE | PAGE_S2_RAM, 3, 0, 0);
		return;
	}
}

/* One of this CPU's pages that a VM owns (at its donor gfn). */
static u64 given_page(struct cpu *c, u32 *owner)
{
	for (int tries = 0; tries < 16; tries++) {
		u64 pfn = BLOCK_PFN(17 + 3 * c->k) + rnd(c) % (3 * BLOCK_PAGES);
		u32 o = cv_hosted_page_owner(pfn);

		if (o != HOSTVISOR && o < COREVISOR &&
		    cv_hosted_page_gfn(pfn) == donor_gpa(pfn) / PAGE_SIZE) {
			*owner = o;
			return pfn;
		}
	}
	return 0;
}

/*
 * Grants. Counts must stay order-independent: this CPU revokes only what
 * it granted itself (its balance on the page, so the count is >= 1 in any
 * order), others only grant (at most FOREIGN_GRANTS per page each), and
 * no page gets near MAX_SHARE_COUNT. The host uses a page only while this
 * CPU's balance keeps it shared.
 */
#define OWN_GRANTS 30
#define FOREIGN_GRANTS 20
#define DONOR_PAGES (3 * BLOCK_PAGES)

static u32 donor_idx(u32 k, u64 pfn)
{
	return (u32)(pfn - BLOCK_PFN(17 + 3 * k));
}

static void op_share(struct cpu *c)
{
	u32 owner, i;
	u64 pfn;

	if (rnd(c) % 3 == 0) { /* grant a page of another CPU, via any VM */
		u32 t = (c->k + 1 + rnd(c) % (NCPU - 1)) % NCPU;

		i = rnd(c) % DONOR_PAGES;
		if (c->foreign[t][i] >= FOREIGN_GRANTS)
			return;
		c->foreign[t][i]++;
		call(c, C_GRANT, NULL, any_vm(c),
		     donor_gpa(BLOCK_PFN(17 + 3 * t) + i), PAGE_SIZE, 0, 0, 0);
		return;
	}
	if (rnd(c) % 4) { /* a page this CPU shares: revoke or use it */
		u32 start = rnd(c) % DONOR_PAGES, j;

		for (j = 0; j < DONOR_PAGES; j++)
			if (c->balance[(start + j) % DONOR_PAGES])
				break;
		if (j == DONOR_PAGES)
			return;
		i = (start + j) % DONOR_PAGES;
		pfn = BLOCK_PFN(17 + 3 * c->k) + i;
		owner = cv_hosted_page_owner(pfn);
	} else {
		pfn = given_page(c, &owner);
		if (!pfn || cv_hosted_page_count(pfn) > MAX_SHARE_COUNT)
			return; /* not mapped by its VM (only an SMMU has it) */
		i = donor_idx(c->k, pfn);
	}
	switch (c->balance[i] ? rnd(c) % 4 : 0) {
	case 0:
		if (c->balance[i] >= OWN_GRANTS)
			return;
		call(c, C_GRANT, NULL, owner, donor_gpa(pfn), PAGE_SIZE, 0, 0,
		     0);
		c->balance[i]++;
		break;
	case 1:
		if (!c->balance[i])
			return;
		call(c, C_REVOKE, NULL, owner, donor_gpa(pfn), PAGE_SIZE, 0, 0,
		     0);
		c->balance[i]--;
		break;
	default: /* the host uses a page shared with it */
		if (!c->balance[i])
			return;
		if (rnd(c) % 2)
			call(c, C_HOST_READ, NULL, pfn * PAGE_SIZE, 64, 0, 0, 0,
			     0);
		else
			call(c, C_HOST_WRITE, pattern, pfn * PAGE_SIZE, 64, 0,
			     0, 0, 0);
		break;
	}
}

/*
 * Reclaiming this CPU's donor pages: MemHandler decides at its power
 * check, so learn what happened afterwards. A page back with the host
 * loses its balance, and the VM it came from is dead: this CPU never
 * gives it pages again, since its table still maps them where they were
 * (a grant through that stale mapping would then race with the stage-2
 * fault's page assignment, not with its mapping, where it is stamped).
 */
static void clear_donor_pages(struct cpu *c, u32 vmid)
{
	u64 base = BLOCK_PFN(17 + 3 * c->k);

	for (u32 i = 0; i < DONOR_PAGES; i++)
		c->owner_before[i] = (u8)cv_hosted_page_owner(base + i);
	call(c, C_CLEAR_RANGE, NULL, vmid, base * PAGE_SIZE, 3 * PMD_SIZE, 0, 0,
	     0);
	for (u32 i = 0; i < DONOR_PAGES; i++) {
		if (c->owner_before[i] == HOSTVISOR ||
		    cv_hosted_page_owner(base + i) != HOSTVISOR)
			continue;
		c->balance[i] = 0;
		c->dead |= 1u << c->owner_before[i];
	}
}

static void op_host(struct cpu *c)
{
	u64 pa =
		scratch_pfn(c->k, (u32)rnd(c)) * PAGE_SIZE + rnd(c) % PAGE_SIZE;
	u64 len = 1 + rnd(c) % PAGE_SIZE;

	if (scratch_pfn(c->k, 63) * PAGE_SIZE + PAGE_SIZE < pa + len)
		len = scratch_pfn(c->k, 63) * PAGE_SIZE + PAGE_SIZE - pa;
	if (rnd(c) % 2)
		call(c, C_HOST_WRITE, pattern, pa, len, 0, 0, 0, 0);
	else
		call(c, C_HOST_READ, NULL, pa, len, 0, 0, 0, 0);
}

/*
 * Own VM @vmid if it may seal now: verified (or powered off), no vCPU
 * running, its state still its own (lineage_seal). Only this CPU runs its
 * VMs' vCPUs, so that holds whatever the others do.
 */
static struct own_vm *own_sealable(struct cpu *c, u32 vmid)
{
	for (u32 i = 0; i < c->nvms; i++) {
		struct own_vm *v = &c->vms[i];

		if (v->vmid == vmid)
			return v->verified && v->state != READY && !v->active &&
					       !v->moved
				       ? v
				       : NULL;
	}
	return NULL;
}

/*
 * Seal one of our pages that an own VM holds; or restore a page sealed
 * from an own VM that is powered off (still at the epoch it was sealed
 * at) into an own READY VM nothing was restored into (which then carries
 * that VM's state on: it is never verified, and the first VM seals no
 * more).
 */
static void op_seal_page(struct cpu *c)
{
	u32 owner;
	u64 pfn, out;
	struct own_vm *v, *r;

	r = own(c, READY);
	if (r && !r->restored && rnd(c) % 2) {
		for (u32 b = 0; b < c->nblobs; b++) {
			v = &c->vms[c->blobs[b].vm];
			out = c->blobs[b].out;
			if (v->state != POWEROFF || v->moved ||
			    c->blobs[b].gen != v->gen || !host_page(out) ||
			    !host_page(out + 1))
				continue;
			hvc(c, HVC_DECRYPT_BUF, r->vmid, out * PAGE_SIZE, 0);
			r->restored = true;
			v->moved = true;
			c->blobs[b] = c->blobs[--c->nblobs];
			return;
		}
	}
	pfn = given_page(c, &owner);
	if (!pfn || c->seal_next >= 32 || c->nblobs >= 32)
		return;
	v = own_sealable(c, owner);
	out = seal_pfn(c->k, c->seal_next);
	if (!v || !host_page(out) || !host_page(out + 1))
		return;
	hvc(c, HVC_ENCRYPT_BUF, owner, pfn * PAGE_SIZE, out * PAGE_SIZE);
	v->seal_pending = true;
	c->blobs[c->nblobs].out = out;
	c->blobs[c->nblobs].vm = (u32)(v - c->vms);
	c->blobs[c->nblobs].gen = v->gen;
	c->nblobs++;
	c->seal_next++;
}

/* Seal a vCPU of an own VM that may seal (own_sealable). */
static void op_seal_vcpu(struct cpu *c)
{
	struct own_vm *v = own(c, rnd(c) % 2 ? VERIFIED : POWEROFF);
	u32 vc = rnd(c) % VCPU_PER_VM;

	if (!v || !own_sealable(c, v->vmid) || !(v->vcpus & (1u << vc)))
		return;
	hvc(c, HVC_SAVE_CRYPT_VCPU, v->vmid, vc, 0);
	v->seal_pending = true;
	v->sealed |= 1u << vc;
}

/* S1's load infos and remaps: slots are handed out in lock order. */
static void op_s1_image(struct cpu *c)
{
	if (c->s1_idx < 0) {
		u64 idx = hvc(c, HVC_SET_BOOT_INFO, s1,
			      0x40000000ULL * (2 + c->k), 3 * PAGE_SIZE);

		c->s1_idx = idx < MAX_LOAD_INFO_NUM ? (int)idx : 9;
		c->s1_mapped = 0;
		return;
	}
	if (c->s1_idx < (int)MAX_LOAD_INFO_NUM && c->s1_mapped < 4) {
		hvc(c, HVC_REMAP_VM_IMAGE, s1,
		    scratch_pfn(c->k, (u32)c->s1_mapped), (u32)c->s1_idx);
		c->s1_mapped++;
	}
}

static void op_io(struct cpu *c)
{
	struct own_vm *v = own(c, READY);
	u32 vmid = v && rnd(c) % 2 ? v->vmid : s1, i = c->io_next++ % 256;

	hvc(c, HVC_MAP_IO, vmid,
	    0x200000000ULL + c->k * 0x1000000ULL + i * PAGE_SIZE,
	    0x09000000ULL + (c->k * 256ULL + i) * PAGE_SIZE);
}

/* This CPU's context banks: SMMU k / 2, banks (k % 2) * 4 .. + 3. */
static void op_smmu(struct cpu *c)
{
	u32 j = rnd(c) % 4, index = c->k / 2, cb = (c->k % 2) * 4 + j;
	struct own_vm *holder = NULL;

	for (u32 i = 0; i < c->nvms; i++)
		if (c->vms[i].bank == (int)j)
			holder = &c->vms[i];
	if (!holder) {
		struct own_vm *v = own(c, READY);

		if (!v || v->bank >= 0 || c->banks_used[j])
			return;
		call(c, C_SMMU_ALLOC, NULL, cb, v->vmid, index, 0, 0, 0);
		v->bank = (int)j;
		c->banks_used[j] = true;
		return;
	}
	if (holder->state == POWEROFF) {
		call(c, C_SMMU_FREE, NULL, cb, index, 0, 0, 0, 0);
		holder->bank = -1;
		return;
	}
	if (holder->state != READY)
		return;
	for (int tries = 0; tries < 4; tries++) {
		u64 pfn = donor_pfn(c->k, (u32)rnd(c));
		u64 iova = donor_gpa(pfn) & ((1ULL << 40) - 1);

		if (iova != donor_gpa(pfn))
			return;
		switch (rnd(c) % 3) {
		case 0:
			if (!host_page(pfn))
				continue;
			call(c, C_SMMU_MAP, NULL, iova, pfn * PAGE_SIZE,
			     PAGE_S2_RAM, cb, index, 0);
			return;
		case 1:
			call(c, C_SMMU_CLEAR, NULL, iova, cb, index, 0, 0, 0);
			return;
		default:
			call(c, C_SMMU_IOVA, NULL, iova, cb, index, 0, 0, 0);
			return;
		}
	}
}

/* Power off one of ours; reclaim our pages from powered-off VMs. */
static void op_poweroff(struct cpu *c)
{
	struct own_vm *v = NULL;
	u32 vmid;

	if (rnd(c) % 3 == 0) {
		for (u32 i = 0; i < c->nvms; i++)
			if (c->vms[i].state != POWEROFF && !v)
				v = &c->vms[i];
		if (v && rnd(c) % 4 == 0) {
			/* Reclaiming wants no vCPU running (memhandler.c). */
			for (u32 vc = 0; vc < VCPU_PER_VM; vc++)
				if (v->active & (1u << vc))
					call(c, C_INACTIVE, NULL, v->vmid, vc,
					     0, 0, 0, 0);
			v->active = 0;
			call(c, C_POWEROFF, NULL, v->vmid, 0, 0, 0, 0, 0);
			v->state = POWEROFF;
		}
		return;
	}
	/* MemHandler's range call checks power itself: any VM will do. */
	vmid = any_vm(c);
	switch (rnd(c) % 4) {
	case 0:
		clear_donor_pages(c, vmid);
		break;
	case 1:
		for (u32 i = 0; i < c->nvms; i++)
			if (c->vms[i].vmid == vmid)
				call(c, C_CLEAR_RANGE, NULL, vmid,
				     BLOCK_PFN(c->vms[i].block) * PAGE_SIZE,
				     PMD_SIZE, 0, 0, 0);
		break;
	case 2:
		call(c, C_CLEAR_RANGE, NULL, vmid,
		     seal_pfn(c->k, 0) * PAGE_SIZE, 64 * PAGE_SIZE, 0, 0, 0);
		break;
	default:
		call(c, C_POWERON, NULL, vmid, 0, 0, 0, 0, 0);
		break;
	}
}

static void op_query(struct cpu *c)
{
	u32 vmid = any_vm(c);

	switch (rnd(c) % 3) {
	case 0:
		call(c, C_SEARCH, NULL, vmid,
		     rnd(c) % 2 ? 0x40000000ULL * (2 + rnd(c) % NCPU) +
					  rnd(c) % (4 * PAGE_SIZE)
				: image_load((u32)(rnd(c) % 32)) + 64,
		     0, 0, 0, 0);
		break;
	case 1:
		hvc(c, HVC_IS_INC_EXE, vmid, 0, 0);
		break;
	default:
		hvc(c, HVC_NOOP, 0, 0, 0);
		break;
	}
}

/*
 * The program of every vCPU, deterministic (a replay runs it again): what
 * it does depends only on its PC, which starts at its image's load
 * address and moves by 4 per step. Each run ends in one exit: WFI after a
 * store to its image (a mapped page), an MMIO load (the host emulates
 * it), a PSCI_VERSION call, or an interrupt.
 */
static void stress_guest(struct cv_hosted_guest *g, void *arg)
{
	u64 page = g->pc & ~(PAGE_SIZE - 1);

	(void)arg;
	switch ((g->pc / 4) % 4) {
	case 0:
		if (cv_guest_store(g, page + 0x800 + 8 * (g->vcpuid % 8), 8, 1))
			cv_guest_wfi(g);
		return;
	case 1:
		cv_guest_load(g, 0x09000000ULL + 8 * g->vcpuid, 4, 2);
		return;
	case 2:
		g->x[0] = 0x84000000ULL; /* PSCI_VERSION */
		cv_guest_hvc(g, 0);
		return;
	default:
		g->pc += 4;
		return; /* an interrupt */
	}
}

/*
 * VCPU_RUN of a READY vCPU of S2 (k, k + 4; all started at setup) or of a
 * VERIFIED VM of ours (started here, as its guest's CPU_ON would, at its
 * image's entry, the first time).
 */
static void op_run(struct cpu *c)
{
	struct own_vm *v = own(c, VERIFIED);
	u32 vmid = s2, vc = c->k + 4 * (rnd(c) % 2);
	u32 *active = &c->s2_active;

	if (v && rnd(c) % 2) {
		vc = rnd(c) % VCPU_PER_VM;
		if (!(v->vcpus & (1u << vc)))
			return;
		vmid = v->vmid;
		active = &v->active;
	}
	if (*active & (1u << vc))
		return; /* VCPU_RUN wants it READY */
	if (vmid != s2) {
		if (!(v->started & (1u << vc))) {
			call(c, C_CPU_ON, NULL, vmid, 0x80000000ULL | vc,
			     image_load(v->block), 0, 0, 0);
			v->started |= 1u << vc;
		}
		activated(v);
	}
	hvc(c, HVC_VCPU_RUN, vmid, vc, 0);
}

static void step(struct cpu *c)
{
	u64 r = rnd(c) % 100;

	if (r < 4)
		op_register(c);
	else if (r < 9)
		op_register_vcpu(c);
	else if (r < 20)
		op_image(c);
	else if (r < 26)
		op_vcpu_state(c);
	else if (r < 40)
		op_fault(c);
	else if (r < 52)
		op_share(c);
	else if (r < 58)
		op_host(c);
	else if (r < 63)
		op_seal_page(c);
	else if (r < 68)
		op_seal_vcpu(c);
	else if (r < 73)
		op_s1_image(c);
	else if (r < 77)
		op_io(c);
	else if (r < 85)
		op_smmu(c);
	else if (r < 90)
		op_poweroff(c);
	else if (r < 96)
		op_run(c);
	else
		op_query(c);
}

/* ---- phases and the watchdog
 * -------------------------------------------------------- */

static pthread_barrier_t bar_start, bar_end;
static u64 ops_per_phase;
static u64 check_every = 50; /* replay: invariants after every n-th call */
static u64 replay_checks;
static bool stop;
static u64 phase_started; /* CLOCK_MONOTONIC seconds; 0 when idle */

static u64 now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec;
}

static void *worker(void *arg)
{
	struct cpu *c = arg;

	for (;;) {
		pthread_barrier_wait(&bar_start);
		if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
			return NULL;
		cv_hosted_set_cpu(c->k); /* on the machine booted meanwhile */
		for (u64 i = 0; i < ops_per_phase &&
				!__atomic_load_n(&fail_flag, __ATOMIC_RELAXED);
		     i++)
			step(c);
		pthread_barrier_wait(&bar_end);
	}
}

/*
 * A phase takes 10-50 s on an idle 2-core machine; a loaded one has been
 * seen to need over 120 s, so only a phase stuck this long is a deadlock.
 */
#define WATCHDOG_S 600

static void *watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		u64 t = __atomic_load_n(&phase_started, __ATOMIC_ACQUIRE);

		sleep(1);
		if (t &&
		    t == __atomic_load_n(&phase_started, __ATOMIC_ACQUIRE) &&
		    now_s() - t > WATCHDOG_S) {
			fprintf(stderr,
				"stress: FAILED: a phase has not ended "
				"after %d s (deadlock?)\n",
				WATCHDOG_S);
			for (u32 k = 0; k < NCPU; k++) {
				char d[256] = "none";
				const struct rec *r = __atomic_load_n(
					&cpus[k].last, __ATOMIC_RELAXED);

				if (r)
					describe(r, d, sizeof(d));
				fprintf(stderr, "  cpu%u last call: %s\n", k,
					d);
			}
			abort();
		}
	}
	return NULL;
}

/* ---- setup, quiescent checks, replay
 * ------------------------------------------------- */

static struct cpu setup_cpu; /* CPU 0 before the workers start */
static void stress_guest(struct cv_hosted_guest *g, void *arg);

static void boot(void)
{
	if (hx_boot(RAM_SIZE, NCPU, true)) {
		fprintf(stderr, "stress: boot failed\n");
		exit(2);
	}
	for (u32 v = 1; v < COREVISOR; v++)
		cv_hosted_set_guest(v, stress_guest, NULL);
}

/* S1 READY with every vCPU; S2 VERIFIED with every vCPU. */
static void setup(void)
{
	struct cpu *c = &setup_cpu;
	const struct hx_image *img = &images[S2_BLOCK];
	u64 pa0 = BLOCK_PFN(S2_BLOCK) * PAGE_SIZE, idx;

	c->k = 0;
	c->phase = 0;
	s1 = (u32)hvc(c, HVC_REGISTER_KVM, 0, 0, 0);
	s2 = (u32)hvc(c, HVC_REGISTER_KVM, 0, 0, 0);
	for (u32 v = 0; v < VCPU_PER_VM; v++) {
		hvc(c, HVC_REGISTER_VCPU, s1, v, 0);
		hvc(c, HVC_REGISTER_VCPU, s2, v, 0);
	}
	idx = hvc(c, HVC_SET_BOOT_INFO, s2, img->load_addr, img->size);
	call(c, C_HOST_WRITE, img->bytes, pa0, img->size, 0, 0, 0, 0);
	for (u64 i = 0; i < image_pages; i++)
		hvc(c, HVC_REMAP_VM_IMAGE, s2, pa0 / PAGE_SIZE + i, idx);
	hvc(c, HVC_VERIFY_VM_IMAGES, s2, 0, 0);
	/* S2's vCPUs, started by its guest (vCPU 0 by its image's entry). */
	for (u32 v = 1; v < VCPU_PER_VM; v++)
		call(c, C_CPU_ON, NULL, s2, 0x80000000ULL | v, img->load_addr,
		     0, 0, 0);
	memset(published, 0, sizeof(published));
	published[s1] = published[s2] = 1;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool check_quiescent(const char *when)
{
	char why[256];

	if (check_invariants(why, sizeof(why))) {
		failf("%s: invariant violated: %s", when, why);
		return false;
	}
	return true;
}

/*
 * Replay @n calls (sorted by stamp) on a fresh machine, single-CPU,
 * comparing results and, at each phase's end, the state with @snaps.
 * Returns true when everything matched.
 */
static bool replay(struct rec *calls, size_t n, struct hx_snap *snaps,
		   u32 nphases, bool quiet)
{
	size_t i = 0;
	char why[512], d[256];

	boot();
	for (u32 p = 0; p <= nphases; p++) {
		struct hx_snap s;

		for (; i < n && calls[i].phase == p; i++) {
			u64 ret;

			cv_hosted_set_cpu(calls[i].cpu);
			ret = run_call(&calls[i]);
			/* Serially, the invariants hold after every call. */
			if (!quiet && check_every && i % check_every == 0 &&
			    ++replay_checks && !check_quiescent("replay")) {
				describe(&calls[i], d, sizeof(d));
				fprintf(stderr, "  after call %zu: %s\n", i, d);
				return false;
			}
			if (ret != calls[i].ret || cv_hosted_halted()) {
				if (!quiet) {
					describe(&calls[i], d, sizeof(d));
					failf("replay: call %zu (%s) returned "
					      "0x%llx (halted: %s)",
					      i, d, (unsigned long long)ret,
					      cv_hosted_halt_reason());
				}
				return false;
			}
		}
		cv_hosted_set_cpu(0);
		if (!quiet && !check_quiescent("replay"))
			return false;
		hx_snap_take(&s);
		if (hx_snap_diff(&snaps[p], &s, why, sizeof(why))) {
			if (!quiet)
				failf("replay: after phase %u the state "
				      "differs from the concurrent run's: %s "
				      "(concurrent vs replay)",
				      p, why);
			hx_snap_free(&s);
			return false;
		}
		hx_snap_free(&s);
	}
	return true;
}

struct totals {
	u64 calls, epochs, phases, replayed;
};

static bool run_epoch(u32 e, u32 nphases, u64 seed, bool self_test,
		      struct totals *t)
{
	struct hx_snap *snaps = calloc(nphases + 1, sizeof(*snaps));
	struct rec *all;
	size_t n = 0;
	bool ok = true;

	if (!snaps)
		abort();
	boot();
	global_seq = 1;
	free(setup_cpu.log.v);
	memset(&setup_cpu, 0, sizeof(setup_cpu));
	setup();
	if (!check_quiescent("after setup"))
		return false;
	hx_snap_take(&snaps[0]);
	for (u32 k = 0; k < NCPU; k++) {
		struct cpu *c = &cpus[k];

		free(c->log.v);
		memset(&c->log, 0, sizeof(c->log));
		memset(c->vms, 0, sizeof(c->vms));
		c->nvms = 0;
		c->seal_next = 0;
		c->nblobs = 0;
		c->s2_active = 0;
		c->s1_idx = -1;
		memset(c->banks_used, 0, sizeof(c->banks_used));
		c->io_next = 0;
		memset(c->balance, 0, sizeof(c->balance));
		memset(c->foreign, 0, sizeof(c->foreign));
		c->dead = 0;
		c->last = NULL;
		c->rng = seed * 0x9e3779b97f4a7c15ULL + e * 7919 + k * 104729 +
			 1;
	}
	for (u32 p = 1; p <= nphases && ok; p++) {
		char when[64];

		for (u32 k = 0; k < NCPU; k++)
			cpus[k].phase = (u16)p;
		__atomic_store_n(&phase_started, now_s(), __ATOMIC_RELEASE);
		pthread_barrier_wait(&bar_start);
		pthread_barrier_wait(&bar_end);
		__atomic_store_n(&phase_started, 0, __ATOMIC_RELEASE);
		t->phases++;
		if (__atomic_load_n(&fail_flag, __ATOMIC_ACQUIRE)) {
			ok = false;
			break;
		}
		cv_hosted_set_cpu(0);
		snprintf(when, sizeof(when), "epoch %u phase %u", e, p);
		ok = check_quiescent(when);
		hx_snap_take(&snaps[p]);
	}
	if (ok) {
		n = setup_cpu.log.n;
		for (u32 k = 0; k < NCPU; k++)
			n += cpus[k].log.n;
		all = malloc(n * sizeof(*all) + 1);
		if (!all)
			abort();
		memcpy(all, setup_cpu.log.v, setup_cpu.log.n * sizeof(*all));
		n = setup_cpu.log.n;
		for (u32 k = 0; k < NCPU; k++) {
			memcpy(all + n, cpus[k].log.v,
			       cpus[k].log.n * sizeof(*all));
			n += cpus[k].log.n;
		}
		qsort(all, n, sizeof(*all), cmp_seq);
		t->calls += n - setup_cpu.log.n;
		ok = replay(all, n, snaps, nphases, false);
		t->replayed += n;
		if (ok && self_test) {
			/* Swap the first two register_kvm calls of phase 1. */
			size_t x = n, y = n;

			for (size_t i = setup_cpu.log.n; i < n; i++)
				if (all[i].kind == C_HVC &&
				    all[i].a[0] == HVC_REGISTER_KVM) {
					if (x == n)
						x = i;
					else if (all[i].phase == all[x].phase &&
						 all[i].cpu != all[x].cpu) {
						y = i;
						break;
					}
				}
			if (y == n) {
				failf("self-test: no two register_kvm calls of "
				      "different CPUs in one phase");
				ok = false;
			} else {
				struct rec tmp = all[x];

				all[x] = all[y];
				all[y] = tmp;
				if (replay(all, n, snaps, nphases, true)) {
					failf("self-test: a replay with two "
					      "register_kvm calls swapped "
					      "matched");
					ok = false;
				} else {
					printf("stress: self-test: the replay "
					       "check caught two swapped "
					       "register_kvm calls\n");
				}
			}
		}
		free(all);
	}
	for (u32 p = 0; p <= nphases; p++)
		hx_snap_free(&snaps[p]);
	free(snaps);
	t->epochs++;
	return ok;
}

int main(int argc, char **argv)
{
	u32 epochs = 4, phases = 4;
	u64 seed = 1;
	bool self_test = false;
	struct totals t = {0};
	pthread_t wd;
	time_t t0 = time(NULL);
	bool ok = true;

	ops_per_phase = 200;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-e") && i + 1 < argc)
			epochs = (u32)atoi(argv[++i]);
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			phases = (u32)atoi(argv[++i]);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			ops_per_phase = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			check_every = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--self-test"))
			self_test = true;
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else {
			fprintf(stderr,
				"usage: %s [-e epochs] [-p phases] [-n ops] "
				"[-s seed] [-c check-every] [--self-test] "
				"[-v]\n",
				argv[0]);
			return 2;
		}
	}
	hx_keys_init();
	for (u32 b = 0; b < 32; b++) {
		hx_make_image(&images[b], hx_sk, image_load(b), IMG_PAYLOAD, b);
	}
	image_pages = (images[0].size + PAGE_SIZE - 1) / PAGE_SIZE;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (u8)(i * 31 + 7);

	pthread_barrier_init(&bar_start, NULL, NCPU + 1);
	pthread_barrier_init(&bar_end, NULL, NCPU + 1);
	for (u32 k = 0; k < NCPU; k++) {
		cpus[k].k = k;
		if (pthread_create(&cpus[k].thread, NULL, worker, &cpus[k]))
			abort();
	}
	if (pthread_create(&wd, NULL, watchdog, NULL))
		abort();
	pthread_detach(wd);

	for (u32 e = 0; e < epochs && ok; e++) {
		ok = run_epoch(e, phases, seed, self_test && e == 0, &t);
		if (verbose)
			printf("stress: epoch %u: %s\n", e,
			       ok ? "ok" : "FAILED");
		fflush(stdout);
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_barrier_wait(&bar_start);
	for (u32 k = 0; k < NCPU; k++)
		pthread_join(cpus[k].thread, NULL);
	for (u32 k = 0; k < NCPU; k++)
		free(cpus[k].log.v);
	free(setup_cpu.log.v);
	if (!ok)
		return 1;
	printf("stress: %llu calls on %u CPUs (%llu%% overlapping another "
	       "CPU's) in %llu epochs x %u phases (seed %llu): invariants held "
	       "at %llu quiescent points and after %llu replayed calls; %llu "
	       "calls replayed in lock order with equal results and states; "
	       "%lld s\n",
	       (unsigned long long)t.calls, NCPU,
	       (unsigned long long)(t.calls ? 100 * overlapped / t.calls : 0),
	       (unsigned long long)t.epochs, phases, (unsigned long long)seed,
	       (unsigned long long)t.phases, (unsigned long long)replay_checks,
	       (unsigned long long)t.replayed, (long long)(time(NULL) - t0));
	if (verbose) {
		for (u32 i = 0; i < ARRAY_SIZE(kind_count); i++)
			if (kind_count[i] && i < C_NKINDS)
				printf("  %-20s %llu\n", cnames[i],
				       (unsigned long long)kind_count[i]);
			else if (kind_count[i])
				printf("  hvc %-16u %llu\n", i - C_NKINDS,
				       (unsigned long long)kind_count[i]);
	}
	fflush(stdout);
	return 0;
}
