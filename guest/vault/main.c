// SPDX-License-Identifier: MIT
/*
 * The vault guest (1 vCPU): a PSCI call through SMC and a trapped system
 * register read, CRC-32 of 256 KiB of generated data in RAM
 * beyond its image, then a secret in a page of its own, which it checks
 * again after waiting (WFI exits) while its virtual timer holds a value
 * that must survive every exit. The attack tests make the host read or
 * write the secret's page while the vault waits (GUEST_EVENT_SECRET_STORED
 * tells the host when).
 */
#include "guest.h"

const char guest_name[] = "vault";

#define DATA ((volatile u8 *)0x48200000UL)
#define DATA_BYTES (256UL * 1024)
#define SECRET_PAGE ((volatile char *)0x48600000UL)
#define WAITS 20
#define TIMER_CVAL 0x0123456789abcdefULL

static u32 crc32(volatile const u8 *p, u64 n)
{
	u32 crc = 0xffffffffU;

	while (n--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}

/*
 * The secret is made at run time: it is nowhere in the signed image.
 * Returns its 64-bit value (what the text spells in hex).
 */
static u64 make_secret(char *s)
{
	static const char pre[] = "VAULT-";
	u64 x = 0x243f6a8885a308d3ULL;
	int n = 0;

	for (int i = 0; pre[i]; i++)
		s[n++] = pre[i];
	for (int i = 0; i < 4; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	for (int i = 60; i >= 0; i -= 4)
		s[n++] = "0123456789abcdef"[(x >> i) & 0xf];
	s[n] = '\0';
	return x;
}

/*
 * The secret's value sits in general and FP registers across a WFI exit
 * and an MMIO read exit: corevisor shows the host only the read's target
 * register (x21), never the others.
 */
static void hold_in_registers(u64 word)
{
	u32 fr;

	__asm__ volatile("mov x19, %1\n"
			 "mov x20, %1\n"
			 "fmov d8, %1\n"
			 "wfi\n"
			 "ldr w21, [%2]\n"
			 "mov %w0, w21\n"
			 "mov x19, xzr\n"
			 "mov x20, xzr\n"
			 "fmov d8, xzr"
			 : "=r"(fr)
			 : "r"(word), "r"(GUEST_UART + 0x18)
			 : "x19", "x20", "x21", "v8", "memory");
	(void)fr;
}

static bool same(volatile const char *a, const char *b)
{
	for (; *b; a++, b++)
		if (*a != *b)
			return false;
	return *a == '\0';
}

void guest_secondary_main(u64 ctx)
{
	guest_fail("unexpected vcpu %u", guest_cpu());
}

void guest_main(void)
{
	char secret[32];
	u64 x = 1, ctl, cval, t0, word;

	guest_printf("vault: hello from vcpu %u\n", guest_cpu());
	guest_mmu_enable();
	/* An SMC traps to corevisor (HCR_EL2.TSC) and goes to the host. */
	guest_printf("vault: PSCI version 0x%llx through SMC\n",
		     (unsigned long long)guest_smc(PSCI_VERSION, 0, 0, 0));
	/* ACTLR_EL1 traps (HCR_EL2.TACR); corevisor emulates it. */
	__asm__ volatile("mrs %0, actlr_el1" : "=r"(x));
	guest_printf("vault: ACTLR_EL1 read through a trap\n");
	x = 1;
	for (u64 i = 0; i < DATA_BYTES; i++) {
		x = x * 1103515245ULL + 12345ULL;
		DATA[i] = (u8)(x >> 16);
	}
	guest_printf("vault: crc32 of %lu bytes 0x%08x\n", DATA_BYTES,
		     crc32(DATA, DATA_BYTES));

	word = make_secret(secret);
	for (int i = 0; i <= 22; i++)
		SECRET_PAGE[i] = secret[i];
	guest_printf("vault: secret stored at 0x%lx\n",
		     (unsigned long)SECRET_PAGE);
	guest_event(GUEST_EVENT_SECRET_STORED);
	hold_in_registers(word);

	/* The virtual timer, disabled, holds a compare value meanwhile. */
	__asm__ volatile("msr cntv_cval_el0, %0\n"
			 "msr cntv_ctl_el0, %1\n"
			 "isb" ::"r"(TIMER_CVAL),
			 "r"(2ULL));
	t0 = read_cntvct();
	for (int i = 0; i < WAITS; i++)
		wfi();
	__asm__ volatile("mrs %0, cntv_ctl_el0\n"
			 "mrs %1, cntv_cval_el0"
			 : "=r"(ctl), "=r"(cval));
	if (cval != TIMER_CVAL || (ctl & 3) != 2)
		guest_fail("virtual timer lost: ctl 0x%llx cval 0x%llx",
			   (unsigned long long)ctl, (unsigned long long)cval);
	if (read_cntvct() < t0)
		guest_fail("virtual counter went backwards");
	if (!same(SECRET_PAGE, secret))
		guest_fail("the secret changed");
	guest_printf("vault: secret intact after %d waits, timer kept\n",
		     WAITS);
	guest_printf("vault: done, powering off\n");
	psci_system_off();
}
