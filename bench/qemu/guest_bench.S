/* SPDX-License-Identifier: MIT */
/*
 * The bench guest (EL1, MMU off, no stack): exits to the host as fast as
 * an EL1 program can, in six series of GUEST_ROUNDS each, so that the
 * bench host (host_bench.c) can count the EL2 instructions of one exit
 * round trip per VCPU_RUN:
 *   1. HVC #0 with x0 = 0x86000000 (an SMCCC id no one implements: the
 *      host answers NOT_SUPPORTED in x0);
 *   2. a 32-bit store to the test device (IPA 0x09010000): an MMIO write;
 *   3. a 32-bit load from it (+8): an MMIO read, the host fills the
 *      register;
 *   4..6. the same, each run first touching FP/SIMD (FMOV D0): corevisor
 *      loads a VM's FP/SIMD registers lazily, on its first access of a
 *      run, and the exit then saves them. The host tells these series
 *      apart by x0 = 0x86000001 and the device offsets +0x10, +0x18;
 * then PSCI SYSTEM_OFF. Signed and loaded like the sample guests.
 */
#define GUEST_ROUNDS 64
#define SMCCC_UNKNOWN 0x86000000
#define PSCI_SYSTEM_OFF 0x84000008
#define TESTDEV 0x09010000
#define FP_MARK 0x10
#define CPACR_FPEN (3 << 20)

	.section .text.entry, "ax"
	.globl	_start
_start:
	mov	x1, #CPACR_FPEN		/* FP/SIMD at EL1: no trap to EL1 */
	msr	cpacr_el1, x1
	isb

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

	mov	x19, #GUEST_ROUNDS
4:	fmov	d0, x19
	mov	x0, #SMCCC_UNKNOWN
	add	x0, x0, #1
	hvc	#0
	subs	x19, x19, #1
	b.ne	4b

	mov	x19, #GUEST_ROUNDS
5:	fmov	d0, x19
	str	w19, [x20, #FP_MARK]
	subs	x19, x19, #1
	b.ne	5b

	mov	x19, #GUEST_ROUNDS
6:	fmov	d0, x19
	ldr	w21, [x20, #FP_MARK + 8]
	subs	x19, x19, #1
	b.ne	6b

	mov	x0, #PSCI_SYSTEM_OFF & 0xffff
	movk	x0, #PSCI_SYSTEM_OFF >> 16, lsl #16
	hvc	#0
7:	wfi
	b	7b
