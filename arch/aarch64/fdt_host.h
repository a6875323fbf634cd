/* SPDX-License-Identifier: MIT */
/* The host DTB's /reserved-memory (fdt_host.c). */
#ifndef ARCH_FDT_HOST_H
#define ARCH_FDT_HOST_H

#include <stdint.h>

/* The compatible string of the shared vCPU area's reserved-memory node. */
#define FDT_SHARED_AREA_COMPATIBLE "corevisor,shared-vcpu-area"

struct fdt_host_region {
	const char *name;	/* node name stem: "<name>@<base in hex>" */
	const char *compatible; /* or NULL */
	uint64_t base, size;
};

/*
 * Grow the DTB at @fdt to @bufsize bytes (fdt_open_into, in place) and add
 * a `no-map` child of /reserved-memory (created with 2 + 2 cells when
 * absent) for each of the @n regions. Returns 0 or a negative libfdt
 * error (-FDT_ERR_NOSPACE when @bufsize is too small, -FDT_ERR_BADNCELLS
 * for a /reserved-memory with other cell counts, -FDT_ERR_BADVALUE for an
 * empty or wrapping region); the blob is packed again on success.
 */
int fdt_add_host_reservations(void *fdt, int bufsize,
			      const struct fdt_host_region *r, int n);

/*
 * Disable every "arm,smmu-v3" node and drop the `iommu-map` / `iommus`
 * properties naming it (corevisor drives the SMMU). 0 or a libfdt error.
 */
int fdt_hide_smmuv3(void *fdt, int bufsize);

#endif
