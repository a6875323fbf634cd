// SPDX-License-Identifier: MIT
/* Shared glue of tests/fuzz and tests/stress: see harness.h. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <corevisor/image.h>
#include <cv/boot.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/spt.h>
#include <cv/state.h>

#include "harness.h"
#include "hosted_internal.h"

/* ---- keys and images ---------------------------------------------------- */

uint8_t hx_pk[32], hx_sk[64], hx_bad_pk[32], hx_bad_sk[64];

void hx_keys_init(void)
{
	uint8_t seed[32];

	if (sodium_init() < 0)
		abort();
	memset(seed, 0x11, sizeof(seed));
	crypto_sign_ed25519_seed_keypair(hx_pk, hx_sk, seed);
	memset(seed, 0x22, sizeof(seed));
	crypto_sign_ed25519_seed_keypair(hx_bad_pk, hx_bad_sk, seed);
}

void hx_make_image(struct hx_image *img, const uint8_t sk[64],
		   uint64_t load_addr, uint64_t payload_len, uint32_t seed)
{
	hx_make_image_boot(img, sk, load_addr, payload_len, seed,
			   payload_len >= 4);
}

void hx_make_image_boot(struct hx_image *img, const uint8_t sk[64],
			uint64_t load_addr, uint64_t payload_len, uint32_t seed,
			bool boot)
{
	struct cv_image_signed_header hdr;
	struct cv_image_trailer tr;
	crypto_sign_ed25519ph_state st;
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;

	img->size = payload_len + CV_IMAGE_TRAILER_BYTES;
	img->load_addr = load_addr;
	img->bytes = malloc(img->size);
	if (!img->bytes)
		abort();
	for (uint64_t i = 0; i < payload_len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		img->bytes[i] = (uint8_t)x;
	}
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.domain, CV_IMAGE_DOMAIN, sizeof(CV_IMAGE_DOMAIN) - 1);
	hdr.version = CV_IMAGE_VERSION;
	hdr.flags = boot ? CV_IMAGE_FLAG_BOOT : 0;
	hdr.payload_len = payload_len;
	hdr.load_addr = load_addr;
	hdr.entry = boot ? load_addr : 0;
	memset(&tr, 0, sizeof(tr));
	memcpy(tr.magic, CV_IMAGE_MAGIC, CV_IMAGE_MAGIC_LEN);
	tr.version = CV_IMAGE_VERSION;
	tr.flags = hdr.flags;
	tr.payload_len = payload_len;
	tr.load_addr = load_addr;
	tr.entry = hdr.entry;
	crypto_sign_ed25519ph_init(&st);
	crypto_sign_ed25519ph_update(&st, (const uint8_t *)&hdr, sizeof(hdr));
	crypto_sign_ed25519ph_update(&st, img->bytes, payload_len);
	crypto_sign_ed25519ph_final_create(&st, tr.sig, NULL, sk);
	memcpy(img->bytes + payload_len, &tr, sizeof(tr));
}

int hx_boot(uint64_t ram_size, uint32_t ncpus, bool trusted)
{
	struct cv_hosted_config cfg;

	cv_hosted_set_cpu(0);
	cv_hosted_default_config(&cfg);
	cfg.ram_size = ram_size;
	cfg.ncpus = ncpus;
	cfg.nsmmu = SMMU_NUM; /* every (index, bank) the ABI can name */
	cfg.smmu_context_banks = SMMU_NUM_CTXT_BANKS;
	/*
	 * And an SMMUv3: the host's stream table follows every ownership
	 * change, under the invariants (stream_iso) as the banks are.
	 */
	cfg.smmuv3 = true;
	memset(cfg.aead_key, 0x5a, sizeof(cfg.aead_key));
	if (trusted) {
		memcpy(cfg.trusted_keys[0], hx_pk, 32);
		cfg.ntrusted_keys = 1;
	}
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
	cv_hosted_console_clear();
	if (cv_hosted_boot(&cfg))
		return -1;
	cv_hosted_set_cpu(0);
	return 0;
}

/* ---- MmioOps (core/smmu), entered as this CPU -----------------------------
 */

struct smmu_call {
	int op;
	u32 cbndx, index, vmid;
	u64 pfn, gfn, iova, pte, prot;
	u64 ret;
};

enum { SM_ALLOC, SM_FREE, SM_ASSIGN, SM_MAP, SM_LPAE_MAP, SM_CLEAR, SM_IOVA };

static void smmu_op(void *arg)
{
	struct smmu_call *c = arg;

	switch (c->op) {
	case SM_ALLOC:
		el2_alloc_smmu_pgd(c->cbndx, c->vmid, c->index);
		break;
	case SM_FREE:
		el2_free_smmu_pgd(c->cbndx, c->index);
		break;
	case SM_ASSIGN:
		smmu_assign_page(c->cbndx, c->index, c->pfn, c->gfn);
		break;
	case SM_MAP:
		smmu_map_page(c->cbndx, c->index, c->iova, c->pte);
		break;
	case SM_LPAE_MAP:
		el2_arm_lpae_map(c->iova, c->pfn * PAGE_SIZE, c->prot, c->cbndx,
				 c->index);
		break;
	case SM_CLEAR:
		el2_arm_lpae_clear(c->iova, c->cbndx, c->index);
		break;
	default:
		c->ret = el2_arm_lpae_iova_to_phys(c->iova, c->cbndx, c->index);
		break;
	}
}

static u64 smmu_run(struct smmu_call c)
{
	cv_hosted_run(smmu_op, &c);
	return c.ret;
}

void hx_smmu_alloc_pgd(uint32_t cbndx, uint32_t vmid, uint32_t index)
{
	smmu_run((struct smmu_call){
		.op = SM_ALLOC, .cbndx = cbndx, .index = index, .vmid = vmid});
}

void hx_smmu_free_pgd(uint32_t cbndx, uint32_t index)
{
	smmu_run((struct smmu_call){
		.op = SM_FREE, .cbndx = cbndx, .index = index});
}

void hx_smmu_assign_page(uint32_t cbndx, uint32_t index, uint64_t pfn,
			 uint64_t gfn)
{
	smmu_run((struct smmu_call){.op = SM_ASSIGN,
				    .cbndx = cbndx,
				    .index = index,
				    .pfn = pfn,
				    .gfn = gfn});
}

void hx_smmu_map_page(uint32_t cbndx, uint32_t index, uint64_t iova,
		      uint64_t pte)
{
	smmu_run((struct smmu_call){.op = SM_MAP,
				    .cbndx = cbndx,
				    .index = index,
				    .iova = iova,
				    .pte = pte});
}

void hx_smmu_lpae_map(uint64_t iova, uint64_t paddr, uint64_t prot,
		      uint32_t cbndx, uint32_t index)
{
	smmu_run((struct smmu_call){.op = SM_LPAE_MAP,
				    .cbndx = cbndx,
				    .index = index,
				    .iova = iova,
				    .pfn = paddr / PAGE_SIZE,
				    .prot = prot});
}

void hx_smmu_lpae_clear(uint64_t iova, uint32_t cbndx, uint32_t index)
{
	smmu_run((struct smmu_call){
		.op = SM_CLEAR, .cbndx = cbndx, .index = index, .iova = iova});
}

uint64_t hx_smmu_iova_to_phys(uint64_t iova, uint32_t cbndx, uint32_t index)
{
	return smmu_run((struct smmu_call){
		.op = SM_IOVA, .cbndx = cbndx, .index = index, .iova = iova});
}

/* ---- direct entry points ------------------------------------------------- */

struct call {
	u32 vmid, u32arg;
	u64 a, b, c;
	u64 ret;
};

static void do_prot_and_map(void *arg)
{
	struct call *c = arg;

	prot_and_map_vm_s2pt(c->vmid, c->a, c->b, c->u32arg);
}

void hx_prot_and_map_vm_s2pt(uint32_t vmid, uint64_t addr, uint64_t pte,
			     uint32_t level)
{
	struct call c = {.vmid = vmid, .u32arg = level, .a = addr, .b = pte};

	cv_hosted_run(do_prot_and_map, &c);
}

static void do_grant(void *arg)
{
	struct call *c = arg;

	grant_stage2_sg_gpa(c->vmid, c->a, c->b);
}

void hx_grant_stage2_sg_gpa(uint32_t vmid, uint64_t addr, uint64_t size)
{
	struct call c = {.vmid = vmid, .a = addr, .b = size};

	cv_hosted_run(do_grant, &c);
}

static void do_revoke(void *arg)
{
	struct call *c = arg;

	revoke_stage2_sg_gpa(c->vmid, c->a, c->b);
}

void hx_revoke_stage2_sg_gpa(uint32_t vmid, uint64_t addr, uint64_t size)
{
	struct call c = {.vmid = vmid, .a = addr, .b = size};

	cv_hosted_run(do_revoke, &c);
}

static void do_poweroff(void *arg)
{
	set_vm_poweroff(((struct call *)arg)->vmid);
}

void hx_set_vm_poweroff(uint32_t vmid)
{
	struct call c = {.vmid = vmid};

	cv_hosted_run(do_poweroff, &c);
}

static void do_poweron(void *arg)
{
	struct call *c = arg;

	c->ret = get_vm_poweron(c->vmid);
}

uint32_t hx_get_vm_poweron(uint32_t vmid)
{
	struct call c = {.vmid = vmid};

	cv_hosted_run(do_poweron, &c);
	return (uint32_t)c.ret;
}

static void do_inactive(void *arg)
{
	struct call *c = arg;

	set_vcpu_inactive(c->vmid, c->u32arg);
}

void hx_set_vcpu_inactive(uint32_t vmid, uint32_t vcpuid)
{
	struct call c = {.vmid = vmid, .u32arg = vcpuid};

	cv_hosted_run(do_inactive, &c);
}

static void do_active(void *arg)
{
	struct call *c = arg;

	set_vcpu_active(c->vmid, c->u32arg);
}

void hx_set_vcpu_active(uint32_t vmid, uint32_t vcpuid)
{
	struct call c = {.vmid = vmid, .u32arg = vcpuid};

	cv_hosted_run(do_active, &c);
}

static void do_cpu_on(void *arg)
{
	struct call *c = arg;

	c->ret = vcpu_power_on(c->vmid, c->a, c->b, c->c);
}

uint32_t hx_vcpu_power_on(uint32_t vmid, uint64_t mpidr, uint64_t entry,
			  uint64_t context)
{
	struct call c = {.vmid = vmid, .a = mpidr, .b = entry, .c = context};

	cv_hosted_run(do_cpu_on, &c);
	return (uint32_t)c.ret;
}

static void do_search(void *arg)
{
	struct call *c = arg;

	c->ret = search_load_info(c->vmid, c->a);
}

uint64_t hx_search_load_info(uint32_t vmid, uint64_t addr)
{
	struct call c = {.vmid = vmid, .a = addr};

	cv_hosted_run(do_search, &c);
	return c.ret;
}

/* ---- the access oracle --------------------------------------------------- */

static struct {
	struct hx_access_counts counts;
	bool violated;
	char why[256];
} oracle;

/* The page's s2page entry (PageIndex, lock-free: a debugger's view). */
static const struct s2page *oracle_page(u64 pfn)
{
	for (u32 i = 0; i < cv.region_cnt && cv.s2page; i++) {
		const struct memblock *r = &cv.regions[i];
		u64 first = r->base / PAGE_SIZE;

		if (pfn - first < r->size / PAGE_SIZE &&
		    r->index + (pfn - first) < cv.s2page_num)
			return &cv.s2page[r->index + (pfn - first)];
	}
	return NULL;
}

static bool oracle_live_vm(u32 v)
{
	u32 st;

	if (v <= HOSTVISOR || v >= COREVISOR)
		return false;
	st = cv.vminfos[v].state;
	return st == READY || st == VERIFIED;
}

/* Whether @a may reach a page of @owner with @count (see harness.h). */
static bool access_allowed(const struct cv_hosted_access *a, u32 owner,
			   u32 count)
{
	u32 bank;

	if (a->dma) {
		if (a->id >= SMMU_NUM || a->cbndx >= SMMU_NUM_CTXT_BANKS)
			return owner != COREVISOR && !oracle_live_vm(owner);
		bank = cv.smmu_vmid[smmu_id(a->id, a->cbndx)];
		if (bank > HOSTVISOR && bank < COREVISOR)
			return owner == bank;
		return owner != COREVISOR && !oracle_live_vm(owner);
	}
	if (a->id == HOSTVISOR)
		return owner == HOSTVISOR || owner == INVALID ||
		       (count > 0 && count <= MAX_SHARE_COUNT);
	if (oracle_live_vm(a->id))
		return owner == a->id;
	return true; /* a VM that is not live: whatever its table still maps */
}

static void oracle_watch(const struct cv_hosted_access *a, void *arg)
{
	const struct s2page *pg = oracle_page(a->pa / PAGE_SIZE);
	u32 owner = pg ? pg->owner : INVALID;
	u32 count = pg ? pg->count : 0;

	(void)arg;
	if (a->write)
		oracle.counts.stores++;
	else
		oracle.counts.loads++;
	if (oracle.violated || access_allowed(a, owner, count))
		return;
	oracle.violated = true;
	if (a->dma)
		snprintf(oracle.why, sizeof(oracle.why),
			 "dma %s through smmu %u bank %u (of %u) iova 0x%llx "
			 "+0x%llx reached pfn 0x%llx offset 0x%llx (owner %u "
			 "count %u)",
			 a->write ? "store" : "load", a->id, a->cbndx,
			 a->id < SMMU_NUM && a->cbndx < SMMU_NUM_CTXT_BANKS
				 ? cv.smmu_vmid[smmu_id(a->id, a->cbndx)]
				 : INVALID,
			 (unsigned long long)a->addr,
			 (unsigned long long)a->len,
			 (unsigned long long)(a->pa / PAGE_SIZE),
			 (unsigned long long)(a->pa % PAGE_SIZE), owner, count);
	else
		snprintf(oracle.why, sizeof(oracle.why),
			 "%s %u %s on cpu %u at 0x%llx +0x%llx reached pfn "
			 "0x%llx offset 0x%llx (owner %u count %u)",
			 a->id == HOSTVISOR ? "host" : "vm", a->id,
			 a->write ? "store" : "load", a->cpu,
			 (unsigned long long)a->addr,
			 (unsigned long long)a->len,
			 (unsigned long long)(a->pa / PAGE_SIZE),
			 (unsigned long long)(a->pa % PAGE_SIZE), owner, count);
}

void hx_access_oracle_start(void)
{
	memset(&oracle, 0, sizeof(oracle));
	cv_hosted_watch_accesses(oracle_watch, NULL);
}

void hx_access_oracle_stop(void)
{
	cv_hosted_watch_accesses(NULL, NULL);
}

void hx_access_counts(struct hx_access_counts *out)
{
	*out = oracle.counts;
}

int hx_access_violation(char *why, size_t len)
{
	if (!oracle.violated)
		return 0;
	snprintf(why, len, "%s", oracle.why);
	oracle.violated = false;
	return 1;
}

/* ---- abstract state ------------------------------------------------------ */

struct leaves {
	struct hx_leaf *v;
	uint64_t n, cap;
};

static void push_leaf(struct leaves *l, u64 addr, u64 pte, u32 level)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = (struct hx_leaf){addr, pte, level, 0};
}

static u64 load_entry(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/*
 * The leaves below the table at @pa (level @level, covering @base): a
 * nonzero entry that is not a table descriptor (levels 0-2), or any
 * nonzero level-3 entry. A table pointer outside memory is kept as a
 * leaf (level + 10) so that it still shows in a comparison.
 */
static void walk_table(struct leaves *l, u64 pa, u32 level, u64 base,
		       u32 entries)
{
	const u64 *t = cv_hosted_phys(pa);
	u32 shift = 12 + 9 * (3 - level);

	if (!t) {
		push_leaf(l, base, pa, level + 10);
		return;
	}
	for (u32 i = 0; i < entries; i++) {
		u64 e = load_entry(&t[i]);
		u64 addr = base + ((u64)i << shift);

		if (!e)
			continue;
		if (level < 3 && (e & PTE_TYPE_MASK) == PTE_TYPE_TABLE)
			walk_table(l, phys_page(e), level + 1, addr, 512);
		else
			push_leaf(l, addr, e, level);
	}
}

void hx_snap_take(struct hx_snap *s)
{
	struct leaves l;

	memset(s, 0, sizeof(*s));
	s->halted = __atomic_load_n(&cv.halted, __ATOMIC_ACQUIRE);
	memcpy(s->reason, cv.halt_reason, sizeof(s->reason));
	memcpy(&s->core, &cv.core, sizeof(s->core));
	memcpy(s->vminfos, cv.vminfos, sizeof(s->vminfos));
	memcpy(s->smmu_vmid, cv.smmu_vmid, sizeof(s->smmu_vmid));
	memcpy(s->cpus, cv.cpus, sizeof(s->cpus));
	s->npages = cv.s2page_num;
	s->pages = malloc(s->npages * sizeof(*s->pages) + 1);
	if (!s->pages)
		abort();
	if (cv.s2page)
		memcpy(s->pages, cv.s2page, s->npages * sizeof(*s->pages));
	for (u32 v = 0; v < NUM_PRINCIPALS; v++) {
		memset(&l, 0, sizeof(l));
		walk_table(&l, cv.npts[v].pool, 0, 0, 512);
		s->npt[v] = l.v;
		s->nnpt[v] = l.n;
	}
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++) {
		memset(&l, 0, sizeof(l));
		/* The root: two concatenated level-1 pages (1024 entries). */
		walk_table(&l, cv.spt.pool + (u64)i * 2 * PAGE_SIZE, 1, 0,
			   1024);
		s->spt[i] = l.v;
		s->nspt[i] = l.n;
	}
	s->ctxts = malloc(sizeof(cv.shadow_ctxts));
	if (!s->ctxts)
		abort();
	memcpy(s->ctxts, cv.shadow_ctxts, sizeof(cv.shadow_ctxts));
}

void hx_snap_free(struct hx_snap *s)
{
	free(s->pages);
	free(s->ctxts);
	for (u32 v = 0; v < NUM_PRINCIPALS; v++)
		free(s->npt[v]);
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++)
		free(s->spt[i]);
	memset(s, 0, sizeof(*s));
}

#define ULL(x) ((unsigned long long)(x))

static int diff_leaves(const char *what, u32 id, const struct hx_leaf *a,
		       u64 na, const struct hx_leaf *b, u64 nb, char *why,
		       size_t len)
{
	u64 i = 0;

	while (i < na && i < nb && !memcmp(&a[i], &b[i], sizeof(a[i])))
		i++;
	if (i == na && i == nb)
		return 0;
	if (i < na && i < nb)
		snprintf(why, len,
			 "%s %u: leaf #%llu addr 0x%llx pte 0x%llx level %u vs "
			 "addr 0x%llx pte 0x%llx level %u",
			 what, id, ULL(i), ULL(a[i].addr), ULL(a[i].pte),
			 a[i].level, ULL(b[i].addr), ULL(b[i].pte), b[i].level);
	else if (i < na)
		snprintf(why, len,
			 "%s %u: leaf addr 0x%llx pte 0x%llx level %u only in "
			 "the first",
			 what, id, ULL(a[i].addr), ULL(a[i].pte), a[i].level);
	else
		snprintf(why, len,
			 "%s %u: leaf addr 0x%llx pte 0x%llx level %u only in "
			 "the second",
			 what, id, ULL(b[i].addr), ULL(b[i].pte), b[i].level);
	return 1;
}

static u64 page_pfn(u64 index)
{
	for (u32 i = 0; i < cv.region_cnt && i < MAX_MEMBLOCK_NUM; i++) {
		const struct memblock *r = &cv.regions[i];

		if (index - r->index < r->size / PAGE_SIZE)
			return r->base / PAGE_SIZE + (index - r->index);
	}
	return INVALID64;
}

static int diff_vminfo(u32 v, const struct vm_info *a, const struct vm_info *b,
		       char *why, size_t len)
{
	if (a->state != b->state)
		snprintf(why, len, "vm %u state %u vs %u", v, a->state,
			 b->state);
	else if (memcmp(a->vcpu_state, b->vcpu_state, sizeof(a->vcpu_state)))
		snprintf(why, len, "vm %u vcpu states differ", v);
	else if (a->next_load_info != b->next_load_info)
		snprintf(why, len, "vm %u next_load_info %u vs %u", v,
			 a->next_load_info, b->next_load_info);
	else if (memcmp(a->remap_addr, b->remap_addr, sizeof(a->remap_addr)))
		snprintf(why, len, "vm %u remap addresses differ", v);
	else if (memcmp(a->mapped_pages, b->mapped_pages,
			sizeof(a->mapped_pages)))
		snprintf(why, len, "vm %u mapped_pages differ", v);
	else
		snprintf(why, len,
			 "vm %u info differs (load infos, kvm, vcpu, "
			 "power or inc_exe)",
			 v);
	return 1;
}

int hx_snap_diff(const struct hx_snap *a, const struct hx_snap *b, char *why,
		 size_t len)
{
	if (a->halted != b->halted || strcmp(a->reason, b->reason)) {
		snprintf(why, len, "halt %u \"%s\" vs %u \"%s\"", a->halted,
			 a->reason, b->halted, b->reason);
		return 1;
	}
	if (memcmp(&a->core, &b->core, sizeof(a->core))) {
		snprintf(why, len,
			 "core data: next_vmid %u remap 0x%llx vs %u 0x%llx",
			 a->core.next_vmid, ULL(a->core.next_remap_ptr),
			 b->core.next_vmid, ULL(b->core.next_remap_ptr));
		return 1;
	}
	for (u32 v = 0; v < NUM_PRINCIPALS; v++)
		if (memcmp(&a->vminfos[v], &b->vminfos[v],
			   sizeof(a->vminfos[v])))
			return diff_vminfo(v, &a->vminfos[v], &b->vminfos[v],
					   why, len);
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++)
		if (a->smmu_vmid[i] != b->smmu_vmid[i]) {
			snprintf(why, len, "smmu bank %u owner %u vs %u", i,
				 a->smmu_vmid[i], b->smmu_vmid[i]);
			return 1;
		}
	if (memcmp(a->cpus, b->cpus, sizeof(a->cpus))) {
		snprintf(why, len, "per-CPU state differs");
		return 1;
	}
	if (a->npages != b->npages) {
		snprintf(why, len, "s2page sizes %llu vs %llu", ULL(a->npages),
			 ULL(b->npages));
		return 1;
	}
	for (u64 i = 0; i < a->npages; i++) {
		const struct s2page *p = &a->pages[i], *q = &b->pages[i];

		if (p->owner != q->owner || p->count != q->count ||
		    p->gfn != q->gfn) {
			snprintf(why, len,
				 "pfn 0x%llx: owner %u count %u gfn 0x%llx vs "
				 "owner %u count %u gfn 0x%llx",
				 ULL(page_pfn(i)), p->owner, p->count,
				 ULL(p->gfn), q->owner, q->count, ULL(q->gfn));
			return 1;
		}
	}
	for (u32 v = 0; v < NUM_PRINCIPALS; v++)
		if (diff_leaves("stage-2 table of principal", v, a->npt[v],
				a->nnpt[v], b->npt[v], b->nnpt[v], why, len))
			return 1;
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++)
		if (diff_leaves("SMMU table of bank", i, a->spt[i], a->nspt[i],
				b->spt[i], b->nspt[i], why, len))
			return 1;
	for (u32 i = 0; i < CTXT_POOL_SIZE; i++)
		if (memcmp(&a->ctxts[i], &b->ctxts[i], sizeof(a->ctxts[i]))) {
			snprintf(why, len, "shadow context of vm %u vcpu %u",
				 i / VCPU_PER_VM, i % VCPU_PER_VM);
			return 1;
		}
	return 0;
}

static u64 fnv(u64 h, const void *p, size_t n)
{
	const u8 *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t hx_snap_hash(const struct hx_snap *s)
{
	u64 h = 0xcbf29ce484222325ULL;

	h = fnv(h, &s->halted, sizeof(s->halted));
	h = fnv(h, s->reason, strnlen(s->reason, sizeof(s->reason)));
	h = fnv(h, &s->core, sizeof(s->core));
	h = fnv(h, s->vminfos, sizeof(s->vminfos));
	h = fnv(h, s->smmu_vmid, sizeof(s->smmu_vmid));
	h = fnv(h, s->cpus, sizeof(s->cpus));
	h = fnv(h, s->pages, s->npages * sizeof(*s->pages));
	for (u32 v = 0; v < NUM_PRINCIPALS; v++)
		h = fnv(h, s->npt[v], s->nnpt[v] * sizeof(struct hx_leaf));
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++)
		h = fnv(h, s->spt[i], s->nspt[i] * sizeof(struct hx_leaf));
	h = fnv(h, s->ctxts, sizeof(cv.shadow_ctxts));
	return h;
}
