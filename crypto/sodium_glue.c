// SPDX-License-Identifier: MIT
/*
 * libsodium behind core/include/cv/crypto.h. Only libsodium calls: this
 * file also builds for the EL2 image against Debian's arm64 libsodium.a,
 * where there is no libc to speak of. The functions used need neither
 * sodium_init() (they fall back to the portable implementations) nor any
 * randomness.
 *
 * libsodium uses the FP/SIMD registers, which at EL2 hold the host's (or
 * a VM's) state: every call is bracketed by arch_fpsimd_begin/end
 * (cv/arch.h), so the interrupted context gets them back.
 */
#include <sodium.h>

#include <cv/arch.h>
#include <cv/crypto.h>

_Static_assert(sizeof(crypto_sign_state) <= CV_SIG_STATE_BYTES,
	       "cv_sig_state too small for crypto_sign_state");
_Static_assert(_Alignof(crypto_sign_state) <= 16,
	       "cv_sig_state under-aligned for crypto_sign_state");
_Static_assert(sizeof(crypto_hash_sha256_state) <= CV_HASH_STATE_BYTES,
	       "cv_hash_state too small for crypto_hash_sha256_state");
_Static_assert(_Alignof(crypto_hash_sha256_state) <= 16,
	       "cv_hash_state under-aligned for crypto_hash_sha256_state");
_Static_assert(crypto_hash_sha256_BYTES == CV_HASH_BYTES, "hash size");
_Static_assert(crypto_hash_sha512_BYTES == CV_SIG_PREHASH_BYTES,
	       "prehash size");
_Static_assert(crypto_sign_BYTES == CV_SIG_BYTES, "signature size");
_Static_assert(crypto_sign_PUBLICKEYBYTES == CV_SIG_PK_BYTES, "key size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == CV_AEAD_KEY_BYTES,
	       "AEAD key size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ==
		       CV_AEAD_NONCE_BYTES,
	       "AEAD nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == CV_AEAD_TAG_BYTES,
	       "AEAD tag size");

static crypto_sign_state *sig_state(struct cv_sig_state *st)
{
	return (crypto_sign_state *)st->opaque;
}

void cv_sig_init(struct cv_sig_state *st)
{
	arch_fpsimd_begin();
	crypto_sign_init(sig_state(st));
	arch_fpsimd_end();
}

void cv_sig_update(struct cv_sig_state *st, const void *buf, size_t len)
{
	arch_fpsimd_begin();
	crypto_sign_update(sig_state(st), buf, len);
	arch_fpsimd_end();
}

bool cv_sig_verify(const struct cv_sig_state *st, const u8 sig[CV_SIG_BYTES],
		   const u8 pk[CV_SIG_PK_BYTES])
{
	/* final_verify consumes the hash state: work on a copy. */
	crypto_sign_state copy = *(const crypto_sign_state *)st->opaque;
	bool ok;

	arch_fpsimd_begin();
	ok = crypto_sign_final_verify(&copy, sig, pk) == 0;
	sodium_memzero(&copy, sizeof(copy));
	arch_fpsimd_end();
	return ok;
}

/*
 * Ed25519ph signs SHA-512(message): crypto_sign_state is that hash's
 * state (libsodium's public crypto_sign_ed25519ph_state, field hs).
 */
void cv_sig_prehash(const struct cv_sig_state *st, u8 out[CV_SIG_PREHASH_BYTES])
{
	crypto_sign_state copy = *(const crypto_sign_state *)st->opaque;

	arch_fpsimd_begin();
	crypto_hash_sha512_final(&copy.hs, out);
	sodium_memzero(&copy, sizeof(copy));
	arch_fpsimd_end();
}

static crypto_hash_sha256_state *hash_state(struct cv_hash_state *st)
{
	return (crypto_hash_sha256_state *)st->opaque;
}

void cv_hash_init(struct cv_hash_state *st)
{
	arch_fpsimd_begin();
	crypto_hash_sha256_init(hash_state(st));
	arch_fpsimd_end();
}

void cv_hash_update(struct cv_hash_state *st, const void *buf, size_t len)
{
	arch_fpsimd_begin();
	crypto_hash_sha256_update(hash_state(st), buf, len);
	arch_fpsimd_end();
}

void cv_hash_final(struct cv_hash_state *st, u8 out[CV_HASH_BYTES])
{
	arch_fpsimd_begin();
	crypto_hash_sha256_final(hash_state(st), out);
	arch_fpsimd_end();
}

void cv_aead_seal(void *dst, const void *src, size_t len, const void *ad,
		  size_t adlen, const u8 nonce[CV_AEAD_NONCE_BYTES],
		  const u8 key[CV_AEAD_KEY_BYTES], u8 tag[CV_AEAD_TAG_BYTES])
{
	arch_fpsimd_begin();
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
		dst, tag, NULL, src, len, ad, adlen, NULL, nonce, key);
	arch_fpsimd_end();
}

bool cv_aead_open(void *dst, const void *src, size_t len, const void *ad,
		  size_t adlen, const u8 nonce[CV_AEAD_NONCE_BYTES],
		  const u8 key[CV_AEAD_KEY_BYTES],
		  const u8 tag[CV_AEAD_TAG_BYTES])
{
	bool ok;

	arch_fpsimd_begin();
	ok = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
		     dst, NULL, src, len, tag, ad, adlen, nonce, key) == 0;
	arch_fpsimd_end();
	return ok;
}
