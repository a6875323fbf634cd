// SPDX-License-Identifier: MIT
/*
 * Ticket locks: LockOps (wait_lock, pass_lock) and Locks (acquire_lock_*,
 * release_lock_*), inline in cv/lock.h; here the wait's slow path and the
 * holder check. LockOpsQ/LockOpsH are the spec's proof layers over the
 * same two operations (queue and high-level views); in C they are these.
 */
#include <cv/arch.h>
#include <cv/lock.h>
#include <cv/panic.h>

static struct cv_lock *lock_of(u32 lk)
{
	return &cv.locks[lk];
}

/*
 * wait_lock_spec's wait (wait_lock itself is inline, lock.h): spin until
 * @ticket is served; a core that halts meanwhile stops this CPU (its own
 * panic cannot happen while it spins).
 */
void cv_lock_spin_(struct cv_lock *l, u32 ticket)
{
#ifdef CV_LOCK_STATS
	struct cv_lock_stat *st = &cv.lock_stats[arch_cpu_id()][l - cv.locks];

	st->contended++;
#endif
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket) {
		if (halted())
			arch_cpu_stop();
		arch_cpu_relax();
#ifdef CV_LOCK_STATS
		st->spins++;
#endif
	}
}

#ifdef CV_LOCK_STATS
void cv_lock_stat_taken(u32 lk)
{
	cv.lock_stats[arch_cpu_id()][lk].acquired++;
	if (cv.lock_stat_hook)
		cv.lock_stat_hook(lk, true);
}

void cv_lock_stat_passing(u32 lk)
{
	if (cv.lock_stat_hook)
		cv.lock_stat_hook(lk, false);
}
#endif

bool lock_held_by_me(u32 lk)
{
	if (halted())
		return true;
	return __atomic_load_n(&lock_of(lk)->holder, __ATOMIC_RELAXED) ==
	       arch_cpu_id() + 1;
}
