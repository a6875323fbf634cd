// SPDX-License-Identifier: MIT
/*
 * Ticket locks: LockOps (wait_lock, pass_lock) and Locks (acquire_lock_*,
 * release_lock_*). LockOpsQ/LockOpsH are the spec's proof layers over the
 * same two operations (queue and high-level views); in C they are these.
 */
#include <cv/arch.h>
#include <cv/lock.h>
#include <cv/panic.h>

#ifdef CV_STRESS_TRACE
/*
 * Test hook (tests/stress only, never in a real build): called right after
 * this CPU took lock @lk and right before it passes it on, so the stress
 * test can order each call by the locks it serialised on.
 */
void cv_stress_lock_taken(u32 lk);
void cv_stress_lock_passing(u32 lk);
#endif

static struct cv_lock *lock_of(u32 lk)
{
	return &cv.locks[lk];
}

/*
 * wait_lock_spec: take a ticket and wait for it. A halted core skips the
 * lock (the spec's halted no-op); a CPU caught waiting when another CPU
 * halts stops for good rather than run on unprotected.
 */
void wait_lock(u32 lk)
{
	struct cv_lock *l = lock_of(lk);
	u32 ticket;

	if (halted())
		return;
	ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket) {
		if (halted())
			arch_cpu_stop();
		arch_cpu_relax();
	}
	__atomic_store_n(&l->holder, arch_cpu_id() + 1, __ATOMIC_RELAXED);
#ifdef CV_STRESS_TRACE
	cv_stress_lock_taken(lk);
#endif
}

/* pass_lock_spec: hand the lock to the next ticket. Halted: locks stay. */
void pass_lock(u32 lk)
{
	struct cv_lock *l = lock_of(lk);
	u32 serving;

	if (halted())
		return;
#ifdef CV_STRESS_TRACE
	cv_stress_lock_passing(lk);
#endif
	__atomic_store_n(&l->holder, 0, __ATOMIC_RELAXED);
	serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	__atomic_store_n(&l->serving, serving + 1, __ATOMIC_RELEASE);
}

bool lock_held_by_me(u32 lk)
{
	if (halted())
		return true;
	return __atomic_load_n(&lock_of(lk)->holder, __ATOMIC_RELAXED) ==
	       arch_cpu_id() + 1;
}

void acquire_lock_pt(u32 vmid)
{
	wait_lock(NPT_ID + vmid);
}

void release_lock_pt(u32 vmid)
{
	pass_lock(NPT_ID + vmid);
}

void acquire_lock_vm(u32 vmid)
{
	wait_lock(INFO_ID + vmid);
}

void release_lock_vm(u32 vmid)
{
	pass_lock(INFO_ID + vmid);
}

void acquire_lock_spt(void)
{
	wait_lock(SPT_ID);
}

void release_lock_spt(void)
{
	pass_lock(SPT_ID);
}

void acquire_lock_s2page(void)
{
	wait_lock(S2PAGE_ID);
}

void release_lock_s2page(void)
{
	pass_lock(S2PAGE_ID);
}

void acquire_lock_core(void)
{
	wait_lock(CORE_ID);
}

void release_lock_core(void)
{
	pass_lock(CORE_ID);
}

void acquire_lock_smmu(void)
{
	wait_lock(SMMU_ID);
}

void release_lock_smmu(void)
{
	pass_lock(SMMU_ID);
}
