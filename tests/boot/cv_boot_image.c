// SPDX-License-Identifier: MIT
/*
 * cv-boot-image PUBLIC_KEY_FILE LOAD_ADDR IMAGE: boot IMAGE (as made by
 * tools/cv-sign) in a VM on the hosted machine, trusting only
 * PUBLIC_KEY_FILE, the way a host would: register the VM, declare the
 * image, write it into host pages at LOAD_ADDR's offset within a 2 MiB
 * block, remap every page, verify. Exit 0 when the VM ends VERIFIED and
 * reads back IMAGE at LOAD_ADDR; 1, printing the core's halt reason,
 * otherwise. Used by `make test-cv-sign` (mk/boot.mk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/hosted.h>

#include "hosted_internal.h"

#define HOST_PA 0x48000000ULL /* in the default RAM, 2 MiB aligned */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "cv-boot-image: cannot read %s\n", path);
		exit(2);
	}
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n) {
		fprintf(stderr, "cv-boot-image: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	*len = n;
	return buf;
}

static int fail(const char *what)
{
	printf("cv-boot-image: %s: %s\n", what,
	       cv_hosted_halted() ? cv_hosted_halt_reason() : "(running)");
	return 1;
}

/* The host's side of the boot protocol for one image. */
static int boot(const uint8_t *pk, uint64_t load, const uint8_t *img,
		size_t len)
{
	struct cv_hosted_config cfg;
	uint64_t pa = HOST_PA + (load & 0x1fffff), vmid, idx;
	uint8_t *back;
	bool same;

	cv_hosted_default_config(&cfg);
	memcpy(cfg.trusted_keys[0], pk, 32);
	cfg.ntrusted_keys = 1;
	if (cv_hosted_boot(&cfg))
		return fail("boot");
	cv_hosted_set_cpu(0);
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);

	vmid = cv_hosted_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
	cv_hosted_hvc(HVC_REGISTER_VCPU, vmid, 0, 0, 0, 0);
	idx = cv_hosted_hvc(HVC_SET_BOOT_INFO, vmid, load, len, 0, 0);
	if (!cv_hosted_host_write(pa, img, len))
		return fail("host write");
	for (uint64_t off = 0; off < len; off += 4096)
		cv_hosted_hvc(HVC_REMAP_VM_IMAGE, vmid, (pa + off) >> 12, idx,
			      0, 0);
	cv_hosted_hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	if (cv_hosted_halted() || cv_hosted_vm_state(vmid) != 3 /* VERIFIED */)
		return fail("verify");

	back = malloc(len);
	same = back && cv_hosted_vm_read(vmid, load, back, len, NULL) &&
	       !memcmp(back, img, len);
	free(back);
	if (!same)
		return fail("VM's view of the image");
	printf("cv-boot-image: vm %llu verified, image at 0x%llx\n",
	       (unsigned long long)vmid, (unsigned long long)load);
	return 0;
}

int main(int argc, char **argv)
{
	size_t pklen, len;
	uint8_t *pk, *img;
	int rc = 2;

	if (argc != 4) {
		fprintf(stderr, "usage: cv-boot-image PUBLIC_KEY LOAD_ADDR "
				"IMAGE\n");
		return 2;
	}
	pk = slurp(argv[1], &pklen);
	img = slurp(argv[3], &len);
	if (pklen != 32 || len == 0 || len > (1 << 20))
		fprintf(stderr, "cv-boot-image: bad key or image size\n");
	else
		rc = boot(pk, strtoull(argv[2], NULL, 0), img, len);
	free(pk);
	free(img);
	return rc;
}
