// SPDX-License-Identifier: MIT
/*
 * core/machine's boot (cv_boot): the parameters it refuses. Each case
 * starts from parameters the core accepts on this machine (the core's
 * private memory placed inside RAM) and changes one thing; cv_boot must
 * then fail (-1) before it builds any state.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/hosted.h>
#include <cv/state.h>

#include "hosted_internal.h"
#include "pt_support.h"

#define MiB (1ULL << 20)

static struct cv_boot_params p;

/*
 * The booted machine's RAM as the only region, with the core's private
 * memory 2 MiB aligned at 64 MiB into it: what an EL2 boot does.
 */
static void good_params(void)
{
	pts_boot();
	memset(&p, 0, sizeof(p));
	p.nregions = 1;
	p.regions[0].base = cv_hosted_ram_base();
	p.regions[0].size = cv_hosted_ram_size();
	p.reserved_base = cv_hosted_ram_base() + 64 * MiB;
	p.reserved_size = ALIGN_UP(cv_reserved_bytes(&p), PMD_SIZE);
	p.shared_base = cv_hosted_shared_base();
	cr_assert_leq(p.reserved_base + p.reserved_size,
		      p.regions[0].base + p.regions[0].size,
		      "the test's layout fits RAM");
}

static void expect_boot(int want, const char *what)
{
	cr_assert_eq(cv_boot(&p), want, "cv_boot %s", what);
	if (want == 0) {
		pts_expect_running();
		cr_assert_eq(cv.reserved_base, p.reserved_base);
		cr_assert_eq(pts_owner(p.reserved_base / PAGE_SIZE), COREVISOR);
	}
}

Test(machine, boot_takes_the_private_memory_inside_ram)
{
	good_params();
	expect_boot(0, "accepts the private memory inside RAM");
	cr_assert_eq(pts_owner(p.reserved_base / PAGE_SIZE - 1), HOSTVISOR);
	cr_assert_eq(pts_owner((p.reserved_base + p.reserved_size) / PAGE_SIZE),
		     HOSTVISOR);
	cr_assert_eq(
		pts_owner((p.reserved_base + p.reserved_size) / PAGE_SIZE - 1),
		COREVISOR);
}

/* The private memory must start on a 2 MiB boundary (its pools do). */
Test(machine, boot_refuses_private_memory_off_a_2mib_boundary)
{
	good_params();
	p.reserved_base += PAGE_SIZE;
	expect_boot(-1, "refuses a reserved base 4 KiB past 2 MiB");
	good_params();
	p.reserved_base += PMD_SIZE;
	expect_boot(0, "accepts the next 2 MiB boundary");
}

Test(machine, boot_refuses_private_memory_outside_the_regions)
{
	good_params();
	p.reserved_base = p.regions[0].base + p.regions[0].size -
			  p.reserved_size + PMD_SIZE;
	expect_boot(-1, "refuses private memory past RAM's end");
	good_params();
	p.reserved_size =
		ALIGN_UP(cv_reserved_bytes(&p), PAGE_SIZE) - PAGE_SIZE;
	expect_boot(-1, "refuses private memory smaller than it needs");
}

/*
 * Regions are sorted and disjoint: even one shared page is refused. RAM
 * is split after the private memory, which must lie in one region.
 */
Test(machine, boot_refuses_overlapping_regions)
{
	u64 ram, end, split;

	good_params();
	ram = cv_hosted_ram_base();
	end = ram + cv_hosted_ram_size();
	split = p.reserved_base + p.reserved_size;
	cr_assert_lt(split, end);
	p.nregions = 2;
	p.regions[0].size = split - ram;
	p.regions[1].base = split;
	p.regions[1].size = end - split;
	expect_boot(0, "accepts two adjacent regions");

	good_params();
	p.nregions = 2;
	p.regions[0].size = split - ram;
	p.regions[1].base = split - PAGE_SIZE;
	p.regions[1].size = end - split + PAGE_SIZE;
	expect_boot(-1, "refuses regions sharing one page");

	good_params();
	p.nregions = 2;
	p.regions[1] = p.regions[0];
	p.regions[1].size = split - ram;
	p.regions[0].base = split;
	p.regions[0].size = end - split;
	expect_boot(-1, "refuses regions out of order");
}

Test(machine, boot_refuses_unaligned_regions_and_too_many_keys)
{
	good_params();
	p.regions[0].size -= 1;
	expect_boot(-1, "refuses a region size that is not whole pages");
	good_params();
	p.ntrusted_keys = CV_MAX_TRUSTED_KEYS + 1;
	expect_boot(-1, "refuses more trusted keys than it holds");
	good_params();
	p.ntrusted_keys = CV_MAX_TRUSTED_KEYS;
	expect_boot(0, "accepts as many keys as it holds");
}
