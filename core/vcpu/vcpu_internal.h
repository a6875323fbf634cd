/* SPDX-License-Identifier: MIT */
/* Shared by the files of core/vcpu (not an interface). */
#ifndef CV_VCPU_INTERNAL_H
#define CV_VCPU_INTERNAL_H

#include <corevisor/vcpu_abi.h>
#include <cv/types.h>

#define ULL(x) ((unsigned long long)(x))

/*
 * This CPU's record of the exit being prepared: what publish_int_state
 * copies to the host (exit reason, syndrome, exposed registers).
 */
struct cv_vcpu_run *int_out(void);

#endif
