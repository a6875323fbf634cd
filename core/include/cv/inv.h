/* SPDX-License-Identifier: MIT */
/*
 * The runtime security-invariant checker (core/inv): the spec's shared_inv
 * (../shared/spec/SecurityInvs.md) evaluated on the real state, i.e. on
 * every principal's stage-2 table and every SMMU table as the hardware
 * walks them, and on the s2page array.
 *
 * Clauses, in the order they are checked (the first violation is reported):
 *   spt_cons, host_npt_cons, npt_cons*, host_flatmap, s2page_range*,
 *   host_s2_map, page_0_invalid, host_block_own*, host_iso, vm_iso,
 *   smmu_vm, smmu_iso*, smmu_count, cpu_range*, vm_free*, remap_cons*
 *   (* corevisor additions)
 *
 * Call only at a quiescent point: no other CPU inside the core and no
 * table being changed. The checker takes no lock (it reads every table and
 * all of s2page, which no lock order allows at once) and changes nothing.
 */
#ifndef CV_INV_H
#define CV_INV_H

#include <cv/types.h>

/*
 * 0 when every clause holds; otherwise nonzero, with "<clause>: <what>"
 * (naming the pfn / gfn / vmid / table involved) in @why (@len bytes,
 * always NUL-terminated when @len > 0; @why may be NULL).
 */
int check_invariants(char *why, size_t len);

/*
 * One clause by name, the same way: 0 when it holds, 1 when it does not,
 * -1 for an unknown name. A clause walks tables through the structure
 * checks of spt_cons / host_npt_cons / npt_cons, so a broken structure is
 * reported under those names whichever clause was asked for.
 */
int check_invariant(const char *clause, char *why, size_t len);

#endif
