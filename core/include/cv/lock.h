/* SPDX-License-Identifier: MIT */
/*
 * Ticket locks (LockOps, LockOpsQ, LockOpsH, Locks). One lock per shared
 * object; state.h gives the lock set and the order. Acquire/release
 * ordering makes the same code correct on Arm's weak memory model.
 *
 * Fail-stop: once the core has halted, acquiring and releasing are no-ops
 * and a CPU spinning on a lock stops spinning (the holder may have
 * panicked while holding it, as the spec's halted states keep locks held).
 */
#ifndef CV_LOCK_H
#define CV_LOCK_H

#include <cv/arch.h>
#include <cv/panic.h>
#include <cv/state.h>

#ifdef CV_STRESS_TRACE
/*
 * Test hooks (tests/stress only, never in a real build): called when this
 * CPU is about to wait for lock @lk, right after it took it and right
 * before it passes it on, so the stress tests can order each call by the
 * locks it serialised on, and hold a CPU at a chosen point.
 */
void cv_stress_lock_waiting(u32 lk);
void cv_stress_lock_taken(u32 lk);
void cv_stress_lock_passing(u32 lk);
#endif

/* ticket.c: wait_lock's slow path, while another CPU holds the lock. */
void cv_lock_spin_(struct cv_lock *l, u32 ticket);

#ifdef CV_LOCK_STATS
/*
 * Benchmark builds only (mk/bench.mk, bench/scaling_bench.c; never the
 * shipped core): each CPU counts, per lock, its acquisitions, those that
 * found the lock held, and the turns of the spin loop (cv.lock_stats).
 * cv_lock_stat_hook, when set, is told when this CPU has taken a lock and
 * when it passes it on, so a benchmark can count the instructions of each
 * critical section.
 */
void cv_lock_stat_taken(u32 lk);
void cv_lock_stat_passing(u32 lk);
#endif

/* wait_lock once halted: every CPU but the one that halted stops. */
static inline void wait_lock_halted(void)
{
	if (__atomic_load_n(&cv.halt_cpu, __ATOMIC_ACQUIRE) !=
	    arch_cpu_id() + 1)
		arch_cpu_stop();
}

/*
 * wait_lock_spec: take a ticket and wait for it. Once the core has halted
 * no CPU takes a lock again: a CPU whose call was in flight at the halt
 * stops here for good (arch_cpu_stop), as does one caught waiting, rather
 * than go on to write what the lock guards (the spec's halted states do
 * nothing at all; a CPU already inside a call cannot be recalled, but it
 * can be stopped at its next lock). The CPU that panicked returns from
 * every call at once (at EL2 it never returns at all): there the lock is
 * skipped, the spec's halted no-op, so the hosted machine can still be
 * inspected from it. Inline (as are the acquire/release wrappers): a lock
 * nobody else holds costs one atomic add and one load-acquire (debug
 * builds also record the holder).
 */
static inline void wait_lock(u32 lk)
{
	struct cv_lock *l = &cv.locks[lk];
	u32 ticket;

#ifdef CV_STRESS_TRACE
	cv_stress_lock_waiting(lk);
#endif
	if (halted()) {
		wait_lock_halted();
		return;
	}
	ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		cv_lock_spin_(l, ticket);
#ifdef CV_LOCK_STATS
	cv_lock_stat_taken(lk);
#endif
#ifdef CV_DEBUG
	/* Only assert_locked() reads the holder: release builds skip it. */
	__atomic_store_n(&l->holder, arch_cpu_id() + 1, __ATOMIC_RELAXED);
#endif
#ifdef CV_STRESS_TRACE
	cv_stress_lock_taken(lk);
#endif
}

/* pass_lock_spec: hand the lock to the next ticket. Halted: locks stay. */
static inline void pass_lock(u32 lk)
{
	struct cv_lock *l = &cv.locks[lk];
	u32 serving;

	if (halted())
		return;
#ifdef CV_STRESS_TRACE
	cv_stress_lock_passing(lk);
#endif
#ifdef CV_LOCK_STATS
	cv_lock_stat_passing(lk);
#endif
#ifdef CV_DEBUG
	__atomic_store_n(&l->holder, 0, __ATOMIC_RELAXED);
#endif
	serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	__atomic_store_n(&l->serving, serving + 1, __ATOMIC_RELEASE);
}

static inline void acquire_lock_pt(u32 vmid)
{
	wait_lock(NPT_ID + vmid);
}

static inline void release_lock_pt(u32 vmid)
{
	pass_lock(NPT_ID + vmid);
}

static inline void acquire_lock_vm(u32 vmid)
{
	wait_lock(INFO_ID + vmid);
}

static inline void release_lock_vm(u32 vmid)
{
	pass_lock(INFO_ID + vmid);
}

static inline void acquire_lock_spt(void)
{
	wait_lock(SPT_ID);
}

static inline void release_lock_spt(void)
{
	pass_lock(SPT_ID);
}

static inline void acquire_lock_s2page(void)
{
	wait_lock(S2PAGE_ID);
}

static inline void release_lock_s2page(void)
{
	pass_lock(S2PAGE_ID);
}

static inline void acquire_lock_core(void)
{
	wait_lock(CORE_ID);
}

static inline void release_lock_core(void)
{
	pass_lock(CORE_ID);
}

static inline void acquire_lock_smmu(void)
{
	wait_lock(SMMU_ID);
}

static inline void release_lock_smmu(void)
{
	pass_lock(SMMU_ID);
}

/*
 * True when this CPU holds lock @lk (or the core has halted). The holder is
 * recorded in CV_DEBUG builds only, where assert_locked() uses this.
 */
bool lock_held_by_me(u32 lk);

#ifdef CV_DEBUG
void cv_assert_fail(const char *what, const char *file, int line);
#define assert_locked(lk)                                                 \
	do {                                                              \
		if (!lock_held_by_me(lk))                                 \
			cv_assert_fail("lock " #lk " not held", __FILE__, \
				       __LINE__);                         \
	} while (0)
#define CV_ASSERT(cond)                                            \
	do {                                                       \
		if (!(cond))                                       \
			cv_assert_fail(#cond, __FILE__, __LINE__); \
	} while (0)
#else
#define assert_locked(lk) ((void)0)
#define CV_ASSERT(cond) ((void)0)
#endif

#endif
