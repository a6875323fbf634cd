// SPDX-License-Identifier: MIT
/*
 * The board, from the DTB QEMU hands corevisor (libfdt): RAM (/memory),
 * the PL011 console, the GIC, the PSCI conduit, the CPUs' MPIDRs, and
 * corevisor's own /chosen keys:
 *   corevisor,image-key  32-byte Ed25519 public keys (1..4, concatenated)
 *   corevisor,aead-key   the 32-byte XChaCha20-Poly1305 key
 *   corevisor,host-entry the host kernel's EL1 entry point (u32 or u64)
 *   rng-seed             per-boot randomness (QEMU fills it)
 */
#include <cv/lib.h>
#include <cv/panic.h>
#include <libfdt.h>
#include <sodium.h>

#include "el2.h"
#include "fdt_host.h"

struct platform plat;

static u64 read_cells(const fdt32_t *p, int cells)
{
	u64 v = 0;

	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

/* The @idx-th (base, size) of node @node's reg, in @parent's cells. */
static bool reg_entry(const void *fdt, int parent, int node, int idx, u64 *base,
		      u64 *size)
{
	int ac = fdt_address_cells(fdt, parent);
	int sc = fdt_size_cells(fdt, parent);
	int len;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

	if (!reg || ac < 1 || ac > 2 || sc < 0 || sc > 2 ||
	    len < (idx + 1) * (ac + sc) * 4)
		return false;
	reg += idx * (ac + sc);
	*base = read_cells(reg, ac);
	*size = read_cells(reg + ac, sc);
	return true;
}

static void add_region(u64 base, u64 size)
{
	u64 end = ALIGN_DOWN(base + size, PAGE_SIZE);
	u32 i;

	base = ALIGN_UP(base, PAGE_SIZE);
	if (end <= base)
		return;
	if (plat.nregions == MAX_MEMBLOCK_NUM)
		el2_fatal("dtb: more than %u memory ranges", MAX_MEMBLOCK_NUM);
	/* Keep the list sorted (cv_boot wants sorted, disjoint regions). */
	for (i = plat.nregions; i > 0 && plat.regions[i - 1].base > base; i--)
		plat.regions[i] = plat.regions[i - 1];
	plat.regions[i] = (struct memblock){.base = base, .size = end - base};
	plat.nregions++;
}

static void parse_memory(const void *fdt)
{
	int node;

	fdt_for_each_subnode(node, fdt, 0)
	{
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		u64 base, size;

		if (!type || strcmp(type, "memory") != 0)
			continue;
		for (int i = 0; reg_entry(fdt, 0, node, i, &base, &size); i++)
			add_region(base, size);
	}
	if (plat.nregions == 0)
		el2_fatal("dtb: no memory node");
}

static u64 device_reg(const void *fdt, const char *compat, int idx, u64 *size)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, compat);
	u64 base, sz;

	if (node < 0 || !reg_entry(fdt, fdt_parent_offset(fdt, node), node, idx,
				   &base, &sz))
		return 0;
	if (size)
		*size = sz;
	return base;
}

static void parse_devices(const void *fdt)
{
	int node;
	const char *method;

	plat.uart_base = device_reg(fdt, "arm,pl011", 0, NULL);
	if ((plat.gicd_base =
		     device_reg(fdt, "arm,gic-v3", 0, &plat.gicd_size))) {
		plat.gic_version = 3;
		plat.gicr_base =
			device_reg(fdt, "arm,gic-v3", 1, &plat.gicr_size);
	} else if ((plat.gicd_base = device_reg(fdt, "arm,cortex-a15-gic", 0,
						&plat.gicd_size))) {
		plat.gic_version = 2;
		plat.gicr_base = device_reg(fdt, "arm,cortex-a15-gic", 1,
					    &plat.gicr_size);
	}
	plat.smmuv3_base = device_reg(fdt, "arm,smmu-v3", 0, &plat.smmuv3_size);
	plat.its_base = device_reg(fdt, "arm,gic-v3-its", 0, NULL);
	node = fdt_path_offset(fdt, "/psci");
	method = node >= 0 ? fdt_getprop(fdt, node, "method", NULL) : NULL;
	plat.psci_smc = method && strcmp(method, "smc") == 0;
}

static void parse_cpus(const void *fdt)
{
	int cpus = fdt_path_offset(fdt, "/cpus"), node;

	if (cpus < 0)
		el2_fatal("dtb: no /cpus node");
	fdt_for_each_subnode(node, fdt, cpus)
	{
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		int ac = fdt_address_cells(fdt, cpus), len;
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

		if (!type || strcmp(type, "cpu") != 0 || !reg || len < ac * 4 ||
		    ac < 1 || ac > 2)
			continue;
		if (plat.ncpus == EL2_MAX_CPUS)
			el2_fatal("dtb: more than %u CPUs", EL2_MAX_CPUS);
		plat.mpidr[plat.ncpus++] = read_cells(reg, ac);
	}
	if (plat.ncpus == 0)
		el2_fatal("dtb: no CPU in /cpus");
}

static void parse_chosen(const void *fdt)
{
	int chosen = fdt_path_offset(fdt, "/chosen"), len;
	const void *p;

	if (chosen < 0)
		return;
	p = fdt_getprop(fdt, chosen, "corevisor,image-key", &len);
	if (p) {
		if (len <= 0 || len % CV_KEY_BYTES ||
		    len / CV_KEY_BYTES > CV_MAX_TRUSTED_KEYS)
			el2_fatal("dtb: corevisor,image-key has %d bytes", len);
		plat.nkeys = len / CV_KEY_BYTES;
		memcpy(plat.keys, p, len);
	}
	p = fdt_getprop(fdt, chosen, "corevisor,aead-key", &len);
	if (p) {
		if (len != CV_KEY_BYTES)
			el2_fatal("dtb: corevisor,aead-key has %d bytes", len);
		memcpy(plat.aead_key, p, CV_KEY_BYTES);
		plat.have_aead_key = true;
	}
	p = fdt_getprop(fdt, chosen, "corevisor,host-entry", &len);
	if (p && (len == 4 || len == 8))
		plat.host_entry = read_cells(p, len / 4);
	p = fdt_getprop(fdt, chosen, "rng-seed", &len);
	if (p && len > 0) {
		plat.rng_seed_len = len < (int)sizeof(plat.rng_seed)
					    ? (u32)len
					    : (u32)sizeof(plat.rng_seed);
		memcpy(plat.rng_seed, p, plat.rng_seed_len);
	}
}

void platform_parse_dtb(u64 dtb)
{
	const void *fdt = (const void *)dtb;
	int err = fdt_check_header(fdt);

	if (err)
		el2_fatal("dtb: no valid DTB at 0x%llx (%s)",
			  (unsigned long long)dtb, fdt_strerror(err));
	plat.dtb_pa = dtb;
	plat.dtb_size = fdt_totalsize(fdt);
	parse_memory(fdt);
	parse_devices(fdt);
	parse_cpus(fdt);
	parse_chosen(fdt);
}

/*
 * The DTB stays in host memory: overwrite the AEAD key with zeros in place
 * (the host sees that it was there, not what it was), and the rng-seed
 * corevisor derived its secrets from with fresh output of its own
 * generator, so the host kernel still gets a seed, just not that one.
 */
void platform_scrub_dtb(void)
{
	void *fdt = (void *)plat.dtb_pa;
	int chosen = fdt_path_offset(fdt, "/chosen"), len;
	void *p;

	if (chosen < 0)
		return;
	p = (void *)fdt_getprop(fdt, chosen, "corevisor,aead-key", &len);
	if (p)
		memset(p, 0, len);
	p = (void *)fdt_getprop(fdt, chosen, "rng-seed", &len);
	if (p && len > 0)
		randombytes_buf(p, (size_t)len);
	memset(plat.aead_key, 0, sizeof(plat.aead_key));
	memset(plat.rng_seed, 0, sizeof(plat.rng_seed));
}

/*
 * Tell the host which memory is not its to allocate (fdt_host.c): the
 * image and reserved pool [@core_base, @core_end), and the shared vCPU
 * area [@shared_base, +@shared_size). The blob grows in place up to
 * @limit (corevisor's image follows QEMU's DTB).
 */
void platform_reserve_for_host(u64 core_base, u64 core_end, u64 shared_base,
			       u64 shared_size, u64 limit)
{
	const struct fdt_host_region r[] = {
		{.name = "corevisor",
		 .base = core_base,
		 .size = core_end - core_base},
		{.name = "corevisor-shared",
		 .compatible = FDT_SHARED_AREA_COMPATIBLE,
		 .base = shared_base,
		 .size = shared_size},
	};
	/* Room for two nodes and their properties, with a margin. */
	u64 size = ALIGN_UP(plat.dtb_size + 1024, 8);
	int err;

	if (plat.dtb_pa + size > limit)
		el2_fatal(
			"dtb: no room to grow the DTB at 0x%llx to %llu bytes",
			(unsigned long long)plat.dtb_pa,
			(unsigned long long)size);
	err = fdt_add_host_reservations((void *)plat.dtb_pa, (int)size, r, 2);
	if (err)
		el2_fatal("dtb: adding /reserved-memory: %s",
			  fdt_strerror(err));
	err = fdt_hide_smmuv3((void *)plat.dtb_pa, (int)size);
	if (err)
		el2_fatal("dtb: hiding the SMMUv3: %s", fdt_strerror(err));
	plat.dtb_size = fdt_totalsize((const void *)plat.dtb_pa);
}
