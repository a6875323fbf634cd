// SPDX-License-Identifier: MIT
/* The EL1 consoles' printf formatting, shared by the host and the guests. */
#include <baremetal/format.h>
#include <stdint.h>

typedef uint64_t u64;
typedef int64_t s64;

struct out {
	char *buf;
	size_t len, size;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, u64 v, unsigned int base, int width,
		    char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

/* %s %c %d %u %x %p, with l/ll, width and 0-padding. */
static void format(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int longs = 0, width = 0;
		char pad = ' ';
		u64 v;

		if (*fmt != '%') {
			put(o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		switch (*fmt) {
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				put(o, *s);
			break;
		case 'c':
			put(o, (char)va_arg(ap, int));
			break;
		case 'd':
			v = longs ? (u64)va_arg(ap, long long)
				  : (u64)(s64)va_arg(ap, int);
			if ((s64)v < 0) {
				put(o, '-');
				v = -v;
			}
			put_num(o, v, 10, width, pad);
			break;
		case 'u':
		case 'x':
			v = longs ? va_arg(ap, unsigned long long)
				  : va_arg(ap, unsigned int);
			put_num(o, v, *fmt == 'u' ? 10 : 16, width, pad);
			break;
		case 'p':
			put(o, '0');
			put(o, 'x');
			put_num(o, (u64)va_arg(ap, void *), 16, width, pad);
			break;
		case '\0':
			return;
		default:
			put(o, *fmt);
		}
	}
}

void bm_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, 0, size};

	format(&o, fmt, ap);
	buf[o.len < size ? o.len : size - 1] = '\0';
}
