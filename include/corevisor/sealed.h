/* SPDX-License-Identifier: MIT */
/*
 * Host-visible formats of VM state the core seals for the host
 * (docs/image-format.md, "Sealed state"), and the shared kvm/vcpu area.
 *
 * Sealing is XChaCha20-Poly1305-IETF under the boot key (cv.aead_key) with
 * a fresh nonce (16 random bytes per boot || a 64-bit counter, so nonces
 * never repeat). The associated data is the header's first 80 bytes
 * (CV_SEALED_AD_BYTES): the kind of object, the page (gfn) or vCPU, and
 * the binding: the measurement of the VM's verified images, the VM
 * instance and the version (epoch) the blob belongs to. A blob opens only
 * for the same kind of object and the same page or vCPU; it is restored
 * only into a VM whose images measure the same, that continues the same
 * instance, at that instance's latest version. Any change to header or
 * ciphertext is refused, and the core panics. All integers are
 * little-endian.
 */
#ifndef COREVISOR_SEALED_H
#define COREVISOR_SEALED_H

#include <stdint.h>

#include <corevisor/constants.h>

#define CV_SEALED_VERSION 2U   /* 1 was bound to the vmid only (refused) */
#define CV_SEALED_AD_BYTES 80U /* header bytes bound as associated data */

/*
 * What every blob is bound to (docs/image-format.md, "Binding"):
 *  measurement  SHA-256 over the VM's identity inputs, today its verified
 *               images (each one's signed header and payload, so its load
 *               address and entry too); more inputs can be added without
 *               changing this format.
 *  instance     the VM instance whose state this is: made by the core at
 *               the VM's VERIFY_VM_IMAGES, carried on by every VM the
 *               state is restored into.
 *  epoch        the instance's version: it moves on every time one of its
 *               vCPUs runs after a seal, so a blob is only taken back
 *               while nothing of the instance ran since it was sealed.
 */
struct cv_sealed_binding {
	uint8_t measurement[32];
	uint8_t instance[16];
	uint64_t epoch;
};

/*
 * A sealed VM page (HVC_ENCRYPT_BUF / HVC_DECRYPT_BUF): two consecutive
 * host pages. Page outpfn holds the 4096-byte ciphertext, page outpfn + 1
 * starts with this header (the rest of that page is left alone).
 */
#define CV_SEALED_PAGE_MAGIC "CVSEALPG"
struct cv_sealed_page_hdr {
	uint8_t magic[8]; /* CV_SEALED_PAGE_MAGIC */
	uint32_t version; /* CV_SEALED_VERSION */
	uint32_t flags;	  /* 0 */
	uint64_t gfn;	  /* where the VM maps the page; ~0 when unmapped */
	struct cv_sealed_binding bind;
	uint8_t nonce[24];
	uint8_t tag[16];
};

/*
 * A sealed vCPU (HVC_SAVE_CRYPT_VCPU / HVC_LOAD_CRYPT_VCPU), at the start
 * of the vCPU's page in the shared area: this header, then state_bytes of
 * ciphertext (the core's own record of the vCPU: its registers and its
 * PSCI power state; opaque to the host).
 */
#define CV_SEALED_VCPU_MAGIC "CVSEALVC"
struct cv_sealed_vcpu_hdr {
	uint8_t magic[8]; /* CV_SEALED_VCPU_MAGIC */
	uint32_t version; /* CV_SEALED_VERSION */
	uint32_t vcpuid;
	uint32_t state_bytes; /* ciphertext length */
	uint32_t flags;	      /* 0 */
	struct cv_sealed_binding bind;
	uint8_t nonce[24];
	uint8_t tag[16];
};

_Static_assert(sizeof(struct cv_sealed_binding) == 56, "binding");
_Static_assert(sizeof(struct cv_sealed_page_hdr) == 120, "page header");
_Static_assert(sizeof(struct cv_sealed_vcpu_hdr) == 120, "vcpu header");
_Static_assert(__builtin_offsetof(struct cv_sealed_page_hdr, nonce) ==
			       CV_SEALED_AD_BYTES &&
		       __builtin_offsetof(struct cv_sealed_vcpu_hdr, nonce) ==
			       CV_SEALED_AD_BYTES,
	       "the associated data is everything before the nonce");

/*
 * The shared area (cv_boot_params.shared_base, host memory): one page per
 * principal (shared_kvm) then one page per vCPU slot (shared_vcpu),
 * indexed like the core's shadow contexts.
 */
#define CV_SHARED_PAGE_BYTES 4096ULL
#define CV_SHARED_KVM_OFFSET(vmid) ((uint64_t)(vmid)*CV_SHARED_PAGE_BYTES)
#define CV_SHARED_VCPU_OFFSET(vmid, vcpuid)                         \
	(((uint64_t)NUM_PRINCIPALS + (uint64_t)(vmid)*VCPU_PER_VM + \
	  (uint64_t)(vcpuid)) *                                     \
	 CV_SHARED_PAGE_BYTES)
#define CV_SHARED_BYTES \
	(((uint64_t)NUM_PRINCIPALS * (1 + VCPU_PER_VM)) * CV_SHARED_PAGE_BYTES)

#endif
