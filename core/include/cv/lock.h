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
 * Test hook (tests/stress only, never in a real build): called right after
 * this CPU took lock @lk and right before it passes it on, so the stress
 * test can order each call by the locks it serialised on.
 */
void cv_stress_lock_taken(u32 lk);
void cv_stress_lock_passing(u32 lk);
#endif

/* ticket.c: wait_lock's slow path, while another CPU holds the lock. */
void cv_lock_spin_(struct cv_lock *l, u32 ticket);

/*
 * wait_lock_spec: take a ticket and wait for it. A halted core skips the
 * lock (the spec's halted no-op); a CPU caught waiting when another CPU
 * halts stops for good rather than run on unprotected. Inline (as are the
 * acquire/release wrappers): a lock nobody else holds costs one atomic
 * add and one load-acquire (debug builds also record the holder).
 */
static inline void wait_lock(u32 lk)
{
	struct cv_lock *l = &cv.locks[lk];
	u32 ticket;

	if (halted())
		return;
	ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		cv_lock_spin_(l, ticket);
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
