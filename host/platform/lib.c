// SPDX-License-Identifier: MIT
/*
 * The host's console (QEMU virt PL011), its CPU index, memory pool, guest
 * table and FP/SIMD test hooks. The formatting and string functions are
 * lib/baremetal's.
 */
#include <baremetal/format.h>
#include <host/platform.h>

#define UART_BASE 0x09000000UL
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1U << 5)

static volatile u32 console_lock;

static void putc_raw(char c)
{
	volatile u32 *uart = (volatile u32 *)UART_BASE;

	while (uart[UART_FR / 4] & UART_FR_TXFF)
		;
	uart[UART_DR / 4] = (u8)c;
}

static void vprint(const char *fmt, va_list ap)
{
	char line[256];

	bm_vformat(line, sizeof(line), fmt, ap);
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		;
	for (const char *s = line; *s; s++) {
		if (*s == '\n')
			putc_raw('\r');
		putc_raw(*s);
	}
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

void host_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void host_fail(const char *fmt, ...)
{
	va_list ap;

	host_printf("host: FAIL: ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	host_printf("\n");
	psci_system_off();
}

u32 host_cpu(void)
{
	u64 v;

	__asm__ volatile("mrs %0, tpidr_el1" : "=r"(v));
	return (u32)v;
}

void host_exception(u64 kind, u64 esr, u64 elr, u64 far);
void host_exception(u64 kind, u64 esr, u64 elr, u64 far)
{
	host_fail("EL1 exception %llu: esr 0x%llx elr 0x%llx far 0x%llx",
		  (unsigned long long)kind, (unsigned long long)esr,
		  (unsigned long long)elr, (unsigned long long)far);
}

/*
 * The memory host_phys_alloc hands out: [0x62000000, 0x80000000), RAM no
 * other part of the bare-metal host uses (host/platform/link.ld puts the
 * kernel at 0x50000000, main.c's secondary CPUs touch a page each from
 * 0x60001000; the runner's blobs sit below 0x50000000).
 */
#define HOST_POOL_START 0x62000000ULL
#define HOST_POOL_END 0x80000000ULL
static u64 pool_next = HOST_POOL_START;

u64 host_phys_alloc(u64 size, u64 align)
{
	u64 old = __atomic_load_n(&pool_next, __ATOMIC_RELAXED), base;

	do {
		base = (old + align - 1) & ~(align - 1);
		if (base + size > HOST_POOL_END || base + size < base)
			return 0;
	} while (!__atomic_compare_exchange_n(&pool_next, &old, base + size,
					      false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return base;
}

u64 host_phys_mark(void)
{
	return __atomic_load_n(&pool_next, __ATOMIC_ACQUIRE);
}

void host_phys_release(u64 mark)
{
	__atomic_store_n(&pool_next, mark, __ATOMIC_RELEASE);
}

/* The runner's guest table (tests/qemu/run.py guest_table). */
#define GUEST_TABLE_ADDR 0x4ffe0000ULL
#define GUEST_TABLE_MAGIC 0x54475643U /* "CVGT" */
#define GUEST_TABLE_MAX 8U

struct guest_table {
	u32 magic;
	u32 count;
	struct host_guest_image image[GUEST_TABLE_MAX];
};

const struct host_guest_image *host_guest_images(u32 *count)
{
	const struct guest_table *t = (const void *)GUEST_TABLE_ADDR;

	*count = 0;
	if (t->magic != GUEST_TABLE_MAGIC || t->count == 0 ||
	    t->count > GUEST_TABLE_MAX)
		return NULL;
	*count = t->count;
	return t->image;
}

/*
 * The host's FP/SIMD state across hypercalls: corevisor runs libsodium
 * (which uses V0-V31) for some calls and VMs' FP/SIMD state in VCPU_RUN,
 * and must hand the host's back. Distinct values in every register:
 * v<n> = seed + n in both halves; FPCR and FPSR from the seed too.
 */
static u64 fp_fpcr(u64 seed)
{
	/* DN, FZ and a rounding mode (RMode 23:22) that are not the reset's. */
	return (1ULL << 25) | (1ULL << 24) | ((seed & 3) << 22);
}

static u64 fp_fpsr(u64 seed)
{
	/* QC and the cumulative flags IDC, IXC..IOC. */
	return (1ULL << 27) | (seed & 0x9f) | 0x10;
}

void host_fp_fill(u64 seed)
{
#define SET_V(n) \
	__asm__ volatile("dup v" #n ".2d, %0" : : "r"(seed + n) : "v" #n)
	SET_V(0);
	SET_V(1);
	SET_V(2);
	SET_V(3);
	SET_V(4);
	SET_V(5);
	SET_V(6);
	SET_V(7);
	SET_V(8);
	SET_V(9);
	SET_V(10);
	SET_V(11);
	SET_V(12);
	SET_V(13);
	SET_V(14);
	SET_V(15);
	SET_V(16);
	SET_V(17);
	SET_V(18);
	SET_V(19);
	SET_V(20);
	SET_V(21);
	SET_V(22);
	SET_V(23);
	SET_V(24);
	SET_V(25);
	SET_V(26);
	SET_V(27);
	SET_V(28);
	SET_V(29);
	SET_V(30);
	SET_V(31);
#undef SET_V
	__asm__ volatile("msr fpcr, %0\n"
			 "msr fpsr, %1" ::"r"(fp_fpcr(seed)),
			 "r"(fp_fpsr(seed)));
}

u32 host_fp_changed(u64 seed)
{
	u64 lo, hi, fpcr, fpsr;
	u32 bad = 0;

#define CHECK_V(n)                                        \
	do {                                              \
		__asm__ volatile("mov %0, v" #n ".d[0]\n" \
				 "mov %1, v" #n ".d[1]"   \
				 : "=r"(lo), "=r"(hi));   \
		bad += lo != seed + n || hi != seed + n;  \
	} while (0)
	CHECK_V(0);
	CHECK_V(1);
	CHECK_V(2);
	CHECK_V(3);
	CHECK_V(4);
	CHECK_V(5);
	CHECK_V(6);
	CHECK_V(7);
	CHECK_V(8);
	CHECK_V(9);
	CHECK_V(10);
	CHECK_V(11);
	CHECK_V(12);
	CHECK_V(13);
	CHECK_V(14);
	CHECK_V(15);
	CHECK_V(16);
	CHECK_V(17);
	CHECK_V(18);
	CHECK_V(19);
	CHECK_V(20);
	CHECK_V(21);
	CHECK_V(22);
	CHECK_V(23);
	CHECK_V(24);
	CHECK_V(25);
	CHECK_V(26);
	CHECK_V(27);
	CHECK_V(28);
	CHECK_V(29);
	CHECK_V(30);
	CHECK_V(31);
#undef CHECK_V
	__asm__ volatile("mrs %0, fpcr\n"
			 "mrs %1, fpsr"
			 : "=r"(fpcr), "=r"(fpsr));
	bad += fpcr != fp_fpcr(seed);
	bad += fpsr != fp_fpsr(seed);
	return bad;
}
