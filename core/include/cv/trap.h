/* SPDX-License-Identifier: MIT */
/*
 * Traps into the core (core/trap): TrapDispatcher and what the EL2 entry
 * code calls. The arch code saves the host's x0..x5 and hands them over.
 */
#ifndef CV_TRAP_H
#define CV_TRAP_H

#include <cv/types.h>

/*
 * host_hvc_dispatcher: the host's hypercall x0 = args[0] with arguments
 * args[1..5] (include/corevisor/abi.h). Checks the arguments as
 * TrapDispatcher does (a bad one panics, naming the call and the values)
 * and returns what goes back in the host's x0: the call's result, 0 for a
 * call without one (and after a panic), INVALID64 for a number the core
 * does not serve.
 */
u64 host_hvc_dispatch(const u64 args[6]);

#endif
