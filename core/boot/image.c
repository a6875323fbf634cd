// SPDX-License-Identifier: MIT
/*
 * verify_image (AbstractMachine verify_image_spec; SeKVM's was a stub that
 * accepted everything): check the signed image of one load info against
 * the trusted keys. Format: include/corevisor/image.h.
 *
 * The image is read through the core's remap mappings (the COREVISOR
 * table), a page at a time, and hashed as it goes (Ed25519ph), so no
 * contiguous copy is needed. verify_and_load_images calls this after
 * unmap_and_load_vm_image, when every image page already belongs to the
 * VM and has left the host's stage 2: the host cannot change the bytes
 * between the check and the VM's first instruction.
 */
#include <corevisor/image.h>
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/crypto.h>
#include <cv/lib.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>

#include "boot_internal.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "image fields are little-endian and read in place");

/*
 * The core's pointer to the byte at remap address @va and how many bytes
 * of its page follow, or NULL when @va is not mapped to memory.
 */
static const u8 *remap_ptr(u64 va, u64 *avail)
{
	u64 pte = walk_s2pt(COREVISOR, va);
	const u8 *p;

	if (!pte_valid(pte))
		return NULL;
	p = arch_phys_to_virt(phys_page(pte) + (va & (PAGE_SIZE - 1)));
	*avail = PAGE_SIZE - (va & (PAGE_SIZE - 1));
	return p;
}

/*
 * Hand the @len bytes at remap address @va to @use(@ctx, bytes, count), a
 * page's worth at a time; false if a page is missing.
 */
static bool remap_each(u64 va, u64 len,
		       void (*use)(void *ctx, const u8 *p, u64 n), void *ctx)
{
	while (len) {
		u64 avail;
		const u8 *p = remap_ptr(va, &avail);
		u64 n = len < avail ? len : avail;

		if (!p)
			return false;
		use(ctx, p, n);
		va += n;
		len -= n;
	}
	return true;
}

/* @ctx: the next byte of the caller's buffer. */
static void copy_out(void *ctx, const u8 *p, u64 n)
{
	u8 **out = ctx;

	memcpy(*out, p, n);
	*out += n;
}

static void hash_in(void *ctx, const u8 *p, u64 n)
{
	cv_sig_update(ctx, p, n);
}

/* Copy @len bytes at remap address @va; false if a page is missing. */
static bool remap_read(u64 va, void *buf, u64 len)
{
	u8 *out = buf;

	return remap_each(va, len, copy_out, &out);
}

/* Hash @len bytes at remap address @va; false if a page is missing. */
static bool remap_hash(struct cv_sig_state *st, u64 va, u64 len)
{
	return remap_each(va, len, hash_in, st);
}

/* Index of VM @vmid's load info remapped at @remap_addr, or INVALID. */
static u32 find_load_info(u32 vmid, u64 remap_addr)
{
	struct vm_info *info = locked_info(vmid);

	for (u32 i = 0; i < info->next_load_info && i < MAX_LOAD_INFO_NUM; i++)
		if (info->remap_addr[i] == remap_addr)
			return i;
	return INVALID;
}

static bool trusted_signature(const struct cv_sig_state *st, const u8 *sig)
{
	for (u32 k = 0; k < cv.ntrusted_keys && k < CV_MAX_TRUSTED_KEYS; k++)
		if (cv_sig_verify(st, sig, cv.trusted_keys[k]))
			return true;
	return false;
}

/* A boot image's entry: 4-byte aligned, in the payload. */
static bool entry_ok(const struct cv_image_trailer *tr)
{
	if (!(tr->flags & CV_IMAGE_FLAG_BOOT))
		return tr->entry == 0;
	return !(tr->entry & 3) && tr->entry >= tr->load_addr &&
	       tr->entry - tr->load_addr < tr->payload_len;
}

/*
 * NULL when the image remapped at @remap_addr is whole, well formed and
 * signed by a trusted key for its load address; else what is wrong. When
 * @facts is not NULL it gets what verify_and_load_images keeps of a good
 * image: its flags, entry, payload length and the Ed25519ph prehash, i.e.
 * the SHA-512 of signed header || payload (the image's measurement).
 * The caller holds VM @vmid's info lock.
 */
const char *image_check(u32 vmid, u64 remap_addr, struct image_facts *facts)
{
	struct vm_info *info = locked_info(vmid);
	struct cv_image_trailer tr;
	struct cv_image_signed_header hdr;
	struct cv_sig_state st;
	u64 size, pgnum;
	u32 idx = find_load_info(vmid, remap_addr);

	if (idx == INVALID)
		return "no load info at this remap address";
	size = info->load_size[idx];
	pgnum = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	if (info->mapped_pages[idx] != pgnum)
		return "not every page was remapped";
	if (size < CV_IMAGE_TRAILER_BYTES)
		return "smaller than the image trailer";
	if (!remap_read(remap_addr + size - CV_IMAGE_TRAILER_BYTES, &tr,
			sizeof(tr)))
		return "trailer not readable";
	if (memcmp(tr.magic, CV_IMAGE_MAGIC, CV_IMAGE_MAGIC_LEN))
		return "bad trailer magic";
	if (tr.version != CV_IMAGE_VERSION)
		return "unknown image version";
	if (tr.flags & ~CV_IMAGE_FLAGS_KNOWN)
		return "unknown image flags";
	if ((tr.flags & CV_IMAGE_FLAG_BOOT) &&
	    (tr.flags & CV_IMAGE_FLAG_BOOT_ARG))
		return "a boot image cannot be the boot argument";
	if (tr.payload_len != size - CV_IMAGE_TRAILER_BYTES)
		return "payload length does not match the loaded size";
	if (tr.load_addr != info->load_addr[idx])
		return "signed for another load address";
	if (!entry_ok(&tr))
		return "boot entry outside the payload";
	if (cv.ntrusted_keys == 0)
		return "no trusted key";

	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.domain, CV_IMAGE_DOMAIN, sizeof(CV_IMAGE_DOMAIN) - 1);
	hdr.version = CV_IMAGE_VERSION;
	hdr.flags = tr.flags;
	hdr.payload_len = tr.payload_len;
	hdr.load_addr = info->load_addr[idx];
	hdr.entry = tr.entry;
	cv_sig_init(&st);
	cv_sig_update(&st, &hdr, sizeof(hdr));
	if (!remap_hash(&st, remap_addr, tr.payload_len))
		return "payload not readable";
	if (!trusted_signature(&st, tr.sig))
		return "signature matches no trusted key";
	if (facts) {
		facts->flags = tr.flags;
		facts->entry = tr.entry;
		facts->payload_len = tr.payload_len;
		cv_sig_prehash(&st, facts->digest);
	}
	return NULL;
}

/* verify_image_spec: 1 when the image at @addr is good, else 0. */
u32 verify_image(u32 vmid, u64 addr)
{
	if (halted())
		return 0;
	if (!is_vmid(vmid) || !is_addr(addr)) {
		panic("verify_image: bad args vm %u addr 0x%llx", vmid,
		      ULL(addr));
		return 0;
	}
	return check(image_check(vmid, addr, NULL) == NULL);
}
