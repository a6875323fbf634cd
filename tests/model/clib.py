# SPDX-License-Identifier: MIT
"""ctypes glue: the C core (build/model/libcorevisor-model.so) through the
hosted machine, and libsodium's Ed25519ph for the runner's image signing
and the model's verification oracle."""

import ctypes as C
import os

from constants import MAX_VM_NUM, NUM_PRINCIPALS, SMMU_NUM, SMMU_NUM_CTXT_BANKS, VCPU_PER_VM

u32, u64 = C.c_uint32, C.c_uint64

# Every core function the runner calls: name -> (argument types, result).
# "u32"/"u64" results are compared with the model's; None is void.
CALLS = {
    # BootOps
    "search_load_info": (["u32", "u64"], "u64"),
    "set_vcpu_active": (["u32", "u32"], None),
    "set_vcpu_inactive": (["u32", "u32"], None),
    "register_vcpu": (["u32", "u32"], None),
    "register_kvm": ([], "u32"),
    "set_boot_info": (["u32", "u64", "u64"], "u32"),
    "set_vm_region": (["u32", "u64", "u64", "u32"], None),
    "remap_vm_image": (["u32", "u64", "u32"], None),
    "verify_and_load_images": (["u32"], None),
    "alloc_smmu": (["u32", "u32", "u32"], None),
    "assign_smmu": (["u32", "u64", "u64"], None),
    "map_smmu": (["u32", "u32", "u32", "u64", "u64"], None),
    "clear_smmu": (["u32", "u32", "u32", "u64"], None),
    "map_io": (["u32", "u64", "u64"], None),
    "is_inc_exe": (["u32"], "u32"),
    # VMPower, BootCore
    "set_vm_poweroff": (["u32"], None),
    "get_vm_poweron": (["u32"], "u32"),
    "gen_vmid": ([], "u32"),
    "alloc_remap_addr": (["u64"], "u64"),
    "destroy_vm": (["u32", "u64"], "u64"),  # L3
    # MemManager
    "map_page_host": (["u64"], None),
    "clear_vm_page": (["u32", "u64"], None),
    "assign_pfn_to_vm": (["u32", "u64", "u64"], None),
    "map_pfn_vm": (["u32", "u64", "u64", "u32"], None),
    "map_vm_io": (["u32", "u64", "u64"], None),
    "grant_vm_page": (["u32", "u64"], None),
    "revoke_vm_page": (["u32", "u64"], None),
    "assign_pfn_to_smmu": (["u32", "u64", "u64"], None),
    "update_smmu_page": (["u32", "u32", "u32", "u64", "u64"], None),
    "unmap_smmu_page": (["u32", "u32", "u64"], None),
    # MemoryOps
    "clear_vm_range": (["u32", "u64", "u64"], None),
    "prot_and_map_vm_s2pt": (["u32", "u64", "u64", "u32"], None),
    "grant_stage2_sg_gpa": (["u32", "u64", "u64"], None),
    "revoke_stage2_sg_gpa": (["u32", "u64", "u64"], None),
    # NPTOps
    "get_level_s2pt": (["u32", "u64"], "u32"),
    "walk_s2pt": (["u32", "u64"], "u64"),
    "map_s2pt": (["u32", "u64", "u32", "u64"], None),
    "clear_pfn_host": (["u64"], None),
    # MmioSPTOps
    "init_spt": (["u32", "u32"], None),
    "walk_spt": (["u32", "u32", "u64"], "u64"),
    "map_spt": (["u32", "u32", "u64", "u64"], None),
    "unmap_spt": (["u32", "u32", "u64"], "u64"),
    # MemHandler, TrapDispatcher (the host's hypercall: x0..x5 -> x0)
    "clear_vm_stage2_range": (["u32", "u64", "u64"], None),
    "kvm_phys_addr_ioremap": (["u32", "u64", "u64", "u64"], None),
    "host_hvc_dispatcher": (["u64"] * 6, "u64"),
    # BootOps: the sealing calls
    "save_encrypted_vcpu": (["u32", "u32"], None),
    "load_encrypted_vcpu": (["u32", "u32"], None),
    "save_encrypt_buf": (["u32", "u64", "u64"], None),
    "load_decrypt_buf": (["u32", "u64"], None),
    # MmioOps, MmioRaw, MemHandler's el2_arm_lpae_map (context bank owners)
    "el2_free_smmu_pgd": (["u32", "u32"], None),
    "el2_alloc_smmu_pgd": (["u32", "u32", "u32"], None),
    "smmu_assign_page": (["u32", "u32", "u64", "u64"], None),
    "smmu_map_page": (["u32", "u32", "u64", "u64"], None),
    "el2_arm_lpae_iova_to_phys": (["u64", "u32", "u32"], "u64"),
    "el2_arm_lpae_clear": (["u64", "u32", "u32"], None),
    "el2_arm_lpae_map": (["u64", "u64", "u64", "u32", "u32"], None),
    "smmu_init_pte": (["u64", "u64"], "u64"),
}
# Calls whose C symbol is not the spec's name.
SYMBOLS = {"host_hvc_dispatcher": "cv_hosted_hvc"}

MASKS = {"u32": 0xFFFFFFFF, "u64": 0xFFFFFFFFFFFFFFFF}
CT = {"u32": u32, "u64": u64, None: None}


class HostedConfig(C.Structure):
    _fields_ = [("ram_base", u64), ("ram_size", u64), ("ncpus", u32),
                ("ntrusted_keys", u32), ("trusted_keys", (C.c_uint8 * 32) * 4),
                ("aead_key", C.c_uint8 * 32), ("tlb", C.c_bool),
                ("nsmmu", u32), ("smmu_context_banks", u32), ("smmuv3", C.c_bool),
                ("gic", C.c_bool)]


class HostedGuest(C.Structure):
    """struct cv_hosted_guest (include/corevisor/hosted.h)."""
    _fields_ = [("vmid", u32), ("vcpuid", u32), ("x", u64 * 31), ("sp", u64), ("pc", u64),
                ("pstate", u64), ("vttbr", u64), ("mpidr", u64), ("vbar_el1", u64),
                ("elr_el1", u64), ("spsr_el1", u64), ("esr_el1", u64), ("sp_el1", u64),
                ("far_el1", u64), ("run", u64), ("ich_lr", u64 * 16), ("ich_hcr", u64),
                ("ich_vmcr", u64), ("cntv_ctl", u64), ("cntv_cval", u64),
                ("ptimer_doorbell", u64), ("cntvoff", u64), ("exited", u32), ("esr", u64),
                ("far", u64), ("hpfar", u64)]


GUEST_FN = C.CFUNCTYPE(None, C.POINTER(HostedGuest), C.c_void_p)
# A guest program's register names (vcpu_model.Guest.FIELDS) in the struct.
GUEST_REGS = {"sp": "sp", "pc": "pc", "pstate": "pstate", "vbar": "vbar_el1",
              "elr": "elr_el1", "spsr": "spsr_el1", "esr1": "esr_el1", "sp1": "sp_el1",
              "far1": "far_el1"}


class CoreLib:
    """The C core in this process. One machine at a time (boot() discards
    the previous one)."""

    def __init__(self, path):
        self.lib = C.CDLL(os.path.abspath(path))
        L = self.lib
        self.fns = {}
        self.missing = []
        for name, (args, res) in CALLS.items():
            try:
                f = getattr(L, SYMBOLS.get(name, name))
            except AttributeError:
                self.missing.append(name)
                continue
            f.argtypes = [CT[a] for a in args]
            f.restype = CT[res]
            self.fns[name] = f
        L.cv_hosted_default_config.argtypes = [C.POINTER(HostedConfig)]
        L.cv_hosted_boot.argtypes = [C.POINTER(HostedConfig)]
        L.cv_hosted_boot.restype = C.c_int
        L.cv_hosted_set_cpu.argtypes = [u32]
        L.cv_hosted_phys.argtypes = [u64]
        L.cv_hosted_phys.restype = C.c_void_p
        for n in ("cv_dump_geometry", "cv_dump_core", "cv_dump_vminfos",
                  "cv_dump_spt_summary", "cv_dump_reserved"):
            getattr(L, n).argtypes = [C.POINTER(u64)]
            getattr(L, n).restype = None
        L.cv_dump_regions.argtypes = [C.POINTER(u64), u32]
        L.cv_dump_regions.restype = u32
        L.cv_dump_halt_reason.restype = C.c_char_p
        L.cv_dump_npt_summary.argtypes = [u32, C.POINTER(u64)]
        L.cv_dump_npt_leaves.argtypes = [u32, C.POINTER(u64), u64]
        L.cv_dump_npt_leaves.restype = u64
        L.cv_dump_spt_leaves.argtypes = [u32, u32, C.POINTER(u64), u64]
        L.cv_dump_spt_leaves.restype = u64
        L.cv_dump_s2page_reset.restype = u64
        L.cv_dump_s2page_changes.argtypes = [C.POINTER(u64), u64]
        L.cv_dump_s2page_changes.restype = u64
        L.cv_dump_pages.argtypes = [u64, u64, C.POINTER(u64)]
        L.cv_dump_host_geometry.argtypes = [C.POINTER(u64)]
        L.cv_dump_host_geometry.restype = None
        L.cv_dump_ctxt_hashes.argtypes = [C.POINTER(u64)]
        L.cv_dump_ctxt_hashes.restype = None
        L.cv_dump_ctxt.argtypes = [u32, u32, C.POINTER(u64), u32]
        L.cv_dump_ctxt.restype = u32
        self._ctxt_hashes = self._arr(MAX_VM_NUM * VCPU_PER_VM)
        L.cv_dump_vcpu_power.argtypes = [C.POINTER(u64)]
        L.cv_dump_vcpu_power.restype = None
        self._vcpu_power = self._arr(3 * MAX_VM_NUM * VCPU_PER_VM)
        L.cv_dump_page_hashes.argtypes = [u64, u64, C.POINTER(u64)]
        L.cv_dump_page_hashes.restype = None
        L.cv_dump_seal_boot.argtypes = [C.c_char_p, C.POINTER(u64)]
        L.cv_dump_seal_boot.restype = None
        L.cv_dump_seal.argtypes = [C.POINTER(u64)]
        L.cv_dump_seal.restype = u32
        self._seal = self._arr(512)
        L.cv_dump_smmu_owners.argtypes = [C.POINTER(u64)]
        L.cv_dump_smmu_owners.restype = None
        self._owners = self._arr(SMMU_NUM * SMMU_NUM_CTXT_BANKS)
        self.geom_raw = self._arr(8)
        L.cv_dump_geometry(self.geom_raw)
        self.vminfo_words = self.geom_raw[7]
        self._core = self._arr(3)
        self._vminfos = self._arr(NUM_PRINCIPALS * self.vminfo_words)
        self._npt = self._arr(5)
        self._spt = self._arr(2 * SMMU_NUM * SMMU_NUM_CTXT_BANKS + 2)
        self._chg_max = 1 << 16
        self._chg = self._arr(4 * self._chg_max)
        # The simulated guests: every VM runs the program in guest_scripts.
        self.guest_scripts = {}  # (vmid, vcpuid) -> list of instructions
        self.guest_error = None
        self._guest_fn = GUEST_FN(self._guest)
        L.cv_hosted_set_guest.argtypes = [u32, GUEST_FN, C.c_void_p]
        L.cv_hosted_set_guest.restype = None
        P = C.POINTER(HostedGuest)
        for n in ("cv_guest_hvc", "cv_guest_smc"):
            getattr(L, n).argtypes = [P, C.c_uint16]
        for n in ("cv_guest_wfi", "cv_guest_wfe", "cv_guest_fetch"):
            getattr(L, n).argtypes = [P]
        for n in ("cv_guest_load", "cv_guest_load_signed", "cv_guest_store"):
            getattr(L, n).argtypes = [P, u64, u32, u32]
        L.cv_guest_load_pair.argtypes = [P, u64, u32, u32]
        L.cv_guest_sysreg.argtypes = [P, u32, C.c_bool]
        L.cv_guest_trap.argtypes = [P, u64]
        L.cv_guest_exception.argtypes = [P, u32]
        for n in ("cv_guest_hvc", "cv_guest_smc", "cv_guest_wfi", "cv_guest_wfe",
                  "cv_guest_fetch", "cv_guest_load", "cv_guest_load_signed",
                  "cv_guest_store", "cv_guest_load_pair", "cv_guest_sysreg",
                  "cv_guest_trap", "cv_guest_exception"):
            getattr(L, n).restype = C.c_bool

    def _guest(self, gp, _arg):
        try:
            self._guest_body(gp)
        except Exception as e:  # noqa: BLE001 (a callback must not raise into C)
            self.guest_error = e

    def _guest_body(self, gp):
        """The guest program of every VM: the next instructions of its
        vCPU's script (the model runs the same ones, vcpu_model.guest_op)."""
        g, L = gp.contents, self.lib
        ops = self.guest_scripts.get((g.vmid, g.vcpuid), [])
        while ops:
            op = ops.pop(0)
            k = op[0]
            if k == "x":
                g.x[op[1]] = op[2]
                continue
            if k in GUEST_REGS:
                setattr(g, GUEST_REGS[k], op[1])
                continue
            if k == "ld":
                ok = (L.cv_guest_load_signed if op[4] else L.cv_guest_load)(gp, op[1], op[2], op[3])
            elif k == "st":
                ok = L.cv_guest_store(gp, op[1], op[2], op[3])
            elif k == "ldp":
                ok = L.cv_guest_load_pair(gp, op[1], op[2], op[3])
            elif k == "fetch":
                ok = L.cv_guest_fetch(gp)
            elif k == "hvc":
                ok = L.cv_guest_hvc(gp, op[1])
            elif k == "smc":
                ok = L.cv_guest_smc(gp, op[1])
            elif k == "wfi":
                ok = L.cv_guest_wfi(gp)
            elif k == "wfe":
                ok = L.cv_guest_wfe(gp)
            elif k == "sysreg":
                ok = L.cv_guest_sysreg(gp, op[1], op[2])
            elif k == "trap":
                ok = L.cv_guest_trap(gp, op[1])
            elif k == "exc":
                ok = L.cv_guest_exception(gp, op[1])
            else:
                raise ValueError(op)
            if not ok:
                return

    @staticmethod
    def _arr(n):
        return (u64 * n)()

    def boot(self, ram_base, ram_size, pk):
        cfg = HostedConfig()
        self.lib.cv_hosted_default_config(C.byref(cfg))
        cfg.ram_base, cfg.ram_size, cfg.ncpus = ram_base, ram_size, 1
        cfg.ntrusted_keys = 1
        C.memmove(cfg.trusted_keys[0], pk, 32)
        C.memset(cfg.aead_key, 7, 32)
        self.smmu_config = (cfg.nsmmu, cfg.smmu_context_banks)
        if self.lib.cv_hosted_boot(C.byref(cfg)) != 0:
            raise RuntimeError("cv_hosted_boot failed")
        self.lib.cv_hosted_set_cpu(0)
        self.lib.cv_hosted_console_mode(2)  # capture: keep panics quiet
        self.lib.cv_hosted_console_clear()
        self.lib.cv_dump_s2page_reset()
        self.guest_scripts = {}
        for vmid in range(1, NUM_PRINCIPALS - 1):
            self.lib.cv_hosted_set_guest(vmid, self._guest_fn, None)

    def call(self, name, args):
        return self.fns[name](*args)

    # -- state ---------------------------------------------------------------

    def core(self):
        self.lib.cv_dump_core(self._core)
        return tuple(self._core)

    def halt_reason(self):
        return self.lib.cv_dump_halt_reason().decode(errors="replace")

    def ctxt_hashes(self):
        """Per VM vCPU (vmid 1..15, vCPU 0..7): its shadow context's hash."""
        self.lib.cv_dump_ctxt_hashes(self._ctxt_hashes)
        return list(self._ctxt_hashes)

    def vcpu_power(self):
        """Per VM vCPU (vmid 1..15, vCPU 0..7): (power, entry, context)."""
        self.lib.cv_dump_vcpu_power(self._vcpu_power)
        w = list(self._vcpu_power)
        return [tuple(w[i:i + 3]) for i in range(0, len(w), 3)]

    def page_hashes(self, pfn0, n):
        """BLAKE2b-64 of each page's contents (0: not memory)."""
        buf = self._arr(n)
        self.lib.cv_dump_page_hashes(pfn0, n, buf)
        return list(buf)

    def ctxt(self, vmid, vcpu):
        buf = self._arr(1024)
        n = self.lib.cv_dump_ctxt(vmid, vcpu, buf, 1024)
        return {i: buf[i] for i in range(n) if buf[i]}

    def seal_boot(self):
        """(nonce salt, sizeof(struct cv_ctxt), nonce counter) at boot."""
        salt = C.create_string_buffer(16)
        out = self._arr(2)
        self.lib.cv_dump_seal_boot(salt, out)
        return salt.raw[:16], out[0], out[1]

    def dma(self, index, cbndx, iova, data, length, write):
        """A device's DMA through SMMU (index, cbndx) at @iova (the hosted
        machine's SMMU, its TLB and the core's tables): (ok, bytes read)."""
        buf = C.create_string_buffer(data if write else length, length)
        f = self.lib.cv_hosted_dma_write if write else self.lib.cv_hosted_dma_read
        f.argtypes = [u32, u32, u64, C.c_char_p, u64, C.POINTER(u64)]
        f.restype = C.c_bool
        ok = f(index, cbndx, iova, buf, length, None)
        return ok, buf.raw[:length]

    def smmu_reg(self, index, off, length=4):
        """A simulated SMMU's register, as the hardware holds it."""
        f = self.lib.cv_hosted_smmu_reg
        f.argtypes, f.restype = [u32, u64, u32], u64
        return f(index, off, length)

    def smmu_base(self, index):
        f = self.lib.cv_hosted_smmu_base
        f.argtypes, f.restype = [u32], u64
        return f(index)

    def host_access(self, pa, data, length, write):
        """The host's load or store of @length bytes at @pa through its
        stage 2 (a fault goes to the core): (ok, bytes read)."""
        buf = C.create_string_buffer(data if write else length, length)
        f = self.lib.cv_hosted_host_write if write else self.lib.cv_hosted_host_read
        f.argtypes, f.restype = [u64, C.c_char_p, u64], C.c_bool
        ok = f(pa, buf, length)
        return ok, buf.raw[:length]

    def smmu_owners(self):
        """Each context bank's owner, (index, cbndx) in order."""
        self.lib.cv_dump_smmu_owners(self._owners)
        return list(self._owners)

    def seal_state(self):
        """cv_dump_seal: nonce counter, instances, retirements, per VM and
        per lineage slot (spec_model.Model.seal_state's order)."""
        n = self.lib.cv_dump_seal(self._seal)
        return list(self._seal[:n])

    def vminfos(self):
        self.lib.cv_dump_vminfos(self._vminfos)
        w = self.vminfo_words
        flat = list(self._vminfos)
        return [flat[v * w:(v + 1) * w] for v in range(NUM_PRINCIPALS)]

    def npt_summary(self, vmid):
        self.lib.cv_dump_npt_summary(vmid, self._npt)
        return tuple(self._npt)

    def npt_leaves(self, vmid):
        n = self.lib.cv_dump_npt_leaves(vmid, None, 0)
        buf = self._arr(3 * n + 3)
        self.lib.cv_dump_npt_leaves(vmid, buf, n)
        return sorted((buf[3 * i], buf[3 * i + 1], buf[3 * i + 2]) for i in range(n))

    def spt_summary(self):
        self.lib.cv_dump_spt_summary(self._spt)
        return list(self._spt)

    def spt_leaves(self, index, cbndx):
        n = self.lib.cv_dump_spt_leaves(index, cbndx, None, 0)
        buf = self._arr(3 * n + 3)
        self.lib.cv_dump_spt_leaves(index, cbndx, buf, n)
        return sorted((buf[3 * i], buf[3 * i + 2]) for i in range(n))

    def s2page_changes(self):
        n = self.lib.cv_dump_s2page_changes(self._chg, self._chg_max)
        if n > self._chg_max:
            raise RuntimeError("too many s2page changes in one step")
        c = self._chg
        return [(c[4 * i], (c[4 * i + 1], c[4 * i + 2], c[4 * i + 3])) for i in range(n)]

    def pages(self, pfn, num):
        buf = self._arr(3 * num)
        self.lib.cv_dump_pages(pfn, num, buf)
        return [(buf[3 * i], buf[3 * i + 1], buf[3 * i + 2]) for i in range(num)]

    def regions(self):
        buf = self._arr(64)
        n = self.lib.cv_dump_regions(buf, 32)
        return [(buf[2 * i], buf[2 * i + 1]) for i in range(n)]

    def host_geometry(self):
        """(MMIO budgets l1, l2, l3, size alignment, pa_bits, the C's
        pud_offset, pmd_offset, pool_bytes) of the booted machine."""
        buf = self._arr(8)
        self.lib.cv_dump_host_geometry(buf)
        return tuple(buf)

    def reserved(self):
        buf = self._arr(3)
        self.lib.cv_dump_reserved(buf)
        return tuple(buf)

    # -- physical memory (the host's bytes; a debugger's view) -----------------

    def phys_write(self, pa, data):
        p = self.lib.cv_hosted_phys(pa)
        if not p:
            raise RuntimeError("phys_write: %#x is not memory" % pa)
        C.memmove(p, data, len(data))

    def phys_read(self, pa, n):
        p = self.lib.cv_hosted_phys(pa)
        if not p:
            return None
        return C.string_at(p, n)


class Sodium:
    """Ed25519ph (RFC 8032 prehash) from the system's libsodium."""

    def __init__(self):
        for name in ("libsodium.so.23", "libsodium.so"):
            try:
                self.s = C.CDLL(name)
                break
            except OSError:
                continue
        else:
            raise RuntimeError("libsodium not found")
        s = self.s
        if s.sodium_init() < 0:
            raise RuntimeError("sodium_init failed")
        self.state_bytes = s.crypto_sign_ed25519ph_statebytes()

    def keypair(self, seed32):
        pk = (C.c_uint8 * 32)()
        sk = (C.c_uint8 * 64)()
        self.s.crypto_sign_ed25519_seed_keypair(pk, sk, bytes(seed32))
        return bytes(pk), bytes(sk)

    def aead_seal(self, msg, ad, nonce, key):
        """XChaCha20-Poly1305-IETF, detached: (ciphertext, tag)."""
        c = C.create_string_buffer(len(msg) or 1)
        tag = C.create_string_buffer(16)
        self.s.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
            c, tag, None, msg, C.c_ulonglong(len(msg)), ad, C.c_ulonglong(len(ad)),
            None, nonce, key)
        return c.raw[:len(msg)], tag.raw

    def aead_open(self, ct, tag, ad, nonce, key):
        """The plaintext, or None when the blob does not open."""
        m = C.create_string_buffer(len(ct) or 1)
        ok = self.s.crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            m, None, ct, C.c_ulonglong(len(ct)), tag, ad, C.c_ulonglong(len(ad)),
            nonce, key) == 0
        return m.raw[:len(ct)] if ok else None

    def _state(self, msg):
        st = C.create_string_buffer(self.state_bytes + 64)
        self.s.crypto_sign_ed25519ph_init(st)
        self.s.crypto_sign_ed25519ph_update(st, msg, C.c_ulonglong(len(msg)))
        return st

    def sign_ph(self, msg, sk):
        st = self._state(msg)
        sig = (C.c_uint8 * 64)()
        self.s.crypto_sign_ed25519ph_final_create(st, sig, None, sk)
        return bytes(sig)

    def verify_ph(self, msg, sig, pk):
        st = self._state(msg)
        return self.s.crypto_sign_ed25519ph_final_verify(st, sig, pk) == 0
