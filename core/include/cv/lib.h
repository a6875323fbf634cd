/* SPDX-License-Identifier: MIT */
/* The few libc-like routines the freestanding core needs (core/lib). */
#ifndef CV_LIB_H
#define CV_LIB_H

#include <stdarg.h>
#include <cv/types.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* snprintf subset: %s %c %d %u %x %p, with l/ll, width and 0-padding. */
int cv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int cv_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Print to the arch console. */
void cv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Zero a page of physical memory the core owns or is scrubbing. */
void cv_zero_page(u64 pfn);

#endif
