// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * cvpeek.ko: root's way around /dev/mem's refusal (CONFIG_STRICT_DEVMEM
 * denies RAM): a module that reads (or, with write=1, writes) the 8 bytes
 * at physical address pa= through the kernel's linear map. The Linux-host
 * QEMU tests aim it at a VM's page: corevisor must stop the machine
 * before the access completes.
 */
#include <linux/io.h>
#include <linux/module.h>

static unsigned long long pa;
module_param(pa, ullong, 0400);
static bool write;
module_param(write, bool, 0400);

static int __init cvpeek_init(void)
{
	volatile u64 *p;

	if (!pa || !pfn_valid(PHYS_PFN(pa)))
		return -EINVAL;
	p = phys_to_virt((phys_addr_t)pa);
	if (write) {
		pr_info("cvpeek: writing pa 0x%llx\n", pa);
		*p = 0x4141414141414141ULL;
		pr_info("cvpeek: wrote pa 0x%llx\n", pa);
	} else {
		pr_info("cvpeek: reading pa 0x%llx\n", pa);
		pr_info("cvpeek: read 0x%llx\n", (unsigned long long)*p);
	}
	return -EAGAIN; /* nothing to keep loaded */
}

module_init(cvpeek_init);
MODULE_DESCRIPTION("corevisor test: read or write a physical address");
MODULE_LICENSE("Dual MIT/GPL");
