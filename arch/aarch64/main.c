// SPDX-License-Identifier: MIT
/*
 * corevisor's boot at EL2 (boot CPU): MMU on, board from the DTB, the
 * core's memory map and keys into cv_boot, the core's own image and table
 * pool given to COREVISOR, secret keys wiped from the DTB, then the host
 * kernel at EL1 under its stage 2.
 */
#include <cv/arch.h>
#include <cv/gictab.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/state.h>
#include <corevisor/sealed.h>
#include <libfdt.h>
#include <sodium.h>

#include "el2.h"

/* QEMU places the DTB of an ELF kernel at the start of RAM. */
#define QEMU_VIRT_DTB 0x40000000ULL

void el2_fatal(const char *fmt, ...)
{
	char reason[CV_HALT_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	cv_vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	panic("%s", reason);
	arch_cpu_stop(); /* the core had already halted */
}

static u64 find_dtb(u64 x0)
{
	if (x0 && fdt_magic((const void *)x0) == FDT_MAGIC)
		return x0;
	return QEMU_VIRT_DTB;
}

static void fill_boot_params(struct cv_boot_params *p)
{
	u64 image_end = (u64)__image_end, reserved_end;
	const struct memblock *ram = NULL;

	memset(p, 0, sizeof(*p));
	p->pa_bits = mmu_pa_bits(); /* the host's stage-2 fault limit */
	/* The SMMUv3 (smmuv3.c): its stream pool counts in the reserve. */
	p->smmuv3_base = plat.smmuv3_base;
	p->smmuv3_size = ALIGN_UP(plat.smmuv3_size, PAGE_SIZE);
	/* MSIs: the ITS's GITS_TRANSLATER frame, 64 KiB above its base. */
	if (plat.smmuv3_base && plat.its_base)
		p->smmuv3_msi_page = plat.its_base + 0x10000;
	/* The GICv3 whose table registers the core takes (cv/gictab.h). */
	if (plat.gic_version == 3 && plat.gicd_base && plat.gicr_base) {
		p->gicd_base = plat.gicd_base;
		p->its_base = plat.its_base;
		p->rdist_base = plat.gicr_base;
		p->nr_rdists = plat.ncpus;
		if (p->nr_rdists > plat.gicr_size / GIC_RD_STRIDE)
			p->nr_rdists = plat.gicr_size / GIC_RD_STRIDE;
	}
	p->nregions = plat.nregions;
	memcpy(p->regions, plat.regions, sizeof(p->regions));
	for (u32 i = 0; i < plat.nregions; i++)
		if (image_end > plat.regions[i].base &&
		    image_end <= plat.regions[i].base + plat.regions[i].size)
			ram = &plat.regions[i];
	if (!ram)
		el2_fatal("boot: image end 0x%llx is in no memory region",
			  (unsigned long long)image_end);
	/* The core's memory: 2 MiB aligned, right after the image. */
	p->reserved_base = ALIGN_UP(image_end, PMD_SIZE);
	p->reserved_size = ALIGN_UP(cv_reserved_bytes(p), PMD_SIZE);
	reserved_end = p->reserved_base + p->reserved_size;
	if (reserved_end > ram->base + ram->size)
		el2_fatal("boot: %llu MiB of RAM is too little for the core",
			  (unsigned long long)(ram->size >> 20));
	p->shared_base = reserved_end;

	p->ntrusted_keys = plat.nkeys;
	memcpy(p->trusted_keys, plat.keys, sizeof(p->trusted_keys));
	if (!plat.have_aead_key)
		el2_fatal("dtb: /chosen has no corevisor,aead-key");
	memcpy(p->aead_key, plat.aead_key, sizeof(p->aead_key));
	/* Nonces never repeat across boots: a fresh salt from rng-seed. */
	if (plat.rng_seed_len < 16)
		el2_fatal("dtb: /chosen rng-seed missing or short (%u bytes)",
			  plat.rng_seed_len);
	arch_fpsimd_begin();
	crypto_generichash(p->nonce_salt, sizeof(p->nonce_salt), plat.rng_seed,
			   plat.rng_seed_len, NULL, 0);
	arch_fpsimd_end();
	random_seed(plat.rng_seed, plat.rng_seed_len);
}

/*
 * The image (code, data, stacks, the keys in `cv`) is in a region but not
 * in the reserved range cv_boot gives COREVISOR: give its pages to
 * COREVISOR too, so map_page_host refuses them to the host (and maps the
 * 2 MiB around them a page at a time). The host has not run yet, so its
 * stage 2 maps nothing; clear_pfn_host keeps that true by construction.
 */
static void own_image(u64 reserved_base)
{
	acquire_lock_s2page();
	for (u64 pa = ALIGN_DOWN((u64)__image_start, PAGE_SIZE);
	     pa < reserved_base; pa += PAGE_SIZE) {
		set_pfn_owner(pa / PAGE_SIZE, COREVISOR);
		clear_pfn_host(pa / PAGE_SIZE);
	}
	release_lock_s2page();
}

static void boot_summary(const struct cv_boot_params *p)
{
	cv_printf("corevisor: EL2, %u CPUs, GICv%u, PSCI %s, %u memory "
		  "region(s)\n",
		  plat.ncpus, plat.gic_version, plat.psci_smc ? "smc" : "hvc",
		  plat.nregions);
	for (u32 i = 0; i < plat.nregions; i++)
		cv_printf("corevisor:   RAM 0x%llx-0x%llx\n",
			  (unsigned long long)plat.regions[i].base,
			  (unsigned long long)(plat.regions[i].base +
					       plat.regions[i].size - 1));
	cv_printf("corevisor: image 0x%llx-0x%llx, reserved 0x%llx-0x%llx "
		  "(%llu MiB), shared 0x%llx\n",
		  (unsigned long long)__image_start,
		  (unsigned long long)__image_end - 1,
		  (unsigned long long)p->reserved_base,
		  (unsigned long long)(p->reserved_base + p->reserved_size - 1),
		  (unsigned long long)(p->reserved_size >> 20),
		  (unsigned long long)p->shared_base);
	cv_printf("corevisor: %u trusted image key(s), AEAD key set\n",
		  p->ntrusted_keys);
}

static void check_host_entry(const struct cv_boot_params *p)
{
	u64 e = plat.host_entry;

	if (e >= (u64)__image_start && e < p->reserved_base + p->reserved_size)
		el2_fatal("boot: host entry 0x%llx inside corevisor's memory",
			  (unsigned long long)e);
	if (!arch_phys_to_virt(e))
		el2_fatal("boot: host entry 0x%llx is not RAM",
			  (unsigned long long)e);
}

void smccc_print(void);
void el2_main(u64 x0);
void el2_main(u64 x0)
{
	static struct cv_boot_params params;

	mmu_boot_enable();
	platform_parse_dtb(find_dtb(x0));
	uart_init(plat.uart_base);
	fill_boot_params(&params);
	if (cv_boot(&params) != 0)
		el2_fatal("boot: cv_boot rejected the memory map");
	own_image(params.reserved_base);
	mmu_switch_to_core_table();
	smmuv3_boot();
	platform_scrub_dtb();
	platform_reserve_for_host(
		(u64)__image_start, params.reserved_base + params.reserved_size,
		params.shared_base, CV_SHARED_BYTES, (u64)__image_start);
	memset(&params.aead_key, 0, sizeof(params.aead_key));
	boot_summary(&params);

	if (!plat.host_entry) {
		cv_printf("corevisor: no host (/chosen corevisor,host-entry): "
			  "powering off\n");
		psci_system_off();
	}
	check_host_entry(&params);
	smccc_probe();
	smccc_print();
	host_print_config();
	cv_printf("corevisor: host entry 0x%llx at EL1\n",
		  (unsigned long long)plat.host_entry);
	host_enter(0, plat.host_entry, plat.dtb_pa);
}
