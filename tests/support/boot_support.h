/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the core/boot tests (tests/unit/test_boot*.c): a
 * booted hosted machine with a trusted key, signed images built with
 * libsodium straight from docs/image-format.md (independently of
 * tools/cv-sign), the host's side of the boot protocol, and assertions on
 * halt reasons.
 */
#ifndef BOOT_SUPPORT_H
#define BOOT_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corevisor/constants.h>
#include <corevisor/hosted.h>

/* The test's signing key pair (Ed25519): made once per process. */
extern uint8_t bs_pk[32], bs_sk[64];
/* A second key pair the core does not trust. */
extern uint8_t bs_other_pk[32], bs_other_sk[64];

/* Boot a fresh machine trusting bs_pk; this thread is CPU 0. */
void bs_boot(void);
/* The same, trusting @n keys of @pks (n may be 0). */
void bs_boot_keys(const uint8_t (*pks)[32], uint32_t n);
/*
 * bs_boot with AEAD key @aead_key instead of a random one: booting again
 * with the same key is a reboot (sealed blobs from before still open).
 */
void bs_boot_aead(const uint8_t aead_key[32]);

/* A hypercall from the host on this CPU (cv_hosted_hvc). */
uint64_t bs_hvc(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3, uint64_t x4,
		uint64_t x5);

/*
 * Build a signed image of @payload (@len bytes) for @load_addr, signed by
 * @sk, into a malloc'd buffer; *size gets its length (len + 104). A boot
 * image whose entry is its first byte (a data image when len < 4).
 */
uint8_t *bs_make_image(const void *payload, size_t len, uint64_t load_addr,
		       const uint8_t sk[64], size_t *size);
/* The same with the trailer's @flags and @entry as given. */
uint8_t *bs_make_image_ex(const void *payload, size_t len, uint64_t load_addr,
			  uint32_t flags, uint64_t entry, const uint8_t sk[64],
			  size_t *size);
/* @len bytes of a recognisable pattern seeded by @seed. */
void bs_pattern(void *buf, size_t len, uint32_t seed);

/* The host writes @len bytes at its physical address @pa (through stage 2). */
void bs_host_write(uint64_t pa, const void *buf, size_t len);

/*
 * The host's side of loading one image: set_boot_info, write @img at host
 * @pa, remap each of its pages in order. Returns the load index.
 */
uint32_t bs_load_image(uint32_t vmid, uint64_t load_addr, uint64_t pa,
		       const void *img, size_t size);

/* register_kvm + register_vcpu(0..nvcpus-1) through hypercalls. */
uint32_t bs_new_vm(uint32_t nvcpus);

/* A host RAM page address: RAM base + n pages. */
uint64_t bs_ram(uint64_t n);

/* Translations. */
bool bs_maps(uint32_t vmid, uint64_t addr, uint64_t pa);
bool bs_unmapped(uint32_t vmid, uint64_t addr);

/* Assertions on the fail-stop state (Criterion asserts). */
void bs_expect_halt(const char *who, const char *what);
void bs_expect_running(void);

/* A hypercall TrapDispatcher must refuse: its name and x0..x5. */
struct bs_bad_hvc {
	char name[32];
	uint64_t x[6];
};

/* @c answers 0 and panics with "host_hvc: <name> bad args". */
void bs_expect_bad_hvc(const struct bs_bad_hvc *c);

/* Halt the core for a halted-no-op test. */
void bs_halt(void);

#endif
