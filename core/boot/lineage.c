// SPDX-License-Identifier: MIT
/*
 * What sealed state is bound to (corevisor; docs/image-format.md,
 * "Binding"): a VM's measurement, its instance and the instance's
 * version (epoch). The spec binds a blob to nothing (SeKVM: AES-ECB with
 * a fixed key); a blob bound only to the vmid could be restored, after a
 * reboot, into a new VM with that vmid running other code.
 *
 *  - Measurement: SHA-256 over the VM's identity inputs, computed at
 *    VERIFY_VM_IMAGES: a domain string, then one record per input, sorted
 *    so that the host's load order does not matter. Today the inputs are
 *    the images (record CV_MEASURE_IMAGE: SHA-512 of the image's signed
 *    header and payload, so its load address, flags and entry too) and,
 *    when one is declared, the VM's memory map (record CV_MEASURE_REGION
 *    per region, in the map's order: base, size, kind); a new kind of
 *    input is a new record type, and the blob format stays.
 *  - Instance: a VM verified from images alone starts a lineage with a
 *    fresh 16-byte instance id (SHA-256 of the boot's random salt and a
 *    counter: unique across VMs and boots). Restoring a blob into a VM
 *    makes that VM carry the blob's lineage on: all blobs restored into
 *    one VM must be of one instance, and a lineage is held by one VM at a
 *    time. It moves to a new VM only once its holder can no longer run
 *    (POWEROFF), so a VM's state never forks within a boot.
 *  - Epoch: the lineage's version. Sealing takes the current epoch and
 *    marks the VM (seal_pending); the next time one of its vCPUs starts
 *    running (set_vcpu_active) the epoch moves on. Sealing needs every
 *    vCPU stopped, so all blobs of one epoch are one consistent state,
 *    and a blob is restored only at its lineage's current epoch: an older
 *    version of a page or vCPU is refused once the VM ran after it.
 *
 * After a reboot nothing of a lineage is known: the first VM a blob is
 * restored into starts it again at the blob's epoch (rollback across a
 * reboot needs a monotonic counter that survives it: none here). Each
 * function runs with the VM's info lock held and takes CORE_ID (lock
 * order: vm info -> core).
 */
#include <corevisor/abi.h>
#include <cv/boot.h>
#include <cv/crypto.h>
#include <cv/lib.h>
#include <cv/panic.h>

#include "boot_internal.h"

_Static_assert(CV_HASH_BYTES == CV_MEASUREMENT_BYTES, "measurement size");
_Static_assert(CV_INSTANCE_BYTES <= CV_HASH_BYTES, "instance size");
_Static_assert(sizeof(((struct cv_sealed_binding *)0)->measurement) ==
			       CV_MEASUREMENT_BYTES &&
		       sizeof(((struct cv_sealed_binding *)0)->instance) ==
			       CV_INSTANCE_BYTES,
	       "sealed.h and the core agree");

#define MEASURE_DOMAIN "corevisor VM measurement v1"
#define INSTANCE_DOMAIN "corevisor VM instance v1"
#define DOMAIN_BYTES 32U

/* Record types of the measurement (docs/image-format.md). */
#define CV_MEASURE_IMAGE 1U
#define CV_MEASURE_REGION 2U /* base, size, kind: u64 each */

static void hash_domain(struct cv_hash_state *st, const char *domain)
{
	u8 d[DOMAIN_BYTES] = {0};

	memcpy(d, domain, strlen(domain));
	cv_hash_init(st);
	cv_hash_update(st, d, sizeof(d));
}

/* Image @a sorts before image @b (load address, then digest). */
static bool image_before(const struct vm_info *info,
			 const struct image_facts *facts, u32 a, u32 b)
{
	if (info->load_addr[a] != info->load_addr[b])
		return info->load_addr[a] < info->load_addr[b];
	return memcmp(facts[a].digest, facts[b].digest,
		      sizeof(facts[a].digest)) < 0;
}

/*
 * The measurement of VM @vmid's @n verified images (load infos 0..n-1,
 * @facts from image_check) into its vm_info. Caller holds its info lock.
 */
void measure_vm(u32 vmid, const struct image_facts *facts, u32 n)
{
	struct vm_info *info = locked_info(vmid);
	struct cv_hash_state st;
	u32 order[MAX_LOAD_INFO_NUM];

	for (u32 i = 0; i < n; i++) {
		u32 j = i;

		while (j > 0 && image_before(info, facts, i, order[j - 1])) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	hash_domain(&st, MEASURE_DOMAIN);
	for (u32 k = 0; k < n; k++) {
		u32 rec[2] = {CV_MEASURE_IMAGE, sizeof(facts[0].digest)};

		cv_hash_update(&st, rec, sizeof(rec));
		cv_hash_update(&st, facts[order[k]].digest,
			       sizeof(facts[0].digest));
	}
	/* corevisor: a declared memory map, region by region (in order). */
	for (u32 k = 0; k < info->nregions && k < CV_MAX_VM_REGIONS; k++) {
		u32 rec[2] = {CV_MEASURE_REGION, 24};
		u64 region[3] = {info->region_base[k], info->region_size[k],
				 info->region_kind[k]};

		cv_hash_update(&st, rec, sizeof(rec));
		cv_hash_update(&st, region, sizeof(region));
	}
	cv_hash_final(&st, info->measurement);
}

static struct cv_lineage *lineage_of(const struct vm_info *info)
{
	assert_locked(CORE_ID);
	return info->lineage ? &cv.lineages[info->lineage] : NULL;
}

/*
 * A slot for a new lineage of VM @vmid: its own (slot @vmid) when free,
 * else another free one, else the one retired longest ago (its blobs then
 * restore as after a reboot). One exists: each of at most 15 VMs holds at
 * most one lineage, and the caller holds none yet. The VM's own slot
 * first keeps the choice independent of the order in which VMs on other
 * CPUs take theirs (as long as no VM was destroyed, every VM finds its own
 * slot free).
 */
static struct cv_lineage *alloc_lineage_slot(u32 vmid)
{
	struct cv_lineage *oldest = NULL;

	assert_locked(CORE_ID);
	if (!cv.lineages[vmid].holder && !cv.lineages[vmid].retired)
		return &cv.lineages[vmid];
	for (u32 i = 1; i < COREVISOR; i++) {
		struct cv_lineage *l = &cv.lineages[i];

		if (l->holder)
			continue;
		if (!l->retired)
			return l;
		if (!oldest || l->retired_seq < oldest->retired_seq)
			oldest = l;
	}
	if (oldest)
		memset(oldest, 0, sizeof(*oldest));
	return oldest;
}

/*
 * VM @vmid, verified from its images alone (no blob restored): a new
 * lineage in a free slot, a fresh instance, epoch 1.
 */
void lineage_new(u32 vmid)
{
	struct vm_info *info = locked_info(vmid);
	struct cv_lineage *l;
	struct cv_hash_state st;
	u8 id[CV_HASH_BYTES];
	u64 n;

	acquire_lock_core();
	n = cv.core.next_instance++;
	l = alloc_lineage_slot(vmid);
	if (!l) {
		panic("lineage_new: vm %u: no free lineage slot", vmid);
		return;
	}
	l->holder = vmid; /* reserved while the id is computed */
	release_lock_core();
	hash_domain(&st, INSTANCE_DOMAIN);
	cv_hash_update(&st, cv.nonce_salt, sizeof(cv.nonce_salt));
	cv_hash_update(&st, &n, sizeof(n));
	cv_hash_final(&st, id);
	acquire_lock_core();
	memcpy(l->instance, id, sizeof(l->instance));
	memcpy(l->measurement, info->measurement, sizeof(l->measurement));
	l->epoch = 1;
	l->holder = vmid;
	l->open = 1;
	release_lock_core();
	info->lineage = (u32)(l - cv.lineages);
	info->seal_pending = 0;
}

/* @l is the lineage binding @b names: same instance and measurement. */
static bool same_lineage(const struct cv_lineage *l,
			 const struct cv_sealed_binding *b)
{
	return !memcmp(l->instance, b->instance, CV_INSTANCE_BYTES) &&
	       !memcmp(l->measurement, b->measurement, CV_MEASUREMENT_BYTES);
}

/* The lineage slot binding @b names (held or retired), or 0. */
static u32 find_lineage(const struct cv_sealed_binding *b)
{
	assert_locked(CORE_ID);
	for (u32 i = 1; i < COREVISOR; i++)
		if ((cv.lineages[i].holder || cv.lineages[i].retired) &&
		    same_lineage(&cv.lineages[i], b))
			return i;
	return 0;
}

/*
 * A blob with binding @b (already authenticated) is being restored into
 * READY VM @vmid by @who: apply the restore policy (file comment). False
 * after a panic naming the refusal.
 */
bool lineage_restore(u32 vmid, const struct cv_sealed_binding *b,
		     const char *who)
{
	struct vm_info *info = locked_info(vmid);
	struct cv_lineage *l;
	u32 slot;

	acquire_lock_core();
	l = lineage_of(info);
	if (l) {
		if (!same_lineage(l, b)) {
			panic("%s: vm %u: blob of another instance than the "
			      "state restored before",
			      who, vmid);
			return false;
		}
	} else {
		slot = find_lineage(b);
		if (slot) {
			l = &cv.lineages[slot];
			if (l->open) {
				panic("%s: vm %u: the blob's instance lives "
				      "on in vm %u",
				      who, vmid, l->holder);
				return false;
			}
		} else {
			/*
			 * Unknown here (made before a reboot, or retired
			 * and evicted since): starts again.
			 */
			l = alloc_lineage_slot(vmid);
			if (!l) {
				panic("%s: vm %u: no free lineage slot", who,
				      vmid);
				return false;
			}
			memcpy(l->instance, b->instance, CV_INSTANCE_BYTES);
			memcpy(l->measurement, b->measurement,
			       CV_MEASUREMENT_BYTES);
			l->epoch = b->epoch;
		}
	}
	if (b->epoch != l->epoch) {
		panic("%s: vm %u: blob of version %llu, the instance is at "
		      "version %llu",
		      who, vmid, ULL(b->epoch), ULL(l->epoch));
		return false;
	}
	if (!info->lineage) {
		info->lineage = (u32)(l - cv.lineages);
		l->holder = vmid;
		l->open = 1;
		l->retired = 0;
	}
	/* Blobs of this epoch exist: running moves it on. */
	info->seal_pending = 1;
	release_lock_core();
	return true;
}

/*
 * verify_and_load_images of a VM state was restored into: its images
 * must measure what the state was sealed for. False after a panic.
 */
bool lineage_check_measurement(u32 vmid)
{
	struct vm_info *info = locked_info(vmid);
	const struct cv_lineage *l;
	bool same;

	acquire_lock_core();
	l = lineage_of(info);
	same = l &&
	       !memcmp(l->measurement, info->measurement, CV_MEASUREMENT_BYTES);
	release_lock_core();
	if (!same)
		panic("verify_and_load_images: vm %u: its images do not "
		      "measure what its restored state was sealed for",
		      vmid);
	return same;
}

/*
 * @who seals state of VM @vmid: the VM must be VERIFIED or POWEROFF, hold
 * its lineage, and run no vCPU. Fills @b with the binding; the VM's next
 * run moves the epoch on. False after a panic.
 */
bool lineage_seal(u32 vmid, struct cv_sealed_binding *b, const char *who)
{
	struct vm_info *info = locked_info(vmid);
	const struct cv_lineage *l;

	if ((info->state != VERIFIED && info->state != POWEROFF) ||
	    !info->lineage) { /* powered off before it was verified */
		panic("%s: vm %u state %u: only a verified VM is sealed", who,
		      vmid, info->state);
		return false;
	}
	for (u32 v = 0; v < VCPU_PER_VM; v++)
		if (vcpu_state_of(info, v) == ACTIVE) {
			panic("%s: vm %u vcpu %u is running", who, vmid, v);
			return false;
		}
	acquire_lock_core();
	l = lineage_of(info);
	if (l->holder != vmid) {
		panic("%s: vm %u: its state moved on to vm %u", who, vmid,
		      l->holder);
		return false;
	}
	memcpy(b->measurement, l->measurement, CV_MEASUREMENT_BYTES);
	memcpy(b->instance, l->instance, CV_INSTANCE_BYTES);
	b->epoch = l->epoch;
	release_lock_core();
	info->seal_pending = 1;
	return true;
}

/* set_vcpu_active of a VM with seal_pending: a new epoch begins. */
void lineage_resume(u32 vmid)
{
	struct vm_info *info = locked_info(vmid);
	struct cv_lineage *l;

	acquire_lock_core();
	l = lineage_of(info);
	if (l && l->holder == vmid)
		l->epoch++;
	release_lock_core();
	info->seal_pending = 0;
}

/* set_vm_poweroff: the holder can no longer run; its state may move. */
void lineage_power_off(u32 vmid)
{
	struct vm_info *info = locked_info(vmid);
	struct cv_lineage *l;

	acquire_lock_core();
	l = lineage_of(info);
	if (l && l->holder == vmid)
		l->open = 0;
	release_lock_core();
}

/*
 * destroy_vm: VM @vmid is gone. A lineage it holds is retired: no VM
 * holds it, but its instance and epoch stay known, so a blob of it is
 * restored only at that epoch (an older snapshot stays refused) until the
 * slot is needed for a new lineage (alloc_lineage_slot).
 */
void lineage_destroy(u32 vmid)
{
	struct vm_info *info = locked_info(vmid);
	struct cv_lineage *l;

	acquire_lock_core();
	l = lineage_of(info);
	if (l && l->holder == vmid) {
		l->holder = 0;
		l->open = 0;
		l->retired = 1;
		l->retired_seq = ++cv.core.lineages_retired;
	}
	release_lock_core();
}

/*
 * snapshot.c: VM @vmid still holds the lineage of binding @b at @b's
 * epoch (nothing of the instance ran since @b was taken).
 */
bool lineage_current(u32 vmid, const struct cv_sealed_binding *b)
{
	const struct vm_info *info = locked_info(vmid);
	const struct cv_lineage *l;
	bool same;

	acquire_lock_core();
	l = lineage_of(info);
	same = l && l->holder == vmid && same_lineage(l, b) &&
	       l->epoch == b->epoch;
	release_lock_core();
	return same;
}

/*
 * RESTORE_BEGIN (snapshot.c): VERIFIED VM @vmid, which never ran, takes
 * on the instance of a snapshot with binding @b (authenticated), under
 * lineage_restore's rules: refused while a VM that may still run holds
 * it (CV_SNAP_REFUSED_LIVE: no fork) and at any epoch but the instance's
 * current one (CV_SNAP_REFUSED_STALE: no rollback). The VM's own new
 * lineage, which never ran, is given up. Nothing changes on a refusal.
 */
u64 lineage_adopt(u32 vmid, const struct cv_sealed_binding *b)
{
	struct vm_info *info = locked_info(vmid);
	struct cv_lineage *own, *l = NULL;
	u32 slot;

	acquire_lock_core();
	own = lineage_of(info);
	slot = find_lineage(b);
	if (slot) {
		l = &cv.lineages[slot];
		if (l == own || (l->holder && l->open)) {
			release_lock_core();
			return CV_SNAP_REFUSED_LIVE;
		}
		if (l->epoch != b->epoch) {
			release_lock_core();
			return CV_SNAP_REFUSED_STALE;
		}
	}
	if (own)
		memset(own, 0, sizeof(*own));
	if (!l) {
		/* Unknown here (before a reboot, or evicted): starts again. */
		l = alloc_lineage_slot(vmid);
		if (!l) {
			panic("lineage_adopt: vm %u: no free lineage slot",
			      vmid);
			return 0;
		}
		memcpy(l->instance, b->instance, CV_INSTANCE_BYTES);
		memcpy(l->measurement, b->measurement, CV_MEASUREMENT_BYTES);
		l->epoch = b->epoch;
	}
	l->holder = vmid;
	l->open = 1;
	l->retired = 0;
	release_lock_core();
	info->lineage = (u32)(l - cv.lineages);
	/* The snapshot's epoch: running moves it on (an older version). */
	info->seal_pending = 1;
	return CV_SNAP_OK;
}
