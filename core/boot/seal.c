// SPDX-License-Identifier: MIT
/*
 * Sealed VM state (BootOps save/load_encrypted_vcpu, save_encrypt_buf,
 * load_decrypt_buf; AbstractMachine's encrypt/decrypt primitives). SeKVM
 * used AES-128-ECB with a fixed key and no MAC; corevisor seals with
 * XChaCha20-Poly1305 under the boot key cv.aead_key. Formats, nonces and
 * associated data: include/corevisor/sealed.h, docs/image-format.md.
 *
 * Every blob carries the binding of lineage.c (measurement, instance,
 * epoch) in its associated data: a blob is sealed only from a verified VM
 * that runs no vCPU, and restored only into a READY VM that continues the
 * same instance at its current epoch, and whose images then measure the
 * same (checked by verify_and_load_images).
 *
 * Two rules keep the host out of the cryptography:
 *  - The core never encrypts into, or decrypts out of, memory the host can
 *    write meanwhile: AEAD reads its output back (tag) or its input twice
 *    (tag, then plaintext), so a racing host could get a tag for bytes it
 *    chose. Ciphertext is produced in a per-CPU scratch page and copied
 *    out; it is copied in to core-owned memory before it is opened.
 *  - Headers in host memory are copied once and only the copy is used.
 * A blob that does not open (modified, or moved to another page or vCPU)
 * or that the binding refuses panics, naming the call and the reason.
 */
#include <corevisor/sealed.h>
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/crypto.h>
#include <cv/lib.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>

#include "boot_internal.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "sealed headers are little-endian and written in place");
_Static_assert(sizeof(struct sealed_vcpu) + sizeof(struct cv_sealed_vcpu_hdr) <=
		       CV_SHARED_PAGE_BYTES,
	       "a sealed vCPU must fit its shared page");
_Static_assert(sizeof(struct sealed_vcpu) <= PAGE_SIZE,
	       "a sealed vCPU is opened in one scratch page");
_Static_assert(CV_AEAD_KEY_BYTES == CV_KEY_BYTES, "AEAD key size");

/* Where each CPU builds ciphertext before it leaves the core. */
static _Alignas(16) u8 seal_scratch[TOTAL_CPU][PAGE_SIZE];

u8 *seal_scratch_page(void)
{
	return seal_scratch[arch_cpu_id() % TOTAL_CPU];
}

/* salt (16 random bytes per boot) || 64-bit counter: never repeats. */
void seal_next_nonce(u8 nonce[CV_AEAD_NONCE_BYTES])
{
	u64 n = __atomic_fetch_add(&cv.nonce_counter, 1, __ATOMIC_RELAXED);

	memcpy(nonce, cv.nonce_salt, sizeof(cv.nonce_salt));
	memcpy(nonce + sizeof(cv.nonce_salt), &n, sizeof(n));
}

/*
 * True when every page of [pa, pa + len) belongs to the host; the caller
 * holds S2PAGE_ID so that stays true while it reads or writes them.
 */
bool seal_host_owns(u64 pa, u64 len)
{
	assert_locked(S2PAGE_ID);
	for (u64 pfn = pa / PAGE_SIZE; pfn <= (pa + len - 1) / PAGE_SIZE; pfn++)
		if (get_pfn_owner(pfn) != HOSTVISOR)
			return false;
	return true;
}

/* ---- pages ------------------------------------------------------------ */

/*
 * encrypt_mem_buf_spec: seal VM @vmid's page @inpfn (mapped at @gfn) into
 * host pages @outpfn (ciphertext) and @outpfn + 1 (header), bound to @b.
 */
static void encrypt_mem_buf(u32 vmid, u64 inpfn, u64 gfn, u64 outpfn,
			    const struct cv_sealed_binding *b)
{
	struct cv_sealed_page_hdr hdr;
	const u8 *in = arch_phys_to_virt(inpfn * PAGE_SIZE);
	u8 *out = arch_phys_to_virt(outpfn * PAGE_SIZE);
	u8 *out_hdr = arch_phys_to_virt((outpfn + 1) * PAGE_SIZE);
	u8 *tmp = seal_scratch_page();

	/* Owned pages are region pages, so memory; keep the check anyway. */
	if (!in || !out || !out_hdr) {
		panic("save_encrypt_buf: vm %u pfn 0x%llx/0x%llx not memory",
		      vmid, ULL(inpfn), ULL(outpfn));
		return;
	}
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, CV_SEALED_PAGE_MAGIC, sizeof(hdr.magic));
	hdr.version = CV_SEALED_VERSION;
	hdr.gfn = gfn;
	hdr.bind = *b;
	seal_next_nonce(hdr.nonce);
	cv_aead_seal(tmp, in, PAGE_SIZE, &hdr, CV_SEALED_AD_BYTES, hdr.nonce,
		     cv.aead_key, hdr.tag);
	memcpy(out, tmp, PAGE_SIZE);
	memcpy(out_hdr, &hdr, sizeof(hdr));
}

/*
 * save_encrypt_buf_spec0: seal page @inbuf of VM @vmid for the host. The
 * output spans the host pages @outbuf and @outbuf + PAGE_SIZE (ciphertext,
 * then header); addresses name pages, their offset bits are ignored.
 *
 * corevisor: takes the VM's info lock; the VM must be verified, hold its
 * lineage and run no vCPU (lineage_seal), so the blob is bound to what
 * the VM is and to a version that moves on once it runs again.
 */
void save_encrypt_buf(u32 vmid, u64 inbuf, u64 outbuf)
{
	u64 inpfn = inbuf / PAGE_SIZE, outpfn = outbuf / PAGE_SIZE;
	struct cv_sealed_binding bind;
	u32 inowner, outowner, hdrowner;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_paddr(inbuf) || !is_paddr(outbuf)) {
		panic("save_encrypt_buf: bad args vm %u in 0x%llx out 0x%llx",
		      vmid, ULL(inbuf), ULL(outbuf));
		return;
	}
	acquire_lock_vm(vmid);
	if (!lineage_seal(vmid, &bind, "save_encrypt_buf"))
		return;
	acquire_lock_s2page();
	inowner = get_pfn_owner(inpfn);
	outowner = get_pfn_owner(outpfn);
	hdrowner = get_pfn_owner(outpfn + 1);
	if (inowner != vmid) {
		panic("save_encrypt_buf: vm %u in pfn 0x%llx owner %u", vmid,
		      ULL(inpfn), inowner);
		return;
	}
	if (outowner != HOSTVISOR || hdrowner != HOSTVISOR) {
		panic("save_encrypt_buf: vm %u out pfn 0x%llx owners %u/%u "
		      "not host",
		      vmid, ULL(outpfn), outowner, hdrowner);
		return;
	}
	encrypt_mem_buf(vmid, inpfn, get_pfn_map(inpfn), outpfn, &bind);
	release_lock_s2page();
	release_lock_vm(vmid);
}

/*
 * load_decrypt_buf_spec0, as corrected by the README: host page @inbuf
 * (ciphertext; its header in the next page) becomes VM @vmid's page and is
 * opened in place once the host can no longer write it.
 *
 * Strengthenings: the page's share count must be 0 (a page still mapped
 * by an SMMU or a VM must not change owner: the invariants smmu_iso and
 * smmu_count), and the page's gfn becomes the sealed one, not INVALID64,
 * so the VM can map it only where it was sealed from (assign_pfn_to_vm
 * refuses another gfn): that is what makes the page identity in the
 * associated data mean something. The blob's binding must suit the VM
 * (lineage_restore).
 */
void load_decrypt_buf(u32 vmid, u64 inbuf)
{
	u64 pfn = inbuf / PAGE_SIZE;
	struct cv_sealed_page_hdr hdr;
	struct vm_info *info;
	const void *hdr_src;
	const char *pinned;
	u8 *page;
	u32 owner, count, hdrowner;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_paddr(inbuf)) {
		panic("load_decrypt_buf: bad args vm %u in 0x%llx", vmid,
		      ULL(inbuf));
		return;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state != READY) {
		panic("load_decrypt_buf: vm %u state %u not READY", vmid,
		      info->state);
		return;
	}
	acquire_lock_s2page();
	owner = get_pfn_owner(pfn);
	count = get_pfn_count(pfn);
	hdrowner = get_pfn_owner(pfn + 1);
	if (owner != HOSTVISOR || hdrowner != HOSTVISOR) {
		panic("load_decrypt_buf: vm %u pfn 0x%llx owners %u/%u not "
		      "host",
		      vmid, ULL(pfn), owner, hdrowner);
		return;
	}
	if (count != 0) {
		panic("load_decrypt_buf: vm %u pfn 0x%llx share count %u", vmid,
		      ULL(pfn), count);
		return;
	}
	/* corevisor: run pages and GIC tables stay the host's. */
	pinned = host_pin_reason(pfn);
	if (pinned) {
		panic("load_decrypt_buf: vm %u pfn 0x%llx %s", vmid, ULL(pfn),
		      pinned);
		return;
	}
	page = arch_phys_to_virt(pfn * PAGE_SIZE);
	hdr_src = arch_phys_to_virt((pfn + 1) * PAGE_SIZE);
	if (!page || !hdr_src) {
		panic("load_decrypt_buf: vm %u pfn 0x%llx not memory", vmid,
		      ULL(pfn));
		return;
	}
	memcpy(&hdr, hdr_src, sizeof(hdr));
	if (memcmp(hdr.magic, CV_SEALED_PAGE_MAGIC, sizeof(hdr.magic)) ||
	    hdr.version != CV_SEALED_VERSION || hdr.flags != 0) {
		panic("load_decrypt_buf: vm %u pfn 0x%llx: not a sealed page",
		      vmid, ULL(pfn));
		return;
	}

	/* Take the page from the host, then open it where it lies. */
	set_pfn_owner(pfn, vmid);
	set_pfn_count(pfn, 0);
	set_pfn_map(pfn, INVALID64);
	clear_pfn_host(pfn);
	if (halted())
		return;
	/* The AD is our copy's first bytes: kind, gfn and binding. */
	if (!cv_aead_open(page, page, PAGE_SIZE, &hdr, CV_SEALED_AD_BYTES,
			  hdr.nonce, cv.aead_key, hdr.tag)) {
		panic("load_decrypt_buf: vm %u pfn 0x%llx: sealed page refused",
		      vmid, ULL(pfn));
		return;
	}
	if (hdr.gfn != INVALID64)
		set_pfn_map(pfn, hdr.gfn);
	release_lock_s2page();
	if (!lineage_restore(vmid, &hdr.bind, "load_decrypt_buf"))
		return;
	release_lock_vm(vmid);
}

/* ---- vCPUs ------------------------------------------------------------ */

static void vcpu_hdr_init(struct cv_sealed_vcpu_hdr *hdr, u32 vcpuid)
{
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->magic, CV_SEALED_VCPU_MAGIC, sizeof(hdr->magic));
	hdr->version = CV_SEALED_VERSION;
	hdr->vcpuid = vcpuid;
	hdr->state_bytes = sizeof(struct sealed_vcpu);
}

/*
 * save_encrypted_vcpu (encrypt_gp_regs + encrypt_sys_regs): seal the
 * vCPU's shadow context, and its PSCI power state, into its page of the
 * shared area.
 *
 * The spec's primitives are no-ops and take no lock; corevisor takes the
 * VM's info lock (which guards a context that is not running) and
 * requires the vCPU READY: registered, and not running on another CPU,
 * whose context would change under the encryption; and, as for a page,
 * the VM verified with no vCPU running (lineage_seal).
 */
void save_encrypted_vcpu(u32 vmid, u32 vcpuid)
{
	struct cv_sealed_vcpu_hdr hdr;
	struct sealed_vcpu *plain = (struct sealed_vcpu *)seal_scratch_page();
	struct vm_info *info;
	u64 pa;
	u8 *dst;
	u32 state;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("save_encrypted_vcpu: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	state = vcpu_state_of(info, vcpuid);
	if (state != READY) {
		panic("save_encrypted_vcpu: vm %u vcpu %u state %u not READY",
		      vmid, vcpuid, state);
		return;
	}
	vcpu_hdr_init(&hdr, vcpuid);
	if (!lineage_seal(vmid, &hdr.bind, "save_encrypted_vcpu"))
		return;
	pa = get_shared_vcpu(vmid, vcpuid);
	acquire_lock_s2page();
	dst = arch_phys_to_virt(pa);
	if (!seal_host_owns(pa, CV_SHARED_PAGE_BYTES) || !dst) {
		panic("save_encrypted_vcpu: vm %u vcpu %u shared page 0x%llx "
		      "not host memory",
		      vmid, vcpuid, ULL(pa));
		return;
	}
	plain->ctxt = *shadow_ctxt(vmid, vcpuid);
	plain->power = info->vcpu_power[vcpuid];
	plain->entry = info->vcpu_entry[vcpuid];
	plain->context = info->vcpu_context[vcpuid];
	seal_next_nonce(hdr.nonce);
	cv_aead_seal(plain, plain, sizeof(*plain), &hdr, CV_SEALED_AD_BYTES,
		     hdr.nonce, cv.aead_key, hdr.tag);
	memcpy(dst, &hdr, sizeof(hdr));
	memcpy(dst + sizeof(hdr), plain, sizeof(*plain));
	release_lock_s2page();
	release_lock_vm(vmid);
}

/*
 * load_encrypted_vcpu_spec0, as corrected by the README (VM and vCPU both
 * READY): open the sealed vCPU in the vCPU's shared page into its shadow
 * context and power state; the VM then runs from restored state
 * (inc_exe = 1). verify_and_load_images checks that the restored vCPU
 * resumes (or starts) in verified code.
 *
 * AbstractMachine's set_vm_inc_exe_spec writes vm_next_load_info, a slip:
 * corevisor sets inc_exe, which is what is_inc_exe reads.
 */
void load_encrypted_vcpu(u32 vmid, u32 vcpuid)
{
	struct cv_sealed_vcpu_hdr hdr, want;
	struct sealed_vcpu *plain = (struct sealed_vcpu *)seal_scratch_page();
	struct vm_info *info;
	const u8 *src;
	u64 pa;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("load_encrypted_vcpu: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state != READY || vcpu_state_of(info, vcpuid) != READY) {
		panic("load_encrypted_vcpu: vm %u state %u vcpu %u state %u",
		      vmid, info->state, vcpuid, vcpu_state_of(info, vcpuid));
		return;
	}
	pa = get_shared_vcpu(vmid, vcpuid);
	acquire_lock_s2page();
	src = arch_phys_to_virt(pa);
	if (!seal_host_owns(pa, CV_SHARED_PAGE_BYTES) || !src) {
		panic("load_encrypted_vcpu: vm %u vcpu %u shared page 0x%llx "
		      "not host memory",
		      vmid, vcpuid, ULL(pa));
		return;
	}
	memcpy(&hdr, src, sizeof(hdr));
	vcpu_hdr_init(&want, vcpuid);
	if (memcmp(&hdr, &want,
		   __builtin_offsetof(struct cv_sealed_vcpu_hdr, bind))) {
		panic("load_encrypted_vcpu: vm %u vcpu %u: header is not a "
		      "sealed vcpu %u",
		      vmid, vcpuid, vcpuid);
		return;
	}
	/* Copy the ciphertext in (host-writable), then open it in place. */
	memcpy(plain, src + sizeof(hdr), sizeof(*plain));
	release_lock_s2page();
	if (!cv_aead_open(plain, plain, sizeof(*plain), &hdr,
			  CV_SEALED_AD_BYTES, hdr.nonce, cv.aead_key,
			  hdr.tag)) {
		panic("load_encrypted_vcpu: vm %u vcpu %u: sealed context "
		      "refused",
		      vmid, vcpuid);
		return;
	}
	if (!lineage_restore(vmid, &hdr.bind, "load_encrypted_vcpu")) {
		memset(plain, 0, sizeof(*plain));
		return;
	}
	*shadow_ctxt(vmid, vcpuid) = plain->ctxt;
	info->vcpu_power[vcpuid] = (u32)plain->power;
	info->vcpu_entry[vcpuid] = plain->entry;
	info->vcpu_context[vcpuid] = plain->context;
	info->vcpu_restored |= 1U << vcpuid;
	memset(plain, 0, sizeof(*plain));
	info->inc_exe = 1;
	release_lock_vm(vmid);
}
