/* SPDX-License-Identifier: MIT */
/*
 * Fail-stop (AbstractMachine panic_spec / check_spec). panic() sets the
 * global halt flag with a reason and stops the machine; in the hosted build
 * it returns, and from then on every spec function is a no-op returning 0.
 * Reasons name the call and the offending value: "set_boot_info: vm 3
 * state 5 not READY".
 */
#ifndef CV_PANIC_H
#define CV_PANIC_H

#include <cv/state.h>
#include <cv/types.h>

void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

u32 cv_halted_flag_(void);

/*
 * Inline: every spec function asks on entry, and after each call that
 * may have panicked (one load-acquire of cv.halted, no call).
 */
static inline bool halted(void)
{
	return __atomic_load_n(&cv.halted, __ATOMIC_ACQUIRE) != 0;
}

/* check_spec / check64_spec: a value, or 0 once halted. */
static inline u32 check(u32 v)
{
	return halted() ? 0 : v;
}

static inline u64 check64(u64 v)
{
	return halted() ? 0 : v;
}

#endif
