/* SPDX-License-Identifier: MIT */
/*
 * The EL1 consoles' formatter (the host kernel's host_printf, the sample
 * guests' guest_printf): lib/baremetal/format.c.
 */
#ifndef BAREMETAL_FORMAT_H
#define BAREMETAL_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Format @fmt with @ap into @buf (@size > 0 bytes): %s %c %d %u %x %p,
 * with l/ll, a width and 0-padding. The text is cut to fit and always
 * NUL-terminated.
 */
void bm_vformat(char *buf, size_t size, const char *fmt, va_list ap);

#endif
