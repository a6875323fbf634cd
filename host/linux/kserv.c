// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * corevisor.ko: KServ as a Linux module. /dev/corevisor creates VMs from
 * signed images and runs their vCPUs (include/corevisor/dev.h) with the
 * VM management shared with the bare-metal host (host/vmm, behind
 * host/include/host/platform.h, whose calls this file implements).
 *
 * Memory: an image goes into a CMA block (dma_alloc_pages on the
 * module's platform device: Debian's kernel has CONFIG_DMA_CMA with a
 * 64 MiB default area and CONFIG_CMA_ALIGNMENT=8, 1 MiB, so the block is
 * asked 2 MiB larger and its 2 MiB-aligned part used). A RAM fault gets a
 * zeroed page from the buddy allocator. Both stay allocated (pinned, and
 * no longer in the host's stage 2 once corevisor gives them to the VM)
 * until the VM powered off and HVC_CLEAR_VM_S2_RANGE gave them back.
 *
 * The shared vCPU area is the /reserved-memory node corevisor added to
 * the DTB ("corevisor,shared-vcpu-area", no-map): Linux never allocates
 * it; this module maps it and claims the region, so /dev/mem cannot map
 * it either (CONFIG_IO_STRICT_DEVMEM).
 */
#include <linux/cpumask.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/of_reserved_mem.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/dev.h>
#include <corevisor/sealed.h>
#include <host/vmm.h>

#define SHARED_COMPATIBLE "corevisor,shared-vcpu-area"
#define BLOCK_ALIGN 0x200000ULL

struct cv_vcpu_slot {
	bool busy; /* a thread is in RUN_VCPU for it */
	int cpu;   /* the host CPU it runs on, -1 before its first run */
};

struct cv_vm {
	struct vmm_vm vmm;
	struct mm_struct *mm; /* the creating process's */
	spinlock_t lock;      /* slots, pages, spare */
	struct cv_vcpu_slot slot[VMM_MAX_VCPUS];
	wait_queue_head_t wq;
	struct page *block;
	u64 block_bytes;
	dma_addr_t block_dma;
	struct list_head pages; /* given to the VM (page->lru) */
	u64 npages;
	struct list_head spare; /* zeroed, ready for the next fault */
	u64 pa_min, pa_max;	/* span of everything given to the VM */
	bool reclaimed;
	struct list_head stopped; /* on stopped_vms once orphaned */
};

struct cv_file {
	struct mutex lock;
	struct cv_vm *vm;
};

static struct platform_device *cv_pdev;
static void *shared_va;
static struct resource *shared_res;
static DEFINE_MUTEX(boot_lock); /* vmid accounting, one boot at a time */
static u32 vmids_used;
/* VMs whose launcher went away before they powered off (see release). */
static LIST_HEAD(stopped_vms);

/* ---- host/platform.h ------------------------------------------------- */

u64 hvc(u64 nr, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	register u64 x0 asm("x0") = nr;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;
	register u64 x4 asm("x4") = a4;
	register u64 x5 asm("x5") = a5;

	asm volatile("hvc #0"
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4),
		       "+r"(x5)
		     :
		     : "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
		       "x14", "x15", "x16", "x17", "memory");
	return x0;
}

void host_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

static struct cv_vm *cv_vm_of(struct vmm_vm *vm)
{
	return container_of(vm, struct cv_vm, vmm);
}

static void note_span(struct cv_vm *cvm, u64 pa, u64 bytes)
{
	if (!cvm->pa_max || pa < cvm->pa_min)
		cvm->pa_min = pa;
	if (pa + bytes > cvm->pa_max)
		cvm->pa_max = pa + bytes;
}

u64 host_vm_block(struct vmm_vm *vm, u64 size)
{
	struct cv_vm *cvm = cv_vm_of(vm);
	u64 pa;

	cvm->block_bytes = size + BLOCK_ALIGN - PAGE_SIZE;
	cvm->block =
		dma_alloc_pages(&cv_pdev->dev, cvm->block_bytes,
				&cvm->block_dma, DMA_BIDIRECTIONAL, GFP_KERNEL);
	if (!cvm->block)
		return 0;
	pa = ALIGN(page_to_phys(cvm->block), BLOCK_ALIGN);
	note_span(cvm, pa, size);
	return pa;
}

/*
 * Called between the VCPU_RUN hypercall and the next, with preemption off
 * (the vCPU's thread stays on its CPU): a page the run loop put aside
 * (refill_spare), else an atomic allocation.
 */
u64 host_vm_page(struct vmm_vm *vm)
{
	struct cv_vm *cvm = cv_vm_of(vm);
	struct page *pg;
	unsigned long flags;

	spin_lock_irqsave(&cvm->lock, flags);
	pg = list_first_entry_or_null(&cvm->spare, struct page, lru);
	if (pg)
		list_del(&pg->lru);
	spin_unlock_irqrestore(&cvm->lock, flags);
	if (!pg)
		pg = alloc_page(GFP_ATOMIC | __GFP_ZERO);
	if (!pg)
		return 0;
	spin_lock_irqsave(&cvm->lock, flags);
	list_add(&pg->lru, &cvm->pages);
	cvm->npages++;
	note_span(cvm, page_to_phys(pg), PAGE_SIZE);
	spin_unlock_irqrestore(&cvm->lock, flags);
	return page_to_phys(pg);
}

void *host_shared_map(u64 pa, u64 size)
{
	return shared_va;
}

void host_vcpu_wake(struct vmm_vcpu *v)
{
	wake_up_all(&cv_vm_of(v->vm)->wq);
}

/* ---- VM life --------------------------------------------------------- */

static void free_page_list(struct list_head *l)
{
	struct page *pg, *n;

	list_for_each_entry_safe(pg, n, l, lru)
	{
		list_del(&pg->lru);
		__free_page(pg);
	}
}

static int create_vm(struct cv_file *f, struct cv_create_vm __user *uarg)
{
	struct cv_create_vm a;
	struct vmm_image img;
	struct cv_vm *cvm;
	char name[sizeof(a.name) + 1];
	void *data;
	int err;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (f->vm)
		return -EEXIST; /* one VM per open file */
	if (!a.size || a.size > CV_MAX_IMAGE_BYTES || a.nvcpus < 1 ||
	    a.nvcpus > VMM_MAX_VCPUS)
		return -EINVAL;
	memcpy(name, a.name, sizeof(a.name));
	name[sizeof(a.name)] = '\0';
	data = kvmalloc(a.size, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	if (copy_from_user(data, u64_to_user_ptr(a.image), a.size)) {
		kvfree(data);
		return -EFAULT;
	}
	img = (struct vmm_image){
		.data = data, .size = a.size, .nvcpus = a.nvcpus, .name = name};
	if (!vmm_image_load_addr(&img)) {
		kvfree(data);
		return -EINVAL;
	}
	cvm = kvzalloc(sizeof(*cvm), GFP_KERNEL);
	if (!cvm) {
		kvfree(data);
		return -ENOMEM;
	}
	spin_lock_init(&cvm->lock);
	init_waitqueue_head(&cvm->wq);
	INIT_LIST_HEAD(&cvm->pages);
	INIT_LIST_HEAD(&cvm->spare);
	INIT_LIST_HEAD(&cvm->stopped);
	for (int i = 0; i < VMM_MAX_VCPUS; i++)
		cvm->slot[i].cpu = -1;

	mutex_lock(&boot_lock);
	/*
	 * corevisor hands out vmids 1..15 once each (gen_vmid) and panics
	 * past them: refuse the sixteenth here instead.
	 */
	if (vmids_used >= MAX_VM_NUM) {
		mutex_unlock(&boot_lock);
		pr_warn("corevisor: all %u vmids used; corevisor does not "
			"reuse them\n",
			MAX_VM_NUM);
		kvfree(data);
		kvfree(cvm);
		return -ENOSPC;
	}
	err = vmm_vm_boot(&cvm->vmm, &img);
	if (!err)
		vmids_used++;
	mutex_unlock(&boot_lock);
	kvfree(data);
	if (err) {
		if (cvm->block)
			dma_free_pages(&cv_pdev->dev, cvm->block_bytes,
				       cvm->block, cvm->block_dma,
				       DMA_BIDIRECTIONAL);
		kvfree(cvm);
		return err == VMM_ENOMEM ? -ENOMEM : -EINVAL;
	}
	mmgrab(current->mm);
	cvm->mm = current->mm;
	f->vm = cvm;
	a.vmid = cvm->vmm.vmid;
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

static bool any_vcpu_busy(struct cv_vm *cvm)
{
	for (u32 i = 0; i < cvm->vmm.nvcpus; i++)
		if (cvm->slot[i].busy)
			return true;
	return false;
}

/*
 * The VM powered off and none of its vCPUs runs: one CLEAR_VM_S2_RANGE
 * over everything given to it makes its pages the host's again (scrubbed
 * by corevisor), then Linux gets them back. Returns the pages freed, or
 * -EBUSY while the VM is on or a vCPU runs.
 */
static long reclaim(struct cv_vm *cvm)
{
	u64 pages;
	unsigned long flags;

	spin_lock_irqsave(&cvm->lock, flags);
	if (cvm->reclaimed) {
		spin_unlock_irqrestore(&cvm->lock, flags);
		return 0;
	}
	if (!READ_ONCE(cvm->vmm.off) || any_vcpu_busy(cvm)) {
		spin_unlock_irqrestore(&cvm->lock, flags);
		return -EBUSY;
	}
	cvm->reclaimed = true;
	spin_unlock_irqrestore(&cvm->lock, flags);

	vmm_vm_reclaim(&cvm->vmm, cvm->pa_min, cvm->pa_max - cvm->pa_min);
	pages = cvm->npages + cvm->vmm.block_size / PAGE_SIZE;
	free_page_list(&cvm->pages);
	free_page_list(&cvm->spare);
	dma_free_pages(&cv_pdev->dev, cvm->block_bytes, cvm->block,
		       cvm->block_dma, DMA_BIDIRECTIONAL);
	cvm->block = NULL;
	pr_info("host: vm%u '%s': %llu page(s) back to Linux "
		"(CLEAR_VM_S2_RANGE 0x%llx-0x%llx)\n",
		cvm->vmm.vmid, cvm->vmm.name, pages, cvm->pa_min,
		cvm->pa_max - 1);
	return (long)pages;
}

/* ---- Running a vCPU -------------------------------------------------- */

/* A zeroed page put aside while sleeping is allowed (host_vm_page). */
static void refill_spare(struct cv_vm *cvm)
{
	struct page *pg;
	unsigned long flags;
	bool empty;

	spin_lock_irqsave(&cvm->lock, flags);
	empty = list_empty(&cvm->spare);
	spin_unlock_irqrestore(&cvm->lock, flags);
	if (!empty)
		return;
	pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!pg)
		return;
	spin_lock_irqsave(&cvm->lock, flags);
	list_add(&pg->lru, &cvm->spare);
	spin_unlock_irqrestore(&cvm->lock, flags);
}

static int pick_cpu(struct cv_vm *cvm, u32 vcpu, u32 want)
{
	if (want != CV_CPU_ANY)
		return want < nr_cpu_ids && cpu_online(want) ? (int)want : -1;
	return (int)cpumask_nth((cvm->vmm.vmid + vcpu) % num_online_cpus(),
				cpu_online_mask);
}

static bool runnable_or_off(struct vmm_vcpu *v)
{
	return READ_ONCE(v->vm->off) ||
	       smp_load_acquire(&v->state) == VMM_VCPU_RUNNABLE;
}

static long run_loop(struct cv_vm *cvm, struct vmm_vcpu *v, int cpu,
		     struct cv_run *r)
{
	enum vmm_action act;

	for (;;) {
		if (READ_ONCE(cvm->vmm.off)) {
			r->reason = CV_RUN_VM_OFF;
			return 0;
		}
		if (smp_load_acquire(&v->state) != VMM_VCPU_RUNNABLE) {
			/* Off (not started, or CPU_OFF): its guest's CPU_ON wakes us. */
			if (wait_event_interruptible(cvm->wq,
						     runnable_or_off(v)))
				return -EINTR;
			continue;
		}
		if (fatal_signal_pending(current) || signal_pending(current))
			return -EINTR;
		refill_spare(cvm);
		preempt_disable();
		if (smp_processor_id() != cpu) {
			preempt_enable();
			if (set_cpus_allowed_ptr(current, cpumask_of(cpu)))
				return -EINVAL;
			continue;
		}
		act = vmm_vcpu_run(v);
		preempt_enable();
		switch (act) {
		case VMM_AGAIN:
		case VMM_IDLE:
			/*
			 * A guest polling PSCI (AFFINITY_INFO) answers in the
			 * kernel every time: let the other vCPU threads run.
			 */
			cond_resched();
			break;
		case VMM_MMIO:
			r->reason = CV_RUN_MMIO;
			r->mmio_ipa = v->mmio.ipa;
			r->mmio_len = v->mmio.len;
			r->mmio_is_write = v->mmio.is_write;
			r->mmio_data = v->mmio.data;
			return 0;
		case VMM_CPU_OFF:
			r->reason = CV_RUN_CPU_OFF;
			return 0;
		case VMM_VM_OFF:
			wake_up_all(&cvm->wq);
			r->reason = CV_RUN_VM_OFF;
			return 0;
		case VMM_ERR_NOMEM:
			return -ENOMEM;
		default:
			return -EIO;
		}
	}
}

static long run_vcpu(struct cv_file *f, struct cv_run __user *uarg)
{
	struct cv_vm *cvm = f->vm;
	struct cv_vcpu_slot *slot;
	struct vmm_vcpu *v;
	struct cv_run r;
	unsigned long flags;
	long ret;
	int cpu;

	if (!cvm)
		return -ENODEV;
	if (current->mm != cvm->mm)
		return -EPERM; /* the VM is its creator's */
	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.vcpu >= cvm->vmm.nvcpus)
		return -EINVAL;
	v = &cvm->vmm.vcpu[r.vcpu];
	slot = &cvm->slot[r.vcpu];

	spin_lock_irqsave(&cvm->lock, flags);
	if (slot->busy || cvm->reclaimed) {
		spin_unlock_irqrestore(&cvm->lock, flags);
		return -EBUSY; /* one thread per vCPU */
	}
	if (slot->cpu < 0) {
		cpu = pick_cpu(cvm, r.vcpu, r.cpu);
		if (cpu < 0) {
			spin_unlock_irqrestore(&cvm->lock, flags);
			return -EINVAL;
		}
		slot->cpu = cpu;
	}
	cpu = slot->cpu;
	slot->busy = true;
	spin_unlock_irqrestore(&cvm->lock, flags);

	/* A vCPU stays on one host CPU (docs/linux-host.md). */
	ret = set_cpus_allowed_ptr(current, cpumask_of(cpu));
	if (!ret) {
		if (v->mmio_read_pending)
			vmm_mmio_complete(v, r.mmio_data);
		ret = run_loop(cvm, v, cpu, &r);
	}
	spin_lock_irqsave(&cvm->lock, flags);
	slot->busy = false;
	spin_unlock_irqrestore(&cvm->lock, flags);
	r.cpu = cpu;
	if (ret)
		return ret;
	return copy_to_user(uarg, &r, sizeof(r)) ? -EFAULT : 0;
}

static long gpa_to_pa(struct cv_vm *cvm, struct cv_gpa __user *uarg)
{
	u64 base = cvm->vmm.load_addr & ~(BLOCK_ALIGN - 1);
	struct cv_gpa g;

	if (copy_from_user(&g, uarg, sizeof(g)))
		return -EFAULT;
	if (g.ipa >= base && g.ipa - base < cvm->vmm.block_size)
		g.pa = cvm->vmm.block_pa + (g.ipa - base);
	else if ((g.pa = vmm_page_of(&cvm->vmm, g.ipa)))
		g.pa += g.ipa & (PAGE_SIZE - 1);
	if (!g.pa)
		return -ENOENT;
	return copy_to_user(uarg, &g, sizeof(g)) ? -EFAULT : 0;
}

/* HVC_NOOP round trips, interrupts off: the bare cost of a hypercall. */
static long bench_noop(struct cv_bench __user *uarg)
{
	struct cv_bench b;
	unsigned long flags;
	u64 t0;

	if (copy_from_user(&b, uarg, sizeof(b)))
		return -EFAULT;
	if (!b.iterations || b.iterations > 10000000)
		return -EINVAL;
	local_irq_save(flags);
	t0 = ktime_get_ns();
	for (u64 i = 0; i < b.iterations; i++)
		vmm_noop();
	b.ns = ktime_get_ns() - t0;
	local_irq_restore(flags);
	return copy_to_user(uarg, &b, sizeof(b)) ? -EFAULT : 0;
}

/* ---- /dev/corevisor -------------------------------------------------- */

static int cv_open(struct inode *inode, struct file *file)
{
	struct cv_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

/*
 * The last reference to the VM's file is gone (its launcher exited,
 * killed or not): no vCPU runs any more, and none ever will. A VM that
 * powered off gives its pages back. One that did not cannot, today:
 * corevisor has no call that stops a VM from the host's side
 * (CLEAR_VM_S2_RANGE does nothing before power-off), so its pages stay
 * the VM's, and they stay allocated here, never back to Linux's
 * allocator, where Linux would touch them and corevisor would stop the
 * machine.
 */
static int cv_release(struct inode *inode, struct file *file)
{
	struct cv_file *f = file->private_data;
	struct cv_vm *cvm = f->vm;

	if (cvm) {
		if (READ_ONCE(cvm->vmm.off)) {
			reclaim(cvm);
			mmdrop(cvm->mm);
			kvfree(cvm);
		} else {
			pr_warn("host: vm%u '%s' stopped before it powered off "
				"(its launcher went away): it never runs "
				"again; "
				"its %llu page(s) stay the VM's\n",
				cvm->vmm.vmid, cvm->vmm.name,
				cvm->npages + cvm->vmm.block_size / PAGE_SIZE);
			mmdrop(cvm->mm);
			cvm->mm = NULL;
			/* Pages put aside for faults were never given. */
			free_page_list(&cvm->spare);
			/* Its memory is still given: the module stays. */
			__module_get(THIS_MODULE);
			mutex_lock(&boot_lock);
			list_add(&cvm->stopped, &stopped_vms);
			mutex_unlock(&boot_lock);
		}
	}
	kfree(f);
	return 0;
}

static long cv_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct cv_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct cv_reclaim rc;
	long ret;

	switch (cmd) {
	case CV_IOC_CREATE_VM:
		mutex_lock(&f->lock);
		ret = create_vm(f, uarg);
		mutex_unlock(&f->lock);
		return ret;
	case CV_IOC_RUN_VCPU:
		return run_vcpu(f, uarg);
	case CV_IOC_RECLAIM:
		if (!f->vm)
			return -ENODEV;
		if (current->mm != f->vm->mm)
			return -EPERM;
		ret = reclaim(f->vm);
		if (ret < 0)
			return ret;
		rc.pages = (u64)ret;
		return copy_to_user(uarg, &rc, sizeof(rc)) ? -EFAULT : 0;
	case CV_IOC_GPA_TO_PA:
		if (!f->vm)
			return -ENODEV;
		return gpa_to_pa(f->vm, uarg);
	case CV_IOC_BENCH_NOOP:
		return bench_noop(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations cv_fops = {
	.owner = THIS_MODULE,
	.open = cv_open,
	.release = cv_release,
	.unlocked_ioctl = cv_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice cv_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "corevisor",
	.fops = &cv_fops,
	.mode = 0600,
};

/*
 * The shared area: corevisor's DTB names it; it must be the area
 * corevisor answers HVC_GET_SHARED_BASE with, and as big as the ABI says.
 */
static int find_shared_area(void)
{
	struct device_node *np;
	struct reserved_mem *rmem;
	u64 base;

	np = of_find_compatible_node(NULL, NULL, SHARED_COMPATIBLE);
	if (!np) {
		pr_err("corevisor: no %s node: not running under corevisor\n",
		       SHARED_COMPATIBLE);
		return -ENODEV;
	}
	rmem = of_reserved_mem_lookup(np);
	of_node_put(np);
	if (!rmem)
		return -ENODEV;
	base = hvc(HVC_GET_SHARED_BASE, 0, 0, 0, 0, 0);
	if (rmem->base != base || rmem->size < CV_SHARED_BYTES) {
		pr_err("corevisor: shared area 0x%llx+0x%llx in the DTB, "
		       "corevisor says 0x%llx\n",
		       (u64)rmem->base, (u64)rmem->size, base);
		return -ENODEV;
	}
	shared_res = request_mem_region(base, CV_SHARED_BYTES,
					"corevisor shared vCPU area");
	if (!shared_res)
		return -EBUSY;
	shared_va = memremap(base, CV_SHARED_BYTES, MEMREMAP_WB);
	if (!shared_va) {
		release_mem_region(base, CV_SHARED_BYTES);
		return -ENOMEM;
	}
	return 0;
}

static int __init cv_init(void)
{
	int err;

	err = find_shared_area();
	if (err)
		return err;
	err = vmm_init();
	if (err)
		goto out_unmap;
	cv_pdev = platform_device_register_simple("corevisor", -1, NULL, 0);
	if (IS_ERR(cv_pdev)) {
		err = PTR_ERR(cv_pdev);
		goto out_unmap;
	}
	err = dma_set_mask_and_coherent(&cv_pdev->dev, DMA_BIT_MASK(64));
	if (err)
		goto out_pdev;
	err = misc_register(&cv_misc);
	if (err)
		goto out_pdev;
	pr_info("corevisor: /dev/corevisor ready (HVC_NOOP -> %llu, shared "
		"vCPU area 0x%llx)\n",
		vmm_noop(), vmm_shared_base());
	return 0;
out_pdev:
	platform_device_unregister(cv_pdev);
out_unmap:
	if (shared_va)
		memunmap(shared_va);
	if (shared_res)
		release_mem_region(shared_res->start, CV_SHARED_BYTES);
	return err;
}

/*
 * Every VM file is closed (each holds a module reference). The pages of
 * stopped VMs stay allocated: corevisor still gives them to those VMs.
 */
static void __exit cv_exit(void)
{
	misc_deregister(&cv_misc);
	platform_device_unregister(cv_pdev);
	memunmap(shared_va);
	release_mem_region(shared_res->start, CV_SHARED_BYTES);
}

module_init(cv_init);
module_exit(cv_exit);
MODULE_DESCRIPTION("corevisor KServ: protected VMs on corevisor");
MODULE_LICENSE("Dual MIT/GPL");
