// SPDX-License-Identifier: MIT
/* PL011 console: corevisor's boot log and panic reasons. */
#include <cv/arch.h>

#include "el2.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1U << 5)

/* QEMU virt's PL011, used until the DTB names the console. */
static volatile u8 *uart = (volatile u8 *)0x09000000UL;

void uart_init(u64 base)
{
	if (base)
		uart = (volatile u8 *)base;
}

static void uart_putc(char c)
{
	while (*(volatile u32 *)(uart + UART_FR) & UART_FR_TXFF)
		;
	*(volatile u32 *)(uart + UART_DR) = (u8)c;
}

void uart_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			uart_putc('\r');
		uart_putc(*s);
	}
}
