/* SPDX-License-Identifier: MIT */
/* Declarations only: the EL2 image has no allocator (arch/aarch64/libc.c). */
#ifndef CV_EL2_STDLIB_H
#define CV_EL2_STDLIB_H
#include <stddef.h>
unsigned long strtoul(const char *s, char **end, int base);
void abort(void) __attribute__((noreturn));
#endif
