// SPDX-License-Identifier: MIT
/*
 * `make run` on the hosted machine: boot corevisor with a freshly
 * generated trusted key, load a signed multi-page guest image the way a
 * KVM host does (REGISTER_KVM, REGISTER_VCPU, SET_BOOT_INFO,
 * REMAP_VM_IMAGE per page, VERIFY_VM_IMAGES, then activate the vCPUs),
 * print what each step changed, print who owns which physical pages, and
 * finally show the host being stopped when it touches the VM's memory.
 * Exit status 0 when everything happened as expected.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <corevisor/image.h>
#include <cv/state.h>

#include "hosted_internal.h"

/* Where the VM sees its image. */
#define GUEST_LOAD_IPA ((uint64_t)0x80000000)
/*
 * Where the host stages it: physically contiguous and at the load
 * address's offset within 2 MiB, as verify_and_load_images requires.
 */
#define HOST_IMAGE_PA ((uint64_t)0x48000000)
#define PAYLOAD_BYTES (3 * 4096 + 1000)
#define NVCPUS 2
#define PG ((uint64_t)PAGE_SIZE)

static int failures;

static void expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	failures++;
	fputs("   UNEXPECTED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *state_name(uint32_t s)
{
	static const char *const names[] = {"UNUSED",	"MAPPED",   "READY",
					    "VERIFIED", "POWEROFF", "ACTIVE"};

	return s < 6 ? names[s] : "INVALID";
}

static const char *owner_name(uint32_t owner, char *buf, size_t n)
{
	if (owner == HOSTVISOR)
		return "host";
	if (owner == COREVISOR)
		return "corevisor";
	if (owner == INVALID)
		return "none";
	snprintf(buf, n, "vm%u", owner);
	return buf;
}

static const char *mapping(uint32_t vmid, uint64_t addr, char *buf, size_t n)
{
	struct cv_translation t;

	if (!cv_hosted_translate(vmid, addr, &t))
		return "unmapped";
	snprintf(buf, n, "-> PA 0x%" PRIx64 " (%s)", t.pa,
		 t.level == 3	? "page"
		 : t.level == 2 ? "2 MiB block"
				: "block");
	return buf;
}

/*
 * The signed image: payload || trailer, the trailer's Ed25519ph signature
 * covering the signed header and the payload (include/corevisor/image.h).
 */
static uint8_t *make_image(const uint8_t *sk, uint64_t load_addr,
			   uint64_t *size)
{
	uint64_t total = PAYLOAD_BYTES + CV_IMAGE_TRAILER_BYTES;
	uint8_t *img = calloc(1, total);
	struct cv_image_trailer tr;
	struct cv_image_signed_header hdr;
	crypto_sign_ed25519ph_state st;

	if (!img)
		abort();
	for (uint64_t i = 0; i < PAYLOAD_BYTES; i++)
		img[i] = (uint8_t)(i * 7 + i / 4096);
	memcpy(img, "corevisor demo guest", 20);

	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.domain, CV_IMAGE_DOMAIN, sizeof(CV_IMAGE_DOMAIN) - 1);
	hdr.version = CV_IMAGE_VERSION;
	hdr.flags = CV_IMAGE_FLAG_BOOT;
	hdr.payload_len = PAYLOAD_BYTES;
	hdr.load_addr = load_addr;
	hdr.entry = load_addr; /* the VM boots at its first byte */
	memset(&tr, 0, sizeof(tr));
	memcpy(tr.magic, CV_IMAGE_MAGIC, CV_IMAGE_MAGIC_LEN);
	tr.version = CV_IMAGE_VERSION;
	tr.flags = CV_IMAGE_FLAG_BOOT;
	tr.payload_len = PAYLOAD_BYTES;
	tr.load_addr = load_addr;
	tr.entry = load_addr;
	crypto_sign_ed25519ph_init(&st);
	crypto_sign_ed25519ph_update(&st, (const uint8_t *)&hdr, sizeof(hdr));
	crypto_sign_ed25519ph_update(&st, img, PAYLOAD_BYTES);
	crypto_sign_ed25519ph_final_create(&st, tr.sig, NULL, sk);
	memcpy(img + PAYLOAD_BYTES, &tr, sizeof(tr));
	*size = total;
	return img;
}

static uint64_t hvc(const char *name, uint64_t x0, uint64_t x1, uint64_t x2,
		    uint64_t x3)
{
	uint64_t r = cv_hosted_hvc(x0, x1, x2, x3, 0, 0);

	expect(!cv_hosted_halted(), "%s halted the core: %s", name,
	       cv_hosted_halt_reason());
	return r;
}

/* Contiguous runs of pages with one owner, over every memory region. */
static void print_ownership_map(void)
{
	uint64_t bases[2] = {cv_hosted_ram_base(), cv_hosted_reserved_base()};
	uint64_t sizes[2] = {cv_hosted_ram_size(), cv_hosted_reserved_size()};

	for (int r = 0; r < 2; r++) {
		uint64_t pfn = bases[r] / PG;
		uint64_t end = (bases[r] + sizes[r]) / PG;

		while (pfn < end) {
			uint32_t owner = cv_hosted_page_owner(pfn);
			uint64_t start = pfn;
			char buf[16];

			while (pfn < end && cv_hosted_page_owner(pfn) == owner)
				pfn++;
			printf("   0x%010" PRIx64 "-0x%010" PRIx64 " %-10s"
			       " (%" PRIu64 " pages)\n",
			       start * PG, pfn * PG - 1,
			       owner_name(owner, buf, sizeof(buf)),
			       pfn - start);
		}
	}
}

int main(void)
{
	struct cv_hosted_config cfg;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint64_t size, pages, vmid, load_idx, remap;
	uint8_t *img, *back;
	char b1[48], b2[48], b3[16];

	if (sodium_init() < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	cv_hosted_console_mode(
		CV_CONSOLE_CAPTURE); /* the halt is shown below */

	/* 1. The machine, with a trusted key made for this run. */
	crypto_sign_keypair(pk, sk);
	cv_hosted_default_config(&cfg);
	memcpy(cfg.trusted_keys[0], pk, sizeof(pk));
	cfg.ntrusted_keys = 1;
	if (cv_hosted_boot(&cfg)) {
		puts("demo: cv_hosted_boot failed");
		return 1;
	}
	cv_hosted_set_cpu(0);
	printf("== boot: %" PRIu64 " MiB host RAM at 0x%" PRIx64
	       ", corevisor region 0x%" PRIx64 "-0x%" PRIx64 ", %u CPUs\n",
	       cv_hosted_ram_size() >> 20, cv_hosted_ram_base(),
	       cv_hosted_reserved_base(),
	       cv_hosted_reserved_base() + cv_hosted_reserved_size() - 1,
	       cfg.ncpus);
	printf("   trusted key (fresh Ed25519): ");
	for (int i = 0; i < 8; i++)
		printf("%02x", pk[i]);
	printf("...\n");

	/* 2. The host stages the signed image in its own memory. */
	img = make_image(sk, GUEST_LOAD_IPA, &size);
	pages = (size + PG - 1) / PG;
	printf("== host writes a signed image (%u-byte payload + %u-byte "
	       "trailer, %" PRIu64 " pages) at PA 0x%" PRIx64 "\n",
	       PAYLOAD_BYTES, CV_IMAGE_TRAILER_BYTES, pages, HOST_IMAGE_PA);
	expect(cv_hosted_host_write(HOST_IMAGE_PA, img, size),
	       "host could not write its own memory");
	{
		struct cv_hosted_counters c;

		cv_hosted_get_counters(&c);
		printf("   host stage 2 filled on demand: %" PRIu64
		       " faults -> map_page_host; PA 0x%" PRIx64 " %s\n",
		       c.host_faults, HOST_IMAGE_PA,
		       mapping(HOSTVISOR, HOST_IMAGE_PA, b1, sizeof(b1)));
	}

	/* 3. The VM and its vCPUs. */
	vmid = hvc("REGISTER_KVM", HVC_REGISTER_KVM, 0, 0, 0);
	printf("== HVC_REGISTER_KVM -> vmid %" PRIu64 "; vm%" PRIu64
	       " state %s\n",
	       vmid, vmid, state_name(cv_hosted_vm_state(vmid)));
	expect(vmid == 1 && cv_hosted_vm_state(vmid) == READY, "vm not READY");
	for (uint32_t v = 0; v < NVCPUS; v++) {
		uint32_t before = cv_hosted_vcpu_state(vmid, v);

		hvc("REGISTER_VCPU", HVC_REGISTER_VCPU, vmid, v, 0);
		printf("== HVC_REGISTER_VCPU vm%" PRIu64 " vcpu%u: %s -> %s\n",
		       vmid, v, state_name(before),
		       state_name(cv_hosted_vcpu_state(vmid, v)));
		expect(cv_hosted_vcpu_state(vmid, v) == READY,
		       "vcpu not READY");
	}

	/* 4. Where the image goes, then each page into the core's view. */
	load_idx = hvc("SET_BOOT_INFO", HVC_SET_BOOT_INFO, vmid, GUEST_LOAD_IPA,
		       size);
	if (load_idx >= MAX_LOAD_INFO_NUM || vmid > MAX_VM_NUM) {
		printf("demo: SET_BOOT_INFO failed (%s)\n",
		       cv_hosted_halt_reason());
		return 1;
	}
	remap = cv.vminfos[vmid].remap_addr[load_idx];
	printf("== HVC_SET_BOOT_INFO vm%" PRIu64 " load IPA 0x%" PRIx64
	       " size 0x%" PRIx64 " -> load_idx %" PRIu64
	       "; remap window at core VA 0x%" PRIx64 "\n",
	       vmid, GUEST_LOAD_IPA, size, load_idx, remap);
	expect(load_idx == 0, "load_idx %" PRIu64, load_idx);
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t pfn = HOST_IMAGE_PA / PG + i;
		uint64_t va = remap + i * PG;
		struct cv_translation t;

		hvc("REMAP_VM_IMAGE", HVC_REMAP_VM_IMAGE, vmid, pfn, load_idx);
		printf("== HVC_REMAP_VM_IMAGE vm%" PRIu64 " pfn 0x%" PRIx64
		       ": core VA 0x%" PRIx64 " %s, owner still %s\n",
		       vmid, pfn, va, mapping(COREVISOR, va, b1, sizeof(b1)),
		       owner_name(cv_hosted_page_owner(pfn), b3, sizeof(b3)));
		expect(cv_hosted_translate(COREVISOR, va, &t) &&
			       t.pa == pfn * PG,
		       "remap of pfn 0x%" PRIx64 " missing", pfn);
	}

	/* 5. The core checks the signature and hands the pages to the VM. */
	hvc("VERIFY_VM_IMAGES", HVC_VERIFY_VM_IMAGES, vmid, 0, 0);
	printf("== HVC_VERIFY_VM_IMAGES vm%" PRIu64
	       ": signature good, vm%" PRIu64 " state %s\n",
	       vmid, vmid, state_name(cv_hosted_vm_state(vmid)));
	expect(cv_hosted_vm_state(vmid) == VERIFIED, "vm not VERIFIED");
	{
		/* The spec loads by 2 MiB blocks: the VM gets the whole block.
		 */
		uint64_t first = HOST_IMAGE_PA / PG, n = 0;

		for (uint64_t pfn = first; pfn < first + PMD_PAGE_NUM; pfn++)
			n += cv_hosted_page_owner(pfn) == vmid;
		printf("   the 2 MiB block PA 0x%" PRIx64 "-0x%" PRIx64
		       " (image + rest of its block) moved host -> vm%" PRIu64
		       ": %" PRIu64 " pages\n",
		       HOST_IMAGE_PA, HOST_IMAGE_PA + (uint64_t)PMD_SIZE - 1,
		       vmid, n);
		expect(n == PMD_PAGE_NUM, "block not wholly the VM's");
	}
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t pa = HOST_IMAGE_PA + i * PG;
		uint64_t ipa = GUEST_LOAD_IPA + i * PG;
		uint32_t owner = cv_hosted_page_owner(pa / PG);
		struct cv_translation t;

		printf("   PA 0x%" PRIx64 ": owner %s gfn 0x%" PRIx64
		       "; host %s; vm%" PRIu64 " IPA 0x%" PRIx64 " %s\n",
		       pa, owner_name(owner, b3, sizeof(b3)),
		       cv_hosted_page_gfn(pa / PG),
		       mapping(HOSTVISOR, pa, b1, sizeof(b1)), vmid, ipa,
		       mapping((uint32_t)vmid, ipa, b2, sizeof(b2)));
		expect(owner == vmid, "page not the VM's");
		expect(!cv_hosted_translate(HOSTVISOR, pa, &t),
		       "host still maps the VM's page");
		expect(cv_hosted_translate((uint32_t)vmid, ipa, &t) &&
			       t.pa == pa,
		       "VM does not map its page");
	}
	back = calloc(1, size);
	if (!back)
		abort();
	{
		uint64_t fault = 0;
		bool ok = cv_hosted_vm_read((uint32_t)vmid, GUEST_LOAD_IPA,
					    back, size, &fault);

		printf("   vm%" PRIu64 " reads IPA 0x%" PRIx64 "..: \"%.20s\", "
		       "%s\n",
		       vmid, GUEST_LOAD_IPA, (char *)back,
		       ok && !memcmp(back, img, size)
			       ? "the whole image as signed"
			       : "MISMATCH");
		expect(ok && !memcmp(back, img, size), "VM image differs");
	}

	/* 6. The vCPUs may run now: VCPU_RUN makes each ACTIVE for its run. */
	for (uint32_t v = 0; v < NVCPUS; v++) {
		printf("== vm%" PRIu64 " vcpu%u: %s, runnable with VCPU_RUN\n",
		       vmid, v, state_name(cv_hosted_vcpu_state(vmid, v)));
		expect(cv_hosted_vcpu_state(vmid, v) == READY,
		       "vcpu not READY");
	}

	/* 7. Who owns what. */
	puts("== physical page ownership");
	print_ownership_map();

	/* 8. The host reaches for the VM's memory: the core stops it. */
	{
		uint64_t word = 0;
		bool ok;

		printf("== host reads PA 0x%" PRIx64 " (vm%" PRIu64
		       "'s page)\n",
		       HOST_IMAGE_PA, vmid);
		ok = cv_hosted_host_read(HOST_IMAGE_PA, &word, sizeof(word));
		printf("   access %s; core %s: %s\n",
		       ok ? "SUCCEEDED" : "denied",
		       cv_hosted_halted() ? "halted" : "running",
		       cv_hosted_halt_reason());
		expect(!ok && cv_hosted_halted(), "host read the VM's memory");
	}

	free(back);
	free(img);
	sodium_memzero(sk, sizeof(sk));
	if (failures) {
		printf("demo: %d unexpected outcome(s)\n", failures);
		return 1;
	}
	puts("demo: every step as expected; the VM's memory stayed its own");
	return 0;
}
