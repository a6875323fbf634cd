/* SPDX-License-Identifier: MIT */
/*
 * Host-visible formats of VM state the core seals for the host
 * (docs/image-format.md, "Sealed state"), and the shared kvm/vcpu area.
 *
 * Sealing is XChaCha20-Poly1305-IETF under the boot key (cv.aead_key) with
 * a fresh nonce (16 random bytes per boot || a 64-bit counter, so nonces
 * never repeat). The associated data is the header's first 24 bytes
 * (magic, version and the identity fields), so a blob opens only for the
 * same kind of object, the same VM and the same page or vCPU; any change
 * to header or ciphertext is refused, and the core panics.
 * All integers are little-endian.
 */
#ifndef COREVISOR_SEALED_H
#define COREVISOR_SEALED_H

#include <stdint.h>

#include <corevisor/constants.h>

#define CV_SEALED_VERSION 1U
#define CV_SEALED_AD_BYTES 24U /* header bytes bound as associated data */

/*
 * A sealed VM page (HVC_ENCRYPT_BUF / HVC_DECRYPT_BUF): two consecutive
 * host pages. Page outpfn holds the 4096-byte ciphertext, page outpfn + 1
 * starts with this header (the rest of that page is left alone).
 */
#define CV_SEALED_PAGE_MAGIC "CVSEALPG"
struct cv_sealed_page_hdr {
	uint8_t magic[8]; /* CV_SEALED_PAGE_MAGIC */
	uint32_t version; /* CV_SEALED_VERSION */
	uint32_t vmid;	  /* VM the page belongs to */
	uint64_t gfn;	  /* where that VM maps it; ~0 when unmapped */
	uint8_t nonce[24];
	uint8_t tag[16];
};

/*
 * A sealed vCPU context (HVC_SAVE_CRYPT_VCPU / HVC_LOAD_CRYPT_VCPU), at the
 * start of the vCPU's page in the shared area: this header, then
 * ctxt_bytes of ciphertext.
 */
#define CV_SEALED_VCPU_MAGIC "CVSEALVC"
struct cv_sealed_vcpu_hdr {
	uint8_t magic[8]; /* CV_SEALED_VCPU_MAGIC */
	uint32_t version; /* CV_SEALED_VERSION */
	uint32_t vmid;
	uint32_t vcpuid;
	uint32_t ctxt_bytes; /* ciphertext length (the core's context size) */
	uint8_t nonce[24];
	uint8_t tag[16];
};

_Static_assert(sizeof(struct cv_sealed_page_hdr) == 64, "page header");
_Static_assert(sizeof(struct cv_sealed_vcpu_hdr) == 64, "vcpu header");

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
