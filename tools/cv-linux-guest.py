#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Pack an arm64 Linux Image, an initramfs and a generated device tree as
the three signed images of one protected VM (docs/guest-platform.md).

    cv-linux-guest.py --cv-sign CV_SIGN --key SECRET_KEY --image Image
        --initrd initramfs.cpio.gz --out-dir DIR [--vcpus N]
        [--mem-mib M] [--bootargs ARGS]

Writes DIR/kernel.img (the boot image: the Image at RAM base + its
text_offset, entered at its first instruction), DIR/initrd.img (data),
DIR/dtb.img (data, the boot argument: vCPU 0 starts with its address in
x0), DIR/guest.dts and DIR/layout (one "name ipa size" line per image).

The device tree describes the platform every VM of corevisor's hosts gets
(host/include/host/vmm.h): RAM from 1 GiB, PSCI through HVC, the GICv3
distributor and redistributors the host emulates, the architected timer,
the PL011 at 0x09000000, and /chosen with the command line and the
initramfs's place. Each image sits in 2 MiB guest blocks of its own (the
core refuses two images in one block). The device tree is compiled by dtc:
the build machine's libfdt-dev cannot be installed beside the arm64 one the
EL2 build links (the package is not multi-arch).
"""
import argparse
import os
import struct
import subprocess
import sys

RAM_BASE = 0x40000000  # VMM_RAM_START: corevisor's CV_MMIO_LIMIT
BLOCK = 0x200000  # the core maps images by 2 MiB guest blocks
TRAILER_BYTES = 104  # include/corevisor/image.h
UART = 0x09000000  # VMM_UART_IPA
UART_SPI = 1  # INTID 33, as on QEMU virt
GICD, GICD_SIZE = 0x08000000, 0x10000  # VMM_GICD_IPA
GICR, GICR_STRIDE = 0x080A0000, 0x20000  # VMM_GICR_IPA, one per vCPU
MAX_VCPUS = 8  # VMM_MAX_VCPUS


def align_up(v, a):
    return (v + a - 1) & ~(a - 1)


def image_header(path):
    """(text_offset, image_size, flags) of an arm64 Image, or exit."""
    with open(path, "rb") as f:
        hdr = f.read(64)
    if len(hdr) < 64 or hdr[56:60] != b"ARM\x64":
        sys.exit(f"cv-linux-guest: {path} is not an arm64 Image "
                 "(no ARM\\x64 magic at 56)")
    text_offset, image_size, flags = struct.unpack_from("<QQQ", hdr, 8)
    if flags & 1:
        sys.exit(f"cv-linux-guest: {path} is a big-endian kernel")
    if (flags >> 1) & 3 not in (0, 1):
        sys.exit(f"cv-linux-guest: {path} needs pages other than 4 KiB")
    if image_size == 0:
        # Before Linux 3.17: text_offset is unreliable, the size unknown.
        sys.exit(f"cv-linux-guest: {path} has no image_size (too old)")
    if text_offset % 4096:
        sys.exit(f"cv-linux-guest: {path}: text_offset {text_offset:#x} "
                 "is not page aligned")
    return text_offset, image_size, flags


def cells(v):
    return f"{v >> 32:#x} {v & 0xffffffff:#x}"


def dts(a, kernel, initrd_start, initrd_end):
    cpus = "".join(f"""
		cpu@{i} {{
			device_type = "cpu";
			compatible = "arm,armv8";
			reg = <{i:#x}>;
			enable-method = "psci";
		}};""" for i in range(a.vcpus))
    # PPIs: secure and non-secure physical, virtual, hypervisor timers,
    # level high (the flags' CPU mask means nothing with GICv3).
    timer_ppis = ", ".join(f"<1 {p} 0x4>" for p in (13, 14, 11, 10))
    bootargs = a.bootargs.replace("\\", "\\\\").replace('"', '\\"')
    return f"""/dts-v1/;

/* corevisor protected VM: {os.path.basename(kernel)} */
/ {{
	model = "corevisor protected VM";
	compatible = "linux,dummy-virt";
	#address-cells = <2>;
	#size-cells = <2>;
	interrupt-parent = <&gic>;

	chosen {{
		bootargs = "{bootargs}";
		stdout-path = "/pl011@{UART:x}";
		linux,initrd-start = <{cells(initrd_start)}>;
		linux,initrd-end = <{cells(initrd_end)}>;
	}};

	memory@{RAM_BASE:x} {{
		device_type = "memory";
		reg = <{cells(RAM_BASE)} {cells(a.mem_mib << 20)}>;
	}};

	psci {{
		compatible = "arm,psci-1.0", "arm,psci-0.2";
		method = "hvc";
	}};

	cpus {{
		#address-cells = <1>;
		#size-cells = <0>;{cpus}
	}};

	gic: interrupt-controller@{GICD:x} {{
		compatible = "arm,gic-v3";
		#interrupt-cells = <3>;
		interrupt-controller;
		reg = <{cells(GICD)} {cells(GICD_SIZE)}>,
		      <{cells(GICR)} {cells(GICR_STRIDE * a.vcpus)}>;
	}};

	timer {{
		compatible = "arm,armv8-timer";
		interrupts = {timer_ppis};
		always-on;
	}};

	apb_pclk: apb-pclk {{
		compatible = "fixed-clock";
		#clock-cells = <0>;
		clock-frequency = <24000000>;
		clock-output-names = "clk24mhz";
	}};

	pl011@{UART:x} {{
		compatible = "arm,pl011", "arm,primecell";
		reg = <{cells(UART)} {cells(0x1000)}>;
		interrupts = <0 {UART_SPI} 0x4>;
		clocks = <&apb_pclk>, <&apb_pclk>;
		clock-names = "uartclk", "apb_pclk";
	}};
}};
"""


def sign(a, load, entry, payload, out):
    subprocess.run([a.cv_sign, "sign", a.key, f"{load:#x}", entry, payload,
                    out], check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cv-sign", required=True, help="tools/cv-sign")
    p.add_argument("--key", required=True, help="the signer's secret key")
    p.add_argument("--image", required=True, help="an arm64 Linux Image")
    p.add_argument("--initrd", required=True, help="an initramfs")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--vcpus", type=int, default=2)
    p.add_argument("--mem-mib", type=int, default=256,
                   help="guest RAM from 1 GiB (the host backs up to 3 GiB)")
    p.add_argument("--bootargs", default="console=ttyAMA0")
    p.add_argument("--dtc", default="dtc")
    a = p.parse_args()
    if not 1 <= a.vcpus <= MAX_VCPUS:
        sys.exit(f"cv-linux-guest: {a.vcpus} vCPUs: 1..{MAX_VCPUS}")
    if not 64 <= a.mem_mib <= 3072:
        sys.exit(f"cv-linux-guest: {a.mem_mib} MiB of RAM: 64..3072")

    text_offset, image_size, _ = image_header(a.image)
    # The boot protocol: a 2 MiB-aligned base + text_offset; image_size
    # bytes from there (the BSS too) are the kernel's. The base is the
    # start of RAM: flags bit 3 clear asks for that, set allows it.
    kernel = RAM_BASE + text_offset
    if os.path.getsize(a.image) > image_size:
        sys.exit(f"cv-linux-guest: {a.image} is bigger than its "
                 "image_size")
    initrd = align_up(kernel + image_size, BLOCK)
    initrd_size = os.path.getsize(a.initrd)
    dtb = align_up(initrd + initrd_size + TRAILER_BYTES, BLOCK)
    if dtb + BLOCK > RAM_BASE + (a.mem_mib << 20):
        sys.exit(f"cv-linux-guest: {a.mem_mib} MiB of RAM do not hold "
                 "the kernel, the initramfs and the device tree")

    os.makedirs(a.out_dir, exist_ok=True)
    out = lambda name: os.path.join(a.out_dir, name)
    with open(out("guest.dts"), "w") as f:
        f.write(dts(a, a.image, initrd, initrd + initrd_size))
    subprocess.run([a.dtc, "-q", "-I", "dts", "-O", "dtb", "-o",
                    out("guest.dtb"), out("guest.dts")], check=True)
    if os.path.getsize(out("guest.dtb")) + TRAILER_BYTES > BLOCK:
        sys.exit("cv-linux-guest: the device tree is over 2 MiB")

    sign(a, kernel, f"{kernel:#x}", a.image, out("kernel.img"))
    sign(a, initrd, "none", a.initrd, out("initrd.img"))
    sign(a, dtb, "x0", out("guest.dtb"), out("dtb.img"))
    with open(out("layout"), "w") as f:
        for name, ipa in (("kernel", kernel), ("initrd", initrd),
                          ("dtb", dtb)):
            f.write(f"{name} {ipa:#x} "
                    f"{os.path.getsize(out(name + '.img'))}\n")


if __name__ == "__main__":
    main()
