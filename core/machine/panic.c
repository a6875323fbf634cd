// SPDX-License-Identifier: MIT
/* Fail-stop (AbstractMachine panic_spec, check_spec). */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/state.h>

u32 cv_halted_flag_(void)
{
	return __atomic_load_n(&cv.halted, __ATOMIC_ACQUIRE);
}

/*
 * panic_spec: the first panic wins; its reason is kept. The flag is set
 * before the machine stops so every other CPU sees a halted core, and
 * the CPU that set it is recorded: wait_lock stops every other CPU.
 */
void panic(const char *fmt, ...)
{
	char reason[CV_HALT_REASON_LEN];
	va_list ap;
	u32 expected = 0;

	va_start(ap, fmt);
	cv_vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);

	if (!__atomic_compare_exchange_n(&cv.halted, &expected, 2, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return; /* already halted: keep the first reason */
	__atomic_store_n(&cv.halt_cpu, arch_cpu_id() + 1, __ATOMIC_RELEASE);
	memcpy(cv.halt_reason, reason, sizeof(reason));
	__atomic_store_n(&cv.halted, 1, __ATOMIC_RELEASE);
	arch_halt(cv.halt_reason);
}

#ifdef CV_DEBUG
void cv_assert_fail(const char *what, const char *file, int line)
{
	panic("BUG: %s at %s:%d", what, file, line);
}
#endif
