// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <string.h>

#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/state.h>

#include "pt_support.h"

void pts_boot(void)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE); /* panics are expected */
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
}

void pts_expect_halt(const char *who, const char *what)
{
	const char *r = cv_hosted_halt_reason();

	cr_assert(cv_hosted_halted(), "expected a panic from %s", who);
	cr_assert(strstr(r, who), "reason \"%s\" does not name %s", r, who);
	cr_assert(strstr(r, what), "reason \"%s\" lacks \"%s\"", r, what);
}

void pts_expect_running(void)
{
	cr_assert(!cv_hosted_halted(), "unexpected panic: %s",
		  cv_hosted_halt_reason());
}

void pts_force_halt(void)
{
	panic("test: forced halt");
	cr_assert(cv_hosted_halted());
}

u64 pts_ram_pfn(u64 n)
{
	return cv_hosted_ram_base() / PAGE_SIZE + n;
}

void pts_boot_devices(bool gic, bool smmuv3, u32 vms)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	cfg.gic = gic;
	cfg.smmuv3 = smmuv3;
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
	for (u32 v = 1; v <= vms; v++)
		cr_assert_eq(register_kvm(), v);
}

void pts_expect_inv(void)
{
	char why[256];

	cr_assert_eq(check_invariants(why, sizeof(why)), 0, "%s", why);
}

bool pts_host_w64(u64 pa, u64 v)
{
	return cv_hosted_host_write(pa, &v, 8);
}

u64 pts_ram_pa(u64 n)
{
	return pts_ram_pfn(n) * PAGE_SIZE;
}

/*
 * Read through the hosted machine's view of the s2page array, which also
 * works once the core has halted (PageManager's getters then return 0).
 */
u32 pts_owner(u64 pfn)
{
	return cv_hosted_page_owner(pfn);
}

u32 pts_count(u64 pfn)
{
	u32 c;

	if (cv_hosted_page_owner(pfn) == INVALID)
		return INVALID;
	c = cv_hosted_page_count(pfn);
	return c == 0xff ? INVALID : c; /* the entry's INVALID encoding */
}

u64 pts_gfn(u64 pfn)
{
	return cv_hosted_page_gfn(pfn);
}

void pts_set_page(u64 pfn, u32 owner, u32 count, u64 gfn)
{
	acquire_lock_s2page();
	set_pfn_owner(pfn, owner);
	set_pfn_count(pfn, count);
	set_pfn_map(pfn, gfn);
	release_lock_s2page();
	pts_expect_running();
}

struct cv_translation pts_translate(u32 vmid, u64 addr)
{
	struct cv_translation t;

	memset(&t, 0, sizeof(t));
	cv_hosted_translate(vmid, addr, &t);
	return t;
}

bool pts_maps(u32 vmid, u64 addr, u64 pa, u32 level)
{
	struct cv_translation t = pts_translate(vmid, addr);

	return t.valid && t.pa == pa && t.level == level;
}

u64 pts_phys64(u64 pa)
{
	u64 *p = cv_hosted_phys(pa);

	cr_assert_not_null(p, "pa 0x%llx is not memory",
			   (unsigned long long)pa);
	return *p;
}

void pts_fill_page(u64 pfn, u8 byte)
{
	void *p = cv_hosted_phys(pfn * PAGE_SIZE);

	cr_assert_not_null(p);
	memset(p, byte, PAGE_SIZE);
}

bool pts_page_is(u64 pfn, u8 byte)
{
	const u8 *p = cv_hosted_phys(pfn * PAGE_SIZE);

	cr_assert_not_null(p);
	for (u64 i = 0; i < PAGE_SIZE; i++)
		if (p[i] != byte)
			return false;
	return true;
}

struct cv_hosted_counters pts_counters(void)
{
	struct cv_hosted_counters c;

	cv_hosted_get_counters(&c);
	return c;
}
