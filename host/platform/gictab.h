/* SPDX-License-Identifier: MIT */
/* The bare-metal host's GIC table attacks (gictab.c; modes 70..79). */
#ifndef HOST_GICTAB_H
#define HOST_GICTAB_H

#include <host/platform.h>

enum {
	MODE_GIC_BASER_VM = 70,	      /* GITS_BASER0 at the vault's secret */
	MODE_GIC_CBASER_CORE = 71,    /* GITS_CBASER at corevisor's pool */
	MODE_GIC_ITT_VM = 72,	      /* MAPD's ITT at the vault's secret */
	MODE_GIC_PROPBASER_VM = 73,   /* GICR_PROPBASER at the secret */
	MODE_GIC_PENDBASER_CORE = 74, /* GICR_PENDBASER at corevisor's pool */
	MODE_GIC_TABLES = 75, /* legitimate tables; the ITT's page to a VM */
};

/* Modes 70..74: point the mode's table at @secret (or the core's pool). */
void gictab_attack(u32 mode, u64 secret);
/* Mode 75: set up legitimate tables, then offer the ITT's page to vm2. */
void gictab_legitimate(void);

#endif
