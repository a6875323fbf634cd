/* SPDX-License-Identifier: MIT */
/*
 * corevisor's signed VM image (docs/image-format.md).
 *
 * What the host loads at a VM's load address (HVC_SET_BOOT_INFO's size
 * covers all of it) is the payload followed by a fixed trailer:
 *
 *   [ payload: payload_len bytes ][ struct cv_image_trailer: 104 bytes ]
 *
 * The trailer carries an Ed25519ph signature (RFC 8032, SHA-512 prehash)
 * of the message
 *
 *   struct cv_image_signed_header (64 bytes) || payload
 *
 * which binds the domain string, format version, flags, payload length,
 * the guest address the payload is loaded at and, for the image a VM
 * boots from (CV_IMAGE_FLAG_BOOT), the guest address of its first
 * instruction. The core verifies it against each of its trusted keys.
 * All integers are little-endian.
 */
#ifndef COREVISOR_IMAGE_H
#define COREVISOR_IMAGE_H

#include <stdint.h>

#define CV_IMAGE_MAGIC "CVIMAGE1" /* 8 bytes, no terminator stored */
#define CV_IMAGE_MAGIC_LEN 8U
#define CV_IMAGE_VERSION 2U /* 1 had no entry (refused since) */
/*
 * The VM boots from this image: its vCPU 0 starts at `entry`, which lies
 * in the payload (4-byte aligned). At most one image of a VM has it.
 * Without it `entry` is 0.
 */
#define CV_IMAGE_FLAG_BOOT 1U
/*
 * A data image (not the boot image; its entry is 0) whose load address
 * vCPU 0 gets in x0 at its first start: the boot argument, e.g. a Linux
 * kernel's device tree (docs/guest-platform.md). At most one image of a
 * VM has it.
 */
#define CV_IMAGE_FLAG_BOOT_ARG 2U
#define CV_IMAGE_FLAGS_KNOWN (CV_IMAGE_FLAG_BOOT | CV_IMAGE_FLAG_BOOT_ARG)
#define CV_IMAGE_DOMAIN "corevisor signed VM image v1"
#define CV_IMAGE_DOMAIN_LEN 32U /* field size; the string is 0-padded */
#define CV_IMAGE_SIG_BYTES 64U
#define CV_IMAGE_PK_BYTES 32U

/* At the image's end: bytes [size - 104, size) of what the host loaded. */
struct cv_image_trailer {
	uint8_t magic[CV_IMAGE_MAGIC_LEN]; /* CV_IMAGE_MAGIC */
	uint32_t version;		   /* CV_IMAGE_VERSION */
	uint32_t flags;			   /* CV_IMAGE_FLAGS_KNOWN bits only */
	uint64_t payload_len;		   /* == loaded size - 104 */
	uint64_t load_addr;		   /* guest IPA it was signed for */
	uint64_t entry;			   /* CV_IMAGE_FLAG_BOOT: first PC */
	uint8_t sig[CV_IMAGE_SIG_BYTES];   /* Ed25519ph, see above */
};
#define CV_IMAGE_TRAILER_BYTES 104U

/* The first 64 bytes of the signed message (never stored in the image). */
struct cv_image_signed_header {
	char domain[CV_IMAGE_DOMAIN_LEN]; /* CV_IMAGE_DOMAIN, 0-padded */
	uint32_t version;
	uint32_t flags;
	uint64_t payload_len;
	uint64_t load_addr;
	uint64_t entry;
};
#define CV_IMAGE_SIGNED_HEADER_BYTES 64U

_Static_assert(sizeof(CV_IMAGE_DOMAIN) <= CV_IMAGE_DOMAIN_LEN,
	       "domain string fits its field");
_Static_assert(sizeof(struct cv_image_trailer) == CV_IMAGE_TRAILER_BYTES,
	       "image trailer layout");
_Static_assert(sizeof(struct cv_image_signed_header) ==
		       CV_IMAGE_SIGNED_HEADER_BYTES,
	       "signed header layout");

#endif
