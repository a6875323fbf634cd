// SPDX-License-Identifier: MIT
/*
 * The host's DTB tells the truth about memory: corevisor's image and
 * reserved pool, and the shared vCPU area, become /reserved-memory nodes,
 * so a host kernel (Linux) never allocates those pages. The image and pool
 * are `no-map` (the host may not even map them: its stage 2 refuses
 * them); the shared area is `no-map` too (the host's driver maps it
 * itself) and carries a compatible string so the driver finds it by name.
 *
 * Only libfdt: the same file builds into corevisor and into a hosted unit
 * test (tests/fdt).
 */
#include "fdt_host.h"

#include <libfdt.h>

static int set_reg(void *fdt, int node, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};

	return fdt_setprop(fdt, node, "reg", reg, sizeof(reg));
}

/*
 * /reserved-memory with 2 address and 2 size cells (what this code writes
 * its children in). An existing node with other cell counts is refused
 * rather than rewritten: its children would change meaning.
 */
static int reserved_memory_node(void *fdt)
{
	int node = fdt_path_offset(fdt, "/reserved-memory"), err, len;
	const fdt32_t *ac, *sc;

	if (node == -FDT_ERR_NOTFOUND) {
		node = fdt_add_subnode(fdt, 0, "reserved-memory");
		if (node < 0)
			return node;
		if ((err = fdt_setprop_u32(fdt, node, "#address-cells", 2)) ||
		    (err = fdt_setprop_u32(fdt, node, "#size-cells", 2)) ||
		    (err = fdt_setprop(fdt, node, "ranges", NULL, 0)))
			return err;
		return node;
	}
	if (node < 0)
		return node;
	ac = fdt_getprop(fdt, node, "#address-cells", &len);
	if (!ac || len != 4 || fdt32_to_cpu(*ac) != 2)
		return -FDT_ERR_BADNCELLS;
	sc = fdt_getprop(fdt, node, "#size-cells", &len);
	if (!sc || len != 4 || fdt32_to_cpu(*sc) != 2)
		return -FDT_ERR_BADNCELLS;
	return node;
}

static void node_name(char *buf, const char *stem, uint64_t base)
{
	static const char hex[] = "0123456789abcdef";
	int i = 0, shift = 60;

	while (*stem)
		buf[i++] = *stem++;
	buf[i++] = '@';
	while (shift > 0 && !((base >> shift) & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		buf[i++] = hex[(base >> shift) & 0xf];
	buf[i] = '\0';
}

int fdt_add_host_reservations(void *fdt, int bufsize,
			      const struct fdt_host_region *r, int n)
{
	int err, parent;

	/* Grow in place: QEMU's blob has almost no free space. */
	err = fdt_open_into(fdt, fdt, bufsize);
	if (err)
		return err;
	parent = reserved_memory_node(fdt);
	if (parent < 0)
		return parent;
	for (int i = 0; i < n; i++) {
		char name[48];
		int node;

		if (!r[i].size || r[i].base + r[i].size < r[i].base)
			return -FDT_ERR_BADVALUE;
		node_name(name, r[i].name, r[i].base);
		node = fdt_add_subnode(fdt, parent, name);
		if (node < 0)
			return node;
		if ((err = set_reg(fdt, node, r[i].base, r[i].size)) ||
		    (err = fdt_setprop(fdt, node, "no-map", NULL, 0)))
			return err;
		if (r[i].compatible &&
		    (err = fdt_setprop_string(fdt, node, "compatible",
					      r[i].compatible)))
			return err;
	}
	return fdt_pack(fdt);
}

/*
 * corevisor drives the SMMUv3 (smmuv3.c): every "arm,smmu-v3" node gets
 * status = "disabled", so the host's kernel does not probe it, and every
 * `iommu-map` / `iommus` naming it goes, so its devices do not wait for
 * an IOMMU driver: they run behind corevisor's fixed host translation.
 */
int fdt_hide_smmuv3(void *fdt, int bufsize)
{
	int node, err, iommu, len;
	uint32_t phandle;

	if ((err = fdt_open_into(fdt, fdt, bufsize)))
		return err;
	for (node = fdt_node_offset_by_compatible(fdt, -1, "arm,smmu-v3");
	     node >= 0;
	     node = fdt_node_offset_by_compatible(fdt, node, "arm,smmu-v3")) {
		if ((err = fdt_setprop_string(fdt, node, "status", "disabled")))
			return err;
		phandle = fdt_get_phandle(fdt, node);
		if (!phandle)
			continue;
		for (iommu = fdt_next_node(fdt, -1, NULL); iommu >= 0;
		     iommu = fdt_next_node(fdt, iommu, NULL)) {
			const fdt32_t *map =
				fdt_getprop(fdt, iommu, "iommu-map", &len);

			/* <rid-base phandle sid-base length>: one entry. */
			if (map && len >= 8 &&
			    fdt32_to_cpu(map[1]) == phandle) {
				fdt_delprop(fdt, iommu, "iommu-map");
				fdt_delprop(fdt, iommu, "iommu-map-mask");
			}
			map = fdt_getprop(fdt, iommu, "iommus", &len);
			if (map && len >= 4 && fdt32_to_cpu(map[0]) == phandle)
				fdt_delprop(fdt, iommu, "iommus");
		}
	}
	if (node != -FDT_ERR_NOTFOUND)
		return node;
	return fdt_pack(fdt);
}
