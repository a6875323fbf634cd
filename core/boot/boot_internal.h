/* SPDX-License-Identifier: MIT */
/* Helpers shared by the files of core/boot (not an interface). */
#ifndef CV_BOOT_INTERNAL_H
#define CV_BOOT_INTERNAL_H

#include <corevisor/sealed.h>
#include <cv/lock.h>
#include <cv/state.h>

/* printf's %llx wants unsigned long long; u64 is unsigned long on LP64. */
#define ULL(x) ((unsigned long long)(x))

/* VM @vmid's info; the caller holds its lock (INFO_ID + vmid). */
static inline struct vm_info *locked_info(u32 vmid)
{
	assert_locked(INFO_ID + vmid);
	return vm_info(vmid);
}

/* What verify_and_load_images keeps of a verified image (image.c). */
struct image_facts {
	u8 digest[64]; /* SHA-512(signed header || payload) */
	u64 entry;     /* first PC when flags has CV_IMAGE_FLAG_BOOT */
	u64 payload_len;
	u32 flags;
};

/*
 * verify_image's reasoning, for a panic reason that says what failed;
 * fills @facts (may be NULL) for a good image.
 */
const char *image_check(u32 vmid, u64 remap_addr, struct image_facts *facts);

/* BootAux (bootaux.c): zero what no image covers in the image blocks. */
void zero_image_blocks(u32 vmid);

/* Sealed-state binding (lineage.c); the caller holds the VM's info lock. */
struct cv_sealed_binding;
void measure_vm(u32 vmid, const struct image_facts *facts, u32 n);
void lineage_new(u32 vmid);
bool lineage_restore(u32 vmid, const struct cv_sealed_binding *b,
		     const char *who);
bool lineage_check_measurement(u32 vmid);
bool lineage_seal(u32 vmid, struct cv_sealed_binding *b, const char *who);
void lineage_resume(u32 vmid);
void lineage_power_off(u32 vmid);
void lineage_destroy(u32 vmid);
bool lineage_current(u32 vmid, const struct cv_sealed_binding *b);
u64 lineage_adopt(u32 vmid, const struct cv_sealed_binding *b);

/*
 * What a sealed vCPU holds (seal.c, snapshot.c): its shadow context and
 * its PSCI power state (vm_info.vcpu_power / vcpu_entry / vcpu_context).
 */
struct sealed_vcpu {
	struct cv_ctxt ctxt;
	u64 power;
	u64 entry;
	u64 context;
};

/* seal.c's helpers, shared with snapshot.c. */
u8 *seal_scratch_page(void); /* this CPU's page for ciphertext */
void seal_next_nonce(u8 nonce[24]);
bool seal_host_owns(u64 pa, u64 len); /* caller holds S2PAGE_ID */

#endif
