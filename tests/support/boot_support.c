// SPDX-License-Identifier: MIT
/* Helpers of the core/boot tests: see boot_support.h. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/image.h>
#include <cv/panic.h>

#include "boot_support.h"
#include "hosted_internal.h"

uint8_t bs_pk[32], bs_sk[64];
uint8_t bs_other_pk[32], bs_other_sk[64];

/* Fixed seeds: every test process has the same two key pairs. */
static void make_keys(void)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	cr_assert_geq(sodium_init(), 0);
	memset(seed, 0x5a, sizeof(seed));
	crypto_sign_seed_keypair(bs_pk, bs_sk, seed);
	memset(seed, 0xa5, sizeof(seed));
	crypto_sign_seed_keypair(bs_other_pk, bs_other_sk, seed);
}

static void boot_cfg(const uint8_t (*pks)[32], uint32_t n,
		     const uint8_t *aead_key)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	if (aead_key)
		memcpy(cfg.aead_key, aead_key, sizeof(cfg.aead_key));
	for (uint32_t i = 0; i < n; i++)
		memcpy(cfg.trusted_keys[i], pks[i], 32);
	cfg.ntrusted_keys = n;
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
	/* Panics are expected here: keep their lines out of the output. */
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
}

void bs_boot_keys(const uint8_t (*pks)[32], uint32_t n)
{
	boot_cfg(pks, n, NULL);
}

void bs_boot_aead(const uint8_t aead_key[32])
{
	make_keys();
	boot_cfg(&bs_pk, 1, aead_key);
}

void bs_boot(void)
{
	make_keys();
	bs_boot_keys(&bs_pk, 1);
}

uint64_t bs_hvc(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3, uint64_t x4,
		uint64_t x5)
{
	return cv_hosted_hvc(x0, x1, x2, x3, x4, x5);
}

void bs_pattern(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

/* docs/image-format.md, written out again here on purpose. */
uint8_t *bs_make_image_ex(const void *payload, size_t len, uint64_t load_addr,
			  uint32_t flags, uint64_t entry, const uint8_t sk[64],
			  size_t *size)
{
	struct cv_image_signed_header hdr;
	struct cv_image_trailer tr;
	crypto_sign_state st;
	uint8_t *img = malloc(len + sizeof(tr));

	cr_assert_not_null(img);
	memset(&hdr, 0, sizeof(hdr));
	strcpy(hdr.domain, CV_IMAGE_DOMAIN);
	hdr.version = CV_IMAGE_VERSION;
	hdr.flags = flags;
	hdr.payload_len = len;
	hdr.load_addr = load_addr;
	hdr.entry = entry;
	crypto_sign_init(&st);
	crypto_sign_update(&st, (const uint8_t *)&hdr, sizeof(hdr));
	crypto_sign_update(&st, payload, len);

	memset(&tr, 0, sizeof(tr));
	memcpy(tr.magic, CV_IMAGE_MAGIC, CV_IMAGE_MAGIC_LEN);
	tr.version = CV_IMAGE_VERSION;
	tr.flags = flags;
	tr.payload_len = len;
	tr.load_addr = load_addr;
	tr.entry = entry;
	crypto_sign_final_create(&st, tr.sig, NULL, sk);

	memcpy(img, payload, len);
	memcpy(img + len, &tr, sizeof(tr));
	*size = len + sizeof(tr);
	return img;
}

uint8_t *bs_make_image(const void *payload, size_t len, uint64_t load_addr,
		       const uint8_t sk[64], size_t *size)
{
	bool boot = len >= 4;

	return bs_make_image_ex(payload, len, load_addr,
				boot ? CV_IMAGE_FLAG_BOOT : 0,
				boot ? load_addr : 0, sk, size);
}

void bs_host_write(uint64_t pa, const void *buf, size_t len)
{
	cr_assert(cv_hosted_host_write(pa, buf, len),
		  "host write at 0x%llx failed", (unsigned long long)pa);
}

uint32_t bs_load_image(uint32_t vmid, uint64_t load_addr, uint64_t pa,
		       const void *img, size_t size)
{
	uint64_t idx = bs_hvc(HVC_SET_BOOT_INFO, vmid, load_addr, size, 0, 0);

	cr_assert_lt(idx, MAX_LOAD_INFO_NUM);
	bs_host_write(pa, img, size);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		bs_hvc(HVC_REMAP_VM_IMAGE, vmid, (pa + off) / PAGE_SIZE, idx, 0,
		       0);
	return (uint32_t)idx;
}

uint32_t bs_new_vm(uint32_t nvcpus)
{
	uint64_t vmid = bs_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);

	cr_assert(vmid > HOSTVISOR && vmid < COREVISOR, "vmid %llu",
		  (unsigned long long)vmid);
	for (uint32_t i = 0; i < nvcpus; i++)
		bs_hvc(HVC_REGISTER_VCPU, vmid, i, 0, 0, 0);
	return (uint32_t)vmid;
}

uint64_t bs_ram(uint64_t n)
{
	return cv_hosted_ram_base() + n * PAGE_SIZE;
}

bool bs_maps(uint32_t vmid, uint64_t addr, uint64_t pa)
{
	struct cv_translation t;

	return cv_hosted_translate(vmid, addr, &t) && t.valid && t.pa == pa;
}

bool bs_unmapped(uint32_t vmid, uint64_t addr)
{
	struct cv_translation t;

	return !cv_hosted_translate(vmid, addr, &t) || !t.valid;
}

void bs_expect_halt(const char *who, const char *what)
{
	const char *r = cv_hosted_halt_reason();

	cr_assert(cv_hosted_halted(), "expected a panic from %s", who);
	cr_assert(strstr(r, who), "reason \"%s\" does not name %s", r, who);
	cr_assert(strstr(r, what), "reason \"%s\" lacks \"%s\"", r, what);
}

void bs_expect_bad_hvc(const struct bs_bad_hvc *c)
{
	char who[64];

	cr_assert_eq(
		bs_hvc(c->x[0], c->x[1], c->x[2], c->x[3], c->x[4], c->x[5]),
		0);
	snprintf(who, sizeof(who), "host_hvc: %s bad args", c->name);
	bs_expect_halt(who, "bad args");
}

void bs_expect_running(void)
{
	cr_assert(!cv_hosted_halted(), "unexpected panic: %s",
		  cv_hosted_halt_reason());
}

void bs_halt(void)
{
	panic("test: halted on purpose");
	cr_assert(cv_hosted_halted());
}
