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

#include <corevisor/abi.h>
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
 * A whole-VM snapshot (abi.h HVC_SNAPSHOT_*, docs/image-format.md,
 * "Snapshots"): page blobs, vCPU blobs and one manifest, all sealed as
 * above under the boot key, each bound to the VM's binding and to the
 * snapshot's id; a blob's position (index, gfn, vcpuid) is in its
 * associated data.
 *
 * A page blob: two host pages, the 4096-byte ciphertext then a page
 * starting with this header (as a sealed page).
 */
#define CV_SNAP_VERSION 1U
#define CV_SNAP_PAGE_MAGIC "CVSNAPPG"
struct cv_snap_page_hdr {
	uint8_t magic[8]; /* CV_SNAP_PAGE_MAGIC */
	uint32_t version; /* CV_SNAP_VERSION */
	uint32_t flags;	  /* 0 */
	uint8_t snap_id[16];
	uint64_t index; /* 0, 1, ...: the page's place in the snapshot */
	uint64_t gfn;	/* where the VM maps it */
	struct cv_sealed_binding bind;
	uint8_t nonce[24];
	uint8_t tag[16];
};
#define CV_SNAP_PAGE_AD_BYTES 104U

/*
 * A vCPU blob: one host page, this header then state_bytes of ciphertext
 * (the core's record of the vCPU, as for a sealed vCPU).
 */
#define CV_SNAP_VCPU_MAGIC "CVSNAPVC"
struct cv_snap_vcpu_hdr {
	uint8_t magic[8]; /* CV_SNAP_VCPU_MAGIC */
	uint32_t version; /* CV_SNAP_VERSION */
	uint32_t vcpuid;
	uint8_t snap_id[16];
	uint32_t state_bytes;
	uint32_t flags; /* 0 */
	struct cv_sealed_binding bind;
	uint8_t nonce[24];
	uint8_t tag[16];
};
#define CV_SNAP_VCPU_AD_BYTES 96U

/*
 * The manifest: one host page, this header then body_bytes of ciphertext
 * (struct cv_snap_manifest). Its binding is the snapshot's.
 */
#define CV_SNAP_MANIFEST_MAGIC "CVSNAPMF"
struct cv_snap_manifest_hdr {
	uint8_t magic[8]; /* CV_SNAP_MANIFEST_MAGIC */
	uint32_t version; /* CV_SNAP_VERSION */
	uint32_t body_bytes;
	uint8_t snap_id[16];
	struct cv_sealed_binding bind;
	uint8_t nonce[24];
	uint8_t tag[16];
};
#define CV_SNAP_MANIFEST_AD_BYTES 88U

/* The manifest's sealed body (opaque to the host). */
struct cv_snap_manifest {
	uint64_t npages;    /* page blobs, indexes 0 .. npages - 1 */
	uint32_t vcpu_mask; /* bit v: vCPU v has a blob */
	uint32_t nregions;  /* the VM's memory map (as measured) */
	uint64_t region_base[CV_MAX_VM_REGIONS];
	uint64_t region_size[CV_MAX_VM_REGIONS];
	uint32_t region_kind[CV_MAX_VM_REGIONS];
	uint64_t vcount; /* the VM's virtual counter when it was sealed */
	/*
	 * SHA-256 of a domain string, then every page blob's header in index
	 * order, then every vCPU blob's header in vcpuid order (tags
	 * included, so every ciphertext too).
	 */
	uint8_t digest[32];
};

_Static_assert(sizeof(struct cv_snap_page_hdr) == 144, "snap page header");
_Static_assert(sizeof(struct cv_snap_vcpu_hdr) == 136, "snap vcpu header");
_Static_assert(sizeof(struct cv_snap_manifest_hdr) == 128, "manifest header");
_Static_assert(__builtin_offsetof(struct cv_snap_page_hdr, nonce) ==
			       CV_SNAP_PAGE_AD_BYTES &&
		       __builtin_offsetof(struct cv_snap_vcpu_hdr, nonce) ==
			       CV_SNAP_VCPU_AD_BYTES &&
		       __builtin_offsetof(struct cv_snap_manifest_hdr, nonce) ==
			       CV_SNAP_MANIFEST_AD_BYTES,
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
