// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * corevisor.ko: KServ as a Linux module. /dev/corevisor creates VMs from
 * signed images and runs their vCPUs (include/corevisor/dev.h) with the
 * VM management shared with the bare-metal host (host/vmm, behind
 * host/include/host/platform.h, whose calls this file implements).
 *
 * Memory: each image goes into a CMA block (dma_alloc_pages on the
 * module's platform device: Debian's kernel has CONFIG_DMA_CMA with a
 * 64 MiB default area and CONFIG_CMA_ALIGNMENT=8, 1 MiB, so the block is
 * asked 2 MiB larger and its 2 MiB-aligned part used). A RAM fault gets a
 * zeroed page from the buddy allocator. Both stay allocated (pinned, and
 * no longer in the host's stage 2 once corevisor gives them to the VM)
 * until HVC_DESTROY_VM gave them back, zeroed: once the VM powered off
 * (CV_IOC_RECLAIM), or when its file is closed (its launcher exited or was
 * killed; forced, as no vCPU of it can run any more).
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
#include <linux/moduleparam.h>
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
	/* One CMA block per image: the boot image's first. */
	struct cv_block {
		struct page *page;
		u64 bytes;
		dma_addr_t dma;
	} block[1 + CV_MAX_DATA_IMAGES];
	u32 nblocks;
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
static u32 vms_live; /* VMs corevisor holds a vmid for (at most 15) */
/* VMs corevisor refused to destroy (see release): their pages stay out. */
static LIST_HEAD(stopped_vms);
/* Pages destroyed VMs gave back to Linux since the module loaded. */
static unsigned long pages_returned;
module_param(pages_returned, ulong, 0444);
MODULE_PARM_DESC(pages_returned,
		 "pages of destroyed VMs given back to Linux (read-only)");

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
	struct cv_block *b;
	u64 pa;

	if (cvm->nblocks == ARRAY_SIZE(cvm->block))
		return 0;
	b = &cvm->block[cvm->nblocks];
	b->bytes = size + BLOCK_ALIGN - PAGE_SIZE;
	b->page = dma_alloc_pages(&cv_pdev->dev, b->bytes, &b->dma,
				  DMA_BIDIRECTIONAL, GFP_KERNEL);
	if (!b->page)
		return 0;
	cvm->nblocks++;
	pa = ALIGN(page_to_phys(b->page), BLOCK_ALIGN);
	note_span(cvm, pa, size);
	return pa;
}

static void free_blocks(struct cv_vm *cvm)
{
	for (u32 i = 0; i < cvm->nblocks; i++)
		dma_free_pages(&cv_pdev->dev, cvm->block[i].bytes,
			       cvm->block[i].page, cvm->block[i].dma,
			       DMA_BIDIRECTIONAL);
	cvm->nblocks = 0;
}

/* The pages of the VM's image blocks (given to it at VERIFY). */
static u64 image_pages(const struct cv_vm *cvm)
{
	u64 bytes = cvm->vmm.block_size;

	for (u32 i = 0; i < cvm->vmm.ndata; i++)
		bytes += cvm->vmm.data_block_size[i];
	return bytes / PAGE_SIZE;
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

static void free_image_copies(struct vmm_image *img,
			      struct vmm_data_image *extra)
{
	kvfree(img->data);
	for (u32 i = 0; i < img->ndata; i++)
		kvfree(extra[i].data);
}

/* A copy of @size bytes of user memory at @uaddr, or an ERR_PTR. */
static void *copy_image(u64 uaddr, u64 size)
{
	void *data = kvmalloc(size, GFP_KERNEL);

	if (!data)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(data, u64_to_user_ptr(uaddr), size)) {
		kvfree(data);
		return ERR_PTR(-EFAULT);
	}
	return data;
}

static int create_vm(struct cv_file *f, struct cv_create_vm __user *uarg)
{
	struct cv_create_vm a;
	struct vmm_data_image extra[CV_MAX_DATA_IMAGES];
	struct vmm_image img = {0};
	struct cv_vm *cvm;
	char name[sizeof(a.name) + 1];
	u64 total;
	void *data;
	int err;

	BUILD_BUG_ON(CV_MAX_DATA_IMAGES > VMM_MAX_DATA_IMAGES);
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (f->vm)
		return -EEXIST; /* one VM per open file */
	if (!a.size || a.size > CV_MAX_IMAGE_BYTES || a.nvcpus < 1 ||
	    a.nvcpus > VMM_MAX_VCPUS || a.ndata > CV_MAX_DATA_IMAGES || a.pad)
		return -EINVAL;
	total = a.size;
	for (u32 i = 0; i < a.ndata; i++) {
		if (!a.data_size[i] || a.data_size[i] > CV_MAX_IMAGE_BYTES)
			return -EINVAL;
		total += a.data_size[i];
	}
	if (total > CV_MAX_IMAGE_BYTES)
		return -EINVAL;
	memcpy(name, a.name, sizeof(a.name));
	name[sizeof(a.name)] = '\0';
	img = (struct vmm_image){.size = a.size,
				 .nvcpus = a.nvcpus,
				 .name = name,
				 .extra = extra};
	data = copy_image(a.image, a.size);
	if (IS_ERR(data))
		return PTR_ERR(data);
	img.data = data;
	for (u32 i = 0; i < a.ndata; i++) {
		data = copy_image(a.data[i], a.data_size[i]);
		if (IS_ERR(data)) {
			free_image_copies(&img, extra);
			return PTR_ERR(data);
		}
		extra[i] = (struct vmm_data_image){.data = data,
						   .size = a.data_size[i]};
		img.ndata = i + 1;
	}
	if (!vmm_image_load_addr(&img)) {
		free_image_copies(&img, extra);
		return -EINVAL;
	}
	cvm = kvzalloc(sizeof(*cvm), GFP_KERNEL);
	if (!cvm) {
		free_image_copies(&img, extra);
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
	 * corevisor has vmids 1..15 (gen_vmid panics past them) and reuses
	 * a destroyed VM's: refuse a sixteenth VM alive at once here.
	 */
	if (vms_live >= MAX_VM_NUM) {
		mutex_unlock(&boot_lock);
		pr_warn("corevisor: all %u vmids in use\n", MAX_VM_NUM);
		free_image_copies(&img, extra);
		kvfree(cvm);
		return -ENOSPC;
	}
	err = vmm_vm_boot(&cvm->vmm, &img);
	if (!err)
		vms_live++;
	mutex_unlock(&boot_lock);
	free_image_copies(&img, extra);
	if (err) {
		free_blocks(cvm);
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
 * HVC_DESTROY_VM (@flags: 0 once the VM powered off, CV_DESTROY_FORCE
 * when its file is closed): every page given to the VM comes back to the
 * host zeroed, then to Linux; its vmid is free. Returns the pages freed;
 * -EBUSY while the VM is on (without FORCE) or a vCPU runs, or when
 * corevisor refused (the pages then stay out of Linux's hands).
 */
static long destroy(struct cv_vm *cvm, u64 flags)
{
	u64 pages, r;
	unsigned long irqf;

	spin_lock_irqsave(&cvm->lock, irqf);
	if (cvm->reclaimed) {
		spin_unlock_irqrestore(&cvm->lock, irqf);
		return 0;
	}
	if ((!READ_ONCE(cvm->vmm.off) && !(flags & CV_DESTROY_FORCE)) ||
	    any_vcpu_busy(cvm)) {
		spin_unlock_irqrestore(&cvm->lock, irqf);
		return -EBUSY;
	}
	cvm->reclaimed = true; /* no RUN_VCPU from now on */
	spin_unlock_irqrestore(&cvm->lock, irqf);

	r = vmm_vm_destroy(&cvm->vmm, flags);
	if (r != CV_DESTROY_OK) {
		pr_warn("host: vm%u '%s': DESTROY_VM returned %llu; its pages "
			"stay the VM's\n",
			cvm->vmm.vmid, cvm->vmm.name, r);
		return -EBUSY;
	}
	mutex_lock(&boot_lock);
	vms_live--;
	mutex_unlock(&boot_lock);
	pages = cvm->npages + image_pages(cvm);
	free_page_list(&cvm->pages);
	free_page_list(&cvm->spare);
	free_blocks(cvm);
	pages_returned += pages;
	pr_info("host: vm%u '%s': %llu page(s) back to Linux (DESTROY_VM%s)\n",
		cvm->vmm.vmid, cvm->vmm.name, pages,
		flags & CV_DESTROY_FORCE ? ", forced: its file was closed"
					 : "");
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
			/* Off (not started, or CPU_OFF): its guest's CPU_ON
			 * wakes us. */
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
	g.pa = 0;
	if (g.ipa >= base && g.ipa - base < cvm->vmm.block_size)
		g.pa = cvm->vmm.block_pa + (g.ipa - base);
	for (u32 i = 0; !g.pa && i < cvm->vmm.ndata; i++) {
		base = cvm->vmm.data_load_addr[i] & ~(BLOCK_ALIGN - 1);
		if (g.ipa >= base && g.ipa - base < cvm->vmm.data_block_size[i])
			g.pa = cvm->vmm.data_block_pa[i] + (g.ipa - base);
	}
	if (!g.pa && (g.pa = vmm_page_of(&cvm->vmm, g.ipa)))
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
 * killed or not): no vCPU runs any more (each RUN_VCPU holds the file),
 * and none ever will. The VM is destroyed, powered off or not: its pages
 * come back zeroed, and go back to Linux. Should corevisor refuse, the
 * pages stay the VM's and stay allocated here, never back to Linux's
 * allocator, where Linux would touch them and corevisor would stop the
 * machine.
 */
static int cv_release(struct inode *inode, struct file *file)
{
	struct cv_file *f = file->private_data;
	struct cv_vm *cvm = f->vm;

	if (cvm) {
		bool on = !READ_ONCE(cvm->vmm.off);

		if (on)
			pr_info("host: vm%u '%s' stopped before it powered off "
				"(its launcher went away): destroying it\n",
				cvm->vmm.vmid, cvm->vmm.name);
		if (cvm->reclaimed ||
		    destroy(cvm, on ? CV_DESTROY_FORCE : 0) >= 0) {
			mmdrop(cvm->mm);
			kvfree(cvm);
		} else {
			pr_warn("host: vm%u '%s': its %llu page(s) stay the "
				"VM's\n",
				cvm->vmm.vmid, cvm->vmm.name,
				cvm->npages + image_pages(cvm));
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
		ret = destroy(f->vm, 0);
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
