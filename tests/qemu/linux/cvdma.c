// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * cvdma.ko: root turns a DMA-capable device against a VM or corevisor.
 * The device is QEMU's `edu` (PCI 1234:11e8, given dma_mask=all ones so
 * it takes any 64-bit address): it copies up to 4 KiB between memory and
 * its own buffer (BAR0 + 0x40000) when told, with no driver's consent.
 *
 * First a legitimate round trip through a buffer of the module's own
 * (the device works through corevisor's SMMU), then, for pa= (a VM's
 * page) and core= (corevisor's memory): a read into the device's buffer
 * (which must not change: the SMMU faults), a read back of that buffer,
 * and for pa= a write of the device's buffer over the page. After each,
 * HVC_SMMUV3_EVENTS: corevisor prints the faults the SMMU recorded.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>

#include <corevisor/abi.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 1
#define EDU_DMA_TO_RAM 2 /* device buffer -> memory; else memory -> buffer */
#define EDU_BUF 0x40000ULL
#define LEN 1024U /* QEMU 7.2 refuses a transfer of its whole 4 KiB buffer */

static unsigned long long pa, core;
static bool vmdma;
module_param(pa, ullong, 0400);
module_param(core, ullong, 0400);
module_param(vmdma, bool, 0400);

static void __iomem *bar;

static u64 hvc(u64 nr, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 asm("x0") = nr;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;

	asm volatile("hvc #0"
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
		     :
		     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
		       "x13", "x14", "x15", "x16", "x17", "memory");
	return x0;
}

static u64 events(void)
{
	return hvc(HVC_SMMUV3_EVENTS, 0, 0, 0);
}

static int dma(u64 src, u64 dst, bool to_ram)
{
	writeq(src, bar + EDU_DMA_SRC);
	writeq(dst, bar + EDU_DMA_DST);
	writeq(LEN, bar + EDU_DMA_CNT);
	writeq(EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0),
	       bar + EDU_DMA_CMD);
	for (int ms = 0; ms < 5000; ms += 10) {
		if (!(readq(bar + EDU_DMA_CMD) & EDU_DMA_START))
			return 0;
		msleep(10);
	}
	pr_info("cvdma: the device never finished\n");
	return -ETIMEDOUT;
}

/* Read @target into the device's buffer, then the buffer into @back. */
static void attack_read(const char *what, u64 target, const u8 *pattern,
			u8 *back, dma_addr_t back_bus)
{
	pr_info("cvdma: device reads %s at pa 0x%llx\n", what, target);
	memset(back, 0, LEN);
	if (dma(target, EDU_BUF, false) || dma(EDU_BUF, back_bus, true))
		return;
	/* A faulting read leaves the buffer, or fills it with zeros. */
	if (!memcmp(back, pattern, LEN) || !memchr_inv(back, 0, LEN))
		pr_info("cvdma: %s: nothing came, the device's buffer holds "
			"%s\n",
			what, back[0] ? "what it held" : "zeros");
	else
		pr_info("cvdma: %s: the device read other data: leaked "
			"(%*phN)\n",
			what, 8, back);
	pr_info("cvdma: %llu SMMU event(s) reported\n",
		(unsigned long long)events());
}

/*
 * vmdma=1: the device's stream attached to a VM (HVC_SMMUV3_ATTACH) with
 * two of the VM's pages, A at VM_IOVA and B (zeros) after it
 * (HVC_SMMUV3_MAP). edu's buffer is not readable through BAR0, so the
 * module looks at it by detaching the stream (back to the host's table:
 * the VM is not verified, so it may) and copying the buffer into its
 * own memory.
 */
/* No host page there: the host's table faults. */
#define VM_IOVA 0x10000000ULL

static void fill(u8 *p, u8 seed)
{
	for (u32 i = 0; i < LEN; i++)
		p[i] = (u8)(i * 13 + seed);
}

static bool holds(const u8 *p, u8 seed)
{
	for (u32 i = 0; i < LEN; i++)
		if (p[i] != (u8)(i * 13 + seed))
			return false;
	return true;
}

static u64 attach(u32 sid, u64 vmid)
{
	return hvc(HVC_SMMUV3_ATTACH, sid, vmid, 0);
}

/* The device's buffer, as it is, into @back (through the host's table). */
static int look(u32 sid, u64 vmid, u8 *back, dma_addr_t back_bus)
{
	int err;

	attach(sid, 0);
	memset(back, 0, LEN);
	err = dma(EDU_BUF, back_bus, true);
	attach(sid, vmid);
	return err;
}

static void vm_stream(struct pci_dev *pdev, u8 *own, dma_addr_t own_bus,
		      u8 *back, dma_addr_t back_bus)
{
	struct page *a = alloc_page(GFP_KERNEL), *b = alloc_page(GFP_KERNEL);
	u32 sid = pci_dev_id(pdev);
	u64 vmid, r;

	if (!a || !b)
		goto out;
	memset(page_address(a), 0xee, PAGE_SIZE);
	memset(page_address(b), 0, PAGE_SIZE);
	/* The pattern into the device's buffer, while it is the host's. */
	fill(own, 0x31);
	if (dma(own_bus, EDU_BUF, false))
		goto out;
	vmid = hvc(HVC_REGISTER_KVM, 0, 0, 0);
	/* The host hands the pages over, then the stream. */
	hvc(HVC_ASSIGN_SMMU, vmid, page_to_pfn(a), VM_IOVA >> PAGE_SHIFT);
	hvc(HVC_ASSIGN_SMMU, vmid, page_to_pfn(b), (VM_IOVA >> PAGE_SHIFT) + 1);
	r = attach(sid, vmid);
	r |= hvc(HVC_SMMUV3_MAP, vmid, VM_IOVA, page_to_pfn(a));
	r |= hvc(HVC_SMMUV3_MAP, vmid, VM_IOVA + PAGE_SIZE, page_to_pfn(b));
	pr_info("cvdma: stream 0x%x attached to vm %llu, its pfn 0x%lx at "
		"iova 0x%llx: %llu\n",
		sid, vmid, page_to_pfn(a), VM_IOVA, r);

	/* (a) Into page A; the buffer cleared from B; A read back. */
	if (dma(EDU_BUF, VM_IOVA + 0x100, true) ||
	    dma(VM_IOVA + PAGE_SIZE, EDU_BUF, false) ||
	    dma(VM_IOVA + 0x100, EDU_BUF, false) ||
	    look(sid, vmid, back, back_bus))
		goto out;
	pr_info("cvdma: vm stream: the device wrote the vm's page and read "
		"it back: %s\n",
		holds(back, 0x31) ? "ok" : "lost");
	pr_info("cvdma: %llu SMMU event(s) reported\n",
		(unsigned long long)events());

	/* (b) A host page the host's table maps: now a fault. */
	fill(own, 0x77);
	pr_info("cvdma: vm stream: device reads host page at 0x%llx\n",
		(unsigned long long)own_bus);
	if (dma(own_bus, EDU_BUF, false) || look(sid, vmid, back, back_bus))
		goto out;
	pr_info("cvdma: vm stream: host page: %s\n",
		holds(back, 0x77) ? "leaked" : "nothing came");
	pr_info("cvdma: %llu SMMU event(s) reported\n",
		(unsigned long long)events());

	/* (c) The VM destroyed: the stream is the host's, the IOVA faults. */
	r = hvc(HVC_DESTROY_VM, vmid, CV_DESTROY_FORCE, 0);
	pr_info("cvdma: vm %llu destroyed: %llu, stream 0x%x back to the "
		"host\n",
		vmid, r, sid);
	fill(own, 0x55);
	memset(back, 0, LEN);
	if (dma(own_bus, EDU_BUF, false) ||
	    dma(VM_IOVA + 0x100, EDU_BUF, false) ||
	    dma(EDU_BUF, back_bus, true))
		goto out;
	pr_info("cvdma: after destroy: iova 0x%llx: %s\n", VM_IOVA,
		holds(back, 0x31) ? "leaked" : "nothing came");
	pr_info("cvdma: %llu SMMU event(s) reported\n",
		(unsigned long long)events());
	pr_info("cvdma: the page back with the host is %s\n",
		memchr_inv(page_address(a), 0, PAGE_SIZE) ? "not zero"
							  : "zero");
out:
	if (b)
		__free_page(b);
	if (a)
		__free_page(a);
}

static int __init cvdma_init(void)
{
	struct pci_dev *pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	dma_addr_t own_bus, back_bus;
	u8 *own, *back;
	int err = -ENODEV;

	if (!pdev) {
		pr_info("cvdma: no edu device\n");
		return -ENODEV;
	}
	if (pci_enable_device(pdev))
		goto put;
	pci_set_master(pdev);
	bar = pci_iomap(pdev, 0, 0);
	own = dma_alloc_coherent(&pdev->dev, LEN, &own_bus, GFP_KERNEL);
	back = dma_alloc_coherent(&pdev->dev, LEN, &back_bus, GFP_KERNEL);
	if (!bar || !own || !back)
		goto out;

	/* The device works: own buffer -> device -> another buffer. */
	for (u32 i = 0; i < LEN; i++)
		own[i] = (u8)(i * 7 + 0x50);
	memset(back, 0, LEN);
	if (dma(own_bus, EDU_BUF, false) || dma(EDU_BUF, back_bus, true))
		goto out;
	pr_info("cvdma: round trip through the device (bus 0x%llx): %s\n",
		(unsigned long long)own_bus,
		memcmp(own, back, LEN) ? "corrupted" : "ok");

	if (pa) {
		attack_read("vm page", pa, own, back, back_bus);
		/* The device's buffer: the pattern again, then over the page.
		 */
		pr_info("cvdma: device writes its buffer over pa 0x%llx\n", pa);
		if (!dma(own_bus, EDU_BUF, false))
			dma(EDU_BUF, pa, true);
		pr_info("cvdma: %llu SMMU event(s) reported\n",
			(unsigned long long)events());
	}
	if (core)
		attack_read("corevisor memory", core, own, back, back_bus);
	if (vmdma)
		vm_stream(pdev, own, own_bus, back, back_bus);
	err = -ECANCELED; /* done: nothing to keep loaded (EAGAIN is retried) */
out:
	if (back)
		dma_free_coherent(&pdev->dev, LEN, back, back_bus);
	if (own)
		dma_free_coherent(&pdev->dev, LEN, own, own_bus);
	if (bar)
		pci_iounmap(pdev, bar);
	pci_clear_master(pdev);
	pci_disable_device(pdev);
put:
	pci_dev_put(pdev);
	return err;
}

module_init(cvdma_init);
MODULE_DESCRIPTION("corevisor test: a device's DMA aimed at a VM or corevisor");
MODULE_LICENSE("Dual MIT/GPL");
