/* SPDX-License-Identifier: MIT */
/* Shared by the files of core/vcpu (not an interface). */
#ifndef CV_VCPU_INTERNAL_H
#define CV_VCPU_INTERNAL_H

#include <corevisor/constants.h>
#include <corevisor/vcpu_abi.h>
#include <cv/arch.h>
#include <cv/types.h>

#define ULL(x) ((unsigned long long)(x))

/*
 * Per CPU (intstate.c): the host's answers this run uses (load_int_state
 * fills only those fields of `in`), and the exit being prepared: `out`
 * and the registers it shows (bit i: out.regs[i], set_int_gpr).
 */
struct int_state {
	struct cv_vcpu_run in;
	struct cv_vcpu_run out;
	u64 shown;
	u32 irq_valid; /* in.irq_req slots with CV_IRQ_REQ_VALID set */
	bool vcpu_off; /* this run found the vCPU off: nothing runs */
};
extern struct int_state int_states[TOTAL_CPU];

static inline struct int_state *this_int_state(void)
{
	return &int_states[arch_cpu_id()];
}

/*
 * This CPU's record of the exit being prepared: what publish_int_state
 * gives the host (exit reason, syndrome, exposed registers).
 */
static inline struct cv_vcpu_run *int_out(void)
{
	return &this_int_state()->out;
}

/* set_int_gpr for a register @index <= X30 the caller knows is valid. */
static inline void int_show(struct int_state *s, u32 index, u64 value)
{
	s->out.regs[index] = value;
	s->shown |= 1ULL << index;
}

#endif
