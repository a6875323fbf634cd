# SPDX-License-Identifier: MIT
"""corevisor's signed VM image (include/corevisor/image.h,
docs/image-format.md), written independently of the C: the runner builds
good and tampered images; the model's verify_img oracle checks what sits
in the remap area."""

import random
import hashlib
import struct

from constants import PAGE_SIZE, PTE_VALID, COREVISOR

MAGIC = b"CVIMAGE1"
VERSION = 2
DOMAIN = b"corevisor signed VM image v1"
TRAILER = 104
FLAG_BOOT = 1
FLAG_BOOT_ARG = 2  # G2: the data image whose address vCPU 0 gets in x0

VARIANTS = ("good", "tamper_payload", "wrong_addr", "wrong_key", "bad_len",
            "bad_magic", "bad_flags", "tamper_sig", "bad_entry", "old_version",
            "boot_arg", "boot_and_arg")


def signed_header(version, flags, payload_len, load_addr, entry):
    return (DOMAIN.ljust(32, b"\0") +
            struct.pack("<IIQQQ", version, flags, payload_len, load_addr, entry))


def entry_ok(flags, entry, load_addr, payload_len):
    if not flags & FLAG_BOOT:
        return entry == 0
    return entry % 4 == 0 and load_addr <= entry < load_addr + payload_len


def build(sodium, sk, other_sk, load_addr, size, variant, seed, boot):
    """The @size bytes the host loads at @load_addr (size >= TRAILER); a
    boot image (entry = load_addr) when @boot and the payload allows."""
    payload_len = size - TRAILER
    payload = bytearray(random.Random(seed).randbytes(payload_len))
    signed_addr = load_addr + PAGE_SIZE if variant == "wrong_addr" else load_addr
    key = other_sk if variant == "wrong_key" else sk
    flags = FLAG_BOOT if boot and payload_len >= 4 else 0
    entry = load_addr if flags else 0
    if variant == "bad_entry":
        flags, entry = FLAG_BOOT, load_addr + payload_len
    if variant == "bad_flags":
        flags |= 4
    if variant == "boot_arg":  # G2: a good data image, the boot argument
        flags, entry = FLAG_BOOT_ARG, 0
    if variant == "boot_and_arg" and flags:  # G2: refused
        flags |= FLAG_BOOT_ARG
    version = 1 if variant == "old_version" else VERSION
    sig = sodium.sign_ph(signed_header(version, flags, payload_len, signed_addr, entry) +
                         bytes(payload), key)
    plen = payload_len + 1 if variant == "bad_len" else payload_len
    magic = b"CVIMAGE0" if variant == "bad_magic" else MAGIC
    if variant == "tamper_payload" and payload_len:
        payload[payload_len // 2] ^= 0x40
    if variant == "tamper_sig":
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    trailer = magic + struct.pack("<IIQQQ", version, flags, plen, signed_addr, entry) + sig
    assert len(trailer) == TRAILER
    return bytes(payload) + trailer


def verify_img(model, read_page, pks, vmid, remap_addr):
    """The data oracle verify_img vmid addr: is the image remapped at
    @remap_addr (in COREVISOR's space) whole, well formed and signed by a
    trusted key for the load address of its load info? Pages are found
    through the model's own remap mappings and read with read_page(pfn)
    (None when not memory). False, or the image's trailer flags + 1 (so
    a good image is truthy; flags & FLAG_BOOT: the VM boots from it)."""
    info = model.vminfos[vmid]
    idx = next((i for i in range(min(info.next_load_info, 5))
                if info.remap_addr[i] == remap_addr), None)
    if idx is None:
        return False
    size = info.load_size[idx]
    pgnum = (size + PAGE_SIZE - 1) // PAGE_SIZE
    if info.mapped_pages[idx] != pgnum or size < TRAILER:
        return False
    core = model.npts[COREVISOR]
    data = bytearray()
    for i in range(pgnum):
        _pfn, _lvl, pte = core.get(remap_addr // PAGE_SIZE + i)
        if not pte & PTE_VALID:
            return False
        page = read_page((pte & 0x0000FFFFFFFFF000) // PAGE_SIZE)
        if page is None:
            return False
        data += page
    data = bytes(data[:size])
    tr = data[size - TRAILER:]
    magic = tr[:8]
    version, flags, plen, laddr, entry = struct.unpack("<IIQQQ", tr[8:40])
    sig = tr[40:104]
    if magic != MAGIC or version != VERSION or flags & ~(FLAG_BOOT | FLAG_BOOT_ARG):
        return False
    if flags & FLAG_BOOT and flags & FLAG_BOOT_ARG:  # G2
        return False
    if plen != size - TRAILER or laddr != info.load_addr[idx]:
        return False
    if not entry_ok(flags, entry, laddr, plen):
        return False
    msg = signed_header(version, flags, plen, laddr, entry) + data[:plen]
    if not any(model.sodium.verify_ph(msg, sig, pk) for pk in pks):
        return False
    model.last_img_entry = entry  # C16: where a boot image starts vCPU 0
    model.last_img_digest = hashlib.sha512(msg).digest()  # E2: the measurement's record
    model.last_img_plen = plen
    return flags + 1
