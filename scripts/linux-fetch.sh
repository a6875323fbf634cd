#!/usr/bin/env bash
# Fetches what the Linux host needs from Debian's arm64 packages, once, into
# a cache under build/: the current linux-image-arm64 kernel (a raw arm64
# Image and its modules), busybox-static for the initramfs, and the headers
# that build out-of-tree modules (linux-headers-<ver>-arm64 and -common,
# and the build machine's linux-kbuild-<major>).
#
#   scripts/linux-fetch.sh OUTDIR
#
# Leaves OUTDIR/root (the packages unpacked), OUTDIR/Image, OUTDIR/busybox,
# OUTDIR/headers (a Kbuild tree for make -C), OUTDIR/release (the kernel
# release, e.g. 6.1.0-57-arm64). Re-running with the same kernel version
# downloads nothing.
set -euo pipefail

out="$1"
mkdir -p "$out/debs"
out="$(cd "$out" && pwd)"

# The arm64 package lists: install-deps.sh adds the foreign architecture.
if ! apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	dpkg --print-foreign-architectures | grep -qx arm64 ||
		$SUDO dpkg --add-architecture arm64
	$SUDO apt-get update -qq
fi

# linux-image-arm64 is a metapackage: the real one is its dependency.
image_pkg=$(apt-cache depends linux-image-arm64:arm64 |
	awk '/Depends: linux-image-[0-9]/ {sub(":arm64", "", $2); print $2; exit}')
[ -n "$image_pkg" ] || { echo "linux-fetch: no linux-image-arm64" >&2; exit 1; }
release=${image_pkg#linux-image-}
kver=${release%-arm64}
major=$(echo "$kver" | cut -d. -f1,2)

pkgs="$image_pkg:arm64 linux-headers-$release:arm64 linux-headers-$kver-common
linux-kbuild-$major busybox-static:arm64"

stamp="$out/.fetched-$release"
if [ ! -e "$stamp" ]; then
	rm -rf "$out/debs" "$out/root" "$out"/.fetched-*
	mkdir -p "$out/debs" "$out/root"
	# apt-get download as root warns that its sandbox user cannot write
	# here: harmless, and filtered.
	(cd "$out/debs" && apt-get download -q $pkgs 2>&1 |
		grep -v -e '^W: Download is performed unsandboxed' -e '^Get:' \
			-e '^Fetched' || true)
	for p in $pkgs; do
		name=${p%:arm64}
		deb=$(ls "$out/debs/${name}"_*.deb 2>/dev/null | head -1)
		[ -n "$deb" ] || { echo "linux-fetch: $name not downloaded" >&2; exit 1; }
		dpkg-deb -x "$deb" "$out/root"
	done
	# Only the kernel, its modules, the headers and busybox are used; the
	# rest (documentation, initramfs-tools hooks in *.d folders, which the
	# top-level Makefile would take for dependency files) goes.
	rm -rf "$out/root/usr/share" "$out/root/etc"
	# The arm64 headers' Makefile includes the -common tree by an absolute
	# path: point it at the unpacked copy.
	hdr="$out/root/usr/src/linux-headers-$release"
	sed -i "s|^include /usr/src/|include $out/root/usr/src/|" "$hdr/Makefile"
	touch "$stamp"
fi

ln -sfn "root/boot/vmlinuz-$release" "$out/Image"
ln -sfn "root/bin/busybox" "$out/busybox"
ln -sfn "root/usr/src/linux-headers-$release" "$out/headers"
ln -sfn "root/lib/modules/$release/kernel/drivers" "$out/drivers"
# The make rule's target: rewritten (and so newer than this script) on
# every run, whatever the release.
echo "$release" >"$out/release"
