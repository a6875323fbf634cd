/* SPDX-License-Identifier: MIT */
/* Shared between the hosted machine's own files (not for tests). */
#ifndef CV_HOSTED_PRIV_H
#define CV_HOSTED_PRIV_H

#include <cv/types.h>

/*
 * Run @fn(@arg) as this CPU entering the core. Returns false when the CPU
 * was stopped inside (arch_cpu_stop: another CPU halted the core).
 */
bool hosted_run_on_cpu(void (*fn)(void *), void *arg);

void hosted_count_host_fault(void);

#endif
