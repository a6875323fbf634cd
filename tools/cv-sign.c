// SPDX-License-Identifier: MIT
/*
 * cv-sign: make and check corevisor's signed VM images
 * (docs/image-format.md, include/corevisor/image.h).
 *
 *   cv-sign keygen SECRET_KEY_FILE PUBLIC_KEY_FILE
 *       New Ed25519 key pair: the secret key (64 bytes, libsodium's
 *       seed || public key) and the public key (32 bytes), raw. Prints
 *       the public key in hex (what corevisor's trusted-key list holds).
 *   cv-sign pubkey SECRET_KEY_FILE
 *       Print the public key of a secret key, in hex.
 *   cv-sign sign SECRET_KEY_FILE LOAD_ADDR ENTRY PAYLOAD IMAGE
 *       IMAGE = PAYLOAD || trailer, signed for guest address LOAD_ADDR.
 *       ENTRY is the guest address of the first instruction of a VM that
 *       boots from this image (in the payload, 4-byte aligned), "none"
 *       for an image the VM does not start in (data), or "x0" for the
 *       data image whose load address vCPU 0 gets in x0 (a device tree).
 *   cv-sign verify PUBLIC_KEY_FILE LOAD_ADDR IMAGE
 *       Exit 0 when IMAGE is PUBLIC_KEY's image for LOAD_ADDR, as the
 *       core would decide; 1 with the reason otherwise.
 *   cv-sign info IMAGE
 *       Print the trailer's fields.
 *
 * The host loads IMAGE at LOAD_ADDR and declares its whole size in
 * HVC_SET_BOOT_INFO.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/image.h>

_Static_assert(crypto_sign_PUBLICKEYBYTES == CV_IMAGE_PK_BYTES, "pk size");
_Static_assert(crypto_sign_BYTES == CV_IMAGE_SIG_BYTES, "sig size");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the format's integers are written in place, little-endian");

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "cv-sign: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		die("cannot open %s", path);
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory reading %s", path);
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		die("cannot read %s", path);
	fclose(f);
	*len = n;
	return buf;
}

static void write_file(const char *path, const void *a, size_t alen,
		       const void *b, size_t blen)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		die("cannot create %s", path);
	if (fwrite(a, 1, alen, f) != alen ||
	    (blen && fwrite(b, 1, blen, f) != blen) || fclose(f))
		die("cannot write %s", path);
}

static void read_exact(const char *path, uint8_t *out, size_t want)
{
	size_t len;
	uint8_t *buf = read_file(path, &len);

	if (len != want) {
		fprintf(stderr, "cv-sign: %s: %zu bytes, expected %zu\n", path,
			len, want);
		exit(2);
	}
	memcpy(out, buf, want);
	sodium_memzero(buf, len);
	free(buf);
}

static uint64_t parse_addr(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("bad load address %s", s);
	if (v & 4095)
		die("load address %s is not page aligned", s);
	return v;
}

/*
 * ENTRY: "none" (a data image), "x0" (a data image that is the boot
 * argument: vCPU 0 starts with its load address in x0), or an address in
 * the payload (the boot image).
 */
static uint64_t parse_entry(const char *s, uint64_t load_addr,
			    uint64_t payload_len, uint32_t *flags)
{
	char *end;
	unsigned long long v;

	*flags = 0;
	if (!strcmp(s, "none"))
		return 0;
	if (!strcmp(s, "x0")) {
		*flags = CV_IMAGE_FLAG_BOOT_ARG;
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("bad entry %s", s);
	if ((v & 3) || v < load_addr || v - load_addr >= payload_len)
		die("entry %s is not an instruction of the payload", s);
	*flags = CV_IMAGE_FLAG_BOOT;
	return v;
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/* The signed message's first 64 bytes (docs/image-format.md). */
static void signed_header(struct cv_image_signed_header *h, uint32_t flags,
			  uint64_t payload_len, uint64_t load_addr,
			  uint64_t entry)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->domain, CV_IMAGE_DOMAIN, sizeof(CV_IMAGE_DOMAIN) - 1);
	h->version = CV_IMAGE_VERSION;
	h->flags = flags;
	h->payload_len = payload_len;
	h->load_addr = load_addr;
	h->entry = entry;
}

static void hash_message(crypto_sign_state *st, const uint8_t *payload,
			 uint64_t len, uint64_t load_addr, uint32_t flags,
			 uint64_t entry)
{
	struct cv_image_signed_header h;

	signed_header(&h, flags, len, load_addr, entry);
	crypto_sign_init(st);
	crypto_sign_update(st, (const uint8_t *)&h, sizeof(h));
	crypto_sign_update(st, payload, len);
}

static int cmd_keygen(const char *sk_path, const char *pk_path)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

	crypto_sign_keypair(pk, sk);
	write_file(sk_path, sk, sizeof(sk), NULL, 0);
	write_file(pk_path, pk, sizeof(pk), NULL, 0);
	sodium_memzero(sk, sizeof(sk));
	print_hex(pk, sizeof(pk));
	return 0;
}

static int cmd_pubkey(const char *sk_path)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

	read_exact(sk_path, sk, sizeof(sk));
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	print_hex(pk, sizeof(pk));
	return 0;
}

static int cmd_sign(const char *sk_path, const char *addr,
		    const char *entry_arg, const char *in, const char *out)
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	struct cv_image_trailer tr;
	crypto_sign_state st;
	uint64_t load_addr = parse_addr(addr), entry;
	uint32_t flags;
	size_t len;
	uint8_t *payload;

	read_exact(sk_path, sk, sizeof(sk));
	payload = read_file(in, &len);
	entry = parse_entry(entry_arg, load_addr, len, &flags);
	hash_message(&st, payload, len, load_addr, flags, entry);

	memset(&tr, 0, sizeof(tr));
	memcpy(tr.magic, CV_IMAGE_MAGIC, CV_IMAGE_MAGIC_LEN);
	tr.version = CV_IMAGE_VERSION;
	tr.flags = flags;
	tr.payload_len = len;
	tr.load_addr = load_addr;
	tr.entry = entry;
	crypto_sign_final_create(&st, tr.sig, NULL, sk);
	sodium_memzero(sk, sizeof(sk));

	write_file(out, payload, len, &tr, sizeof(tr));
	free(payload);
	return 0;
}

/* The trailer of @img, or NULL with a reason. */
static const char *get_trailer(const uint8_t *img, size_t len,
			       struct cv_image_trailer *tr)
{
	if (len < sizeof(*tr))
		return "smaller than the image trailer";
	memcpy(tr, img + len - sizeof(*tr), sizeof(*tr));
	if (memcmp(tr->magic, CV_IMAGE_MAGIC, CV_IMAGE_MAGIC_LEN))
		return "bad trailer magic";
	if (tr->version != CV_IMAGE_VERSION)
		return "unknown image version";
	if (tr->flags & ~CV_IMAGE_FLAGS_KNOWN)
		return "unknown image flags";
	if ((tr->flags & CV_IMAGE_FLAG_BOOT) &&
	    (tr->flags & CV_IMAGE_FLAG_BOOT_ARG))
		return "a boot image cannot be the boot argument";
	if (tr->payload_len != len - sizeof(*tr))
		return "payload length does not match the image size";
	if (!(tr->flags & CV_IMAGE_FLAG_BOOT)
		    ? tr->entry != 0
		    : (tr->entry & 3) || tr->entry < tr->load_addr ||
			      tr->entry - tr->load_addr >= tr->payload_len)
		return "boot entry outside the payload";
	return NULL;
}

static int cmd_verify(const char *pk_path, const char *addr, const char *in)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	struct cv_image_trailer tr;
	crypto_sign_state st;
	uint64_t load_addr = parse_addr(addr);
	const char *why;
	size_t len;
	uint8_t *img;

	read_exact(pk_path, pk, sizeof(pk));
	img = read_file(in, &len);
	why = get_trailer(img, len, &tr);
	if (!why && tr.load_addr != load_addr)
		why = "signed for another load address";
	if (!why) {
		hash_message(&st, img, tr.payload_len, load_addr, tr.flags,
			     tr.entry);
		if (crypto_sign_final_verify(&st, tr.sig, pk))
			why = "bad signature";
	}
	free(img);
	if (why) {
		printf("%s: %s\n", in, why);
		return 1;
	}
	printf("%s: good image for 0x%" PRIx64 "\n", in, load_addr);
	return 0;
}

static int cmd_info(const char *in)
{
	struct cv_image_trailer tr;
	size_t len;
	uint8_t *img = read_file(in, &len);
	const char *why = get_trailer(img, len, &tr);

	free(img);
	if (why) {
		printf("%s: %s\n", in, why);
		return 1;
	}
	printf("size        %zu\n", len);
	printf("version     %" PRIu32 "\n", tr.version);
	printf("flags       0x%" PRIx32 "\n", tr.flags);
	printf("payload_len %" PRIu64 "\n", tr.payload_len);
	printf("load_addr   0x%" PRIx64 "\n", tr.load_addr);
	if (tr.flags & CV_IMAGE_FLAG_BOOT)
		printf("entry       0x%" PRIx64 "\n", tr.entry);
	else if (tr.flags & CV_IMAGE_FLAG_BOOT_ARG)
		printf("entry       x0 (the boot argument)\n");
	else
		printf("entry       none\n");
	printf("signature   ");
	print_hex(tr.sig, sizeof(tr.sig));
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cv-sign keygen SECRET_KEY_FILE PUBLIC_KEY_FILE\n"
		"       cv-sign pubkey SECRET_KEY_FILE\n"
		"       cv-sign sign SECRET_KEY_FILE LOAD_ADDR ENTRY|none|x0 "
		"PAYLOAD "
		"IMAGE\n"
		"       cv-sign verify PUBLIC_KEY_FILE LOAD_ADDR IMAGE\n"
		"       cv-sign info IMAGE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		die("%s", "libsodium failed to initialise");
	if (argc == 4 && !strcmp(argv[1], "keygen"))
		return cmd_keygen(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "pubkey"))
		return cmd_pubkey(argv[2]);
	if (argc == 7 && !strcmp(argv[1], "sign"))
		return cmd_sign(argv[2], argv[3], argv[4], argv[5], argv[6]);
	if (argc == 5 && !strcmp(argv[1], "verify"))
		return cmd_verify(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "info"))
		return cmd_info(argv[2]);
	usage();
	return 2;
}
