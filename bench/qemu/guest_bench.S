/* SPDX-License-Identifier: MIT */
/*
 * The bench guest (EL1, MMU off, no stack): exits to the host as fast as
 * an EL1 program can, in three series of GUEST_ROUNDS each, so that the
 * bench host (host_bench.c) can count the EL2 instructions of one exit
 * round trip per VCPU_RUN:
 *   1. HVC #0 with x0 = 0x86000000 (an SMCCC id no one implements: the
 *      host answers NOT_SUPPORTED in x0);
 *   2. a 32-bit store to the test device (IPA 0x09010000): an MMIO write;
 *   3. a 32-bit load from it (+8): an MMIO read, the host fills the
 *      register;
 * then PSCI SYSTEM_OFF. Signed and loaded like the sample guests.
 */
#define GUEST_ROUNDS 64
#define SMCCC_UNKNOWN 0x86000000
#define PSCI_SYSTEM_OFF 0x84000008
#define TESTDEV 0x09010000

	.section .text.entry, "ax"
	.globl	_start
_start:
	mov	x19, #GUEST_ROUNDS
1:	mov	x0, #SMCCC_UNKNOWN
	hvc	#0
	subs	x19, x19, #1
	b.ne	1b

	mov	x19, #GUEST_ROUNDS
	mov	x20, #TESTDEV
2:	str	w19, [x20]
	subs	x19, x19, #1
	b.ne	2b

	mov	x19, #GUEST_ROUNDS
3:	ldr	w21, [x20, #8]
	subs	x19, x19, #1
	b.ne	3b

	mov	x0, #PSCI_SYSTEM_OFF & 0xffff
	movk	x0, #PSCI_SYSTEM_OFF >> 16, lsl #16
	hvc	#0
4:	wfi
	b	4b
