#!/usr/bin/env bash
# tools/cv-sign end to end (mk/boot.mk: make test-cv-sign): the images it
# makes boot in a hosted VM, and what must be refused is refused by both
# cv-sign verify and the core. Usage: test-cv-sign.sh CV_SIGN CV_BOOT_IMAGE
set -euo pipefail

sign=$1
boot=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
load=0x80010000

fail() { echo "test-cv-sign: FAILED: $*"; exit 1; }

# expect_refused WHAT REASON CMD...: CMD exits 1 and prints REASON.
expect_refused() {
	local what=$1 reason=$2 out
	shift 2
	if out=$("$@" 2>&1); then fail "$what accepted: $out"; fi
	grep -q -- "$reason" <<<"$out" || fail "$what: '$out' lacks '$reason'"
}

pk_hex=$("$sign" keygen "$dir/sk" "$dir/pk")
[ "$(stat -c %s "$dir/sk")" = 64 ] || fail "secret key size"
[ "$(stat -c %s "$dir/pk")" = 32 ] || fail "public key size"
[ "$("$sign" pubkey "$dir/sk")" = "$pk_hex" ] || fail "pubkey differs"
[ "$(od -An -tx1 -v "$dir/pk" | tr -d " \n")" = "$pk_hex" ] || fail "printed key differs"

head -c 20000 /dev/urandom > "$dir/payload"
"$sign" sign "$dir/sk" $load 0x80010040 "$dir/payload" "$dir/img"
[ "$(stat -c %s "$dir/img")" = 20104 ] || fail "image size"
cmp -s -n 20000 "$dir/payload" "$dir/img" || fail "payload not first"
"$sign" info "$dir/img" | grep -q "load_addr   0x80010000" || fail "info"
"$sign" info "$dir/img" | grep -q "entry       0x80010040" || fail "info entry"

# A data image (no entry) verifies and loads too.
"$sign" sign "$dir/sk" $load none "$dir/payload" "$dir/data"
"$sign" info "$dir/data" | grep -q "entry       none" || fail "info no entry"
# The boot argument (a device tree): a data image flagged for x0.
"$sign" sign "$dir/sk" $load x0 "$dir/payload" "$dir/dtb"
"$sign" info "$dir/dtb" | grep -q "flags       0x2" || fail "info x0 flags"
"$sign" info "$dir/dtb" | grep -q "entry       x0 (the boot argument)" ||
	fail "info x0"
"$sign" verify "$dir/pk" $load "$dir/dtb" || fail "verify x0"
"$sign" verify "$dir/pk" $load "$dir/data" > /dev/null || fail "verify data"
"$boot" "$dir/pk" $load "$dir/data" > /dev/null || fail "boot data"

# An entry cv-sign must refuse to sign: outside the payload, unaligned.
for e in 0x8000fffc 0x80014e20 0x80010042; do
	expect_refused "entry $e" "not an instruction of the payload" \
		"$sign" sign "$dir/sk" $load $e "$dir/payload" "$dir/x"
done
"$sign" verify "$dir/pk" $load "$dir/img" > /dev/null || fail "verify"
"$boot" "$dir/pk" $load "$dir/img" > /dev/null || fail "boot: $("$boot" "$dir/pk" $load "$dir/img")"

# One flipped payload byte.
cp "$dir/img" "$dir/bad"
printf '\xff' | dd of="$dir/bad" bs=1 seek=12345 conv=notrunc status=none
cmp -s "$dir/img" "$dir/bad" && printf '\x00' |
	dd of="$dir/bad" bs=1 seek=12345 conv=notrunc status=none
expect_refused "tampered image (cv-sign)" "bad signature" \
	"$sign" verify "$dir/pk" $load "$dir/bad"
expect_refused "tampered image (core)" "signature matches no trusted key" \
	"$boot" "$dir/pk" $load "$dir/bad"

# Another key.
"$sign" keygen "$dir/sk2" "$dir/pk2" > /dev/null
expect_refused "wrong key (cv-sign)" "bad signature" \
	"$sign" verify "$dir/pk2" $load "$dir/img"
expect_refused "wrong key (core)" "signature matches no trusted key" \
	"$boot" "$dir/pk2" $load "$dir/img"

# Another load address.
expect_refused "wrong load address (cv-sign)" "another load address" \
	"$sign" verify "$dir/pk" 0x80020000 "$dir/img"
expect_refused "wrong load address (core)" "another load address" \
	"$boot" "$dir/pk" 0x80020000 "$dir/img"

# An unsigned payload.
expect_refused "payload without trailer" "bad trailer magic" \
	"$sign" verify "$dir/pk" $load "$dir/payload"

echo "test-cv-sign: keygen/sign/verify, hosted boot and refusals as expected"
