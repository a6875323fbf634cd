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

#include <cv/state.h>

void wait_lock(u32 lk);
void pass_lock(u32 lk);

void acquire_lock_pt(u32 vmid);
void release_lock_pt(u32 vmid);
void acquire_lock_vm(u32 vmid);
void release_lock_vm(u32 vmid);
void acquire_lock_spt(void);
void release_lock_spt(void);
void acquire_lock_s2page(void);
void release_lock_s2page(void);
void acquire_lock_core(void);
void release_lock_core(void);
void acquire_lock_smmu(void);
void release_lock_smmu(void);

/* True when this CPU holds lock @lk (or the core has halted). */
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
