/* SPDX-License-Identifier: MIT */
/*
 * The GICv3's memory tables, taken from the host (corevisor;
 * core/gic/gictab.c, docs/spec-deviations.md "GIC tables").
 *
 * A GICv3 reads and writes memory at physical addresses the host
 * programs: the ITS's tables (GITS_BASER<n>), its command queue
 * (GITS_CBASER) and each device's interrupt translation table (the ITT an
 * ITS MAPD command names), and each redistributor's LPI property and
 * pending tables (GICR_PROPBASER, GICR_PENDBASER). None of them goes
 * through a stage 2, so the host could point them at a VM's page or at
 * the core's memory. The core therefore keeps two kinds of 4 KiB page out
 * of the host's stage 2 and emulates the host's accesses to them on its
 * stage-2 fault (as it does an SMMU's registers):
 *  - page 0 of the ITS's control frame (GITS_CTLR .. GITS_BASER7),
 *  - page 0 of each redistributor's RD_base frame (GICR_CTLR ..
 *    GICR_PENDBASER).
 * Every other register in those pages is passed through as the host
 * wrote or read it. The registers that name memory are checked:
 *  - a write of GITS_BASER<n>, GITS_CBASER, GICR_PROPBASER or
 *    GICR_PENDBASER naming a table is accepted only when every page of
 *    the table (its size from the register, the GIC's ID registers) is a
 *    page the host owns; those pages are then pinned (s2page.gic_pins):
 *    no call gives a pinned page to a VM, and none takes it from the host,
 *    until the register names another table. Otherwise the core panics
 *    (fail-stop, the spec's answer to a hostile host argument).
 *    GITS_BASER<n>.Indirect reads as zero (flat tables only: a level-1
 *    table would hold addresses the host writes in memory), and a table
 *    register written while its user is on (GITS_CTLR.Enabled, or not
 *    Quiescent; GICR_CTLR.EnableLPIs) is ignored, as the architecture
 *    lets a GIC do.
 *  - The ITS never sees the host's command queue: it reads the core's
 *    (GIC_CMDQ_BYTES in the core's memory). On each host write of
 *    GITS_CWRITER the core copies the host's new commands, checks each
 *    (MAPD's ITT must be host pages, which are pinned; only the GICv3
 *    physical-LPI commands are allowed; with GITS_TYPER.PTA a target
 *    redistributor must be one of the machine's), writes them into its
 *    queue and waits until the ITS has consumed them (GITS_CREADR). The
 *    host reads back its own CBASER, CWRITER, and a CREADR equal to its
 *    CWRITER: every command done. An ITT a MAPD drops is unpinned only
 *    once the ITS has consumed that MAPD.
 *
 * Locks: GIC_ID guards cv.gic; pinning takes S2PAGE_ID (state.h's order).
 */
#ifndef CV_GICTAB_H
#define CV_GICTAB_H

#include <cv/state.h>
#include <cv/types.h>

/* Frames (GICv3 architecture, 12.8 - 12.19). */
#define GIC_RD_STRIDE 0x20000ULL /* RD_base + SGI_base (no VLPI frames) */
/* The ITS control frame; GITS_TRANSLATER's frame is the next. */
#define GIC_ITS_FRAME 0x10000ULL

/* The distributor. */
#define GICD_TYPER 0x4ULL
#define GICD_TYPER_IDBITS(v) ((((v) >> 19) & 0x1f) + 1)
#define GICD_TYPER_LPIS (1ULL << 17)

/* The ITS control frame. */
#define GITS_CTLR 0x0ULL
#define GITS_CTLR_ENABLED (1ULL << 0)
#define GITS_CTLR_QUIESCENT (1ULL << 31)
#define GITS_TYPER 0x8ULL
#define GITS_TYPER_ITT_ENTRY_BYTES(v) ((((v) >> 4) & 0xf) + 1)
#define GITS_TYPER_DEVBITS(v) ((((v) >> 13) & 0x1f) + 1)
#define GITS_TYPER_PTA (1ULL << 19)
#define GITS_CBASER 0x80ULL
#define GITS_CWRITER 0x88ULL
#define GITS_CREADR 0x90ULL
#define GITS_CREADR_STALLED (1ULL << 0)
#define GITS_BASER(n) (0x100ULL + 8 * (n))
#define GITS_VALID (1ULL << 63) /* CBASER and BASER<n> */
#define GITS_BASER_INDIRECT (1ULL << 62)
#define GITS_QUEUE_OFFSET_MASK 0xfffe0ULL /* CWRITER/CREADR bits 19:5 */
/* The core's CBASER: inner WB RaWa (InnerCache 7), inner shareable. */
#define GITS_CBASER_CORE_ATTRS ((7ULL << 59) | (1ULL << 10))

/* A redistributor's RD_base frame. */
#define GICR_CTLR 0x0ULL
#define GICR_CTLR_ENABLE_LPIS (1ULL << 0)
#define GICR_PROPBASER 0x70ULL
#define GICR_PENDBASER 0x78ULL
#define GICR_PROPBASER_IDBITS(v) (((v)&0x1f) + 1)

/* Addresses in the table registers. */
#define GIC_PA_51_12 0x000ffffffffff000ULL
#define GIC_PA_51_16 0x000fffffffff0000ULL
#define GIC_PA_47_12 0x0000fffffffff000ULL
#define GIC_PA_47_16 0x0000ffffffff0000ULL

/* ITS commands: 32 bytes, the number in the first byte. */
#define GITS_CMD_BYTES 32U
#define GITS_CMD_MOVI 0x01U
#define GITS_CMD_INT 0x03U
#define GITS_CMD_CLEAR 0x04U
#define GITS_CMD_SYNC 0x05U
#define GITS_CMD_MAPD 0x08U
#define GITS_CMD_MAPC 0x09U
#define GITS_CMD_MAPTI 0x0aU
#define GITS_CMD_MAPI 0x0bU
#define GITS_CMD_INV 0x0cU
#define GITS_CMD_INVALL 0x0dU
#define GITS_CMD_MOVALL 0x0eU
#define GITS_CMD_DISCARD 0x0fU
#define GITS_MAPD_VALID (1ULL << 63)		 /* dword 2 */
#define GITS_MAPD_ITT_MASK 0x000fffffffffff00ULL /* dword 2, bits 51:8 */
#define GITS_RDBASE_MASK 0x000fffffffff0000ULL	 /* dword 2 (PTA = 1) */

/* The core's ITS command queue (in its reserved memory). */
#define GIC_CMDQ_BYTES 0x10000ULL

/* Bytes of the core's memory @params needs for the GIC (0: no ITS). */
u64 gic_reserved_bytes(const struct cv_boot_params *params);
/*
 * Boot: check and copy the GIC's layout and read its ID registers; @cmdq
 * is the core's queue (gic_reserved_bytes of its reserved memory). False
 * when the layout is unusable (frames unaligned, in RAM, too many
 * redistributors).
 */
bool gic_boot(const struct cv_boot_params *params, u64 cmdq);

/* The 4 KiB page at @addr is one the core emulates (never the host's). */
bool is_gic_trapped_page(u64 addr);

/*
 * The host's stage-2 fault at page @addr with syndrome @hsr (its
 * registers in host_ctxt()): false when @addr is not a trapped page, else
 * the access is emulated (or refused: panic) and the host resumed past
 * it.
 */
bool gic_emulate(u64 addr, u32 hsr);

/*
 * security invariant (core/inv): every page with gic_pins is the host's
 * and is held by exactly that many of the tables cv.gic records; every
 * page of a recorded table is pinned. Returns the first pfn breaking it,
 * or INVALID64. Expects a quiescent core.
 */
u64 gic_pins_check(void);

#endif
