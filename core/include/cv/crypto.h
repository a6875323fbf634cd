/* SPDX-License-Identifier: MIT */
/*
 * The cryptography the core uses, behind a small interface so core/ stays
 * freestanding: crypto/sodium_glue.c implements it with libsodium (the
 * hosted build links the system's, the EL2 build Debian's arm64
 * libsodium.a). The glue calls nothing but libsodium: no allocation, no
 * stdio, no randomness at run time (nonces are built by the caller).
 *
 *  - Signatures: Ed25519ph (RFC 8032), hashed as a stream, so an image is
 *    verified page by page through the core's remap mappings without a
 *    contiguous copy.
 *  - Sealing: XChaCha20-Poly1305-IETF with a detached 16-byte tag. The
 *    caller supplies a 24-byte nonce that never repeats under one key and
 *    associated data that names what the ciphertext belongs to.
 *  - Measurement: SHA-256, hashed as a stream (a VM's measurement and
 *    instance ids, core/boot/measure.c).
 */
#ifndef CV_CRYPTO_H
#define CV_CRYPTO_H

#include <cv/types.h>

#define CV_SIG_BYTES 64U
#define CV_SIG_PK_BYTES 32U
#define CV_AEAD_KEY_BYTES 32U
#define CV_AEAD_NONCE_BYTES 24U
#define CV_AEAD_TAG_BYTES 16U
#define CV_SIG_PREHASH_BYTES 64U /* SHA-512 */
#define CV_HASH_BYTES 32U	 /* SHA-256 */

/* Room for libsodium's crypto_sign_state (208 bytes in 1.0.18). */
#define CV_SIG_STATE_BYTES 256U

struct cv_sig_state {
	_Alignas(16) u8 opaque[CV_SIG_STATE_BYTES];
};

/* Start an Ed25519ph message. */
void cv_sig_init(struct cv_sig_state *st);

/* Append @len bytes of the message. */
void cv_sig_update(struct cv_sig_state *st, const void *buf, size_t len);

/*
 * True when @sig is @pk's Ed25519ph signature of everything appended so
 * far. @st is left as it was, so one hash serves several candidate keys.
 */
bool cv_sig_verify(const struct cv_sig_state *st, const u8 sig[CV_SIG_BYTES],
		   const u8 pk[CV_SIG_PK_BYTES]);

/*
 * The Ed25519ph prehash of everything appended so far: the SHA-512 of the
 * message, the value the signature covers. @st is left as it was.
 */
void cv_sig_prehash(const struct cv_sig_state *st,
		    u8 out[CV_SIG_PREHASH_BYTES]);

/* Room for libsodium's crypto_hash_sha256_state (104 bytes in 1.0.18). */
#define CV_HASH_STATE_BYTES 128U

struct cv_hash_state {
	_Alignas(16) u8 opaque[CV_HASH_STATE_BYTES];
};

/* SHA-256 as a stream: init, update, final. */
void cv_hash_init(struct cv_hash_state *st);
void cv_hash_update(struct cv_hash_state *st, const void *buf, size_t len);
void cv_hash_final(struct cv_hash_state *st, u8 out[CV_HASH_BYTES]);

/*
 * Encrypt @len bytes from @src to @dst (they may be the same buffer, not
 * partially overlapping) and compute @tag over the ciphertext and @ad.
 * The glue reads @dst back to compute the tag: @dst must be memory no
 * other party can write meanwhile (never a host page).
 */
void cv_aead_seal(void *dst, const void *src, size_t len, const void *ad,
		  size_t adlen, const u8 nonce[CV_AEAD_NONCE_BYTES],
		  const u8 key[CV_AEAD_KEY_BYTES], u8 tag[CV_AEAD_TAG_BYTES]);

/*
 * Check @tag over the ciphertext @src and @ad, then decrypt to @dst (may
 * be @src). Returns false when the check fails; @dst is then zeroed
 * (libsodium's behaviour), never left holding unauthenticated plaintext.
 * @src is read twice (tag, then decryption): it must be memory no other
 * party can write meanwhile.
 */
bool cv_aead_open(void *dst, const void *src, size_t len, const void *ad,
		  size_t adlen, const u8 nonce[CV_AEAD_NONCE_BYTES],
		  const u8 key[CV_AEAD_KEY_BYTES],
		  const u8 tag[CV_AEAD_TAG_BYTES]);

#endif
