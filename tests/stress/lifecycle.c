// SPDX-License-Identifier: MIT
/*
 * VM lifecycle stress (DESTROY_VM, vmid and remap reuse) on 4 hosted CPUs,
 * built with TSan and with ASan + UBSan (mk/race.mk's build directories).
 *
 * Each CPU starts and destroys VMs, one after another, until the CPUs
 * together have made -n VMs (1000 by default). A VM's life, each step run
 * by the 4 CPUs at once, then a barrier at which CPU 0 checks every
 * security invariant (vm_free and remap_cons among them):
 *   1. REGISTER_KVM, two vCPUs, a signed image loaded and verified;
 *   2. a page of the CPU's own RAM, filled with a pattern, mapped into the
 *      VM as its stage-2 fault answer; then, with vCPU 0 ACTIVE (as a
 *      VCPU_RUN on this CPU makes it), DESTROY_VM must be refused
 *      (CV_DESTROY_RUNNING) and change nothing;
 *   3. the VM powered off (every other round) or not; a DESTROY_VM of a
 *      random vmid without FORCE (another CPU's VM: refused unless it is
 *      powered off, then destroyed here, which its CPU must then find);
 *   4. DESTROY_VM (FORCE when not powered off): OK, or NO_VM when another
 *      CPU destroyed it in step 3. Then every page the VM had (its image
 *      pages and the RAM page) is the host's, count 0, and all zero.
 * No panic may happen; the exit status is 0 when every check held.
 *
 *   lifecycle [-n vms] [-s seed]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <cv/inv.h>
#include <cv/pte.h>
#include <cv/state.h>

#include "harness.h"

#define NCPUS 4
#define RAM_BYTES (256ULL << 20)
#define RAM_BASE 0x40000000ULL
#define IMAGE_IPA 0x80000000ULL
#define RAM_IPA 0x80400000ULL
#define IMAGE_PAYLOAD 0x2000ULL
/* CPU k's staging block (2 MiB aligned) and its RAM pages. */
#define IMAGE_PA(k) (RAM_BASE + ((16ULL + 4 * (k)) << 20))
#define PAGE_PA(k) (RAM_BASE + ((64ULL + 4 * (k)) << 20))

static pthread_barrier_t step;
static struct hx_image images[NCPUS];
static u32 target;
static int failed;
static u64 destroyed, stolen, refused_running, refused_off;

static u64 hvc(u64 x0, u64 x1, u64 x2)
{
	return cv_hosted_hvc(x0, x1, x2, 0, 0, 0);
}

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "lifecycle: " __VA_ARGS__);     \
			fputc('\n', stderr);                            \
			__atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST); \
		}                                                       \
	} while (0)

/* Every CPU has finished the step; CPU 0 checks the invariants. */
static void quiescent(u32 k, const char *what)
{
	char why[256];

	pthread_barrier_wait(&step);
	if (k == 0) {
		CHECK(!cv_hosted_halted(), "halted after %s: %s", what,
		      cv_hosted_halt_reason());
		CHECK(check_invariants(why, sizeof(why)) == 0,
		      "invariant after %s: %s", what, why);
	}
	pthread_barrier_wait(&step);
}

static bool page_clean(u64 pa)
{
	const u8 *b = cv_hosted_phys(pa);

	if (cv_hosted_page_owner(pa / PAGE_SIZE) != HOSTVISOR ||
	    cv_hosted_page_count(pa / PAGE_SIZE) != 0)
		return false;
	for (u64 i = 0; i < PAGE_SIZE; i++)
		if (b[i])
			return false;
	return true;
}

static void *cpu_main(void *arg)
{
	u32 k = (u32)(uintptr_t)arg;
	unsigned seed = 1234 + k;
	u8 pattern[PAGE_SIZE];

	memset(pattern, 0xa5 ^ (int)k, sizeof(pattern));
	cv_hosted_set_cpu(k);
	for (u32 round = 0; round < (target + NCPUS - 1) / NCPUS; round++) {
		const struct hx_image *img = &images[k];
		/* Every CPU runs every round's barriers; go: a VM this round.
		 */
		bool go = round * NCPUS + k < target, off;
		u32 vmid = 0, idx;
		u64 r;

		/* 1: register, load, verify */
		if (go) {
			vmid = (u32)hvc(HVC_REGISTER_KVM, 0, 0);
			CHECK(vmid > HOSTVISOR && vmid < COREVISOR,
			      "cpu %u: vmid %u", k, vmid);
			hvc(HVC_REGISTER_VCPU, vmid, 0);
			hvc(HVC_REGISTER_VCPU, vmid, 1);
			idx = (u32)cv_hosted_hvc(HVC_SET_BOOT_INFO, vmid,
						 IMAGE_IPA, img->size, 0, 0);
			CHECK(cv_hosted_host_write(IMAGE_PA(k), img->bytes,
						   img->size),
			      "cpu %u: host write of the image", k);
			for (u64 o = 0; o < img->size; o += PAGE_SIZE)
				cv_hosted_hvc(HVC_REMAP_VM_IMAGE, vmid,
					      (IMAGE_PA(k) + o) / PAGE_SIZE,
					      idx, 0, 0);
			hvc(HVC_VERIFY_VM_IMAGES, vmid, 0);
		}
		quiescent(k, "register + verify");

		/* 2: a page of RAM; destroy refused while a vCPU runs */
		if (go) {
			CHECK(cv_hosted_host_write(PAGE_PA(k), pattern,
						   sizeof(pattern)),
			      "cpu %u: host write", k);
			hx_prot_and_map_vm_s2pt(vmid, RAM_IPA,
						PAGE_PA(k) | PAGE_S2_RAM, 3);
			CHECK(cv_hosted_page_owner(PAGE_PA(k) / PAGE_SIZE) ==
				      vmid,
			      "cpu %u: page not given", k);
			hx_set_vcpu_active(vmid, 0);
			r = hvc(HVC_DESTROY_VM, vmid, CV_DESTROY_FORCE);
			CHECK(r == CV_DESTROY_RUNNING,
			      "cpu %u: destroy of a running vm %u: %llu", k,
			      vmid, (unsigned long long)r);
			CHECK(cv_hosted_vm_state(vmid) == VERIFIED,
			      "cpu %u: vm %u changed", k, vmid);
			__atomic_add_fetch(&refused_running, 1,
					   __ATOMIC_RELAXED);
			hx_set_vcpu_inactive(vmid, 0);
		}
		quiescent(k, "fault + refused destroy");

		/* 3: power off, and a destroy of someone's VM */
		off = round % 2 == 0;
		if (go && off)
			hx_set_vm_poweroff(vmid);
		if (go) {
			u32 other = 1 + (u32)(rand_r(&seed) % MAX_VM_NUM);

			r = hvc(HVC_DESTROY_VM, other, 0);
			CHECK(r <= CV_DESTROY_NO_VM, "cpu %u: destroy %u: %llu",
			      k, other, (unsigned long long)r);
			if (r == CV_DESTROY_OK)
				__atomic_add_fetch(&stolen, 1,
						   __ATOMIC_RELAXED);
			if (r == CV_DESTROY_NOT_OFF)
				__atomic_add_fetch(&refused_off, 1,
						   __ATOMIC_RELAXED);
		}
		quiescent(k, "power-off + foreign destroy");

		/* 4: destroy; every page the VM had is the host's, zero */
		if (go) {
			r = hvc(HVC_DESTROY_VM, vmid,
				off ? 0 : CV_DESTROY_FORCE);
			CHECK(r == CV_DESTROY_OK || r == CV_DESTROY_NO_VM,
			      "cpu %u: destroy of vm %u: %llu", k, vmid,
			      (unsigned long long)r);
			__atomic_add_fetch(&destroyed, 1, __ATOMIC_RELAXED);
			CHECK(page_clean(PAGE_PA(k)),
			      "cpu %u: vm %u's RAM page not the host's and "
			      "zero",
			      k, vmid);
			for (u64 off2 = 0; off2 < img->size; off2 += PAGE_SIZE)
				CHECK(page_clean(IMAGE_PA(k) + off2),
				      "cpu %u: vm %u's image page %llu not "
				      "the host's and zero",
				      k, vmid,
				      (unsigned long long)(off2 / PAGE_SIZE));
		}
		quiescent(k, "destroy");
	}
	return NULL;
}

/* The lock hooks of the stress builds (CV_STRESS_TRACE): unused here. */
void cv_stress_lock_waiting(u32 lk);
void cv_stress_lock_taken(u32 lk);
void cv_stress_lock_passing(u32 lk);

void cv_stress_lock_waiting(u32 lk)
{
	(void)lk;
}

void cv_stress_lock_taken(u32 lk)
{
	(void)lk;
}

void cv_stress_lock_passing(u32 lk)
{
	(void)lk;
}

int main(int argc, char **argv)
{
	pthread_t t[NCPUS];

	target = 1000;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			target = (u32)atoi(argv[++i]);
	hx_keys_init();
	if (hx_boot(RAM_BYTES, NCPUS, true)) {
		fprintf(stderr, "lifecycle: boot failed\n");
		return 2;
	}
	for (u32 k = 0; k < NCPUS; k++)
		hx_make_image(&images[k], hx_sk, IMAGE_IPA, IMAGE_PAYLOAD,
			      100 + k);
	pthread_barrier_init(&step, NULL, NCPUS);
	for (u32 k = 0; k < NCPUS; k++)
		pthread_create(&t[k], NULL, cpu_main, (void *)(uintptr_t)k);
	for (u32 k = 0; k < NCPUS; k++)
		pthread_join(t[k], NULL);
	for (u32 k = 0; k < NCPUS; k++)
		free(images[k].bytes);
	CHECK(destroyed == target, "%llu VMs destroyed, %u made",
	      (unsigned long long)destroyed, target);
	CHECK(cv.core.vmid_used == 0 && cv.core.next_vmid == 1 &&
		      cv.core.next_remap_ptr == REMAP_START,
	      "after the last destroy: vmids 0x%x next %u remap 0x%llx",
	      cv.core.vmid_used, cv.core.next_vmid,
	      (unsigned long long)cv.core.next_remap_ptr);
	printf("lifecycle: %llu VMs started and destroyed on %u CPUs (%llu by "
	       "another CPU), %llu destroys refused while a vCPU ran, %llu "
	       "refused before power-off; invariants after every step%s\n",
	       (unsigned long long)destroyed, NCPUS, (unsigned long long)stolen,
	       (unsigned long long)refused_running,
	       (unsigned long long)refused_off, failed ? ": FAILED" : "");
	return failed;
}
