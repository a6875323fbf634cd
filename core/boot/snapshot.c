// SPDX-License-Identifier: MIT
/*
 * Whole-VM snapshot and restore (corevisor; the spec's
 * BOOT_FROM_SAVED_VM has no function behind it). Protocol and formats:
 * include/corevisor/abi.h (HVC_SNAPSHOT_*, HVC_RESTORE_*), sealed.h and
 * docs/image-format.md, "Snapshots".
 *
 * A snapshot is taken a page per call: the core itself walks the VM's
 * pages in physical order (a cursor in the VM's session, at most
 * CV_SNAP_SCAN_PAGES page entries looked at per call), so the host cannot
 * leave a page out, and no call takes time that grows with the VM. Every
 * blob is bound, as the per-page sealing calls' are (lineage.c), to the
 * VM's measurement, instance and epoch, and also to the snapshot's id and
 * its place in the snapshot (index and gfn, or vcpuid). The manifest
 * counts the blobs and holds a digest over every blob header, tags
 * included; a restore replays the blobs in the same order and compares.
 *
 * A restore goes into a VM that verified the same images (its own
 * measurement must be the manifest's) and never ran: the snapshot is
 * authoritative for every page it holds, image pages included (the
 * snapshot's VM had the same verified images; they may have changed
 * since, as the guest ran). The instance moves on to the restoring VM
 * under lineage.c's rules: no fork (refused while another VM holds it
 * open), no rollback within a boot (only at the instance's current
 * epoch). A refused step after RESTORE_BEGIN powers the VM off: its state
 * is partial and it never runs.
 *
 * Locks: the VM's info lock for the whole call (it guards the session),
 * then CORE_ID (lineage), S2PAGE_ID and NPT_ID + vmid in state.h's order.
 */
#include <corevisor/abi.h>
#include <corevisor/sealed.h>
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/crypto.h>
#include <cv/lib.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>

#include "boot_internal.h"

_Static_assert(sizeof(((struct cv_snap_session *)0)->hash) >=
		       sizeof(struct cv_hash_state),
	       "the session holds a hash state");
_Static_assert(sizeof(((struct cv_snap_session *)0)->bind) ==
		       sizeof(struct cv_sealed_binding),
	       "the session holds a binding");
_Static_assert(sizeof(struct cv_snap_vcpu_hdr) + sizeof(struct sealed_vcpu) <=
		       PAGE_SIZE,
	       "a vCPU blob fits one page");
_Static_assert(sizeof(struct cv_snap_manifest_hdr) +
			       sizeof(struct cv_snap_manifest) <=
		       PAGE_SIZE,
	       "the manifest fits one page");

#define SNAP_ID_DOMAIN "corevisor snapshot id v1"
#define SNAP_DIGEST_DOMAIN "corevisor snapshot digest v1"
#define DOMAIN_BYTES 32U

/* PSTATE of a vCPU: AArch32 (M[4]), its EL (M[3:2]), Hyp mode. */
#define PSTATE_NRW (1ULL << 4)
#define PSTATE_EL(p) (((p) >> 2) & 3)
#define PSTATE_AARCH32_MODE(p) ((p)&0x1f)
#define AARCH32_HYP 0x1aULL

static struct cv_hash_state *session_hash(struct cv_snap_session *s)
{
	return (struct cv_hash_state *)(void *)&s->hash;
}

static void session_bind(const struct cv_snap_session *s,
			 struct cv_sealed_binding *b)
{
	memcpy(b, s->bind, sizeof(*b));
}

static void hash_start(struct cv_snap_session *s)
{
	u8 d[DOMAIN_BYTES] = {0};

	memcpy(d, SNAP_DIGEST_DOMAIN, sizeof(SNAP_DIGEST_DOMAIN) - 1);
	cv_hash_init(session_hash(s));
	cv_hash_update(session_hash(s), d, sizeof(d));
}

/* Bit v set for every registered vCPU v of the VM. */
static u32 registered_vcpus(const struct vm_info *info)
{
	u32 mask = 0;

	for (u32 v = 0; v < VCPU_PER_VM; v++)
		if (vcpu_state_of(info, v) != UNUSED)
			mask |= 1U << v;
	return mask;
}

static bool vcpu_running(const struct vm_info *info)
{
	for (u32 v = 0; v < VCPU_PER_VM; v++)
		if (vcpu_state_of(info, v) == ACTIVE)
			return true;
	return false;
}

/* The lowest vCPU of @mask not in @done, or VCPU_PER_VM. */
static u32 next_vcpu(u32 mask, u32 done)
{
	for (u32 v = 0; v < VCPU_PER_VM; v++)
		if ((mask & ~done) & (1U << v))
			return v;
	return VCPU_PER_VM;
}

/*
 * Host page(s) [@pa, @pa + @len) for @who: the host's, else panic (the
 * host named pages it does not own, as for the sealing calls). The
 * caller holds S2PAGE_ID. Returns the core's pointer, or NULL after a
 * panic.
 */
static u8 *host_pages(u32 vmid, u64 pa, u64 len, const char *who)
{
	u8 *p = arch_phys_to_virt(pa);

	if (!seal_host_owns(pa, len) || !p ||
	    (len > PAGE_SIZE && !arch_phys_to_virt(pa + PAGE_SIZE))) {
		panic("%s: vm %u pages at 0x%llx not host memory", who, vmid,
		      ULL(pa));
		return NULL;
	}
	return p;
}

/* ---- snapshot --------------------------------------------------------- */

/*
 * The VM is still where its snapshot began: same instance and epoch (no
 * vCPU ran since), nothing running. Otherwise the snapshot ends.
 */
static u64 saving_check(u32 vmid)
{
	struct vm_info *info = locked_info(vmid);
	struct cv_sealed_binding b;

	if (info->snap.mode != SNAP_SAVING)
		return CV_SNAP_REFUSED_STATE;
	session_bind(&info->snap, &b);
	if (vcpu_running(info) || !lineage_current(vmid, &b)) {
		memset(&info->snap, 0, sizeof(info->snap));
		return CV_SNAP_REFUSED_STALE;
	}
	return CV_SNAP_OK;
}

/* HVC_SNAPSHOT_BEGIN. */
u64 snapshot_begin(u32 vmid)
{
	struct cv_sealed_binding b;
	struct cv_hash_state st;
	struct vm_info *info;
	u8 nonce[CV_AEAD_NONCE_BYTES], id[CV_HASH_BYTES];
	u8 d[DOMAIN_BYTES] = {0};

	if (halted())
		return 0;
	if (!is_vm(vmid)) {
		panic("snapshot_begin: vmid %u is not a VM", vmid);
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if ((info->state != VERIFIED && info->state != POWEROFF) ||
	    !info->lineage || info->snap.mode == SNAP_RESTORING ||
	    vcpu_running(info)) {
		release_lock_vm(vmid);
		return CV_SNAP_REFUSED_STATE;
	}
	if (!lineage_seal(vmid, &b, "snapshot_begin"))
		return 0;
	/* A fresh id: unique nonces (boot salt + counter), hashed. */
	seal_next_nonce(nonce);
	memcpy(d, SNAP_ID_DOMAIN, sizeof(SNAP_ID_DOMAIN) - 1);
	cv_hash_init(&st);
	cv_hash_update(&st, d, sizeof(d));
	cv_hash_update(&st, nonce, sizeof(nonce));
	cv_hash_final(&st, id);
	memset(&info->snap, 0, sizeof(info->snap));
	info->snap.mode = SNAP_SAVING;
	memcpy(info->snap.id, id, sizeof(info->snap.id));
	memcpy(info->snap.bind, &b, sizeof(b));
	hash_start(&info->snap);
	release_lock_vm(vmid);
	return CV_SNAP_OK;
}

/*
 * The VM's next page at or after the session's cursor, looking at no
 * more than CV_SNAP_SCAN_PAGES entries: its pfn, or INVALID64 with
 * *@end set when every region is done. Caller holds S2PAGE_ID.
 */
static u64 next_vm_page(u32 vmid, struct cv_snap_session *s, bool *end)
{
	u64 budget = CV_SNAP_SCAN_PAGES;

	assert_locked(S2PAGE_ID);
	*end = false;
	for (u32 r = 0; r < cv.region_cnt && r < MAX_MEMBLOCK_NUM; r++) {
		u64 lo = cv.regions[r].base / PAGE_SIZE;
		u64 hi = lo + cv.regions[r].size / PAGE_SIZE;
		u64 pfn = s->cursor > lo ? s->cursor : lo;

		for (; pfn < hi; pfn++) {
			u64 idx = cv.regions[r].index + (pfn - lo);
			const struct s2page *pg;

			if (!budget) {
				s->cursor = pfn;
				return INVALID64;
			}
			budget--;
			if (idx >= cv.s2page_num)
				break;
			pg = &cv.s2page[idx];
			/* A page with no gfn is one the VM cannot reach. */
			if (pg->owner == vmid && pg->gfn != S2PAGE_GFN_NONE) {
				s->cursor = pfn + 1;
				return pfn;
			}
		}
		if (s->cursor < hi)
			s->cursor = hi;
	}
	*end = true;
	return INVALID64;
}

/* HVC_SNAPSHOT_PAGE: seal the VM's next page into host pages @out. */
u64 snapshot_page(u32 vmid, u64 out)
{
	struct cv_snap_page_hdr hdr;
	struct vm_info *info;
	u8 *dst, *tmp = seal_scratch_page();
	const u8 *in;
	u64 r, pfn;
	bool end;

	if (halted())
		return 0;
	if (!is_vm(vmid) || !is_paddr(out)) {
		panic("snapshot_page: bad args vm %u out 0x%llx", vmid,
		      ULL(out));
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	r = saving_check(vmid);
	if (r == CV_SNAP_OK && info->snap.pages_done)
		r = CV_SNAP_DONE;
	if (r != CV_SNAP_OK) {
		release_lock_vm(vmid);
		return r;
	}
	out &= ~(PAGE_SIZE - 1);
	acquire_lock_s2page();
	dst = host_pages(vmid, out, 2 * PAGE_SIZE, "snapshot_page");
	if (!dst)
		return 0;
	pfn = next_vm_page(vmid, &info->snap, &end);
	if (pfn == INVALID64) {
		release_lock_s2page();
		if (end)
			info->snap.pages_done = 1;
		release_lock_vm(vmid);
		return end ? CV_SNAP_DONE : CV_SNAP_AGAIN;
	}
	in = arch_phys_to_virt(pfn * PAGE_SIZE);
	if (!in) {
		panic("snapshot_page: vm %u pfn 0x%llx not memory", vmid,
		      ULL(pfn));
		return 0;
	}
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, CV_SNAP_PAGE_MAGIC, sizeof(hdr.magic));
	hdr.version = CV_SNAP_VERSION;
	memcpy(hdr.snap_id, info->snap.id, sizeof(hdr.snap_id));
	hdr.index = info->snap.pages;
	hdr.gfn = get_pfn_map(pfn);
	session_bind(&info->snap, &hdr.bind);
	seal_next_nonce(hdr.nonce);
	/* Sealed in core memory, then copied out (seal.c's first rule). */
	cv_aead_seal(tmp, in, PAGE_SIZE, &hdr, CV_SNAP_PAGE_AD_BYTES, hdr.nonce,
		     cv.aead_key, hdr.tag);
	memcpy(dst, tmp, PAGE_SIZE);
	memcpy(dst + PAGE_SIZE, &hdr, sizeof(hdr));
	release_lock_s2page();
	cv_hash_update(session_hash(&info->snap), &hdr, sizeof(hdr));
	info->snap.pages++;
	release_lock_vm(vmid);
	return CV_SNAP_OK;
}

/* HVC_SNAPSHOT_VCPU: seal vCPU @vcpuid into host page @out. */
u64 snapshot_vcpu(u32 vmid, u32 vcpuid, u64 out)
{
	struct sealed_vcpu *plain = (struct sealed_vcpu *)seal_scratch_page();
	struct cv_snap_vcpu_hdr hdr;
	struct vm_info *info;
	u64 r;
	u8 *dst;

	if (halted())
		return 0;
	if (!is_vm(vmid) || !is_vcpu(vcpuid) || !is_paddr(out)) {
		panic("snapshot_vcpu: bad args vm %u vcpu %u out 0x%llx", vmid,
		      vcpuid, ULL(out));
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	r = saving_check(vmid);
	if (r == CV_SNAP_OK && (!info->snap.pages_done ||
				vcpuid != next_vcpu(registered_vcpus(info),
						    info->snap.vcpus_done)))
		r = CV_SNAP_REFUSED_ORDER;
	if (r != CV_SNAP_OK) {
		release_lock_vm(vmid);
		return r;
	}
	out &= ~(PAGE_SIZE - 1);
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, CV_SNAP_VCPU_MAGIC, sizeof(hdr.magic));
	hdr.version = CV_SNAP_VERSION;
	hdr.vcpuid = vcpuid;
	memcpy(hdr.snap_id, info->snap.id, sizeof(hdr.snap_id));
	hdr.state_bytes = sizeof(*plain);
	session_bind(&info->snap, &hdr.bind);
	seal_next_nonce(hdr.nonce);
	plain->ctxt = *shadow_ctxt(vmid, vcpuid);
	plain->power = info->vcpu_power[vcpuid];
	plain->entry = info->vcpu_entry[vcpuid];
	plain->context = info->vcpu_context[vcpuid];
	cv_aead_seal(plain, plain, sizeof(*plain), &hdr, CV_SNAP_VCPU_AD_BYTES,
		     hdr.nonce, cv.aead_key, hdr.tag);
	acquire_lock_s2page();
	dst = host_pages(vmid, out, PAGE_SIZE, "snapshot_vcpu");
	if (!dst)
		return 0;
	memcpy(dst, &hdr, sizeof(hdr));
	memcpy(dst + sizeof(hdr), plain, sizeof(*plain));
	release_lock_s2page();
	memset(plain, 0, sizeof(*plain));
	cv_hash_update(session_hash(&info->snap), &hdr, sizeof(hdr));
	info->snap.vcpus_done |= 1U << vcpuid;
	release_lock_vm(vmid);
	return CV_SNAP_OK;
}

/* HVC_SNAPSHOT_END: the sealed manifest into host page @out. */
u64 snapshot_end(u32 vmid, u64 out)
{
	struct cv_snap_manifest *body =
		(struct cv_snap_manifest *)seal_scratch_page();
	struct cv_snap_manifest_hdr hdr;
	struct vm_info *info;
	u64 r;
	u8 *dst;

	if (halted())
		return 0;
	if (!is_vm(vmid) || !is_paddr(out)) {
		panic("snapshot_end: bad args vm %u out 0x%llx", vmid,
		      ULL(out));
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	r = saving_check(vmid);
	if (r == CV_SNAP_OK &&
	    (!info->snap.pages_done ||
	     info->snap.vcpus_done != registered_vcpus(info)))
		r = CV_SNAP_REFUSED_ORDER;
	if (r != CV_SNAP_OK) {
		release_lock_vm(vmid);
		return r;
	}
	out &= ~(PAGE_SIZE - 1);
	memset(body, 0, sizeof(*body));
	body->npages = info->snap.pages;
	body->vcpu_mask = info->snap.vcpus_done;
	body->nregions = info->nregions;
	for (u32 i = 0; i < info->nregions && i < CV_MAX_VM_REGIONS; i++) {
		body->region_base[i] = info->region_base[i];
		body->region_size[i] = info->region_size[i];
		body->region_kind[i] = info->region_kind[i];
	}
	/* Its virtual counter goes on from here in the restored VM. */
	body->vcount = arch_counter_read() - info->cntvoff;
	cv_hash_final(session_hash(&info->snap), body->digest);
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, CV_SNAP_MANIFEST_MAGIC, sizeof(hdr.magic));
	hdr.version = CV_SNAP_VERSION;
	hdr.body_bytes = sizeof(*body);
	memcpy(hdr.snap_id, info->snap.id, sizeof(hdr.snap_id));
	session_bind(&info->snap, &hdr.bind);
	seal_next_nonce(hdr.nonce);
	cv_aead_seal(body, body, sizeof(*body), &hdr, CV_SNAP_MANIFEST_AD_BYTES,
		     hdr.nonce, cv.aead_key, hdr.tag);
	acquire_lock_s2page();
	dst = host_pages(vmid, out, PAGE_SIZE, "snapshot_end");
	if (!dst)
		return 0;
	memcpy(dst, &hdr, sizeof(hdr));
	memcpy(dst + sizeof(hdr), body, sizeof(*body));
	release_lock_s2page();
	memset(body, 0, sizeof(*body));
	memset(&info->snap, 0, sizeof(info->snap));
	release_lock_vm(vmid);
	return CV_SNAP_OK;
}

/* clear_vm_stage2_range / assign_smmu changed the VM's pages. */
void snapshot_cancel(u32 vmid)
{
	struct vm_info *info = locked_info(vmid);

	if (info->snap.mode == SNAP_SAVING)
		memset(&info->snap, 0, sizeof(info->snap));
}

/* ---- restore ---------------------------------------------------------- */

/*
 * A refused step of a restore: the VM holds part of a state and never
 * runs (powered off; the instance may go to another VM). Returns @why.
 */
static u64 restore_refused(u32 vmid, u64 why)
{
	struct vm_info *info = locked_info(vmid);

	memset(&info->snap, 0, sizeof(info->snap));
	set_vm_state(info, POWEROFF);
	lineage_power_off(vmid);
	release_lock_vm(vmid);
	return why;
}

/* HVC_RESTORE_BEGIN: open the manifest at host page @pa. */
u64 restore_begin(u32 vmid, u64 pa)
{
	struct cv_snap_manifest *body =
		(struct cv_snap_manifest *)seal_scratch_page();
	struct cv_snap_manifest_hdr hdr;
	struct vm_info *info;
	const u8 *src;
	u64 r = CV_SNAP_OK;

	if (halted())
		return 0;
	if (!is_vm(vmid) || !is_paddr(pa)) {
		panic("restore_begin: bad args vm %u manifest 0x%llx", vmid,
		      ULL(pa));
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state != VERIFIED || info->has_run ||
	    info->snap.mode != SNAP_NONE || !info->lineage) {
		release_lock_vm(vmid);
		return CV_SNAP_REFUSED_STATE;
	}
	pa &= ~(PAGE_SIZE - 1);
	acquire_lock_s2page();
	src = host_pages(vmid, pa, PAGE_SIZE, "restore_begin");
	if (!src)
		return 0;
	memcpy(&hdr, src, sizeof(hdr));
	memcpy(body, src + sizeof(hdr), sizeof(*body));
	release_lock_s2page();
	if (memcmp(hdr.magic, CV_SNAP_MANIFEST_MAGIC, sizeof(hdr.magic)) ||
	    hdr.version != CV_SNAP_VERSION || hdr.body_bytes != sizeof(*body) ||
	    !cv_aead_open(body, body, sizeof(*body), &hdr,
			  CV_SNAP_MANIFEST_AD_BYTES, hdr.nonce, cv.aead_key,
			  hdr.tag))
		r = CV_SNAP_REFUSED_FORGED;
	else if (memcmp(hdr.bind.measurement, info->measurement,
			CV_MEASUREMENT_BYTES) ||
		 body->vcpu_mask != registered_vcpus(info) ||
		 body->nregions != info->nregions)
		r = CV_SNAP_REFUSED_OTHER_VM;
	for (u32 i = 0;
	     r == CV_SNAP_OK && i < info->nregions && i < CV_MAX_VM_REGIONS;
	     i++)
		if (body->region_base[i] != info->region_base[i] ||
		    body->region_size[i] != info->region_size[i] ||
		    body->region_kind[i] != info->region_kind[i])
			r = CV_SNAP_REFUSED_OTHER_VM;
	if (r == CV_SNAP_OK)
		r = lineage_adopt(vmid, &hdr.bind);
	if (halted())
		return 0;
	if (r != CV_SNAP_OK) {
		/* Nothing changed: the VM can still boot from its images. */
		memset(body, 0, sizeof(*body));
		release_lock_vm(vmid);
		return r;
	}
	memset(&info->snap, 0, sizeof(info->snap));
	info->snap.mode = SNAP_RESTORING;
	memcpy(info->snap.id, hdr.snap_id, sizeof(info->snap.id));
	memcpy(info->snap.bind, &hdr.bind, sizeof(hdr.bind));
	info->snap.npages = body->npages;
	info->snap.vcpu_mask = body->vcpu_mask;
	info->snap.vcount = body->vcount;
	memcpy(info->snap.digest, body->digest, sizeof(info->snap.digest));
	hash_start(&info->snap);
	memset(body, 0, sizeof(*body));
	release_lock_vm(vmid);
	return CV_SNAP_OK;
}

/* The blob's id and binding are the session's (else MIXED). */
static bool of_this_snapshot(const struct cv_snap_session *s, const u8 id[16],
			     const struct cv_sealed_binding *b)
{
	return !memcmp(id, s->id, sizeof(s->id)) &&
	       !memcmp(b, s->bind, sizeof(*b));
}

/*
 * The VM page mapped at @gfn (a page, or one of an image's 2 MiB
 * blocks), INVALID64 when none.
 */
static u64 mapped_pfn(u32 vmid, u64 gfn)
{
	u32 level;
	u64 pte = walk_s2pt_level(vmid, gfn * PAGE_SIZE, &level);

	if (level == 3)
		return phys_page(pte) / PAGE_SIZE;
	if (level == 2)
		return phys_page(pte) / PAGE_SIZE + (gfn & (PTRS_PER_PMD - 1));
	return INVALID64;
}

/* HVC_RESTORE_PAGE: the next page blob, at host pages @pa, @pa + 4 KiB. */
u64 restore_page(u32 vmid, u64 pa)
{
	struct cv_snap_page_hdr hdr;
	struct vm_info *info;
	u8 *src, *tmp = seal_scratch_page(), *page;
	u64 pfn, target;

	if (halted())
		return 0;
	if (!is_vm(vmid) || !is_paddr(pa)) {
		panic("restore_page: bad args vm %u blob 0x%llx", vmid,
		      ULL(pa));
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->snap.mode != SNAP_RESTORING) {
		release_lock_vm(vmid);
		return CV_SNAP_REFUSED_STATE;
	}
	pfn = pa / PAGE_SIZE;
	acquire_lock_s2page();
	src = host_pages(vmid, pfn * PAGE_SIZE, 2 * PAGE_SIZE, "restore_page");
	if (!src)
		return 0;
	memcpy(&hdr, src + PAGE_SIZE, sizeof(hdr));
	release_lock_s2page();
	if (memcmp(hdr.magic, CV_SNAP_PAGE_MAGIC, sizeof(hdr.magic)) ||
	    hdr.version != CV_SNAP_VERSION || hdr.flags != 0)
		return restore_refused(vmid, CV_SNAP_REFUSED_FORGED);
	if (!of_this_snapshot(&info->snap, hdr.snap_id, &hdr.bind))
		return restore_refused(vmid, CV_SNAP_REFUSED_MIXED);
	if (hdr.index != info->snap.pages || hdr.index >= info->snap.npages)
		return restore_refused(vmid, CV_SNAP_REFUSED_ORDER);
	if (hdr.gfn >= KVM_GFN_SPACE ||
	    vm_ipa_kind(vmid, hdr.gfn * PAGE_SIZE) != CV_REGION_RAM)
		return restore_refused(vmid, CV_SNAP_REFUSED_GFN);
	target = mapped_pfn(vmid, hdr.gfn);
	if (halted())
		return 0;
	if (target != INVALID64) {
		/* Its page is there (an image's): opened in core memory. */
		acquire_lock_s2page();
		page = arch_phys_to_virt(target * PAGE_SIZE);
		if (get_pfn_owner(target) != vmid || !page ||
		    !seal_host_owns(pfn * PAGE_SIZE, PAGE_SIZE)) {
			panic("restore_page: vm %u gfn 0x%llx pfn 0x%llx not "
			      "its page",
			      vmid, ULL(hdr.gfn), ULL(target));
			return 0;
		}
		memcpy(tmp, src, PAGE_SIZE);
		release_lock_s2page();
		if (!cv_aead_open(tmp, tmp, PAGE_SIZE, &hdr,
				  CV_SNAP_PAGE_AD_BYTES, hdr.nonce, cv.aead_key,
				  hdr.tag))
			return restore_refused(vmid, CV_SNAP_REFUSED_FORGED);
		memcpy(page, tmp, PAGE_SIZE);
		memset(tmp, 0, PAGE_SIZE);
	} else {
		/* The ciphertext page becomes the VM's, then is opened. */
		assign_pfn_to_vm(vmid, hdr.gfn, pfn);
		if (halted())
			return 0;
		if (!cv_aead_open(src, src, PAGE_SIZE, &hdr,
				  CV_SNAP_PAGE_AD_BYTES, hdr.nonce, cv.aead_key,
				  hdr.tag))
			return restore_refused(vmid, CV_SNAP_REFUSED_FORGED);
		map_pfn_vm(vmid, hdr.gfn * PAGE_SIZE, pfn * PAGE_SIZE, 3);
		if (halted())
			return 0;
	}
	cv_hash_update(session_hash(&info->snap), &hdr, sizeof(hdr));
	info->snap.pages++;
	release_lock_vm(vmid);
	return CV_SNAP_OK;
}

/*
 * A restored vCPU's PSTATE is one the hardware saved from a guest: EL0
 * or EL1 (AArch64), or an AArch32 mode other than Hyp. Its PC is a
 * virtual address of the guest's (its MMU may be on): the seal, not an
 * image range, is what vouches for it.
 */
static bool guest_pstate(u64 pstate)
{
	if (pstate & PSTATE_NRW)
		return PSTATE_AARCH32_MODE(pstate) != AARCH32_HYP;
	return PSTATE_EL(pstate) <= 1;
}

/* HVC_RESTORE_VCPU: vCPU @vcpuid's blob at host page @pa. */
u64 restore_vcpu(u32 vmid, u32 vcpuid, u64 pa)
{
	struct sealed_vcpu *plain = (struct sealed_vcpu *)seal_scratch_page();
	struct cv_snap_vcpu_hdr hdr;
	struct vm_info *info;
	const u8 *src;

	if (halted())
		return 0;
	if (!is_vm(vmid) || !is_vcpu(vcpuid) || !is_paddr(pa)) {
		panic("restore_vcpu: bad args vm %u vcpu %u blob 0x%llx", vmid,
		      vcpuid, ULL(pa));
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->snap.mode != SNAP_RESTORING) {
		release_lock_vm(vmid);
		return CV_SNAP_REFUSED_STATE;
	}
	if (info->snap.pages != info->snap.npages ||
	    vcpuid != next_vcpu(info->snap.vcpu_mask, info->snap.vcpus_done))
		return restore_refused(vmid, CV_SNAP_REFUSED_ORDER);
	pa &= ~(PAGE_SIZE - 1);
	acquire_lock_s2page();
	src = host_pages(vmid, pa, PAGE_SIZE, "restore_vcpu");
	if (!src)
		return 0;
	memcpy(&hdr, src, sizeof(hdr));
	memcpy(plain, src + sizeof(hdr), sizeof(*plain));
	release_lock_s2page();
	if (memcmp(hdr.magic, CV_SNAP_VCPU_MAGIC, sizeof(hdr.magic)) ||
	    hdr.version != CV_SNAP_VERSION || hdr.flags != 0 ||
	    hdr.state_bytes != sizeof(*plain))
		return restore_refused(vmid, CV_SNAP_REFUSED_FORGED);
	if (!of_this_snapshot(&info->snap, hdr.snap_id, &hdr.bind))
		return restore_refused(vmid, CV_SNAP_REFUSED_MIXED);
	if (hdr.vcpuid != vcpuid)
		return restore_refused(vmid, CV_SNAP_REFUSED_ORDER);
	if (!cv_aead_open(plain, plain, sizeof(*plain), &hdr,
			  CV_SNAP_VCPU_AD_BYTES, hdr.nonce, cv.aead_key,
			  hdr.tag) ||
	    !guest_pstate(plain->ctxt.regs[PSTATE]) || plain->power > VCPU_ON) {
		memset(plain, 0, sizeof(*plain));
		return restore_refused(vmid, CV_SNAP_REFUSED_FORGED);
	}
	*shadow_ctxt(vmid, vcpuid) = plain->ctxt;
	info->vcpu_power[vcpuid] = (u32)plain->power;
	info->vcpu_entry[vcpuid] = plain->entry;
	info->vcpu_context[vcpuid] = plain->context;
	info->vcpu_restored |= 1U << vcpuid;
	memset(plain, 0, sizeof(*plain));
	cv_hash_update(session_hash(&info->snap), &hdr, sizeof(hdr));
	info->snap.vcpus_done |= 1U << vcpuid;
	release_lock_vm(vmid);
	return CV_SNAP_OK;
}

/*
 * HVC_BOOT_FROM_SAVED_VM: the restore is complete and its blobs are the
 * manifest's; the VM runs from the restored state.
 */
u64 boot_from_saved_vm(u32 vmid)
{
	struct vm_info *info;
	u8 digest[CV_HASH_BYTES];

	if (halted())
		return 0;
	if (!is_vm(vmid)) {
		panic("boot_from_saved_vm: vmid %u is not a VM", vmid);
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->snap.mode != SNAP_RESTORING) {
		release_lock_vm(vmid);
		return CV_SNAP_REFUSED_STATE;
	}
	if (info->snap.pages != info->snap.npages ||
	    info->snap.vcpus_done != info->snap.vcpu_mask)
		return restore_refused(vmid, CV_SNAP_REFUSED_ORDER);
	cv_hash_final(session_hash(&info->snap), digest);
	if (memcmp(digest, info->snap.digest, sizeof(digest)))
		return restore_refused(vmid, CV_SNAP_REFUSED_DIGEST);
	/* Its virtual counter goes on from the snapshot's (vgic.c). */
	info->cntvoff = arch_counter_read() - info->snap.vcount;
	info->inc_exe = 1;
	memset(&info->snap, 0, sizeof(info->snap));
	release_lock_vm(vmid);
	return CV_SNAP_OK;
}

/* set_vcpu_active: a VM whose restore is not finished does not run. */
bool snapshot_allows_run(u32 vmid, const char *who)
{
	struct vm_info *info = locked_info(vmid);

	if (info->snap.mode == SNAP_RESTORING) {
		panic("%s: vm %u: its restore is not finished", who, vmid);
		return false;
	}
	info->has_run = 1;
	return true;
}
