// SPDX-License-Identifier: MIT
/* A small vsnprintf for panic reasons and the boot log (no libc). */
#include <cv/arch.h>
#include <cv/lib.h>

struct outbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct outbuf *o, u64 v, unsigned int base, bool neg,
		    int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		unsigned int d = v % base;

		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

int cv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = {buf, size, 0};

	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';
		u64 v;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		if (*fmt == 'z') {
			lng = 2;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			s64 s = lng ? va_arg(ap, s64) : va_arg(ap, int);

			put_num(&o, s < 0 ? -(u64)s : (u64)s, 10, s < 0, width,
				pad);
			break;
		}
		case 'u':
		case 'x':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			put_num(&o, v, *fmt == 'u' ? 10 : 16, false, width,
				pad);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (u64)(uintptr_t)va_arg(ap, void *), 16,
				false, width, pad);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			while (*s)
				put(&o, *s++);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int cv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = cv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void cv_printf(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	cv_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	arch_console_write(line);
}
