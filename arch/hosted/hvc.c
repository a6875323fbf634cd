// SPDX-License-Identifier: MIT
/*
 * Hypercalls from the host on the hosted machine: HVC #0 on this CPU, with
 * x0..x5 handed to TrapDispatcher (host_hvc_dispatch) as the EL2 entry
 * code hands over the host's saved registers.
 */
#include <cv/trap.h>

#include "hosted_internal.h"
#include "hosted_priv.h"

struct hvc_call {
	u64 x[6];
	u64 ret;
};

static void do_hvc(void *arg)
{
	struct hvc_call *c = arg;

	c->ret = host_hvc_dispatch(c->x);
}

uint64_t cv_hosted_hvc(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3,
		       uint64_t x4, uint64_t x5)
{
	struct hvc_call c = {{x0, x1, x2, x3, x4, x5}, 0};

	if (!cv_hosted_run(do_hvc, &c))
		return 0; /* this CPU stopped: the core halted */
	return c.ret;
}
