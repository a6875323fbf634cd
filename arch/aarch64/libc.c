// SPDX-License-Identifier: MIT
/*
 * The C library pieces the EL2 image needs besides the string functions
 * (lib/baremetal/string.c): strtoul for libfdt, and the few hooks Debian's
 * libsodium.a and libfdt.a reference (stack protector, fortify, misuse
 * handler). No allocator, no files, no threads.
 */
#include <cv/panic.h>
#include <cv/types.h>
#include <string.h>
#include <stdlib.h>

#include "el2.h"

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

unsigned long strtoul(const char *s, char **end, int base)
{
	unsigned long v = 0;
	int d;

	while (*s == ' ' || *s == '\t')
		s++;
	if ((base == 0 || base == 16) && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	} else if (base == 0) {
		base = s[0] == '0' ? 8 : 10;
	}
	while ((d = digit_value(*s)) < base) {
		v = v * base + d;
		s++;
	}
	if (end)
		*end = (char *)s;
	return v;
}

void abort(void)
{
	el2_fatal("abort() called");
}

/* -fstack-protector in Debian's archives: a fixed canary is enough here. */
unsigned long __stack_chk_guard = 0x5fa3c1e9d27b4086UL;

void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	el2_fatal("stack protector: stack smashed");
}

/* _FORTIFY_SOURCE form of explicit_bzero (libsodium's sodium_memzero). */
void __explicit_bzero_chk(void *p, size_t n, size_t objsz);
void __explicit_bzero_chk(void *p, size_t n, size_t objsz)
{
	if (n > objsz)
		el2_fatal("explicit_bzero: length past the object");
	memset(p, 0, n);
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* assert() inside Debian's libsodium.a (glibc's form). */
void __assert_fail(const char *expr, const char *file, unsigned int line,
		   const char *func);
void __assert_fail(const char *expr, const char *file, unsigned int line,
		   const char *func)
{
	el2_fatal("assert %s failed at %s:%u", expr, file, line);
}

/* Called by libsodium on API misuse; never returns. */
void sodium_misuse(void);
void sodium_misuse(void)
{
	el2_fatal("libsodium: misuse");
}

/*
 * POSIX calls libsodium's utils.o references (sodium_malloc, sodium_mlock
 * and friends, which corevisor does not use; sodium_memzero lives in the
 * same object). EL2 has no virtual memory service: each call fails the way
 * POSIX says a missing facility fails.
 */
#define CV_ENOMEM 12
#define CV_ENOSYS 38
static int el2_errno;

int *__errno_location(void);
int *__errno_location(void)
{
	return &el2_errno;
}

static long no_facility(int err)
{
	el2_errno = err;
	return -1;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return (void *)no_facility(CV_ENOMEM); /* MAP_FAILED */
}

int munmap(void *addr, size_t len);
int munmap(void *addr, size_t len)
{
	return (int)no_facility(CV_ENOSYS);
}

int mprotect(void *addr, size_t len, int prot);
int mprotect(void *addr, size_t len, int prot)
{
	return (int)no_facility(CV_ENOSYS);
}

int madvise(void *addr, size_t len, int advice);
int madvise(void *addr, size_t len, int advice)
{
	return (int)no_facility(CV_ENOSYS);
}

int mlock(const void *addr, size_t len);
int mlock(const void *addr, size_t len)
{
	return (int)no_facility(CV_ENOSYS);
}

int munlock(const void *addr, size_t len);
int munlock(const void *addr, size_t len)
{
	return (int)no_facility(CV_ENOSYS);
}

long sysconf(int name);
long sysconf(int name)
{
	return 4096; /* only _SC_PAGESIZE is asked */
}

int raise(int sig);
int raise(int sig)
{
	el2_fatal("raise(%d) called", sig);
}
