/* SPDX-License-Identifier: MIT */
/*
 * /dev/corevisor: the Linux host's interface to corevisor's VMs (the
 * KServ module, host/linux; docs/linux-host.md). Shared by the module and
 * user space (tools/cvrun).
 *
 * Each open file is at most one VM, owned by the process that created it
 * (another process holding the file gets EPERM):
 *   CV_IOC_CREATE_VM   a signed image (bytes in user memory) and a vCPU
 *                      count, and up to CV_MAX_DATA_IMAGES signed data
 *                      images (an initrd, a device tree); the module loads
 *                      each into pinned, physically contiguous, 2 MiB-
 *                      aligned memory of its own and runs the boot
 *                      protocol (corevisor verifies the signatures: a bad
 *                      image stops the machine, as the spec says).
 *   CV_IOC_RUN_VCPU    run one vCPU in the calling thread (one thread per
 *                      vCPU, bound to one host CPU for the VM's life) until
 *                      an exit user space must see: an MMIO access (a
 *                      load is answered through mmio_data at the next
 *                      RUN_VCPU of that vCPU), the vCPU's CPU_OFF or the
 *                      VM's SYSTEM_OFF. A signal ends it with EINTR.
 *   CV_IOC_RECLAIM     once the VM powered off and no vCPU runs: the VM is
 *                      destroyed (HVC_DESTROY_VM), its pages back to Linux,
 *                      zeroed. Closing the file does the same (forced when
 *                      the VM did not power off: its launcher went away).
 *   CV_IOC_GPA_TO_PA   which host page backs a guest IPA (the host placed
 *                      it there; tests aim attacks with it).
 *   CV_IOC_BENCH_NOOP  time @iterations HVC_NOOP round trips in the module.
 */
#ifndef COREVISOR_DEV_H
#define COREVISOR_DEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CV_DEV_PATH "/dev/corevisor"
#define CV_MAX_IMAGE_BYTES (64ULL << 20) /* all images of a VM together */
#define CV_MAX_DATA_IMAGES 4

struct cv_create_vm {
	__u64 image;  /* user address of the signed image */
	__u64 size;   /* its bytes */
	__u32 nvcpus; /* 1..8 */
	__u32 vmid;   /* out: corevisor's vmid */
	char name[16];
	__u32 ndata;			/* data images, 0..CV_MAX_DATA_IMAGES */
	__u32 pad;			/* 0 */
	__u64 data[CV_MAX_DATA_IMAGES]; /* user addresses */
	__u64 data_size[CV_MAX_DATA_IMAGES]; /* their bytes */
};

#define CV_CPU_ANY 0xffffffffU

/* CV_IOC_RUN_VCPU's reasons. */
#define CV_RUN_MMIO 1
/*
 * The vCPU is off (its PSCI CPU_OFF, or never started): RUN it again to
 * wait until a CPU_ON from its guest starts it, or the VM is off.
 */
#define CV_RUN_CPU_OFF 2
#define CV_RUN_VM_OFF 3

struct cv_run {
	__u32 vcpu;   /* in */
	__u32 cpu;    /* in: host CPU for the first run (or CV_CPU_ANY); out */
	__u32 reason; /* out: CV_RUN_* */
	__u32 mmio_len;
	__u64 mmio_ipa;
	__u64 mmio_data; /* out: a store's value; in: the last load's value */
	__u32 mmio_is_write;
	__u32 pad;
};

struct cv_reclaim {
	__u64 pages; /* out: pages given back to Linux */
};

struct cv_gpa {
	__u64 ipa; /* in */
	__u64 pa;  /* out */
};

struct cv_bench {
	__u64 iterations; /* in */
	__u64 ns;	  /* out: ktime for all of them */
};

#define CV_IOC_CREATE_VM _IOWR('C', 1, struct cv_create_vm)
#define CV_IOC_RUN_VCPU _IOWR('C', 2, struct cv_run)
#define CV_IOC_RECLAIM _IOR('C', 3, struct cv_reclaim)
#define CV_IOC_GPA_TO_PA _IOWR('C', 4, struct cv_gpa)
#define CV_IOC_BENCH_NOOP _IOWR('C', 5, struct cv_bench)

#endif
