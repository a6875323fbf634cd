// SPDX-License-Identifier: MIT
/*
 * randombytes_buf for libsodium at EL2: ChaCha20 keyed by a hash of the
 * DTB's rng-seed, one fresh nonce per call. Defining it here keeps
 * libsodium's /dev/urandom backend (open, read, getrandom) out of the
 * image. Nothing in corevisor needs randomness after boot today; libsodium
 * references this from sodium_malloc's canary setup.
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <sodium.h>

#include "el2.h"

static u8 drbg_key[crypto_stream_chacha20_ietf_KEYBYTES];
static u64 drbg_calls;
static bool drbg_ready;
static u32 drbg_lock;

void random_seed(const u8 *seed, u32 len)
{
	static const u8 ctx[] = "corevisor el2 randombytes";

	arch_fpsimd_begin();
	crypto_generichash(drbg_key, sizeof(drbg_key), seed, len, ctx,
			   sizeof(ctx));
	arch_fpsimd_end();
	drbg_ready = true;
}

void randombytes_buf(void *const buf, const size_t size);
void randombytes_buf(void *const buf, const size_t size)
{
	u8 nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
	u64 n;

	while (__atomic_exchange_n(&drbg_lock, 1, __ATOMIC_ACQUIRE))
		;
	n = ++drbg_calls;
	__atomic_store_n(&drbg_lock, 0, __ATOMIC_RELEASE);
	if (!drbg_ready)
		el2_fatal("randombytes_buf: called before the seed");
	memcpy(nonce, &n, sizeof(n));
	arch_fpsimd_begin();
	crypto_stream_chacha20_ietf(buf, size, nonce, drbg_key);
	arch_fpsimd_end();
}
